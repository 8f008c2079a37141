/* Kernel suite: every op of the simd backends against ref, through the public backend ABI
 * only, at each ISA level this CPU runs (the others are skipped with a message). Sizes are
 * chosen to be awkward: channel counts off the vector width, tile remainders, 1x1 grids,
 * odd sizes with stride 2, batch 3, views with pixel_stride > c and channel offsets. Every
 * output is also checked for writes outside its slice, for each part of a split writing its
 * elements exactly once, and for results that do not depend on the number of parts. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* setenv */
#endif
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inception/backend.h"
#define KT_SEED 88172645463325252ull
#include "kernel_test.h"

static const char *const levels[] = {"simd-avx2", "simd-avx512", "simd"};
#define N_LEVELS 3

static const int32_t part_counts[] = {2, 3, 7};

static void fill_guard(float *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = guard();
}

/* The backend for a level, or NULL (with a message) when this CPU cannot run it. */
static const inception_backend *level_backend(int i) {
    const inception_backend *b = NULL;
    ck_assert_int_eq(inception_backend_get(levels[i], &b), INCEPTION_OK);
    ck_assert_ptr_nonnull(b);
    int32_t score = b->probe ? b->probe(b->user) : 1;
    if (score <= 0) {
        printf("kernels: skipping %s: this CPU lacks it\n", levels[i]);
        return NULL;
    }
    return b;
}

static const inception_backend *ref_backend(void) {
    const inception_backend *b = NULL;
    ck_assert_int_eq(inception_backend_get("ref", &b), INCEPTION_OK);
    return b;
}

/* A tensor buffer with a view inside it: `extra` spare floats per pixel, the view's
 * channels starting `off` floats into each pixel. */
typedef struct buf {
    float *mem;
    size_t len;
    inception_view v;
} buf;

static buf make_buf(int64_t n, int64_t h, int64_t w, int64_t c, int64_t off, int64_t extra) {
    buf b;
    b.v.n = n, b.v.h = h, b.v.w = w, b.v.c = c;
    b.v.pixel_stride = c + off + extra;
    b.len = (size_t)(n * h * w * b.v.pixel_stride);
    b.mem = falloc(b.len);
    b.v.data = b.mem + off;
    return b;
}

/* Is float i of the buffer inside the view's slice? */
static int in_slice(const buf *b, size_t i) {
    size_t off = (size_t)(b->v.data - b->mem), ps = (size_t)b->v.pixel_stride;
    size_t ch = i % ps;
    return ch >= off && ch < off + (size_t)b->v.c;
}

/* ---- convolution ---- */

typedef struct conv_case {
    int n, h, w, cin, cout, kh, kw, sh, sw, ph, pw, relu;
    int in_off, in_extra, out_off, out_extra;
} conv_case;

typedef void (*conv_fn)(const inception_backend *, const inception_conv_desc *, const void *,
                        const inception_view *, const inception_view *, int32_t, int32_t);

static void run_conv(const inception_backend *be, const inception_conv_desc *d,
                     const void *packed, const inception_view *in, const inception_view *out,
                     int32_t part, int32_t parts) {
    size_t sz = be->conv_scratch ? be->conv_scratch(be->user, d, packed, in, out, parts) : 0;
    void *scratch = sz ? aligned_alloc(64, (sz + 63) / 64 * 64) : NULL;
    if (sz) ck_assert_ptr_nonnull(scratch);
    be->conv_run(be->user, d, packed, in, out, part, parts, scratch);
    free(scratch);
}

static void check_conv(const inception_backend *be, const conv_case *cc) {
    const inception_backend *ref = ref_backend();
    inception_conv_desc d = {cc->cin, cc->cout, cc->kh, cc->kw, cc->sh, cc->sw, cc->ph, cc->pw,
                             cc->relu};
    int oh = (cc->h + 2 * cc->ph - cc->kh) / cc->sh + 1;
    int ow = (cc->w + 2 * cc->pw - cc->kw) / cc->sw + 1;
    size_t nw = (size_t)cc->cout * cc->kh * cc->kw * cc->cin;
    float *w = falloc(nw), *bias = falloc((size_t)cc->cout);
    float *wa = falloc(nw), *ba = falloc((size_t)cc->cout);
    for (size_t i = 0; i < nw; i++) w[i] = frand(), wa[i] = fabsf(w[i]);
    for (int i = 0; i < cc->cout; i++) bias[i] = frand(), ba[i] = fabsf(bias[i]);

    buf in = make_buf(cc->n, cc->h, cc->w, cc->cin, cc->in_off, cc->in_extra);
    buf ina = make_buf(cc->n, cc->h, cc->w, cc->cin, cc->in_off, cc->in_extra);
    for (size_t i = 0; i < in.len; i++) in.mem[i] = frand(), ina.mem[i] = fabsf(in.mem[i]);
    buf want = make_buf(cc->n, oh, ow, cc->cout, cc->out_off, cc->out_extra);
    buf scale = make_buf(cc->n, oh, ow, cc->cout, cc->out_off, cc->out_extra);
    buf got = make_buf(cc->n, oh, ow, cc->cout, cc->out_off, cc->out_extra);
    buf split = make_buf(cc->n, oh, ow, cc->cout, cc->out_off, cc->out_extra);
    buf one = make_buf(cc->n, oh, ow, cc->cout, cc->out_off, cc->out_extra);

    /* ref on |x|, |w|, |b| without ReLU bounds the magnitude each sum's rounding scales with */
    void *rp = NULL, *rpa = NULL, *sp = NULL;
    inception_conv_desc da = d;
    da.relu = 0;
    ck_assert_int_eq(ref->conv_pack(ref->user, &d, w, bias, &rp), INCEPTION_OK);
    ck_assert_int_eq(ref->conv_pack(ref->user, &da, wa, ba, &rpa), INCEPTION_OK);
    ck_assert_int_eq(be->conv_pack(be->user, &d, w, bias, &sp), INCEPTION_OK);
    run_conv(ref, &d, rp, &in.v, &want.v, 0, 1);
    run_conv(ref, &da, rpa, &ina.v, &scale.v, 0, 1);

    fill_guard(got.mem, got.len);
    run_conv(be, &d, sp, &in.v, &got.v, 0, 1);
    for (size_t i = 0; i < got.len; i++) {
        if (!in_slice(&got, i)) {
            ck_assert_msg(is_guard(got.mem[i]), "%s wrote outside its slice at float %zu",
                          be->name, i);
            continue;
        }
        double tol = 2e-5 * scale.mem[i] + 1e-6;
        ck_assert_msg(fabs((double)got.mem[i] - want.mem[i]) <= tol,
                      "%s conv %dx%d s%d cin %d cout %d n %d %dx%d: float %zu is %.9g, ref "
                      "%.9g",
                      be->name, cc->kh, cc->kw, cc->sh, cc->cin, cc->cout, cc->n, cc->h, cc->w,
                      i, got.mem[i], want.mem[i]);
    }

    /* Each part writes its share exactly once; all parts together give parts=1 bitwise. */
    for (size_t k = 0; k < sizeof part_counts / sizeof part_counts[0]; k++) {
        int32_t parts = part_counts[k];
        unsigned char *count = calloc(got.len, 1);
        ck_assert_ptr_nonnull(count);
        fill_guard(split.mem, split.len);
        for (int32_t part = 0; part < parts; part++) {
            fill_guard(one.mem, one.len);
            run_conv(be, &d, sp, &in.v, &one.v, part, parts);
            run_conv(be, &d, sp, &in.v, &split.v, part, parts);
            for (size_t i = 0; i < one.len; i++)
                if (!is_guard(one.mem[i])) count[i]++;
        }
        for (size_t i = 0; i < got.len; i++) {
            ck_assert_msg(count[i] == (in_slice(&got, i) ? 1 : 0),
                          "%s parts=%d: float %zu written %d times", be->name, parts, i,
                          count[i]);
        }
        ck_assert_msg(memcmp(split.mem, got.mem, got.len * sizeof(float)) == 0,
                      "%s conv %dx%d cin %d cout %d: parts=%d differs from parts=1", be->name,
                      cc->kh, cc->kw, cc->cin, cc->cout, parts);
        free(count);
    }

    ref->conv_release(ref->user, rp);
    ref->conv_release(ref->user, rpa);
    be->conv_release(be->user, sp);
    free(w), free(bias), free(wa), free(ba);
    free(in.mem), free(ina.mem), free(want.mem), free(scale.mem), free(got.mem);
    free(split.mem), free(one.mem);
}

/* n h w cin cout kh kw sh sw ph pw relu in_off in_extra out_off out_extra */
static const conv_case conv_cases[] = {
    /* 1x1 (GEMM): channel counts around the vector widths, tile remainders */
    {1, 5, 7, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0},
    {1, 5, 7, 3, 5, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0},
    {1, 7, 5, 17, 33, 1, 1, 1, 1, 0, 0, 1, 2, 3, 5, 7},
    {3, 4, 5, 33, 17, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 9},
    {1, 9, 9, 64, 80, 1, 1, 1, 1, 0, 0, 1, 0, 0, 16, 32},
    {1, 13, 3, 80, 48, 1, 1, 1, 1, 0, 0, 1, 0, 16, 48, 16},
    {3, 1, 1, 5, 80, 1, 1, 1, 1, 0, 0, 1, 0, 0, 3, 1},
    {1, 8, 8, 192, 320, 1, 1, 1, 1, 0, 0, 1, 64, 0, 320, 64},
    /* the fc layers: 1x1 grid, no ReLU, 1000/1001 classes, batch 1 and 3 */
    {1, 1, 1, 2048, 1001, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
    {3, 1, 1, 2048, 1000, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
    {3, 1, 1, 33, 1001, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
    /* every other kernel shape Inception uses */
    {1, 19, 17, 3, 32, 3, 3, 2, 2, 0, 0, 1, 0, 0, 0, 0},   /* stem 3x3 s2, 3 channels */
    {1, 9, 10, 32, 33, 3, 3, 1, 1, 0, 0, 1, 0, 0, 0, 0},   /* 3x3 valid */
    {3, 7, 6, 17, 17, 3, 3, 1, 1, 1, 1, 1, 3, 2, 1, 4},    /* 3x3 pad 1, batch 3 */
    {1, 8, 8, 64, 96, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    {1, 7, 9, 48, 64, 5, 5, 1, 1, 2, 2, 1, 0, 0, 64, 96},  /* 5x5 */
    {1, 11, 9, 33, 17, 1, 7, 1, 1, 0, 3, 1, 0, 0, 0, 0},   /* 1x7 */
    {3, 9, 11, 17, 33, 7, 1, 1, 1, 3, 0, 1, 8, 8, 0, 0},   /* 7x1 */
    /* the 17x17 blocks' 1x7/7x1 (F(2, 7)) at batch 1: parts split them by channel blocks */
    {1, 17, 17, 160, 192, 7, 1, 1, 1, 3, 0, 1, 0, 0, 192, 576},
    {1, 17, 17, 192, 192, 1, 7, 1, 1, 0, 3, 1, 0, 0, 576, 0},
    {1, 13, 11, 40, 72, 7, 1, 1, 1, 3, 0, 1, 0, 3, 0, 5},  /* odd grid, 5 or 3 blocks */
    {1, 5, 6, 35, 40, 1, 3, 1, 1, 0, 1, 1, 0, 5, 40, 7},   /* 1x3 */
    {1, 6, 5, 40, 35, 3, 1, 1, 1, 1, 0, 1, 0, 0, 35, 1},   /* 3x1 */
    /* 1x3/3x1 run as F(2, 3): the 8x8 blocks' shapes into their concat slices, odd sizes,
     * valid and wider padding, batch 3 */
    {1, 8, 8, 384, 384, 1, 3, 1, 1, 0, 1, 1, 0, 0, 320, 1344},
    {1, 8, 8, 384, 384, 3, 1, 1, 1, 1, 0, 1, 0, 0, 704, 960},
    {3, 7, 9, 19, 37, 1, 3, 1, 1, 0, 2, 0, 2, 1, 0, 3},
    {3, 9, 7, 37, 19, 3, 1, 1, 1, 2, 0, 1, 0, 0, 1, 0},
    {1, 5, 4, 9, 48, 1, 3, 1, 1, 0, 0, 1, 0, 0, 0, 0},
    {1, 4, 5, 48, 9, 3, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0},
    {1, 1, 1, 16, 33, 1, 3, 1, 1, 0, 1, 1, 0, 0, 0, 0},
    {1, 17, 17, 96, 80, 3, 3, 2, 2, 0, 0, 1, 0, 0, 0, 0},  /* 3x3 s2 valid, odd size */
    {3, 10, 9, 17, 5, 3, 3, 2, 2, 0, 0, 1, 1, 1, 2, 2},    /* 3x3 s2 valid, even/odd */
    {1, 1, 1, 5, 17, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0},     /* 1x1 grid under a 3x3 */
    {1, 5, 5, 128, 768, 5, 5, 1, 1, 0, 0, 1, 0, 0, 0, 0},  /* aux 5x5 on 5x5 -> 1x1 */
    {1, 4, 3, 3, 1, 3, 3, 2, 1, 1, 1, 0, 0, 0, 0, 0},      /* mixed strides, no ReLU */
    {1, 6, 7, 5, 17, 5, 3, 2, 1, 2, 0, 1, 0, 0, 0, 0},     /* rows of taps over padding rows */
    /* 3x3 stride 1 runs as Winograd: F(4x4) when 32 < cin and cin * cout <= 32768, else F(2x2) */
    {1, 5, 6, 200, 180, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0},  /* wide: F(2x2) */
    {1, 8, 8, 448, 384, 3, 3, 1, 1, 1, 1, 1, 0, 0, 320, 1344}, /* Mixed_7b/c 3x3dbl_2 */
    {3, 11, 8, 19, 21, 3, 3, 1, 1, 1, 1, 0, 0, 3, 2, 0},   /* odd tiles, batch 3 */
    {1, 12, 9, 1, 80, 3, 3, 1, 1, 0, 0, 1, 0, 0, 0, 0},    /* valid, odd width */
    {1, 2, 2, 17, 9, 3, 3, 1, 1, 2, 2, 1, 0, 0, 0, 0},     /* more padding than input */
    {1, 35, 35, 96, 96, 3, 3, 1, 1, 1, 1, 1, 0, 0, 32, 64},/* Mixed_5b, several chunks */
};

START_TEST(test_conv) {
    const inception_backend *be = level_backend(_i);
    if (!be) return;
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++)
        check_conv(be, &conv_cases[i]);
    /* Every 3x3 stride-1 path, whichever the default policy picks: F(4x4), F(2x2), direct
     * (INCEPTION_SIMD_WINO3 is read at every pack). */
    static const char *const modes[] = {"f4", "f2", "direct"};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        setenv("INCEPTION_SIMD_WINO3", modes[m], 1);
        for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) {
            const conv_case *cc = &conv_cases[i];
            if (cc->kh == 3 && cc->kw == 3 && cc->sh == 1 && cc->sw == 1) check_conv(be, cc);
        }
    }
    /* and the 1x3/3x1 ones direct as well as F(2, 3) */
    setenv("INCEPTION_SIMD_WINO13", "direct", 1);
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) {
        const conv_case *cc = &conv_cases[i];
        if (cc->kh * cc->kw == 3 && cc->sh == 1 && cc->sw == 1) check_conv(be, cc);
    }
    setenv("INCEPTION_SIMD_WINO13", "f4", 1);
    {
        inception_conv_desc d13 = {16, 16, 1, 3, 1, 1, 0, 1, 1};
        float *w13 = falloc(16 * 16 * 3), *b13 = falloc(16);
        void *sp13 = NULL;
        ck_assert_int_eq(be->conv_pack(be->user, &d13, w13, b13, &sp13), INCEPTION_ERR_BACKEND);
        ck_assert_ptr_null(sp13);
        free(w13), free(b13);
    }
    unsetenv("INCEPTION_SIMD_WINO13");
    /* a misspelt value is an error, not silently the default */
    setenv("INCEPTION_SIMD_WINO3", "f3", 1);
    inception_conv_desc d = {16, 16, 3, 3, 1, 1, 1, 1, 1};
    float *w = falloc(16 * 16 * 9), *bias = falloc(16);
    void *sp = NULL;
    ck_assert_int_eq(be->conv_pack(be->user, &d, w, bias, &sp), INCEPTION_ERR_BACKEND);
    ck_assert_ptr_null(sp);
    free(w), free(bias);
    unsetenv("INCEPTION_SIMD_WINO3");
}
END_TEST

/* ---- pools ---- */

typedef struct pool_case {
    int kind; /* 0 max, 1 avg, 2 global avg */
    int n, h, w, c, kh, kw, sh, sw, ph, pw, cip;
    int in_off, in_extra, out_off, out_extra;
} pool_case;

static void run_pool(const inception_backend *be, const pool_case *pc,
                     const inception_pool_desc *d, const inception_view *in,
                     const inception_view *out, int32_t part, int32_t parts) {
    if (pc->kind == 0)
        be->max_pool(be->user, d, in, out, part, parts);
    else if (pc->kind == 1)
        be->avg_pool(be->user, d, in, out, part, parts);
    else
        be->global_avg_pool(be->user, in, out, part, parts);
}

static void check_pool(const inception_backend *be, const pool_case *pc) {
    const inception_backend *ref = ref_backend();
    inception_pool_desc d = {pc->kh, pc->kw, pc->sh, pc->sw, pc->ph, pc->pw, pc->cip};
    int oh = 1, ow = 1;
    if (pc->kind != 2) {
        oh = (pc->h + 2 * pc->ph - pc->kh) / pc->sh + 1;
        ow = (pc->w + 2 * pc->pw - pc->kw) / pc->sw + 1;
    }
    buf in = make_buf(pc->n, pc->h, pc->w, pc->c, pc->in_off, pc->in_extra);
    for (size_t i = 0; i < in.len; i++) in.mem[i] = frand();
    buf want = make_buf(pc->n, oh, ow, pc->c, pc->out_off, pc->out_extra);
    buf got = make_buf(pc->n, oh, ow, pc->c, pc->out_off, pc->out_extra);
    buf split = make_buf(pc->n, oh, ow, pc->c, pc->out_off, pc->out_extra);
    buf one = make_buf(pc->n, oh, ow, pc->c, pc->out_off, pc->out_extra);
    run_pool(ref, pc, &d, &in.v, &want.v, 0, 1);
    fill_guard(got.mem, got.len);
    run_pool(be, pc, &d, &in.v, &got.v, 0, 1);
    for (size_t i = 0; i < got.len; i++) {
        if (!in_slice(&got, i)) {
            ck_assert_msg(is_guard(got.mem[i]), "%s pool wrote outside its slice at %zu",
                          be->name, i);
            continue;
        }
        /* inputs are in [-1, 1): an average's rounding is bounded by a few ulps of 1 */
        double tol = pc->kind == 0 ? 0.0 : pc->kind == 1 ? 1e-6 : 4e-6;
        ck_assert_msg(fabs((double)got.mem[i] - want.mem[i]) <= tol,
                      "%s pool kind %d %dx%d s%d c %d: float %zu is %.9g, ref %.9g", be->name,
                      pc->kind, pc->kh, pc->kw, pc->sh, pc->c, i, got.mem[i], want.mem[i]);
    }
    for (size_t k = 0; k < sizeof part_counts / sizeof part_counts[0]; k++) {
        int32_t parts = part_counts[k];
        unsigned char *count = calloc(got.len, 1);
        ck_assert_ptr_nonnull(count);
        fill_guard(split.mem, split.len);
        for (int32_t part = 0; part < parts; part++) {
            fill_guard(one.mem, one.len);
            run_pool(be, pc, &d, &in.v, &one.v, part, parts);
            run_pool(be, pc, &d, &in.v, &split.v, part, parts);
            for (size_t i = 0; i < one.len; i++)
                if (!is_guard(one.mem[i])) count[i]++;
        }
        for (size_t i = 0; i < got.len; i++)
            ck_assert_msg(count[i] == (in_slice(&got, i) ? 1 : 0),
                          "%s pool parts=%d: float %zu written %d times", be->name, parts, i,
                          count[i]);
        ck_assert_msg(memcmp(split.mem, got.mem, got.len * sizeof(float)) == 0,
                      "%s pool kind %d: parts=%d differs from parts=1", be->name, pc->kind,
                      parts);
        free(count);
    }
    free(in.mem), free(want.mem), free(got.mem), free(split.mem), free(one.mem);
}

/* kind n h w c kh kw sh sw ph pw cip in_off in_extra out_off out_extra */
static const pool_case pool_cases[] = {
    {0, 1, 9, 9, 1, 3, 3, 2, 2, 0, 0, 0, 0, 0, 0, 0},       /* stem max 3x3 s2, odd */
    {0, 3, 10, 7, 17, 3, 3, 2, 2, 0, 0, 0, 1, 2, 3, 4},     /* batch 3, even/odd */
    {0, 1, 35, 35, 80, 3, 3, 2, 2, 0, 0, 0, 0, 0, 64, 32},  /* Mixed_6a's pool branch */
    {0, 1, 6, 5, 33, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 0},      /* padding never wins */
    {1, 1, 7, 6, 1001, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0},    /* InceptionA pool, counts pad */
    {1, 3, 5, 5, 17, 3, 3, 1, 1, 1, 1, 0, 2, 1, 0, 5},      /* TF rule: excludes pad */
    {1, 1, 17, 17, 3, 5, 5, 3, 3, 0, 0, 1, 0, 0, 0, 0},     /* aux head 5x5 s3 */
    {1, 1, 4, 4, 5, 3, 3, 2, 2, 1, 1, 1, 0, 0, 1, 1},       /* window past the padded edge */
    {2, 1, 8, 8, 2048, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},    /* head */
    {2, 3, 5, 3, 17, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 2},
    {2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {2, 1, 5, 5, 33, 0, 0, 0, 0, 0, 0, 0, 0, 16, 8, 0},
};

START_TEST(test_pool) {
    const inception_backend *be = level_backend(_i);
    if (!be) return;
    for (size_t i = 0; i < sizeof pool_cases / sizeof pool_cases[0]; i++)
        check_pool(be, &pool_cases[i]);
}
END_TEST

/* "simd" outranks ref and the fixed levels, so "auto" picks it; each fixed level only
 * claims to run where the CPU has it. */
START_TEST(test_probe) {
    const inception_backend *ref = ref_backend(), *simd = NULL, *avx2 = NULL, *avx512 = NULL;
    ck_assert_int_eq(inception_backend_get("simd", &simd), INCEPTION_OK);
    ck_assert_int_eq(inception_backend_get("simd-avx2", &avx2), INCEPTION_OK);
    ck_assert_int_eq(inception_backend_get("simd-avx512", &avx512), INCEPTION_OK);
    int32_t r = ref->probe ? ref->probe(ref->user) : 1;
    int32_t s = simd->probe(simd->user), a2 = avx2->probe(avx2->user);
    int32_t a5 = avx512->probe(avx512->user);
    if (a2 > 0) {
        ck_assert_int_gt(s, r);
        ck_assert_int_gt(s, a2);
        ck_assert_int_gt(s, a5);
    } else {
        ck_assert_int_le(s, 0);
        ck_assert_int_le(a5, 0);
    }
}
END_TEST

/* INCEPTION_SIMD_LEVEL=avx2 caps "simd" (read once per process, so only in a forked test). */
START_TEST(test_level_cap) {
    setenv("INCEPTION_SIMD_LEVEL", "avx2", 1);
    const inception_backend *simd = NULL, *avx2 = NULL;
    ck_assert_int_eq(inception_backend_get("simd", &simd), INCEPTION_OK);
    ck_assert_int_eq(inception_backend_get("simd-avx2", &avx2), INCEPTION_OK);
    if (avx2->probe(avx2->user) <= 0) {
        printf("kernels: skipping the level cap test: this CPU lacks AVX2\n");
        return;
    }
    ck_assert_int_eq(simd->probe(simd->user), 10);
}
END_TEST

int main(void) {
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("simd_vs_ref");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_conv, 0, N_LEVELS);
    tcase_add_loop_test(tc, test_pool, 0, N_LEVELS);
    tcase_add_test(tc, test_probe);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    if (srunner_fork_status(sr) != CK_NOFORK) {
        TCase *cap = tcase_create("level_cap");
        tcase_add_test(cap, test_level_cap);
        suite_add_tcase(s, cap);
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

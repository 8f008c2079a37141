/* int8-kernels suite (white-box: lib/backends/q8.h). The ref kernels against a naive
 * int64 oracle written here; every SIMD level this CPU runs against ref bit-exactly on
 * every conv geometry of Inception-v3 at small and odd sizes, odd channel counts, channel
 * slices, parts 1..5 (each output element written by exactly one part, nothing outside
 * the slice touched), saturation extremes, round-half-even ties and int32 wrap-around;
 * pools, quantize/dequantize and the pack errors. Levels the CPU lacks are reported as
 * skipped by name. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* setenv */
#endif
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/q8.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}
static int32_t rnd_range(int32_t lo, int32_t hi) { /* [lo, hi] */
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

typedef struct geom {
    const char *name;
    int32_t kh, kw, sh, sw, ph, pw;
} geom;

/* Every conv geometry of Inception-v3 (torchvision's), plus stride 2 with padding. */
static const geom geoms[] = {
    {"1x1", 1, 1, 1, 1, 0, 0},     {"3x3s2", 3, 3, 2, 2, 0, 0}, {"3x3p0", 3, 3, 1, 1, 0, 0},
    {"3x3p1", 3, 3, 1, 1, 1, 1},   {"5x5p2", 5, 5, 1, 1, 2, 2}, {"1x7p3", 1, 7, 1, 1, 0, 3},
    {"7x1p3", 7, 1, 1, 1, 3, 0},   {"1x3p1", 1, 3, 1, 1, 0, 1}, {"3x1p1", 3, 1, 1, 1, 1, 0},
    {"3x3s2p1", 3, 3, 2, 2, 1, 1}, {"1x1s2", 1, 1, 2, 2, 0, 0},
};
#define N_GEOMS (sizeof geoms / sizeof geoms[0])

typedef struct conv_case {
    inception_conv_desc d;
    int64_t n, h, w;
    int64_t in_ps, in_off, out_ps, out_off; /* slices: stride and first channel */
    int8_t *wt;
    int32_t *bias;
    float *m;
    uint8_t *in; /* n*h*w*in_ps */
    int64_t oh, ow;
} conv_case;

enum { W_FULL, W_7BIT, W_MAX, W_MIN, W_TIES };

static void case_init(conv_case *cc, const geom *g, int32_t cin, int32_t cout, int64_t n,
                      int64_t h, int64_t w, int relu, int wkind, int xkind) {
    memset(cc, 0, sizeof *cc);
    cc->d = (inception_conv_desc){cin, cout, g->kh, g->kw, g->sh, g->sw, g->ph, g->pw, relu};
    cc->n = n, cc->h = h, cc->w = w;
    cc->in_off = 3, cc->in_ps = cin + 5;
    cc->out_off = 2, cc->out_ps = cout + 7;
    cc->oh = (h + 2 * g->ph - g->kh) / g->sh + 1;
    cc->ow = (w + 2 * g->pw - g->kw) / g->sw + 1;
    size_t nw = (size_t)cout * g->kh * g->kw * cin;
    cc->wt = malloc(nw);
    cc->bias = malloc(cout * sizeof(int32_t));
    cc->m = malloc(cout * sizeof(float));
    size_t nin = (size_t)(n * h * w * cc->in_ps);
    cc->in = malloc(nin);
    ck_assert(cc->wt && cc->bias && cc->m && cc->in);
    for (size_t i = 0; i < nw; i++) {
        int32_t v = wkind == W_FULL   ? rnd_range(-128, 127)
                    : wkind == W_7BIT ? rnd_range(-64, 64)
                    : wkind == W_MAX  ? ((i % 3) ? 127 : -128)
                    : wkind == W_MIN  ? -128
                                      : rnd_range(-2, 2);
        cc->wt[i] = (int8_t)v;
    }
    for (size_t i = 0; i < nin; i++) cc->in[i] = xkind ? 255 : (uint8_t)(wkind == W_TIES ? rnd() % 4 : rnd());
    double K = (double)g->kh * g->kw * cin;
    for (int32_t o = 0; o < cout; o++) {
        cc->bias[o] = rnd_range(-30000, 30000);
        /* scales spread the outputs over 0..255 with some saturation at both ends */
        cc->m[o] = (float)(300.0 / (sqrt(K) * 11000.0) * (0.5 + (o % 5) * 0.4));
        if (wkind == W_TIES) cc->m[o] = (o % 2) ? 0.5f : 0.25f, cc->bias[o] = rnd_range(-3, 40);
        if (wkind == W_MAX || wkind == W_MIN) cc->m[o] = (o % 2) ? 1e-6f : 3e-7f;
    }
    if (cout > 2) cc->bias[cout - 1] = INT32_MAX - 5; /* wraps for positive sums, as ref */
}

static void case_free(conv_case *cc) {
    free(cc->wt), free(cc->bias), free(cc->m), free(cc->in);
}

static inc_q8_view in_view(const conv_case *cc) {
    return (inc_q8_view){cc->in + cc->in_off, cc->n, cc->h, cc->w, cc->d.in_channels, cc->in_ps};
}

/* The naive oracle: int64 sums taken mod 2^32, then the store of INT8_API.md. */
static int32_t naive_acc(const conv_case *cc, int64_t n, int64_t oy, int64_t ox, int32_t o) {
    const inception_conv_desc *d = &cc->d;
    int64_t s = cc->bias[o];
    for (int ky = 0; ky < d->kernel_h; ky++)
        for (int kx = 0; kx < d->kernel_w; kx++) {
            int64_t iy = oy * d->stride_h - d->pad_h + ky, ix = ox * d->stride_w - d->pad_w + kx;
            if (iy < 0 || iy >= cc->h || ix < 0 || ix >= cc->w) continue;
            const uint8_t *x = cc->in + cc->in_off + ((n * cc->h + iy) * cc->w + ix) * cc->in_ps;
            const int8_t *w = cc->wt + (((int64_t)o * d->kernel_h + ky) * d->kernel_w + kx) * d->in_channels;
            for (int c = 0; c < d->in_channels; c++) s += (int64_t)x[c] * w[c];
        }
    return (int32_t)(uint32_t)(uint64_t)s;
}

static uint8_t naive_u8(int32_t acc, float m) {
    float v = (float)acc * m;
    if (isnan(v) || v <= 0) return 0;
    if (v >= 255) return 255;
    return (uint8_t)lrintf(v);
}

/* Runs parts 0..parts-1 of a uint8 conv, each into two buffers poisoned 0x00 and 0xff: an
 * element is written by a part iff both agree. Checks that each element inside the slice
 * is written by exactly one part, nothing outside it by any, and returns the result. */
static uint8_t *run_u8_parts(const void *pk, const conv_case *cc, int32_t parts) {
    size_t nout = (size_t)(cc->n * cc->oh * cc->ow * cc->out_ps);
    uint8_t *res = malloc(nout), *a = malloc(nout), *b = malloc(nout);
    uint8_t *owners = calloc(nout, 1);
    ck_assert(res && a && b && owners);
    memset(res, 0x5a, nout);
    inc_q8_view in = in_view(cc);
    size_t ss = inc_q8_conv_scratch(pk, &in, parts);
    void *scratch = ss ? aligned_alloc(64, (ss + 63) / 64 * 64) : NULL;
    for (int32_t part = 0; part < parts; part++) {
        memset(a, 0x00, nout);
        memset(b, 0xff, nout);
        inc_q8_view oa = {a + cc->out_off, cc->n, cc->oh, cc->ow, cc->d.out_channels, cc->out_ps};
        inc_q8_view ob = oa;
        ob.data = b + cc->out_off;
        inc_q8_conv_run(pk, &in, &oa, part, parts, scratch);
        inc_q8_conv_run(pk, &in, &ob, part, parts, scratch);
        for (size_t i = 0; i < nout; i++)
            if (a[i] == b[i]) owners[i]++, res[i] = a[i];
    }
    for (size_t i = 0; i < nout; i++) {
        int64_t c = (int64_t)(i % (size_t)cc->out_ps) - cc->out_off;
        int inside = c >= 0 && c < cc->d.out_channels;
        ck_assert_msg(owners[i] == (inside ? 1 : 0),
                      "%s parts=%d: byte %zu (channel %lld) written %d times",
                      inc_q8_conv_kernel(pk), (int)parts, i, (long long)c, owners[i]);
    }
    free(scratch), free(a), free(b), free(owners);
    return res;
}

static const uint32_t GUARD = 0x7fc0beefu;
static float *run_f32_parts(const void *pk, const conv_case *cc, int32_t parts) {
    size_t nout = (size_t)(cc->n * cc->oh * cc->ow * cc->out_ps);
    float *res = malloc(nout * sizeof(float));
    uint8_t *owners = calloc(nout, 1);
    ck_assert(res && owners);
    for (size_t i = 0; i < nout; i++) memcpy(&res[i], &GUARD, 4);
    inc_q8_view in = in_view(cc);
    size_t ss = inc_q8_conv_scratch(pk, &in, parts);
    void *scratch = ss ? aligned_alloc(64, (ss + 63) / 64 * 64) : NULL;
    float *buf = malloc(nout * sizeof(float));
    for (int32_t part = 0; part < parts; part++) {
        for (size_t i = 0; i < nout; i++) memcpy(&buf[i], &GUARD, 4);
        inception_view o = {buf + cc->out_off, cc->n, cc->oh, cc->ow, cc->d.out_channels, cc->out_ps};
        inc_q8_conv_run_f32(pk, &in, &o, part, parts, scratch);
        for (size_t i = 0; i < nout; i++)
            if (memcmp(&buf[i], &GUARD, 4)) owners[i]++, res[i] = buf[i];
    }
    for (size_t i = 0; i < nout; i++) {
        int64_t c = (int64_t)(i % (size_t)cc->out_ps) - cc->out_off;
        int inside = c >= 0 && c < cc->d.out_channels;
        ck_assert_msg(owners[i] == (inside ? 1 : 0), "%s f32 parts=%d: float %zu written %d times",
                      inc_q8_conv_kernel(pk), (int)parts, i, owners[i]);
    }
    free(scratch), free(buf), free(owners);
    return res;
}

static void *pack(const conv_case *cc, const char *level) {
    void *pk = NULL;
    inception_status st = inc_q8_conv_pack(&cc->d, cc->wt, cc->bias, cc->m, level, &pk);
    ck_assert_msg(st == INCEPTION_OK, "pack %s: status %d", level, (int)st);
    ck_assert_str_eq(inc_q8_conv_level(pk), level);
    return pk;
}

/* ref against the naive oracle, on every geometry (uint8 and float stores). */
START_TEST(test_ref_oracle) {
    for (size_t gi = 0; gi < N_GEOMS; gi++) {
        conv_case cc;
        case_init(&cc, &geoms[gi], 13, 11, 2, 9, 7, 1, gi % 2 ? W_FULL : W_TIES, 0);
        void *pk = pack(&cc, "ref");
        uint8_t *r = run_u8_parts(pk, &cc, 1);
        float *rf = run_f32_parts(pk, &cc, 2);
        for (int64_t n = 0; n < cc.n; n++)
            for (int64_t y = 0; y < cc.oh; y++)
                for (int64_t x = 0; x < cc.ow; x++)
                    for (int32_t o = 0; o < cc.d.out_channels; o++) {
                        int32_t acc = naive_acc(&cc, n, y, x, o);
                        size_t i = (size_t)(((n * cc.oh + y) * cc.ow + x) * cc.out_ps + cc.out_off + o);
                        ck_assert_msg(r[i] == naive_u8(acc, cc.m[o]), "%s: ref %d, oracle %d",
                                      geoms[gi].name, r[i], naive_u8(acc, cc.m[o]));
                        float fv = (float)acc * cc.m[o];
                        if (!(fv > 0)) fv = 0;
                        ck_assert_msg(memcmp(&rf[i], &fv, 4) == 0, "%s f32: %g vs %g",
                                      geoms[gi].name, rf[i], fv);
                    }
        free(r), free(rf);
        inc_q8_conv_release(pk);
        case_free(&cc);
    }
}
END_TEST

static int n_7bit, n_exact; /* avx2 comparisons per variant */

static int compare_level(const char *level, const conv_case *cc, int32_t parts, int f32,
                         const char *what) {
    void *pr = pack(cc, "ref"), *pl = pack(cc, level);
    if (!strcmp(level, "avx2")) { /* the 7-bit variant exactly when every |w| <= 64 */
        size_t nw = (size_t)cc->d.out_channels * cc->d.kernel_h * cc->d.kernel_w * cc->d.in_channels;
        int small = 1;
        for (size_t i = 0; i < nw; i++) small &= cc->wt[i] >= -64 && cc->wt[i] <= 64;
        ck_assert_str_eq(inc_q8_conv_kernel(pl), small ? "avx2-7bit" : "avx2-exact");
        if (small) n_7bit++;
        else n_exact++;
    }
    size_t nout = (size_t)(cc->n * cc->oh * cc->ow * cc->out_ps);
    if (!f32) {
        uint8_t *r = run_u8_parts(pr, cc, 1), *l = run_u8_parts(pl, cc, parts);
        for (size_t i = 0; i < nout; i++)
            ck_assert_msg(r[i] == l[i], "%s (%s) %s %dx%d->%d parts %d: byte %zu ref %d got %d",
                          level, inc_q8_conv_kernel(pl), what, (int)cc->d.in_channels,
                          (int)cc->d.kernel_w, (int)cc->d.out_channels, (int)parts, i, r[i], l[i]);
        free(r), free(l);
    } else {
        float *r = run_f32_parts(pr, cc, 1), *l = run_f32_parts(pl, cc, parts);
        for (size_t i = 0; i < nout; i++)
            ck_assert_msg(memcmp(&r[i], &l[i], 4) == 0, "%s (%s) %s f32 parts %d: %zu ref %g got %g",
                          level, inc_q8_conv_kernel(pl), what, (int)parts, i, r[i], l[i]);
        free(r), free(l);
    }
    inc_q8_conv_release(pr);
    inc_q8_conv_release(pl);
    return 1;
}

static const char *const all_levels[] = {"avx2", "avxvnni", "avx512vnni"};

static int level_present(const char *name) {
    int32_t n;
    const char *const *lv = inc_q8_levels(&n);
    for (int32_t i = 0; i < n; i++)
        if (!strcmp(lv[i], name)) return 1;
    return 0;
}

/* Every geometry x channel shapes x sizes x weight kinds x parts, against ref. */
START_TEST(test_levels) {
    const char *level = all_levels[_i];
    if (!level_present(level)) {
        printf("%s: skipped (CPU lacks it)\n", level);
        void *pk = NULL;
        conv_case cc;
        case_init(&cc, &geoms[0], 4, 4, 1, 2, 2, 1, W_FULL, 0);
        ck_assert_int_eq(inc_q8_conv_pack(&cc.d, cc.wt, cc.bias, cc.m, level, &pk),
                         INCEPTION_ERR_NOT_FOUND);
        ck_assert_ptr_null(pk);
        case_free(&cc);
        return;
    }
    static const int32_t chans[][2] = {{13, 19}, {64, 48}, {35, 37}, {3, 1}, {96, 33}};
    static const int64_t sizes[][3] = {{1, 9, 9}, {1, 5, 7}, {2, 8, 8}, {1, 17, 17}};
    int runs = 0;
    for (size_t gi = 0; gi < N_GEOMS; gi++)
        for (size_t ci = 0; ci < sizeof chans / sizeof chans[0]; ci++) {
            /* 17x17 only with the wide channel pairs, to stay fast */
            for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
                if (si == 3 && ci != 1 && ci != 4) continue;
                const int64_t *sz = sizes[si];
                int wkind = (gi + ci + si) % 2 ? W_FULL : W_7BIT;
                conv_case cc;
                case_init(&cc, &geoms[gi], chans[ci][0], chans[ci][1], sz[0], sz[1], sz[2],
                          (int)((gi + si) % 2 == 0 || ci != 2), wkind, 0);
                int32_t parts = (int32_t)(1 + (gi + ci + si) % 5);
                compare_level(level, &cc, parts, 0, geoms[gi].name);
                if (si == 1) compare_level(level, &cc, 1 + (parts % 5), 1, geoms[gi].name);
                runs++;
                case_free(&cc);
            }
        }
    /* parts 1..5 on a shape split by blocks (small grid) and one split by pixels. */
    for (int32_t parts = 1; parts <= 5; parts++) {
        conv_case cc;
        case_init(&cc, &geoms[0], 64, 160, 1, 8, 8, 1, W_FULL, 0);
        compare_level(level, &cc, parts, 0, "parts-blocks");
        compare_level(level, &cc, parts, 1, "parts-blocks");
        case_free(&cc);
        case_init(&cc, &geoms[3], 20, 24, 1, 35, 35, 1, W_7BIT, 0);
        compare_level(level, &cc, parts, 0, "parts-pixels");
        case_free(&cc);
    }
    printf("%s: %d conv shapes bit-exact against ref\n", level, runs);
    if (!strcmp(level, "avx2")) {
        printf("avx2: %d comparisons on the exact variant, %d on the 7-bit one\n", n_exact, n_7bit);
        ck_assert_int_gt(n_exact, 0);
        ck_assert_int_gt(n_7bit, 0);
    }
}
END_TEST

/* All-255 inputs with extreme weights: the largest sums (and vpmaddubsw's saturation
 * range on the 7-bit path: +-64), ties of round-half-even. */
START_TEST(test_extremes) {
    const char *level = all_levels[_i];
    if (!level_present(level)) {
        printf("%s: skipped (CPU lacks it)\n", level);
        return;
    }
    const int kinds[] = {W_MAX, W_MIN, W_7BIT, W_FULL};
    for (size_t k = 0; k < 4; k++)
        for (size_t gi = 0; gi < N_GEOMS; gi += 2) {
            conv_case cc;
            case_init(&cc, &geoms[gi], 288, 21, 1, 7, 9, 1, kinds[k], 1);
            if (kinds[k] == W_7BIT) /* exactly the 7-bit bound: +-64 everywhere */
                for (size_t i = 0; i < (size_t)21 * geoms[gi].kh * geoms[gi].kw * 288; i++)
                    cc.wt[i] = (int8_t)(i % 2 ? 64 : -64);
            compare_level(level, &cc, 2, 0, "extreme");
            compare_level(level, &cc, 3, 1, "extreme");
            case_free(&cc);
        }
    for (size_t gi = 0; gi < N_GEOMS; gi++) {
        conv_case cc;
        case_init(&cc, &geoms[gi], 7, 10, 1, 6, 5, 1, W_TIES, 0);
        compare_level(level, &cc, 1, 0, "ties");
        case_free(&cc);
    }
}
END_TEST

/* The pools against a naive version written here. */
static void naive_pool(const inception_pool_desc *d, const inc_q8_view *in, const inc_q8_view *out,
                       int is_max, uint8_t *expect) {
    for (int64_t n = 0; n < out->n; n++)
        for (int64_t oy = 0; oy < out->h; oy++)
            for (int64_t ox = 0; ox < out->w; ox++)
                for (int64_t c = 0; c < out->c; c++) {
                    int32_t best = -1, sum = 0, cnt = 0, padded = 0;
                    for (int ky = 0; ky < d->kernel_h; ky++)
                        for (int kx = 0; kx < d->kernel_w; kx++) {
                            int64_t iy = oy * d->stride_h - d->pad_h + ky;
                            int64_t ix = ox * d->stride_w - d->pad_w + kx;
                            if (iy < in->h + d->pad_h && ix < in->w + d->pad_w) padded++;
                            if (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w) continue;
                            uint8_t v = in->data[((n * in->h + iy) * in->w + ix) * in->pixel_stride + c];
                            best = v > best ? v : best, sum += v, cnt++;
                        }
                    int32_t div = d->count_include_pad ? padded : cnt;
                    uint8_t r = is_max ? (uint8_t)best : (uint8_t)lrintf((float)sum / (float)div);
                    expect[((n * out->h + oy) * out->w + ox) * out->pixel_stride + c] = r;
                }
}

START_TEST(test_pools) {
    static const inception_pool_desc pools[] = {
        {3, 3, 2, 2, 0, 0, 0}, {3, 3, 1, 1, 1, 1, 1}, {3, 3, 1, 1, 1, 1, 0}, {2, 2, 2, 2, 1, 1, 0}};
    for (size_t pi = 0; pi < 4; pi++)
        for (int is_max = 0; is_max < 2; is_max++)
            for (int32_t parts = 1; parts <= 5; parts += 2) {
                const inception_pool_desc *d = &pools[pi];
                int64_t n = 2, h = 9, w = 7, c = 37, ps = 41;
                int64_t oh = (h + 2 * d->pad_h - d->kernel_h) / d->stride_h + 1;
                int64_t ow = (w + 2 * d->pad_w - d->kernel_w) / d->stride_w + 1;
                uint8_t *x = malloc((size_t)(n * h * w * ps)), *y = malloc((size_t)(n * oh * ow * ps));
                uint8_t *e = malloc((size_t)(n * oh * ow * ps));
                for (int64_t i = 0; i < n * h * w * ps; i++) x[i] = (uint8_t)(pi == 3 ? rnd() % 4 : rnd());
                memset(y, 0xa5, (size_t)(n * oh * ow * ps));
                memset(e, 0xa5, (size_t)(n * oh * ow * ps));
                inc_q8_view in = {x + 1, n, h, w, c, ps}, out = {y + 2, n, oh, ow, c, ps};
                inc_q8_view eo = out;
                eo.data = e + 2;
                naive_pool(d, &in, &eo, is_max, e + 2);
                for (int32_t part = 0; part < parts; part++)
                    (is_max ? inc_q8_max_pool : inc_q8_avg_pool)(d, &in, &out, part, parts);
                ck_assert_msg(memcmp(y, e, (size_t)(n * oh * ow * ps)) == 0,
                              "pool %zu max %d parts %d differs", pi, is_max, (int)parts);
                free(x), free(y), free(e);
            }
}
END_TEST

START_TEST(test_quantize) {
    float xs[] = {-1.0f, 0.0f, 0.5f, 1.5f, 2.5f, 3.49f, 254.5f, 255.4f, 300.0f, INFINITY,
                  -INFINITY, NAN, 127.5f, 128.5f};
    uint8_t want[] = {0, 0, 0, 2, 2, 3, 254, 255, 255, 255, 0, 0, 128, 128};
    int64_t c = (int64_t)(sizeof xs / sizeof xs[0]);
    float buf[3 * 16];
    for (int p = 0; p < 3; p++) memcpy(buf + p * 16, xs, sizeof xs);
    uint8_t q[3 * 20];
    memset(q, 0xee, sizeof q);
    inception_view fin = {buf, 1, 1, 3, c, 16};
    inc_q8_view qout = {q, 1, 1, 3, c, 20};
    for (int32_t part = 0; part < 2; part++) inc_q8_quantize(&fin, 1.0f, &qout, part, 2);
    for (int p = 0; p < 3; p++) {
        for (int64_t i = 0; i < c; i++)
            ck_assert_msg(q[p * 20 + i] == want[i], "quantize(%g) = %d, want %d", xs[i],
                          q[p * 20 + i], want[i]);
        for (int64_t i = c; i < 20; i++) ck_assert_int_eq(q[p * 20 + i], 0xee);
    }
    /* 37 channels: the 16-wide path twice, then the scalar tail, each on every value */
    {
        enum { C = 37 };
        float wide[C];
        uint8_t qw[C + 3], ww[C];
        for (int i = 0; i < C; i++) wide[i] = xs[(i * 5) % c], ww[i] = want[(i * 5) % c];
        memset(qw, 0xee, sizeof qw);
        inception_view fw = {wide, 1, 1, 1, C, C};
        inc_q8_view qwv = {qw, 1, 1, 1, C, C};
        inc_q8_quantize(&fw, 1.0f, &qwv, 0, 1);
        for (int i = 0; i < C; i++)
            ck_assert_msg(qw[i] == ww[i], "quantize(%g) at channel %d = %d, want %d", wide[i], i,
                          qw[i], ww[i]);
        for (int i = C; i < C + 3; i++) ck_assert_int_eq(qw[i], 0xee);
    }
    /* scale applies before rounding */
    float half = 1.0f;
    uint8_t one;
    inception_view f1 = {&half, 1, 1, 1, 1, 1};
    inc_q8_view q1 = {&one, 1, 1, 1, 1, 1};
    inc_q8_quantize(&f1, 2.5f, &q1, 0, 1);
    ck_assert_int_eq(one, 2);
    /* dequantize */
    float d[3 * 16];
    for (int i = 0; i < 48; i++) d[i] = -7.0f;
    inception_view dout = {d, 1, 1, 3, c, 16};
    for (int32_t part = 0; part < 3; part++) inc_q8_dequantize(&qout, 0.125f, &dout, part, 3);
    for (int p = 0; p < 3; p++) {
        for (int64_t i = 0; i < c; i++) ck_assert(d[p * 16 + i] == (float)want[i] * 0.125f);
        ck_assert(d[p * 16 + 15] == -7.0f);
    }
}
END_TEST

START_TEST(test_pack_errors) {
    inception_conv_desc d = {8, 8, 3, 3, 1, 1, 1, 1, 1};
    int8_t w[8 * 9 * 8] = {0};
    int32_t b[8] = {0};
    float m[8] = {0};
    void *pk = (void *)1;
    ck_assert_int_eq(inc_q8_conv_pack(NULL, w, b, m, NULL, &pk), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(pk);
    ck_assert_int_eq(inc_q8_conv_pack(&d, NULL, b, m, NULL, &pk), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inc_q8_conv_pack(&d, w, b, m, "avx3", &pk), INCEPTION_ERR_NOT_FOUND);
    inception_conv_desc bad = d;
    bad.in_channels = 0;
    ck_assert_int_eq(inc_q8_conv_pack(&bad, w, b, m, NULL, &pk), INCEPTION_ERR_INVALID_ARGUMENT);
    bad = d, bad.stride_h = 0;
    ck_assert_int_eq(inc_q8_conv_pack(&bad, w, b, m, NULL, &pk), INCEPTION_ERR_INVALID_ARGUMENT);
    bad = d, bad.pad_w = 3;
    ck_assert_int_eq(inc_q8_conv_pack(&bad, w, b, m, NULL, &pk), INCEPTION_ERR_INVALID_ARGUMENT);
    bad = d, bad.relu = 2;
    ck_assert_int_eq(inc_q8_conv_pack(&bad, w, b, m, NULL, &pk), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inc_q8_conv_pack(&d, w, b, m, NULL, &pk), INCEPTION_OK);
    int32_t n;
    const char *const *lv = inc_q8_levels(&n);
    ck_assert_int_ge(n, 1);
    ck_assert_str_eq(lv[0], "ref");
    /* NULL picks the best level present (the last one listed) */
    ck_assert_str_eq(inc_q8_conv_level(pk), lv[n - 1]);
    inc_q8_conv_release(pk);
    inc_q8_conv_release(NULL);
    printf("levels present:");
    for (int32_t i = 0; i < n; i++) printf(" %s", lv[i]);
    printf("\n");
}
END_TEST

/* INCEPTION_Q8_AVX2=exact forces the exact AVX2 variant on 7-bit weights (for measuring). */
START_TEST(test_force_exact) {
    if (!level_present("avx2")) {
        printf("avx2: skipped (CPU lacks it)\n");
        return;
    }
    conv_case cc;
    case_init(&cc, &geoms[3], 21, 19, 1, 6, 7, 1, W_7BIT, 0);
    setenv("INCEPTION_Q8_AVX2", "exact", 1);
    void *pk = pack(&cc, "avx2");
    unsetenv("INCEPTION_Q8_AVX2");
    ck_assert_str_eq(inc_q8_conv_kernel(pk), "avx2-exact");
    uint8_t *got = run_u8_parts(pk, &cc, 2);
    void *pr = pack(&cc, "ref");
    uint8_t *want = run_u8_parts(pr, &cc, 1);
    ck_assert(memcmp(got, want, (size_t)(cc.oh * cc.ow * cc.out_ps)) == 0);
    free(got), free(want);
    inc_q8_conv_release(pk);
    inc_q8_conv_release(pr);
    case_free(&cc);
}
END_TEST

int main(void) {
    Suite *s = suite_create("int8-kernels");
    TCase *tc = tcase_create("q8");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_pack_errors);
    tcase_add_test(tc, test_ref_oracle);
    tcase_add_loop_test(tc, test_levels, 0, 3);
    tcase_add_loop_test(tc, test_extremes, 0, 3);
    tcase_add_test(tc, test_pools);
    tcase_add_test(tc, test_quantize);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    if (srunner_fork_status(sr) != CK_NOFORK) { /* it sets an environment variable */
        TCase *env = tcase_create("env");
        tcase_add_test(env, test_force_exact);
        suite_add_tcase(s, env);
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

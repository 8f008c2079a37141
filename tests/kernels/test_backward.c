/* Backward suite (white-box: reaches the training tables through inc_backend_train_ops):
 *  - every backward kernel of every backend and ISA level this CPU runs against double
 *    precision: central finite differences of the scalar loss sum(dy * y(x, W)) on tiny
 *    shapes, and the direct (scatter) formula in double on the rest;
 *  - simd against ref on every convolution shape of Inception-v3 at small sizes, odd channel
 *    counts, channel slices (pixel_stride > c), accumulate 0 and 1, parts 1..5: each element
 *    written exactly once (the output is poisoned first), nothing outside the slice, and
 *    results bit-identical for every parts count (the kernels claim it);
 *  - inception_backend_register_train's checks and fill-in.
 * Levels the CPU lacks are reported as skipped by name. */
#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/registry.h"
#include "inception/backend.h"
#define KT_SEED 0x9e3779b97f4a7c15ull
#include "kernel_test.h"

static const char *const backends[] = {"ref", "simd-avx2", "simd-avx512", "simd"};
#define N_BACKENDS 4

static void *scratch_alloc(size_t bytes) {
    if (!bytes) return NULL;
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    ck_assert_ptr_nonnull(p);
    memset(p, 0xa5, bytes); /* undefined contents: make them not zero */
    return p;
}

/* The backend's table and its training table, or 0 (with a message) when this CPU lacks
 * the level. */
static int get_backend(int i, const inception_backend **be, const inception_backend_train **tr) {
    ck_assert_int_eq(inception_backend_get(backends[i], be), INCEPTION_OK);
    int32_t score = (*be)->probe ? (*be)->probe((*be)->user) : 1;
    if (score <= 0) {
        printf("backward: skipping %s: this CPU lacks it\n", backends[i]);
        return 0;
    }
    *tr = inc_backend_train_ops(*be);
    ck_assert_ptr_nonnull(*tr);
    return 1;
}

static const inception_backend_train *ref_train(void) {
    const inception_backend *be;
    ck_assert_int_eq(inception_backend_get("ref", &be), INCEPTION_OK);
    return inc_backend_train_ops(be);
}

/* A tensor buffer with a view inside it: the view's channels start `off` floats into each
 * pixel, with `extra` spare floats after them. */
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

static int in_slice(const buf *b, size_t i) {
    size_t off = (size_t)(b->v.data - b->mem), ps = (size_t)b->v.pixel_stride;
    size_t ch = i % ps;
    return ch >= off && ch < off + (size_t)b->v.c;
}

static float *at(const inception_view *v, int64_t n, int64_t y, int64_t x) {
    return v->data + ((n * v->h + y) * v->w + x) * v->pixel_stride;
}

static void fill_rand(buf *b) {
    for (size_t i = 0; i < b->len; i++) b->mem[i] = frand();
}

/* ---- double-precision references ---- */

typedef struct conv_case {
    int n, h, w, cin, cout, kh, kw, sh, sw, ph, pw;
} conv_case;

static int out_size(int in, int k, int s, int p) { return (in + 2 * p - k) / s + 1; }

static inception_conv_desc conv_desc(const conv_case *c) {
    inception_conv_desc d = {c->cin, c->cout, c->kh, c->kw, c->sh, c->sw, c->ph, c->pw, 0};
    return d;
}

/* sum over everything of dy * conv(x, W), in double; with `absolute`, of |dy| |x| |W|. */
static double conv_loss(const conv_case *c, const inception_view *x, const double *w,
                        const inception_view *dy) {
    double s = 0;
    for (int64_t n = 0; n < dy->n; n++)
        for (int64_t oy = 0; oy < dy->h; oy++)
            for (int64_t ox = 0; ox < dy->w; ox++)
                for (int ky = 0; ky < c->kh; ky++) {
                    int64_t iy = oy * c->sh - c->ph + ky;
                    if (iy < 0 || iy >= x->h) continue;
                    for (int kx = 0; kx < c->kw; kx++) {
                        int64_t ix = ox * c->sw - c->pw + kx;
                        if (ix < 0 || ix >= x->w) continue;
                        const float *px = at(x, n, iy, ix), *g = at(dy, n, oy, ox);
                        for (int co = 0; co < c->cout; co++)
                            for (int ci = 0; ci < c->cin; ci++)
                                s += (double)g[co] * px[ci] *
                                     w[((size_t)(co * c->kh + ky) * c->kw + kx) * c->cin + ci];
                    }
                }
    return s;
}

/* The gradients by the scatter formula, in double (an order unlike the kernels'), and
 * the same sums over absolute values (the scale their rounding error is measured against). */
static void conv_grads(const conv_case *c, const inception_view *x, const float *w,
                       const inception_view *dy, double *dx, double *dxa, double *dw,
                       double *dwa) {
    size_t nx = (size_t)(x->n * x->h * x->w * c->cin);
    size_t nw = (size_t)c->cout * c->kh * c->kw * c->cin;
    memset(dx, 0, nx * sizeof *dx), memset(dxa, 0, nx * sizeof *dxa);
    memset(dw, 0, nw * sizeof *dw), memset(dwa, 0, nw * sizeof *dwa);
    for (int64_t n = 0; n < dy->n; n++)
        for (int64_t oy = 0; oy < dy->h; oy++)
            for (int64_t ox = 0; ox < dy->w; ox++)
                for (int ky = 0; ky < c->kh; ky++) {
                    int64_t iy = oy * c->sh - c->ph + ky;
                    if (iy < 0 || iy >= x->h) continue;
                    for (int kx = 0; kx < c->kw; kx++) {
                        int64_t ix = ox * c->sw - c->pw + kx;
                        if (ix < 0 || ix >= x->w) continue;
                        const float *px = at(x, n, iy, ix), *g = at(dy, n, oy, ox);
                        size_t xi = (size_t)(((n * x->h + iy) * x->w + ix) * c->cin);
                        for (int co = 0; co < c->cout; co++) {
                            size_t wi = ((size_t)(co * c->kh + ky) * c->kw + kx) * c->cin;
                            for (int ci = 0; ci < c->cin; ci++) {
                                dx[xi + ci] += (double)g[co] * w[wi + ci];
                                dxa[xi + ci] += fabs((double)g[co] * w[wi + ci]);
                                dw[wi + ci] += (double)g[co] * px[ci];
                                dwa[wi + ci] += fabs((double)g[co] * px[ci]);
                            }
                        }
                    }
                }
}

static void run_data(const inception_backend_train *tr, const inception_conv_desc *d,
                     const float *w, const inception_view *dy, const inception_view *dx,
                     int accumulate, int32_t part, int32_t parts) {
    size_t sz = tr->conv_backward_data_scratch(tr->user, d, dy, dx, parts);
    void *s = scratch_alloc(sz);
    tr->conv_backward_data(tr->user, d, w, dy, dx, accumulate, part, parts, s);
    free(s);
}

static void run_weights(const inception_backend_train *tr, const inception_conv_desc *d,
                        const inception_view *x, const inception_view *dy, float *dw,
                        int32_t part, int32_t parts) {
    size_t sz = tr->conv_backward_weights_scratch(tr->user, d, x, dy, parts);
    void *s = scratch_alloc(sz);
    tr->conv_backward_weights(tr->user, d, x, dy, dw, part, parts, s);
    free(s);
}

/* ---- finite differences on tiny shapes ---- */

static const conv_case fd_cases[] = {
    {2, 5, 5, 3, 4, 3, 3, 1, 1, 1, 1},  /* 3x3 pad 1 */
    {1, 7, 6, 2, 3, 3, 3, 2, 2, 0, 0},  /* 3x3 stride 2, odd sizes */
    {1, 6, 5, 3, 2, 3, 3, 1, 1, 0, 0},  /* 3x3 pad 0 */
    {1, 4, 9, 2, 3, 1, 7, 1, 1, 0, 3},  /* 1x7 */
    {1, 9, 4, 3, 2, 7, 1, 1, 1, 3, 0},  /* 7x1 */
    {2, 3, 5, 2, 3, 1, 3, 1, 1, 0, 1},  /* 1x3 */
    {1, 5, 3, 3, 2, 3, 1, 1, 1, 1, 0},  /* 3x1 */
    {1, 6, 6, 2, 3, 5, 5, 1, 1, 2, 2},  /* 5x5 pad 2 */
    {2, 3, 3, 5, 17, 1, 1, 1, 1, 0, 0}, /* 1x1 */
    {1, 5, 5, 3, 2, 5, 5, 1, 1, 0, 0},  /* 5x5 valid (the aux head's) */
    {1, 8, 7, 2, 2, 3, 3, 2, 2, 1, 1},  /* 3x3 stride 2 pad 1 */
    {1, 5, 6, 3, 2, 1, 1, 2, 2, 0, 0},  /* 1x1 stride 2: dx pixels no tap reaches */
};

/* Central differences of the loss, which is linear in each variable, so h = 1 and the
 * quotient is exact but for rounding in double. */
static void check_fd_case(int bi, const inception_backend_train *tr, const conv_case *c) {
    inception_conv_desc d = conv_desc(c);
    int oh = out_size(c->h, c->kh, c->sh, c->ph), ow = out_size(c->w, c->kw, c->sw, c->pw);
    size_t nw = (size_t)c->cout * c->kh * c->kw * c->cin;
    buf x = make_buf(c->n, c->h, c->w, c->cin, 0, 0), dy = make_buf(c->n, oh, ow, c->cout, 0, 0);
    buf dx = make_buf(c->n, c->h, c->w, c->cin, 0, 0);
    fill_rand(&x), fill_rand(&dy);
    float *w = falloc(nw), *dw = falloc(nw);
    double *wd = malloc(nw * sizeof *wd);
    ck_assert_ptr_nonnull(wd);
    for (size_t i = 0; i < nw; i++) w[i] = frand(), wd[i] = w[i];

    run_data(tr, &d, w, &dy.v, &dx.v, 0, 0, 1);
    run_weights(tr, &d, &x.v, &dy.v, dw, 0, 1);

    for (size_t i = 0; i < x.len; i++) {
        float keep = x.mem[i];
        x.mem[i] = keep + 1.0f;
        double lp = conv_loss(c, &x.v, wd, &dy.v);
        x.mem[i] = keep - 1.0f;
        double lm = conv_loss(c, &x.v, wd, &dy.v);
        x.mem[i] = keep;
        double fd = (lp - lm) / 2.0;
        ck_assert_msg(fabs(dx.mem[i] - fd) <= 1e-5 * (1 + fabs(fd)) * c->cout * c->kh * c->kw,
                      "%s dx %dx%d s%d: [%zu] %.9g, finite difference %.9g", backends[bi], c->kh,
                      c->kw, c->sh, i, dx.mem[i], fd);
    }
    for (size_t i = 0; i < nw; i++) {
        wd[i] = w[i] + 1.0;
        double lp = conv_loss(c, &x.v, wd, &dy.v);
        wd[i] = w[i] - 1.0;
        double lm = conv_loss(c, &x.v, wd, &dy.v);
        wd[i] = w[i];
        double fd = (lp - lm) / 2.0;
        ck_assert_msg(fabs(dw[i] - fd) <= 1e-5 * (1 + fabs(fd)) * c->n * oh * ow,
                      "%s dW %dx%d s%d: [%zu] %.9g, finite difference %.9g", backends[bi], c->kh,
                      c->kw, c->sh, i, dw[i], fd);
    }
    free(x.mem), free(dy.mem), free(dx.mem), free(w), free(dw), free(wd);
}

START_TEST(test_conv_fd) {
    const inception_backend *be;
    const inception_backend_train *tr;
    if (!get_backend(_i, &be, &tr)) return;
    for (size_t k = 0; k < sizeof fd_cases / sizeof fd_cases[0]; k++)
        check_fd_case(_i, tr, &fd_cases[k]);
}
END_TEST

/* ---- pools: finite differences (max: distinct values, so h small keeps the argmax) ---- */

typedef struct pool_case {
    int n, h, w, c, kh, kw, sh, sw, ph, pw, cip;
} pool_case;

static const pool_case pool_cases[] = {
    {2, 7, 7, 3, 3, 3, 2, 2, 0, 0, 0}, /* the stem's and reductions' max pool */
    {1, 6, 5, 4, 3, 3, 1, 1, 1, 1, 1}, /* the blocks' avg pool, padding counted */
    {1, 6, 5, 4, 3, 3, 1, 1, 1, 1, 0}, /* ... and not */
    {1, 8, 8, 2, 5, 5, 3, 3, 0, 0, 1}, /* the aux head's 5x5 stride 3 */
    {1, 7, 6, 3, 3, 3, 2, 2, 1, 1, 0}, /* padding with stride 2 */
    {1, 5, 4, 2, 2, 3, 2, 1, 1, 1, 1}, /* asymmetric window */
    {1, 5, 5, 70, 3, 3, 2, 2, 0, 0, 0}, /* more channels than ref's max pool pass */
    {1, 3, 37, 2, 3, 3, 2, 2, 0, 0, 0}, /* rows wider than simd's tile of dx pixels */
    {1, 3, 35, 2, 3, 3, 1, 1, 1, 1, 0},
};

static void pool_forward(const pool_case *p, int is_max, const inception_view *x,
                         const inception_view *y) {
    const inception_backend *ref;
    ck_assert_int_eq(inception_backend_get("ref", &ref), INCEPTION_OK);
    inception_pool_desc d = {p->kh, p->kw, p->sh, p->sw, p->ph, p->pw, p->cip};
    if (is_max)
        ref->max_pool(ref->user, &d, x, y, 0, 1);
    else
        ref->avg_pool(ref->user, &d, x, y, 0, 1);
}

static double pool_loss(const pool_case *p, int is_max, const inception_view *x,
                        const buf *dy, buf *y) {
    pool_forward(p, is_max, x, &y->v);
    double s = 0;
    for (size_t i = 0; i < y->len; i++) s += (double)y->mem[i] * dy->mem[i];
    return s;
}

static void check_pool_fd(int bi, const inception_backend_train *tr, const pool_case *p,
                          int is_max) {
    inception_pool_desc d = {p->kh, p->kw, p->sh, p->sw, p->ph, p->pw, p->cip};
    int oh = out_size(p->h, p->kh, p->sh, p->ph), ow = out_size(p->w, p->kw, p->sw, p->pw);
    buf x = make_buf(p->n, p->h, p->w, p->c, 0, 0), dy = make_buf(p->n, oh, ow, p->c, 0, 0);
    buf y = make_buf(p->n, oh, ow, p->c, 0, 0), dx = make_buf(p->n, p->h, p->w, p->c, 0, 0);
    /* distinct values at least 1/64 apart: a step of 1/512 never changes a max */
    for (size_t i = 0; i < x.len; i++) x.mem[i] = (float)((i * 7919) % x.len) / 64.0f;
    fill_rand(&dy);
    if (is_max)
        tr->max_pool_backward(tr->user, &d, &x.v, &dy.v, &dx.v, 0, 0, 1);
    else
        tr->avg_pool_backward(tr->user, &d, &dy.v, &dx.v, 0, 0, 1);
    const float h = 1.0f / 512;
    for (size_t i = 0; i < x.len; i++) {
        float keep = x.mem[i];
        x.mem[i] = keep + h;
        double lp = pool_loss(p, is_max, &x.v, &dy, &y);
        x.mem[i] = keep - h;
        double lm = pool_loss(p, is_max, &x.v, &dy, &y);
        x.mem[i] = keep;
        double fd = (lp - lm) / (2.0 * h);
        /* the forward pass is float: its rounding at |x| <= 8 is about 1e-6 / h */
        ck_assert_msg(fabs(dx.mem[i] - fd) <= 2e-3 * (1 + fabs(fd)),
                      "%s %s pool %dx%d s%d p%d cip %d: dx[%zu] %.9g, finite difference %.9g",
                      backends[bi], is_max ? "max" : "avg", p->kh, p->kw, p->sh, p->ph, p->cip,
                      i, dx.mem[i], fd);
    }
    free(x.mem), free(dy.mem), free(y.mem), free(dx.mem);
}

/* Parts cover dx exactly once, inside its slice, bitwise like parts = 1; accumulate adds. */
static void check_pool_parts(int bi, const inception_backend_train *tr, const pool_case *p,
                             int is_max) {
    inception_pool_desc d = {p->kh, p->kw, p->sh, p->sw, p->ph, p->pw, p->cip};
    int oh = out_size(p->h, p->kh, p->sh, p->ph), ow = out_size(p->w, p->kw, p->sw, p->pw);
    buf x = make_buf(p->n, p->h, p->w, p->c, 2, 3), dy = make_buf(p->n, oh, ow, p->c, 1, 2);
    buf one = make_buf(p->n, p->h, p->w, p->c, 2, 3), all = make_buf(p->n, p->h, p->w, p->c, 2, 3);
    buf want = make_buf(p->n, p->h, p->w, p->c, 2, 3);
    fill_rand(&x), fill_rand(&dy);
    for (int accumulate = 0; accumulate < 2; accumulate++) {
        for (size_t i = 0; i < want.len; i++) want.mem[i] = in_slice(&want, i) ? frand() : guard();
        float *init = falloc(want.len);
        memcpy(init, want.mem, want.len * sizeof(float));
        if (!accumulate)
            for (size_t i = 0; i < want.len; i++)
                if (in_slice(&want, i)) want.mem[i] = guard();
        if (is_max)
            tr->max_pool_backward(tr->user, &d, &x.v, &dy.v, &want.v, accumulate, 0, 1);
        else
            tr->avg_pool_backward(tr->user, &d, &dy.v, &want.v, accumulate, 0, 1);
        for (int32_t parts = 1; parts <= 5; parts++) {
            unsigned char *count = calloc(all.len, 1);
            ck_assert_ptr_nonnull(count);
            memcpy(all.mem, init, all.len * sizeof(float));
            if (!accumulate)
                for (size_t i = 0; i < all.len; i++)
                    if (in_slice(&all, i)) all.mem[i] = guard();
            for (int32_t part = 0; part < parts; part++) {
                for (size_t i = 0; i < one.len; i++) one.mem[i] = guard();
                if (is_max) {
                    tr->max_pool_backward(tr->user, &d, &x.v, &dy.v, &one.v, 0, part, parts);
                    tr->max_pool_backward(tr->user, &d, &x.v, &dy.v, &all.v, accumulate, part, parts);
                } else {
                    tr->avg_pool_backward(tr->user, &d, &dy.v, &one.v, 0, part, parts);
                    tr->avg_pool_backward(tr->user, &d, &dy.v, &all.v, accumulate, part, parts);
                }
                for (size_t i = 0; i < one.len; i++)
                    if (!is_guard(one.mem[i])) count[i]++;
            }
            for (size_t i = 0; i < all.len; i++)
                ck_assert_msg(count[i] == (in_slice(&all, i) ? 1 : 0),
                              "%s pool parts=%d: float %zu written %d times", backends[bi],
                              parts, i, count[i]);
            ck_assert_msg(memcmp(all.mem, want.mem, all.len * sizeof(float)) == 0,
                          "%s pool backward accumulate=%d parts=%d differs from parts=1",
                          backends[bi], accumulate, parts);
            free(count);
        }
        /* accumulate = 1 is init + the overwriting result */
        if (accumulate) {
            buf over = make_buf(p->n, p->h, p->w, p->c, 2, 3);
            if (is_max)
                tr->max_pool_backward(tr->user, &d, &x.v, &dy.v, &over.v, 0, 0, 1);
            else
                tr->avg_pool_backward(tr->user, &d, &dy.v, &over.v, 0, 0, 1);
            for (size_t i = 0; i < want.len; i++)
                if (in_slice(&want, i))
                    ck_assert_msg(fabsf(want.mem[i] - (init[i] + over.mem[i])) <= 1e-5f,
                                  "%s pool accumulate: [%zu] %g, expected %g", backends[bi], i,
                                  want.mem[i], init[i] + over.mem[i]);
            free(over.mem);
        }
        free(init);
    }
    free(x.mem), free(dy.mem), free(one.mem), free(all.mem), free(want.mem);
}

START_TEST(test_pool_fd) {
    const inception_backend *be;
    const inception_backend_train *tr;
    if (!get_backend(_i, &be, &tr)) return;
    for (size_t k = 0; k < sizeof pool_cases / sizeof pool_cases[0]; k++)
        for (int is_max = 0; is_max < 2; is_max++) {
            check_pool_fd(_i, tr, &pool_cases[k], is_max);
            check_pool_parts(_i, tr, &pool_cases[k], is_max);
        }
}
END_TEST

/* The max pool's tie rule: the first maximum of the window in (ky, kx) order. */
START_TEST(test_max_pool_ties) {
    const inception_backend *be;
    const inception_backend_train *tr;
    if (!get_backend(_i, &be, &tr)) return;
    inception_pool_desc d = {3, 3, 2, 2, 1, 1, 0};
    buf x = make_buf(1, 4, 4, 2, 0, 0), dy = make_buf(1, 2, 2, 2, 0, 0), dx = make_buf(1, 4, 4, 2, 0, 0);
    for (size_t i = 0; i < x.len; i++) x.mem[i] = 1.0f; /* all equal */
    for (size_t i = 0; i < dy.len; i++) dy.mem[i] = (float)(i + 1);
    tr->max_pool_backward(tr->user, &d, &x.v, &dy.v, &dx.v, 0, 0, 1);
    /* windows start at (-1, -1), (-1, 1), (1, -1), (1, 1): first real pixels (0,0), (0,1),
     * (1,0), (1,1) */
    for (int64_t y = 0; y < 4; y++)
        for (int64_t xx = 0; xx < 4; xx++)
            for (int c = 0; c < 2; c++) {
                float want = 0;
                if (y < 2 && xx < 2) want = at(&dy.v, 0, y, xx)[c];
                ck_assert_msg(at(&dx.v, 0, y, xx)[c] == want, "%s tie (%ld, %ld): %g, want %g",
                              backends[_i], (long)y, (long)xx, at(&dx.v, 0, y, xx)[c], want);
            }
    free(x.mem), free(dy.mem), free(dx.mem);
}
END_TEST

/* ---- every backend against the double formula, and simd against ref, on the network's
 * shapes (small grids, odd channel counts, slices, accumulate, parts) ---- */

typedef struct net_case {
    const char *name;
    conv_case c;
} net_case;

/* The Inception-v3 convolutions (channel counts cut, kept off the vector widths). */
static const net_case net_cases[] = {
    {"Conv2d_1a 3x3 s2", {2, 15, 13, 3, 11, 3, 3, 2, 2, 0, 0}},
    {"Conv2d_2a 3x3", {1, 11, 9, 13, 17, 3, 3, 1, 1, 0, 0}},
    {"Conv2d_2b 3x3 p1", {2, 9, 7, 17, 35, 3, 3, 1, 1, 1, 1}},
    {"Conv2d_3b 1x1", {2, 9, 9, 33, 41, 1, 1, 1, 1, 0, 0}},
    {"Mixed_5b 5x5 p2", {1, 9, 8, 23, 31, 5, 5, 1, 1, 2, 2}},
    {"Mixed_6a 3x3 s2", {2, 9, 9, 37, 19, 3, 3, 2, 2, 0, 0}},
    {"Mixed_6b 1x7", {2, 7, 9, 21, 26, 1, 7, 1, 1, 0, 3}},
    {"Mixed_6b 7x1", {2, 9, 7, 26, 21, 7, 1, 1, 1, 3, 0}},
    {"Mixed_7a 3x3 s2", {1, 9, 11, 27, 33, 3, 3, 2, 2, 0, 0}},
    {"Mixed_7b 1x3", {2, 4, 5, 45, 39, 1, 3, 1, 1, 0, 1}},
    {"Mixed_7b 3x1", {2, 5, 4, 39, 45, 3, 1, 1, 1, 1, 0}},
    {"Mixed_7c 1x1 on 1x1", {3, 1, 1, 67, 70, 1, 1, 1, 1, 0, 0}},
    {"Mixed_7c 3x3 p1 on 2x2", {2, 2, 2, 29, 40, 3, 3, 1, 1, 1, 1}},
    {"AuxLogits 5x5 on 5x5", {2, 5, 5, 24, 33, 5, 5, 1, 1, 0, 0}},
    {"fc 1x1", {5, 1, 1, 65, 10, 1, 1, 1, 1, 0, 0}},
};
#define N_NET (sizeof net_cases / sizeof net_cases[0])

static void check_net_case(int bi, const inception_backend_train *tr, const net_case *nc) {
    const conv_case *c = &nc->c;
    const inception_backend_train *ref = ref_train();
    inception_conv_desc d = conv_desc(c);
    int oh = out_size(c->h, c->kh, c->sh, c->ph), ow = out_size(c->w, c->kw, c->sw, c->pw);
    size_t nw = (size_t)c->cout * c->kh * c->kw * c->cin;
    size_t nx = (size_t)c->n * c->h * c->w * c->cin;
    /* slices: x and dx inside wider pixels, dy too */
    buf x = make_buf(c->n, c->h, c->w, c->cin, 3, 2), dy = make_buf(c->n, oh, ow, c->cout, 5, 1);
    fill_rand(&x), fill_rand(&dy);
    float *w = falloc(nw);
    for (size_t i = 0; i < nw; i++) w[i] = frand();
    double *gx = malloc(nx * sizeof *gx), *gxa = malloc(nx * sizeof *gxa);
    double *gw = malloc(nw * sizeof *gw), *gwa = malloc(nw * sizeof *gwa);
    ck_assert(gx && gxa && gw && gwa);
    conv_grads(c, &x.v, w, &dy.v, gx, gxa, gw, gwa);

    /* weights: against double, then every parts count bitwise equal, each channel once */
    float *dw1 = falloc(nw), *dwp = falloc(nw);
    for (size_t i = 0; i < nw; i++) dw1[i] = guard();
    run_weights(tr, &d, &x.v, &dy.v, dw1, 0, 1);
    for (size_t i = 0; i < nw; i++)
        ck_assert_msg(fabs(dw1[i] - gw[i]) <= 1e-5 * gwa[i] + 1e-6,
                      "%s dW %s: [%zu] %.9g, double %.9g", backends[bi], nc->name, i, dw1[i],
                      gw[i]);
    for (int32_t parts = 2; parts <= 5; parts++) {
        unsigned char *count = calloc(nw, 1);
        ck_assert_ptr_nonnull(count);
        for (size_t i = 0; i < nw; i++) dwp[i] = guard();
        for (int32_t part = 0; part < parts; part++) {
            float *one = falloc(nw);
            for (size_t i = 0; i < nw; i++) one[i] = guard();
            run_weights(tr, &d, &x.v, &dy.v, one, part, parts);
            for (size_t i = 0; i < nw; i++)
                if (!is_guard(one[i])) count[i]++, dwp[i] = one[i];
            free(one);
        }
        for (size_t i = 0; i < nw; i++)
            ck_assert_msg(count[i] == 1, "%s dW %s parts=%d: [%zu] written %d times",
                          backends[bi], nc->name, parts, i, count[i]);
        ck_assert_msg(memcmp(dw1, dwp, nw * sizeof(float)) == 0,
                      "%s dW %s: parts=%d differs from parts=1", backends[bi], nc->name, parts);
        free(count);
    }

    /* data: accumulate 0 and 1 */
    buf want = make_buf(c->n, c->h, c->w, c->cin, 3, 2), got = make_buf(c->n, c->h, c->w, c->cin, 3, 2);
    buf one = make_buf(c->n, c->h, c->w, c->cin, 3, 2);
    float *init = falloc(want.len);
    for (size_t i = 0; i < want.len; i++) init[i] = in_slice(&want, i) ? frand() : guard();
    for (int accumulate = 0; accumulate < 2; accumulate++) {
        for (int32_t parts = 1; parts <= 5; parts++) {
            unsigned char *count = calloc(got.len, 1);
            ck_assert_ptr_nonnull(count);
            for (size_t i = 0; i < got.len; i++)
                got.mem[i] = accumulate || !in_slice(&got, i) ? init[i] : guard();
            for (int32_t part = 0; part < parts; part++) {
                for (size_t i = 0; i < one.len; i++) one.mem[i] = guard();
                run_data(tr, &d, w, &dy.v, &one.v, 0, part, parts);
                for (size_t i = 0; i < one.len; i++)
                    if (!is_guard(one.mem[i])) count[i]++;
                run_data(tr, &d, w, &dy.v, &got.v, accumulate, part, parts);
            }
            for (size_t i = 0; i < got.len; i++)
                ck_assert_msg(count[i] == (in_slice(&got, i) ? 1 : 0),
                              "%s dx %s parts=%d: float %zu written %d times", backends[bi],
                              nc->name, parts, i, count[i]);
            if (parts == 1) {
                memcpy(want.mem, got.mem, got.len * sizeof(float));
                size_t j = 0;
                for (size_t i = 0; i < got.len; i++) {
                    if (!in_slice(&got, i)) {
                        ck_assert_msg(is_guard(got.mem[i]), "%s dx %s wrote outside its slice",
                                      backends[bi], nc->name);
                        continue;
                    }
                    double expect = gx[j] + (accumulate ? init[i] : 0.0);
                    double tol = 1e-5 * (gxa[j] + (accumulate ? fabs(init[i]) : 0.0)) + 1e-6;
                    ck_assert_msg(fabs(got.mem[i] - expect) <= tol,
                                  "%s dx %s accumulate=%d: [%zu] %.9g, double %.9g",
                                  backends[bi], nc->name, accumulate, j, got.mem[i], expect);
                    j++;
                }
            } else {
                ck_assert_msg(memcmp(want.mem, got.mem, got.len * sizeof(float)) == 0,
                              "%s dx %s accumulate=%d: parts=%d differs from parts=1",
                              backends[bi], nc->name, accumulate, parts);
            }
            free(count);
        }
    }
    /* and against ref directly (the oracle the trainer falls back to) */
    if (tr != ref) {
        float *rw = falloc(nw);
        run_weights(ref, &d, &x.v, &dy.v, rw, 0, 1);
        for (size_t i = 0; i < nw; i++)
            ck_assert_msg(fabs(rw[i] - dw1[i]) <= 2e-5 * gwa[i] + 1e-6,
                          "%s dW %s: [%zu] %.9g, ref %.9g", backends[bi], nc->name, i, dw1[i], rw[i]);
        free(rw);
    }
    free(x.mem), free(dy.mem), free(w), free(gx), free(gxa), free(gw), free(gwa);
    free(dw1), free(dwp), free(want.mem), free(got.mem), free(one.mem), free(init);
}

START_TEST(test_conv_net_shapes) {
    const inception_backend *be;
    const inception_backend_train *tr;
    if (!get_backend(_i, &be, &tr)) return;
    for (size_t k = 0; k < N_NET; k++) check_net_case(_i, tr, &net_cases[k]);
}
END_TEST

/* The simd backends really have their own convolution kernels (not ref's fill-in). */
START_TEST(test_simd_tables) {
    const inception_backend_train *ref = ref_train();
    for (int i = 1; i < N_BACKENDS; i++) {
        const inception_backend *be;
        ck_assert_int_eq(inception_backend_get(backends[i], &be), INCEPTION_OK);
        const inception_backend_train *tr = inc_backend_train_ops(be);
        ck_assert_ptr_ne(tr, ref);
        ck_assert(tr->conv_backward_data != ref->conv_backward_data);
        ck_assert(tr->conv_backward_weights != ref->conv_backward_weights);
        ck_assert(tr->max_pool_backward != ref->max_pool_backward);
        ck_assert(tr->avg_pool_backward == ref->avg_pool_backward);
        ck_assert_ptr_eq(tr->user, be->user); /* the same level as the inference table */
    }
}
END_TEST

/* conv_repack: packing A then repacking B runs exactly as packing B (direct and every
 * Winograd layout of the network's shapes); another descriptor is refused; ref has none. */
START_TEST(test_conv_repack) {
    const inception_backend *be;
    const inception_backend_train *tr;
    if (!get_backend(_i, &be, &tr)) return;
    if (_i == 0) {
        ck_assert_ptr_null(tr->conv_repack);
        return;
    }
    ck_assert_ptr_nonnull(tr->conv_repack);
    static const int shapes[][6] = {/* cin, cout, kh, kw, stride, pad_h/pad_w packed as kh/2 */
                                    {8, 20, 1, 1, 1, 0}, {6, 24, 3, 3, 1, 1}, {5, 16, 3, 3, 2, 0},
                                    {7, 12, 1, 7, 1, 0}, {7, 12, 7, 1, 1, 0}, {9, 16, 1, 3, 1, 0},
                                    {9, 16, 3, 1, 1, 0}, {4, 8, 5, 5, 1, 2}};
    for (size_t sc = 0; sc < sizeof shapes / sizeof shapes[0]; sc++) {
        const int *q = shapes[sc];
        inception_conv_desc d;
        memset(&d, 0, sizeof d);
        d.in_channels = q[0], d.out_channels = q[1], d.kernel_h = q[2], d.kernel_w = q[3];
        d.stride_h = d.stride_w = q[4], d.pad_h = q[2] / 2, d.pad_w = q[3] / 2;
        if (q[4] == 2) d.pad_h = d.pad_w = 0;
        size_t wn = (size_t)q[0] * q[1] * q[2] * q[3];
        float *wa = falloc(wn), *wb = falloc(wn), *ba = falloc((size_t)q[1]), *bb = falloc((size_t)q[1]);
        for (size_t i = 0; i < wn; i++) wa[i] = frand(), wb[i] = frand();
        for (int i = 0; i < q[1]; i++) ba[i] = frand(), bb[i] = frand();
        void *pa = NULL, *pb = NULL;
        ck_assert_int_eq(be->conv_pack(be->user, &d, wa, ba, &pa), INCEPTION_OK);
        ck_assert_int_eq(be->conv_pack(be->user, &d, wb, bb, &pb), INCEPTION_OK);
        ck_assert_int_eq(tr->conv_repack(tr->user, &d, wb, bb, pa), INCEPTION_OK);
        int64_t H = 11, W = 9, oh = out_size(H, d.kernel_h, d.stride_h, d.pad_h), ow = out_size(W, d.kernel_w, d.stride_w, d.pad_w);
        buf x = make_buf(2, H, W, q[0], 0, 0);
        fill_rand(&x);
        float *ya = falloc((size_t)(2 * oh * ow * q[1])), *yb = falloc((size_t)(2 * oh * ow * q[1]));
        inception_view va = {ya, 2, oh, ow, q[1], q[1]}, vb = {yb, 2, oh, ow, q[1], q[1]};
        size_t sb = be->conv_scratch ? be->conv_scratch(be->user, &d, pa, &x.v, &va, 1) : 0;
        void *scr = scratch_alloc(sb);
        be->conv_run(be->user, &d, pa, &x.v, &va, 0, 1, scr);
        be->conv_run(be->user, &d, pb, &x.v, &vb, 0, 1, scr);
        ck_assert_msg(memcmp(ya, yb, (size_t)(2 * oh * ow * q[1]) * sizeof(float)) == 0,
                      "%s: repacked %dx%d conv differs from a fresh pack", backends[_i], q[2], q[3]);
        inception_conv_desc other = d;
        other.out_channels++;
        ck_assert_int_eq(tr->conv_repack(tr->user, &other, wb, bb, pa), INCEPTION_ERR_INVALID_ARGUMENT);
        be->conv_release(be->user, pa);
        be->conv_release(be->user, pb);
        free(scr), free(ya), free(yb), free(x.mem), free(wa), free(wb), free(ba), free(bb);
    }
}
END_TEST

/* ---- inception_backend_register_train ---- */

static int32_t plugin_calls;

static void plugin_data(void *user, const inception_conv_desc *d, const float *w,
                        const inception_view *dy, const inception_view *dx, int32_t accumulate,
                        int32_t part, int32_t parts, void *scratch) {
    ck_assert_ptr_eq(user, &plugin_calls);
    ck_assert_ptr_null(scratch); /* declared no scratch query: 0 bytes */
    plugin_calls++;
    const inception_backend_train *ref = ref_train();
    size_t sz = ref->conv_backward_data_scratch(NULL, d, dy, dx, parts);
    void *s = scratch_alloc(sz);
    ref->conv_backward_data(NULL, d, w, dy, dx, accumulate, part, parts, s);
    free(s);
}

static int32_t plugin_probe(void *user) { return 1; }

START_TEST(test_register_train) {
    const inception_backend_train *ref = ref_train();
    inception_backend_train ops;
    memset(&ops, 0, sizeof ops);
    ops.abi_version = INCEPTION_BACKEND_TRAIN_ABI_VERSION;
    ops.struct_size = sizeof ops;

    ck_assert_int_eq(inception_backend_register_train(NULL, &ops), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert(strlen(inception_last_error()) > 0);
    ck_assert_int_eq(inception_backend_register_train("ref", NULL), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_backend_register_train("no-such-backend", &ops), INCEPTION_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "no-such-backend"));
    ck_assert_int_eq(inception_backend_register_train("ref", &ops), INCEPTION_ERR_BACKEND);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "already"));

    /* a 1.0-style plug-in: inference only; training falls back to ref entirely */
    inception_backend be;
    memset(&be, 0, sizeof be);
    be.abi_version = INCEPTION_BACKEND_ABI_VERSION;
    be.struct_size = sizeof be;
    be.name = "bp-test-plugin";
    be.probe = plugin_probe;
    ck_assert_int_eq(inception_backend_register(&be), INCEPTION_OK);
    const inception_backend *table;
    ck_assert_int_eq(inception_backend_get("bp-test-plugin", &table), INCEPTION_OK);
    ck_assert_ptr_eq(inc_backend_train_ops(table), ref);
    ck_assert_ptr_eq(inc_backend_train_ops(NULL), ref);

    inception_backend_train bad = ops;
    bad.abi_version = 0;
    ck_assert_int_eq(inception_backend_register_train("bp-test-plugin", &bad), INCEPTION_ERR_BACKEND);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "ABI version"));
    bad.abi_version = INCEPTION_BACKEND_TRAIN_ABI_VERSION + 1;
    ck_assert_int_eq(inception_backend_register_train("bp-test-plugin", &bad), INCEPTION_ERR_BACKEND);
    bad = ops;
    bad.struct_size = 8; /* no room for `user` */
    ck_assert_int_eq(inception_backend_register_train("bp-test-plugin", &bad), INCEPTION_ERR_BACKEND);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "struct_size"));
    ck_assert_ptr_eq(inc_backend_train_ops(table), ref); /* failures attached nothing */

    /* an older, shorter table: only the data kernel; a garbage pointer beyond struct_size
     * must be ignored */
    struct {
        inception_backend_train t;
    } older;
    memset(&older, 0, sizeof older);
    older.t.abi_version = INCEPTION_BACKEND_TRAIN_ABI_VERSION;
    older.t.struct_size = (uint32_t)offsetof(inception_backend_train, conv_backward_weights_scratch);
    older.t.user = &plugin_calls;
    older.t.conv_backward_data = plugin_data;
    memset(&older.t.conv_backward_weights_scratch, 0xff, sizeof(void *) * 2);
    ck_assert_int_eq(inception_backend_register_train("bp-test-plugin", &older.t), INCEPTION_OK);
    const inception_backend_train *got = inc_backend_train_ops(table);
    ck_assert_ptr_ne(got, ref);
    ck_assert_ptr_ne(got, &older.t); /* copied */
    ck_assert_uint_eq(got->abi_version, INCEPTION_BACKEND_TRAIN_ABI_VERSION);
    ck_assert_uint_eq(got->struct_size, sizeof(inception_backend_train));
    ck_assert(got->conv_backward_data == plugin_data);
    ck_assert_ptr_nonnull(got->conv_backward_data_scratch);
    ck_assert(got->conv_backward_weights == ref->conv_backward_weights);
    ck_assert(got->conv_backward_weights_scratch == ref->conv_backward_weights_scratch);
    ck_assert(got->max_pool_backward == ref->max_pool_backward);
    ck_assert(got->avg_pool_backward == ref->avg_pool_backward);
    ck_assert_ptr_eq(got->user, &plugin_calls);

    /* the plug-in's kernel runs through the table, with its user and no scratch */
    conv_case c = {1, 4, 4, 3, 2, 3, 3, 1, 1, 1, 1};
    inception_conv_desc d = conv_desc(&c);
    buf dy = make_buf(1, 4, 4, 2, 0, 0), dx = make_buf(1, 4, 4, 3, 0, 0);
    fill_rand(&dy);
    float w[54];
    for (int i = 0; i < 54; i++) w[i] = frand();
    ck_assert_uint_eq(got->conv_backward_data_scratch(got->user, &d, &dy.v, &dx.v, 1), 0);
    got->conv_backward_data(got->user, &d, w, &dy.v, &dx.v, 0, 0, 1, NULL);
    ck_assert_int_eq(plugin_calls, 1);
    free(dy.mem), free(dx.mem);

    /* only once */
    ck_assert_int_eq(inception_backend_register_train("bp-test-plugin", &ops), INCEPTION_ERR_BACKEND);
    ck_assert_ptr_eq(inc_backend_train_ops(table), got);
}
END_TEST

int main(void) {
    Suite *s = suite_create("backward");
    TCase *tc = tcase_create("kernels");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_conv_fd, 0, N_BACKENDS);
    tcase_add_loop_test(tc, test_pool_fd, 0, N_BACKENDS);
    tcase_add_loop_test(tc, test_max_pool_ties, 0, N_BACKENDS);
    tcase_add_loop_test(tc, test_conv_net_shapes, 0, N_BACKENDS);
    tcase_add_test(tc, test_simd_tables);
    tcase_add_loop_test(tc, test_conv_repack, 0, N_BACKENDS);
    suite_add_tcase(s, tc);
    TCase *reg = tcase_create("register");
    tcase_add_test(reg, test_register_train);
    suite_add_tcase(s, reg);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

/* Kernel bodies shared by every ISA level. The including file defines the vector type and
 * operations (VEC, VW, V_ZERO, V_LOAD, V_LOADU, V_BCAST, V_FMA, V_ADD, V_MAX, V_MUL, V_SET1,
 * V_STOREU, V_STORE_N(p, v, n), V_LOAD_N(p, n), V_MAX_NAN(acc, v): max that keeps a NaN
 * from either side) and KERNEL_SUFFIX, then includes this
 * file once; it is compiled with that ISA's flags only. */
#include <float.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/simd/kernels.h"

#define INC_INLINE static inline __attribute__((always_inline))

/* The GEMM tile. MR and NV are enum constants inside each instantiated function (a const
 * parameter would make the accumulators a VLA in memory), so the MR x NV accumulators, the
 * NV weight vectors and the broadcast all live in registers. */
#define GEMM_BODY                                                                            \
    VEC acc[MR][NV];                                                                         \
    _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++)                                    \
        _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) acc[r][v] = V_ZERO();           \
    for (size_t t = 0; t < ntaps; t++) {                                                     \
        const float *ap[MR];                                                                 \
        _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++) ap[r] = a[t * MR + r];         \
        for (size_t k = 0; k < cin; k++) {                                                   \
            VEC wv[NV];                                                                      \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) wv[v] = V_LOAD(w + v * VW); \
            _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++) {                          \
                VEC bc = V_BCAST(ap[r] + k);                                                 \
                _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                         \
                    acc[r][v] = V_FMA(bc, wv[v], acc[r][v]);                                 \
            }                                                                                \
            w += NV * VW;                                                                    \
        }                                                                                    \
    }                                                                                        \
    VEC bv[NV];                                                                              \
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) bv[v] = V_LOAD(bias + v * VW);      \
    const VEC zero = V_ZERO();                                                               \
    _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++) {                                  \
        float *cr = c + (size_t)r * c_stride;                                                \
        _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {                               \
            VEC x = V_ADD(acc[r][v], bv[v]);                                                 \
            if (relu) x = V_MAX(x, zero);                                                    \
            if ((size_t)(v + 1) * VW <= ncols)                                               \
                V_STOREU(cr + v * VW, x);                                                    \
            else if ((size_t)v * VW < ncols)                                                 \
                V_STORE_N(cr + v * VW, x, (int)(ncols - (size_t)v * VW));                    \
        }                                                                                    \
    }

#define GEMM_NAME2(mr, nv, sfx) gemm_##mr##x##nv##_##sfx
#define GEMM_NAME(mr, nv, sfx) GEMM_NAME2(mr, nv, sfx)
#define GEMM_DEF(mr, nv)                                                                     \
    static void GEMM_NAME(mr, nv, KERNEL_SUFFIX)(size_t ntaps, size_t cin,                   \
                                                 const float *const *a, const float *w,      \
                                                 const float *bias, float *c,                \
                                                 size_t c_stride, size_t ncols, int relu) {  \
        enum { MR = mr, NV = nv };                                                           \
        GEMM_BODY                                                                            \
    }

/* ---- pools: vectorised across channels, one output pixel at a time ---- */

INC_INLINE void pool_pixel(const inception_pool_desc *d, const inception_view *in,
                           const inception_view *out, int64_t m, int is_max) {
    int64_t ox = m % out->w, oy = (m / out->w) % out->h, n = m / (out->w * out->h);
    int64_t y0 = oy * d->stride_h - d->pad_h, x0 = ox * d->stride_w - d->pad_w;
    int64_t y1 = y0 + d->kernel_h, x1 = x0 + d->kernel_w;
    /* PyTorch's divisor: the window clipped to the padded input when padding counts. */
    int64_t py1 = y1 < in->h + d->pad_h ? y1 : in->h + d->pad_h;
    int64_t px1 = x1 < in->w + d->pad_w ? x1 : in->w + d->pad_w;
    int64_t ya = y0 < 0 ? 0 : y0, xa = x0 < 0 ? 0 : x0;
    int64_t yb = y1 < in->h ? y1 : in->h, xb = x1 < in->w ? x1 : in->w;
    int64_t count = d->count_include_pad ? (py1 - y0) * (px1 - x0) : (yb - ya) * (xb - xa);
    float inv = count > 0 ? 1.0f / (float)count : 0.0f;
    const float *base = in->data + n * in->h * in->w * in->pixel_stride;
    float *o = out->data + m * out->pixel_stride;
    const VEC init = is_max ? V_SET1(-FLT_MAX) : V_ZERO();
    int64_t C = out->c, c = 0;
    for (; c + VW <= C; c += VW) {
        VEC acc = init;
        for (int64_t y = ya; y < yb; y++)
            for (int64_t x = xa; x < xb; x++) {
                VEC v = V_LOADU(base + (y * in->w + x) * in->pixel_stride + c);
                acc = is_max ? V_MAX_NAN(acc, v) : V_ADD(acc, v);
            }
        if (!is_max) acc = V_MUL(acc, V_SET1(inv));
        V_STOREU(o + c, acc);
    }
    if (c < C) {
        int rem = (int)(C - c);
        VEC acc = init;
        for (int64_t y = ya; y < yb; y++)
            for (int64_t x = xa; x < xb; x++) {
                VEC v = V_LOAD_N(base + (y * in->w + x) * in->pixel_stride + c, rem);
                acc = is_max ? V_MAX_NAN(acc, v) : V_ADD(acc, v);
            }
        if (!is_max) acc = V_MUL(acc, V_SET1(inv));
        V_STORE_N(o + c, acc, rem);
    }
}

static void max_pool_k(const inception_pool_desc *d, const inception_view *in,
                       const inception_view *out, int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; m++) pool_pixel(d, in, out, m, 1);
}

static void avg_pool_k(const inception_pool_desc *d, const inception_view *in,
                       const inception_view *out, int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; m++) pool_pixel(d, in, out, m, 0);
}

static void global_avg_pool_k(const inception_view *in, const inception_view *out,
                              int64_t n0, int64_t n1, int64_t c0, int64_t c1) {
    int64_t hw = in->h * in->w;
    float inv = hw > 0 ? 1.0f / (float)hw : 0.0f;
    for (int64_t n = n0; n < n1; n++) {
        const float *base = in->data + n * hw * in->pixel_stride;
        float *o = out->data + n * out->pixel_stride;
        int64_t c = c0;
        for (; c < c1; c += VW) {
            int rem = c1 - c < VW ? (int)(c1 - c) : VW;
            VEC acc = V_ZERO();
            if (rem == VW)
                for (int64_t p = 0; p < hw; p++)
                    acc = V_ADD(acc, V_LOADU(base + p * in->pixel_stride + c));
            else
                for (int64_t p = 0; p < hw; p++)
                    acc = V_ADD(acc, V_LOAD_N(base + p * in->pixel_stride + c, rem));
            acc = V_MUL(acc, V_SET1(inv));
            if (rem == VW)
                V_STOREU(o + c, acc);
            else
                V_STORE_N(o + c, acc, rem);
        }
    }
}


/* ---- Winograd F(2, 7) along one axis, for the 1x7 and 7x1 convolutions ----
 * y = A^T [(G g) . (B^T d)] with the points 0, +-1, +-2, +-1/2 and infinity. B^T's rows are
 * scaled to small coefficients and G's rows divided by the same factors (simd.c), so the
 * activations only meet factors up to 10. Tile t covers 2 outputs along the axis (axis 0:
 * along x for 1x7, 1: along y for 7x1); tiles are numbered n-major, th x tw per image. */
static const float wino7_bt[8][8] = {
    {1, 0, -5.25f, 0, 5.25f, 0, -1, 0},
    {0, -1, -1, 4.25f, 4.25f, -1, -1, 0},
    {0, 1, -1, -4.25f, 4.25f, 1, -1, 0},
    {0, 1, 0.5f, -5, -2.5f, 4, 2, 0},
    {0, -1, 0.5f, 5, -2.5f, -4, 2, 0},
    {0, 4, 8, -5, -10, 1, 2, 0},
    {0, -4, 8, 5, -10, -1, 2, 0},
    {0, -1, 0, 5.25f, 0, -5.25f, 0, 1},
};

static void wino7_in_k(const inception_view *in, int axis, int64_t th, int64_t tw, int pad,
                       int64_t t0, int64_t nt, const float *zeros, float *V,
                       size_t xi_stride, size_t cstride) {
    const int64_t C = in->c;
    for (int64_t i = 0; i < nt; i++) {
        int64_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, n = t / (tw * th);
        int64_t y0 = axis ? ty * 2 - pad : ty, x0 = axis ? tx : tx * 2 - pad;
        const float *src[8];
        for (int j = 0; j < 8; j++) {
            int64_t iy = y0 + (axis ? j : 0), ix = x0 + (axis ? 0 : j);
            src[j] = (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w)
                         ? zeros
                         : in->data + ((n * in->h + iy) * in->w + ix) * in->pixel_stride;
        }
        float *dst = V + (size_t)i * cstride;
        for (int64_t c = 0; c < C; c += VW) {
            int rem = C - c < VW ? (int)(C - c) : VW;
            VEC d[8];
            for (int j = 0; j < 8; j++)
                d[j] = rem == VW ? V_LOADU(src[j] + c) : V_LOAD_N(src[j] + c, rem);
            _Pragma("GCC unroll 8") for (int r = 0; r < 8; r++) {
                VEC acc = V_ZERO();
                _Pragma("GCC unroll 8") for (int j = 0; j < 8; j++)
                    if (wino7_bt[r][j] != 0.0f) acc = V_FMA(V_SET1(wino7_bt[r][j]), d[j], acc);
                V_STOREU(dst + (size_t)r * xi_stride + c, acc);
            }
        }
    }
}

static void wino7_out_k(const float *M, size_t xi_stride, size_t cstride, const float *bias,
                        const inception_view *out, int axis, int64_t th, int64_t tw,
                        int64_t t0, int64_t nt, int relu) {
    static const float at1[8] = {0, 1, -1, 2, -2, 0.5f, -0.5f, 1};
    const int64_t C = out->c;
    const VEC zero = V_ZERO();
    for (int64_t i = 0; i < nt; i++) {
        int64_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, n = t / (tw * th);
        int64_t oy = axis ? ty * 2 : ty, ox = axis ? tx : tx * 2;
        int two = axis ? oy + 1 < out->h : ox + 1 < out->w;
        float *dst0 = out->data + ((n * out->h + oy) * out->w + ox) * out->pixel_stride;
        float *dst1 = dst0 + (axis ? out->w : 1) * out->pixel_stride;
        const float *src = M + (size_t)i * cstride;
        for (int64_t c = 0; c < C; c += VW) {
            int rem = C - c < VW ? (int)(C - c) : VW;
            VEC m[8];
            for (int j = 0; j < 8; j++) m[j] = V_LOADU(src + (size_t)j * xi_stride + c);
            VEC b = rem == VW ? V_LOADU(bias + c) : V_LOAD_N(bias + c, rem);
            VEC r0 = V_ADD(V_ADD(V_ADD(m[0], m[1]), V_ADD(m[2], m[3])),
                           V_ADD(V_ADD(m[4], m[5]), m[6]));
            VEC r1 = m[7];
            _Pragma("GCC unroll 7") for (int j = 1; j < 7; j++)
                r1 = V_FMA(V_SET1(at1[j]), m[j], r1);
            r0 = V_ADD(r0, b);
            r1 = V_ADD(r1, b);
            if (relu) r0 = V_MAX(r0, zero), r1 = V_MAX(r1, zero);
            if (rem == VW) {
                V_STOREU(dst0 + c, r0);
                if (two) V_STOREU(dst1 + c, r1);
            } else {
                V_STORE_N(dst0 + c, r0, rem);
                if (two) V_STORE_N(dst1 + c, r1, rem);
            }
        }
    }
}

/* ---- Winograd F(4x4, 3x3): 36 products per 16 outputs instead of 144 ----
 * 6x6 input tiles, 36 positions, 4x4 output tiles (th x tw of them per image), points 0,
 * +-1, +-2 and infinity. wino_in_k writes V[xi][i][c] = (B^T d B)[xi] for tile t0 + i;
 * wino_out_k writes act(A^T m A + bias) into the output pixels of each tile that exist. */
static const float wino_bt[6][6] = {
    {4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
    {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
};
static const float wino_at[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1},
};

static void wino_in_k(const inception_view *in, int64_t th, int64_t tw, int pad_h,
                       int pad_w, int64_t t0, int64_t nt, const float *zeros, float *V,
                       size_t xi_stride, size_t cstride) {
    const int64_t C = in->c;
    for (int64_t i = 0; i < nt; i++) {
        int64_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, n = t / (tw * th);
        int64_t y0 = ty * 4 - pad_h, x0 = tx * 4 - pad_w;
        const float *src[6][6];
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 6; x++) {
                int64_t iy = y0 + y, ix = x0 + x;
                src[y][x] = (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w)
                                ? zeros
                                : in->data + ((n * in->h + iy) * in->w + ix) * in->pixel_stride;
            }
        float *dst = V + (size_t)i * cstride;
        for (int64_t c = 0; c < C; c += VW) {
            int rem = C - c < VW ? (int)(C - c) : VW;
            VEC tt[6][6];
            _Pragma("GCC unroll 6") for (int x = 0; x < 6; x++) { /* B^T d, column by column */
                VEC d[6];
                for (int y = 0; y < 6; y++)
                    d[y] = rem == VW ? V_LOADU(src[y][x] + c) : V_LOAD_N(src[y][x] + c, rem);
                _Pragma("GCC unroll 6") for (int r = 0; r < 6; r++) {
                    VEC acc = V_ZERO();
                    _Pragma("GCC unroll 6") for (int y = 0; y < 6; y++)
                        if (wino_bt[r][y] != 0.0f) acc = V_FMA(V_SET1(wino_bt[r][y]), d[y], acc);
                    tt[r][x] = acc;
                }
            }
            _Pragma("GCC unroll 6") for (int r = 0; r < 6; r++) /* (B^T d) B */
                _Pragma("GCC unroll 6") for (int q = 0; q < 6; q++) {
                    VEC acc = V_ZERO();
                    _Pragma("GCC unroll 6") for (int x = 0; x < 6; x++)
                        if (wino_bt[q][x] != 0.0f) acc = V_FMA(V_SET1(wino_bt[q][x]), tt[r][x], acc);
                    V_STOREU(dst + (size_t)(r * 6 + q) * xi_stride + c, acc);
                }
        }
    }
}

static void wino_out_k(const float *M, size_t xi_stride, size_t cstride, const float *bias,
                        const inception_view *out, int64_t th, int64_t tw, int64_t t0,
                        int64_t nt, int relu) {
    const int64_t C = out->c;
    const VEC zero = V_ZERO();
    for (int64_t i = 0; i < nt; i++) {
        int64_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, n = t / (tw * th);
        int64_t oy = ty * 4, ox = tx * 4;
        int rows = out->h - oy < 4 ? (int)(out->h - oy) : 4;
        int cols = out->w - ox < 4 ? (int)(out->w - ox) : 4;
        float *base = out->data + ((n * out->h + oy) * out->w + ox) * out->pixel_stride;
        const float *src = M + (size_t)i * cstride;
        for (int64_t c = 0; c < C; c += VW) {
            int rem = C - c < VW ? (int)(C - c) : VW;
            VEC s[4][6];
            _Pragma("GCC unroll 6") for (int x = 0; x < 6; x++) { /* A^T m, column by column */
                VEC m[6];
                for (int y = 0; y < 6; y++) m[y] = V_LOADU(src + (size_t)(y * 6 + x) * xi_stride + c);
                _Pragma("GCC unroll 4") for (int r = 0; r < 4; r++) {
                    VEC acc = V_ZERO();
                    _Pragma("GCC unroll 6") for (int y = 0; y < 6; y++)
                        if (wino_at[r][y] != 0.0f) acc = V_FMA(V_SET1(wino_at[r][y]), m[y], acc);
                    s[r][x] = acc;
                }
            }
            VEC b = rem == VW ? V_LOADU(bias + c) : V_LOAD_N(bias + c, rem);
            for (int r = 0; r < rows; r++) /* (A^T m) A + bias */
                for (int q = 0; q < cols; q++) {
                    VEC acc = b;
                    _Pragma("GCC unroll 6") for (int x = 0; x < 6; x++)
                        if (wino_at[q][x] != 0.0f) acc = V_FMA(V_SET1(wino_at[q][x]), s[r][x], acc);
                    if (relu) acc = V_MAX(acc, zero);
                    float *o = base + ((size_t)r * (size_t)out->w + (size_t)q) * (size_t)out->pixel_stride + c;
                    if (rem == VW) V_STOREU(o, acc);
                    else V_STORE_N(o, acc, rem);
                }
        }
    }
}

/* ---- Winograd F(2x2, 3x3): 16 products per 4 outputs instead of 36 ----
 * 4x4 input tiles, 16 positions, 2x2 output tiles, points 0, +-1 and infinity: only
 * additions, so its rounding error stays near the direct convolution's (docs/simd.md). */
static void wino2_in_k(const inception_view *in, int64_t th, int64_t tw, int pad_h, int pad_w,
                      int64_t t0, int64_t nt, const float *zeros, float *V, size_t xi_stride,
                      size_t cstride) {
    const int64_t C = in->c;
    for (int64_t i = 0; i < nt; i++) {
        int64_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, n = t / (tw * th);
        int64_t y0 = ty * 2 - pad_h, x0 = tx * 2 - pad_w;
        const float *src[4][4];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) {
                int64_t iy = y0 + y, ix = x0 + x;
                src[y][x] = (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w)
                                ? zeros
                                : in->data + ((n * in->h + iy) * in->w + ix) * in->pixel_stride;
            }
        float *dst = V + (size_t)i * cstride;
        for (int64_t c = 0; c < C; c += VW) {
            int rem = C - c < VW ? (int)(C - c) : VW;
            VEC d[4][4], tt[4][4];
            for (int y = 0; y < 4; y++)
                for (int x = 0; x < 4; x++)
                    d[y][x] = rem == VW ? V_LOADU(src[y][x] + c) : V_LOAD_N(src[y][x] + c, rem);
            for (int x = 0; x < 4; x++) { /* B^T d */
                tt[0][x] = V_SUB(d[0][x], d[2][x]);
                tt[1][x] = V_ADD(d[1][x], d[2][x]);
                tt[2][x] = V_SUB(d[2][x], d[1][x]);
                tt[3][x] = V_SUB(d[1][x], d[3][x]);
            }
            for (int y = 0; y < 4; y++) { /* (B^T d) B */
                float *o = dst + (size_t)(y * 4) * xi_stride + c;
                V_STOREU(o, V_SUB(tt[y][0], tt[y][2]));
                V_STOREU(o + xi_stride, V_ADD(tt[y][1], tt[y][2]));
                V_STOREU(o + 2 * xi_stride, V_SUB(tt[y][2], tt[y][1]));
                V_STOREU(o + 3 * xi_stride, V_SUB(tt[y][1], tt[y][3]));
            }
        }
    }
}

static void wino2_out_k(const float *M, size_t xi_stride, size_t cstride, const float *bias,
                       const inception_view *out, int64_t th, int64_t tw, int64_t t0,
                       int64_t nt, int relu) {
    const int64_t C = out->c;
    const VEC zero = V_ZERO();
    for (int64_t i = 0; i < nt; i++) {
        int64_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, n = t / (tw * th);
        int64_t oy = ty * 2, ox = tx * 2;
        int rows = oy + 1 < out->h ? 2 : 1, cols = ox + 1 < out->w ? 2 : 1;
        float *dst[2][2];
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 2; x++)
                dst[y][x] = out->data + ((n * out->h + oy + y) * out->w + ox + x) *
                                            out->pixel_stride;
        const float *src = M + (size_t)i * cstride;
        for (int64_t c = 0; c < C; c += VW) {
            int rem = C - c < VW ? (int)(C - c) : VW;
            VEC m[4][4], s[2][4];
            for (int y = 0; y < 4; y++)
                for (int x = 0; x < 4; x++)
                    m[y][x] = V_LOADU(src + (size_t)(y * 4 + x) * xi_stride + c);
            for (int x = 0; x < 4; x++) { /* A^T m */
                s[0][x] = V_ADD(V_ADD(m[0][x], m[1][x]), m[2][x]);
                s[1][x] = V_SUB(V_SUB(m[1][x], m[2][x]), m[3][x]);
            }
            VEC b = rem == VW ? V_LOADU(bias + c) : V_LOAD_N(bias + c, rem);
            for (int y = 0; y < rows; y++) { /* (A^T m) A + bias */
                VEC r0 = V_ADD(V_ADD(V_ADD(s[y][0], s[y][1]), s[y][2]), b);
                VEC r1 = V_ADD(V_SUB(V_SUB(s[y][1], s[y][2]), s[y][3]), b);
                if (relu) r0 = V_MAX(r0, zero), r1 = V_MAX(r1, zero);
                if (rem == VW) {
                    V_STOREU(dst[y][0] + c, r0);
                    if (cols == 2) V_STOREU(dst[y][1] + c, r1);
                } else {
                    V_STORE_N(dst[y][0] + c, r0, rem);
                    if (cols == 2) V_STORE_N(dst[y][1] + c, r1, rem);
                }
            }
        }
    }
}

/* ---- Winograd F(2, 3) along one axis, for the 1x3 and 3x1 convolutions ----
 * 4 products per 2 outputs instead of 6, points 0, +-1 and infinity: B^T and A^T are only
 * additions, so the rounding stays near the direct convolution's. Same tiles and contract
 * as F(2, 7) with 4 positions. */
static void wino13_in_k(const inception_view *in, int axis, int64_t th, int64_t tw, int pad,
                        int64_t t0, int64_t nt, const float *zeros, float *V,
                        size_t xi_stride, size_t cstride) {
    const int64_t C = in->c;
    for (int64_t i = 0; i < nt; i++) {
        int64_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, n = t / (tw * th);
        int64_t y0 = axis ? ty * 2 - pad : ty, x0 = axis ? tx : tx * 2 - pad;
        const float *src[4];
        for (int j = 0; j < 4; j++) {
            int64_t iy = y0 + (axis ? j : 0), ix = x0 + (axis ? 0 : j);
            src[j] = (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w)
                         ? zeros
                         : in->data + ((n * in->h + iy) * in->w + ix) * in->pixel_stride;
        }
        float *dst = V + (size_t)i * cstride;
        for (int64_t c = 0; c < C; c += VW) {
            int rem = C - c < VW ? (int)(C - c) : VW;
            VEC d[4];
            for (int j = 0; j < 4; j++)
                d[j] = rem == VW ? V_LOADU(src[j] + c) : V_LOAD_N(src[j] + c, rem);
            V_STOREU(dst + c, V_SUB(d[0], d[2]));
            V_STOREU(dst + xi_stride + c, V_ADD(d[1], d[2]));
            V_STOREU(dst + 2 * xi_stride + c, V_SUB(d[2], d[1]));
            V_STOREU(dst + 3 * xi_stride + c, V_SUB(d[1], d[3]));
        }
    }
}

static void wino13_out_k(const float *M, size_t xi_stride, size_t cstride, const float *bias,
                         const inception_view *out, int axis, int64_t th, int64_t tw,
                         int64_t t0, int64_t nt, int relu) {
    const int64_t C = out->c;
    const VEC zero = V_ZERO();
    for (int64_t i = 0; i < nt; i++) {
        int64_t t = t0 + i, tx = t % tw, ty = (t / tw) % th, n = t / (tw * th);
        int64_t oy = axis ? ty * 2 : ty, ox = axis ? tx : tx * 2;
        int two = axis ? oy + 1 < out->h : ox + 1 < out->w;
        float *dst0 = out->data + ((n * out->h + oy) * out->w + ox) * out->pixel_stride;
        float *dst1 = dst0 + (axis ? out->w : 1) * out->pixel_stride;
        const float *src = M + (size_t)i * cstride;
        for (int64_t c = 0; c < C; c += VW) {
            int rem = C - c < VW ? (int)(C - c) : VW;
            VEC m0 = V_LOADU(src + c), m1 = V_LOADU(src + xi_stride + c);
            VEC m2 = V_LOADU(src + 2 * xi_stride + c), m3 = V_LOADU(src + 3 * xi_stride + c);
            VEC b = rem == VW ? V_LOADU(bias + c) : V_LOAD_N(bias + c, rem);
            VEC r0 = V_ADD(V_ADD(V_ADD(m0, m1), m2), b);
            VEC r1 = V_ADD(V_SUB(V_SUB(m1, m2), m3), b);
            if (relu) r0 = V_MAX(r0, zero), r1 = V_MAX(r1, zero);
            if (rem == VW) {
                V_STOREU(dst0 + c, r0);
                if (two) V_STOREU(dst1 + c, r1);
            } else {
                V_STORE_N(dst0 + c, r0, rem);
                if (two) V_STORE_N(dst1 + c, r1, rem);
            }
        }
    }
}

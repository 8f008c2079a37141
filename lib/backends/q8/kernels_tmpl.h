/* The int8 GEMM tile shared by every ISA level. The including file defines VEC, VW, NV,
 * Q_SUFFIX, FVEC (the float vector) and the operations
 *   Q_LOADI(p)            load VW int32 (unaligned)
 *   Q_LOADF(p)            load VW floats (unaligned)
 *   Q_BCAST4(u)           VW copies of the 32-bit value u (4 input bytes)
 *   Q_WVECS               weight vectors per output vector and group (1 or 2)
 *   Q_MAC(acc, x, w)      acc += the 4-channel dot products of x with w[0..Q_WVECS)
 *   Q_STORE_U8(p, acc, m, n)        requantise VW lanes, store the first n bytes
 *   Q_STORE_F32(p, acc, m, n, relu) store the first n floats
 * then includes this file once; it is compiled with that ISA's flags only. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backends/q8/kernels.h"

/* MR is an enum constant inside each instantiated function so the MR x NV accumulators
 * stay in registers. Integer sums are exact (and wrap like the ref's), so the order of
 * the products does not matter for bit-exactness; the float store is one multiply. */
/* One group of 4 input channels for the whole tile: NV (x Q_WVECS) weight vectors, then
 * per row one broadcast of its 4 bytes (LOAD_U fills u) and NV multiply-accumulates. */
#define Q8_GROUP(LOAD_U)                                                                     \
    VEC wv[NV][Q_WVECS];                                                                     \
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                                     \
        _Pragma("GCC unroll 2") for (int k = 0; k < Q_WVECS; k++)                            \
            wv[v][k] = Q_LOADI((const int32_t *)(const void *)(wp + (v * Q_WVECS + k) * VW * 4)); \
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {                                   \
        uint32_t u = 0;                                                                      \
        LOAD_U;                                                                              \
        VEC x = Q_BCAST4(u);                                                                 \
        _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) Q_MAC(acc[r][v], x, wv[v]);     \
    }                                                                                        \
    wp += NV * Q_WVECS * VW * 4;

#define Q8_GEMM_BODY                                                                         \
    VEC acc[MR][NV];                                                                         \
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++)                                     \
        _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) acc[r][v] = Q_LOADI(bias + v * VW); \
    const int8_t *wp = w;                                                                    \
    for (size_t t = 0; t < ntaps; t++) {                                                     \
        const uint8_t *ap[MR];                                                               \
        _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) ap[r] = a[t * MR + r];          \
        for (size_t g = 0; g < nfull; g++) {                                                 \
            Q8_GROUP(memcpy(&u, ap[r] + 4 * g, 4))                                           \
        }                                                                                    \
        if (tail) { /* the last channels: never read past the pixel's own */                 \
            Q8_GROUP(memcpy(&u, ap[r] + 4 * nfull, tail))                                    \
        }                                                                                    \
    }                                                                                        \
    _Pragma("GCC unroll 8") for (int r = 0; r < MR; r++) {                                   \
        _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {                               \
            if ((size_t)v * VW >= ncols) break;                                              \
            size_t n = ncols - (size_t)v * VW < VW ? ncols - (size_t)v * VW : VW;            \
            FVEC mv = Q_LOADF(m + v * VW);                                                     \
            if (mode == INC_Q8_STORE_U8)                                                     \
                Q_STORE_U8((uint8_t *)c + r * c_stride + v * VW, acc[r][v], mv, n);          \
            else                                                                             \
                Q_STORE_F32((float *)c + r * c_stride + v * VW, acc[r][v], mv, n,            \
                            mode == INC_Q8_STORE_F32_RELU);                                  \
        }                                                                                    \
    }

#define Q8_NAME2(mr, sfx) q8_gemm_##mr##_##sfx
#define Q8_NAME(mr, sfx) Q8_NAME2(mr, sfx)
#define Q8_GEMM_DEF(mr)                                                                      \
    static void Q8_NAME(mr, Q_SUFFIX)(size_t ntaps, size_t nfull, size_t tail,               \
                                      const uint8_t *const *a, const int8_t *w,              \
                                      const int32_t *bias, const float *m, void *c,          \
                                      size_t c_stride, size_t ncols, int mode) {             \
        enum { MR = mr };                                                                    \
        Q8_GEMM_BODY                                                                         \
    }

/* The SIMD kernels' internal interface: each ISA level fills one inc_simd_kernels table from
 * its own translation unit, compiled with that ISA's flags; the dispatcher (simd.c, plain
 * flags) only reads the table after cpu.c said the level runs here. */
#ifndef INC_SIMD_KERNELS_H
#define INC_SIMD_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "inception/backend.h"

#define INC_SIMD_NV_MAX 4  /* vectors per output-channel block */
#define INC_SIMD_MR_MAX 14 /* output pixels per microkernel call */

/* One register tile: mr output pixels x (nv * vw) output channels, accumulated over
 * ntaps * cin products in the fixed order (tap, channel), so every output element sees
 * the same sequence of FMAs whatever the tiling or the thread split.
 *   a:    [ntaps][mr] row pointers (a zero row for padding taps), each read at [0, cin)
 *   w:    packed weights [ntaps][cin][nv * vw], 64-byte aligned
 *   bias: [nv * vw]; c: row r at c + r * c_stride; only the first ncols columns are stored. */
typedef void (*inc_simd_gemm_fn)(size_t ntaps, size_t cin, const float *const *a,
                                 const float *w, const float *bias, float *c,
                                 size_t c_stride, size_t ncols, int relu);

/* Pools on output pixel range [m0, m1) (pixels numbered n-major as in the views). */
typedef void (*inc_simd_pool_fn)(const inception_pool_desc *d, const inception_view *in,
                                 const inception_view *out, int64_t m0, int64_t m1);
/* Global average over channels [c0, c1) of images [n0, n1). */
typedef void (*inc_simd_gap_fn)(const inception_view *in, const inception_view *out,
                                int64_t n0, int64_t n1, int64_t c0, int64_t c1);

/* Winograd F(4x4, 3x3) transforms, vectorised across channels, for tiles [t0, t0 + nt) of
 * the 4x4 output-tile grid (th x tw tiles per image, numbered n-major); 36 positions.
 * wino_in writes V[xi][i][c] = (B^T d B)[xi] for tile t0 + i at V + xi * xi_stride +
 * i * cstride + c, for c < round_up(in->c, vw) (cstride >= that); `zeros` holds at least
 * cstride zero floats and stands in for input pixels in the padding.
 * wino_out reads M[xi][i][c] at M + xi * xi_stride + i * cstride + c and writes
 * act(A^T m A + bias) into the output pixels of each tile that exist. */
typedef void (*inc_simd_wino_in_fn)(const inception_view *in, int64_t th, int64_t tw,
                                    int pad_h, int pad_w, int64_t t0, int64_t nt,
                                    const float *zeros, float *V, size_t xi_stride,
                                    size_t cstride);
typedef void (*inc_simd_wino_out_fn)(const float *M, size_t xi_stride, size_t cstride,
                                     const float *bias, const inception_view *out, int64_t th,
                                     int64_t tw, int64_t t0, int64_t nt, int relu);

/* Winograd F(2, 7) along one axis (0: x, for 1x7; 1: y, for 7x1): the same contract with
 * 8 transformed positions and tiles of 2 outputs along the axis (th x tw tiles per image). */
typedef void (*inc_simd_wino7_in_fn)(const inception_view *in, int axis, int64_t th,
                                     int64_t tw, int pad, int64_t t0, int64_t nt,
                                     const float *zeros, float *V, size_t xi_stride,
                                     size_t cstride);
typedef void (*inc_simd_wino7_out_fn)(const float *M, size_t xi_stride, size_t cstride,
                                      const float *bias, const inception_view *out, int axis,
                                      int64_t th, int64_t tw, int64_t t0, int64_t nt, int relu);

typedef struct inc_simd_kernels {
    const char *isa;
    int vw;                         /* floats per vector */
    int nv_main;                    /* vectors in a full output-channel block */
    int mr[INC_SIMD_NV_MAX + 1];    /* largest tile height for each nv */
    inc_simd_gemm_fn gemm[INC_SIMD_NV_MAX + 1][INC_SIMD_MR_MAX + 1]; /* [nv][mr] */
    inc_simd_pool_fn max_pool, avg_pool;
    inc_simd_gap_fn global_avg_pool;
    inc_simd_wino_in_fn wino_in;
    inc_simd_wino_out_fn wino_out;
    inc_simd_wino_in_fn wino2_in;   /* F(2x2, 3x3): the same contract, 16 positions, 2x2 tiles */
    inc_simd_wino_out_fn wino2_out;
    inc_simd_wino7_in_fn wino7_in;
    inc_simd_wino7_out_fn wino7_out;
    inc_simd_wino7_in_fn wino13_in; /* F(2, 3) for 1x3/3x1: the F(2, 7) contract, 4 positions */
    inc_simd_wino7_out_fn wino13_out;
} inc_simd_kernels;

extern const inc_simd_kernels inc_simd_kernels_avx2;
extern const inc_simd_kernels inc_simd_kernels_avx512;

#endif

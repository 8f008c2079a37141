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

typedef struct inc_simd_kernels {
    const char *isa;
    int vw;                         /* floats per vector */
    int nv_main;                    /* vectors in a full output-channel block */
    int mr[INC_SIMD_NV_MAX + 1];    /* largest tile height for each nv */
    inc_simd_gemm_fn gemm[INC_SIMD_NV_MAX + 1][INC_SIMD_MR_MAX + 1]; /* [nv][mr] */
    inc_simd_pool_fn max_pool, avg_pool;
    inc_simd_gap_fn global_avg_pool;
} inc_simd_kernels;

extern const inc_simd_kernels inc_simd_kernels_avx2;
extern const inc_simd_kernels inc_simd_kernels_avx512;

#endif

/* The int8 conv microkernels' internal interface: each ISA level fills inc_q8_kernels tables
 * from its own translation unit, compiled with that ISA's flags; q8.c (plain flags) only
 * reads a table after the CPUID/XGETBV check said the level runs here. */
#ifndef INC_Q8_KERNELS_H
#define INC_Q8_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define INC_Q8_MR_MAX 8 /* output pixels per microkernel call */

/* Weight layouts, per output-channel block of nv * vw lanes, [tap][group of 4 inputs]:
 *  DOT4:   [nv * vw lanes][4 int8]            (vpdpbusd, vpmaddubsw)
 *  WIDE16: per group of 2 inputs [nv * vw lanes][2 int16]; the input is widened to int16
 *          first (q8.c), so a "group" is 4 bytes = 2 channels               (vpmaddwd) */
enum { INC_Q8_PACK_DOT4 = 0, INC_Q8_PACK_WIDE16 = 1 };

/* Store modes: uint8 (requantise, clamp 0..255), float with ReLU, float without. */
enum { INC_Q8_STORE_U8 = 0, INC_Q8_STORE_F32_RELU = 1, INC_Q8_STORE_F32 = 2 };

/* One tile: mr output pixels x one block (nv * vw channels), over ntaps taps of nfull full
 * groups of 4 input channels plus a tail group of `tail` (0..3) channels.
 *   a:    [ntaps][mr] row pointers (a zero row for padding taps), read at [0, 4*nfull+tail)
 *   w:    the block's packed weights; bias, m: [nv * vw]
 *   c:    row r at c + r * c_stride elements (uint8 or float by mode); the first ncols
 *         channels are stored, nothing else is written. */
typedef void (*inc_q8_gemm_fn)(size_t ntaps, size_t nfull, size_t tail, const uint8_t *const *a,
                               const int8_t *w, const int32_t *bias, const float *m, void *c,
                               size_t c_stride, size_t ncols, int mode);

typedef struct inc_q8_kernels {
    const char *level;  /* "avx2", "avxvnni", "avx512vnni" */
    const char *kernel; /* variant name, e.g. "avx2-exact" */
    int vw, nv, mr;     /* int32 lanes per vector, vectors per block, largest tile */
    int pack;           /* INC_Q8_PACK_* */
    int max_abs_w;      /* > 0: exact only when every |w| <= this (chosen at pack time) */
    inc_q8_gemm_fn gemm[INC_Q8_MR_MAX + 1]; /* [mr], 1..mr */
} inc_q8_kernels;

extern const inc_q8_kernels inc_q8_kernels_avx2_exact;
extern const inc_q8_kernels inc_q8_kernels_avx2_7bit;
extern const inc_q8_kernels inc_q8_kernels_avxvnni;
extern const inc_q8_kernels inc_q8_kernels_avx512vnni;

#endif

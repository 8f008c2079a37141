/* AVX-512 (F, BW, DQ, VL) + FMA kernels (compiled with those flags only). Tiles: up to 12
 * pixels x 32 channels (24 zmm accumulators, broadcasts folded into the FMA's memory
 * operand), or 14 pixels x 16 channels for the last channel block. */
#include <immintrin.h>

#define VEC __m512
#define VW 16
#define KERNEL_SUFFIX avx512
#define V_ZERO() _mm512_setzero_ps()
#define V_LOAD(p) _mm512_load_ps(p)
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_BCAST(p) _mm512_set1_ps(*(p))
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_SUB(a, b) _mm512_sub_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_MAX(a, b) _mm512_max_ps(a, b)
#define V_MAX_NAN(acc, v) \
    _mm512_mask_mov_ps(_mm512_max_ps(acc, v), _mm512_cmp_ps_mask(acc, acc, _CMP_UNORD_Q), acc)
#define V_SET1(x) _mm512_set1_ps(x)
#define V_STOREU(p, v) _mm512_storeu_ps(p, v)
#define V_STORE_N(p, v, n) _mm512_mask_storeu_ps(p, avx512_mask(n), v)
#define V_LOAD_N(p, n) _mm512_maskz_loadu_ps(avx512_mask(n), p)

/* Lanes [0, n) set; n in [1, 16]. */
static inline __mmask16 avx512_mask(int n) { return (__mmask16)((1u << n) - 1u); }

#include "backends/simd/kernels_tmpl.h"

GEMM_DEF(1, 1) GEMM_DEF(2, 1) GEMM_DEF(3, 1) GEMM_DEF(4, 1) GEMM_DEF(5, 1) GEMM_DEF(6, 1)
GEMM_DEF(7, 1) GEMM_DEF(8, 1) GEMM_DEF(9, 1) GEMM_DEF(10, 1) GEMM_DEF(11, 1)
GEMM_DEF(12, 1) GEMM_DEF(13, 1) GEMM_DEF(14, 1)
GEMM_DEF(1, 2) GEMM_DEF(2, 2) GEMM_DEF(3, 2) GEMM_DEF(4, 2) GEMM_DEF(5, 2) GEMM_DEF(6, 2)
GEMM_DEF(7, 2) GEMM_DEF(8, 2) GEMM_DEF(9, 2) GEMM_DEF(10, 2) GEMM_DEF(11, 2)
GEMM_DEF(12, 2)

const inc_simd_kernels inc_simd_kernels_avx512 = {
    .isa = "avx512",
    .vw = VW,
    .nv_main = 2,
    .mr = {0, 14, 12},
    .gemm = {
        [1] = {NULL, gemm_1x1_avx512, gemm_2x1_avx512, gemm_3x1_avx512, gemm_4x1_avx512,
               gemm_5x1_avx512, gemm_6x1_avx512, gemm_7x1_avx512, gemm_8x1_avx512,
               gemm_9x1_avx512, gemm_10x1_avx512, gemm_11x1_avx512, gemm_12x1_avx512,
               gemm_13x1_avx512, gemm_14x1_avx512},
        [2] = {NULL, gemm_1x2_avx512, gemm_2x2_avx512, gemm_3x2_avx512, gemm_4x2_avx512,
               gemm_5x2_avx512, gemm_6x2_avx512, gemm_7x2_avx512, gemm_8x2_avx512,
               gemm_9x2_avx512, gemm_10x2_avx512, gemm_11x2_avx512, gemm_12x2_avx512},
    },
    .max_pool = max_pool_k,
    .avg_pool = avg_pool_k,
    .global_avg_pool = global_avg_pool_k,
    .wino_in = wino_in_k,
    .wino_out = wino_out_k,
    .wino2_in = wino2_in_k,
    .wino2_out = wino2_out_k,
    .wino7_in = wino7_in_k,
    .wino7_out = wino7_out_k,
    .wino13_in = wino13_in_k,
    .wino13_out = wino13_out_k,
};

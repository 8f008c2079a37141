/* AVX2 + FMA kernels (compiled with -mavx2 -mfma only). Tiles: up to 6 pixels x 16
 * channels, i.e. 12 ymm accumulators + 2 weight vectors + 1 broadcast of the 16 registers. */
#include <immintrin.h>

#define VEC __m256
#define VW 8
#define KERNEL_SUFFIX avx2
#define V_ZERO() _mm256_setzero_ps()
#define V_LOAD(p) _mm256_load_ps(p)
#define V_LOADU(p) _mm256_loadu_ps(p)
#define V_BCAST(p) _mm256_broadcast_ss(p)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_SUB(a, b) _mm256_sub_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_MAX(a, b) _mm256_max_ps(a, b)
#define V_MAX_NAN(acc, v) \
    _mm256_blendv_ps(_mm256_max_ps(acc, v), acc, _mm256_cmp_ps(acc, acc, _CMP_UNORD_Q))
#define V_SET1(x) _mm256_set1_ps(x)
#define V_STOREU(p, v) _mm256_storeu_ps(p, v)
#define V_STORE_N(p, v, n) _mm256_maskstore_ps(p, avx2_mask(n), v)
#define V_LOAD_N(p, n) _mm256_maskload_ps(p, avx2_mask(n))

/* Lanes [0, n) set; n in [1, 8]. Masked lanes are neither read nor written. */
static inline __m256i avx2_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#include "backends/simd/kernels_tmpl.h"

GEMM_DEF(1, 1) GEMM_DEF(2, 1) GEMM_DEF(3, 1) GEMM_DEF(4, 1) GEMM_DEF(5, 1) GEMM_DEF(6, 1)
GEMM_DEF(1, 2) GEMM_DEF(2, 2) GEMM_DEF(3, 2) GEMM_DEF(4, 2) GEMM_DEF(5, 2) GEMM_DEF(6, 2)

const inc_simd_kernels inc_simd_kernels_avx2 = {
    .isa = "avx2",
    .vw = VW,
    .nv_main = 2,
    .mr = {0, 6, 6},
    .gemm = {
        [1] = {NULL, gemm_1x1_avx2, gemm_2x1_avx2, gemm_3x1_avx2, gemm_4x1_avx2,
               gemm_5x1_avx2, gemm_6x1_avx2},
        [2] = {NULL, gemm_1x2_avx2, gemm_2x2_avx2, gemm_3x2_avx2, gemm_4x2_avx2,
               gemm_5x2_avx2, gemm_6x2_avx2},
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

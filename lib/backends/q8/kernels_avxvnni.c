/* AVX-VNNI int8 kernels (VEX vpdpbusd on ymm; compiled with -mavx2 -mfma -mavxvnni only).
 * The AVX2 structure with one vpdpbusd per 4 channels x 8 outputs. vpdpbusd does not
 * saturate (wraps like the ref's int32 sums); each 4-product sum is within +-130560. */
#include <immintrin.h>
#include <string.h>

#include "backends/q8/kernels.h"

#define VEC __m256i
#define FVEC __m256
#define VW 8
#define NV 2
#define Q_LOADI(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define Q_LOADF(p) _mm256_loadu_ps(p)
#define Q_BCAST4(u) _mm256_set1_epi32((int)(u))

static inline __m256i vnni_mask(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Same store as kernels_avx2.c: clamp in float (NaN -> 0), round half to even, narrow. */
static inline void store_u8(uint8_t *p, __m256i acc, __m256 m, size_t n) {
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), m);
    f = _mm256_min_ps(_mm256_max_ps(f, _mm256_setzero_ps()), _mm256_set1_ps(255.0f));
    __m256i i = _mm256_cvtps_epi32(f);
    __m128i w16 = _mm_packus_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
    __m128i b8 = _mm_packus_epi16(w16, w16);
    if (n == 8) {
        _mm_storel_epi64((__m128i *)(void *)p, b8);
    } else {
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)(void *)tmp, b8);
        memcpy(p, tmp, n);
    }
}

static inline void store_f32(float *p, __m256i acc, __m256 m, size_t n, int relu) {
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), m);
    if (relu) f = _mm256_max_ps(f, _mm256_setzero_ps());
    if (n == 8)
        _mm256_storeu_ps(p, f);
    else
        _mm256_maskstore_ps(p, vnni_mask(n), f);
}

#define Q_STORE_U8(p, acc, m, n) store_u8(p, acc, m, n)
#define Q_STORE_F32(p, acc, m, n, relu) store_f32(p, acc, m, n, relu)
#define Q_SUFFIX avxvnni
#define Q_WVECS 1
#define Q_MAC(acc, x, w) acc = _mm256_dpbusd_avx_epi32(acc, x, (w)[0])
#include "backends/q8/kernels_tmpl.h"
Q8_GEMM_DEF(1) Q8_GEMM_DEF(2) Q8_GEMM_DEF(3) Q8_GEMM_DEF(4) Q8_GEMM_DEF(5) Q8_GEMM_DEF(6)

const inc_q8_kernels inc_q8_kernels_avxvnni = {
    .level = "avxvnni", .kernel = "avxvnni", .vw = VW, .nv = NV, .mr = 6,
    .pack = INC_Q8_PACK_DOT4, .max_abs_w = 0,
    .gemm = {NULL, q8_gemm_1_avxvnni, q8_gemm_2_avxvnni, q8_gemm_3_avxvnni, q8_gemm_4_avxvnni,
             q8_gemm_5_avxvnni, q8_gemm_6_avxvnni},
};

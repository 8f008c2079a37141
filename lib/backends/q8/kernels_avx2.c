/* AVX2 int8 kernels (compiled with -mavx2 -mfma only). Two variants, chosen at pack time:
 *  exact: the input rows widened to int16 once per run (q8.c), weights as int16 pairs,
 *         vpmaddwd: exact for any int8 weights (each pair sum is at most 2 * 255 * 128,
 *         far inside int32); the default.
 *  7bit:  vpmaddubsw + vpmaddwd(ones): vpmaddubsw saturates its int16 pair sums, which stay
 *         exact only while 2 * 255 * |w| <= 32767, i.e. |w| <= 64; used when every weight
 *         of the conv is in [-64, 64]. */
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

static inline __m256i avx2_mask(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* clamp in float first (cvtps2dq of a huge value is INT_MIN), max(x, 0) with x first so a
 * NaN becomes 0, then round half to even (the default MXCSR) and narrow without saturating
 * surprises: the values are already 0..255. */
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
        _mm256_maskstore_ps(p, avx2_mask(n), f);
}

#define Q_STORE_U8(p, acc, m, n) store_u8(p, acc, m, n)
#define Q_STORE_F32(p, acc, m, n, relu) store_f32(p, acc, m, n, relu)

/* ---- exact: the input widened to int16 (q8.c), 2 channels per 4 bytes, vpmaddwd ---- */
#define Q_SUFFIX exact
#define Q_WVECS 1
#define Q_MAC(acc, x, w) acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, (w)[0]))
#include "backends/q8/kernels_tmpl.h"
Q8_GEMM_DEF(1) Q8_GEMM_DEF(2) Q8_GEMM_DEF(3) Q8_GEMM_DEF(4)

const inc_q8_kernels inc_q8_kernels_avx2_exact = {
    .level = "avx2", .kernel = "avx2-exact", .vw = VW, .nv = NV, .mr = 4,
    .pack = INC_Q8_PACK_WIDE16, .max_abs_w = 0,
    .gemm = {NULL, q8_gemm_1_exact, q8_gemm_2_exact, q8_gemm_3_exact, q8_gemm_4_exact},
};

/* ---- 7bit: vpmaddubsw (u8 x s8 -> saturating int16 pairs), then pairs to int32 ---- */
#undef Q_SUFFIX
#undef Q_WVECS
#undef Q_MAC
#undef Q8_GEMM_BODY
#define Q_SUFFIX b7
#define Q_WVECS 1
#define Q_MAC(acc, x, w)                                                                     \
    acc = _mm256_add_epi32(                                                                  \
        acc, _mm256_madd_epi16(_mm256_maddubs_epi16(x, (w)[0]), _mm256_set1_epi16(1)))
#include "backends/q8/kernels_tmpl.h"
Q8_GEMM_DEF(1) Q8_GEMM_DEF(2) Q8_GEMM_DEF(3) Q8_GEMM_DEF(4)

const inc_q8_kernels inc_q8_kernels_avx2_7bit = {
    .level = "avx2", .kernel = "avx2-7bit", .vw = VW, .nv = NV, .mr = 4,
    .pack = INC_Q8_PACK_DOT4, .max_abs_w = 64,
    .gemm = {NULL, q8_gemm_1_b7, q8_gemm_2_b7, q8_gemm_3_b7, q8_gemm_4_b7},
};

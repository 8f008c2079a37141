/* AVX-512 VNNI int8 kernels (EVEX vpdpbusd on zmm; compiled with -mavx512f -mavx512bw
 * -mavx512dq -mavx512vl -mavx512vnni only). The AVX2 structure with 16 lanes: one vpdpbusd
 * per 4 channels x 16 outputs, tiles of up to 8 pixels x 32 channels (16 accumulators).
 * vpdpbusd does not saturate (wraps like the ref's int32 sums). */
#include <immintrin.h>
#include <string.h>

#include "backends/q8/kernels.h"

#define VEC __m512i
#define FVEC __m512
#define VW 16
#define NV 2
#define Q_LOADI(p) _mm512_loadu_si512((const void *)(p))
#define Q_LOADF(p) _mm512_loadu_ps(p)
#define Q_BCAST4(u) _mm512_set1_epi32((int)(u))

/* Clamp in float (max with x first: NaN -> 0), round half to even (default MXCSR), then
 * narrow the 0..255 int32 lanes to bytes under a mask for the tail. */
static inline void store_u8(uint8_t *p, __m512i acc, __m512 m, size_t n) {
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), m);
    f = _mm512_min_ps(_mm512_max_ps(f, _mm512_setzero_ps()), _mm512_set1_ps(255.0f));
    __m512i i = _mm512_cvtps_epi32(f);
    _mm512_mask_cvtepi32_storeu_epi8(p, (__mmask16)((1u << n) - 1u), i);
}

static inline void store_f32(float *p, __m512i acc, __m512 m, size_t n, int relu) {
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), m);
    if (relu) f = _mm512_max_ps(f, _mm512_setzero_ps());
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1u), f);
}

#define Q_STORE_U8(p, acc, m, n) store_u8(p, acc, m, n)
#define Q_STORE_F32(p, acc, m, n, relu) store_f32(p, acc, m, n, relu)
#define Q_SUFFIX avx512vnni
#define Q_WVECS 1
#define Q_MAC(acc, x, w) acc = _mm512_dpbusd_epi32(acc, x, (w)[0])
#include "backends/q8/kernels_tmpl.h"
Q8_GEMM_DEF(1) Q8_GEMM_DEF(2) Q8_GEMM_DEF(3) Q8_GEMM_DEF(4)
Q8_GEMM_DEF(5) Q8_GEMM_DEF(6) Q8_GEMM_DEF(7) Q8_GEMM_DEF(8)

const inc_q8_kernels inc_q8_kernels_avx512vnni = {
    .level = "avx512vnni", .kernel = "avx512vnni", .vw = VW, .nv = NV, .mr = 8,
    .pack = INC_Q8_PACK_DOT4, .max_abs_w = 0,
    .gemm = {NULL, q8_gemm_1_avx512vnni, q8_gemm_2_avx512vnni, q8_gemm_3_avx512vnni,
             q8_gemm_4_avx512vnni, q8_gemm_5_avx512vnni, q8_gemm_6_avx512vnni,
             q8_gemm_7_avx512vnni, q8_gemm_8_avx512vnni},
};

/* lib/backends: may include lib/common and include/. */
/* int8 kernels (issue 14): uint8 activations (zero point 0), int8 weights per output
 * channel, int32 accumulation, requantisation + ReLU fused in the store. Internal, not
 * public ABI. The arithmetic is the same on every ISA level, so each level is bit-exact
 * against "ref" (docs/int8.md, "Kernels"):
 *   acc[o] = bias_q[o] + sum(w * x)                      (int32; padding contributes 0)
 *   out    = clamp(nearbyint((float)acc * m[o]), 0, 255)  (one float32 multiply,
 *            round half to even; a NaN product stores 0)
 *   out_f  = max((float)acc * m[o], 0) with relu, else (float)acc * m[o]   (run_f32)
 * The implementation lives in lib/backends/q8/ (q8.c dispatches, kernels_<isa>.c). */
#ifndef INC_BACKENDS_Q8_H
#define INC_BACKENDS_Q8_H

#include <stddef.h>
#include <stdint.h>

#include "inception/backend.h"
#include "inception/inception.h"

typedef struct inc_q8_view { /* NHWC uint8, pixel_stride >= c (channel slices of a concat) */
    uint8_t *data;
    int64_t n, h, w, c, pixel_stride;
} inc_q8_view;

/* Pack for the best ISA level the CPU has (or `level`: "ref", "avx2", "avxvnni",
 * "avx512vnni"; NULL = best, where INCEPTION_SIMD_LEVEL=avx2 keeps it off zmm). weights
 * [out][kh][kw][in] int8, bias_q [out] int32, m [out] float (s_in * s_w / s_out for run,
 * s_in * s_w for run_f32). relu as in the desc (run always clamps at 0: uint8 output).
 * Returns OUT_OF_MEMORY / INVALID_ARGUMENT / NOT_FOUND (level unknown or not available
 * here); the inputs may be freed after the call. */
inception_status inc_q8_conv_pack(const inception_conv_desc *desc, const int8_t *weights,
                                  const int32_t *bias_q, const float *m, const char *level,
                                  void **packed);
void inc_q8_conv_release(void *packed); /* NULL is a no-op */
const char *inc_q8_conv_level(const void *packed); /* "ref", "avx2", ... */
/* Bytes of scratch one run call needs (64-byte aligned, private to the call). */
size_t inc_q8_conv_scratch(const void *packed, const inc_q8_view *in, int32_t parts);
/* uint8 -> uint8. out->h, w must be the conv's output size for in; in->c == in_channels,
 * out->c == out_channels. Parts together write every output element exactly once. */
void inc_q8_conv_run(const void *packed, const inc_q8_view *in, const inc_q8_view *out,
                     int32_t part, int32_t parts, void *scratch);
/* uint8 -> float (out is an inception_view; m is then s_in * s_w[o]) */
void inc_q8_conv_run_f32(const void *packed, const inc_q8_view *in, const inception_view *out,
                         int32_t part, int32_t parts, void *scratch);

/* Pools on uint8: max exact (padding never wins); avg = nearbyint((float)sum / (float)count)
 * (round half to even, count as the float pools count it). Split by output pixels. */
void inc_q8_max_pool(const inception_pool_desc *d, const inc_q8_view *in, const inc_q8_view *out,
                     int32_t part, int32_t parts);
void inc_q8_avg_pool(const inception_pool_desc *d, const inc_q8_view *in, const inc_q8_view *out,
                     int32_t part, int32_t parts);
/* clamp(nearbyint(x * inv_scale), 0, 255), NaN -> 0 */
void inc_q8_quantize(const inception_view *in, float inv_scale, const inc_q8_view *out,
                     int32_t part, int32_t parts);
/* (float)x * scale */
void inc_q8_dequantize(const inc_q8_view *in, float scale, const inception_view *out,
                       int32_t part, int32_t parts);

/* Levels present on this CPU, for tests: "ref", then the SIMD ones; *n filled. */
const char *const *inc_q8_levels(int32_t *n);

/* Addition to INT8_API.md, for the benchmark and tests: the kernel variant a pack chose
 * ("ref", "avx2-exact", "avx2-7bit", "avxvnni", "avx512vnni"). */
const char *inc_q8_conv_kernel(const void *packed);

#endif

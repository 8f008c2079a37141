/* int8 calibration records (docs/int8.md): per-tensor activation ranges measured on
 * calibration images, keyed by the float graph's tensor names, as JSON text:
 *   {"format": "inception-calibration", "version": 1, "method": "percentile=99.99",
 *    "images": 8, "ranges": {"Conv2d_1a_3x3": "3.91752", ...}}
 * Ranges are strings (exact float32 round trip with %.9g) because the JSON reader keeps
 * no fractional numbers. */
#ifndef INC_MODEL_QUANT_H
#define INC_MODEL_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "model/model.h"

#define INC_QUANT_DEFAULT_PERCENTILE 99.99
#define INC_QUANT_MAX_TENSORS 128
#define INC_QUANT_MSE (-1.0) /* inc_quant_method_parse's p for "mse" */

/* "mse" (and NULL, the default) -> *p = INC_QUANT_MSE; "minmax" -> 100; "percentile" ->
 * INC_QUANT_DEFAULT_PERCENTILE; "percentile=P" (P in [50, 100]). 0 on success, -1 otherwise. */
int inc_quant_method_parse(const char *method, double *p);

typedef struct inc_calibration {
    char method[32];   /* "mse", "minmax" or "percentile=P" */
    int64_t images;
    int32_t n;
    char names[INC_QUANT_MAX_TENSORS][48];
    float range[INC_QUANT_MAX_TENSORS];
    /* version 2: per-channel means of tensor i (for the bias correction) at
     * means[mean_at[i] ...], mean_n[i] of them; mean_n[i] = 0 when absent */
    float *means; /* inc_malloc'd, or NULL */
    int64_t mean_at[INC_QUANT_MAX_TENSORS];
    int32_t mean_n[INC_QUANT_MAX_TENSORS];
} inc_calibration;

/* Parse a record (version 1, or 2 with "means"); FORMAT errors name the field (`what`
 * names the source in messages). Free with inc_calibration_clear. */
inception_status inc_calibration_parse(const char *text, size_t size, const char *what,
                                       inc_calibration *out);
/* Serialise (inc_malloc'd NUL-terminated text): version 2 with the means when
 * `with_means` and the record has any, else version 1. */
inception_status inc_calibration_format(const inc_calibration *c, int with_means, char **text);
/* Free the means (the struct itself is the caller's). */
void inc_calibration_clear(inc_calibration *c);
/* The means recorded for `name` (*count of them), or NULL. */
const float *inc_calibration_means(const inc_calibration *c, const char *name, int32_t *count);
/* Bias correction (docs/int8.md): subtract from bias[o] the mean shift
 * sum((wq * sw[o] - w) * mean[c]) that rounding w [out][taps][in] to wq causes. */
void inc_q8_bias_correct(int32_t out, int32_t taps, int32_t in, const float *w,
                         const int8_t *wq, const float *sw, const float *mean, float *bias);
/* The range recorded for `name`, or -1 when absent. */
float inc_calibration_range(const inc_calibration *c, const char *name);

#endif

/* A quantised file's conv `prefix` (docs/model-format.md, "Quantised files"):
 * prefix.conv.qweight I8 [cout, kh, kw, cin] (BN folded), prefix.conv.weight_scale F32
 * [cout] (finite, > 0), prefix.conv.bias F32 [cout] (finite). Returns NOT_FOUND without
 * a message when prefix.conv.qweight is absent (a float layer); FORMAT / SHAPE / DTYPE /
 * MISSING_TENSOR naming the tensor otherwise. Outputs from inc_malloc. */
inception_status inc_load_conv_q8(const inc_safetensors *st, const char *prefix, int32_t cin,
                                  int32_t cout, int32_t kh, int32_t kw, int8_t **weights,
                                  float **scale, float **bias);

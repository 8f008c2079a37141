/* lib/image: decoding, resampling, preprocessing and the built-in label names. May include
 * lib/model, lib/backends, lib/common and include/; never lib/api, lib/graph or lib/tasks.
 * Callers pass plain settings (inc_decode_opts), not the options handle.
 *
 * Image layer internals: decoded images (image/decoder.h), format dispatch, Pillow-compatible
 * resampling and the preprocessing presets. Everything here is hidden (inc_ prefix). */
#ifndef INC_IMAGE_H
#define INC_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "image/decoder.h"
#include "model/model.h"

/* Sniff the format (JPEG, PNG) and decode with its decoder. */
inception_status inc_decode_memory(const uint8_t *data, size_t size, const inc_decode_opts *o,
                                   inception_image **out);

/* Pillow-compatible resampling (ImagingResample with an 8-bit image): separable, fixed
 * point with 22 fractional bits, rounding to uint8 between the passes. Produces the
 * window [x0, x0+cw) x [y0, y0+ch) of the full out_w x out_h resize of `src`. */
typedef enum inc_filter { INC_FILTER_BILINEAR = 1, INC_FILTER_BICUBIC = 2 } inc_filter;
inception_status inc_resample_pil(const uint8_t *src, int32_t w, int32_t h, int32_t out_w,
                                  int32_t out_h, int32_t x0, int32_t y0, int32_t cw,
                                  int32_t ch, inc_filter filter, uint8_t *dst);

/* Geometry of a preset for an output of out_h x out_w from a w x h image. */
typedef struct inc_prep_plan {
    inc_preset preset;
    /* torchvision/timm: resize to rw x rh, then crop [cx, cx+out_w) x [cy, cy+out_h). */
    int32_t rw, rh, cx, cy;
    /* tf: crop box of the source, then legacy bilinear to out_w x out_h. */
    int32_t tx, ty, tw, th;
} inc_prep_plan;

void inc_prep_plan_make(inc_preset preset, int32_t w, int32_t h, int32_t out_h,
                        int32_t out_w, inc_prep_plan *plan);
/* Shorter side the decoder must keep for a preset and output size (classify's hint). */
int32_t inc_preset_min_side(inc_preset preset, int32_t out_h, int32_t out_w);

/* The preset's crop as 8-bit RGB (torchvision/timm; what the 1/255 criterion is about),
 * out_h*out_w*3 bytes. */
inception_status inc_preprocess_u8(const inception_image *img, inc_preset preset,
                                   int32_t out_h, int32_t out_w, uint8_t *dst);
/* The preset's output in [0,1] as float RGB interleaved, out_h*out_w*3 floats. */
inception_status inc_preprocess_unit(const inception_image *img, inc_preset preset,
                                     int32_t out_h, int32_t out_w, float *dst);

/* Built-in ImageNet-1k class names (labels_imagenet.c, generated). */
#define INC_IMAGENET_CLASSES 1000
extern const char *const inc_imagenet_labels[INC_IMAGENET_CLASSES];

#endif

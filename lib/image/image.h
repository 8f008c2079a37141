/* Image layer internals: decoded images, decoders, Pillow-compatible resampling and the
 * preprocessing presets. Everything here is hidden (inc_ prefix). */
#ifndef INC_IMAGE_H
#define INC_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "api/options.h"
#include "common/common.h"
#include "model/model.h"

/* Packed 8-bit RGB, width*3 bytes per row. */
struct inception_image {
    int32_t width, height;
    uint8_t *pixels; /* inc_malloc */
};

/* Decode-time settings taken from an options bag. */
typedef struct inc_decode_opts {
    int64_t max_pixels;     /* > 0 */
    int32_t exif;           /* apply EXIF orientation */
    int32_t min_side;       /* 0 = full decode; else DCT scaling may shrink to >= this */
    int64_t max_memory;     /* > 0: bytes a decode may hold at once (pixels, codec buffers) */
    int32_t max_scans;      /* > 0: most scans a JPEG may have */
} inc_decode_opts;

void inc_decode_opts_from(const inception_options *opts, inc_decode_opts *out);

/* A new image with uninitialised pixels; refuses zero sizes and sizes over max_pixels. */
inception_status inc_image_new(int64_t width, int64_t height, int64_t max_pixels,
                               inception_image **out);
void inc_image_destroy(inception_image *img);


/* Format sniffing and decoders. Both return IMAGE for bad bytes, IMAGE_TOO_LARGE above
 * the pixel limit, OUT_OF_MEMORY. */
int inc_is_jpeg(const uint8_t *data, size_t size);
int inc_is_png(const uint8_t *data, size_t size);
inception_status inc_jpeg_decode(const uint8_t *data, size_t size, const inc_decode_opts *o,
                                 inception_image **out);
inception_status inc_png_decode(const uint8_t *data, size_t size, const inc_decode_opts *o,
                                inception_image **out);
inception_status inc_decode_memory(const uint8_t *data, size_t size, const inc_decode_opts *o,
                                   inception_image **out);
/* Fuzzing only: 1 makes the PNG decoder ignore chunk CRCs and zlib's Adler-32. */
void inc_png_ignore_checksums(int on);

/* EXIF orientation (1..8) from the payload of an APP1 marker, 1 if absent or malformed. */
int inc_exif_orientation(const uint8_t *app1, size_t size);
/* Where pixel (sx, sy) of a w x h decode lands once orientation 1..8 is applied: an
 * index into the oriented image (whose sides are swapped for 5..8). */
size_t inc_orient_index(int orientation, int32_t w, int32_t h, int32_t sx, int32_t sy);

/* JPEG DCT scale numerator (denominator 8) for a decode whose shorter side must stay
 * >= min_side; 8 means full size. Only reductions of 2x or more are used. */
int inc_jpeg_scale_num(int64_t width, int64_t height, int32_t min_side);

/* Pillow-compatible resampling (ImagingResample with an 8-bit image): separable, fixed
 * point with 22 fractional bits, rounding to uint8 between the passes. Produces the
 * window [x0, x0+cw) x [y0, y0+ch) of the full out_w x out_h resize of `src`. The full
 * resize is never materialised, so its sides are 64-bit: an extreme aspect ratio (1 x
 * 2^28 pixels) resizes to a long side far beyond INT32_MAX. */
typedef enum inc_filter { INC_FILTER_BILINEAR = 1, INC_FILTER_BICUBIC = 2 } inc_filter;
inception_status inc_resample_pil(const uint8_t *src, int32_t w, int32_t h, int64_t out_w,
                                  int64_t out_h, int64_t x0, int64_t y0, int32_t cw,
                                  int32_t ch, inc_filter filter, uint8_t *dst);

/* Geometry of a preset for an output of out_h x out_w from a w x h image. */
typedef struct inc_prep_plan {
    inc_preset preset;
    /* torchvision/timm: resize to rw x rh, then crop [cx, cx+out_w) x [cy, cy+out_h).
     * 64-bit: the resized long side is target * longer / shorter. */
    int64_t rw, rh, cx, cy;
    /* tf: crop box of the source, then legacy bilinear to out_w x out_h. */
    int32_t tx, ty, tw, th;
} inc_prep_plan;

/* Any w, h >= 1 and out sides in [1, 65535] give a crop inside the resize (torchvision,
 * timm) or a crop box of at least 1x1 inside the image (tf). */
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

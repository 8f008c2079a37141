/* The decoder interface of lib/image: decoded images, the settings a decoder takes, the
 * helpers the decoders share (decoder.c) and the table entry each decoder exports. The
 * JPEG/PNG decoders include only this header; the dispatcher (image.c) reaches them
 * through their entries, so the calls go one way. */
#ifndef INC_DECODER_H
#define INC_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* Packed 8-bit RGB, width*3 bytes per row. */
struct inception_image {
    int32_t width, height;
    uint8_t *pixels; /* inc_malloc */
};

/* Default pixel limit of a decoded image (INCEPTION_OPT_MAX_IMAGE_PIXELS). */
#define INC_DEFAULT_MAX_PIXELS ((int64_t)1 << 28)

/* Decode-time settings: plain values, filled by the API layer from an options bag. */
typedef struct inc_decode_opts {
    int64_t max_pixels;     /* > 0 */
    int32_t exif;           /* apply EXIF orientation */
    int32_t min_side;       /* 0 = full decode; else DCT scaling may shrink to >= this */
} inc_decode_opts;

/* A new image with uninitialised pixels; refuses zero sizes and sizes over max_pixels. */
inception_status inc_image_new(int64_t width, int64_t height, int64_t max_pixels,
                               inception_image **out);
void inc_image_destroy(inception_image *img);

/* EXIF orientation (1..8) from the payload of an APP1 marker, 1 if absent or malformed. */
int inc_exif_orientation(const uint8_t *app1, size_t size);
/* Apply orientation 2..8 in place of *img (replacing its pixels). */
inception_status inc_image_orient(inception_image *img, int orientation);

/* JPEG DCT scale numerator (denominator 8) for a decode whose shorter side must stay
 * >= min_side; 8 means full size. Only reductions of 2x or more are used. */
int inc_jpeg_scale_num(int64_t width, int64_t height, int32_t min_side);

/* One image format: `sniff` says whether the bytes are this format; `decode` returns
 * IMAGE for bad bytes, IMAGE_TOO_LARGE above the pixel limit, OUT_OF_MEMORY. */
typedef struct inc_decoder {
    int (*sniff)(const uint8_t *data, size_t size);
    inception_status (*decode)(const uint8_t *data, size_t size, const inc_decode_opts *o,
                               inception_image **out);
} inc_decoder;

extern const inc_decoder inc_decoder_jpeg; /* decode_jpeg.c, libjpeg(-turbo) */
extern const inc_decoder inc_decoder_png;  /* decode_png.c, libspng */

#endif

/* Image objects and EXIF orientation: what the decoders share. */
#include <string.h>

#include "image/decoder.h"

inception_status inc_image_new(int64_t width, int64_t height, int64_t max_pixels,
                               inception_image **out) {
    if (width <= 0 || height <= 0)
        return inc_error(INCEPTION_ERR_IMAGE, "image has a zero dimension (%lldx%lld)",
                         (long long)width, (long long)height);
    if (width > INT32_MAX || height > INT32_MAX || width * height > max_pixels)
        return inc_error(INCEPTION_ERR_IMAGE_TOO_LARGE,
                         "image of %lldx%lld pixels is above the limit of %lld pixels",
                         (long long)width, (long long)height, (long long)max_pixels);
    size_t bytes;
    if (!inc_mul_size((size_t)width * 3, (size_t)height, &bytes))
        return inc_error(INCEPTION_ERR_IMAGE_TOO_LARGE, "image size overflows");
    inception_image *img = inc_calloc(1, sizeof *img);
    if (!img) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "image header");
    img->pixels = inc_malloc(bytes);
    if (!img->pixels) {
        inc_free(img);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "image of %lldx%lld pixels",
                         (long long)width, (long long)height);
    }
    img->width = (int32_t)width;
    img->height = (int32_t)height;
    *out = img;
    return INCEPTION_OK;
}

void inc_image_destroy(inception_image *img) {
    if (!img) return;
    inc_free(img->pixels);
    inc_free(img);
}

static uint32_t rd16(const uint8_t *p, int be) {
    return be ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}
static uint32_t rd32(const uint8_t *p, int be) {
    return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
              : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

int inc_exif_orientation(const uint8_t *app1, size_t size) {
    if (size < 6 + 8 || memcmp(app1, "Exif\0\0", 6) != 0) return 1;
    const uint8_t *t = app1 + 6; /* TIFF header: offsets are relative to it */
    size_t n = size - 6;
    int be;
    if (t[0] == 'I' && t[1] == 'I') be = 0;
    else if (t[0] == 'M' && t[1] == 'M') be = 1;
    else return 1;
    if (rd16(t + 2, be) != 42) return 1;
    uint32_t ifd = rd32(t + 4, be);
    if (ifd > n || n - ifd < 2) return 1;
    uint32_t count = rd16(t + ifd, be);
    if ((n - ifd - 2) / 12 < count) return 1;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = t + ifd + 2 + 12 * (size_t)i;
        if (rd16(e, be) != 0x0112) continue;
        /* SHORT, one value, stored in the first two bytes of the value field */
        if (rd16(e + 2, be) != 3 || rd32(e + 4, be) != 1) return 1;
        uint32_t v = rd16(e + 8, be);
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
}

inception_status inc_image_orient(inception_image *img, int orientation) {
    if (orientation < 2 || orientation > 8) return INCEPTION_OK;
    int32_t w = img->width, h = img->height;
    int swap = orientation >= 5;
    int32_t ow = swap ? h : w, oh = swap ? w : h;
    uint8_t *dst = inc_malloc((size_t)w * (size_t)h * 3);
    if (!dst) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "EXIF rotation buffer");
    const uint8_t *src = img->pixels;
    for (int32_t y = 0; y < oh; y++) {
        uint8_t *d = dst + (size_t)y * ow * 3;
        for (int32_t x = 0; x < ow; x++) {
            int32_t sx, sy;
            switch (orientation) {
            case 2: sx = w - 1 - x; sy = y; break;                 /* mirror */
            case 3: sx = w - 1 - x; sy = h - 1 - y; break;         /* rotate 180 */
            case 4: sx = x; sy = h - 1 - y; break;                 /* flip */
            case 5: sx = y; sy = x; break;                         /* transpose */
            case 6: sx = y; sy = h - 1 - x; break;                 /* rotate 90 cw */
            case 7: sx = w - 1 - y; sy = h - 1 - x; break;         /* transverse */
            default: sx = w - 1 - y; sy = x; break;                /* 8: rotate 90 ccw */
            }
            const uint8_t *s = src + ((size_t)sy * w + sx) * 3;
            d[3 * x] = s[0];
            d[3 * x + 1] = s[1];
            d[3 * x + 2] = s[2];
        }
    }
    inc_free(img->pixels);
    img->pixels = dst;
    img->width = ow;
    img->height = oh;
    return INCEPTION_OK;
}

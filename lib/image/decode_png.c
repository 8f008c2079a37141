/* PNG decoding with libspng. Every PNG colour type becomes 8-bit RGB: 16-bit samples
 * keep their high byte, palettes are expanded, gray is replicated. Alpha and tRNS are
 * dropped, not composited: that is what PIL's Image.convert("RGB") does, and PIL is
 * what the torchvision/timm preprocessing the weights were trained with used. */
#include <string.h>

#include "image/decoder.h"

static int is_png(const uint8_t *data, size_t size) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    return size >= 8 && memcmp(data, sig, 8) == 0;
}

#ifdef INC_HAVE_PNG
#include <spng.h>

/* libspng (and the zlib stream inside it) allocates through these, so allocation-failure
 * tests reach it too. spng reports a failed allocation inside inflate as a stream error,
 * so failures are also noted here to report them as what they are. */
static _Thread_local int png_alloc_failed;
static void *png_note(void *p) {
    if (!p) png_alloc_failed = 1;
    return p;
}
static void *png_malloc(size_t n) { return png_note(inc_malloc(n)); }
static void *png_realloc(void *p, size_t n) { return png_note(inc_realloc(p, n)); }
static void *png_calloc(size_t c, size_t n) { return png_note(inc_calloc(c, n)); }
static void png_free(void *p) { inc_free(p); }

/* Ancillary chunks (text, ICC, EXIF) are not needed: cap them so a hostile file cannot
 * make us hold large amounts of metadata. */
#define PNG_CHUNK_LIMIT ((size_t)16 << 20)
#define PNG_CACHE_LIMIT ((size_t)64 << 20)

static inception_status png_decode(const uint8_t *data, size_t size,
                                  const inc_decode_opts *o, inception_image **out) {
    struct spng_alloc alloc = {png_malloc, png_realloc, png_calloc, png_free};
    png_alloc_failed = 0;
    spng_ctx *ctx = spng_ctx_new2(&alloc, 0);
    if (!ctx) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "PNG decoder context");
    inception_image *img = NULL;
    inception_status st = INCEPTION_OK;
    int rc = spng_set_chunk_limits(ctx, PNG_CHUNK_LIMIT, PNG_CACHE_LIMIT);
    if (!rc) rc = spng_set_crc_action(ctx, SPNG_CRC_ERROR, SPNG_CRC_DISCARD);
    if (!rc) rc = spng_set_png_buffer(ctx, data, size);
    if (rc) {
        st = inc_error(INCEPTION_ERR_IMAGE, "PNG: %s", spng_strerror(rc));
        goto done;
    }
    struct spng_ihdr ihdr;
    rc = spng_get_ihdr(ctx, &ihdr);
    if (rc) {
        st = inc_error(rc == SPNG_EMEM || png_alloc_failed ? INCEPTION_ERR_OUT_OF_MEMORY
                                                           : INCEPTION_ERR_IMAGE,
                       "PNG header: %s", spng_strerror(rc));
        goto done;
    }
    if ((int64_t)ihdr.width * (int64_t)ihdr.height > o->max_pixels) {
        st = inc_error(INCEPTION_ERR_IMAGE_TOO_LARGE,
                       "PNG of %ux%u pixels is above the limit of %lld pixels",
                       (unsigned)ihdr.width, (unsigned)ihdr.height, (long long)o->max_pixels);
        goto done;
    }
    size_t bytes = 0;
    rc = spng_decoded_image_size(ctx, SPNG_FMT_RGB8, &bytes);
    if (rc) {
        st = inc_error(INCEPTION_ERR_IMAGE, "PNG: %s", spng_strerror(rc));
        goto done;
    }
    st = inc_image_new(ihdr.width, ihdr.height, o->max_pixels, &img);
    if (st != INCEPTION_OK) goto done;
    if (bytes != (size_t)img->width * img->height * 3) {
        st = inc_error(INCEPTION_ERR_INTERNAL, "PNG: unexpected decoded size %zu", bytes);
        goto done;
    }
    rc = spng_decode_image(ctx, img->pixels, bytes, SPNG_FMT_RGB8, 0);
    if (rc) {
        /* zlib's inflateInit only fails for want of memory (spng hands it our allocator) */
        int oom = rc == SPNG_EMEM || rc == SPNG_EZLIB_INIT || png_alloc_failed;
        st = inc_error(oom ? INCEPTION_ERR_OUT_OF_MEMORY : INCEPTION_ERR_IMAGE,
                       "PNG: %s", spng_strerror(rc));
        goto done;
    }
done:
    spng_ctx_free(ctx);
    if (st != INCEPTION_OK) {
        inc_image_destroy(img);
        return st;
    }
    *out = img;
    return INCEPTION_OK;
}

#else /* built with -Dpng=disabled: no libspng */

static inception_status png_decode(const uint8_t *data, size_t size,
                                  const inc_decode_opts *o, inception_image **out) {
    (void)data;
    (void)size;
    (void)o;
    (void)out;
    return inc_error(INCEPTION_ERR_UNSUPPORTED,
                     "PNG decoding is not built into this libinception (configured with "
                     "-Dpng=disabled); decode the image elsewhere and pass its pixels to "
                     "inception_image_from_pixels");
}
#endif

const inc_decoder inc_decoder_png = {is_png, png_decode};

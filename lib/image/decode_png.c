/* PNG decoding with libspng. Every PNG colour type becomes 8-bit RGB: 16-bit samples
 * keep their high byte, palettes are expanded, gray is replicated. Alpha and tRNS are
 * dropped, not composited: that is what PIL's Image.convert("RGB") does, and PIL is
 * what the torchvision/timm preprocessing the weights were trained with used. */
#include <malloc.h>
#include <stdatomic.h>
#include <string.h>

#include "image/decoder.h"

static int is_png(const uint8_t *data, size_t size) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    return size >= 8 && memcmp(data, sig, 8) == 0;
}

/* Fuzzing hook (hidden): a mutated PNG almost never has right CRCs or a right Adler-32,
 * so the fuzz target turns both checks off to let mutations reach the decoder. Never set
 * by the library itself. */
static _Atomic int ignore_checksums;
void inc_png_ignore_checksums(int on) { ignore_checksums = on != 0; }

#ifdef INC_HAVE_PNG
#include <spng.h>

/* libspng (and the zlib stream inside it) allocates through these, so allocation-failure
 * tests reach it too, and so does the decode-memory budget: what spng holds plus our
 * pixels may not pass it. spng reports a failed allocation inside inflate as a stream
 * error, so failures are also noted here to report them as what they are. */
typedef struct png_mem {
    int failed;      /* an allocation failed (or was refused) */
    int over_budget; /* ... because of the budget */
    int64_t held;    /* bytes spng holds */
    int64_t reserved; /* our pixels */
    int64_t budget;
} png_mem;
static _Thread_local png_mem pm;

static int png_admit(size_t more) {
    if ((int64_t)more > pm.budget - pm.held - pm.reserved) {
        pm.failed = pm.over_budget = 1;
        return 0;
    }
    return 1;
}
static void *png_note(void *p) {
    if (!p) pm.failed = 1;
    else pm.held += (int64_t)malloc_usable_size(p);
    return p;
}
static void *png_malloc(size_t n) { return png_admit(n) ? png_note(inc_malloc(n)) : NULL; }
static void *png_calloc(size_t c, size_t n) {
    if (n && c > SIZE_MAX / n) return NULL;
    return png_admit(c * n) ? png_note(inc_calloc(c, n)) : NULL;
}
static void *png_realloc(void *p, size_t n) {
    size_t old = p ? malloc_usable_size(p) : 0;
    if (n > old && !png_admit(n - old)) return NULL;
    void *q = inc_realloc(p, n);
    if (!q) {
        pm.failed = 1;
        return NULL;
    }
    pm.held += (int64_t)malloc_usable_size(q) - (int64_t)old;
    return q;
}
static void png_free(void *p) {
    if (p) pm.held -= (int64_t)malloc_usable_size(p);
    inc_free(p);
}

/* A failure spng reports as it sees it, told apart by what the allocator saw. */
static inception_status png_failure(int rc, int oom_code, const char *what) {
    if (pm.over_budget)
        return inc_error(INCEPTION_ERR_IMAGE_TOO_LARGE,
                         "PNG%s needs more than the decode memory limit of %lld bytes "
                         "(INCEPTION_OPT_MAX_DECODE_MEMORY)",
                         what, (long long)pm.budget);
    int oom = oom_code || pm.failed;
    return inc_error(oom ? INCEPTION_ERR_OUT_OF_MEMORY : INCEPTION_ERR_IMAGE, "PNG%s: %s",
                     what, rc ? spng_strerror(rc) : "out of memory");
}

/* Ancillary chunks (text, ICC, EXIF) are not needed: cap them so a hostile file cannot
 * make us hold large amounts of metadata. */
#define PNG_CHUNK_LIMIT ((size_t)16 << 20)
#define PNG_CACHE_LIMIT ((size_t)64 << 20)

static inception_status png_decode(const uint8_t *data, size_t size,
                                  const inc_decode_opts *o, inception_image **out) {
    struct spng_alloc alloc = {png_malloc, png_realloc, png_calloc, png_free};
    memset(&pm, 0, sizeof pm);
    pm.budget = o->max_memory;
    int fuzzing = ignore_checksums;
    spng_ctx *ctx = spng_ctx_new2(&alloc, fuzzing ? SPNG_CTX_IGNORE_ADLER32 : 0);
    if (!ctx) return png_failure(0, 1, " decoder context");
    inception_image *img = NULL;
    inception_status st = INCEPTION_OK;
    int rc = spng_set_chunk_limits(ctx, PNG_CHUNK_LIMIT, PNG_CACHE_LIMIT);
    if (!rc)
        rc = fuzzing ? spng_set_crc_action(ctx, SPNG_CRC_USE, SPNG_CRC_USE)
                     : spng_set_crc_action(ctx, SPNG_CRC_ERROR, SPNG_CRC_DISCARD);
    if (!rc) rc = spng_set_png_buffer(ctx, data, size);
    if (rc) {
        st = inc_error(INCEPTION_ERR_IMAGE, "PNG: %s", spng_strerror(rc));
        goto done;
    }
    struct spng_ihdr ihdr;
    rc = spng_get_ihdr(ctx, &ihdr);
    if (rc) {
        st = png_failure(rc, rc == SPNG_EMEM, " header");
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
    if ((double)bytes > (double)(pm.budget - pm.held)) {
        st = inc_error(INCEPTION_ERR_IMAGE_TOO_LARGE,
                       "PNG of %ux%u needs %zu bytes of pixels, above the decode memory "
                       "limit of %lld bytes (INCEPTION_OPT_MAX_DECODE_MEMORY)",
                       (unsigned)ihdr.width, (unsigned)ihdr.height, bytes,
                       (long long)pm.budget);
        goto done;
    }
    st = inc_image_new(ihdr.width, ihdr.height, o->max_pixels, &img);
    if (st != INCEPTION_OK) goto done;
    pm.reserved = (int64_t)malloc_usable_size(img->pixels);
    if (bytes != (size_t)img->width * img->height * 3) {
        st = inc_error(INCEPTION_ERR_INTERNAL, "PNG: unexpected decoded size %zu", bytes);
        goto done;
    }
    rc = spng_decode_image(ctx, img->pixels, bytes, SPNG_FMT_RGB8, 0);
    if (rc) {
        /* zlib's inflateInit only fails for want of memory (spng hands it our allocator) */
        st = png_failure(rc, rc == SPNG_EMEM || rc == SPNG_EZLIB_INIT, "");
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

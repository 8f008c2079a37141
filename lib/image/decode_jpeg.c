/* JPEG decoding with libjpeg(-turbo). libjpeg reports fatal errors by calling
 * error_exit, whose default calls exit(): we longjmp back here instead, and every
 * longjmp lands in this file before any other library frame is left. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "image/decoder.h"

typedef struct jpeg_ctx {
    struct jpeg_error_mgr pub; /* first: libjpeg casts cinfo->err to this */
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    /* Resources released on the error path live here, in memory libjpeg also sees,
     * so their values are reliable after longjmp. */
    inception_image *img;
    uint8_t *row;
    inception_status status;
    /* The decode-memory budget: libjpeg's methods, wrapped so every request is charged
     * against it before it is allocated (jmemmgr's own internal calls go straight to
     * its static functions, so nothing is counted twice). */
    struct jpeg_memory_mgr orig;
    double pool_bytes[JPOOL_NUMPOOLS]; /* charged to each libjpeg pool */
    double held;                       /* our own buffers: pixels, row */
    double budget;
    int32_t max_scans;
} jpeg_ctx;

static jpeg_ctx *ctx_of(j_common_ptr cinfo) { return (jpeg_ctx *)cinfo->err; }

static void on_error_exit(j_common_ptr cinfo) {
    jpeg_ctx *ctx = ctx_of(cinfo);
    (*cinfo->err->format_message)(cinfo, ctx->msg);
    /* libjpeg's own limit (max_memory_to_use, set a little above ours as a backstop)
     * ends in "backing store not supported" */
    ctx->status = cinfo->err->msg_code == JERR_OUT_OF_MEMORY ? INCEPTION_ERR_OUT_OF_MEMORY
                  : cinfo->err->msg_code == JERR_NO_BACKING_STORE
                      ? INCEPTION_ERR_IMAGE_TOO_LARGE
                      : INCEPTION_ERR_IMAGE;
    longjmp(ctx->jump, 1);
}

static void fail(jpeg_ctx *ctx, inception_status st) {
    ctx->status = st;
    longjmp(ctx->jump, 1);
}

/* Charge `bytes` to `pool`, refusing (before anything is allocated) what would take
 * libjpeg's and our buffers together past the budget. Doubles: the products of two
 * JDIMENSIONs and a block size can exceed 64 bits' worth of nothing, but not a double's
 * range, and the budget is compared, not summed exactly. */
static void charge(j_common_ptr cinfo, int pool, double bytes) {
    jpeg_ctx *ctx = ctx_of(cinfo);
    if (pool < 0 || pool >= JPOOL_NUMPOOLS) return; /* libjpeg refuses the bad id itself */
    double used = ctx->pool_bytes[0] + ctx->pool_bytes[1] + ctx->held;
    if (bytes > ctx->budget - used) {
        j_decompress_ptr d = (j_decompress_ptr)cinfo;
        fail(ctx, inc_error(INCEPTION_ERR_IMAGE_TOO_LARGE,
                            "JPEG of %ux%u needs more than the decode memory limit of %.0f "
                            "bytes (INCEPTION_OPT_MAX_DECODE_MEMORY): %.0f held, %.0f more "
                            "asked for%s",
                            (unsigned)d->image_width, (unsigned)d->image_height, ctx->budget,
                            used, bytes,
                            d->progressive_mode ? " (a progressive JPEG keeps every "
                                                  "coefficient of the image)"
                                                : ""));
    }
    ctx->pool_bytes[pool] += bytes;
    inc_alloc_note((int64_t)bytes);
}

static double sarray_bytes(JDIMENSION samplesperrow, JDIMENSION numrows) {
    /* libjpeg-turbo pads rows for its SIMD code; count whole 64-byte units */
    return (double)numrows * ((double)(((size_t)samplesperrow + 63) & ~(size_t)63) +
                              sizeof(JSAMPROW));
}

static double barray_bytes(JDIMENSION blocksperrow, JDIMENSION numrows) {
    return (double)numrows * ((double)blocksperrow * sizeof(JBLOCK) + sizeof(JBLOCKROW));
}

static void *w_alloc_small(j_common_ptr c, int pool, size_t n) {
    charge(c, pool, (double)n);
    return ctx_of(c)->orig.alloc_small(c, pool, n);
}
static void *w_alloc_large(j_common_ptr c, int pool, size_t n) {
    charge(c, pool, (double)n);
    return ctx_of(c)->orig.alloc_large(c, pool, n);
}
static JSAMPARRAY w_alloc_sarray(j_common_ptr c, int pool, JDIMENSION spr, JDIMENSION rows) {
    charge(c, pool, sarray_bytes(spr, rows));
    return ctx_of(c)->orig.alloc_sarray(c, pool, spr, rows);
}
static JBLOCKARRAY w_alloc_barray(j_common_ptr c, int pool, JDIMENSION bpr, JDIMENSION rows) {
    charge(c, pool, barray_bytes(bpr, rows));
    return ctx_of(c)->orig.alloc_barray(c, pool, bpr, rows);
}
/* Virtual arrays (the whole-image coefficient buffers) are charged when requested, in
 * jpeg_start_decompress before realize_virt_arrays allocates them. */
static jvirt_sarray_ptr w_request_virt_sarray(j_common_ptr c, int pool, boolean zero,
                                              JDIMENSION spr, JDIMENSION rows,
                                              JDIMENSION maxaccess) {
    charge(c, pool, sarray_bytes(spr, rows));
    return ctx_of(c)->orig.request_virt_sarray(c, pool, zero, spr, rows, maxaccess);
}
static jvirt_barray_ptr w_request_virt_barray(j_common_ptr c, int pool, boolean zero,
                                              JDIMENSION bpr, JDIMENSION rows,
                                              JDIMENSION maxaccess) {
    charge(c, pool, barray_bytes(bpr, rows));
    return ctx_of(c)->orig.request_virt_barray(c, pool, zero, bpr, rows, maxaccess);
}
static void w_free_pool(j_common_ptr c, int pool) {
    jpeg_ctx *ctx = ctx_of(c);
    ctx->orig.free_pool(c, pool);
    if (pool >= 0 && pool < JPOOL_NUMPOOLS) {
        inc_alloc_note(-(int64_t)ctx->pool_bytes[pool]);
        ctx->pool_bytes[pool] = 0;
    }
}
static void w_self_destruct(j_common_ptr c) {
    jpeg_ctx *ctx = ctx_of(c);
    for (int i = 0; i < JPOOL_NUMPOOLS; i++) {
        inc_alloc_note(-(int64_t)ctx->pool_bytes[i]);
        ctx->pool_bytes[i] = 0;
    }
    ctx->orig.self_destruct(c);
}

static void wrap_memory(j_common_ptr cinfo, jpeg_ctx *ctx) {
    struct jpeg_memory_mgr *m = cinfo->mem;
    ctx->orig = *m;
    m->alloc_small = w_alloc_small;
    m->alloc_large = w_alloc_large;
    m->alloc_sarray = w_alloc_sarray;
    m->alloc_barray = w_alloc_barray;
    m->request_virt_sarray = w_request_virt_sarray;
    m->request_virt_barray = w_request_virt_barray;
    m->free_pool = w_free_pool;
    m->self_destruct = w_self_destruct;
}

/* Called between the input steps of every scan: refuse a scan past the limit before
 * it is decoded (a progressive scan is a pass over the whole coefficient buffer). */
static void on_progress(j_common_ptr cinfo) {
    jpeg_ctx *ctx = ctx_of(cinfo);
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > ctx->max_scans)
        fail(ctx, inc_error(INCEPTION_ERR_IMAGE_TOO_LARGE,
                            "JPEG has more than %d scans (INCEPTION_OPT_MAX_JPEG_SCANS)",
                            (int)ctx->max_scans));
}

/* Warnings are silent, except running out of data: libjpeg would pad the rest of a
 * truncated file with grey, and a half-grey photo is not a decode we want to return. */
static void on_emit_message(j_common_ptr cinfo, int level) {
    jpeg_ctx *ctx = ctx_of(cinfo);
    if (level < 0) {
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
            (*cinfo->err->format_message)(cinfo, ctx->msg);
            fail(ctx, INCEPTION_ERR_IMAGE);
        }
        cinfo->err->num_warnings++;
    }
}

static void on_output_message(j_common_ptr cinfo) { (void)cinfo; }

static int is_jpeg(const uint8_t *data, size_t size) {
    return size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

int inc_jpeg_scale_num(int64_t width, int64_t height, int32_t min_side) {
    int64_t shorter = width < height ? width : height;
    if (min_side <= 0 || shorter <= 0) return 8;
    /* libjpeg sizes a scaled output as ceil(side * num / 8). */
    for (int num = 1; num <= 4; num++) {
        if ((shorter * num + 7) / 8 >= min_side) return num;
    }
    return 8;
}

/* Adobe-inverted CMYK (what Photoshop and PIL write, flagged by the Adobe marker) to
 * RGB with PIL's arithmetic: R = K' - C*K'/255 with K' = 255-K after inversion. */
static inline uint8_t muldiv255(int a, int b) {
    int t = a * b + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

static void cmyk_row_to_rgb(const uint8_t *in, uint8_t *out, JDIMENSION width, int inverted) {
    for (JDIMENSION x = 0; x < width; x++) {
        int c = in[4 * x], m = in[4 * x + 1], y = in[4 * x + 2], k = in[4 * x + 3];
        if (inverted) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        int nk = 255 - k;
        out[3 * x] = (uint8_t)(nk - muldiv255(c, nk));
        out[3 * x + 1] = (uint8_t)(nk - muldiv255(m, nk));
        out[3 * x + 2] = (uint8_t)(nk - muldiv255(y, nk));
    }
}

/* The whole-image coefficient buffers libjpeg will ask for in jpeg_start_decompress
 * (as jdcoefct.c sizes them): needed when the image comes in more than one scan, at
 * full size whatever the DCT scaling. */
static double coef_bytes(j_decompress_ptr cinfo) {
    if (!cinfo->progressive_mode && cinfo->comps_in_scan >= cinfo->num_components) return 0;
    double total = 0;
    for (int ci = 0; ci < cinfo->num_components; ci++) {
        const jpeg_component_info *c = &cinfo->comp_info[ci];
        double bw = c->width_in_blocks, bh = c->height_in_blocks;
        int hs = c->h_samp_factor > 0 ? c->h_samp_factor : 1;
        int vs = c->v_samp_factor > 0 ? c->v_samp_factor : 1;
        bw = ceil(bw / hs) * hs;
        bh = ceil(bh / vs) * vs;
        total += barray_bytes((JDIMENSION)bw, (JDIMENSION)bh);
    }
    return total;
}

static int saved_orientation(j_decompress_ptr cinfo) {
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
            memcmp(m->data, "Exif\0\0", 6) == 0)
            return inc_exif_orientation(m->data, m->data_length);
    }
    return 1;
}

static inception_status jpeg_decode(const uint8_t *data, size_t size,
                                  const inc_decode_opts *o, inception_image **out) {
    struct jpeg_decompress_struct cinfo;
    jpeg_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&ctx.pub);
    ctx.pub.error_exit = on_error_exit;
    ctx.pub.emit_message = on_emit_message;
    ctx.pub.output_message = on_output_message;
    ctx.progress.progress_monitor = on_progress;
    ctx.status = INCEPTION_OK;
    ctx.budget = (double)o->max_memory;
    ctx.max_scans = o->max_scans;

    if (setjmp(ctx.jump)) {
        jpeg_destroy_decompress(&cinfo);
        inc_free(ctx.row);
        inc_image_destroy(ctx.img);
        if (ctx.msg[0]) return inc_error(ctx.status, "JPEG: %s", ctx.msg); /* libjpeg's */
        return ctx.status; /* inc_error already recorded the detail */
    }
    jpeg_create_decompress(&cinfo);
    wrap_memory((j_common_ptr)&cinfo, &ctx);
    cinfo.progress = &ctx.progress;
    if (size > (size_t)(unsigned long)-1) size = (unsigned long)-1;
    jpeg_mem_src(&cinfo, (unsigned char *)(uintptr_t)data, (unsigned long)size);
    if (o->exif) jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);

    /* Refuse a decompression bomb from the declared size, before libjpeg allocates
     * anything proportional to it. */
    int64_t declared = (int64_t)cinfo.image_width * (int64_t)cinfo.image_height;
    if (declared > o->max_pixels) {
        fail(&ctx, inc_error(INCEPTION_ERR_IMAGE_TOO_LARGE,
                             "JPEG of %ux%u pixels is above the limit of %lld pixels",
                             (unsigned)cinfo.image_width, (unsigned)cinfo.image_height,
                             (long long)o->max_pixels));
    }

    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    int inverted = cmyk && cinfo.saw_Adobe_marker;
    int orientation = o->exif ? saved_orientation(&cinfo) : 1;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    cinfo.scale_num = (unsigned)inc_jpeg_scale_num(cinfo.image_width, cinfo.image_height,
                                                   o->min_side);
    cinfo.scale_denom = 8;
    /* The output size after DCT scaling, so that our buffers are allocated (and
     * charged) before libjpeg's: the pixels are written in their final orientation as
     * rows arrive, so there is no second, rotated copy. */
    jpeg_calc_output_dimensions(&cinfo);
    int32_t w = (int32_t)cinfo.output_width, h = (int32_t)cinfo.output_height;
    int swap = orientation >= 5;
    double row_bytes = cmyk ? (double)w * 4 : orientation != 1 ? (double)w * 3 : 0;
    double need = (double)w * h * 3 + row_bytes, coef = coef_bytes(&cinfo);
    /* refuse from the header what the wrapped allocator would refuse later, before
     * allocating the pixels */
    if (need + coef > ctx.budget)
        fail(&ctx, inc_error(INCEPTION_ERR_IMAGE_TOO_LARGE,
                             "JPEG of %ux%u needs %.0f bytes (%.0f of pixels, %.0f of "
                             "coefficients), above the decode memory limit of %.0f bytes "
                             "(INCEPTION_OPT_MAX_DECODE_MEMORY)",
                             (unsigned)cinfo.image_width, (unsigned)cinfo.image_height,
                             need + coef, need, coef, ctx.budget));
    inception_status st = inc_image_new(swap ? h : w, swap ? w : h, o->max_pixels, &ctx.img);
    if (st != INCEPTION_OK) fail(&ctx, st);
    if (row_bytes > 0) {
        ctx.row = inc_malloc((size_t)row_bytes);
        if (!ctx.row) fail(&ctx, inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "JPEG: row buffer"));
    }
    ctx.held = need;
    /* libjpeg's own limit, a backstop a little above ours for anything it allocates
     * past the wrapped methods */
    double rest = ctx.budget - need + (double)(1 << 20);
    cinfo.mem->max_memory_to_use = rest < (double)LONG_MAX ? (long)rest : LONG_MAX;
    jpeg_start_decompress(&cinfo);
    if ((int32_t)cinfo.output_width != w || (int32_t)cinfo.output_height != h)
        fail(&ctx, inc_error(INCEPTION_ERR_INTERNAL, "JPEG: output size changed"));

    size_t stride = (size_t)w * 3;
    while (cinfo.output_scanline < cinfo.output_height) {
        int32_t sy = (int32_t)cinfo.output_scanline;
        uint8_t *dst = orientation == 1 ? ctx.img->pixels + (size_t)sy * stride : NULL;
        JSAMPROW rowp = ctx.row ? ctx.row : dst;
        if (jpeg_read_scanlines(&cinfo, &rowp, 1) != 1)
            fail(&ctx, inc_error(INCEPTION_ERR_IMAGE, "JPEG: no data for row %d", (int)sy));
        if (!ctx.row) continue;
        if (cmyk) /* in place: pixel x's 3 bytes land at or below where its 4 were read */
            cmyk_row_to_rgb(ctx.row, dst ? dst : ctx.row, cinfo.output_width, inverted);
        if (dst) continue;
        /* scatter the row to where it lands in the oriented image */
        size_t i0 = inc_orient_index(orientation, w, h, 0, sy);
        ptrdiff_t step = w > 1 ? (ptrdiff_t)inc_orient_index(orientation, w, h, 1, sy) -
                                     (ptrdiff_t)i0
                               : 0;
        uint8_t *base = ctx.img->pixels;
        const uint8_t *src = ctx.row;
        ptrdiff_t at = (ptrdiff_t)i0;
        for (int32_t x = 0; x < w; x++, at += step) {
            uint8_t *d = base + (size_t)at * 3;
            d[0] = src[3 * x];
            d[1] = src[3 * x + 1];
            d[2] = src[3 * x + 2];
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    inc_free(ctx.row);
    *out = ctx.img;
    return INCEPTION_OK;
}

const inc_decoder inc_decoder_jpeg = {is_jpeg, jpeg_decode};

/* JPEG decoding with libjpeg(-turbo). libjpeg reports fatal errors by calling
 * error_exit, whose default calls exit(): we longjmp back here instead, and every
 * longjmp lands in this file before any other library frame is left. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "image/decoder.h"

typedef struct jpeg_ctx {
    struct jpeg_error_mgr pub; /* first: libjpeg casts cinfo->err to this */
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    /* Resources released on the error path live here, in memory libjpeg also sees,
     * so their values are reliable after longjmp. */
    inception_image *img;
    uint8_t *row;
    inception_status status;
} jpeg_ctx;

static void on_error_exit(j_common_ptr cinfo) {
    jpeg_ctx *ctx = (jpeg_ctx *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, ctx->msg);
    ctx->status = INCEPTION_ERR_IMAGE;
    longjmp(ctx->jump, 1);
}

/* Warnings are silent, except running out of data: libjpeg would pad the rest of a
 * truncated file with grey, and a half-grey photo is not a decode we want to return. */
static void on_emit_message(j_common_ptr cinfo, int level) {
    jpeg_ctx *ctx = (jpeg_ctx *)cinfo->err;
    if (level < 0) {
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
            (*cinfo->err->format_message)(cinfo, ctx->msg);
            ctx->status = INCEPTION_ERR_IMAGE;
            longjmp(ctx->jump, 1);
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
    ctx.status = INCEPTION_OK;

    if (setjmp(ctx.jump)) {
        jpeg_destroy_decompress(&cinfo);
        inc_free(ctx.row);
        inc_image_destroy(ctx.img);
        if (ctx.status == INCEPTION_ERR_IMAGE)
            return inc_error(INCEPTION_ERR_IMAGE, "JPEG: %s", ctx.msg);
        return ctx.status; /* inc_error already recorded the detail */
    }
    jpeg_create_decompress(&cinfo);
    if (size > (size_t)(unsigned long)-1) size = (unsigned long)-1;
    jpeg_mem_src(&cinfo, (unsigned char *)(uintptr_t)data, (unsigned long)size);
    if (o->exif) jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);

    /* Refuse a decompression bomb from the declared size, before libjpeg allocates
     * anything proportional to it. */
    int64_t declared = (int64_t)cinfo.image_width * (int64_t)cinfo.image_height;
    if (declared > o->max_pixels) {
        ctx.status = inc_error(INCEPTION_ERR_IMAGE_TOO_LARGE,
                               "JPEG of %ux%u pixels is above the limit of %lld pixels",
                               (unsigned)cinfo.image_width, (unsigned)cinfo.image_height,
                               (long long)o->max_pixels);
        longjmp(ctx.jump, 1);
    }

    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    int inverted = cmyk && cinfo.saw_Adobe_marker;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    cinfo.scale_num = (unsigned)inc_jpeg_scale_num(cinfo.image_width, cinfo.image_height,
                                                   o->min_side);
    cinfo.scale_denom = 8;
    jpeg_start_decompress(&cinfo);

    inception_status st = inc_image_new(cinfo.output_width, cinfo.output_height,
                                        o->max_pixels, &ctx.img);
    if (st != INCEPTION_OK) {
        ctx.status = st;
        longjmp(ctx.jump, 1);
    }
    if (cmyk) {
        ctx.row = inc_malloc((size_t)cinfo.output_width * 4);
        if (!ctx.row) {
            ctx.status = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "JPEG: CMYK row buffer");
            longjmp(ctx.jump, 1);
        }
    }
    size_t stride = (size_t)ctx.img->width * 3;
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *dst = ctx.img->pixels + (size_t)cinfo.output_scanline * stride;
        JSAMPROW rowp = cmyk ? ctx.row : dst;
        if (jpeg_read_scanlines(&cinfo, &rowp, 1) != 1) {
            ctx.status = inc_error(INCEPTION_ERR_IMAGE, "JPEG: no data for row %u",
                                   (unsigned)cinfo.output_scanline);
            longjmp(ctx.jump, 1);
        }
        if (cmyk) cmyk_row_to_rgb(ctx.row, dst, cinfo.output_width, inverted);
    }

    int orientation = 1;
    if (o->exif) {
        for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next) {
            if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
                memcmp(m->data, "Exif\0\0", 6) == 0) {
                orientation = inc_exif_orientation(m->data, m->data_length);
                break;
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    inc_free(ctx.row);

    inception_image *img = ctx.img;
    if (orientation != 1) {
        st = inc_image_orient(img, orientation);
        if (st != INCEPTION_OK) {
            inc_image_destroy(img);
            return st;
        }
    }
    *out = img;
    return INCEPTION_OK;
}

const inc_decoder inc_decoder_jpeg = {is_jpeg, jpeg_decode};

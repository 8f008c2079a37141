/* Input builders for the hostile-input tests; see craft.h. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <zlib.h>

#include "craft.h"

void craft_put(craft_buf *b, const void *data, size_t n) {
    if (b->size + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->size + n) cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) abort(); /* test code: running out of memory here is not a finding */
        b->data = d;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->size, data, n);
    b->size += n;
}

void craft_puts(craft_buf *b, const char *s) { craft_put(b, s, strlen(s)); }

void craft_free(craft_buf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

static void put_be32(craft_buf *b, uint32_t v) {
    uint8_t p[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    craft_put(b, p, 4);
}

static void png_chunk(craft_buf *b, const char *type, const uint8_t *data, uint32_t n) {
    put_be32(b, n);
    size_t start = b->size;
    craft_put(b, type, 4);
    craft_put(b, data, n);
    put_be32(b, (uint32_t)crc32(0, b->data + start, (uInt)(n + 4)));
}

int craft_png(int w, int h, int color_type, uint32_t decl_w, uint32_t decl_h, craft_buf *out) {
    int channels = color_type == 0 ? 1 : color_type == 2 ? 3 : color_type == 6 ? 4 : 0;
    if (!channels || w < 1 || h < 1) return -1;
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    craft_put(out, sig, 8);
    uint8_t ihdr[13];
    uint32_t dw = decl_w ? decl_w : (uint32_t)w, dh = decl_h ? decl_h : (uint32_t)h;
    for (int i = 0; i < 4; i++) {
        ihdr[i] = (uint8_t)(dw >> (24 - 8 * i));
        ihdr[4 + i] = (uint8_t)(dh >> (24 - 8 * i));
    }
    ihdr[8] = 8;
    ihdr[9] = (uint8_t)color_type;
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    png_chunk(out, "IHDR", ihdr, 13);
    size_t row = (size_t)w * channels + 1, raw_size = row * (size_t)h;
    uint8_t *raw = malloc(raw_size);
    if (!raw) return -1;
    for (int y = 0; y < h; y++) {
        raw[y * row] = 0; /* filter: none */
        for (size_t x = 1; x < row; x++) raw[y * row + x] = (uint8_t)(x * 7 + (size_t)y * 13);
    }
    uLongf zsize = compressBound((uLong)raw_size);
    uint8_t *z = malloc(zsize);
    if (!z || compress(z, &zsize, raw, (uLong)raw_size) != Z_OK) {
        free(raw);
        free(z);
        return -1;
    }
    png_chunk(out, "IDAT", z, (uint32_t)zsize);
    png_chunk(out, "IEND", NULL, 0);
    free(raw);
    free(z);
    return 0;
}

typedef struct craft_jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
} craft_jerr;

static void craft_jpeg_error(j_common_ptr cinfo) { longjmp(((craft_jerr *)cinfo->err)->jump, 1); }

int craft_jpeg(int w, int h, int components, int progressive, craft_buf *out) {
    struct jpeg_compress_struct c;
    craft_jerr err;
    unsigned char *mem = NULL;
    unsigned long mem_size = 0;
    uint8_t *row = malloc((size_t)w * (size_t)components);
    if (!row) return -1;
    c.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = craft_jpeg_error;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&c);
        free(row);
        free(mem);
        return -1;
    }
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &mem_size);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = components;
    c.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 75, TRUE);
    if (progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        for (int x = 0; x < w * components; x++)
            row[x] = (uint8_t)(x * 5 + (int)c.next_scanline * 3);
        JSAMPROW rp = row;
        jpeg_write_scanlines(&c, &rp, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    craft_put(out, mem, mem_size);
    free(mem);
    return 0;
}

int craft_jpeg_set_dims(craft_buf *b, uint16_t w, uint16_t h) {
    for (size_t i = 2; i + 9 < b->size; i++) {
        if (b->data[i] != 0xFF) continue;
        uint8_t m = b->data[i + 1];
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            /* FF Cn, length(2), precision(1), height(2), width(2) */
            b->data[i + 5] = (uint8_t)(h >> 8);
            b->data[i + 6] = (uint8_t)h;
            b->data[i + 7] = (uint8_t)(w >> 8);
            b->data[i + 8] = (uint8_t)w;
            return 0;
        }
    }
    return -1;
}

void craft_safetensors(const char *header, size_t header_len, const void *data,
                       size_t data_size, uint64_t declared_len, craft_buf *out) {
    uint64_t n = declared_len ? declared_len : header_len;
    uint8_t le[8];
    for (int i = 0; i < 8; i++) le[i] = (uint8_t)(n >> (8 * i));
    craft_put(out, le, 8);
    craft_put(out, header, header_len);
    craft_put(out, data, data_size);
}

/* Small builders for hostile and ordinary test inputs, shared by the bad-input table
 * (test_bad_inputs.c) and the allocation-failure suite (tests/alloc/). Plain C with
 * libjpeg and zlib; buffers come from malloc and are freed with free(). */
#ifndef INC_TEST_CRAFT_H
#define INC_TEST_CRAFT_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer. */
typedef struct craft_buf {
    uint8_t *data;
    size_t size, cap;
} craft_buf;

void craft_put(craft_buf *b, const void *data, size_t n);
void craft_puts(craft_buf *b, const char *s);
void craft_free(craft_buf *b);

/* A PNG of w x h pixels with a deterministic pattern: colour type 0 (gray), 2 (RGB) or
 * 6 (RGBA), bit depth 8. The IHDR may declare other dimensions (decl_w/decl_h > 0) so
 * the header lies about the data; the IHDR CRC is always right. Returns 0 on success. */
int craft_png(int w, int h, int color_type, uint32_t decl_w, uint32_t decl_h, craft_buf *out);

/* A baseline (or progressive) JPEG of w x h pixels with 1 or 3 components, quality 75.
 * Returns 0 on success. */
int craft_jpeg(int w, int h, int components, int progressive, craft_buf *out);
/* Rewrite the dimensions in the first SOFn marker; 0 if found. */
int craft_jpeg_set_dims(craft_buf *jpeg, uint16_t w, uint16_t h);

/* A safetensors file from a header text and a data section: the 8-byte length is
 * computed unless `declared_len` is non-zero. */
void craft_safetensors(const char *header, size_t header_len, const void *data,
                       size_t data_size, uint64_t declared_len, craft_buf *out);

#endif

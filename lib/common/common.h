/* lib/common: the bottom layer. May include include/ (public headers) only. */
/* Internal helpers every layer uses: errors, allocation, small utilities.
 * Nothing here is exported; internal symbols use the inc_ prefix. */
#ifndef INC_COMMON_H
#define INC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "inception/inception.h"

#if defined(__GNUC__)
#define INC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define INC_UNUSED __attribute__((unused))
#else
#define INC_PRINTF(a, b)
#define INC_UNUSED
#endif

#define INC_ERROR_MAX 512

/* Record a detail message for `status` in this thread's last-error slot and return
 * `status`, so failures read `return inc_error(INCEPTION_ERR_FORMAT, "...", ...)`. */
inception_status inc_error(inception_status status, const char *fmt, ...) INC_PRINTF(2, 3);
/* Clear this thread's message (each public entry point starts with this). */
void inc_error_clear(void);
/* This thread's current message. */
const char *inc_error_message(void);

/* Every allocation of the library goes through these so that tests can fail the k-th one
 * (see inc_alloc_fail_after). inc_malloc(0) returns a unique non-NULL pointer. */
void *inc_malloc(size_t size);
void *inc_calloc(size_t count, size_t size);
void *inc_realloc(void *ptr, size_t size);
void inc_free(void *ptr);
char *inc_strdup(const char *s);
/* 64-byte aligned; free with inc_free_aligned. */
void *inc_malloc_aligned(size_t size);
void inc_free_aligned(void *ptr);

/* Testing hook (hidden symbol, reached through the internal static library): after
 * `count` more successful allocations every allocation fails; -1 disables. Returns the
 * number of allocations made since the last call. Process-wide, not thread-safe. */
int64_t inc_alloc_fail_after(int64_t count);
/* Testing: blocks allocated through these functions and not yet freed. */
int64_t inc_alloc_live(void);

/* Overflow-checked size arithmetic: return 0 on overflow. */
static inline int inc_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}
static inline int inc_add_size(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a) return 0;
    *out = a + b;
    return 1;
}

/* CRC-32 (zlib's polynomial) over a buffer of any size. */
uint32_t inc_crc32(const void *data, size_t size);

/* Read a whole regular file (mmap where possible). IO errors name the path; anything but
 * a regular file is refused. */
typedef struct inc_file_buf {
    const uint8_t *data;
    size_t size;
    void *impl_;
    size_t impl_size_;
} inc_file_buf;
inception_status inc_file_read(const char *path, inc_file_buf *out);
void inc_file_release(inc_file_buf *buf);

#endif

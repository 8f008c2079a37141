#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zlib.h>

#include "common.h"

/* Allocation-failure injection for tests. Atomic because model loads allocate from
 * several threads; which allocation is the k-th is then up to the scheduler, but every
 * failure must still be handled. */
static _Atomic int64_t fail_after = -1;
static _Atomic int64_t alloc_count = 0;

static int should_fail(void) {
    alloc_count++;
    int64_t left = fail_after;
    while (left > 0 && !atomic_compare_exchange_weak(&fail_after, &left, left - 1)) {
    }
    return left == 0;
}

int64_t inc_alloc_fail_after(int64_t count) {
    int64_t made = atomic_exchange(&alloc_count, 0);
    fail_after = count;
    return made;
}

/* Blocks allocated and not yet freed: an exact leak check for tests, independent of how
 * the C library accounts its own memory across threads. */
static _Atomic int64_t live = 0;

int64_t inc_alloc_live(void) { return live; }

/* Bytes held, and their high-water mark: what the decode-memory tests measure. Block
 * sizes come from malloc_usable_size, so nothing is stored beside the blocks. */
static _Atomic int64_t live_bytes = 0, peak_bytes = 0;

void inc_alloc_note(int64_t delta) {
    int64_t now = atomic_fetch_add(&live_bytes, delta) + delta;
    int64_t peak = peak_bytes;
    while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now)) {
    }
}

int64_t inc_alloc_peak_bytes(int reset) {
    int64_t peak = peak_bytes;
    if (reset) peak_bytes = (int64_t)live_bytes;
    return peak;
}

int64_t inc_alloc_live_bytes(void) { return live_bytes; }

static void *counted(void *p) {
    if (p) {
        live++;
        inc_alloc_note((int64_t)malloc_usable_size(p));
    }
    return p;
}

void *inc_malloc(size_t size) {
    if (should_fail()) return NULL;
    return counted(malloc(size ? size : 1));
}

void *inc_calloc(size_t count, size_t size) {
    if (should_fail()) return NULL;
    if (count == 0 || size == 0) return counted(calloc(1, 1));
    return counted(calloc(count, size));
}

void *inc_realloc(void *ptr, size_t size) {
    if (should_fail()) return NULL;
    if (!ptr) return counted(realloc(NULL, size ? size : 1));
    int64_t old = (int64_t)malloc_usable_size(ptr);
    void *p = realloc(ptr, size ? size : 1);
    if (p) inc_alloc_note((int64_t)malloc_usable_size(p) - old);
    return p;
}

void inc_free(void *ptr) {
    if (ptr) {
        live--;
        inc_alloc_note(-(int64_t)malloc_usable_size(ptr));
    }
    free(ptr);
}

char *inc_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = inc_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

#define HUGE_PAGE ((size_t)2 << 20)

void *inc_malloc_aligned(size_t size) {
    if (should_fail()) return NULL;
    void *p = NULL;
    size_t rounded = (size + 63) & ~(size_t)63;
    if (rounded < size) return NULL;
    /* Packed weights and activation arenas are megabytes, touched on every run: on
     * transparent huge pages they fault in 512x less often and miss the TLB less. */
    size_t align = rounded >= HUGE_PAGE ? HUGE_PAGE : 64;
    if (posix_memalign(&p, align, rounded ? rounded : 64) != 0) return NULL;
    counted(p);
#if defined(MADV_HUGEPAGE)
    if (align == HUGE_PAGE) (void)madvise(p, rounded & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
    return p;
}

void inc_free_aligned(void *ptr) { inc_free(ptr); }

uint32_t inc_crc32(const void *data, size_t size) {
    /* zlib's crc32 takes uInt lengths: feed large buffers in pieces. */
    uLong crc = crc32(0L, Z_NULL, 0);
    const unsigned char *p = data;
    while (size > 0) {
        uInt chunk = size > (1u << 30) ? (1u << 30) : (uInt)size;
        crc = crc32(crc, p, chunk);
        p += chunk;
        size -= chunk;
    }
    return (uint32_t)crc;
}

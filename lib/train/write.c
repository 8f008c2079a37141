/* safetensors writing: header JSON (metadata + tensors in the order given, data offsets
 * contiguous), padded with spaces to 8 bytes as the format recommends, then the data.
 * The file appears under its name only when complete: it is written to a temporary file
 * in the same directory, fsync'd, and renamed over the target, so a full disk or a crash
 * leaves the previous file intact. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "train/train.h"

static int64_t fail_after = -1;

void inc_train_fail_write_after(int64_t bytes) { fail_after = bytes; }

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap : 4096);
        while (cap < b->len + n + 1) cap *= 2;
        char *np = inc_realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static void put_json_string(sbuf *b, const char *s) {
    puts_(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\', esc[1] = (char)*p, esc[2] = 0;
            puts_(b, esc);
        } else if (*p == '\n') {
            puts_(b, "\\n");
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            puts_(b, esc);
        } else {
            put(b, (const char *)p, 1);
        }
    }
    puts_(b, "\"");
}

static void put_int(sbuf *b, long long v) {
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    puts_(b, num);
}

/* write() all of it, honouring the test hook. */
static int write_all(int fd, const void *data, size_t n) {
    const char *p = data;
    while (n > 0) {
        size_t chunk = n > (1u << 24) ? (1u << 24) : n;
        if (fail_after >= 0) {
            if ((int64_t)chunk > fail_after) {
                errno = ENOSPC;
                return -1;
            }
            fail_after -= (int64_t)chunk;
        }
        ssize_t w = write(fd, p, chunk);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

inception_status inc_st_write(const char *path, const inc_st_out *t, size_t n,
                              const char *const *meta, size_t n_meta) {
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *d = t[i].data;
        size_t left = t[i].bytes;
        while (left > 0) { /* zlib takes uInt lengths */
            uInt c = left > (1u << 30) ? (1u << 30) : (uInt)left;
            crc = crc32(crc, d, c);
            d += c;
            left -= c;
        }
    }
    sbuf h = {0};
    puts_(&h, "{\"__metadata__\":{");
    for (size_t i = 0; i < n_meta; i++) {
        put_json_string(&h, meta[2 * i]);
        puts_(&h, ":");
        put_json_string(&h, meta[2 * i + 1]);
        puts_(&h, ",");
    }
    char crc_hex[16];
    snprintf(crc_hex, sizeof crc_hex, "%08lx", (unsigned long)crc);
    puts_(&h, "\"inception.crc32\":");
    put_json_string(&h, crc_hex);
    puts_(&h, "}");
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        puts_(&h, ",");
        put_json_string(&h, t[i].name);
        puts_(&h, ":{\"dtype\":");
        put_json_string(&h, t[i].dtype);
        puts_(&h, ",\"shape\":[");
        for (int32_t r = 0; r < t[i].rank; r++) {
            if (r) puts_(&h, ",");
            put_int(&h, (long long)t[i].shape[r]);
        }
        puts_(&h, "],\"data_offsets\":[");
        put_int(&h, (long long)off);
        puts_(&h, ",");
        off += t[i].bytes;
        put_int(&h, (long long)off);
        puts_(&h, "]}");
    }
    puts_(&h, "}");
    while (h.len % 8) puts_(&h, " ");
    if (h.oom) {
        inc_free(h.p);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "safetensors header for '%s'", path);
    }

    size_t plen = strlen(path);
    char *tmp = inc_malloc(plen + 16);
    if (!tmp) {
        inc_free(h.p);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "temporary file name");
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int err = errno;
        inc_free(h.p);
        inception_status st = inc_error(INCEPTION_ERR_IO, "cannot create a temporary file beside '%s': %s",
                                        path, strerror(err));
        inc_free(tmp);
        return st;
    }
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)h.len >> (8 * i));
    int bad = write_all(fd, len8, 8) || write_all(fd, h.p, h.len);
    for (size_t i = 0; i < n && !bad; i++) bad = write_all(fd, t[i].data, t[i].bytes);
    if (!bad) bad = fsync(fd) != 0;
    int err = errno;
    if (close(fd) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    inc_free(h.p);
    if (!bad) chmod(tmp, 0644); /* mkstemp makes 0600; umask() would race other threads */
    if (!bad && rename(tmp, path) != 0) {
        bad = 1;
        err = errno;
    }
    if (bad) {
        unlink(tmp);
        inception_status st = inc_error(INCEPTION_ERR_IO, "writing '%s' failed: %s (the previous file, if any, is unchanged)",
                                        path, strerror(err));
        inc_free(tmp);
        return st;
    }
    inc_free(tmp);
    return INCEPTION_OK;
}

/* Whole-file reads of regular files: mmap (the weights are read once, in place), or read()
 * into an inc_malloc buffer when mmap is refused. Pipes, devices and directories are
 * refused: /dev/zero or a FIFO would otherwise be read until memory runs out. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"

static const char *errno_text(int err, char *buf, size_t size) {
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(err, buf, size); /* GNU flavour: may return a static string */
#else
    if (strerror_r(err, buf, size) != 0) snprintf(buf, size, "error %d", err);
    return buf;
#endif
}

static inception_status io_error(const char *what, const char *path, int err) {
    char buf[128];
    return inc_error(INCEPTION_ERR_IO, "cannot %s '%s': %s", what, path,
                     errno_text(err, buf, sizeof buf));
}

/* read() until EOF, growing the buffer; `hint` is the expected size (0 if unknown). */
static inception_status read_all(int fd, const char *path, size_t hint, uint8_t **out,
                                 size_t *out_size) {
    size_t cap = hint ? hint + 1 : 65536, len = 0; /* +1 so EOF is seen without a regrow */
    if (cap < hint) cap = hint;
    uint8_t *buf = inc_malloc(cap);
    if (!buf) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "reading '%s'", path);
    for (;;) {
        if (len == cap) {
            size_t ncap;
            if (!inc_mul_size(cap, 2, &ncap)) {
                inc_free(buf);
                return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "reading '%s': too large", path);
            }
            uint8_t *nb = inc_realloc(buf, ncap);
            if (!nb) {
                inc_free(buf);
                return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "reading '%s'", path);
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            inc_free(buf);
            return io_error("read", path, err);
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    *out = buf;
    *out_size = len;
    return INCEPTION_OK;
}

inception_status inc_file_read(const char *path, inc_file_buf *out) {
    static const uint8_t empty[1] = {0};
    if (!path || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "NULL path");
    int fd;
    do fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return io_error("open", path, errno);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int err = errno;
        close(fd);
        return io_error("stat", path, err);
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return inc_error(INCEPTION_ERR_IO, "cannot read '%s': it is %s, not a regular file", path,
                         S_ISDIR(sb.st_mode) ? "a directory" : "a special file");
    }
    inc_file_buf fb;
    memset(&fb, 0, sizeof fb);
    if ((uint64_t)sb.st_size > (uint64_t)SIZE_MAX) {
        close(fd);
        return inc_error(INCEPTION_ERR_IO, "cannot read '%s': too large", path);
    }
    size_t size = (size_t)sb.st_size;
    if (size == 0) {
        close(fd);
        fb.data = empty;
        *out = fb;
        return INCEPTION_OK;
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
        close(fd);
        fb.data = map;
        fb.size = size;
        fb.impl_ = map;
        fb.impl_size_ = size; /* non-zero: munmap on release */
        *out = fb;
        return INCEPTION_OK;
    }
    /* e.g. a file system without mmap: fall through to read() */
    uint8_t *buf = NULL;
    inception_status st = read_all(fd, path, size, &buf, &fb.size);
    close(fd);
    if (st) return st;
    fb.data = buf;
    fb.impl_ = buf;
    *out = fb;
    return INCEPTION_OK;
}

void inc_file_release(inc_file_buf *buf) {
    if (!buf) return;
    if (buf->impl_size_) munmap(buf->impl_, buf->impl_size_);
    else inc_free(buf->impl_);
    memset(buf, 0, sizeof *buf);
}

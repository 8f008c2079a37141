/* Whole-file reads of regular files into an inc_malloc buffer (not mmap: see
 * inc_file_read). Pipes, sockets, devices and directories
 * are refused, at once: /dev/zero or a FIFO would otherwise be read until memory runs out,
 * and a FIFO without a writer would block the open itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

/* Exactly `size` bytes into memory we own. One byte more is asked for so a file that grew
 * is noticed; one that shrank gives an early EOF. Either is an IO error naming the path:
 * the file changed while we read it. */
static inception_status read_exact(int fd, const char *path, size_t size, uint8_t **out) {
    size_t cap;
    if (!inc_add_size(size, 1, &cap))
        return inc_error(INCEPTION_ERR_IO, "cannot read '%s': too large", path);
    uint8_t *buf = inc_malloc(cap);
    if (!buf)
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "cannot read '%s': %zu bytes", path, size);
    size_t len = 0;
    while (len < cap) {
        ssize_t r = pread(fd, buf + len, cap - len, (off_t)len);
        if (r < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            inc_free(buf);
            return io_error("read", path, err);
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    if (len != size) {
        inc_free(buf);
        return inc_error(INCEPTION_ERR_IO,
                         "cannot read '%s': it changed size while being read (%zu bytes, then %s)",
                         path, size, len < size ? "fewer" : "more");
    }
    *out = buf;
    return INCEPTION_OK;
}

inception_status inc_file_read(const char *path, inc_file_buf *out) {
    static const uint8_t empty[1] = {0};
    if (!path || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "NULL path");
    /* O_NONBLOCK: a plain open of a FIFO waits for a writer, and of some devices for the
     * device, before fstat could refuse them. Regular files ignore the flag; it is
     * cleared below anyway so no read can see EAGAIN. */
    int fd;
    do fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
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
        const char *kind = S_ISDIR(sb.st_mode)    ? "a directory"
                           : S_ISFIFO(sb.st_mode) ? "a FIFO (named pipe)"
                           : S_ISSOCK(sb.st_mode) ? "a socket"
                           : S_ISCHR(sb.st_mode)  ? "a character device"
                           : S_ISBLK(sb.st_mode)  ? "a block device"
                                                  : "a special file";
        return inc_error(INCEPTION_ERR_IO, "cannot read '%s': it is %s, not a regular file", path,
                         kind);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int err = errno;
        close(fd);
        return io_error("open", path, err);
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
    /* Read, not mmap: a mapped file truncated by another process raises SIGBUS on the
     * next access to a lost page, in the middle of parsing. Every byte is read anyway
     * (the CRC and the weight packing touch all of them), so the copy costs one pass;
     * see SECURITY.md for the figures. */
    uint8_t *buf = NULL;
    inception_status st = read_exact(fd, path, size, &buf);
    close(fd);
    if (st) return st;
    fb.data = buf;
    fb.size = size;
    fb.impl_ = buf;
    *out = fb;
    return INCEPTION_OK;
}

void inc_file_release(inc_file_buf *buf) {
    if (!buf) return;
    inc_free(buf->impl_);
    memset(buf, 0, sizeof *buf);
}

/* Feature cache: 2048-d trunk features keyed by a 64-bit hash of (file contents, model
 * CRC, input size, preprocessing, augmentation settings, seed, view). In memory: an
 * open-addressing table. On disk (optional): <dir>/features-<model>.bin, a header then
 * appended records {key u64, 2048 x f32, crc32 u32}; a torn tail from an interrupted run
 * is cut off at open, so the file only ever holds whole, checked records. One writer at a
 * time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "train/train.h"

#define REC_FLOATS INC_FEATURES_DIM
#define REC_BYTES (8 + REC_FLOATS * 4 + 4)
static const char magic[8] = {'I', 'N', 'C', 'F', 'E', 'A', 'T', '1'};

struct inc_cache {
    uint64_t *keys;  /* 0 = empty slot (a real key of 0 is remapped to 1) */
    int64_t *index;
    size_t slots, used;
    float *data;     /* used x 2048 */
    size_t data_cap;
    int fd;          /* -1: memory only */
    char *path;
};

static uint64_t fix_key(uint64_t k) { return k ? k : 1; }

static int grow_table(inc_cache *c) {
    size_t slots = c->slots ? c->slots * 2 : 1024;
    uint64_t *keys = inc_calloc(slots, sizeof *keys);
    int64_t *index = inc_calloc(slots, sizeof *index);
    if (!keys || !index) {
        inc_free(keys);
        inc_free(index);
        return 0;
    }
    for (size_t i = 0; i < c->slots; i++) {
        if (!c->keys[i]) continue;
        size_t j = (size_t)(c->keys[i] & (slots - 1));
        while (keys[j]) j = (j + 1) & (slots - 1);
        keys[j] = c->keys[i];
        index[j] = c->index[i];
    }
    inc_free(c->keys);
    inc_free(c->index);
    c->keys = keys, c->index = index, c->slots = slots;
    return 1;
}

static int64_t find(const inc_cache *c, uint64_t key) {
    if (!c->slots) return -1;
    size_t j = (size_t)(key & (c->slots - 1));
    while (c->keys[j]) {
        if (c->keys[j] == key) return c->index[j];
        j = (j + 1) & (c->slots - 1);
    }
    return -1;
}

static inception_status insert(inc_cache *c, uint64_t key, const float *f) {
    if ((c->used + 1) * 2 > c->slots && !grow_table(c))
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "feature cache table");
    if (c->used == c->data_cap) {
        size_t cap = c->data_cap ? c->data_cap * 2 : 256, bytes;
        if (!inc_mul_size(cap, REC_FLOATS * sizeof(float), &bytes))
            return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "feature cache");
        float *nd = inc_realloc(c->data, bytes);
        if (!nd)
            return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "feature cache of %zu entries", cap);
        c->data = nd, c->data_cap = cap;
    }
    memcpy(c->data + c->used * REC_FLOATS, f, REC_FLOATS * sizeof(float));
    size_t j = (size_t)(key & (c->slots - 1));
    while (c->keys[j]) j = (j + 1) & (c->slots - 1);
    c->keys[j] = key;
    c->index[j] = (int64_t)c->used++;
    return INCEPTION_OK;
}

static uint32_t rec_crc(const uint8_t *rec) { return inc_crc32(rec, REC_BYTES - 4); }

static inception_status load_file(inc_cache *c, uint64_t model_key) {
    struct stat sb;
    if (fstat(c->fd, &sb) != 0) return inc_error(INCEPTION_ERR_IO, "cache '%s': %s", c->path, strerror(errno));
    uint8_t head[16];
    if (sb.st_size < 16) { /* new (or torn) file: write the header */
        memcpy(head, magic, 8);
        for (int i = 0; i < 8; i++) head[8 + i] = (uint8_t)(model_key >> (8 * i));
        if (ftruncate(c->fd, 0) != 0 || pwrite(c->fd, head, 16, 0) != 16)
            return inc_error(INCEPTION_ERR_IO, "cannot write the cache '%s': %s", c->path, strerror(errno));
        return INCEPTION_OK;
    }
    if (pread(c->fd, head, 16, 0) != 16 || memcmp(head, magic, 8) != 0)
        return inc_error(INCEPTION_ERR_FORMAT, "'%s' is not a feature cache", c->path);
    uint8_t *rec = inc_malloc(REC_BYTES);
    if (!rec) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "cache record");
    off_t off = 16;
    inception_status st = INCEPTION_OK;
    float f[REC_FLOATS];
    while (off + REC_BYTES <= sb.st_size) {
        if (pread(c->fd, rec, REC_BYTES, off) != REC_BYTES) break;
        uint32_t want = 0;
        for (int i = 0; i < 4; i++) want |= (uint32_t)rec[REC_BYTES - 4 + i] << (8 * i);
        if (rec_crc(rec) != want) break;
        uint64_t key = 0;
        for (int i = 0; i < 8; i++) key |= (uint64_t)rec[i] << (8 * i);
        memcpy(f, rec + 8, sizeof f);
        if (find(c, key) < 0 && (st = insert(c, key, f))) break;
        off += REC_BYTES;
    }
    inc_free(rec);
    if (st == INCEPTION_OK && off != sb.st_size && ftruncate(c->fd, off) != 0)
        st = inc_error(INCEPTION_ERR_IO, "cannot trim the cache '%s': %s", c->path, strerror(errno));
    return st;
}

inception_status inc_cache_open(const char *dir, uint64_t model_key, inc_cache **out) {
    inc_cache *c = inc_calloc(1, sizeof *c);
    if (!c) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "feature cache");
    c->fd = -1;
    if (dir) {
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            inc_free(c);
            return inc_error(INCEPTION_ERR_IO, "cannot create the cache folder '%s': %s", dir, strerror(errno));
        }
        size_t n = strlen(dir) + 40;
        c->path = inc_malloc(n);
        if (!c->path) {
            inc_free(c);
            return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "feature cache");
        }
        snprintf(c->path, n, "%s/features-%016llx.bin", dir, (unsigned long long)model_key);
        c->fd = open(c->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        inception_status st = c->fd < 0 ? inc_error(INCEPTION_ERR_IO, "cannot open the cache '%s': %s", c->path, strerror(errno))
                                        : load_file(c, model_key);
        if (st) {
            inc_cache_free(c);
            return st;
        }
    }
    *out = c;
    return INCEPTION_OK;
}

void inc_cache_free(inc_cache *c) {
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    inc_free(c->path);
    inc_free(c->keys);
    inc_free(c->index);
    inc_free(c->data);
    inc_free(c);
}

int inc_cache_get(const inc_cache *c, uint64_t key, float *f) {
    int64_t i = find(c, fix_key(key));
    if (i < 0) return 0;
    memcpy(f, c->data + (size_t)i * REC_FLOATS, REC_FLOATS * sizeof(float));
    return 1;
}

inception_status inc_cache_put(inc_cache *c, uint64_t key, const float *f) {
    key = fix_key(key);
    if (find(c, key) >= 0) return INCEPTION_OK;
    inception_status st = insert(c, key, f);
    if (st || c->fd < 0) return st;
    uint8_t rec[REC_BYTES];
    for (int i = 0; i < 8; i++) rec[i] = (uint8_t)(key >> (8 * i));
    memcpy(rec + 8, f, REC_FLOATS * sizeof(float));
    uint32_t crc = rec_crc(rec);
    for (int i = 0; i < 4; i++) rec[REC_BYTES - 4 + i] = (uint8_t)(crc >> (8 * i));
    off_t end = lseek(c->fd, 0, SEEK_END);
    if (end < 0 || pwrite(c->fd, rec, REC_BYTES, end) != REC_BYTES) {
        int err = errno;
        if (end >= 0 && ftruncate(c->fd, end) != 0) { /* keep whole records only */ }
        return inc_error(INCEPTION_ERR_IO, "cannot append to the cache '%s': %s", c->path, strerror(err));
    }
    return INCEPTION_OK;
}

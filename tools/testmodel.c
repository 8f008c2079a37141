/*
 * Deterministic synthetic Inception-v3 weights. tools/gen_golden.py implements the same
 * definition in numpy; docs/golden.md is the specification. Summary:
 *
 *   key(name)   = FNV-1a-64(UTF-8 bytes of name) XOR seed
 *   x_i         = SplitMix64 finaliser of (key + (i + 1) * 0x9E3779B97F4A7C15) mod 2^64,
 *                 i.e. the i-th output of SplitMix64 seeded with key, i = 0, 1, ...
 *   k_i         = (int32)(x_i >> 40) - 2^23            24-bit signed integer
 *   u_i         = (float)k_i * 2^-23                   exact, in [-1, 1)
 *   value_i     = offset + (float)(u_i * scale)        float32 ops, each rounded once;
 *                                                      the add is skipped when offset = 0
 *
 *   tensor                  offset  scale
 *   *.conv.weight           0       (float)sqrt(6.0 / fan_in)    (He-uniform, in double)
 *   *.bn.weight             1       0.2f                         gamma in [0.8, 1.2)
 *   *.bn.bias               0       0.1f
 *   *.bn.running_mean       0       0.2f
 *   *.bn.running_var        1       0.5f                         in [0.5, 1.5)
 *   fc.weight, AuxLogits.fc.weight  0   (float)sqrt(3.0 / fan_in)
 *   fc.bias, AuxLogits.fc.bias      0   0.1f
 *   *.bn.num_batches_tracked  I64 scalar (shape []) holding 0
 *   AuxLogits.fc_bn.*       as *.bn.* (BN-auxiliary variant)
 *
 * With a BatchNorm statistics file (opts.bn_stats) every running_mean / running_var comes
 * from the file instead (binary16 values, widened exactly): data-dependent statistics
 * that tools/gen_golden.py calibrated, so both sides still build the same model.
 *
 * This file must be compiled with -ffp-contract=off: a fused multiply-add would round
 * differently from numpy.
 */
#include "testmodel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define GOLDEN_GAMMA 0x9E3779B97F4A7C15ull

uint64_t inc_testmodel_fnv1a64(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t inc_testmodel_splitmix64(uint64_t key, uint64_t index) {
    uint64_t z = key + (index + 1) * GOLDEN_GAMMA;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void fill(const char *name, uint64_t seed, float offset, float scale, float *out,
                 size_t count) {
    uint64_t key = inc_testmodel_fnv1a64(name) ^ seed;
    for (size_t i = 0; i < count; i++) {
        int32_t k = (int32_t)(inc_testmodel_splitmix64(key, i) >> 40) - (1 << 23);
        float u = (float)k * 0x1p-23f;
        float v = u * scale;
        out[i] = offset != 0.0f ? offset + v : v;
    }
}

void inc_testmodel_uniform(const char *name, uint64_t seed, float *out, size_t count) {
    fill(name, seed, 0.0f, 1.0f, out, count);
}

uint16_t inc_testmodel_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520 rounds to inf */
    if (ax < 0x38800000u) {                                   /* f16 subnormal or zero */
        if (ax < 0x33000000u) return sign;                    /* below 2^-25: zero */
        uint32_t e = ax >> 23, m = (ax & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - e; /* value in units of 2^-24 is m >> shift */
        uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1u))) q++;
        return (uint16_t)(sign | q);
    }
    uint32_t r = ax - 0x38000000u; /* rebias the exponent from 127 to 15 */
    uint32_t q = r >> 13, rem = r & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (q & 1u))) q++; /* a carry bumps the exponent */
    return (uint16_t)(sign | q);
}

/* ---- the layer list (torchvision Inception3, state_dict order) ---- */

enum kind { K_I64, K_CONV_W, K_GAMMA, K_BETA, K_MEAN, K_VAR, K_FC_W, K_FC_B };

typedef struct tdesc {
    char name[64];
    enum kind kind;
    int32_t rank;
    int64_t shape[4];
    int64_t fan_in;
    size_t count;
} tdesc;

typedef struct tlist {
    tdesc *t;
    size_t n, cap;
    int bn_gamma;
    int oom;
} tlist;

/* What build_list lays out: the base network and the variant's tensor changes. */
typedef struct arch {
    int classes, aux, bn_gamma, stem_conv, aux_bn;
} arch;

static tdesc *push(tlist *l, const char *prefix, const char *suffix, enum kind kind) {
    if (l->oom) return NULL;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        tdesc *t = realloc(l->t, cap * sizeof *t);
        if (!t) {
            l->oom = 1;
            return NULL;
        }
        l->t = t;
        l->cap = cap;
    }
    tdesc *d = &l->t[l->n++];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s%s", prefix, suffix);
    d->kind = kind;
    d->count = 1;
    return d;
}

static void vec(tlist *l, const char *prefix, const char *suffix, enum kind kind, int64_t n) {
    tdesc *d = push(l, prefix, suffix, kind);
    if (!d) return;
    d->rank = 1;
    d->shape[0] = n;
    d->count = (size_t)n;
}

static void conv(tlist *l, const char *prefix, int cin, int cout, int kh, int kw) {
    tdesc *d = push(l, prefix, ".conv.weight", K_CONV_W);
    if (!d) return;
    d->rank = 4;
    d->shape[0] = cout;
    d->shape[1] = cin;
    d->shape[2] = kh;
    d->shape[3] = kw;
    d->fan_in = (int64_t)cin * kh * kw;
    d->count = (size_t)cout * (size_t)cin * (size_t)kh * (size_t)kw;
    if (l->bn_gamma) vec(l, prefix, ".bn.weight", K_GAMMA, cout);
    vec(l, prefix, ".bn.bias", K_BETA, cout);
    vec(l, prefix, ".bn.running_mean", K_MEAN, cout);
    vec(l, prefix, ".bn.running_var", K_VAR, cout);
    d = push(l, prefix, ".bn.num_batches_tracked", K_I64);
    if (d) d->rank = 0;
}

static void fc(tlist *l, const char *prefix, int cin, int cout) {
    tdesc *d = push(l, prefix, ".weight", K_FC_W);
    if (!d) return;
    d->rank = 2;
    d->shape[0] = cout;
    d->shape[1] = cin;
    d->fan_in = cin;
    d->count = (size_t)cout * (size_t)cin;
    vec(l, prefix, ".bias", K_FC_B, cout);
}

static void sub(tlist *l, const char *block, const char *branch, int cin, int cout, int kh,
                int kw) {
    char p[64];
    snprintf(p, sizeof p, "%s.%s", block, branch);
    conv(l, p, cin, cout, kh, kw);
}

static void block_a(tlist *l, const char *b, int cin, int pool) {
    sub(l, b, "branch1x1", cin, 64, 1, 1);
    sub(l, b, "branch5x5_1", cin, 48, 1, 1);
    sub(l, b, "branch5x5_2", 48, 64, 5, 5);
    sub(l, b, "branch3x3dbl_1", cin, 64, 1, 1);
    sub(l, b, "branch3x3dbl_2", 64, 96, 3, 3);
    sub(l, b, "branch3x3dbl_3", 96, 96, 3, 3);
    sub(l, b, "branch_pool", cin, pool, 1, 1);
}

static void block_c(tlist *l, const char *b, int c7) {
    sub(l, b, "branch1x1", 768, 192, 1, 1);
    sub(l, b, "branch7x7_1", 768, c7, 1, 1);
    sub(l, b, "branch7x7_2", c7, c7, 1, 7);
    sub(l, b, "branch7x7_3", c7, 192, 7, 1);
    sub(l, b, "branch7x7dbl_1", 768, c7, 1, 1);
    sub(l, b, "branch7x7dbl_2", c7, c7, 7, 1);
    sub(l, b, "branch7x7dbl_3", c7, c7, 1, 7);
    sub(l, b, "branch7x7dbl_4", c7, c7, 7, 1);
    sub(l, b, "branch7x7dbl_5", c7, 192, 1, 7);
    sub(l, b, "branch_pool", 768, 192, 1, 1);
}

static void block_e(tlist *l, const char *b, int cin) {
    sub(l, b, "branch1x1", cin, 320, 1, 1);
    sub(l, b, "branch3x3_1", cin, 384, 1, 1);
    sub(l, b, "branch3x3_2a", 384, 384, 1, 3);
    sub(l, b, "branch3x3_2b", 384, 384, 3, 1);
    sub(l, b, "branch3x3dbl_1", cin, 448, 1, 1);
    sub(l, b, "branch3x3dbl_2", 448, 384, 3, 3);
    sub(l, b, "branch3x3dbl_3a", 384, 384, 1, 3);
    sub(l, b, "branch3x3dbl_3b", 384, 384, 3, 1);
    sub(l, b, "branch_pool", cin, 192, 1, 1);
}

/* A BatchNorm1d over `n` features (the BN-auxiliary head's AuxLogits.fc_bn). */
static void bn1d(tlist *l, const char *prefix, int64_t n) {
    if (l->bn_gamma) vec(l, prefix, ".weight", K_GAMMA, n);
    vec(l, prefix, ".bias", K_BETA, n);
    vec(l, prefix, ".running_mean", K_MEAN, n);
    vec(l, prefix, ".running_var", K_VAR, n);
    tdesc *d = push(l, prefix, ".num_batches_tracked", K_I64);
    if (d) d->rank = 0;
}

static int build_list(tlist *l, const arch *a) {
    int classes = a->classes;
    memset(l, 0, sizeof *l);
    l->bn_gamma = a->bn_gamma;
    if (a->stem_conv == 7) {
        conv(l, "Conv2d_1a_7x7", 3, 64, 7, 7);
    } else {
        conv(l, "Conv2d_1a_3x3", 3, 32, 3, 3);
        conv(l, "Conv2d_2a_3x3", 32, 32, 3, 3);
        conv(l, "Conv2d_2b_3x3", 32, 64, 3, 3);
    }
    conv(l, "Conv2d_3b_1x1", 64, 80, 1, 1);
    conv(l, "Conv2d_4a_3x3", 80, 192, 3, 3);
    block_a(l, "Mixed_5b", 192, 32);
    block_a(l, "Mixed_5c", 256, 64);
    block_a(l, "Mixed_5d", 288, 64);
    sub(l, "Mixed_6a", "branch3x3", 288, 384, 3, 3);
    sub(l, "Mixed_6a", "branch3x3dbl_1", 288, 64, 1, 1);
    sub(l, "Mixed_6a", "branch3x3dbl_2", 64, 96, 3, 3);
    sub(l, "Mixed_6a", "branch3x3dbl_3", 96, 96, 3, 3);
    block_c(l, "Mixed_6b", 128);
    block_c(l, "Mixed_6c", 160);
    block_c(l, "Mixed_6d", 160);
    block_c(l, "Mixed_6e", 192);
    if (a->aux && classes > 0) {
        conv(l, "AuxLogits.conv0", 768, 128, 1, 1);
        conv(l, "AuxLogits.conv1", 128, 768, 5, 5);
        fc(l, "AuxLogits.fc", 768, classes);
        if (a->aux_bn) bn1d(l, "AuxLogits.fc_bn", classes);
    }
    sub(l, "Mixed_7a", "branch3x3_1", 768, 192, 1, 1);
    sub(l, "Mixed_7a", "branch3x3_2", 192, 320, 3, 3);
    sub(l, "Mixed_7a", "branch7x7x3_1", 768, 192, 1, 1);
    sub(l, "Mixed_7a", "branch7x7x3_2", 192, 192, 1, 7);
    sub(l, "Mixed_7a", "branch7x7x3_3", 192, 192, 7, 1);
    sub(l, "Mixed_7a", "branch7x7x3_4", 192, 192, 3, 3);
    block_e(l, "Mixed_7b", 1280);
    block_e(l, "Mixed_7c", 2048);
    if (classes > 0) fc(l, "fc", 2048, classes);
    if (l->oom) {
        free(l->t);
        return -1;
    }
    return 0;
}

static void dist(const tdesc *d, float *offset, float *scale) {
    *offset = 0.0f;
    switch (d->kind) {
    case K_CONV_W: *scale = (float)sqrt(6.0 / (double)d->fan_in); break;
    case K_GAMMA: *offset = 1.0f; *scale = 0.2f; break;
    case K_BETA: *scale = 0.1f; break;
    case K_MEAN: *scale = 0.2f; break;
    case K_VAR: *offset = 1.0f; *scale = 0.5f; break;
    case K_FC_W: *scale = (float)sqrt(3.0 / (double)d->fan_in); break;
    case K_FC_B: *scale = 0.1f; break;
    default: *scale = 0.0f; break;
    }
}

int inc_testmodel_tensor(const char *name, uint64_t seed, float *out, size_t count) {
    tlist l;
    arch a = {1000, 1, 1, 3, 0};
    if (build_list(&l, &a) != 0) return -1;
    int rc = -1;
    for (size_t i = 0; i < l.n; i++) {
        if (strcmp(l.t[i].name, name) == 0 && l.t[i].kind != K_I64) {
            float offset, scale;
            dist(&l.t[i], &offset, &scale);
            fill(name, seed, offset, scale, out, count);
            rc = 0;
            break;
        }
    }
    free(l.t);
    return rc;
}

void inc_testmodel_opts_default(inc_testmodel_opts *o) {
    memset(o, 0, sizeof *o);
    o->classes = 1000;
    o->aux = 1;
    o->bn_gamma = 1;
    o->standard_meta = 1;
    o->stem = 299;
    o->stem_conv = 3;
}

/* ---- BatchNorm statistics file (docs/golden.md) ----
 * "INCBNST1", u32 count, then count entries: u8 name length, the name (a BN module such as
 * "Mixed_5b.branch1x1.bn" or "AuxLogits.fc_bn"), u32 channels, binary16 running_mean
 * [channels], binary16 running_var [channels]; all little-endian, nothing after. */

typedef struct bnstat {
    char name[64];
    uint32_t channels;
    const uint8_t *mean, *var; /* binary16 arrays inside the file buffer */
    int used;
} bnstat;

typedef struct bnfile {
    uint8_t *buf;
    bnstat *e;
    uint32_t n;
} bnfile;

static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    float v;
    if (exp == 0) v = ldexpf((float)mant, -24); /* zero and subnormals, exact */
    else if (exp == 31) v = mant ? NAN : INFINITY;
    else v = ldexpf((float)(mant | 0x400u), (int)exp - 25);
    return sign ? -v : v;
}

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int bnfile_read(const char *path, bnfile *f) {
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        n += fread(buf + n, 1, cap - n, fp);
        if (n < cap) break;
        uint8_t *nb = cap < ((size_t)1 << 26) ? realloc(buf, cap * 2) : NULL;
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int err = ferror(fp);
    fclose(fp);
    if (!buf || err || n < 12 || memcmp(buf, "INCBNST1", 8) != 0) {
        free(buf);
        return -1;
    }
    uint32_t count = rd32(buf + 8);
    size_t off = 12;
    bnstat *e = count <= 4096 ? calloc(count ? count : 1, sizeof *e) : NULL;
    int ok = e != NULL;
    for (uint32_t i = 0; ok && i < count; i++) {
        if (off + 1 > n) { ok = 0; break; }
        size_t len = buf[off++];
        if (len == 0 || len >= sizeof e[i].name || off + len + 4 > n) { ok = 0; break; }
        memcpy(e[i].name, buf + off, len);
        off += len;
        e[i].channels = rd32(buf + off);
        off += 4;
        size_t bytes = (size_t)e[i].channels * 2;
        if (e[i].channels == 0 || e[i].channels > 100000 || off + 2 * bytes > n) { ok = 0; break; }
        e[i].mean = buf + off;
        e[i].var = buf + off + bytes;
        off += 2 * bytes;
    }
    if (!ok || off != n) {
        free(e);
        free(buf);
        return -1;
    }
    f->buf = buf;
    f->e = e;
    f->n = count;
    return 0;
}

/* Overwrites a running_mean / running_var stream with the file's values; -1 when the file
 * has no entry of that name and size. */
static int bnfile_apply(bnfile *f, const tdesc *d, float *out) {
    const char *suffix = d->kind == K_MEAN ? ".running_mean" : ".running_var";
    size_t nl = strlen(d->name), sl = strlen(suffix);
    if (nl <= sl || strcmp(d->name + nl - sl, suffix) != 0) return -1;
    for (uint32_t i = 0; i < f->n; i++) {
        bnstat *e = &f->e[i];
        if (strlen(e->name) != nl - sl || strncmp(e->name, d->name, nl - sl) != 0) continue;
        if (e->channels != d->count) return -1;
        const uint8_t *src = d->kind == K_MEAN ? e->mean : e->var;
        for (size_t j = 0; j < d->count; j++)
            out[j] = f16_to_f32((uint16_t)(src[2 * j] | src[2 * j + 1] << 8));
        e->used = 1;
        return 0;
    }
    return -1;
}

/* ---- a growable string for the JSON header ---- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sput(sbuf *s, const char *str, size_t len) {
    if (s->oom) return;
    if (s->n + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->n + len + 1) cap *= 2;
        char *p = realloc(s->p, cap);
        if (!p) {
            s->oom = 1;
            return;
        }
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->n, str, len);
    s->n += len;
    s->p[s->n] = '\0';
}

static void sputs(sbuf *s, const char *str) { sput(s, str, strlen(str)); }

static void sputjson(sbuf *s, const char *str) {
    sputs(s, "\"");
    for (const unsigned char *c = (const unsigned char *)str; *c; c++) {
        char esc[8];
        if (*c == '"' || *c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*c;
            sput(s, esc, 2);
        } else if (*c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *c);
            sputs(s, esc);
        } else {
            sput(s, (const char *)c, 1);
        }
    }
    sputs(s, "\"");
}

static void sputkv(sbuf *s, int *first, const char *k, const char *v) {
    if (!*first) sputs(s, ",");
    *first = 0;
    sputjson(s, k);
    sputs(s, ":");
    sputjson(s, v);
}

static int has_extra(const inc_testmodel_opts *o, const char *key) {
    for (const char *const *m = o->extra_meta; m && m[0] && m[1]; m += 2)
        if (strcmp(m[0], key) == 0) return 1;
    return 0;
}

int inc_testmodel_build(const inc_testmodel_opts *o, uint8_t **buf, size_t *size) {
    if (!o || !buf || !size || o->classes < 0 || o->classes > 100000) return -1;
    if (o->stem != 299 && o->stem != 151 && o->stem != 79) return -1;
    if (o->stem_conv != 3 && o->stem_conv != 7) return -1;
    tlist l;
    arch a = {o->classes, o->aux, o->bn_gamma, o->stem_conv, o->aux_bn && o->aux};
    if (build_list(&l, &a) != 0) return -1;
    bnfile stats = {0};
    if (o->bn_stats && bnfile_read(o->bn_stats, &stats) != 0) {
        free(l.t);
        return -1;
    }

    /* I64 scalars first keeps every tensor aligned to its element size. */
    size_t esz = o->f16 ? 2 : 4;
    size_t *begin = malloc(l.n * sizeof *begin);
    size_t *order = malloc(l.n * sizeof *order);
    if (!begin || !order) {
        free(begin);
        free(order);
        free(l.t);
        return -1;
    }
    size_t data_size = 0, no = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < l.n; i++) {
            if ((l.t[i].kind == K_I64) != (pass == 0)) continue;
            order[no++] = i;
            begin[i] = data_size;
            data_size += l.t[i].kind == K_I64 ? 8 : l.t[i].count * esz;
        }
    }

    uint8_t *data = malloc(data_size ? data_size : 1);
    float *tmp = NULL;
    size_t tmp_cap = 0;
    int rc = data ? 0 : -1;
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        tdesc *d = &l.t[i];
        uint8_t *dst = data + begin[i];
        if (d->kind == K_I64) {
            memset(dst, 0, 8);
            continue;
        }
        float offset, scale;
        dist(d, &offset, &scale);
        if (!o->f16) {
            float *f = malloc(d->count * sizeof *f);
            if (!f) {
                rc = -1;
                break;
            }
            fill(d->name, o->seed, offset, scale, f, d->count);
            if (stats.buf && (d->kind == K_MEAN || d->kind == K_VAR) &&
                bnfile_apply(&stats, d, f) != 0) {
                free(f);
                rc = -1;
                break;
            }
            memcpy(dst, f, d->count * sizeof *f); /* host order; x86/arm are little-endian */
            free(f);
            continue;
        }
        if (tmp_cap < d->count) {
            free(tmp);
            tmp = malloc(d->count * sizeof *tmp);
            tmp_cap = tmp ? d->count : 0;
            if (!tmp) {
                rc = -1;
                break;
            }
        }
        fill(d->name, o->seed, offset, scale, tmp, d->count);
        if (stats.buf && (d->kind == K_MEAN || d->kind == K_VAR) &&
            bnfile_apply(&stats, d, tmp) != 0) {
            rc = -1;
            break;
        }
        for (size_t j = 0; j < d->count; j++) {
            uint16_t h = inc_testmodel_f32_to_f16(tmp[j]);
            dst[2 * j] = (uint8_t)(h & 0xff);
            dst[2 * j + 1] = (uint8_t)(h >> 8);
        }
    }
    free(tmp);
    /* every entry must belong to this model: a file for another variant is refused */
    for (uint32_t i = 0; rc == 0 && i < stats.n; i++)
        if (!stats.e[i].used) rc = -1;
    free(stats.e);
    free(stats.buf);

    sbuf s = {0};
    if (rc == 0) {
        char num[128];
        sputs(&s, "{\"__metadata__\":{");
        int first = 1;
        sputkv(&s, &first, "format", "pt");
        if (o->standard_meta) {
            uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0);
            /* zlib takes uInt lengths: feed the data in chunks. */
            for (size_t off = 0; off < data_size; off += (size_t)1 << 30) {
                size_t len = data_size - off < ((size_t)1 << 30) ? data_size - off
                                                                 : (size_t)1 << 30;
                crc = (uint32_t)crc32(crc, data + off, (uInt)len);
            }
            sputkv(&s, &first, "inception.synthetic", "true");
            snprintf(num, sizeof num, "generated deterministic weights (seed %llu)",
                     (unsigned long long)o->seed);
            if (!has_extra(o, "inception.name")) sputkv(&s, &first, "inception.name", num);
            snprintf(num, sizeof num, "%08x", crc);
            if (!has_extra(o, "inception.crc32")) sputkv(&s, &first, "inception.crc32", num);
            if (!o->bn_gamma && !has_extra(o, "inception.bn_gamma"))
                sputkv(&s, &first, "inception.bn_gamma", "false");
            snprintf(num, sizeof num, "%d", o->stem);
            if (o->stem != 299 && !has_extra(o, "inception.stem"))
                sputkv(&s, &first, "inception.stem", num);
            if (o->stem_conv == 7 && !has_extra(o, "inception.stem_conv"))
                sputkv(&s, &first, "inception.stem_conv", "7x7");
            if (a.aux_bn && !has_extra(o, "inception.aux_head"))
                sputkv(&s, &first, "inception.aux_head", "bn");
        }
        for (const char *const *m = o->extra_meta; m && m[0] && m[1]; m += 2)
            sputkv(&s, &first, m[0], m[1]);
        sputs(&s, "}");
        for (size_t j = 0; j < no; j++) {
            tdesc *d = &l.t[order[j]];
            sputs(&s, ",");
            sputjson(&s, d->name);
            sputs(&s, ":{\"dtype\":\"");
            sputs(&s, d->kind == K_I64 ? "I64" : o->f16 ? "F16" : "F32");
            sputs(&s, "\",\"shape\":[");
            for (int r = 0; r < d->rank; r++) {
                snprintf(num, sizeof num, "%s%lld", r ? "," : "", (long long)d->shape[r]);
                sputs(&s, num);
            }
            size_t e = begin[order[j]] + (d->kind == K_I64 ? 8 : d->count * esz);
            snprintf(num, sizeof num, "],\"data_offsets\":[%zu,%zu]}", begin[order[j]], e);
            sputs(&s, num);
        }
        sputs(&s, "}");
        while (!s.oom && (s.n + 8) % 8 != 0) sputs(&s, " "); /* data starts 8-aligned */
        if (s.oom) rc = -1;
    }

    uint8_t *out = NULL;
    if (rc == 0) {
        out = malloc(8 + s.n + data_size);
        if (!out) rc = -1;
    }
    if (rc == 0) {
        uint64_t hl = s.n;
        for (int b = 0; b < 8; b++) out[b] = (uint8_t)(hl >> (8 * b));
        memcpy(out + 8, s.p, s.n);
        memcpy(out + 8 + s.n, data, data_size);
        *buf = out;
        *size = 8 + s.n + data_size;
    }
    free(s.p);
    free(data);
    free(begin);
    free(order);
    free(l.t);
    return rc;
}

/* lib/backends/q8: may include backends/q8.h, backends/simd/cpu.h, its own headers,
 * lib/common and include/. */
/* int8 kernels: packing, the ref oracle, work splitting and dispatch to the ISA kernels.
 * Compiled with the library's plain flags; only kernels_<isa>.c use vector instructions,
 * reached only after the CPUID/XGETBV check (never build flags) said the level runs here. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "backends/q8.h"
#include "common/common.h"
#ifdef INC_HAVE_SIMD
#include <cpuid.h>

#include "backends/q8/kernels.h"
#include "backends/simd/cpu.h"
#endif

enum { LV_REF = 0, LV_AVX2 = 1, LV_AVXVNNI = 2, LV_AVX512VNNI = 3, LV_COUNT = 4 };
static const char *const level_names[LV_COUNT] = {"ref", "avx2", "avxvnni", "avx512vnni"};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int have[LV_COUNT];
static int best_level;
static const char *present[LV_COUNT];
static int32_t n_present;

/* AVX-VNNI is CPUID.(7,1):EAX[4], AVX512_VNNI CPUID.(7,0):ECX[11]; both need the register
 * state the simd backend's probe already checked (YMM for AVX2, ZMM/opmask for AVX-512). */
static void detect(void) {
    have[LV_REF] = 1;
#ifdef INC_HAVE_SIMD
    int simd = inc_simd_cpu_level();
    if (simd >= INC_SIMD_AVX2) {
        have[LV_AVX2] = 1;
        unsigned a, b, c, d;
        if (__get_cpuid_max(0, NULL) >= 7) {
            __cpuid_count(7, 0, a, b, c, d);
            unsigned max_sub = a;
            if (simd >= INC_SIMD_AVX512 && ((c >> 11) & 1)) have[LV_AVX512VNNI] = 1;
            if (max_sub >= 1) {
                __cpuid_count(7, 1, a, b, c, d);
#ifdef INC_Q8_HAVE_AVXVNNI
                if ((a >> 4) & 1) have[LV_AVXVNNI] = 1;
#endif
            }
        }
    }
#ifndef INC_Q8_HAVE_AVX512VNNI
    have[LV_AVX512VNNI] = 0;
#endif
#endif
    for (int i = 0; i < LV_COUNT; i++)
        if (have[i]) present[n_present++] = level_names[i];
    best_level = LV_REF;
    for (int i = 1; i < LV_COUNT; i++)
        if (have[i]) best_level = i;
#ifdef INC_HAVE_SIMD
    /* INCEPTION_SIMD_LEVEL=avx2 keeps the automatic choice off zmm, as for float. */
    if (best_level == LV_AVX512VNNI && inc_simd_auto_level() < INC_SIMD_AVX512)
        best_level = have[LV_AVXVNNI] ? LV_AVXVNNI : LV_AVX2;
#endif
}

const char *const *inc_q8_levels(int32_t *n) {
    pthread_once(&once, detect);
    if (n) *n = n_present;
    return present;
}

/* ---- packed convolution ---- */

typedef struct q8_packed {
    inception_conv_desc d;
    int level;
#ifdef INC_HAVE_SIMD
    const inc_q8_kernels *k; /* NULL for ref */
#endif
    int32_t ntaps, nfull, tail, ngroups; /* 4-byte groups of an input row: nfull + tail bytes */
    int32_t nb, nblocks;                 /* block width (nv * vw) and count */
    int8_t *w;        /* ref: [out][tap][in]; simd: block b at b * block_bytes */
    size_t block_bytes;
    int32_t *bias;    /* [nblocks * nb] (ref: [out]), zero-padded */
    float *m;         /* likewise */
    uint8_t *zeros;   /* zero bytes for a whole input row: what every padding tap reads */
    int wide;         /* WIDE16: the run widens the input rows to int16 first */
} q8_packed;

static int level_index(const char *name) {
    for (int i = 0; i < LV_COUNT; i++)
        if (!strcmp(name, level_names[i])) return i;
    return -1;
}

static inception_status check_desc(const inception_conv_desc *d) {
    if (d->in_channels < 1 || d->out_channels < 1 || d->in_channels > (1 << 20) ||
        d->out_channels > (1 << 20))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         "int8 conv: channel counts must be in 1..%d (got %d -> %d)", 1 << 20,
                         (int)d->in_channels, (int)d->out_channels);
    if (d->kernel_h < 1 || d->kernel_w < 1 || d->kernel_h > 64 || d->kernel_w > 64)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         "int8 conv: kernel %dx%d outside 1..64", (int)d->kernel_h,
                         (int)d->kernel_w);
    if (d->stride_h < 1 || d->stride_w < 1 || d->stride_h > 64 || d->stride_w > 64)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "int8 conv: stride %dx%d outside 1..64",
                         (int)d->stride_h, (int)d->stride_w);
    if (d->pad_h < 0 || d->pad_w < 0 || d->pad_h >= d->kernel_h || d->pad_w >= d->kernel_w)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         "int8 conv: padding %dx%d must be in 0..kernel-1", (int)d->pad_h,
                         (int)d->pad_w);
    if (d->relu != 0 && d->relu != 1)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "int8 conv: relu must be 0 or 1");
    size_t taps = (size_t)d->kernel_h * (size_t)d->kernel_w, total;
    if (!inc_mul_size(taps * (size_t)d->in_channels, (size_t)d->out_channels, &total) ||
        total > ((size_t)1 << 31))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "int8 conv: weights too large");
    return INCEPTION_OK;
}

#ifdef INC_HAVE_SIMD
static const inc_q8_kernels *level_kernels(int level, const int8_t *w, size_t nw) {
    switch (level) {
#ifdef INC_Q8_HAVE_AVX512VNNI
    case LV_AVX512VNNI: return &inc_q8_kernels_avx512vnni;
#endif
#ifdef INC_Q8_HAVE_AVXVNNI
    case LV_AVXVNNI: return &inc_q8_kernels_avxvnni;
#endif
    case LV_AVX2: {
        /* vpmaddubsw is exact only while every |w| <= 64 (kernels_avx2.c). */
        int small = 1;
        for (size_t i = 0; i < nw && small; i++)
            small = w[i] >= -inc_q8_kernels_avx2_7bit.max_abs_w &&
                    w[i] <= inc_q8_kernels_avx2_7bit.max_abs_w;
        const char *force = getenv("INCEPTION_Q8_AVX2"); /* internal, for measuring */
        if (force && !strcmp(force, "exact")) small = 0;
        return small ? &inc_q8_kernels_avx2_7bit : &inc_q8_kernels_avx2_exact;
    }
    default: return NULL;
    }
}

/* Block b's weights: [tap][group][layout of k->pack] (kernels.h). */
static void pack_blocks(q8_packed *p, const int8_t *weights) {
    const inc_q8_kernels *k = p->k;
    size_t cin = (size_t)p->d.in_channels, cout = (size_t)p->d.out_channels;
    size_t taps = (size_t)p->ntaps, G = (size_t)p->ngroups;
    memset(p->w, 0, p->block_bytes * (size_t)p->nblocks);
    for (size_t o = 0; o < cout; o++) {
        size_t b = o / (size_t)p->nb, lane = o % (size_t)p->nb;
        int8_t *blk = p->w + b * p->block_bytes;
        for (size_t t = 0; t < taps; t++)
            for (size_t c = 0; c < cin; c++) {
                int8_t wv = weights[(o * taps + t) * cin + c];
                size_t per = k->pack == INC_Q8_PACK_WIDE16 ? 2 : 4, g = c / per, j = c % per;
                int8_t *grp = blk + (t * G + g) * (size_t)p->nb * 4; /* 4 bytes per lane */
                if (k->pack == INC_Q8_PACK_DOT4)
                    grp[lane * 4 + j] = wv;
                else /* WIDE16: (w0, w1) as int16 per lane */
                    ((int16_t *)(void *)grp)[lane * 2 + j] = wv;
            }
    }
}
#endif

inception_status inc_q8_conv_pack(const inception_conv_desc *desc, const int8_t *weights,
                                  const int32_t *bias_q, const float *m, const char *level,
                                  void **packed) {
    if (packed) *packed = NULL;
    if (!desc || !weights || !bias_q || !m || !packed)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "int8 conv pack: NULL argument");
    inception_status st = check_desc(desc);
    if (st) return st;
    pthread_once(&once, detect);
    int lv = best_level;
    if (level) {
        lv = level_index(level);
        if (lv < 0)
            return inc_error(INCEPTION_ERR_NOT_FOUND,
                             "int8 conv: no kernel level '%s' (ref, avx2, avxvnni, avx512vnni)",
                             level);
        if (!have[lv])
            return inc_error(INCEPTION_ERR_NOT_FOUND,
                             "int8 conv: level '%s' is not available on this CPU/build", level);
    }
    q8_packed *p = inc_calloc(1, sizeof *p);
    if (!p) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "int8 conv pack: out of memory");
    p->d = *desc;
    p->level = lv;
    size_t cin = (size_t)desc->in_channels, cout = (size_t)desc->out_channels;
    p->ntaps = desc->kernel_h * desc->kernel_w;
    size_t nw = cout * (size_t)p->ntaps * cin, nchan = cout, row_bytes = cin;
    p->nb = (int32_t)cout;
    p->nblocks = 1;
#ifdef INC_HAVE_SIMD
    if (lv != LV_REF) {
        p->k = level_kernels(lv, weights, nw);
        p->wide = p->k->pack == INC_Q8_PACK_WIDE16;
        if (p->wide) row_bytes = 2 * cin;
    }
#endif
    p->nfull = (int32_t)(row_bytes / 4);
    p->tail = (int32_t)(row_bytes % 4);
    p->ngroups = p->nfull + (p->tail ? 1 : 0);
#ifdef INC_HAVE_SIMD
    if (lv != LV_REF) {
        p->nb = p->k->nv * p->k->vw;
        p->nblocks = (int32_t)((cout + (size_t)p->nb - 1) / (size_t)p->nb);
        nchan = (size_t)p->nblocks * (size_t)p->nb;
        p->block_bytes = (size_t)p->ntaps * (size_t)p->ngroups * (size_t)p->nb * 4;
        nw = p->block_bytes * (size_t)p->nblocks;
    }
#endif
    p->w = inc_malloc_aligned(nw ? nw : 1);
    p->bias = inc_malloc_aligned(nchan * sizeof(int32_t));
    p->m = inc_malloc_aligned(nchan * sizeof(float));
    p->zeros = inc_malloc_aligned((size_t)p->ngroups * 4 + 64);
    if (!p->w || !p->bias || !p->m || !p->zeros) {
        inc_q8_conv_release(p);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "int8 conv pack: out of memory");
    }
    memset(p->zeros, 0, (size_t)p->ngroups * 4 + 64);
    memset(p->bias, 0, nchan * sizeof(int32_t));
    memset(p->m, 0, nchan * sizeof(float));
    memcpy(p->bias, bias_q, cout * sizeof(int32_t));
    memcpy(p->m, m, cout * sizeof(float));
#ifdef INC_HAVE_SIMD
    if (p->k)
        pack_blocks(p, weights);
    else
#endif
        memcpy(p->w, weights, nw);
    *packed = p;
    return INCEPTION_OK;
}

void inc_q8_conv_release(void *packed) {
    q8_packed *p = packed;
    if (!p) return;
    inc_free_aligned(p->w);
    inc_free_aligned(p->bias);
    inc_free_aligned(p->m);
    inc_free_aligned(p->zeros);
    inc_free(p);
}

const char *inc_q8_conv_level(const void *packed) {
    return packed ? level_names[((const q8_packed *)packed)->level] : NULL;
}

const char *inc_q8_conv_kernel(const void *packed) {
    if (!packed) return NULL;
#ifdef INC_HAVE_SIMD
    const q8_packed *p = packed;
    if (p->k) return p->k->kernel;
#endif
    return "ref";
}

/* ---- ref: the oracle, one output element at a time ---- */

static void part_range(int64_t total, int32_t part, int32_t parts, int64_t *b, int64_t *e) {
    if (parts < 1) parts = 1;
    *b = total * part / parts;
    *e = total * (part + 1) / parts;
}

/* The requantising store of INT8_API.md; a NaN (or negative) product stores 0. */
static uint8_t requant(int32_t acc, float m) {
    float v = (float)acc * m;
    if (!(v > 0.0f)) return 0;
    if (v >= 255.0f) return 255;
    return (uint8_t)nearbyintf(v);
}

static float requant_f32(int32_t acc, float m, int relu) {
    float v = (float)acc * m;
    if (relu && !(v > 0.0f)) return 0.0f; /* as max_ps(v, 0): NaN and -0 give +0 */
    return v;
}

static void ref_run(const q8_packed *p, const inc_q8_view *in, uint8_t *o8, float *of,
                    int64_t ostride, int64_t oh, int64_t ow, int32_t part, int32_t parts) {
    const inception_conv_desc *d = &p->d;
    int64_t cin = d->in_channels, cout = d->out_channels;
    int64_t b, e;
    part_range(in->n * oh * ow, part, parts, &b, &e);
    for (int64_t px = b; px < e; px++) {
        int64_t ox = px % ow, oy = (px / ow) % oh, n = px / (ow * oh);
        for (int64_t o = 0; o < cout; o++) {
            uint32_t acc = (uint32_t)p->bias[o]; /* wraps like the SIMD int32 lanes */
            for (int64_t ky = 0; ky < d->kernel_h; ky++) {
                int64_t iy = oy * d->stride_h - d->pad_h + ky;
                if (iy < 0 || iy >= in->h) continue;
                for (int64_t kx = 0; kx < d->kernel_w; kx++) {
                    int64_t ix = ox * d->stride_w - d->pad_w + kx;
                    if (ix < 0 || ix >= in->w) continue;
                    const uint8_t *x = in->data + ((n * in->h + iy) * in->w + ix) * in->pixel_stride;
                    const int8_t *w = p->w + ((o * d->kernel_h + ky) * d->kernel_w + kx) * cin;
                    for (int64_t c = 0; c < cin; c++)
                        acc += (uint32_t)((int32_t)x[c] * (int32_t)w[c]);
                }
            }
            int32_t a = (int32_t)acc;
            if (o8)
                o8[px * ostride + o] = requant(a, p->m[o]);
            else
                of[px * ostride + o] = requant_f32(a, p->m[o], d->relu);
        }
    }
}

/* ---- simd: tiles of mr pixels x one block, pixels in chunks so a chunk's input rows stay
 * in cache while every block of the part passes over them ---- */

#ifdef INC_HAVE_SIMD
enum { CHUNK_TILES = 12 };

/* Small grids (17x17, 8x8 at batch 1) split by channel blocks when there are enough, so
 * each part reads only its share of the weights; bigger grids split by pixel tiles. A pure
 * function of (shape, part, parts). */
static void split(const q8_packed *p, int64_t M, int32_t part, int32_t parts, int64_t *m0,
                  int64_t *m1, int32_t *b0, int32_t *b1) {
    int64_t mr = p->k->mr;
    *m0 = 0, *m1 = M, *b0 = 0, *b1 = p->nblocks;
    if (parts <= 1) return;
    int by_blocks = p->nblocks >= parts && (M <= 512 || M < (int64_t)parts * mr * 2);
    if (by_blocks) {
        *b0 = (int32_t)((int64_t)p->nblocks * part / parts);
        *b1 = (int32_t)((int64_t)p->nblocks * (part + 1) / parts);
    } else {
        int64_t tiles = (M + mr - 1) / mr;
        int64_t t0 = tiles * part / parts, t1 = tiles * (part + 1) / parts;
        *m0 = t0 * mr;
        *m1 = t1 * mr < M ? t1 * mr : M;
    }
}

/* Bytes of the pointer area at the start of the scratch (64-byte multiple). */
static size_t ptr_bytes(const q8_packed *p) {
    size_t b = (size_t)CHUNK_TILES * (size_t)p->k->mr * (size_t)p->ntaps * sizeof(void *);
    return (b + 63) / 64 * 64;
}

/* The input rows (numbered n * h + y) that output pixels [m0, m1) read: the rows of their
 * output rows' windows within one image, else every row of the images they touch. */
static void input_rows(const q8_packed *p, const inc_q8_view *in, int64_t oh, int64_t ow,
                       int64_t m0, int64_t m1, int64_t *r0, int64_t *r1) {
    int64_t n0 = m0 / (oh * ow), n1 = (m1 - 1) / (oh * ow);
    if (n0 != n1) {
        *r0 = n0 * in->h, *r1 = (n1 + 1) * in->h;
        return;
    }
    int64_t oy0 = (m0 / ow) % oh, oy1 = ((m1 - 1) / ow) % oh;
    int64_t y0 = oy0 * p->d.stride_h - p->d.pad_h, y1 = oy1 * p->d.stride_h - p->d.pad_h + p->d.kernel_h;
    if (y0 < 0) y0 = 0;
    if (y1 > in->h) y1 = in->h;
    *r0 = n0 * in->h + y0, *r1 = n0 * in->h + (y1 > y0 ? y1 : y0);
}

static void simd_run(const q8_packed *p, const inc_q8_view *in, void *out, size_t esize,
                     int64_t ostride, int64_t oh, int64_t ow, int mode, int32_t part,
                     int32_t parts, void *scratch) {
    const inception_conv_desc *d = &p->d;
    const inc_q8_kernels *k = p->k;
    int64_t M = in->n * oh * ow, m0, m1;
    int32_t b0, b1;
    split(p, M, part, parts, &m0, &m1, &b0, &b1);
    const uint8_t **ptrs = scratch; /* [CHUNK_TILES][ntaps][mr] */
    const int64_t mr = k->mr, chunk = mr * CHUNK_TILES, taps = p->ntaps;
    const uint8_t *src_data = in->data;
    int64_t src_stride = in->pixel_stride; /* bytes between pixels of what the rows read */
    if (p->wide && m0 < m1) {
        /* int16 copies of the input rows this part reads, after the pointer area */
        int16_t *wbuf = (int16_t *)(void *)((char *)scratch + ptr_bytes(p));
        int64_t r0, r1;
        input_rows(p, in, oh, ow, m0, m1, &r0, &r1);
        for (int64_t r = r0; r < r1; r++) /* r: a row of n * h rows */
            for (int64_t x = 0; x < in->w; x++) {
                const uint8_t *sp = in->data + (r * in->w + x) * in->pixel_stride;
                int16_t *dp = wbuf + (r * in->w + x) * in->c;
                for (int64_t c = 0; c < in->c; c++) dp[c] = sp[c];
            }
        src_data = (const uint8_t *)wbuf;
        src_stride = 2 * in->c;
    }
    for (int64_t mc = m0; mc < m1; mc += chunk) {
        int64_t me = mc + chunk < m1 ? mc + chunk : m1;
        /* Row pointers for every tile of the chunk, [tap][row] per tile (rows = its height). */
        for (int64_t mt = mc; mt < me; mt += mr) {
            int64_t rows = me - mt < mr ? me - mt : mr;
            const uint8_t **tp = ptrs + (mt - mc) * taps;
            for (int64_t r = 0; r < rows; r++) {
                int64_t px = mt + r, ox = px % ow, oy = (px / ow) % oh, n = px / (ow * oh);
                for (int64_t ky = 0; ky < d->kernel_h; ky++) {
                    int64_t iy = oy * d->stride_h - d->pad_h + ky;
                    for (int64_t kx = 0; kx < d->kernel_w; kx++) {
                        int64_t ix = ox * d->stride_w - d->pad_w + kx;
                        const uint8_t *src = p->zeros;
                        if (iy >= 0 && iy < in->h && ix >= 0 && ix < in->w)
                            src = src_data + ((n * in->h + iy) * in->w + ix) * src_stride;
                        tp[(ky * d->kernel_w + kx) * rows + r] = src;
                    }
                }
            }
        }
        for (int32_t b = b0; b < b1; b++) {
            int64_t c0 = (int64_t)b * p->nb;
            size_t ncols = (size_t)(d->out_channels - c0 < p->nb ? d->out_channels - c0 : p->nb);
            const int8_t *w = p->w + (size_t)b * p->block_bytes;
            for (int64_t mt = mc; mt < me; mt += mr) {
                int64_t rows = me - mt < mr ? me - mt : mr;
                char *c = (char *)out + (size_t)(mt * ostride + c0) * esize;
                k->gemm[rows]((size_t)taps, (size_t)p->nfull, (size_t)p->tail,
                              ptrs + (mt - mc) * taps, w, p->bias + c0, p->m + c0, c,
                              (size_t)ostride, ncols, mode);
            }
        }
    }
}
#endif

size_t inc_q8_conv_scratch(const void *packed, const inc_q8_view *in, int32_t parts) {
#ifdef INC_HAVE_SIMD
    const q8_packed *p = packed;
    if (p && p->k) {
        size_t b = ptr_bytes(p);
        if (p->wide) b += (size_t)(in->n * in->h * in->w * in->c) * sizeof(int16_t);
        return b;
    }
#endif
    return 0;
}

static void out_size(const q8_packed *p, const inc_q8_view *in, int64_t *oh, int64_t *ow) {
    *oh = (in->h + 2 * p->d.pad_h - p->d.kernel_h) / p->d.stride_h + 1;
    *ow = (in->w + 2 * p->d.pad_w - p->d.kernel_w) / p->d.stride_w + 1;
}

/* Pixels of the output are n-major and dense in h, w (pixel_stride apart), so pixel index
 * px lands at data + px * pixel_stride for every output view the graph makes. */
void inc_q8_conv_run(const void *packed, const inc_q8_view *in, const inc_q8_view *out,
                     int32_t part, int32_t parts, void *scratch) {
    const q8_packed *p = packed;
    int64_t oh, ow;
    out_size(p, in, &oh, &ow);
#ifdef INC_HAVE_SIMD
    if (p->k) {
        simd_run(p, in, out->data, 1, out->pixel_stride, oh, ow, INC_Q8_STORE_U8, part, parts,
                 scratch);
        return;
    }
#endif
    ref_run(p, in, out->data, NULL, out->pixel_stride, oh, ow, part, parts);
}

void inc_q8_conv_run_f32(const void *packed, const inc_q8_view *in, const inception_view *out,
                         int32_t part, int32_t parts, void *scratch) {
    const q8_packed *p = packed;
    int64_t oh, ow;
    out_size(p, in, &oh, &ow);
#ifdef INC_HAVE_SIMD
    if (p->k) {
        simd_run(p, in, out->data, sizeof(float), out->pixel_stride, oh, ow,
                 p->d.relu ? INC_Q8_STORE_F32_RELU : INC_Q8_STORE_F32, part, parts, scratch);
        return;
    }
#endif
    ref_run(p, in, NULL, out->data, out->pixel_stride, oh, ow, part, parts);
}

/* ---- pools and the float <-> uint8 boundaries (plain C, identical on every level) ---- */

/* nearbyintf for 0 <= v < 2^23: adding 2^23 leaves no fraction bits, so the sum is rounded
 * to an integer in the current rounding mode, as nearbyintf would. Written this way the
 * channel loops below vectorise (nearbyintf does not without SSE4.1). */
static inline float round_small(float v) {
    const float two23 = 8388608.0f;
    return (v + two23) - two23;
}

#define POOL_CHUNK 256

/* Channels innermost, in chunks on the stack (kernels do not allocate), so every loop over
 * the window is a contiguous run of bytes that the compiler vectorises. */
static void pool(const inception_pool_desc *d, const inc_q8_view *in, const inc_q8_view *out,
                 int32_t part, int32_t parts, int is_max) {
    int64_t b, e;
    part_range(out->n * out->h * out->w, part, parts, &b, &e);
    for (int64_t m = b; m < e; m++) {
        int64_t ox = m % out->w, oy = (m / out->w) % out->h, n = m / (out->w * out->h);
        int64_t y0 = oy * d->stride_h - d->pad_h, x0 = ox * d->stride_w - d->pad_w;
        int64_t y1 = y0 + d->kernel_h, x1 = x0 + d->kernel_w;
        /* PyTorch's divisor, as the float pools: the window clipped to the padded input. */
        int64_t py1 = y1 < in->h + d->pad_h ? y1 : in->h + d->pad_h;
        int64_t px1 = x1 < in->w + d->pad_w ? x1 : in->w + d->pad_w;
        int64_t ya = y0 < 0 ? 0 : y0, xa = x0 < 0 ? 0 : x0;
        int64_t yb = y1 < in->h ? y1 : in->h, xb = x1 < in->w ? x1 : in->w;
        int64_t count = d->count_include_pad ? (py1 - y0) * (px1 - x0) : (yb - ya) * (xb - xa);
        const uint8_t *base = in->data + n * in->h * in->w * in->pixel_stride;
        uint8_t *o = out->data + m * out->pixel_stride;
        for (int64_t c0 = 0; c0 < out->c; c0 += POOL_CHUNK) {
            int64_t nc = out->c - c0 < POOL_CHUNK ? out->c - c0 : POOL_CHUNK;
            if (is_max) {
                uint8_t mx[POOL_CHUNK];
                memset(mx, 0, sizeof mx);
                for (int64_t y = ya; y < yb; y++)
                    for (int64_t x = xa; x < xb; x++) {
                        const uint8_t *v = base + (y * in->w + x) * in->pixel_stride + c0;
                        for (int64_t c = 0; c < nc; c++) mx[c] = v[c] > mx[c] ? v[c] : mx[c];
                    }
                memcpy(o + c0, mx, (size_t)nc);
                continue;
            }
            if (count <= 0) {
                memset(o + c0, 0, (size_t)nc);
                continue;
            }
            uint32_t acc[POOL_CHUNK];
            memset(acc, 0, sizeof acc);
            for (int64_t y = ya; y < yb; y++)
                for (int64_t x = xa; x < xb; x++) {
                    const uint8_t *v = base + (y * in->w + x) * in->pixel_stride + c0;
                    for (int64_t c = 0; c < nc; c++) acc[c] += v[c];
                }
            float fc = (float)count;
            for (int64_t c = 0; c < nc; c++) {
                float q = round_small((float)acc[c] / fc); /* <= 255 * count / count */
                o[c0 + c] = (uint8_t)(q > 255.0f ? 255.0f : q);
            }
        }
    }
}

void inc_q8_max_pool(const inception_pool_desc *d, const inc_q8_view *in, const inc_q8_view *out,
                     int32_t part, int32_t parts) {
    pool(d, in, out, part, parts, 1);
}

void inc_q8_avg_pool(const inception_pool_desc *d, const inc_q8_view *in, const inc_q8_view *out,
                     int32_t part, int32_t parts) {
    pool(d, in, out, part, parts, 0);
}

void inc_q8_quantize(const inception_view *in, float inv_scale, const inc_q8_view *out,
                     int32_t part, int32_t parts) {
    int64_t b, e;
    part_range(in->n * in->h * in->w, part, parts, &b, &e);
    for (int64_t px = b; px < e; px++) {
        const float *x = in->data + px * in->pixel_stride;
        uint8_t *o = out->data + px * out->pixel_stride;
        int64_t c = 0;
#if defined(__SSE2__)
        /* cvtps2dq rounds in the current mode, as round_small; max_ps(v, 0) turns NaN into 0 */
        const __m128 k = _mm_set1_ps(inv_scale), lo = _mm_setzero_ps(), hi = _mm_set1_ps(255.0f);
        for (; c + 16 <= in->c; c += 16) {
            __m128i q[4];
            for (int j = 0; j < 4; j++) {
                __m128 v = _mm_mul_ps(_mm_loadu_ps(x + c + 4 * j), k);
                q[j] = _mm_cvtps_epi32(_mm_min_ps(_mm_max_ps(v, lo), hi));
            }
            __m128i w = _mm_packus_epi16(_mm_packs_epi32(q[0], q[1]), _mm_packs_epi32(q[2], q[3]));
            _mm_storeu_si128((__m128i *)(o + c), w);
        }
#endif
        for (; c < in->c; c++) {
            float v = x[c] * inv_scale;
            v = v > 0.0f ? v : 0.0f; /* NaN and negatives: 0 */
            v = v < 255.0f ? v : 255.0f;
            o[c] = (uint8_t)round_small(v);
        }
    }
}

void inc_q8_dequantize(const inc_q8_view *in, float scale, const inception_view *out,
                       int32_t part, int32_t parts) {
    int64_t b, e;
    part_range(in->n * in->h * in->w, part, parts, &b, &e);
    for (int64_t px = b; px < e; px++) {
        const uint8_t *x = in->data + px * in->pixel_stride;
        float *o = out->data + px * out->pixel_stride;
        for (int64_t c = 0; c < in->c; c++) o[c] = (float)x[c] * scale;
    }
}

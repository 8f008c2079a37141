/* lib/backends/simd: may include backends/builtin.h, its own headers, lib/common and
 * include/. */
/* The "simd" backends: weight packing, work splitting and dispatch to the ISA kernels.
 * Compiled with the library's plain flags; only kernels_<isa>.c use vector instructions,
 * and they are reached only after cpu.c found the level usable. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backward.h"
#include "backends/builtin.h"
#include "backends/simd/cpu.h"
#include "backends/simd/kernels.h"
#include "common/common.h"

/* A backend's `user` says which level it runs: a fixed one, or "the best allowed". */
typedef struct simd_user {
    int level; /* INC_SIMD_AVX2, INC_SIMD_AVX512, or 0 for inc_simd_auto_level() */
} simd_user;

static const simd_user user_auto = {0}, user_avx2 = {INC_SIMD_AVX2},
                       user_avx512 = {INC_SIMD_AVX512};

static int user_level(const void *user) {
    int want = ((const simd_user *)user)->level;
    if (want == 0) return inc_simd_auto_level();
    return inc_simd_cpu_level() >= want ? want : INC_SIMD_NONE;
}

static const inc_simd_kernels *level_kernels(int level) {
    switch (level) {
    case INC_SIMD_AVX512: return &inc_simd_kernels_avx512;
    case INC_SIMD_AVX2: return &inc_simd_kernels_avx2;
    default: return NULL;
    }
}

typedef struct packed_conv {
    const inc_simd_kernels *k;
    inception_conv_desc d;
    int32_t ntaps;   /* kernel_h * kernel_w */
    int32_t nb;      /* channels in a full output block (nv_main * vw) */
    int32_t nblocks; /* ceil(out_channels / nb); the last one may be narrower */
    int32_t mr_max;  /* largest tile height over the block widths used */
    float *w;        /* block b at b * nb * ntaps * cin: [tap][cin][block width] */
    float *bias;     /* [nblocks * nb], zero-padded */
    float *zeros;    /* [max(kw * cin, cpad) rounded up to 16] zeros: what every padding
                        tap reads; also the Winograd GEMMs' bias */
    int32_t wino;    /* WINO_*: w holds positions() transformed 1x1 weight sets */
    int32_t wino_tc; /* Winograd tiles per chunk (a multiple of every tile height) */
    void *mem;       /* the aligned allocation holding w, bias and zeros */
} packed_conv;

static int32_t block_width(const packed_conv *p, int32_t b) {
    int32_t rem = p->d.out_channels - b * p->nb;
    if (rem >= p->nb) return p->nb;
    int32_t vw = p->k->vw;
    return (rem + vw - 1) / vw * vw;
}

enum { WINO_NONE = 0, WINO_2D = 1, WINO_ROW = 2, WINO_COL = 3, WINO_2D2 = 4, WINO_ROW3 = 5,
       WINO_COL3 = 6 };

/* Transformed positions: 36 for F(4x4, 3x3), 16 for F(2x2, 3x3), 8 for F(2, 7), 4 for
 * F(2, 3). */
static size_t positions(const packed_conv *p) {
    switch (p->wino) {
    case WINO_2D: return 36;
    case WINO_2D2: return 16;
    case WINO_ROW3: case WINO_COL3: return 4;
    default: return 8;
    }
}

/* Winograd for every 3x3 stride-1 conv: the ones with few channels are on big maps (the
 * stem, the 35x35 blocks); the wide ones (the 8x8 blocks' 448->384) get F(2x2) only, since
 * F(4x4) would read 4x the weights for 4 tiles per image. F(4x4, 3x3) does 36 multiplies
 * per 16 outputs, F(2x2, 3x3) 64, direct 144. */
static int winograd_shape(const inception_conv_desc *d) {
    return d->kernel_h == 3 && d->kernel_w == 3 && d->stride_h == 1 && d->stride_w == 1 &&
           d->pad_h <= 2 && d->pad_w <= 2;
}

/* F(2, 7) along one axis does 8 multiplies per 2 outputs instead of 14: for the 1x7 and
 * 7x1 convolutions of the 17x17 blocks (a quarter of the network's work). The output tile
 * is 2 pixels, so the odd 17-wide rows waste 1 in 18 products. */
static int use_winograd7(const inception_conv_desc *d) {
    if (d->stride_h != 1 || d->stride_w != 1) return WINO_NONE;
    if (d->kernel_h == 1 && d->kernel_w == 7 && d->pad_h == 0 && d->pad_w == 3) return WINO_ROW;
    if (d->kernel_h == 7 && d->kernel_w == 1 && d->pad_h == 3 && d->pad_w == 0) return WINO_COL;
    return WINO_NONE;
}

/* F(2, 3) along one axis: 4 multiplies per 2 outputs instead of 6, for the 1x3 and 3x1
 * convolutions of the 8x8 blocks; its transforms only add, so the error stays near direct.
 * INCEPTION_SIMD_WINO13 (internal, for measuring; read at every pack) = "direct" keeps them
 * direct, "f2" (or unset) uses F(2, 3); returns -1 for any other value. */
static int use_winograd13(const inception_conv_desc *d) {
    const char *v = getenv("INCEPTION_SIMD_WINO13");
    if (v && strcmp(v, "f2") && strcmp(v, "direct")) return -1;
    if ((v && !strcmp(v, "direct")) || d->stride_h != 1 || d->stride_w != 1) return WINO_NONE;
    if (d->kernel_h == 1 && d->kernel_w == 3 && d->pad_h == 0 && d->pad_w <= 2) return WINO_ROW3;
    if (d->kernel_h == 3 && d->kernel_w == 1 && d->pad_w == 0 && d->pad_h <= 2) return WINO_COL3;
    return WINO_NONE;
}

/* INCEPTION_SIMD_WINO3 (internal, for measuring; read at every pack): "f4", "f2" or "direct"
 * forces that path on every 3x3 stride-1 conv of the Winograd shapes; unset, the default
 * policy below. Returns WINO3_DEFAULT when unset, WINO3_BAD for any other value. */
enum { WINO3_DEFAULT = -1, WINO3_BAD = -2, WINO3_MIXED = -3 };
static int wino3_forced(void) {
    const char *v = getenv("INCEPTION_SIMD_WINO3");
    if (!v) return WINO3_DEFAULT;
    if (!strcmp(v, "f4")) return WINO_2D;
    if (!strcmp(v, "f2")) return WINO_2D2;
    if (!strcmp(v, "direct")) return WINO_NONE;
    if (!strcmp(v, "mixed")) return WINO3_MIXED;
    return WINO3_BAD;
}

/* Default: F(2x2) where cin <= 32 (the stem's Conv2d_2a/2b on 147x147) and where
 * cin * cout > 32768 (the 8x8 blocks), F(4x4) in between (the 35x35 blocks). F(4x4)'s transforms amplify rounding (coefficients up to
 * 25 in, 64 out); on models with calibrated BatchNorm the stem's share of that took the
 * network to 1.8e-4 of max|expected|, over the promised 1e-4 (docs/simd.md has the
 * figures). "mixed" is this default, for comparing. */
static int use_winograd(const inception_conv_desc *d, int forced) {
    if (!winograd_shape(d)) return WINO_NONE;
    if (forced != WINO3_DEFAULT && forced != WINO3_MIXED) return forced;
    if (d->in_channels <= 32 || (int64_t)d->in_channels * d->out_channels > 32768)
        return WINO_2D2;
    return WINO_2D;
}

/* Where the transformed weights of output o go: position `set`, input c at
 * base[set * *set_stride + c * *bw]; set `set` starts at set * cpad * cin and is laid out in
 * channel blocks like the direct path's weights. Once per output channel (the packs below
 * are redone after every training step). */
static float *winograd_base(const packed_conv *p, size_t o, size_t *bw, size_t *set_stride) {
    size_t cin = (size_t)p->d.in_channels, cpad = (size_t)p->nblocks * (size_t)p->nb;
    size_t j0 = o / (size_t)p->nb * (size_t)p->nb;
    *bw = (size_t)block_width(p, (int32_t)(o / (size_t)p->nb));
    *set_stride = cpad * cin;
    return p->w + j0 * cin + (o - j0);
}

/* U = (G g) for the 7 taps of every (out, in) pair, with G's rows divided by the factors
 * the kernels' B^T rows were multiplied by; stored like pack_winograd's sets. */
static void pack_winograd7(packed_conv *p, const float *weights, int fresh) {
    static const double pts[7] = {0, 1, -1, 2, -2, 0.5, -0.5};
    static const double bt_scale[8] = {1, 4.5, 4.5, 180, 180, 2.8125, 2.8125, 1};
    size_t cin = (size_t)p->d.in_channels, cout = (size_t)p->d.out_channels;
    size_t cpad = (size_t)p->nblocks * (size_t)p->nb;
    if (fresh) memset(p->w, 0, 8 * cpad * cin * sizeof(float)); /* the padding; a repack keeps it */
    for (size_t o = 0; o < cout; o++) {
        size_t bw, ss;
        float *wo = winograd_base(p, o, &bw, &ss);
        for (size_t c = 0; c < cin; c++) {
            double g[7]; /* [kh][kw][cin] with one of kh, kw equal to 1: tap k at k * cin */
            for (int k = 0; k < 7; k++) g[k] = weights[(o * 7 + (size_t)k) * cin + c];
            for (int j = 0; j < 8; j++) {
                double u = 0, pw = 1;
                if (j == 7) {
                    u = g[6]; /* the point at infinity takes the leading coefficient */
                } else {
                    for (int k = 0; k < 7; k++, pw *= pts[j]) u += pw * g[k];
                }
                wo[(size_t)j * ss + c * bw] = (float)(u / bt_scale[j]);
            }
        }
    }
}

/* F(2, 3)'s U = G g for the 3 taps of every (out, in) pair, stored like pack_winograd's. */
static void pack_winograd13(packed_conv *p, const float *weights, int fresh) {
    static const double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    size_t cin = (size_t)p->d.in_channels, cout = (size_t)p->d.out_channels;
    size_t cpad = (size_t)p->nblocks * (size_t)p->nb;
    if (fresh) memset(p->w, 0, 4 * cpad * cin * sizeof(float)); /* the padding; a repack keeps it */
    for (size_t o = 0; o < cout; o++) {
        size_t bw, ss;
        float *wo = winograd_base(p, o, &bw, &ss);
        for (size_t c = 0; c < cin; c++) {
            double g[3]; /* [kh][kw][cin] with one of kh, kw equal to 1: tap k at k * cin */
            for (int k = 0; k < 3; k++) g[k] = weights[(o * 3 + (size_t)k) * cin + c];
            for (int j = 0; j < 4; j++)
                wo[(size_t)j * ss + c * bw] =
                    (float)(G[j][0] * g[0] + G[j][1] * g[1] + G[j][2] * g[2]);
        }
    }
}

/* F(2x2, 3x3)'s U = G g G^T, in double, stored as 16 sets like pack_winograd's. */
static void pack_winograd2(packed_conv *p, const float *weights, int fresh) {
    static const double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    size_t cin = (size_t)p->d.in_channels, cout = (size_t)p->d.out_channels;
    size_t cpad = (size_t)p->nblocks * (size_t)p->nb;
    if (fresh) memset(p->w, 0, 16 * cpad * cin * sizeof(float)); /* the padding; a repack keeps it */
    for (size_t o = 0; o < cout; o++) {
        size_t bw, ss;
        float *wo = winograd_base(p, o, &bw, &ss);
        for (size_t c = 0; c < cin; c++) {
            double g[3][3], t[4][3];
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++) g[y][x] = weights[((o * 3 + y) * 3 + x) * cin + c];
            for (int i = 0; i < 4; i++)
                for (int x = 0; x < 3; x++)
                    t[i][x] = G[i][0] * g[0][x] + G[i][1] * g[1][x] + G[i][2] * g[2][x];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) {
                    double u = t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2];
                    wo[(size_t)(i * 4 + j) * ss + c * bw] = (float)u;
                }
        }
    }
}

/* U = G g G^T for every (out, in) pair, in double, stored as 36 sets of 1x1 GEMM weights:
 * set xi at xi * cpad * cin, each laid out in channel blocks like the direct path. */
static void pack_winograd(packed_conv *p, const float *weights, int fresh) {
    static const double G[6][3] = {{0.25, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                   {-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                   {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
    size_t cin = (size_t)p->d.in_channels, cout = (size_t)p->d.out_channels;
    size_t cpad = (size_t)p->nblocks * (size_t)p->nb;
    if (fresh) memset(p->w, 0, 36 * cpad * cin * sizeof(float)); /* the padding; a repack keeps it */
    for (size_t o = 0; o < cout; o++) {
        size_t bw, ss;
        float *wo = winograd_base(p, o, &bw, &ss);
        for (size_t c = 0; c < cin; c++) {
            double g[3][3], t[6][3];
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++) g[y][x] = weights[((o * 3 + y) * 3 + x) * cin + c];
            for (int i = 0; i < 6; i++)
                for (int x = 0; x < 3; x++)
                    t[i][x] = G[i][0] * g[0][x] + G[i][1] * g[1][x] + G[i][2] * g[2][x];
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++) {
                    double u = t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2];
                    wo[(size_t)(i * 6 + j) * ss + c * bw] = (float)u;
                }
        }
    }
}

/* The weights (and bias) into p's layout, chosen by simd_conv_pack. */
static void fill_packed(packed_conv *p, const float *weights, const float *bias, int fresh) {
    const inception_conv_desc *d = &p->d;
    size_t cin = (size_t)d->in_channels, ntaps = p->wino ? positions(p) : (size_t)p->ntaps;
    memcpy(p->bias, bias, (size_t)d->out_channels * sizeof(float));
    if (p->wino) {
        if (p->wino == WINO_2D)
            pack_winograd(p, weights, fresh);
        else if (p->wino == WINO_2D2)
            pack_winograd2(p, weights, fresh);
        else if (p->wino == WINO_ROW3 || p->wino == WINO_COL3)
            pack_winograd13(p, weights, fresh);
        else
            pack_winograd7(p, weights, fresh);
        return;
    }
    for (int32_t b = 0; b < p->nblocks; b++) {
        size_t j0 = (size_t)b * (size_t)p->nb, bw = (size_t)block_width(p, b);
        float *dst = p->w + j0 * ntaps * cin;
        /* In tiles of 16 x 16: per tile a cache line of each of 16 channels' rows is read
         * and 16 rows of the block are written, both in L1 (a channel at a time wrote
         * bw floats apart over the whole block, one line per element; reading across
         * channels per element strides by a whole filter). */
        const size_t k = ntaps * cin;
        for (size_t jt = 0; jt < bw; jt += 16) {
            size_t je = jt + 16 < bw ? jt + 16 : bw;
            for (size_t it = 0; it < k; it += 16) {
                size_t ie = it + 16 < k ? it + 16 : k;
                for (size_t j = jt; j < je; j++) {
                    size_t o = j0 + j;
                    const float *src = weights + o * k;
                    if (o < (size_t)d->out_channels)
                        for (size_t i = it; i < ie; i++) dst[i * bw + j] = src[i];
                    else
                        for (size_t i = it; i < ie; i++) dst[i * bw + j] = 0.0f;
                }
            }
        }
    }
}

static inception_status simd_conv_pack(void *user, const inception_conv_desc *d,
                                       const float *weights, const float *bias, void **packed) {
    const char *bad = inc_simd_env_invalid();
    if (bad)
        return inc_error(INCEPTION_ERR_BACKEND,
                         "INCEPTION_SIMD_LEVEL='%s' is not a SIMD level: use avx2 or avx512 (or "
                         "unset it)", bad);
    int forced = wino3_forced();
    if (forced == WINO3_BAD)
        return inc_error(INCEPTION_ERR_BACKEND,
                         "INCEPTION_SIMD_WINO3='%s': use f4, f2, mixed or direct (or unset it)",
                         getenv("INCEPTION_SIMD_WINO3"));
    int w13 = d ? use_winograd13(d) : WINO_NONE;
    if (w13 < 0)
        return inc_error(INCEPTION_ERR_BACKEND,
                         "INCEPTION_SIMD_WINO13='%s': use f2 or direct (or unset it)",
                         getenv("INCEPTION_SIMD_WINO13"));
    const inc_simd_kernels *k = level_kernels(user_level(user));
    if (!k) return inc_error(INCEPTION_ERR_BACKEND, "simd backend: this CPU lacks its ISA level");
    if (!d || !weights || !bias || !packed || d->in_channels < 1 || d->out_channels < 1 ||
        d->kernel_h < 1 || d->kernel_w < 1 || d->stride_h < 1 || d->stride_w < 1 ||
        d->pad_h < 0 || d->pad_w < 0)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "simd conv_pack: bad descriptor");
    packed_conv *p = inc_calloc(1, sizeof *p);
    if (!p) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "simd conv_pack: descriptor");
    p->k = k;
    p->d = *d;
    p->ntaps = d->kernel_h * d->kernel_w;
    p->nb = k->nv_main * k->vw;
    p->nblocks = (d->out_channels + p->nb - 1) / p->nb;
    p->mr_max = 0;
    for (int nv = 1; nv <= k->nv_main; nv++)
        if (k->mr[nv] > p->mr_max) p->mr_max = k->mr[nv];

    p->wino = winograd_shape(d) ? use_winograd(d, forced) : use_winograd7(d);
    if (!p->wino) p->wino = w13;
    size_t cin = (size_t)d->in_channels, ntaps = p->wino ? positions(p) : (size_t)p->ntaps;
    size_t cpad = (size_t)p->nblocks * (size_t)p->nb, nw, nwb, total;
    size_t zrow = cin * (size_t)d->kernel_w; /* a merged tap's zero row (simd_conv_run) */
    size_t zpad = ((zrow > cpad ? zrow : cpad) + 15) / 16 * 16;
    if (p->wino) {
        /* V and M of a chunk (positions x tiles x (cin + cout) floats) within ~512 KiB */
        int64_t mr = p->mr_max;
        int64_t per_tile = (int64_t)positions(p) * ((int64_t)(cin + 15) / 16 * 16 + (int64_t)cpad) * 4;
        int64_t tc = 512 * 1024 / per_tile / mr * mr;
        if (tc < 2 * mr) tc = 2 * mr;
        if (tc > 16 * mr) tc = 16 * mr;
        p->wino_tc = (int32_t)tc;
    }
    if (!inc_mul_size(cpad, ntaps, &nw) || !inc_mul_size(nw, cin, &nw) ||
        !inc_add_size(nw, cpad, &nwb) || !inc_add_size(nwb, zpad, &total) ||
        !inc_mul_size(total, sizeof(float), &total)) {
        inc_free(p);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "simd conv_pack: weights too large");
    }
    p->mem = inc_malloc_aligned(total);
    if (!p->mem) {
        inc_free(p);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "simd conv_pack: %zu bytes of weights",
                         total);
    }
    p->w = p->mem;
    p->bias = p->w + nw;
    p->zeros = p->bias + cpad;
    memset(p->bias, 0, (cpad + zpad) * sizeof(float));
    fill_packed(p, weights, bias, 1);
    *packed = p;
    return INCEPTION_OK;
}

/* Training: new weights into the same layout (the Winograd choice made at pack time). */
static inception_status simd_conv_repack(void *user, const inception_conv_desc *d,
                                         const float *weights, const float *bias, void *packed) {
    (void)user;
    packed_conv *p = packed;
    if (!d || !weights || !bias || !p || memcmp(d, &p->d, sizeof *d) != 0)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "simd conv_repack: not the descriptor it was packed for");
    fill_packed(p, weights, bias, 0);
    return INCEPTION_OK;
}

static void simd_conv_release(void *user, void *packed) {
    packed_conv *p = packed;
    if (!p) return;
    inc_free_aligned(p->mem);
    inc_free(p);
}

static size_t wino_cstride(const packed_conv *p) {
    size_t vw = (size_t)p->k->vw;
    return ((size_t)p->d.in_channels + vw - 1) / vw * vw;
}

/* Floats of a Winograd chunk's V [positions][tc][cin'] and M [positions][tc][cpad]. */
static size_t wino_floats(const packed_conv *p) {
    size_t cpad = (size_t)p->nblocks * (size_t)p->nb;
    return positions(p) * (size_t)p->wino_tc * (wino_cstride(p) + cpad);
}

/* Largest number of tiles in a chunk (see chunk_pixels). */
#define CHUNK_TILES_MAX 64

/* The direct path keeps the row pointers of a whole chunk's tiles of the main height, built
 * once and reused by every channel block. */
static size_t chunk_table_bytes(const packed_conv *p) {
    return (size_t)CHUNK_TILES_MAX * (size_t)p->ntaps * (size_t)p->k->mr[p->k->nv_main] *
           sizeof(const float *);
}

static size_t simd_conv_scratch(void *user, const inception_conv_desc *d, const void *packed,
                                const inception_view *in, const inception_view *out,
                                int32_t parts) {
    const packed_conv *p = packed;
    size_t ptrs = (size_t)p->ntaps * (size_t)p->mr_max * sizeof(const float *);
    if (!p->wino) return ptrs + chunk_table_bytes(p);
    return (ptrs + 63) / 64 * 64 + wino_floats(p) * sizeof(float);
}

/* The part's share: a range of output pixels (tile-aligned) and a range of channel blocks.
 * Small grids (17x17 and 8x8 maps at batch 1, the fc layers) are split by channel blocks
 * when there are enough of them: each part then reads only its share of the weights, which
 * come from memory on every run, and keeps whole tiles (measured at 2 threads, batch 1:
 * about 5% faster end to end than splitting the 17x17 layers by pixels); bigger grids are
 * split by pixels. */
#define SPLIT_BLOCKS_MAX_PIXELS 320
static void split(const packed_conv *p, int64_t M, int32_t part, int32_t parts, int64_t *m0,
                  int64_t *m1, int32_t *b0, int32_t *b1) {
    int64_t mr = p->k->mr[p->k->nv_main];
    *m0 = 0, *m1 = M, *b0 = 0, *b1 = p->nblocks;
    if (parts <= 1) return;
    int by_blocks = p->nblocks >= 2 * parts ? M <= SPLIT_BLOCKS_MAX_PIXELS
                                            : M < (int64_t)parts * mr * 2;
    if (!by_blocks || p->nblocks < parts) {
        int64_t tiles = (M + mr - 1) / mr;
        int64_t t0 = tiles * part / parts, t1 = tiles * (part + 1) / parts;
        *m0 = t0 * mr < M ? t0 * mr : M;
        *m1 = t1 * mr < M ? t1 * mr : M;
    } else {
        *b0 = (int32_t)((int64_t)p->nblocks * part / parts);
        *b1 = (int32_t)((int64_t)p->nblocks * (part + 1) / parts);
    }
}

/* Row pointers a[t * rows + r] for output pixels m..m+rows-1: the input pixel each tap
 * reads, or the zero row where the tap falls in the padding. With `merged`, the kw taps of a
 * kernel row are one tap reading kw * cin contiguous floats (see simd_conv_run). */
static void tile_rows(const packed_conv *p, const inception_view *in, const inception_view *out,
                      int64_t m, int rows, int merged, const float **a) {
    const inception_conv_desc *d = &p->d;
    int32_t kw = merged ? 1 : d->kernel_w;
    /* divisions once per tile: they cost as much as the FMAs of a 3-channel conv's tile */
    int64_t ox = m % out->w, oy = (m / out->w) % out->h, n = m / (out->w * out->h);
    for (int r = 0; r < rows; r++) {
        if (r > 0 && ++ox == out->w) {
            ox = 0;
            if (++oy == out->h) oy = 0, n++;
        }
        int64_t iy0 = oy * d->stride_h - d->pad_h, ix0 = ox * d->stride_w - d->pad_w;
        const float *img = in->data + n * in->h * in->w * in->pixel_stride;
        int t = 0;
        for (int32_t ky = 0; ky < d->kernel_h; ky++) {
            int64_t iy = iy0 + ky;
            for (int32_t kx = 0; kx < kw; kx++, t++) {
                int64_t ix = ix0 + kx;
                a[t * rows + r] = (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w)
                                      ? p->zeros
                                      : img + (iy * in->w + ix) * in->pixel_stride;
            }
        }
    }
}

/* Output pixels per chunk: the chunk's input window (about 192 KiB) stays in L2 while every
 * channel block sweeps it; all the weights are re-read once per chunk, so a chunk has at
 * least 8 tiles even when its window is larger. */
static int64_t chunk_pixels(const packed_conv *p, const inception_view *in,
                            const inception_view *out, int64_t mr) {
    const inception_conv_desc *d = &p->d;
    int64_t row_bytes = in->w * in->pixel_stride * (int64_t)sizeof(float);
    int64_t tap_bytes = (int64_t)p->ntaps * d->in_channels * (int64_t)sizeof(float);
    int64_t budget = 192 * 1024, chunk = 8 * mr;
    for (;;) {
        int64_t next = chunk * 2;
        int64_t out_rows = (next + out->w - 1) / out->w + 1;
        int64_t window = ((out_rows - 1) * d->stride_h + d->kernel_h) * row_bytes;
        if (window > next * tap_bytes) window = next * tap_bytes;
        if (window > budget || next > CHUNK_TILES_MAX * mr) break;
        chunk = next;
    }
    return chunk;
}

/* Winograd: the part's tiles in chunks; per chunk transform the input, run one GEMM per
 * transformed position, transform back with bias and ReLU. */
static void wino_run(const packed_conv *p, const inception_view *in, const inception_view *out,
                     int32_t part, int32_t parts, void *scratch) {
    const inc_simd_kernels *k = p->k;
    const float **a = scratch;
    size_t ptr_bytes = ((size_t)p->mr_max * sizeof(const float *) + 63) / 64 * 64;
    size_t tc = (size_t)p->wino_tc, cs = wino_cstride(p);
    size_t cpad = (size_t)p->nblocks * (size_t)p->nb, cin = (size_t)p->d.in_channels;
    const size_t np = positions(p);
    float *V = (float *)((char *)scratch + ptr_bytes), *Mb = V + np * tc * cs;
    /* output tiles: 4x4, 2x2, or 2 along the transformed axis */
    int64_t tile = p->wino == WINO_2D ? 4 : 2;
    int row = p->wino == WINO_ROW || p->wino == WINO_ROW3;
    int axis = p->wino == WINO_COL || p->wino == WINO_COL3;
    int64_t th = row ? out->h : (out->h + tile - 1) / tile;
    int64_t tw = axis ? out->w : (out->w + tile - 1) / tile, T = out->n * th * tw;
    /* Small grids (17x17 and 8x8 at batch 1) go by channel blocks like the direct path: each
     * part transforms every tile's input (a few % of the GEMMs' work) but reads only its
     * share of the transformed weights, which come from memory on every run. */
    int64_t t0 = T * part / parts, t1 = T * (part + 1) / parts;
    int32_t b0 = 0, b1 = p->nblocks;
    if (parts > 1 && out->n * out->h * out->w <= SPLIT_BLOCKS_MAX_PIXELS &&
        p->nblocks >= 2 * parts) {
        t0 = 0, t1 = T;
        b0 = (int32_t)((int64_t)p->nblocks * part / parts);
        b1 = (int32_t)((int64_t)p->nblocks * (part + 1) / parts);
    }
    /* the output transform's share: channels [j0, j1), as a view of just those */
    size_t j0 = (size_t)b0 * (size_t)p->nb, j1 = (size_t)b1 * (size_t)p->nb;
    if (j1 > (size_t)out->c) j1 = (size_t)out->c;
    inception_view oview = *out;
    oview.data += j0;
    oview.c = (int64_t)(j1 - j0);
    const float *bias = p->bias + j0;
    for (int64_t c0 = t0; c0 < t1; c0 += (int64_t)tc) {
        int64_t nt = t1 - c0 < (int64_t)tc ? t1 - c0 : (int64_t)tc;
        if (p->wino == WINO_2D)
            k->wino_in(in, th, tw, p->d.pad_h, p->d.pad_w, c0, nt, p->zeros, V, tc * cs, cs);
        else if (p->wino == WINO_2D2)
            k->wino2_in(in, th, tw, p->d.pad_h, p->d.pad_w, c0, nt, p->zeros, V, tc * cs, cs);
        else if (p->wino == WINO_ROW3 || p->wino == WINO_COL3)
            k->wino13_in(in, axis, th, tw, axis ? p->d.pad_h : p->d.pad_w, c0, nt, p->zeros, V,
                         tc * cs, cs);
        else
            k->wino7_in(in, axis, th, tw, axis ? p->d.pad_h : p->d.pad_w, c0, nt, p->zeros, V,
                        tc * cs, cs);
        for (size_t xi = 0; xi < np; xi++) {
            const float *Vx = V + xi * tc * cs;
            float *Mx = Mb + xi * tc * cpad;
            for (int32_t b = b0; b < b1; b++) {
                int32_t bw = block_width(p, b), nv = bw / k->vw, mr = k->mr[nv];
                size_t jb = (size_t)b * (size_t)p->nb;
                const float *w = p->w + xi * cpad * cin + jb * cin;
                for (int64_t m = 0; m < nt; m += mr) {
                    int rows = nt - m < mr ? (int)(nt - m) : mr;
                    for (int r = 0; r < rows; r++) a[r] = Vx + (size_t)(m + r) * cs;
                    k->gemm[nv][rows](1, cin, a, w, p->zeros, Mx + (size_t)m * cpad + jb, cpad,
                                      (size_t)bw, 0);
                }
            }
        }
        const float *Mj = Mb + j0;
        if (p->wino == WINO_2D)
            k->wino_out(Mj, tc * cpad, cpad, bias, &oview, th, tw, c0, nt, p->d.relu);
        else if (p->wino == WINO_2D2)
            k->wino2_out(Mj, tc * cpad, cpad, bias, &oview, th, tw, c0, nt, p->d.relu);
        else if (p->wino == WINO_ROW3 || p->wino == WINO_COL3)
            k->wino13_out(Mj, tc * cpad, cpad, bias, &oview, axis, th, tw, c0, nt, p->d.relu);
        else
            k->wino7_out(Mj, tc * cpad, cpad, bias, &oview, axis, th, tw, c0, nt, p->d.relu);
    }
}

static void simd_conv_run(void *user, const inception_conv_desc *d, const void *packed,
                          const inception_view *in, const inception_view *out, int32_t part,
                          int32_t parts, void *scratch) {
    const packed_conv *p = packed;
    if (p->wino) {
        wino_run(p, in, out, part, parts, scratch);
        return;
    }
    const inc_simd_kernels *k = p->k;
    int64_t M = out->n * out->h * out->w, m0, m1;
    int32_t b0, b1;
    split(p, M, part, parts, &m0, &m1, &b0, &b1);
    size_t cin = (size_t)p->d.in_channels, ntaps = (size_t)p->ntaps;
    size_t ostride = (size_t)out->pixel_stride;
    /* Without horizontal padding on densely packed input, a kernel row's kw taps read kw * cin
     * contiguous floats, in the order the packed weights ([ky][kx][cin]) list them: one
     * longer tap per row instead of kw short ones (the stem's 3-channel conv). The products
     * are summed in the same order either way. */
    int merged = p->d.kernel_w > 1 && p->d.pad_w == 0 && in->pixel_stride == in->c;
    size_t run_taps = merged ? (size_t)p->d.kernel_h : ntaps;
    size_t run_k = merged ? cin * (size_t)p->d.kernel_w : cin;
    /* scratch: the chunk's pointer table for tiles of height mr0, then room for one tile of
     * another height (AVX-512's narrower last block) */
    int mr0 = k->mr[k->nv_main];
    size_t tile_ptrs = run_taps * (size_t)mr0;
    const float **table = scratch;
    const float **a = (const float **)((char *)scratch + chunk_table_bytes(p));
    int64_t chunk = chunk_pixels(p, in, out, mr0);
    for (int64_t c0 = m0; c0 < m1; c0 += chunk) {
        int64_t c1 = c0 + chunk < m1 ? c0 + chunk : m1;
        for (int64_t m = c0, i = 0; m < c1; m += mr0, i++)
            tile_rows(p, in, out, m, c1 - m < mr0 ? (int)(c1 - m) : mr0, merged,
                      table + (size_t)i * tile_ptrs);
        for (int32_t b = b0; b < b1; b++) {
            int32_t bw = block_width(p, b), nv = bw / k->vw, mr = k->mr[nv];
            size_t j0 = (size_t)b * (size_t)p->nb;
            size_t ncols = (size_t)p->d.out_channels - j0;
            if (ncols > (size_t)bw) ncols = (size_t)bw;
            const float *w = p->w + j0 * ntaps * cin;
            /* In the first chunk, pull the next block's weights towards L2 a slice per tile,
             * so the first tile of each block does not wait on memory (a pass reads all the
             * weights once from DRAM); later chunks find them in cache. */
            const char *next = (const char *)(w + (size_t)bw * ntaps * cin);
            size_t next_bytes = b + 1 < b1 && c0 == m0
                                    ? (size_t)block_width(p, b + 1) * ntaps * cin * 4
                                    : 0;
            int64_t tiles = (c1 - c0 + mr - 1) / mr;
            size_t slice = (next_bytes / (size_t)tiles + 63) / 64 * 64, pf = 0;
            for (int64_t m = c0, i = 0; m < c1; m += mr, i++) {
                int rows = c1 - m < mr ? (int)(c1 - m) : mr;
                for (size_t e = pf + slice; pf < e && pf < next_bytes; pf += 64)
                    __builtin_prefetch(next + pf, 0, 2);
                const float *const *rp = table + (size_t)i * tile_ptrs;
                if (mr != mr0) {
                    tile_rows(p, in, out, m, rows, merged, a);
                    rp = a;
                }
                k->gemm[nv][rows](run_taps, run_k, rp, w, p->bias + j0,
                                  out->data + m * ostride + j0, ostride, ncols, p->d.relu);
            }
        }
    }
}

static void pixel_range(const inception_view *out, int32_t part, int32_t parts, int64_t *m0,
                        int64_t *m1) {
    int64_t M = out->n * out->h * out->w;
    *m0 = M * part / parts;
    *m1 = M * (part + 1) / parts;
}

static void simd_max_pool(void *user, const inception_pool_desc *d, const inception_view *in,
                          const inception_view *out, int32_t part, int32_t parts) {
    const inc_simd_kernels *k = level_kernels(user_level(user));
    if (!k) {
        inc_ref_table.max_pool(inc_ref_table.user, d, in, out, part, parts);
        return;
    }
    int64_t m0, m1;
    pixel_range(out, part, parts, &m0, &m1);
    k->max_pool(d, in, out, m0, m1);
}

static void simd_avg_pool(void *user, const inception_pool_desc *d, const inception_view *in,
                          const inception_view *out, int32_t part, int32_t parts) {
    const inc_simd_kernels *k = level_kernels(user_level(user));
    if (!k) {
        inc_ref_table.avg_pool(inc_ref_table.user, d, in, out, part, parts);
        return;
    }
    int64_t m0, m1;
    pixel_range(out, part, parts, &m0, &m1);
    k->avg_pool(d, in, out, m0, m1);
}

static void simd_global_avg_pool(void *user, const inception_view *in, const inception_view *out,
                                 int32_t part, int32_t parts) {
    const inc_simd_kernels *k = level_kernels(user_level(user));
    if (!k) {
        inc_ref_table.global_avg_pool(inc_ref_table.user, in, out, part, parts);
        return;
    }
    /* Images when there are enough of them, else vector-aligned channel ranges. */
    if (in->n >= parts) {
        k->global_avg_pool(in, out, in->n * part / parts, in->n * (part + 1) / parts, 0, in->c);
    } else {
        int64_t vecs = (in->c + k->vw - 1) / k->vw;
        int64_t c0 = vecs * part / parts * k->vw, c1 = vecs * (part + 1) / parts * k->vw;
        if (c1 > in->c) c1 = in->c;
        if (c0 < c1) k->global_avg_pool(in, out, 0, in->n, c0, c1);
    }
}

/* ---- Backward convolution (training) ----
 * Both are GEMMs over the same rows the forward pass reads; neither allocates (scratch
 * holds the packed operands) and each output element is one FMA chain in a fixed order, so
 * results do not depend on the part split (see docs/simd.md, "Backward kernels"). */

static size_t align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

/* -- data gradient: dx = dy . W^T gathered per dx pixel --
 * For a dx pixel with (iy + pad_h) % stride_h == py (and likewise px), exactly the taps
 * with ky % stride_h == py (kx % stride_w == px) reach it, so dx pixels fall into
 * stride_h * stride_w classes, each a GEMM over its own taps: K = out channels, row
 * pointers to dy pixels (a zero row where the window falls outside dy), and the weights
 * read in place. Tiles run along a dx row with step stride_w (at stride 1 across rows, like
 * the forward's); a tile drops the taps all of whose rows are zero (the padding taps of a
 * 1x1 or 2x2 grid), which changes no result. */

#define BWD_CHUNK_TILES 16

typedef struct bwd_data_plan {
    const inc_simd_kernels *k;
    int32_t nb, nblocks, mr, ntaps_max;
    size_t zero_floats, table_ptrs;
} bwd_data_plan;

static int32_t class_taps(const inception_conv_desc *d, int32_t py, int32_t px) {
    int32_t ny = py < d->kernel_h ? (d->kernel_h - py + d->stride_h - 1) / d->stride_h : 0;
    int32_t nx = px < d->kernel_w ? (d->kernel_w - px + d->stride_w - 1) / d->stride_w : 0;
    return ny * nx;
}

static void bwd_data_plan_make(const inc_simd_kernels *k, const inception_conv_desc *d,
                               bwd_data_plan *pl) {
    pl->k = k;
    pl->nb = k->nv_main * k->vw;
    pl->nblocks = (d->in_channels + pl->nb - 1) / pl->nb;
    pl->mr = k->bwd_mr;
    pl->ntaps_max = 0;
    for (int32_t py = 0; py < d->stride_h; py++)
        for (int32_t px = 0; px < d->stride_w; px++)
            if (class_taps(d, py, px) > pl->ntaps_max) pl->ntaps_max = class_taps(d, py, px);
    pl->zero_floats = ((size_t)d->out_channels + 15) / 16 * 16;
    pl->table_ptrs = (size_t)BWD_CHUNK_TILES * (size_t)(pl->ntaps_max ? pl->ntaps_max : 1) *
                     (size_t)pl->mr;
}

/* zeros, the chunk's row pointers, its tiles' tap lists, one tile's weight pointers */
static size_t bwd_data_bytes(const bwd_data_plan *pl) {
    size_t nt = (size_t)(pl->ntaps_max ? pl->ntaps_max : 1);
    return align64(pl->zero_floats * sizeof(float)) +
           align64(pl->table_ptrs * sizeof(const float *)) +
           align64((size_t)BWD_CHUNK_TILES * nt * sizeof(int32_t)) + nt * sizeof(const float *);
}

static size_t simd_conv_backward_data_scratch(void *user, const inception_conv_desc *d,
                                              const inception_view *dy,
                                              const inception_view *dx, int32_t parts) {
    const inc_simd_kernels *k = level_kernels(user_level(user));
    if (!k)
        return inc_ref_train.conv_backward_data_scratch(NULL, d, dy, dx, parts);
    bwd_data_plan pl;
    bwd_data_plan_make(k, d, &pl);
    return bwd_data_bytes(&pl);
}

/* A tile: `rows` dx pixels from (n, iy, ix), `step` apart (at stride 1 continuing into the
 * next rows); its active taps and their row pointers ([tap][rows]). */
typedef struct bwd_tile {
    int64_t n, iy, ix;
    int rows, ntaps;
} bwd_tile;

/* Fills the tile's row pointers and tap list for class (py, px); returns the active taps. */
static int bwd_data_rows(const inception_conv_desc *d, const inception_view *dy,
                         const inception_view *dx, const bwd_tile *t, int64_t step, int32_t py,
                         int32_t px, const float *zeros, const float **a, int32_t *taps) {
    int na = 0;
    const int rows = t->rows;
    for (int32_t ky = py; ky < d->kernel_h; ky += d->stride_h)
        for (int32_t kx = px; kx < d->kernel_w; kx += d->stride_w) {
            int64_t n = t->n, iy = t->iy, ix = t->ix;
            int live = 0;
            for (int r = 0; r < rows; r++) {
                if (r > 0) {
                    ix += step;
                    if (ix >= dx->w) { /* only at stride 1 */
                        ix = 0;
                        if (++iy == dx->h) iy = 0, n++;
                    }
                }
                int64_t oy = inc_window_of(iy, ky, d->stride_h, d->pad_h, dy->h);
                int64_t ox = oy < 0 ? -1 : inc_window_of(ix, kx, d->stride_w, d->pad_w, dy->w);
                const float *p = ox < 0 ? zeros
                                        : dy->data + ((n * dy->h + oy) * dy->w + ox) *
                                                         dy->pixel_stride;
                a[na * rows + r] = p;
                live |= p != zeros;
            }
            if (live) taps[na++] = ky * d->kernel_w + kx;
        }
    return na;
}

static void simd_conv_backward_data(void *user, const inception_conv_desc *d,
                                    const float *weights, const inception_view *dy,
                                    const inception_view *dx, int32_t accumulate,
                                    int32_t part, int32_t parts, void *scratch) {
    const inc_simd_kernels *k = level_kernels(user_level(user));
    if (!k) {
        inc_ref_train.conv_backward_data(NULL, d, weights, dy, dx, accumulate, part, parts,
                                         scratch);
        return;
    }
    bwd_data_plan pl;
    bwd_data_plan_make(k, d, &pl);
    const size_t nt_max = (size_t)(pl.ntaps_max ? pl.ntaps_max : 1);
    char *sp = scratch;
    float *zeros = (float *)sp;
    sp += align64(pl.zero_floats * sizeof(float));
    const float **table = (const float **)sp;
    sp += align64(pl.table_ptrs * sizeof(const float *));
    int32_t *tap_lists = (int32_t *)sp;
    sp += align64((size_t)BWD_CHUNK_TILES * nt_max * sizeof(int32_t));
    const float **wt = (const float **)sp;

    /* the part's dx rows (n, iy) */
    int64_t R = dx->n * dx->h, r0 = R * part / parts, r1 = R * (part + 1) / parts;
    if (r0 >= r1) return;
    memset(zeros, 0, pl.zero_floats * sizeof(float));
    const size_t ps = (size_t)dx->pixel_stride, K = (size_t)d->out_channels;
    const size_t cin = (size_t)d->in_channels, taps = (size_t)d->kernel_h * d->kernel_w;
    const int64_t mr = pl.mr, step = d->stride_w;
    const int flat = d->stride_h == 1 && d->stride_w == 1;
    const size_t tile_ptrs = nt_max * (size_t)mr;
    bwd_tile tiles[BWD_CHUNK_TILES];

    for (int32_t py = 0; py < d->stride_h; py++)
        for (int32_t px = 0; px < d->stride_w; px++) {
            int nt = 0;
            int64_t m = r0 * dx->w, m_end = r1 * dx->w; /* flat: pixel index */
            int64_t row = r0, ix = -1;
            for (;;) {
                bwd_tile t;
                int have = 0;
                if (flat) {
                    if (m < m_end) {
                        t.n = m / (dx->w * dx->h), t.iy = (m / dx->w) % dx->h, t.ix = m % dx->w;
                        t.rows = (int)(m_end - m < mr ? m_end - m : mr);
                        m += t.rows;
                        have = 1;
                    }
                } else {
                    while (row < r1) {
                        int64_t iy = row % dx->h;
                        if ((iy + d->pad_h) % d->stride_h != py) {
                            row++, ix = -1;
                            continue;
                        }
                        if (ix < 0) ix = (((px - d->pad_w) % step) + step) % step;
                        if (ix >= dx->w) {
                            row++, ix = -1;
                            continue;
                        }
                        int64_t left = (dx->w - ix + step - 1) / step;
                        t.n = row / dx->h, t.iy = iy, t.ix = ix;
                        t.rows = (int)(left < mr ? left : mr);
                        ix += t.rows * step;
                        have = 1;
                        break;
                    }
                }
                if (have) {
                    t.ntaps = bwd_data_rows(d, dy, dx, &t, flat ? 1 : step, py, px, zeros,
                                            table + (size_t)nt * tile_ptrs,
                                            tap_lists + (size_t)nt * nt_max);
                    tiles[nt++] = t;
                }
                if (nt == BWD_CHUNK_TILES || (!have && nt > 0)) {
                    /* a ci block's weights stay in cache while the chunk's tiles use them */
                    size_t dstride = (flat ? 1 : (size_t)step) * ps;
                    for (int32_t b = 0; b < pl.nblocks; b++) {
                        size_t j0 = (size_t)b * (size_t)pl.nb;
                        size_t ncols = cin - j0 < (size_t)pl.nb ? cin - j0 : (size_t)pl.nb;
                        int nv = (int)((ncols + (size_t)k->vw - 1) / (size_t)k->vw);
                        int masked = ncols % (size_t)k->vw != 0;
                        for (int i = 0; i < nt; i++) {
                            const int32_t *tl = tap_lists + (size_t)i * nt_max;
                            for (int j = 0; j < tiles[i].ntaps; j++)
                                wt[j] = weights + (size_t)tl[j] * cin + j0;
                            float *dst = dx->data + ((tiles[i].n * dx->h + tiles[i].iy) * dx->w +
                                                     tiles[i].ix) * (int64_t)ps;
                            k->bwd[tiles[i].rows][nv - 1][masked](
                                (size_t)tiles[i].ntaps, K, table + (size_t)i * tile_ptrs, wt,
                                taps * cin, dst + j0, dstride, ncols, accumulate);
                        }
                    }
                    nt = 0;
                }
                if (!have) break;
            }
        }
}

/* -- weight gradient: dW[co][tap] = dy^T . x_tap over the output pixels --
 * Parts split the output channels in tile-height units. The output pixels go in chunks:
 * a chunk's dy columns for the part are packed contiguous ([pixel][co], read by every tap
 * and input-channel block), and for each tap the chunk's input rows (a zero row where the
 * tap falls in the padding). Each tile continues its FMA chains from dW, so dW is summed
 * over the pixels in order 0..M-1 whatever the chunk or part. 1x1 convs are the plain GEMM
 * dy^T . x. */

static int64_t bww_units(const inc_simd_kernels *k, const inception_conv_desc *d) {
    return ((int64_t)d->out_channels + k->bww_mr - 1) / k->bww_mr;
}

/* Output channels of the widest part, and the chunk's pixel count for it: its dy pack
 * stays within ~128 KiB (L2) next to the x rows of one block (L1). */
static void bww_sizes(const inc_simd_kernels *k, const inception_conv_desc *d, int32_t parts,
                      int64_t *width, int64_t *chunk) {
    int64_t units = bww_units(k, d);
    int64_t per = (units + parts - 1) / parts;
    *width = per * k->bww_mr;
    if (*width > d->out_channels) *width = d->out_channels;
    int64_t c = 32768 / (*width > 0 ? *width : 1);
    *chunk = c < 64 ? 64 : c > 512 ? 512 : c;
}

static size_t bww_zero_floats(const inception_conv_desc *d) {
    return ((size_t)d->in_channels + 15) / 16 * 16;
}

static size_t simd_conv_backward_weights_scratch(void *user, const inception_conv_desc *d,
                                                 const inception_view *x,
                                                 const inception_view *dy, int32_t parts) {
    const inc_simd_kernels *k = level_kernels(user_level(user));
    if (!k) return inc_ref_train.conv_backward_weights_scratch(NULL, d, x, dy, parts);
    int64_t width, chunk;
    bww_sizes(k, d, parts, &width, &chunk);
    return align64((size_t)(width * chunk) * sizeof(float)) +
           align64(bww_zero_floats(d) * sizeof(float)) + (size_t)chunk * sizeof(const float *);
}

static void simd_conv_backward_weights(void *user, const inception_conv_desc *d,
                                       const inception_view *x, const inception_view *dy,
                                       float *dweights, int32_t part, int32_t parts,
                                       void *scratch) {
    const inc_simd_kernels *k = level_kernels(user_level(user));
    if (!k) {
        inc_ref_train.conv_backward_weights(NULL, d, x, dy, dweights, part, parts, scratch);
        return;
    }
    int64_t width, chunk;
    bww_sizes(k, d, parts, &width, &chunk);
    const int64_t mr = k->bww_mr, units = bww_units(k, d);
    int64_t c0 = units * part / parts * mr, c1 = units * (part + 1) / parts * mr;
    if (c1 > d->out_channels) c1 = d->out_channels;
    if (c0 >= c1) return;
    const size_t cin = (size_t)d->in_channels, taps = (size_t)d->kernel_h * d->kernel_w;
    const size_t nc = (size_t)(c1 - c0), nb = (size_t)(k->nv_main * k->vw);
    char *sp = scratch;
    float *g = (float *)sp;
    sp += align64((size_t)(width * chunk) * sizeof(float));
    float *zeros = (float *)sp;
    sp += align64(bww_zero_floats(d) * sizeof(float));
    const float **rows = (const float **)sp;
    memset(zeros, 0, bww_zero_floats(d) * sizeof(float));

    const int64_t M = dy->n * dy->h * dy->w;
    if (M == 0) {
        memset(dweights + (size_t)c0 * taps * cin, 0, nc * taps * cin * sizeof(float));
        return;
    }
    for (int64_t m0 = 0; m0 < M; m0 += chunk) {
        size_t len = (size_t)(M - m0 < chunk ? M - m0 : chunk);
        for (size_t i = 0; i < len; i++)
            memcpy(g + i * nc, dy->data + (m0 + (int64_t)i) * dy->pixel_stride + c0,
                   nc * sizeof(float));
        for (int32_t ky = 0; ky < d->kernel_h; ky++)
            for (int32_t kx = 0; kx < d->kernel_w; kx++) {
                int64_t m = m0;
                int64_t ox = m % dy->w, oy = (m / dy->w) % dy->h, n = m / (dy->w * dy->h);
                int live = 0;
                for (size_t i = 0; i < len; i++) {
                    if (i > 0 && ++ox == dy->w) {
                        ox = 0;
                        if (++oy == dy->h) oy = 0, n++;
                    }
                    int64_t iy = oy * d->stride_h - d->pad_h + ky;
                    int64_t ix = ox * d->stride_w - d->pad_w + kx;
                    rows[i] = (iy < 0 || iy >= x->h || ix < 0 || ix >= x->w)
                                  ? zeros
                                  : x->data + ((n * x->h + iy) * x->w + ix) * x->pixel_stride;
                    live |= rows[i] != zeros;
                }
                size_t tap = (size_t)ky * d->kernel_w + kx;
                if (!live) { /* the tap is in the padding for the whole chunk: adds nothing */
                    if (m0 == 0)
                        for (int64_t co = c0; co < c1; co++)
                            memset(dweights + ((size_t)co * taps + tap) * cin, 0,
                                   cin * sizeof(float));
                    continue;
                }
                for (size_t j0 = 0; j0 < cin; j0 += nb) {
                    size_t ncols = cin - j0 < nb ? cin - j0 : nb;
                    int nv = (int)((ncols + (size_t)k->vw - 1) / (size_t)k->vw);
                    int masked = ncols % (size_t)k->vw != 0;
                    for (int64_t r0 = c0; r0 < c1; r0 += mr) {
                        int nr = (int)(c1 - r0 < mr ? c1 - r0 : mr);
                        k->bww[nr][nv - 1][masked](len, rows, j0, g + (r0 - c0), nc,
                                                   dweights + ((size_t)r0 * taps + tap) * cin + j0,
                                                   taps * cin, ncols, m0 == 0);
                    }
                }
            }
    }
}

/* ---- max pool backward ------------------------------------------------------------ */

#define MPB_CHUNK INC_MAXPOOL_CHUNK /* channels at a time */
#define MPB_TILE 16  /* dx pixels of a row at a time */
#define MPB_WIN 40   /* windows whose winners a tile keeps */

/* ref's sums (each dx pixel adds, in (ky, kx) order of its taps, the dy of the windows it
 * wins) with each window's winners found once per tile of a dx row instead of once per
 * tap: about 12x fewer comparisons for 3x3 stride 2. Parts split the pixels of dx. */
static void simd_max_pool_backward(void *user, const inception_pool_desc *d, const inception_view *x,
                                   const inception_view *dy, const inception_view *dx,
                                   int32_t accumulate, int32_t part, int32_t parts) {
    (void)user;
    int64_t total = dx->n * dx->h * dx->w, begin = total * part / parts, end = total * (part + 1) / parts;
    const int32_t kw = d->kernel_w, sw = d->stride_w;
    int64_t tile = MPB_TILE;
    while (tile > 1 && (tile - 1 + kw - 1) / sw + 1 > MPB_WIN) tile--;
    int fast = (kw - 1) / sw + 1 <= MPB_WIN;
    float acc[MPB_TILE][MPB_CHUNK];
    int32_t win[MPB_WIN][MPB_CHUNK];
    for (int64_t m = begin; m < end;) {
        int64_t ix0 = m % dx->w, iy = (m / dx->w) % dx->h, n = m / (dx->w * dx->h);
        int64_t nt = dx->w - ix0 < end - m ? dx->w - ix0 : end - m;
        if (nt > tile) nt = tile;
        if (!fast) nt = 1;
        /* the windows any tap of the tile can reach */
        int64_t oxa = (ix0 + d->pad_w - (kw - 1) + sw - 1) / sw, oxb = (ix0 + nt - 1 + d->pad_w) / sw;
        if (ix0 + d->pad_w - (kw - 1) < 0) oxa = 0;
        if (oxb >= dy->w) oxb = dy->w - 1;
        for (int64_t c0 = 0; c0 < dx->c; c0 += MPB_CHUNK) {
            int64_t nc = dx->c - c0 < MPB_CHUNK ? dx->c - c0 : MPB_CHUNK;
            for (int64_t t = 0; t < nt; t++)
                for (int64_t c = 0; c < nc; c++) acc[t][c] = 0.0f;
            for (int32_t ky = 0; ky < d->kernel_h; ky++) {
                int64_t oy = inc_window_of(iy, ky, d->stride_h, d->pad_h, dy->h);
                if (oy < 0) continue;
                if (fast)
                    for (int64_t ox = oxa; ox <= oxb; ox++) inc_max_winners(d, x, n, oy, ox, c0, nc, win[ox - oxa]);
                for (int64_t t = 0; t < nt; t++)
                    for (int32_t kx = 0; kx < kw; kx++) {
                        int64_t ox = inc_window_of(ix0 + t, kx, sw, d->pad_w, dy->w);
                        if (ox < 0) continue;
                        const int32_t *wn = win[0];
                        if (fast) wn = win[ox - oxa];
                        else inc_max_winners(d, x, n, oy, ox, c0, nc, win[0]);
                        const float *g = dy->data + ((n * dy->h + oy) * dy->w + ox) * dy->pixel_stride + c0;
                        int32_t me = ky * kw + kx;
                        for (int64_t c = 0; c < nc; c++) acc[t][c] += wn[c] == me ? g[c] : 0.0f;
                    }
            }
            for (int64_t t = 0; t < nt; t++) {
                float *dst = dx->data + (m + t) * dx->pixel_stride + c0;
                for (int64_t c = 0; c < nc; c++) dst[c] = accumulate ? dst[c] + acc[t][c] : acc[t][c];
            }
        }
        m += nt;
    }
}

#define SIMD_TRAIN_TABLE(u)                                                              \
    {                                                                                    \
        .abi_version = INCEPTION_BACKEND_TRAIN_ABI_VERSION,                              \
        .struct_size = sizeof(inception_backend_train), .user = (void *)(u),             \
        .conv_backward_data_scratch = simd_conv_backward_data_scratch,                   \
        .conv_backward_data = simd_conv_backward_data,                                   \
        .conv_backward_weights_scratch = simd_conv_backward_weights_scratch,             \
        .conv_backward_weights = simd_conv_backward_weights,                             \
        .max_pool_backward = simd_max_pool_backward, .avg_pool_backward = NULL,          \
        .conv_repack = simd_conv_repack,                                                 \
    }

/* Parallel to tables[] below; the average pool's backward pass is ref's. */
static const inception_backend_train train_tables[] = {
    SIMD_TRAIN_TABLE(&user_auto),
    SIMD_TRAIN_TABLE(&user_avx2),
    SIMD_TRAIN_TABLE(&user_avx512),
};

static int32_t probe_auto(void *user) {
    switch (inc_simd_auto_level()) {
    case INC_SIMD_AVX512: return 20;
    case INC_SIMD_AVX2: return 10;
    default: return 0;
    }
}

/* The fixed levels are usable but never preferred over "simd" by "auto". */
static int32_t probe_fixed(void *user) {
    int want = ((const simd_user *)user)->level;
    return inc_simd_cpu_level() >= want ? 1 + want : 0;
}

#define SIMD_TABLE(nm, u, pr)                                                                \
    {                                                                                        \
        .abi_version = INCEPTION_BACKEND_ABI_VERSION, .struct_size = sizeof(inception_backend), \
        .name = nm, .user = (void *)(u), .probe = pr, .conv_pack = simd_conv_pack,          \
        .conv_release = simd_conv_release, .conv_scratch = simd_conv_scratch,               \
        .conv_run = simd_conv_run, .max_pool = simd_max_pool, .avg_pool = simd_avg_pool,    \
        .global_avg_pool = simd_global_avg_pool, .softmax = NULL,                           \
    }

static const inception_backend tables[] = {
    SIMD_TABLE("simd", &user_auto, probe_auto),
    SIMD_TABLE("simd-avx2", &user_avx2, probe_fixed),
    SIMD_TABLE("simd-avx512", &user_avx512, probe_fixed),
};

static const char *simd_isa(void *user) { return inc_simd_level_name(user_level(user)); }

const inc_backend_desc inc_backend_simd = {tables, sizeof tables / sizeof tables[0], simd_isa, train_tables};

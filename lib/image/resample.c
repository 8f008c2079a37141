/* Resampling that reproduces Pillow's Image.resize for 8-bit images (the path torchvision
 * and timm take for PIL inputs), written from the description of its algorithm:
 *  - separable: a horizontal pass, then a vertical pass over its uint8 result;
 *  - an output sample at index i has centre c = (i + 0.5) * scale in input coordinates,
 *    scale = in/out; on downscaling the filter is stretched by `scale` (antialiasing);
 *  - taps j in [(int)(c - support + 0.5), (int)(c + support + 0.5)), clipped to the image,
 *    weight filter((j - c + 0.5) / filterscale), normalised to sum 1, then converted to
 *    fixed point with 22 fractional bits rounding half away from zero;
 *  - accumulator starts at 0.5 (1 << 21), result = clamp(acc >> 22, 0, 255).
 * The uint8 rounding between the passes is part of what makes results bit-identical.
 * Only the output window the crop keeps is computed: every output sample depends only
 * on its own taps, so this changes nothing but the time (and memory: see below). */
#include <math.h>
#include <string.h>

#include "image/image.h"

#define PREC_BITS 22

/* One axis of a resize: where output sample i's taps are and what they weigh. Weights are
 * computed by one function, whether they are cached in a table or made on the fly, so both
 * give the same fixed-point values. */
typedef struct axis {
    inc_filter f;
    int32_t in_size, ksize;
    double scale, support, ss;
} axis;

static double filter_eval(inc_filter f, double x) {
    if (x < 0.0) x = -x;
    if (f == INC_FILTER_BILINEAR) return x < 1.0 ? 1.0 - x : 0.0;
    const double a = -0.5; /* Pillow's bicubic */
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    return 0.0;
}

/* out_size is 64-bit (see inc_resample_pil). */
static void axis_init(axis *a, int32_t in_size, int64_t out_size, inc_filter f) {
    a->f = f;
    a->in_size = in_size;
    a->scale = (double)in_size / (double)out_size;
    double fscale = a->scale < 1.0 ? 1.0 : a->scale;
    a->support = (f == INC_FILTER_BILINEAR ? 1.0 : 2.0) * fscale;
    a->ss = 1.0 / fscale;
    /* Pillow's ceil(support) * 2 + 1, but a sample never has more taps than the image
     * has pixels, and support can be huge when out_size is tiny */
    double kd = ceil(a->support) * 2 + 1;
    a->ksize = kd < (double)in_size ? (int32_t)kd : in_size;
}

/* A sample's centre, first tap and tap count; every tap index is clamped to the image in
 * double before it becomes an integer (Pillow's (int) truncation of clamped values). */
typedef struct taps {
    double center, sum;
    int32_t first, count;
} taps;

static taps sample_taps(const axis *a, int64_t i) {
    taps t;
    t.center = ((double)i + 0.5) * a->scale;
    double lo = t.center - a->support + 0.5, hi = t.center + a->support + 0.5;
    double n = (double)a->in_size;
    int32_t xmin = lo > 0.0 ? (lo < n ? (int32_t)lo : a->in_size) : 0;
    int32_t xmax = hi > 0.0 ? (hi < n ? (int32_t)hi : a->in_size) : 0;
    xmax -= xmin;
    if (xmax > a->ksize) xmax = a->ksize;
    t.first = xmin;
    t.count = xmax;
    t.sum = 0.0;
    for (int32_t x = 0; x < xmax; x++)
        t.sum += filter_eval(a->f, (x + xmin - t.center + 0.5) * a->ss);
    return t;
}

/* Fixed-point weight of tap x (0-based within the sample's taps): normalised to sum 1,
 * 22 fractional bits, rounding half away from zero. */
static int32_t tap_weight(const axis *a, const taps *t, int32_t x) {
    double w = filter_eval(a->f, (x + t->first - t->center + 0.5) * a->ss);
    double v = t->sum != 0.0 ? w / t->sum : w;
    return v < 0 ? (int32_t)(-0.5 + v * (1 << PREC_BITS)) : (int32_t)(0.5 + v * (1 << PREC_BITS));
}

static inline uint8_t clip8(int32_t acc) {
    int32_t v = acc >> PREC_BITS; /* arithmetic shift: floor, as Pillow relies on */
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* The horizontal weights are a table (they serve every row) unless it would exceed this;
 * beyond it (only extreme aspect ratios, e.g. a 10^7x1 strip resized without a crop, where
 * there are few rows) they are recomputed per row, so memory stays bounded. */
#define HTABLE_MAX_BYTES ((size_t)64 << 20)

/* Horizontal pass of one source row s into d (cw samples from output column x0). */
/* s holds source columns from col0 on. */
static void hpass_row(const axis *ha, const taps *ht, const int32_t *hk, int64_t x0,
                      int32_t cw, const uint8_t *s, int32_t col0, uint8_t *d) {
    for (int32_t x = 0; x < cw; x++) {
        taps t = ht ? ht[x] : sample_taps(ha, x0 + x);
        const int32_t *k = hk ? hk + (size_t)x * ha->ksize : NULL;
        const uint8_t *p = s + (size_t)(t.first - col0) * 3;
        int32_t a0 = 1 << (PREC_BITS - 1), a1 = a0, a2 = a0;
        for (int32_t j = 0; j < t.count; j++) {
            int32_t w = k ? k[j] : tap_weight(ha, &t, j);
            a0 += p[3 * j] * w;
            a1 += p[3 * j + 1] * w;
            a2 += p[3 * j + 2] * w;
        }
        d[3 * x] = clip8(a0);
        d[3 * x + 1] = clip8(a1);
        d[3 * x + 2] = clip8(a2);
    }
}

/* The vertical pass over source columns [cfirst, cend), one output row at a time into a
 * row buffer, then the horizontal pass of that row (see the order note in inc_resample_pil). */
static inception_status vertical_first(const uint8_t *src, int32_t w, const axis *ha,
                                       const taps *ht, const int32_t *hk, const axis *va,
                                       const taps *vt, int64_t x0, int32_t cw, int32_t ch,
                                       int32_t cfirst, int32_t cend, uint8_t *dst) {
    size_t n = (size_t)(cend - cfirst) * 3;
    uint8_t *mid = inc_malloc(n);
    int32_t *acc = inc_malloc(n * sizeof(int32_t));
    if (!mid || !acc) {
        inc_free(mid);
        inc_free(acc);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "resample buffers (%zu bytes)", n * 5);
    }
    for (int32_t y = 0; y < ch; y++) {
        const taps *t = &vt[y];
        for (size_t c = 0; c < n; c++) acc[c] = 1 << (PREC_BITS - 1);
        for (int32_t j = 0; j < t->count; j++) {
            int32_t wgt = tap_weight(va, t, j);
            const uint8_t *line = src + ((size_t)(t->first + j) * w + (size_t)cfirst) * 3;
            for (size_t c = 0; c < n; c++) acc[c] += line[c] * wgt;
        }
        for (size_t c = 0; c < n; c++) mid[c] = clip8(acc[c]);
        hpass_row(ha, ht, hk, x0, cw, mid, cfirst, dst + (size_t)y * cw * 3);
    }
    inc_free(mid);
    inc_free(acc);
    return INCEPTION_OK;
}

/* The vertical pass streams: each source row the crop needs is resampled horizontally
 * once, into one row buffer, and added with its weight into the int32 accumulators of
 * every output row whose taps include it; an output row is stored when its last tap has
 * been added. Integer sums do not depend on their order, so this equals Pillow's
 * two-pass result bit for bit, while the working memory is the output's size (4 bytes a
 * sample) instead of every source row the vertical pass reads times the output width. */
inception_status inc_resample_pil(const uint8_t *src, int32_t w, int32_t h, int64_t out_w,
                                  int64_t out_h, int64_t x0, int64_t y0, int32_t cw,
                                  int32_t ch, inc_filter filter, uint8_t *dst) {
    int need_h = out_w != w, need_v = out_h != h;
    axis ha, va;
    axis_init(&ha, w, out_w, filter);
    axis_init(&va, h, out_h, filter);
    taps *ht = NULL, *vt = NULL;
    int32_t *hk = NULL, *acc = NULL;
    uint8_t *row = NULL;
    inception_status st = INCEPTION_OK;
    size_t row_bytes = (size_t)cw * 3, acc_bytes = 0, hk_bytes = 0;
    if (need_h) {
        row = inc_malloc(row_bytes);
        ht = inc_malloc((size_t)cw * sizeof *ht);
        if (!row || !ht) goto oom;
        for (int32_t x = 0; x < cw; x++) ht[x] = sample_taps(&ha, x0 + x);
        if (inc_mul_size((size_t)cw * sizeof(int32_t), (size_t)ha.ksize, &hk_bytes) &&
            hk_bytes <= HTABLE_MAX_BYTES) {
            hk = inc_malloc(hk_bytes);
            if (!hk) goto oom;
            for (int32_t x = 0; x < cw; x++)
                for (int32_t j = 0; j < ht[x].count; j++)
                    hk[(size_t)x * ha.ksize + j] = tap_weight(&ha, &ht[x], j);
        }
    }
    if (!need_v) { /* out_h == h: rows y0 .. y0 + ch are the output rows */
        for (int32_t y = 0; y < ch; y++) {
            const uint8_t *s = src + (size_t)(y0 + y) * w * 3;
            if (need_h) hpass_row(&ha, ht, hk, x0, cw, s, 0, dst + (size_t)y * row_bytes);
            else memcpy(dst + (size_t)y * row_bytes, s + (size_t)x0 * 3, row_bytes);
        }
        goto done;
    }
    vt = inc_malloc((size_t)ch * sizeof *vt);
    if (!vt) goto oom;
    for (int32_t y = 0; y < ch; y++) vt[y] = sample_taps(&va, y0 + y);
    if (need_h) {
        /* Pillow's order (horizontal first) costs a horizontal row for every source row
         * the vertical pass reads. For a strip far taller than wide resized without a crop
         * (1 x 10^7 to 299 x 299: 10^7 rows of 299 samples) that is unbounded time, while
         * the vertical pass first reads only the few source columns. Only there, when it
         * is over 8x cheaper, the order is swapped: the result is still this filter's
         * resize, but may differ from Pillow's by the rounding between the passes. */
        int32_t cfirst = ht[0].first, cend = ht[cw - 1].first + ht[cw - 1].count;
        double rows = (double)(vt[ch - 1].first + vt[ch - 1].count - vt[0].first);
        double hfirst = rows * cw * ha.ksize, vfirst = (double)ch * (cend - cfirst) * va.ksize;
        size_t tmp_bytes = (size_t)(cend - cfirst) * 3;
        if (vfirst * 8 < hfirst && inc_mul_size(tmp_bytes, (size_t)ch, &tmp_bytes) &&
            tmp_bytes <= HTABLE_MAX_BYTES) {
            st = vertical_first(src, w, &ha, ht, hk, &va, vt, x0, cw, ch, cfirst, cend, dst);
            goto done;
        }
    }
    /* the accumulators only after the order is chosen: vertical_first has its own */
    if (!inc_mul_size(row_bytes * sizeof(int32_t), (size_t)ch, &acc_bytes)) goto oom;
    acc = inc_malloc(acc_bytes);
    if (!acc) goto oom;
    for (size_t i = 0; i < acc_bytes / sizeof(int32_t); i++) acc[i] = 1 << (PREC_BITS - 1);
    /* Tap windows move forward with y (first and first + count never decrease), so the
     * rows being accumulated are the window [ydone, yopen). */
    int32_t ydone = 0, yopen = 0;
    int32_t rfirst = vt[0].first, rend = vt[ch - 1].first + vt[ch - 1].count;
    for (int32_t r = rfirst; r < rend && ydone < ch; r++) {
        while (yopen < ch && vt[yopen].first <= r) yopen++;
        const uint8_t *line = src + (size_t)r * w * 3;
        if (need_h) {
            hpass_row(&ha, ht, hk, x0, cw, line, 0, row);
            line = row;
        } else {
            line += (size_t)x0 * 3;
        }
        for (int32_t y = ydone; y < yopen; y++) {
            const taps *t = &vt[y];
            if (r >= t->first + t->count) continue;
            int32_t wgt = tap_weight(&va, t, r - t->first);
            int32_t *a = acc + (size_t)y * row_bytes;
            for (size_t x = 0; x < row_bytes; x++) a[x] += line[x] * wgt;
        }
        while (ydone < yopen && vt[ydone].first + vt[ydone].count <= r + 1) {
            const int32_t *a = acc + (size_t)ydone * row_bytes;
            uint8_t *d = dst + (size_t)ydone * row_bytes;
            for (size_t x = 0; x < row_bytes; x++) d[x] = clip8(a[x]);
            ydone++;
        }
    }
    /* rows with no taps (cannot happen for in_size >= 1) keep the bare rounding term */
    for (; ydone < ch; ydone++) {
        const int32_t *a = acc + (size_t)ydone * row_bytes;
        uint8_t *d = dst + (size_t)ydone * row_bytes;
        for (size_t x = 0; x < row_bytes; x++) d[x] = clip8(a[x]);
    }
    goto done;
oom:
    st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "resample buffers for %dx%d -> %dx%d",
                   (int)w, (int)h, (int)cw, (int)ch);
done:
    inc_free(row);
    inc_free(ht);
    inc_free(vt);
    inc_free(hk);
    inc_free(acc);
    return st;
}

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
 * on its own taps, so this changes nothing but the time. */
#include <math.h>
#include <string.h>

#include "image/image.h"

#define PREC_BITS 22

typedef struct coeffs {
    int32_t ksize;
    int32_t *bounds; /* per output sample: first tap, tap count */
    int32_t *k;      /* per output sample: ksize fixed-point weights */
} coeffs;

static double filter_eval(inc_filter f, double x) {
    if (x < 0.0) x = -x;
    if (f == INC_FILTER_BILINEAR) return x < 1.0 ? 1.0 - x : 0.0;
    const double a = -0.5; /* Pillow's bicubic */
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    return 0.0;
}

static void coeffs_free(coeffs *c) {
    inc_free(c->bounds);
    inc_free(c->k);
    c->bounds = NULL;
    c->k = NULL;
}

/* Coefficients for output samples [first, first + count) of an in_size -> out_size
 * resize. out_size and first are 64-bit (see inc_resample_pil); every tap index is
 * clamped to the image in double before it becomes an integer. */
static inception_status coeffs_make(int32_t in_size, int64_t out_size, int64_t first,
                                    int32_t count, inc_filter f, coeffs *c) {
    double scale = (double)in_size / (double)out_size;
    double fscale = scale < 1.0 ? 1.0 : scale;
    double support = (f == INC_FILTER_BILINEAR ? 1.0 : 2.0) * fscale;
    /* Pillow's ceil(support) * 2 + 1, but a sample never has more taps than the image
     * has pixels, and support can be huge when out_size is tiny */
    double kd = ceil(support) * 2 + 1;
    int32_t ksize = kd < (double)in_size ? (int32_t)kd : in_size;
    c->ksize = ksize;
    size_t kbytes;
    if (!inc_mul_size((size_t)count * sizeof(int32_t), (size_t)ksize, &kbytes))
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "resample coefficients (%d taps)",
                         (int)ksize);
    c->bounds = inc_malloc((size_t)count * 2 * sizeof(int32_t));
    c->k = inc_malloc(kbytes);
    double *w = inc_malloc((size_t)ksize * sizeof(double));
    if (!c->bounds || !c->k || !w) {
        inc_free(w);
        coeffs_free(c);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "resample coefficients (%d taps)",
                         (int)ksize);
    }
    double ss = 1.0 / fscale;
    for (int32_t i = 0; i < count; i++) {
        double center = ((double)(first + i) + 0.5) * scale;
        /* Pillow's (int) truncation of values clamped to [0, in_size] first */
        double lo = center - support + 0.5, hi = center + support + 0.5;
        int32_t xmin = lo > 0.0 ? (lo < (double)in_size ? (int32_t)lo : in_size) : 0;
        int32_t xmax = hi > 0.0 ? (hi < (double)in_size ? (int32_t)hi : in_size) : 0;
        xmax -= xmin;
        if (xmax > ksize) xmax = ksize;
        double sum = 0.0;
        for (int32_t x = 0; x < xmax; x++) {
            w[x] = filter_eval(f, (x + xmin - center + 0.5) * ss);
            sum += w[x];
        }
        int32_t *k = c->k + (size_t)i * ksize;
        for (int32_t x = 0; x < ksize; x++) {
            double v = x < xmax ? (sum != 0.0 ? w[x] / sum : w[x]) : 0.0;
            k[x] = v < 0 ? (int32_t)(-0.5 + v * (1 << PREC_BITS))
                         : (int32_t)(0.5 + v * (1 << PREC_BITS));
        }
        c->bounds[2 * i] = xmin;
        c->bounds[2 * i + 1] = xmax;
    }
    inc_free(w);
    return INCEPTION_OK;
}

static inline uint8_t clip8(int32_t acc) {
    int32_t v = acc >> PREC_BITS; /* arithmetic shift: floor, as Pillow relies on */
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

inception_status inc_resample_pil(const uint8_t *src, int32_t w, int32_t h, int64_t out_w,
                                  int64_t out_h, int64_t x0, int64_t y0, int32_t cw,
                                  int32_t ch, inc_filter filter, uint8_t *dst) {
    coeffs hc = {0}, vc = {0};
    uint8_t *tmp = NULL;
    int need_h = out_w != w, need_v = out_h != h;
    inception_status st = coeffs_make(h, out_h, y0, ch, filter, &vc);
    if (st != INCEPTION_OK) return st;
    /* Source rows the vertical pass reads. */
    int32_t yfirst = vc.bounds[0];
    int32_t ylast = vc.bounds[2 * (ch - 1)] + vc.bounds[2 * (ch - 1) + 1];
    for (int32_t i = 0; i < ch; i++) {
        if (vc.bounds[2 * i] < yfirst) yfirst = vc.bounds[2 * i];
        if (vc.bounds[2 * i] + vc.bounds[2 * i + 1] > ylast)
            ylast = vc.bounds[2 * i] + vc.bounds[2 * i + 1];
    }
    if (!need_v) { /* out_h == h: y0 + ch <= h */
        yfirst = (int32_t)y0;
        ylast = (int32_t)y0 + ch;
    }
    int32_t rows = ylast - yfirst;
    const uint8_t *mid;     /* rows [yfirst, ylast) of the horizontal result */
    size_t mid_stride;
    int32_t mid_x0;         /* column of mid that is output column x0 */
    if (need_h) {
        st = coeffs_make(w, out_w, x0, cw, filter, &hc);
        if (st != INCEPTION_OK) goto done;
        tmp = inc_malloc((size_t)rows * cw * 3);
        if (!tmp) {
            st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "resample buffer");
            goto done;
        }
        for (int32_t y = 0; y < rows; y++) {
            const uint8_t *s = src + (size_t)(y + yfirst) * w * 3;
            uint8_t *d = tmp + (size_t)y * cw * 3;
            for (int32_t x = 0; x < cw; x++) {
                const int32_t *k = hc.k + (size_t)x * hc.ksize;
                const uint8_t *p = s + (size_t)hc.bounds[2 * x] * 3;
                int32_t n = hc.bounds[2 * x + 1];
                int32_t a0 = 1 << (PREC_BITS - 1), a1 = a0, a2 = a0;
                for (int32_t j = 0; j < n; j++) {
                    a0 += p[3 * j] * k[j];
                    a1 += p[3 * j + 1] * k[j];
                    a2 += p[3 * j + 2] * k[j];
                }
                d[3 * x] = clip8(a0);
                d[3 * x + 1] = clip8(a1);
                d[3 * x + 2] = clip8(a2);
            }
        }
        mid = tmp;
        mid_stride = (size_t)cw * 3;
        mid_x0 = 0;
    } else {
        mid = src + (size_t)yfirst * w * 3;
        mid_stride = (size_t)w * 3;
        mid_x0 = (int32_t)x0; /* out_w == w: x0 + cw <= w */
    }
    for (int32_t y = 0; y < ch; y++) {
        uint8_t *d = dst + (size_t)y * cw * 3;
        if (!need_v) {
            memcpy(d, mid + (size_t)y * mid_stride + (size_t)mid_x0 * 3, (size_t)cw * 3);
            continue;
        }
        const int32_t *k = vc.k + (size_t)y * vc.ksize;
        int32_t ymin = vc.bounds[2 * y] - yfirst, n = vc.bounds[2 * y + 1];
        for (int32_t x = 0; x < cw * 3; x++) {
            const uint8_t *p = mid + (size_t)ymin * mid_stride + (size_t)mid_x0 * 3 + x;
            int32_t a = 1 << (PREC_BITS - 1);
            for (int32_t j = 0; j < n; j++) a += p[(size_t)j * mid_stride] * k[j];
            d[x] = clip8(a);
        }
    }
done:
    inc_free(tmp);
    coeffs_free(&hc);
    coeffs_free(&vc);
    return st;
}

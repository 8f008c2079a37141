/* lib/backends/ref: may include backends/builtin.h, lib/common and include/. */
/* The reference backend: plain C99 kernels, written to be read and trusted. Every other
 * backend is tested against these. Loops are ordered so the compiler can vectorise the
 * innermost one, which keeps the golden tests fast enough to run everywhere. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "backends/backward.h"
#include "backends/builtin.h"
#include "common/common.h"

/* Packed form: weights as [kh][kw][in][out] so the inner loop runs over contiguous
 * output channels, then the bias. */
typedef struct ref_conv {
    float *w;
    float *bias;
} ref_conv;

/* The slice [begin, end) of `total` items that part `part` of `parts` owns. */
static void part_range(int64_t total, int32_t part, int32_t parts, int64_t *begin,
                       int64_t *end) {
    *begin = total * part / parts;
    *end = total * (part + 1) / parts;
}

static inception_status ref_conv_pack(void *user, const inception_conv_desc *d,
                                      const float *weights, const float *bias,
                                      void **packed) {
    size_t taps = (size_t)d->kernel_h * d->kernel_w;
    size_t n = taps * d->in_channels * d->out_channels;
    ref_conv *rc = inc_calloc(1, sizeof *rc);
    if (!rc) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "ref: packing weights");
    rc->w = inc_malloc_aligned(n * sizeof(float));
    rc->bias = inc_malloc_aligned((size_t)d->out_channels * sizeof(float));
    if (!rc->w || !rc->bias) {
        inc_free_aligned(rc->w);
        inc_free_aligned(rc->bias);
        inc_free(rc);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "ref: packing weights");
    }
    for (int32_t o = 0; o < d->out_channels; o++)
        for (size_t t = 0; t < taps; t++)
            for (int32_t i = 0; i < d->in_channels; i++)
                rc->w[(t * d->in_channels + i) * d->out_channels + o] =
                    weights[((size_t)o * taps + t) * d->in_channels + i];
    memcpy(rc->bias, bias, (size_t)d->out_channels * sizeof(float));
    *packed = rc;
    return INCEPTION_OK;
}

static void ref_conv_release(void *user, void *packed) {
    ref_conv *rc = packed;
    if (!rc) return;
    inc_free_aligned(rc->w);
    inc_free_aligned(rc->bias);
    inc_free(rc);
}

static size_t ref_conv_scratch(void *user, const inception_conv_desc *d, const void *packed,
                               const inception_view *in, const inception_view *out,
                               int32_t parts) {
    return (size_t)d->out_channels * sizeof(float);
}

static void ref_conv_run(void *user, const inception_conv_desc *d, const void *packed,
                         const inception_view *in, const inception_view *out, int32_t part,
                         int32_t parts, void *scratch) {
    const ref_conv *rc = packed;
    float *acc = scratch;
    const int64_t cin = d->in_channels, cout = d->out_channels;
    int64_t begin, end;
    part_range(out->n * out->h * out->w, part, parts, &begin, &end);
    for (int64_t m = begin; m < end; m++) {
        int64_t ox = m % out->w, oy = (m / out->w) % out->h, n = m / (out->w * out->h);
        memcpy(acc, rc->bias, (size_t)cout * sizeof(float));
        for (int32_t ky = 0; ky < d->kernel_h; ky++) {
            int64_t iy = oy * d->stride_h - d->pad_h + ky;
            if (iy < 0 || iy >= in->h) continue;
            for (int32_t kx = 0; kx < d->kernel_w; kx++) {
                int64_t ix = ox * d->stride_w - d->pad_w + kx;
                if (ix < 0 || ix >= in->w) continue;
                const float *px = in->data + ((n * in->h + iy) * in->w + ix) * in->pixel_stride;
                const float *w = rc->w + ((size_t)ky * d->kernel_w + kx) * cin * cout;
                for (int64_t i = 0; i < cin; i++) {
                    const float a = px[i];
                    const float *wr = w + i * cout;
                    for (int64_t o = 0; o < cout; o++) acc[o] += a * wr[o];
                }
            }
        }
        float *dst = out->data + m * out->pixel_stride;
        for (int64_t o = 0; o < cout; o++)
            dst[o] = d->relu && acc[o] < 0.0f ? 0.0f : acc[o];
    }
}

static void ref_max_pool(void *user, const inception_pool_desc *d, const inception_view *in,
                         const inception_view *out, int32_t part, int32_t parts) {
    int64_t begin, end;
    part_range(out->n * out->h * out->w, part, parts, &begin, &end);
    for (int64_t m = begin; m < end; m++) {
        int64_t ox = m % out->w, oy = (m / out->w) % out->h, n = m / (out->w * out->h);
        float *dst = out->data + m * out->pixel_stride;
        for (int64_t c = 0; c < out->c; c++) dst[c] = -FLT_MAX;
        for (int32_t ky = 0; ky < d->kernel_h; ky++) {
            int64_t iy = oy * d->stride_h - d->pad_h + ky;
            if (iy < 0 || iy >= in->h) continue;
            for (int32_t kx = 0; kx < d->kernel_w; kx++) {
                int64_t ix = ox * d->stride_w - d->pad_w + kx;
                if (ix < 0 || ix >= in->w) continue;
                const float *px = in->data + ((n * in->h + iy) * in->w + ix) * in->pixel_stride;
                for (int64_t c = 0; c < out->c; c++)
                    if (px[c] > dst[c] || isnan(px[c])) dst[c] = px[c];
            }
        }
    }
}

static void ref_avg_pool(void *user, const inception_pool_desc *d, const inception_view *in,
                         const inception_view *out, int32_t part, int32_t parts) {
    int64_t begin, end;
    part_range(out->n * out->h * out->w, part, parts, &begin, &end);
    for (int64_t m = begin; m < end; m++) {
        int64_t ox = m % out->w, oy = (m / out->w) % out->h, n = m / (out->w * out->h);
        /* PyTorch's divisor: the window clipped to the padded input when padding counts,
         * to the real input when it does not. */
        int64_t y0 = oy * d->stride_h - d->pad_h, x0 = ox * d->stride_w - d->pad_w;
        int64_t y1 = y0 + d->kernel_h, x1 = x0 + d->kernel_w;
        if (y1 > in->h + d->pad_h) y1 = in->h + d->pad_h;
        if (x1 > in->w + d->pad_w) x1 = in->w + d->pad_w;
        int64_t padded_count = (y1 - y0) * (x1 - x0);
        if (y0 < 0) y0 = 0;
        if (x0 < 0) x0 = 0;
        if (y1 > in->h) y1 = in->h;
        if (x1 > in->w) x1 = in->w;
        int64_t count = d->count_include_pad ? padded_count : (y1 - y0) * (x1 - x0);
        float *dst = out->data + m * out->pixel_stride;
        for (int64_t c = 0; c < out->c; c++) dst[c] = 0.0f;
        for (int64_t iy = y0; iy < y1; iy++)
            for (int64_t ix = x0; ix < x1; ix++) {
                const float *px = in->data + ((n * in->h + iy) * in->w + ix) * in->pixel_stride;
                for (int64_t c = 0; c < out->c; c++) dst[c] += px[c];
            }
        float scale = count > 0 ? 1.0f / (float)count : 0.0f;
        for (int64_t c = 0; c < out->c; c++) dst[c] *= scale;
    }
}

static void ref_global_avg_pool(void *user, const inception_view *in,
                                const inception_view *out, int32_t part, int32_t parts) {
    int64_t begin, end;
    part_range(in->n * in->c, part, parts, &begin, &end);
    const int64_t hw = in->h * in->w;
    for (int64_t i = begin; i < end; i++) {
        int64_t n = i / in->c, c = i % in->c;
        double sum = 0.0;
        for (int64_t p = 0; p < hw; p++) sum += in->data[(n * hw + p) * in->pixel_stride + c];
        out->data[n * out->pixel_stride + c] = (float)(sum / (double)hw);
    }
}

static void ref_softmax(void *user, const float *in, float *out, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) {
        const float *x = in + r * cols;
        float *y = out + r * cols;
        float mx = -INFINITY;
        for (int64_t c = 0; c < cols; c++)
            if (x[c] > mx) mx = x[c];
        double sum = 0.0;
        for (int64_t c = 0; c < cols; c++) sum += exp((double)x[c] - mx);
        for (int64_t c = 0; c < cols; c++) y[c] = (float)(exp((double)x[c] - mx) / sum);
    }
}

static int32_t ref_probe(void *user) { return 1; }

const inception_backend inc_ref_table = {
    .abi_version = INCEPTION_BACKEND_ABI_VERSION,
    .struct_size = sizeof(inception_backend),
    .name = "ref",
    .user = NULL,
    .probe = ref_probe,
    .conv_pack = ref_conv_pack,
    .conv_release = ref_conv_release,
    .conv_scratch = ref_conv_scratch,
    .conv_run = ref_conv_run,
    .max_pool = ref_max_pool,
    .avg_pool = ref_avg_pool,
    .global_avg_pool = ref_global_avg_pool,
    .softmax = ref_softmax,
};

/* ---- Backward kernels (training) ----
 * Plain loops in float with one fixed summation order each, stated per kernel; the tests
 * check them against double-precision finite differences. Padding taps are skipped, never
 * multiplied by zero. */

static size_t ref_conv_backward_data_scratch(void *user, const inception_conv_desc *d,
                                             const inception_view *dy,
                                             const inception_view *dx, int32_t parts) {
    return (size_t)d->in_channels * sizeof(float);
}

/* dx[n, iy, ix, ci] = sum over taps (ky, kx) in order, then output channels co in order, of
 * dy[n, oy, ox, co] * W[co][ky][kx][ci], for the taps whose window covers (iy, ix). Parts
 * split the pixels of dx. */
static void ref_conv_backward_data(void *user, const inception_conv_desc *d,
                                   const float *weights, const inception_view *dy,
                                   const inception_view *dx, int32_t accumulate, int32_t part,
                                   int32_t parts, void *scratch) {
    float *acc = scratch;
    const int64_t cin = d->in_channels, cout = d->out_channels;
    const size_t taps = (size_t)d->kernel_h * d->kernel_w;
    int64_t begin, end;
    part_range(dx->n * dx->h * dx->w, part, parts, &begin, &end);
    for (int64_t m = begin; m < end; m++) {
        int64_t ix = m % dx->w, iy = (m / dx->w) % dx->h, n = m / (dx->w * dx->h);
        for (int64_t i = 0; i < cin; i++) acc[i] = 0.0f;
        for (int32_t ky = 0; ky < d->kernel_h; ky++) {
            int64_t oy = inc_window_of(iy, ky, d->stride_h, d->pad_h, dy->h);
            if (oy < 0) continue;
            for (int32_t kx = 0; kx < d->kernel_w; kx++) {
                int64_t ox = inc_window_of(ix, kx, d->stride_w, d->pad_w, dy->w);
                if (ox < 0) continue;
                const float *g = dy->data + ((n * dy->h + oy) * dy->w + ox) * dy->pixel_stride;
                for (int64_t o = 0; o < cout; o++) {
                    const float go = g[o];
                    const float *w = weights + ((size_t)o * taps + (size_t)ky * d->kernel_w + kx) * cin;
                    for (int64_t i = 0; i < cin; i++) acc[i] += go * w[i];
                }
            }
        }
        float *dst = dx->data + m * dx->pixel_stride;
        for (int64_t i = 0; i < cin; i++) dst[i] = accumulate ? dst[i] + acc[i] : acc[i];
    }
}

static size_t ref_conv_backward_weights_scratch(void *user, const inception_conv_desc *d,
                                                const inception_view *x,
                                                const inception_view *dy, int32_t parts) {
    return 0;
}

/* dW[co][ky][kx][ci] = sum over the output pixels (n, oy, ox) in order of
 * x[n, iy, ix, ci] * dy[n, oy, ox, co]. Parts split the output channels co. */
static void ref_conv_backward_weights(void *user, const inception_conv_desc *d,
                                      const inception_view *x, const inception_view *dy,
                                      float *dweights, int32_t part, int32_t parts,
                                      void *scratch) {
    const int64_t cin = d->in_channels;
    const size_t taps = (size_t)d->kernel_h * d->kernel_w;
    int64_t begin, end;
    part_range(d->out_channels, part, parts, &begin, &end);
    for (int64_t o = begin; o < end; o++)
        for (int32_t ky = 0; ky < d->kernel_h; ky++)
            for (int32_t kx = 0; kx < d->kernel_w; kx++) {
                float *dw = dweights + ((size_t)o * taps + (size_t)ky * d->kernel_w + kx) * cin;
                for (int64_t i = 0; i < cin; i++) dw[i] = 0.0f;
                for (int64_t n = 0; n < dy->n; n++)
                    for (int64_t oy = 0; oy < dy->h; oy++) {
                        int64_t iy = oy * d->stride_h - d->pad_h + ky;
                        if (iy < 0 || iy >= x->h) continue;
                        for (int64_t ox = 0; ox < dy->w; ox++) {
                            int64_t ix = ox * d->stride_w - d->pad_w + kx;
                            if (ix < 0 || ix >= x->w) continue;
                            const float g =
                                dy->data[((n * dy->h + oy) * dy->w + ox) * dy->pixel_stride + o];
                            const float *px = x->data + ((n * x->h + iy) * x->w + ix) * x->pixel_stride;
                            for (int64_t i = 0; i < cin; i++) dw[i] += g * px[i];
                        }
                    }
            }
}

/* The divisor of the average over output window (oy, ox), as in ref_avg_pool. */
static int64_t avg_divisor(const inception_pool_desc *d, const inception_view *in, int64_t oy,
                           int64_t ox) {
    int64_t y0 = oy * d->stride_h - d->pad_h, x0 = ox * d->stride_w - d->pad_w;
    int64_t y1 = y0 + d->kernel_h, x1 = x0 + d->kernel_w;
    if (y1 > in->h + d->pad_h) y1 = in->h + d->pad_h;
    if (x1 > in->w + d->pad_w) x1 = in->w + d->pad_w;
    if (d->count_include_pad) return (y1 - y0) * (x1 - x0);
    if (y0 < 0) y0 = 0;
    if (x0 < 0) x0 = 0;
    if (y1 > in->h) y1 = in->h;
    if (x1 > in->w) x1 = in->w;
    return (y1 - y0) * (x1 - x0);
}

/* dx[n, iy, ix, c] = sum over the windows (in (ky, kx) order of the tap that reaches the
 * pixel) that it wins of dy. Parts split the pixels of dx. */
static void ref_max_pool_backward(void *user, const inception_pool_desc *d,
                                  const inception_view *x, const inception_view *dy,
                                  const inception_view *dx, int32_t accumulate, int32_t part,
                                  int32_t parts) {
    int64_t begin, end;
    part_range(dx->n * dx->h * dx->w, part, parts, &begin, &end);
    float acc[INC_MAXPOOL_CHUNK];
    int32_t win[INC_MAXPOOL_CHUNK];
    for (int64_t m = begin; m < end; m++) {
        int64_t ix = m % dx->w, iy = (m / dx->w) % dx->h, n = m / (dx->w * dx->h);
        float *dst = dx->data + m * dx->pixel_stride;
        for (int64_t c0 = 0; c0 < dx->c; c0 += INC_MAXPOOL_CHUNK) {
            int64_t nc = dx->c - c0 < INC_MAXPOOL_CHUNK ? dx->c - c0 : INC_MAXPOOL_CHUNK;
            for (int64_t c = 0; c < nc; c++) acc[c] = 0.0f;
            for (int32_t ky = 0; ky < d->kernel_h; ky++) {
                int64_t oy = inc_window_of(iy, ky, d->stride_h, d->pad_h, dy->h);
                if (oy < 0) continue;
                for (int32_t kx = 0; kx < d->kernel_w; kx++) {
                    int64_t ox = inc_window_of(ix, kx, d->stride_w, d->pad_w, dy->w);
                    if (ox < 0) continue;
                    /* this pixel is tap (ky, kx) of window (oy, ox) */
                    inc_max_winners(d, x, n, oy, ox, c0, nc, win);
                    const float *g = dy->data + ((n * dy->h + oy) * dy->w + ox) * dy->pixel_stride + c0;
                    int32_t me = ky * d->kernel_w + kx;
                    for (int64_t c = 0; c < nc; c++)
                        if (win[c] == me) acc[c] += g[c];
                }
            }
            for (int64_t c = 0; c < nc; c++)
                dst[c0 + c] = accumulate ? dst[c0 + c] + acc[c] : acc[c];
        }
    }
}

/* dx[n, iy, ix, c] = sum over the windows covering the pixel, in (ky, kx) order of the tap
 * that reaches it, of dy / the window's divisor. Parts split the pixels of dx. */
static void ref_avg_pool_backward(void *user, const inception_pool_desc *d,
                                  const inception_view *dy, const inception_view *dx,
                                  int32_t accumulate, int32_t part, int32_t parts) {
    int64_t begin, end;
    part_range(dx->n * dx->h * dx->w, part, parts, &begin, &end);
    for (int64_t m = begin; m < end; m++) {
        int64_t ix = m % dx->w, iy = (m / dx->w) % dx->h, n = m / (dx->w * dx->h);
        float *dst = dx->data + m * dx->pixel_stride;
        if (!accumulate)
            for (int64_t c = 0; c < dx->c; c++) dst[c] = 0.0f;
        for (int32_t ky = 0; ky < d->kernel_h; ky++) {
            int64_t oy = inc_window_of(iy, ky, d->stride_h, d->pad_h, dy->h);
            if (oy < 0) continue;
            for (int32_t kx = 0; kx < d->kernel_w; kx++) {
                int64_t ox = inc_window_of(ix, kx, d->stride_w, d->pad_w, dy->w);
                if (ox < 0) continue;
                int64_t count = avg_divisor(d, dx, oy, ox);
                float scale = count > 0 ? 1.0f / (float)count : 0.0f;
                const float *g = dy->data + ((n * dy->h + oy) * dy->w + ox) * dy->pixel_stride;
                for (int64_t c = 0; c < dx->c; c++) dst[c] += g[c] * scale;
            }
        }
    }
}

const inception_backend_train inc_ref_train = {
    .abi_version = INCEPTION_BACKEND_TRAIN_ABI_VERSION,
    .struct_size = sizeof(inception_backend_train),
    .user = NULL,
    .conv_backward_data_scratch = ref_conv_backward_data_scratch,
    .conv_backward_data = ref_conv_backward_data,
    .conv_backward_weights_scratch = ref_conv_backward_weights_scratch,
    .conv_backward_weights = ref_conv_backward_weights,
    .max_pool_backward = ref_max_pool_backward,
    .avg_pool_backward = ref_avg_pool_backward,
};

static const char *ref_isa(void *user) {
    (void)user;
    return "c";
}

const inc_backend_desc inc_backend_ref = {&inc_ref_table, 1, ref_isa, &inc_ref_train};

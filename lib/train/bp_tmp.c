/* Plain backward loops with the signatures of BACKPROP_API.md's inception_backend_train
 * members. TEMPORARY: used until branch bp-kernels (lib/backends) lands its table; then
 * scope.c calls inc_backend_train_ops() and this file goes. Sums run in a fixed order. */
#include <string.h>

#include "train/scope.h"

static float *px(const inception_view *v, int64_t n, int64_t y, int64_t x) {
    return v->data + ((n * v->h + y) * v->w + x) * v->pixel_stride;
}

void inc_bp_conv_backward_data(void *user, const inception_conv_desc *d, const float *wt,
                               const inception_view *dy, const inception_view *dx,
                               int32_t accumulate, int32_t part, int32_t parts, void *scratch) {
    (void)user, (void)scratch;
    int64_t ci = d->in_channels, co = d->out_channels;
    int64_t n0 = dx->n * part / parts, n1 = dx->n * (part + 1) / parts;
    for (int64_t n = n0; n < n1; n++) {
        if (!accumulate)
            for (int64_t y = 0; y < dx->h; y++)
                for (int64_t x = 0; x < dx->w; x++) memset(px(dx, n, y, x), 0, (size_t)ci * sizeof(float));
        for (int64_t oy = 0; oy < dy->h; oy++)
            for (int64_t ox = 0; ox < dy->w; ox++) {
                const float *g = px(dy, n, oy, ox);
                for (int32_t ky = 0; ky < d->kernel_h; ky++) {
                    int64_t iy = oy * d->stride_h - d->pad_h + ky;
                    if (iy < 0 || iy >= dx->h) continue;
                    for (int32_t kx = 0; kx < d->kernel_w; kx++) {
                        int64_t ix = ox * d->stride_w - d->pad_w + kx;
                        if (ix < 0 || ix >= dx->w) continue;
                        float *o = px(dx, n, iy, ix);
                        for (int64_t c = 0; c < co; c++) {
                            float gc = g[c];
                            if (gc == 0.0f) continue;
                            const float *w = wt + ((c * d->kernel_h + ky) * d->kernel_w + kx) * ci;
                            for (int64_t i = 0; i < ci; i++) o[i] += gc * w[i];
                        }
                    }
                }
            }
    }
}

void inc_bp_conv_backward_weights(void *user, const inception_conv_desc *d,
                                  const inception_view *xv, const inception_view *dy,
                                  float *dw, int32_t part, int32_t parts, void *scratch) {
    (void)user;
    int64_t ci = d->in_channels, co = d->out_channels, kk = (int64_t)d->kernel_h * d->kernel_w;
    int64_t c0 = co * part / parts, c1 = co * (part + 1) / parts;
    double *acc = scratch; /* kk * ci doubles */
    for (int64_t c = c0; c < c1; c++) {
        memset(acc, 0, (size_t)(kk * ci) * sizeof(double));
        for (int64_t n = 0; n < dy->n; n++)
            for (int64_t oy = 0; oy < dy->h; oy++)
                for (int64_t ox = 0; ox < dy->w; ox++) {
                    double g = px(dy, n, oy, ox)[c];
                    if (g == 0.0) continue;
                    for (int32_t ky = 0; ky < d->kernel_h; ky++) {
                        int64_t iy = oy * d->stride_h - d->pad_h + ky;
                        if (iy < 0 || iy >= xv->h) continue;
                        for (int32_t kx = 0; kx < d->kernel_w; kx++) {
                            int64_t ix = ox * d->stride_w - d->pad_w + kx;
                            if (ix < 0 || ix >= xv->w) continue;
                            const float *in = px(xv, n, iy, ix);
                            double *a = acc + (ky * d->kernel_w + kx) * ci;
                            for (int64_t i = 0; i < ci; i++) a[i] += g * (double)in[i];
                        }
                    }
                }
        for (int64_t i = 0; i < kk * ci; i++) dw[c * kk * ci + i] = (float)acc[i];
    }
}

size_t inc_bp_conv_backward_weights_scratch(const inception_conv_desc *d) {
    return (size_t)d->kernel_h * (size_t)d->kernel_w * (size_t)d->in_channels * sizeof(double);
}

void inc_bp_max_pool_backward(void *user, const inception_pool_desc *d, const inception_view *xv,
                              const inception_view *dy, const inception_view *dx,
                              int32_t accumulate, int32_t part, int32_t parts) {
    (void)user;
    int64_t C = dy->c, n0 = dx->n * part / parts, n1 = dx->n * (part + 1) / parts;
    for (int64_t n = n0; n < n1; n++) {
        if (!accumulate)
            for (int64_t y = 0; y < dx->h; y++)
                for (int64_t x = 0; x < dx->w; x++) memset(px(dx, n, y, x), 0, (size_t)C * sizeof(float));
        for (int64_t oy = 0; oy < dy->h; oy++)
            for (int64_t ox = 0; ox < dy->w; ox++)
                for (int64_t c = 0; c < C; c++) {
                    int64_t by = -1, bx = -1;
                    float best = 0;
                    for (int32_t ky = 0; ky < d->kernel_h; ky++) {
                        int64_t iy = oy * d->stride_h - d->pad_h + ky;
                        if (iy < 0 || iy >= xv->h) continue;
                        for (int32_t kx = 0; kx < d->kernel_w; kx++) {
                            int64_t ix = ox * d->stride_w - d->pad_w + kx;
                            if (ix < 0 || ix >= xv->w) continue;
                            float v = px(xv, n, iy, ix)[c];
                            if (by < 0 || v > best) best = v, by = iy, bx = ix;
                        }
                    }
                    if (by >= 0) px(dx, n, by, bx)[c] += px(dy, n, oy, ox)[c];
                }
    }
}

void inc_bp_avg_pool_backward(void *user, const inception_pool_desc *d, const inception_view *dy,
                              const inception_view *dx, int32_t accumulate, int32_t part,
                              int32_t parts) {
    (void)user;
    int64_t C = dy->c, n0 = dx->n * part / parts, n1 = dx->n * (part + 1) / parts;
    for (int64_t n = n0; n < n1; n++) {
        if (!accumulate)
            for (int64_t y = 0; y < dx->h; y++)
                for (int64_t x = 0; x < dx->w; x++) memset(px(dx, n, y, x), 0, (size_t)C * sizeof(float));
        for (int64_t oy = 0; oy < dy->h; oy++)
            for (int64_t ox = 0; ox < dy->w; ox++) {
                int64_t cnt = 0;
                if (d->count_include_pad) {
                    cnt = (int64_t)d->kernel_h * d->kernel_w;
                } else {
                    for (int32_t ky = 0; ky < d->kernel_h; ky++)
                        for (int32_t kx = 0; kx < d->kernel_w; kx++) {
                            int64_t iy = oy * d->stride_h - d->pad_h + ky, ix = ox * d->stride_w - d->pad_w + kx;
                            cnt += iy >= 0 && iy < dx->h && ix >= 0 && ix < dx->w;
                        }
                }
                const float *g = px(dy, n, oy, ox);
                float s = 1.0f / (float)cnt;
                for (int32_t ky = 0; ky < d->kernel_h; ky++) {
                    int64_t iy = oy * d->stride_h - d->pad_h + ky;
                    if (iy < 0 || iy >= dx->h) continue;
                    for (int32_t kx = 0; kx < d->kernel_w; kx++) {
                        int64_t ix = ox * d->stride_w - d->pad_w + kx;
                        if (ix < 0 || ix >= dx->w) continue;
                        float *o = px(dx, n, iy, ix);
                        for (int64_t c = 0; c < C; c++) o[c] += g[c] * s;
                    }
                }
            }
    }
}

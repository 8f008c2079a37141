/* lib/backends: may include lib/common and include/. */
/* Rules the backends' backward kernels must agree on (ref and simd), written once: which
 * output window a tap of an input pixel belongs to, and which tap wins a max-pool window.
 * Internal, not public ABI. */
#ifndef INC_BACKENDS_BACKWARD_H
#define INC_BACKENDS_BACKWARD_H

#include <math.h>
#include <stdint.h>

#include "inception/backend.h"

/* The output index o along one axis whose window puts tap k on input index i, or -1:
 * o * stride - pad + k == i with 0 <= o < out_size. */
static inline int64_t inc_window_of(int64_t i, int32_t k, int32_t stride, int32_t pad,
                                    int64_t out_size) {
    int64_t t = i + pad - k;
    if (t < 0 || t % stride != 0) return -1;
    return t / stride < out_size ? t / stride : -1;
}

/* Channels per pass of the max pool's backward (stack arrays; kernels never allocate). */
#define INC_MAXPOOL_CHUNK 64

/* For channels [c0, c0 + nc) of window (oy, ox), nc <= INC_MAXPOOL_CHUNK: the tap index
 * ky * kernel_w + kx of the winner, the first maximum in (ky, kx) order, a NaN taking over
 * as in the forward pass; with every value -inf the first real pixel wins (PyTorch's
 * rule). -1: no real pixel. */
static inline void inc_max_winners(const inception_pool_desc *d, const inception_view *x,
                                   int64_t n, int64_t oy, int64_t ox, int64_t c0, int64_t nc,
                                   int32_t *win) {
    float best[INC_MAXPOOL_CHUNK];
    for (int64_t c = 0; c < nc; c++) win[c] = -1, best[c] = -INFINITY;
    for (int32_t ky = 0; ky < d->kernel_h; ky++) {
        int64_t y = oy * d->stride_h - d->pad_h + ky;
        if (y < 0 || y >= x->h) continue;
        for (int32_t kx = 0; kx < d->kernel_w; kx++) {
            int64_t xx = ox * d->stride_w - d->pad_w + kx;
            if (xx < 0 || xx >= x->w) continue;
            const float *px = x->data + ((n * x->h + y) * x->w + xx) * x->pixel_stride + c0;
            int32_t tap = ky * d->kernel_w + kx;
            for (int64_t c = 0; c < nc; c++)
                if (win[c] < 0 || px[c] > best[c] || isnan(px[c])) win[c] = tap, best[c] = px[c];
        }
    }
}

#endif

/* BatchNorm's per-element loops of the scope (scope.c), over rows m of [M][stride] tensors
 * and channels [c0, c1). Built with -fno-trapping-math (lib/train/meson.build): without
 * it GCC keeps the ReLU masks' compares as branches and the loops scalar; the library
 * never enables floating-point traps. Baseline ISA: the same bits on every machine. */
#include "train/optim_update.h"

void inc_bn_rows_forward(int64_t M, int64_t zs, int64_t os, int64_t c0, int64_t c1, const float *z,
                         const double *restrict mean, const double *restrict a, const double *restrict b,
                         float *o) {
    for (int64_t m = 0; m < M; m++) {
        const float *restrict zr = z + m * zs;
        float *restrict orow = o + m * os;
        for (int64_t c = c0; c < c1; c++) {
            double v = ((double)zr[c] - mean[c]) * a[c] + b[c];
            float f = (float)v;
            orow[c] = f > 0.0f ? f : 0.0f;
        }
    }
}

void inc_bn_rows_sums(int64_t M, int64_t zs, int64_t ys, int64_t gs, int64_t c0, int64_t c1, const float *y,
                      const float *dy, const float *z, const float *restrict mu, const float *restrict is,
                      double *restrict sd, double *restrict sdx) {
    for (int64_t m = 0; m < M; m++) {
        const float *restrict ya = y + m * ys, *restrict yg = dy + m * gs, *restrict zr = z + m * zs;
        for (int64_t c = c0; c < c1; c++) {
            float g0 = yg[c], d = ya[c] > 0.0f ? g0 : 0.0f; /* a dead unit adds 0: no sum changes */
            float xh = (zr[c] - mu[c]) * is[c];
            sd[c] += (double)d;
            sdx[c] += (double)d * (double)xh;
        }
    }
}

void inc_bn_rows_dz(int64_t M, int64_t zs, int64_t ys, int64_t gs, int64_t c0, int64_t c1, const float *y,
                    const float *dy, const float *z, const float *restrict mu, const float *restrict is,
                    const float *restrict k1, const float *restrict k2, const float *restrict g, float *dz) {
    for (int64_t m = 0; m < M; m++) {
        const float *restrict ya = y + m * ys, *restrict yg = dy + m * gs, *restrict zr = z + m * zs;
        float *restrict o = dz + m * zs;
        for (int64_t c = c0; c < c1; c++) {
            float g0 = yg[c], d = ya[c] > 0.0f ? g0 : 0.0f;
            float xh = (zr[c] - mu[c]) * is[c];
            o[c] = g[c] * (d - (k1[c] + xh * k2[c]));
        }
    }
}

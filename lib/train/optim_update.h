/* Elementwise loops built with their own flags (lib/train/meson.build): the optimizer's
 * fused update (optim_update.c, for optim.c) and BatchNorm's rows (bn_rows.c, for scope.c). */
#ifndef INC_OPTIM_UPDATE_H
#define INC_OPTIM_UPDATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct inc_update {
    int kind;             /* 0 SGD, 1 RMSProp (TF's epsilon), 2 RMSProp (PyTorch's) */
    int decay, clip, ema; /* apply weight_decay, scale, ema_decay */
    double lr, momentum, rms_decay, epsilon, ema_decay;
    float weight_decay, scale;
} inc_update;

/* One step over n elements: g (as the backward pass left it) + decay * w, times scale,
 * updates w and the slots ms, mom, then the moving average sh of the new w. */
void inc_update_run(const inc_update *u, size_t n, float *w, const float *g, float *ms, float *mom,
                    float *sh);
/* Sum of squares of g + wd * w (float32 sum as the update sees it), in double. */
double inc_update_sumsq(const float *g, const float *w, float wd, size_t n);

/* y = relu(float((z - mean) a + b)) per element, in double. zs, os: row strides. */
void inc_bn_rows_forward(int64_t M, int64_t zs, int64_t os, int64_t c0, int64_t c1, const float *z,
                         const double *mean, const double *a, const double *b, float *o);
/* With d = dy where y > 0 (else 0) and xhat = (z - mu) is in float: sd += d, sdx += d xhat
 * per channel, rows in order, in double. */
void inc_bn_rows_sums(int64_t M, int64_t zs, int64_t ys, int64_t gs, int64_t c0, int64_t c1, const float *y,
                      const float *dy, const float *z, const float *mu, const float *is, double *sd,
                      double *sdx);
/* dz = g (d - (k1 + xhat k2)) per element in float; dz has z's row stride. */
void inc_bn_rows_dz(int64_t M, int64_t zs, int64_t ys, int64_t gs, int64_t c0, int64_t c1, const float *y,
                    const float *dy, const float *z, const float *mu, const float *is, const float *k1,
                    const float *k2, const float *g, float *dz);

#endif

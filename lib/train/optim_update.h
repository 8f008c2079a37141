/* The optimizer's fused elementwise update (optim_update.c), called by optim.c per slice. */
#ifndef INC_OPTIM_UPDATE_H
#define INC_OPTIM_UPDATE_H

#include <stddef.h>

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

#endif

/* The optimizer's elementwise update in one pass over each parameter slice: weight decay
 * and the clipping scale into the gradient, the RMSProp/SGD update, the EMA of the new
 * value. Built with -fno-math-errno (lib/train/meson.build) so the sqrt does not keep the
 * loops scalar; plain C at the baseline ISA, so every machine computes the same bits. The
 * RMSProp denominator is float32 (as PyTorch's; double there made the pass compute-bound),
 * the rest double as before. */
#include <math.h>

#include "train/optim_update.h"

/* flags are constants at each call below, so every combination compiles to its own loop */
static inline __attribute__((always_inline)) void upd(const inc_update *u, int kind, int decay, int clip,
                                                      int ema, int mom_on, size_t n, float *restrict w,
                                                      const float *restrict g, float *restrict ms,
                                                      float *restrict mom, float *restrict sh) {
    const double mu = u->momentum, lr = u->lr, rho1 = 1.0 - u->rms_decay, rho = u->rms_decay,
                 e1 = 1.0 - u->ema_decay;
    const float wd = u->weight_decay, sc = u->scale, epsf = (float)u->epsilon;
    for (size_t i = 0; i < n; i++) {
        float gf = g[i];
        if (decay) gf += wd * w[i];
        if (clip) gf *= sc;
        double gi = gf;
        float nw;
        if (kind == 0) { /* torch.optim.SGD (dampening 0) and TF's MomentumOptimizer */
            float b = (float)(mu * (double)ms[i] + gi);
            ms[i] = b;
            nw = (float)((double)w[i] - lr * (double)b);
        } else if (kind == 1) { /* TF ApplyRMSProp */
            float m = (float)((double)ms[i] + (gi * gi - (double)ms[i]) * rho1);
            ms[i] = m;
            float r = gf / sqrtf(m + epsf); /* float32, as PyTorch's: 4 lanes per sqrt */
            float v = (float)(mu * (double)mom[i] + lr * (double)r);
            mom[i] = v;
            nw = (float)((double)w[i] - (double)v);
        } else { /* torch.optim.RMSprop */
            float m = (float)(rho * (double)ms[i] + rho1 * gi * gi);
            ms[i] = m;
            double d = gf / (sqrtf(m) + epsf);
            if (mom_on) {
                float b = (float)(mu * (double)mom[i] + d);
                mom[i] = b;
                d = b;
            }
            nw = (float)((double)w[i] - lr * d);
        }
        w[i] = nw;
        if (ema) sh[i] = (float)((double)sh[i] - e1 * ((double)sh[i] - (double)nw));
    }
}

#define UPD(kind, mom_on)                                                                      \
    switch ((u->decay ? 4 : 0) | (u->clip ? 2 : 0) | (u->ema ? 1 : 0)) {                    \
    case 0: upd(u, kind, 0, 0, 0, mom_on, n, w, g, ms, mom, sh); break;                     \
    case 1: upd(u, kind, 0, 0, 1, mom_on, n, w, g, ms, mom, sh); break;                     \
    case 2: upd(u, kind, 0, 1, 0, mom_on, n, w, g, ms, mom, sh); break;                     \
    case 3: upd(u, kind, 0, 1, 1, mom_on, n, w, g, ms, mom, sh); break;                     \
    case 4: upd(u, kind, 1, 0, 0, mom_on, n, w, g, ms, mom, sh); break;                     \
    case 5: upd(u, kind, 1, 0, 1, mom_on, n, w, g, ms, mom, sh); break;                     \
    case 6: upd(u, kind, 1, 1, 0, mom_on, n, w, g, ms, mom, sh); break;                     \
    default: upd(u, kind, 1, 1, 1, mom_on, n, w, g, ms, mom, sh); break;                    \
    }

void inc_update_run(const inc_update *u, size_t n, float *w, const float *g, float *ms, float *mom,
                    float *sh) {
    if (u->kind == 0) {
        UPD(0, 0)
    } else if (u->kind == 1) {
        UPD(1, 0)
    } else if (u->momentum > 0) {
        UPD(2, 1)
    } else {
        UPD(2, 0)
    }
}

double inc_update_sumsq(const float *g, const float *w, float wd, size_t n) {
    /* four interleaved double accumulators, combined in a fixed order */
    double a[4] = {0, 0, 0, 0};
    size_t i = 0;
    if (wd != 0.0f) {
        for (; i + 4 <= n; i += 4)
            for (int k = 0; k < 4; k++) {
                float v = g[i + k] + wd * w[i + k];
                a[k] += (double)v * (double)v;
            }
        for (; i < n; i++) {
            float v = g[i] + wd * w[i];
            a[0] += (double)v * (double)v;
        }
    } else {
        for (; i + 4 <= n; i += 4)
            for (int k = 0; k < 4; k++) a[k] += (double)g[i + k] * (double)g[i + k];
        for (; i < n; i++) a[0] += (double)g[i] * (double)g[i];
    }
    return (a[0] + a[1]) + (a[2] + a[3]);
}

/* Loss, gradients, clipping, optimizers and the moving average over a parameter list.
 * Loops run in a fixed order with double accumulators, so a result does not depend on
 * the thread count or the machine's SIMD width beyond float32 rounding of the stores. */
#include <math.h>
#include <string.h>

#include "train/train.h"

inception_status inc_param_alloc(inc_param *p, const inc_optim_cfg *cfg) {
    size_t bytes;
    if (!inc_mul_size(p->count, sizeof(float), &bytes))
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "parameter %s is too large", p->name);
    p->value = inc_calloc(p->count, sizeof(float));
    p->grad = inc_calloc(p->count, sizeof(float));
    p->ema = inc_calloc(p->count, sizeof(float));
    p->slot[0] = inc_calloc(p->count, sizeof(float));
    p->slot[1] = inc_calloc(p->count, sizeof(float));
    if (!p->value || !p->grad || !p->ema || !p->slot[0] || !p->slot[1]) {
        inc_param_free(p);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating parameter %s (%zu bytes x 5)",
                         p->name, bytes);
    }
    if (cfg->kind == INC_OPT_RMSPROP && cfg->tf_epsilon)
        for (size_t i = 0; i < p->count; i++) p->slot[0][i] = 1.0f; /* TF's ms initialiser */
    return INCEPTION_OK;
}

void inc_param_free(inc_param *p) {
    inc_free(p->value);
    inc_free(p->grad);
    inc_free(p->ema);
    inc_free(p->slot[0]);
    inc_free(p->slot[1]);
    p->value = p->grad = p->ema = p->slot[0] = p->slot[1] = NULL;
}

void inc_fc_forward(const float *w, const float *b, const float *f, int64_t n, int64_t k,
                    int64_t d, float *logits) {
    for (int64_t i = 0; i < n; i++) {
        const float *x = f + i * d;
        for (int64_t c = 0; c < k; c++) {
            const float *wr = w + c * d;
            double acc = 0.0;
            for (int64_t j = 0; j < d; j++) acc += (double)wr[j] * (double)x[j];
            logits[i * k + c] = (float)(acc + (double)b[c]);
        }
    }
}

void inc_fc_backward(const float *f, const float *dz, int64_t n, int64_t k, int64_t d,
                     float *gw, float *gb) {
    double acc[INC_FEATURES_DIM];
    for (int64_t c = 0; c < k; c++) {
        double sb = 0.0;
        for (int64_t j = 0; j < d; j++) acc[j] = 0.0;
        for (int64_t i = 0; i < n; i++) { /* samples in order: the same sum on any machine */
            double z = dz[i * k + c];
            sb += z;
            const float *x = f + i * d;
            for (int64_t j = 0; j < d; j++) acc[j] += z * (double)x[j];
        }
        gb[c] = (float)sb;
        for (int64_t j = 0; j < d; j++) gw[c * d + j] = (float)acc[j];
    }
}

double inc_loss_smoothed(const float *logits, const int32_t *labels, int64_t n, int64_t k,
                         double eps, float *dlogits) {
    double total = 0.0, off = eps / (double)k, on = 1.0 - eps + off;
    for (int64_t i = 0; i < n; i++) {
        const float *z = logits + i * k;
        double m = z[0];
        for (int64_t c = 1; c < k; c++) m = z[c] > m ? z[c] : m;
        double s = 0.0;
        for (int64_t c = 0; c < k; c++) s += exp((double)z[c] - m);
        double lse = m + log(s), qz = 0.0;
        for (int64_t c = 0; c < k; c++) {
            double q = c == labels[i] ? on : off;
            qz += q * (double)z[c];
            if (dlogits) dlogits[i * k + c] = (float)((exp((double)z[c] - lse) - q) / (double)n);
        }
        total += lse - qz; /* sum_k q_k = 1 */
    }
    return total / (double)n;
}

double inc_grad_finish(inc_param *params, int32_t n_params, const inc_optim_cfg *cfg) {
    double sq = 0.0;
    for (int32_t p = 0; p < n_params; p++) {
        inc_param *q = &params[p];
        if (q->buffer || q->idle) continue;
        if (q->decay && cfg->weight_decay > 0) {
            float wd = (float)cfg->weight_decay;
            for (size_t i = 0; i < q->count; i++) q->grad[i] += wd * q->value[i];
        }
        for (size_t i = 0; i < q->count; i++) sq += (double)q->grad[i] * (double)q->grad[i];
    }
    double norm = sqrt(sq);
    if (cfg->clip_norm > 0 && norm > cfg->clip_norm && isfinite(norm)) {
        /* TF's clip_by_global_norm: g * clip / max(norm, clip) */
        float scale = (float)(cfg->clip_norm / norm);
        for (int32_t p = 0; p < n_params; p++)
            if (!params[p].buffer && !params[p].idle)
                for (size_t i = 0; i < params[p].count; i++) params[p].grad[i] *= scale;
    }
    return norm;
}

double inc_ema_decay_at(double decay, int64_t step) {
    double warm = (1.0 + (double)step) / (10.0 + (double)step);
    return decay < warm ? decay : warm;
}

void inc_optim_step(inc_param *params, int32_t n_params, const inc_optim_cfg *cfg, double lr,
                    int64_t step) {
    double mu = cfg->momentum;
    for (int32_t p = 0; p < n_params; p++) {
        inc_param *q = &params[p];
        if (q->idle) continue;
        if (q->buffer) { /* BN running statistics: updated by the forward pass, not averaged */
            memcpy(q->ema, q->value, q->count * sizeof(float));
            continue;
        }
        float *w = q->value, *g = q->grad, *ms = q->slot[0], *mom = q->slot[1];
        if (cfg->kind == INC_OPT_SGD) {
            for (size_t i = 0; i < q->count; i++) {
                /* torch.optim.SGD (dampening 0) and TF's MomentumOptimizer */
                float b = (float)(mu * (double)ms[i] + (double)g[i]);
                ms[i] = b;
                w[i] = (float)((double)w[i] - lr * (double)b);
            }
        } else if (cfg->tf_epsilon) {
            for (size_t i = 0; i < q->count; i++) {
                /* TF ApplyRMSProp: ms += (g^2 - ms)(1 - rho); mom = mu mom + lr g / sqrt(ms + eps) */
                double gi = g[i];
                float m = (float)((double)ms[i] + (gi * gi - (double)ms[i]) * (1.0 - cfg->rms_decay));
                ms[i] = m;
                float v = (float)(mu * (double)mom[i] + lr * gi / sqrt((double)m + cfg->epsilon));
                mom[i] = v;
                w[i] = (float)((double)w[i] - (double)v);
            }
        } else {
            for (size_t i = 0; i < q->count; i++) {
                /* torch.optim.RMSprop: avg = sqrt(ms) + eps; buf = mu buf + g / avg; w -= lr buf */
                double gi = g[i];
                float m = (float)(cfg->rms_decay * (double)ms[i] + (1.0 - cfg->rms_decay) * gi * gi);
                ms[i] = m;
                double upd = gi / (sqrt((double)m) + cfg->epsilon);
                if (mu > 0) {
                    float b = (float)(mu * (double)mom[i] + upd);
                    mom[i] = b;
                    upd = b;
                }
                w[i] = (float)((double)w[i] - lr * upd);
            }
        }
        if (cfg->ema_decay > 0) {
            double d = inc_ema_decay_at(cfg->ema_decay, step);
            /* TF: shadow -= (1 - decay) * (shadow - value) */
            for (size_t i = 0; i < q->count; i++)
                q->ema[i] = (float)((double)q->ema[i] - (1.0 - d) * ((double)q->ema[i] - (double)w[i]));
        }
    }
}

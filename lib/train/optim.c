/* Loss, gradients, clipping, optimizers and the moving average over a parameter list.
 * Loops run in a fixed order with double accumulators, so a result does not depend on
 * the thread count or the machine's SIMD width beyond float32 rounding of the stores. */
#include <math.h>
#include <string.h>

#include "graph/pool.h"
#include "train/optim_update.h"
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

/* The optimizer's elementwise work over the pool: each part takes the same slice of every
 * tensor, so no result depends on the thread count. */
typedef struct opt_job {
    inc_param *params;
    int32_t n_params;
    const inc_optim_cfg *cfg;
    int32_t parts;
    double lr;
    int64_t step;
    float scale;       /* the clipping scale, 0 = none */
    double *sq;        /* grad_finish: per tensor sum of squares */
} opt_job;

static void elem_range(size_t count, int32_t part, int32_t parts, size_t *i0, size_t *i1) {
    /* in whole cache lines, so parts never share one */
    size_t lines = (count + 15) / 16;
    *i0 = lines * (size_t)part / (size_t)parts * 16, *i1 = lines * (size_t)(part + 1) / (size_t)parts * 16;
    if (*i0 > count) *i0 = count;
    if (*i1 > count) *i1 = count;
}

static void run(inc_pool *pool, inc_pool_fn fn, opt_job *j) {
    if (j->parts > 1) inc_pool_run(pool, fn, j);
    else fn(j, 0);
}

/* Each tensor's sum of squares of its gradient with weight decay (a tensor's sum in one
 * fixed order), tensors spread over the parts by size. The decay and the clipping scale
 * are applied by the update (optim_update.c), so the gradient is read here once and not
 * written. */
static void finish_part(void *ctx, int32_t part) {
    const opt_job *j = ctx;
    size_t total = 0, before = 0;
    for (int32_t p = 0; p < j->n_params; p++)
        if (!j->params[p].buffer) total += j->params[p].count;
    for (int32_t p = 0; p < j->n_params; p++) {
        inc_param *q = &j->params[p];
        if (q->buffer) continue;
        int32_t owner = (int32_t)((double)before / (double)total * j->parts);
        before += q->count;
        if (owner != part || q->idle) continue;
        float wd = q->decay && j->cfg->weight_decay > 0 ? (float)j->cfg->weight_decay : 0.0f;
        j->sq[p] = inc_update_sumsq(q->grad, q->value, wd, q->count);
    }
}

double inc_grad_finish(inc_param *params, int32_t n_params, const inc_optim_cfg *cfg, inc_pool *pool,
                       float *scale) {
    double sq[INC_GRAD_MAX_TENSORS] = {0};
    if (n_params > INC_GRAD_MAX_TENSORS) n_params = INC_GRAD_MAX_TENSORS; /* callers stay below */
    opt_job j = {params, n_params, cfg, pool ? inc_pool_threads(pool) : 1, 0, 0, 0, sq};
    run(pool, finish_part, &j);
    double total = 0.0;
    for (int32_t p = 0; p < n_params; p++) total += sq[p];
    double norm = sqrt(total);
    *scale = 0.0f;
    /* TF's clip_by_global_norm: g * clip / max(norm, clip) */
    if (cfg->clip_norm > 0 && norm > cfg->clip_norm && isfinite(norm)) *scale = (float)(cfg->clip_norm / norm);
    return norm;
}

double inc_ema_decay_at(double decay, int64_t step) {
    double warm = (1.0 + (double)step) / (10.0 + (double)step);
    return decay < warm ? decay : warm;
}

static void optim_part(void *ctx, int32_t part) {
    const opt_job *j = ctx;
    const inc_optim_cfg *cfg = j->cfg;
    inc_update u = {cfg->kind == INC_OPT_SGD ? 0 : cfg->tf_epsilon ? 1 : 2, 0, j->scale != 0.0f,
                    cfg->ema_decay > 0, j->lr, cfg->momentum, cfg->rms_decay, cfg->epsilon,
                    cfg->ema_decay > 0 ? inc_ema_decay_at(cfg->ema_decay, j->step) : 0.0,
                    (float)cfg->weight_decay, j->scale};
    for (int32_t p = 0; p < j->n_params; p++) {
        inc_param *q = &j->params[p];
        size_t i0, i1;
        elem_range(q->count, part, j->parts, &i0, &i1);
        if (i0 == i1 || q->idle) continue;
        if (q->buffer) { /* BN running statistics: updated by the forward pass, not averaged */
            memcpy(q->ema + i0, q->value + i0, (i1 - i0) * sizeof(float));
            continue;
        }
        u.decay = q->decay && cfg->weight_decay > 0;
        inc_update_run(&u, i1 - i0, q->value + i0, q->grad + i0, q->slot[0] + i0, q->slot[1] + i0,
                       q->ema + i0);
    }
}

void inc_optim_step(inc_param *params, int32_t n_params, const inc_optim_cfg *cfg, double lr,
                    int64_t step, float scale, inc_pool *pool) {
    opt_job j = {params, n_params, cfg, pool ? inc_pool_threads(pool) : 1, lr, step, scale, NULL};
    run(pool, optim_part, &j);
}

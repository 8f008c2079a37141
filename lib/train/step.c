/* Training steps, evaluation and the trainer's queries. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "train/trainer_impl.h"

#define FAIL(t, expr) return inc_trainer_fail((t), (expr))

static double lr_at(const inception_trainer *t) {
    if (!t->exp_schedule || t->o.epoch_size <= 0) return t->o.lr;
    /* TF-slim's staircase exponential_decay, counted in examples rather than steps so a
     * short last batch of an epoch does not shift the schedule */
    double epochs = (double)t->examples / (double)t->o.epoch_size;
    return t->o.lr * pow(t->o.lr_decay, floor(epochs / t->o.lr_decay_epochs));
}

static inception_status check_labels(const inception_trainer *t, const int32_t *labels, int64_t n) {
    if (!labels) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "labels is NULL");
    for (int64_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= t->K)
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "label %d of example %lld is outside [0, %d)",
                             (int)labels[i], (long long)i, (int)t->K);
    return INCEPTION_OK;
}

/* The gradients of a step whose loss was finite: global norm, clipping and the optimizer
 * update, then the step's counters. Nothing changes if the norm is not finite. */
static inception_status apply_gradients(inception_trainer *t, int64_t n, double loss) {
    float scale;
    double norm = inc_grad_finish(t->params, t->n_params, &t->cfg, inc_session_pool(t->session), &scale);
    if (!isfinite(norm))
        return inc_error(INCEPTION_ERR_NUMERIC, "step %lld: the gradient norm is not finite; the parameters were not updated",
                         (long long)t->step + 1);
    inc_optim_step(t->params, t->n_params, &t->cfg, lr_at(t), t->step, scale, inc_session_pool(t->session));
    t->step++;
    t->examples += n;
    t->last_loss = loss;
    t->grad_norm = norm;
    return INCEPTION_OK;
}

/* One optimizer step on n feature rows. Nothing changes on failure. */
static inception_status train_core(inception_trainer *t, const float *f, const int32_t *labels,
                                   int64_t n, float *loss_out) {
    inception_status st = check_labels(t, labels, n);
    if (st) return st;
    if (n < 1) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "empty batch");
    size_t nk = (size_t)n * (size_t)t->K;
    float *logits = inc_malloc(2 * nk * sizeof(float));
    if (!logits) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "logits for a batch of %lld", (long long)n);
    float *dz = logits + nk;
    inc_param *w = &t->params[0], *b = &t->params[1];
    inc_fc_forward(w->value, b->value, f, n, t->K, INC_FEATURES_DIM, logits);
    double loss = inc_loss_smoothed(logits, labels, n, t->K, t->o.smoothing, dz);
    if (!isfinite(loss)) {
        inc_free(logits);
        return inc_error(INCEPTION_ERR_NUMERIC, "step %lld: the loss is %s (non-finite features or a diverged head; "
                         "try a lower TRAIN_LR); the parameters were not updated",
                         (long long)t->step + 1, isnan(loss) ? "NaN" : "infinite");
    }
    inc_fc_backward(f, dz, n, t->K, INC_FEATURES_DIM, w->grad, b->grad);
    inc_free(logits);
    if ((st = apply_gradients(t, n, loss))) return st;
    if (loss_out) *loss_out = (float)loss;
    return INCEPTION_OK;
}

/* One optimizer step of the scope on an image batch (or, for scope fc, never called). */
static inception_status scope_core(inception_trainer *t, const inception_tensor *in,
                                   const int32_t *labels, float *loss_out) {
    const float *x;
    int64_t n, h, w;
    inception_status st = inc_trainer_scope_input(t, in, &x, &n, &h, &w);
    if (st) return st;
    if ((st = check_labels(t, labels, n))) return st;
    if ((st = inc_scope_plan(t->scope, n, h, w, t->max_memory))) return st;
    if (t->aux_explicit && inc_scope_has_aux(t->scope) && !inc_scope_aux_fits(t->scope))
        return inc_error(INCEPTION_ERR_SHAPE,
                         "TRAIN_AUX_WEIGHT %g: the aux head needs Mixed_6e of at least 17x17 (images of about 299x299); "
                         "these %lldx%lld images are too small: set TRAIN_AUX_WEIGHT to 0 (off) or leave it unset "
                         "(on where the images allow)", t->aux_weight,
                         (long long)in->dims[in->layout == INCEPTION_LAYOUT_NCHW ? 2 : 1],
                         (long long)in->dims[in->layout == INCEPTION_LAYOUT_NCHW ? 3 : 2]);
    double loss, aux;
    if ((st = inc_scope_train(t->scope, t->params, x, labels, t->K, t->o.smoothing, t->step, &loss, &aux))) return st;
    if (!isfinite(loss))
        return inc_error(INCEPTION_ERR_NUMERIC, "step %lld: the loss is %s (try a lower TRAIN_LR); the parameters were not updated",
                         (long long)t->step + 1, isnan(loss) ? "NaN" : "infinite");
    if ((st = apply_gradients(t, n, loss))) return st;
    t->aux_active = inc_scope_aux_fits(t->scope);
    t->aux_loss = aux;
    if ((st = inc_scope_repack(t->scope, t->params, 0))) return st;
    if (loss_out) *loss_out = (float)loss;
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_trainer_train_batch(inception_trainer *t,
                                                             const inception_tensor *input,
                                                             const int32_t *labels, float *loss) {
    inc_error_clear();
    if (!t) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer is NULL");
    if (t->scope) FAIL(t, scope_core(t, input, labels, loss));
    const float *f;
    int64_t n;
    inception_status st = inc_trainer_tensor_features(t, input, &f, &n);
    if (st) FAIL(t, st);
    FAIL(t, train_core(t, f, labels, n, loss));
}

/* Below the head: one step on the readable ones of n files (all unreadable: *m = 0). */
static inception_status scope_files(inception_trainer *t, const char *const *paths,
                                    const int32_t *labels, int64_t n, int32_t view,
                                    int64_t *m_out, float *loss) {
    size_t px = (size_t)t->in_h * t->in_w * 3;
    int64_t dims[4] = {n, t->in_h, t->in_w, 3};
    inception_tensor *batch = NULL;
    inception_status st = inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NHWC, dims, 4, &batch);
    if (st) return st;
    int32_t *lab = inc_malloc((size_t)n * sizeof *lab), *views = inc_malloc((size_t)n * sizeof *views);
    uint8_t *ok = inc_malloc((size_t)n);
    if (!lab || !views || !ok) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "a batch of %lld files", (long long)n);
    for (int64_t i = 0; !st && i < n; i++) views[i] = view;
    if (!st) st = inc_trainer_file_images(t, paths, views, n, batch->data, ok);
    int64_t m = 0;
    float *d = batch ? batch->data : NULL;
    for (int64_t i = 0; !st && i < n; i++) {
        if (!ok[i]) continue;
        if (m != i) memmove(d + (size_t)m * px, d + (size_t)i * px, px * sizeof(float));
        lab[m++] = labels[i];
    }
    *m_out = m;
    if (!st && m > 0) {
        batch->dims[0] = m;
        batch->bytes = (size_t)m * px * sizeof(float);
        st = scope_core(t, batch, lab, loss);
    }
    inc_free(lab);
    inc_free(views);
    inc_free(ok);
    inception_tensor_free(batch);
    return st;
}

/* Features of files, compacted to the readable ones: *m rows in *f, labels in *lab. */
static inception_status files_compact(inception_trainer *t, const char *const *paths,
                                      const int32_t *labels, int64_t n, int32_t view,
                                      float **f_out, int32_t **lab_out, int64_t *m_out) {
    float *f = inc_malloc((size_t)n * INC_FEATURES_DIM * sizeof(float));
    int32_t *lab = inc_malloc((size_t)n * sizeof *lab), *views = inc_malloc((size_t)n * sizeof *views);
    uint8_t *ok = inc_malloc((size_t)n);
    inception_status st = INCEPTION_OK;
    if (!f || !lab || !views || !ok) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "a batch of %lld files", (long long)n);
    for (int64_t i = 0; st == INCEPTION_OK && i < n; i++) {
        if (!paths[i]) st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "path %lld is NULL", (long long)i);
        views[i] = view;
    }
    if (st == INCEPTION_OK) st = inc_trainer_file_features(t, paths, views, n, f, ok);
    int64_t m = 0;
    for (int64_t i = 0; st == INCEPTION_OK && i < n; i++) {
        if (!ok[i]) continue;
        if (m != i) memcpy(f + m * INC_FEATURES_DIM, f + i * INC_FEATURES_DIM, INC_FEATURES_DIM * sizeof(float));
        lab[m++] = labels[i];
    }
    inc_free(views);
    inc_free(ok);
    if (st) {
        inc_free(f);
        inc_free(lab);
        return st;
    }
    *f_out = f, *lab_out = lab, *m_out = m;
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_trainer_train_files(inception_trainer *t,
                                                             const char *const *paths,
                                                             const int32_t *labels, int64_t n,
                                                             float *loss) {
    inc_error_clear();
    if (!t) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer is NULL");
    if (!paths || n < 1 || n > 65536)
        FAIL(t, inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "need 1 to 65536 paths"));
    inception_status st = check_labels(t, labels, n);
    if (st) FAIL(t, st);
    int32_t view = t->augmenting ? 1 + (int32_t)(t->step % t->o.views) : 0;
    if (t->scope) {
        for (int64_t i = 0; i < n; i++)
            if (!paths[i]) FAIL(t, inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "path %lld is NULL", (long long)i));
        int64_t m;
        st = scope_files(t, paths, labels, n, view, &m, loss);
        if (!st && m == 0) st = inc_error(INCEPTION_ERR_IMAGE, "none of the %lld images could be read (see inception_trainer_skipped)", (long long)n);
        FAIL(t, st);
    }
    float *f;
    int32_t *lab;
    int64_t m;
    if ((st = files_compact(t, paths, labels, n, view, &f, &lab, &m))) FAIL(t, st);
    if (m == 0) st = inc_error(INCEPTION_ERR_IMAGE, "none of the %lld images could be read (see inception_trainer_skipped)", (long long)n);
    else st = train_core(t, f, lab, m, loss);
    inc_free(f);
    inc_free(lab);
    FAIL(t, st);
}

static inception_status make_perm(inception_trainer *t) {
    if (t->perm && t->perm_epoch == t->data_epoch) return INCEPTION_OK;
    int64_t n = t->ds.n_train;
    if (!t->perm && !(t->perm = inc_malloc((size_t)n * sizeof *t->perm)))
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "epoch order");
    for (int64_t i = 0; i < n; i++) t->perm[i] = i;
    uint64_t key = inc_rng_key((uint64_t)t->o.seed, "shuffle", (uint64_t)t->data_epoch, 0);
    for (int64_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
        int64_t j = (int64_t)(inc_rng_u64(key, (uint64_t)i) % (uint64_t)(i + 1));
        int64_t x = t->perm[i];
        t->perm[i] = t->perm[j];
        t->perm[j] = x;
    }
    t->perm_epoch = t->data_epoch;
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_trainer_step(inception_trainer *t, float *loss) {
    inc_error_clear();
    if (!t) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer is NULL");
    if (!t->has_data)
        FAIL(t, inc_error(INCEPTION_ERR_NOT_READY, "the trainer has no TRAIN_DATA; use inception_trainer_train_batch"));
    int64_t B = t->o.batch, n_train = t->ds.n_train;
    const char **paths = inc_malloc((size_t)B * sizeof *paths);
    int32_t *labels = inc_malloc((size_t)B * sizeof *labels);
    int64_t *idx = inc_malloc((size_t)B * sizeof *idx);
    inception_status st = !paths || !labels || !idx ? inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "batch") : INCEPTION_OK;
    /* Batches whose images are all unreadable are passed over; a whole epoch of them is an error. */
    for (int64_t tries = 0; st == INCEPTION_OK; tries++) {
        if (tries > n_train / B + 2) {
            st = inc_error(INCEPTION_ERR_IMAGE, "no readable training image in a whole epoch (see inception_trainer_skipped)");
            break;
        }
        int64_t save_epoch = t->data_epoch, save_pos = t->data_pos;
        if (t->data_pos >= n_train) t->data_epoch++, t->data_pos = 0;
        if ((st = make_perm(t))) {
            t->data_epoch = save_epoch, t->data_pos = save_pos;
            break;
        }
        int64_t m = 0, pos = t->data_pos;
        for (; pos < n_train && m < B; pos++) {
            int64_t s = t->perm[pos];
            if (t->bad[s]) continue;
            idx[m] = s;
            paths[m] = t->ds.train[s].path;
            labels[m] = t->ds.train[s].label;
            m++;
        }
        if (m == 0) {
            t->data_pos = pos;
            continue;
        }
        int32_t view = t->augmenting ? 1 + (int32_t)(t->data_epoch % t->o.views) : 0;
        if (t->scope) {
            int64_t before = t->skip_events, got;
            st = scope_files(t, paths, labels, m, view, &got, loss);
            if (t->skip_events != before)
                for (int64_t i = 0; i < m; i++)
                    for (int64_t k = 0; k < t->n_skipped; k++)
                        if (strcmp(t->skipped[k].path, paths[i]) == 0) t->bad[idx[i]] = 1;
            if (st) {
                t->data_epoch = save_epoch, t->data_pos = save_pos;
                break;
            }
            t->data_pos = pos;
            if (got == 0) continue;
            break;
        }
        float *f;
        int32_t *lab;
        int64_t got;
        int64_t before = t->skip_events;
        st = files_compact(t, paths, labels, m, view, &f, &lab, &got);
        if (st) {
            t->data_epoch = save_epoch, t->data_pos = save_pos;
            break;
        }
        if (t->skip_events != before) /* remember which, so later epochs do not reread them */
            for (int64_t i = 0; i < m; i++)
                for (int64_t k = 0; k < t->n_skipped; k++)
                    if (strcmp(t->skipped[k].path, paths[i]) == 0) t->bad[idx[i]] = 1;
        if (got == 0) {
            inc_free(f);
            inc_free(lab);
            t->data_pos = pos;
            continue;
        }
        st = train_core(t, f, lab, got, loss);
        inc_free(f);
        inc_free(lab);
        if (st) t->data_epoch = save_epoch, t->data_pos = save_pos;
        else t->data_pos = pos;
        break;
    }
    inc_free(paths);
    inc_free(labels);
    inc_free(idx);
    FAIL(t, st);
}

/* ---- evaluation --------------------------------------------------------------------- */

static const float *eval_weights(const inception_trainer *t, int p) {
    return t->cfg.ema_decay > 0 ? t->params[p].ema : t->params[p].value;
}

static inception_status eval_core(inception_trainer *t, const float *f, const int32_t *labels, int64_t n) {
    inception_status st = check_labels(t, labels, n);
    if (st) return st;
    int64_t K = t->K;
    float *logits = inc_malloc((size_t)n * (size_t)K * sizeof(float));
    if (!logits) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "evaluation logits");
    inc_fc_forward(eval_weights(t, 0), eval_weights(t, 1), f, n, K, INC_FEATURES_DIM, logits);
    double loss = inc_loss_smoothed(logits, labels, n, K, 0.0, NULL);
    if (!isfinite(loss)) {
        inc_free(logits);
        return inc_error(INCEPTION_ERR_NUMERIC, "evaluation: the loss is not finite");
    }
    for (int64_t i = 0; i < n; i++) {
        const float *z = logits + i * K;
        int32_t y = labels[i];
        int64_t rank = 0, best = 0;
        for (int64_t c = 0; c < K; c++) {
            if (z[c] > z[y] || (z[c] == z[y] && c < y)) rank++;
            if (z[c] > z[best]) best = c;
        }
        t->eval_top1 += rank == 0;
        t->eval_top5 += rank < 5;
        t->confusion[(size_t)y * (size_t)K + (size_t)best]++;
    }
    t->eval_loss += loss * (double)n;
    t->eval_n += n;
    inc_free(logits);
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_trainer_eval_reset(inception_trainer *t) {
    inc_error_clear();
    if (!t) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer is NULL");
    t->eval_n = t->eval_top1 = t->eval_top5 = 0;
    t->eval_loss = 0;
    memset(t->confusion, 0, (size_t)t->K * (size_t)t->K * sizeof *t->confusion);
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_trainer_evaluate(inception_trainer *t,
                                                          const inception_tensor *input,
                                                          const int32_t *labels) {
    inc_error_clear();
    if (!t) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer is NULL");
    const float *f;
    int64_t n;
    inception_status st = inc_trainer_tensor_features(t, input, &f, &n);
    if (st) FAIL(t, st);
    FAIL(t, eval_core(t, f, labels, n));
}

INCEPTION_API inception_status inception_trainer_evaluate_files(inception_trainer *t,
                                                                const char *const *paths,
                                                                const int32_t *labels, int64_t n) {
    inc_error_clear();
    if (!t) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer is NULL");
    if (!paths || n < 1 || n > 65536)
        FAIL(t, inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "need 1 to 65536 paths"));
    inception_status st = check_labels(t, labels, n);
    if (st) FAIL(t, st);
    float *f;
    int32_t *lab;
    int64_t m;
    if ((st = files_compact(t, paths, labels, n, 0, &f, &lab, &m))) FAIL(t, st);
    if (m > 0) st = eval_core(t, f, lab, m);
    inc_free(f);
    inc_free(lab);
    FAIL(t, st);
}

INCEPTION_API inception_status inception_trainer_evaluate_validation(inception_trainer *t) {
    inc_error_clear();
    if (!t) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer is NULL");
    if (!t->has_data) FAIL(t, inc_error(INCEPTION_ERR_NOT_READY, "the trainer has no TRAIN_DATA"));
    if (t->ds.n_val == 0)
        FAIL(t, inc_error(INCEPTION_ERR_NOT_READY, "the validation split is empty (TRAIN_VAL_FRACTION 0, or too few images)"));
    inception_trainer_eval_reset(t);
    int64_t B = t->o.batch;
    const char **paths = inc_malloc((size_t)B * sizeof *paths);
    int32_t *labels = inc_malloc((size_t)B * sizeof *labels);
    inception_status st = !paths || !labels ? inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "batch") : INCEPTION_OK;
    for (int64_t s = 0; st == INCEPTION_OK && s < t->ds.n_val;) {
        int64_t m = 0;
        for (; s < t->ds.n_val && m < B; s++) {
            if (t->bad[t->ds.n_train + s]) continue;
            paths[m] = t->ds.val[s].path;
            labels[m++] = t->ds.val[s].label;
        }
        if (m == 0) continue;
        float *f;
        int32_t *lab;
        int64_t got;
        if ((st = files_compact(t, paths, labels, m, 0, &f, &lab, &got))) break;
        if (got > 0) st = eval_core(t, f, lab, got);
        inc_free(f);
        inc_free(lab);
    }
    inc_free(paths);
    inc_free(labels);
    FAIL(t, st);
}

INCEPTION_API inception_status inception_trainer_confusion(const inception_trainer *t,
                                                           int64_t *out, size_t count) {
    inc_error_clear();
    if (!t || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer and out are required");
    size_t need = (size_t)t->K * (size_t)t->K;
    if (count < need)
        return inc_error(INCEPTION_ERR_BUFFER_TOO_SMALL, "the confusion matrix needs %zu entries, got %zu", need, count);
    memcpy(out, t->confusion, need * sizeof *out);
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_trainer_logits(inception_trainer *t,
                                                        const inception_tensor *input,
                                                        float *out, size_t count) {
    inc_error_clear();
    if (!t || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer and out are required");
    const float *f;
    int64_t n;
    inception_status st = inc_trainer_tensor_features(t, input, &f, &n);
    if (st) FAIL(t, st);
    if (count < (size_t)n * (size_t)t->K)
        FAIL(t, inc_error(INCEPTION_ERR_BUFFER_TOO_SMALL, "logits need %lld floats, got %zu",
                          (long long)(n * t->K), count));
    inc_fc_forward(eval_weights(t, 0), eval_weights(t, 1), f, n, t->K, INC_FEATURES_DIM, out);
    return INCEPTION_OK;
}

/* ---- queries ------------------------------------------------------------------------ */

INCEPTION_API inception_status inception_trainer_info_double(const inception_trainer *t,
                                                      inception_trainer_info key, double *out) {
    inc_error_clear();
    if (!t || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer and out are required");
    double v;
    int64_t B = t->o.batch;
    switch (key) {
    case INCEPTION_TRAINER_CLASSES: v = t->K; break;
    case INCEPTION_TRAINER_STEP: v = (double)t->step; break;
    case INCEPTION_TRAINER_EXAMPLES: v = (double)t->examples; break;
    case INCEPTION_TRAINER_EPOCH: v = t->o.epoch_size ? (double)t->examples / (double)t->o.epoch_size : 0; break;
    case INCEPTION_TRAINER_LR: v = lr_at(t); break;
    case INCEPTION_TRAINER_EPOCH_SIZE: v = (double)t->o.epoch_size; break;
    case INCEPTION_TRAINER_STEPS_PER_EPOCH: v = t->has_data ? (double)((t->ds.n_train + B - 1) / B) : 0; break;
    case INCEPTION_TRAINER_TRAIN_SIZE: v = t->has_data ? (double)t->ds.n_train : 0; break;
    case INCEPTION_TRAINER_VAL_SIZE: v = t->has_data ? (double)t->ds.n_val : 0; break;
    case INCEPTION_TRAINER_SKIPPED: v = (double)t->n_skipped; break;
    case INCEPTION_TRAINER_EVAL_COUNT: v = (double)t->eval_n; break;
    case INCEPTION_TRAINER_EVAL_LOSS: v = t->eval_n ? t->eval_loss / (double)t->eval_n : 0; break;
    case INCEPTION_TRAINER_EVAL_TOP1: v = t->eval_n ? (double)t->eval_top1 / (double)t->eval_n : 0; break;
    case INCEPTION_TRAINER_EVAL_TOP5: v = t->eval_n ? (double)t->eval_top5 / (double)t->eval_n : 0; break;
    case INCEPTION_TRAINER_CACHE_HITS: v = (double)t->cache_hits; break;
    case INCEPTION_TRAINER_CACHE_MISSES: v = (double)t->cache_misses; break;
    case INCEPTION_TRAINER_LAST_LOSS: v = t->last_loss; break;
    case INCEPTION_TRAINER_GRAD_NORM: v = t->grad_norm; break;
    case INCEPTION_TRAINER_AUX_ACTIVE: v = t->aux_active; break;
    case INCEPTION_TRAINER_AUX_LOSS: v = t->aux_loss; break;
    case INCEPTION_TRAINER_SCOPE_MEMORY: v = t->scope ? (double)inc_scope_bytes(t->scope) : 0; break;
    case INCEPTION_TRAINER_TRAINABLE: {
        v = 0;
        for (int32_t p = 0; p < t->n_params; p++) v += t->params[p].buffer ? 0 : (double)t->params[p].count;
        break;
    }
    default: return inc_error(INCEPTION_ERR_NOT_FOUND, "unknown trainer info key %d", (int)key);
    }
    *out = v;
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_trainer_label(const inception_trainer *t, int64_t index,
                                                       const char **out) {
    inc_error_clear();
    if (!t || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer and out are required");
    if (index < 0 || index >= t->K)
        return inc_error(INCEPTION_ERR_NOT_FOUND, "class %lld is outside [0, %d)", (long long)index, (int)t->K);
    if (!t->labels) return inc_error(INCEPTION_ERR_NOT_FOUND, "the trainer has no labels");
    *out = t->labels[index];
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_trainer_skipped(const inception_trainer *t, int64_t index,
                                                         const char **path, const char **reason) {
    inc_error_clear();
    if (!t) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer is NULL");
    if (index < 0 || index >= t->n_skipped)
        return inc_error(INCEPTION_ERR_NOT_FOUND, "skipped image %lld of %lld", (long long)index, (long long)t->n_skipped);
    if (path) *path = t->skipped[index].path;
    if (reason) *reason = t->skipped[index].reason;
    return INCEPTION_OK;
}

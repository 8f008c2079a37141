/* The public trainer: a frozen trunk run through a session, a new fc head trained on its
 * 2048-d features (see train.h for the parameter-list design and docs/training.md for
 * the recipe). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "image/image.h"
#include "train/trainer_impl.h"

/* ---- errors ------------------------------------------------------------------------- */

inception_status inc_trainer_fail(inception_trainer *t, inception_status st) {
    if (t) snprintf(t->error, sizeof t->error, "%s", inc_error_message());
    return st;
}
#define FAIL(t, expr) return inc_trainer_fail((t), (expr))

INCEPTION_API const char *inception_trainer_last_error(const inception_trainer *t) {
    return t ? t->error : "trainer is NULL";
}

/* ---- creation ----------------------------------------------------------------------- */

static inception_status split_labels(const char *text, char ***out, int32_t *n_out) {
    size_t len = strlen(text);
    if (len > 0 && text[len - 1] == '\n') len--;
    int32_t n = 1;
    for (size_t i = 0; i < len; i++) n += text[i] == '\n';
    if (len == 0) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "TRAIN_LABELS is empty");
    char **v = inc_calloc((size_t)n, sizeof *v);
    if (!v) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "labels");
    const char *p = text;
    for (int32_t i = 0; i < n; i++) {
        const char *nl = memchr(p, '\n', (size_t)(text + len - p));
        size_t k = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
        size_t keep = k > 0 && p[k - 1] == '\r' ? k - 1 : k;
        v[i] = keep ? inc_malloc(keep + 1) : NULL;
        if (!v[i]) {
            for (int32_t j = 0; j < i; j++) inc_free(v[j]);
            inc_free(v);
            return keep ? inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "labels")
                        : inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "TRAIN_LABELS: label %d is empty", (int)i + 1);
        }
        memcpy(v[i], p, keep);
        v[i][keep] = '\0';
        p += k + 1;
    }
    *out = v;
    *n_out = n;
    return INCEPTION_OK;
}

static uint64_t model_key(const inception_model *m, int32_t h, int32_t w) {
    /* What changes the trunk's features: the weights, the input size, the preprocessing
     * and the pool rule. */
    uint64_t k = inc_rng_key(m->cfg.crc32, "model", (uint64_t)h << 32 | (uint32_t)w,
                             (uint64_t)m->cfg.preset << 8 | (uint64_t)m->cfg.pool_include_pad << 1 |
                                 (uint64_t)m->cfg.bn_has_gamma);
    k = inc_fnv1a64(m->cfg.mean, sizeof m->cfg.mean, k);
    return inc_fnv1a64(m->cfg.std, sizeof m->cfg.std, k);
}

/* torchvision Inception3: fc.weight ~ trunc_normal(0, 0.1, a=-2, b=2) (init_weights),
 * fc.bias ~ U(-1/sqrt(2048), 1/sqrt(2048)) (nn.Linear's own reset_parameters). Draws:
 * weight i takes the first normal of stream ("fc.weight", i, j) inside [-2, 2].
 * TRAIN_HEAD_INIT "linear": the weight ~ U(+-1/sqrt(2048)) too, as a replaced nn.Linear;
 * trunc_normal(0.1) gives logits of several units on train-mode features, which a scope
 * down to the stem did not recover from in two epochs (docs/training.md). */
static void init_fc(inception_trainer *t) {
    uint64_t seed = (uint64_t)t->o.seed;
    inc_param *w = &t->params[0], *b = &t->params[1];
    uint64_t kw = inc_rng_key(seed, "fc.weight", 0, 0), kb = inc_rng_key(seed, "fc.bias", 0, 0);
    double bound = 1.0 / sqrt((double)INC_FEATURES_DIM);
    int linear = t->o.head_init && strcmp(t->o.head_init, "linear") == 0;
    for (size_t i = 0; i < w->count; i++) {
        double v;
        uint64_t j = 0;
        if (linear) v = (2.0 * inc_rng_uniform(kw, i) - 1.0) * bound;
        else {
            do v = 0.1 * inc_rng_normal(inc_rng_key(kw, "trunc", i, 0), j++);
            while (v < -2.0 || v > 2.0);
        }
        w->value[i] = (float)v;
    }
    for (size_t i = 0; i < b->count; i++) b->value[i] = (float)((2.0 * inc_rng_uniform(kb, i) - 1.0) * bound);
    for (int32_t p = 0; p < t->n_params; p++)
        memcpy(t->params[p].ema, t->params[p].value, t->params[p].count * sizeof(float));
}

static int has_word(const char *list, const char *w) {
    size_t n = strlen(w);
    for (const char *p = list; p && *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && strncmp(p, w, n) == 0) return 1;
        p += k;
        if (*p) p++;
    }
    return 0;
}

/* The aux head trains when the scope holds its input (Mixed_6e: scope all or a block up to
 * Mixed_6e) and the model has the plain head. The default weight turns off where it
 * cannot; a weight the user set is an error there. */
static inception_status configure_aux(inception_trainer *t) {
    double w = t->o.aux_weight;
    t->aux_explicit = w >= 0;
    if (!t->aux_explicit) w = 0.4;
    const char *why = NULL;
    inception_status st = INCEPTION_OK;
    if (w > 0 && t->scope_first > 7)
        why = "the aux head reads Mixed_6e, which is below TRAIN_SCOPE (use Mixed_6e or deeper, or all)",
        st = INCEPTION_ERR_INVALID_ARGUMENT;
    else if (w > 0 && !t->model->cfg.has_aux)
        why = "the model has no aux head (AuxLogits.* tensors)", st = INCEPTION_ERR_UNSUPPORTED;
    else if (w > 0 && t->model->cfg.arch.aux == INC_AUX_BN)
        why = "training the BN-auxiliary head (AuxLogits.fc_bn) is not supported; TRAIN_AUX_WEIGHT 0 trains without it",
        st = INCEPTION_ERR_UNSUPPORTED;
    if (why) {
        if (t->aux_explicit) return inc_error(st, "TRAIN_AUX_WEIGHT %g: %s", w, why);
        w = 0;
    }
    t->aux_weight = w;
    return INCEPTION_OK;
}

static inception_status configure(inception_trainer *t, const inception_options *opts) {
    inc_train_opts *o = &t->o;
    inception_status st = inc_train_opts_copy(o, &opts->train);
    if (st) return st;
    t->cfg.kind = o->optimizer && strcmp(o->optimizer, "sgd") == 0 ? INC_OPT_SGD : INC_OPT_RMSPROP;
    t->cfg.tf_epsilon = !(o->eps_placement && strcmp(o->eps_placement, "pytorch") == 0);
    t->cfg.momentum = o->momentum >= 0 ? o->momentum : t->cfg.kind == INC_OPT_SGD ? 0.9 : 0.0;
    t->cfg.rms_decay = o->rms_decay;
    t->cfg.epsilon = o->epsilon;
    t->cfg.weight_decay = o->weight_decay;
    t->cfg.clip_norm = o->clip_norm;
    t->cfg.ema_decay = o->ema_decay;
    t->exp_schedule = !(o->schedule && strcmp(o->schedule, "constant") == 0);
    if (o->crop_scale[0] > o->crop_scale[1] || o->crop_ratio[0] > o->crop_ratio[1])
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         "TRAIN_CROP_*_MIN must not exceed the matching *_MAX");
    t->aug.crop = has_word(o->augment, "crop");
    t->aug.flip = has_word(o->augment, "flip");
    t->aug.color = has_word(o->augment, "color");
    t->aug.scale[0] = o->crop_scale[0], t->aug.scale[1] = o->crop_scale[1];
    t->aug.ratio[0] = o->crop_ratio[0], t->aug.ratio[1] = o->crop_ratio[1];
    t->augmenting = t->aug.crop || t->aug.flip || t->aug.color;
    t->in_h = o->input_size ? (int32_t)o->input_size : t->model->cfg.input_h;
    t->in_w = o->input_size ? (int32_t)o->input_size : t->model->cfg.input_w;
    inc_decode_opts_from(opts, &t->decode);
    if ((st = inc_scope_parse(o->scope, &t->scope_first))) return st;
    if (o->dropout < 0) o->dropout = t->scope_first < 11 ? 0.5 : 0.0;
    if (t->scope_first == 11 && o->dropout > 0)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "TRAIN_DROPOUT needs a scope below the head (TRAIN_SCOPE)");
    if ((st = configure_aux(t))) return st;
    t->ema_packed_step = -1;
    t->decode.min_side = 0; /* random crops want the full image */
    return INCEPTION_OK;
}

static inception_status setup_classes(inception_trainer *t) {
    inc_train_opts *o = &t->o;
    char **labels = NULL;
    int32_t n = 0;
    inception_status st;
    if (o->data) {
        st = inc_dataset_open(o->data, o->val_data, o->val_fraction, &t->ds);
        if (st) return st;
        t->has_data = 1;
        n = t->ds.n_classes;
        labels = inc_calloc((size_t)n, sizeof *labels);
        if (!labels) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "labels");
        for (int32_t i = 0; i < n; i++)
            if (!(labels[i] = inc_strdup(t->ds.classes[i]))) {
                t->labels = labels, t->K = n;
                return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "labels");
            }
        if (o->labels)
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             (t->labels = labels, t->K = n, "TRAIN_LABELS and TRAIN_DATA both given: the data's folder names are the labels"));
    } else if (o->labels) {
        if ((st = split_labels(o->labels, &labels, &n))) return st;
    }
    t->labels = labels;
    if (labels) {
        if (o->classes && o->classes != n)
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             "TRAIN_CLASSES = %lld but there are %d labels", (long long)o->classes, (int)n);
        for (int32_t i = 0; i < n; i++)
            if (strchr(labels[i], '\n'))
                return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "label %d contains a newline", (int)i);
        t->K = n;
    } else {
        t->K = (int32_t)o->classes;
    }
    if (t->K < 2)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         t->K == 1 ? "1 class: a softmax classifier needs at least 2 classes"
                                   : "the number of classes is not set: give TRAIN_CLASSES, TRAIN_LABELS or TRAIN_DATA");
    if (t->has_data) {
        size_t n_all = (size_t)(t->ds.n_train + t->ds.n_val);
        t->bad = inc_calloc(n_all ? n_all : 1, 1);
        if (!t->bad) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "dataset flags");
        if (!t->o.epoch_size) t->o.epoch_size = t->ds.n_train;
    }
    return INCEPTION_OK;
}

static inception_status setup_params(inception_trainer *t) {
    if (!(t->params = inc_calloc(INC_MAX_PARAMS, sizeof *t->params)))
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "parameters");
    inc_param *w = &t->params[0], *b = &t->params[1];
    snprintf(w->name, sizeof w->name, "fc.weight");
    w->rank = 2, w->shape[0] = t->K, w->shape[1] = INC_FEATURES_DIM;
    w->count = (size_t)t->K * INC_FEATURES_DIM;
    w->decay = 1;
    snprintf(b->name, sizeof b->name, "fc.bias");
    b->rank = 1, b->shape[0] = t->K, b->count = (size_t)t->K;
    t->n_params = 2;
    inception_status st;
    if ((st = inc_param_alloc(w, &t->cfg)) || (st = inc_param_alloc(b, &t->cfg))) return st;
    t->confusion = inc_calloc((size_t)t->K * (size_t)t->K, sizeof *t->confusion);
    if (!t->confusion) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "confusion matrix");
    init_fc(t);
    return INCEPTION_OK;
}

/* The trainable blocks: their unfolded tensors come from the model's file. */
static inception_status setup_scope(inception_trainer *t) {
    const char *base = t->o.base_model ? t->o.base_model : t->model->source_path;
    if (!base)
        return inc_error(INCEPTION_ERR_UNSUPPORTED,
                         "TRAIN_SCOPE below fc needs the model's unfolded tensors: the model was loaded from memory, "
                         "so set INCEPTION_OPT_TRAIN_BASE_MODEL to its file");
    inc_file_buf fb;
    inception_status st = inc_file_read(base, &fb);
    if (st) return st;
    inc_safetensors in;
    if ((st = inc_st_parse(fb.data, fb.size, &in))) {
        inc_file_release(&fb);
        return st;
    }
    if (inc_crc32(in.data, in.data_size) != t->model->cfg.crc32) {
        st = inc_error(INCEPTION_ERR_MODEL_MISMATCH, "'%s' is not the file the model was loaded from", base);
    } else {
        inc_scope_cfg sc = {.first_block = t->scope_first, .frozen_bn = (int32_t)t->o.frozen_bn,
                            .momentum = t->o.bn_momentum, .dropout = t->o.dropout, .seed = (uint64_t)t->o.seed,
                            .aux_weight = t->aux_weight, .classes = t->K};
        st = inc_scope_create(t->model, &in, &sc, &t->cfg, t->params, &t->n_params, INC_MAX_PARAMS, &t->scope);
        if (!st) t->aux_active = inc_scope_has_aux(t->scope);
    }
    inc_st_free(&in);
    inc_file_release(&fb);
    return st;
}

static void destroy(inception_trainer *t) {
    inc_scope_free(t->scope);
    for (int32_t p = 0; p < t->n_params; p++) inc_param_free(&t->params[p]);
    inc_free(t->params);
    if (t->labels)
        for (int32_t i = 0; i < t->K; i++) inc_free(t->labels[i]);
    inc_free(t->labels);
    inc_train_opts_free(&t->o);
    if (t->has_data) inc_dataset_free(&t->ds);
    inc_free(t->bad);
    inc_free(t->perm);
    inc_free(t->confusion);
    for (int64_t i = 0; i < t->n_skipped; i++) {
        inc_free(t->skipped[i].path);
        inc_free(t->skipped[i].reason);
    }
    inc_free(t->skipped);
    inc_free(t->scratch);
    inc_cache_free(t->cache);
    inception_session_free(t->session);
    if (t->model) inc_model_release(t->model);
    inc_free(t);
}

INCEPTION_API inception_status inception_trainer_create(const inception_model *model,
                                                        const inception_options *opts,
                                                        inception_trainer **out) {
    inc_error_clear();
    if (!model || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "model and out are required");
    if (!opts) opts = inc_options_default();
    inception_trainer *t = inc_calloc(1, sizeof *t);
    if (!t) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating a trainer");
    inc_model_retain(model);
    t->model = model;
    inception_status st = configure(t, opts);
    if (!st) st = setup_classes(t);
    if (!st) st = setup_params(t);
    t->mkey = model_key(model, t->in_h, t->in_w);
    t->max_memory = opts->max_session_memory;
    if (!st) st = inc_cache_open(t->o.cache_dir, t->mkey, &t->cache);
    if (!st && t->scope_first < 11) st = setup_scope(t);
    if (!st) {
        inception_options so = *opts;
        so.outputs = INCEPTION_OUTPUT_FEATURES;
        /* the scope reads a block's output; the rest of the trunk still runs (see docs) */
        const char *in = t->scope ? inc_scope_input_name(t->scope) : NULL;
        so.extra_outputs = (char *)in;
        st = inception_session_create(model, &so, &t->session);
        if (!st && t->scope) st = inc_scope_set_pool(t->scope, inc_session_pool(t->session));
    }
    if (st) {
        destroy(t);
        return st;
    }
    *out = t;
    return INCEPTION_OK;
}

INCEPTION_API void inception_trainer_free(inception_trainer *t) {
    if (t) destroy(t);
}

/* ---- features ----------------------------------------------------------------------- */

inception_status inc_trainer_scratch(inception_trainer *t, size_t floats, float **out) {
    if (floats > t->scratch_cap) {
        float *p = inc_realloc(t->scratch, floats * sizeof(float));
        if (!p) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "trainer scratch of %zu floats", floats);
        t->scratch = p, t->scratch_cap = floats;
    }
    *out = t->scratch;
    return INCEPTION_OK;
}

/* Features of an input tensor: NC [n, 2048] as they are, or an image batch through the
 * trunk. *f points into the tensor or the session (valid until the next run). */
inception_status inc_trainer_tensor_features(inception_trainer *t, const inception_tensor *in,
                                        const float **f, int64_t *n) {
    if (!in) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "input is NULL");
    if (in->dtype != INCEPTION_DTYPE_F32) return inc_error(INCEPTION_ERR_DTYPE, "input must be float32");
    if (!in->data) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "input has no data");
    if (in->rank == 2) {
        if (in->dims[1] != INC_FEATURES_DIM)
            return inc_error(INCEPTION_ERR_SHAPE, "feature input must be [n, 2048], got [%lld, %lld]",
                             (long long)in->dims[0], (long long)in->dims[1]);
        *f = in->data, *n = in->dims[0];
        return INCEPTION_OK;
    }
    if (t->scope) {
        /* evaluation below the head: the scope in inference mode, with the moving
         * averages when EMA is on */
        const float *x;
        int64_t h, w;
        inception_status st = inc_trainer_scope_input(t, in, &x, n, &h, &w);
        if (!st) st = inc_scope_plan(t->scope, *n, h, w, t->max_memory);
        int ema = t->cfg.ema_decay > 0;
        if (!st && ema && t->ema_packed_step != t->step) {
            if ((st = inc_scope_repack(t->scope, t->params, 1))) return st;
            t->ema_packed_step = t->step;
        }
        if (!st) st = inc_scope_features(t->scope, t->params, x, ema, f);
        return st;
    }
    inception_status st = inception_session_run(t->session, in);
    if (st) return st;
    const inception_tensor *out;
    if ((st = inception_session_output(t->session, INCEPTION_OUTPUT_FEATURES, &out))) return st;
    *f = out->data, *n = out->dims[0];
    return INCEPTION_OK;
}

inception_status inc_trainer_scope_input(inception_trainer *t, const inception_tensor *in,
                                         const float **x, int64_t *n, int64_t *h, int64_t *w) {
    if (!in) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "input is NULL");
    if (in->dtype != INCEPTION_DTYPE_F32) return inc_error(INCEPTION_ERR_DTYPE, "input must be float32");
    if (!in->data) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "input has no data");
    if (in->rank != 4)
        return inc_error(INCEPTION_ERR_SHAPE, "training below the head (TRAIN_SCOPE) needs an image batch, rank 4 (got rank %d)",
                         (int)in->rank);
    const char *name = inc_scope_input_name(t->scope);
    if (name) {
        inception_status st = inception_session_run(t->session, in);
        if (st) return st;
        const inception_tensor *out;
        if ((st = inception_session_output_named(t->session, name, &out))) return st;
        *x = out->data, *n = out->dims[0], *h = out->dims[1], *w = out->dims[2];
        return INCEPTION_OK;
    }
    int nchw = in->layout == INCEPTION_LAYOUT_NCHW;
    int64_t N = in->dims[0], C = nchw ? in->dims[1] : in->dims[3];
    int64_t H = nchw ? in->dims[2] : in->dims[1], W = nchw ? in->dims[3] : in->dims[2];
    if (C != 3) return inc_error(INCEPTION_ERR_SHAPE, "input must have 3 channels, got %lld", (long long)C);
    if (N < 1 || N > 65536) return inc_error(INCEPTION_ERR_SHAPE, "batch of %lld images is outside [1, 65536]", (long long)N);
    if (H < t->model->net.min_input || W < t->model->net.min_input)
        return inc_error(INCEPTION_ERR_SHAPE, "input %lldx%lld is smaller than the network's minimum %dx%d",
                         (long long)H, (long long)W, (int)t->model->net.min_input, (int)t->model->net.min_input);
    if (nchw) {
        float *buf = NULL;
        inception_status st = inc_trainer_scratch(t, (size_t)(N * H * W * 3), &buf);
        if (st) return st;
        const float *src = in->data;
        for (int64_t b = 0; b < N; b++)
            for (int64_t c = 0; c < 3; c++)
                for (int64_t q = 0; q < H * W; q++) buf[(b * H * W + q) * 3 + c] = src[(b * 3 + c) * H * W + q];
        *x = buf;
    } else {
        *x = in->data;
    }
    *n = N, *h = H, *w = W;
    return INCEPTION_OK;
}

static void note_skipped(inception_trainer *t, const char *path, const char *why) {
    for (int64_t i = 0; i < t->n_skipped; i++)
        if (strcmp(t->skipped[i].path, path) == 0) return;
    if (t->n_skipped == t->skipped_cap) {
        int64_t cap = t->skipped_cap ? t->skipped_cap * 2 : 16;
        inc_skip *p = inc_realloc(t->skipped, (size_t)cap * sizeof *p);
        if (!p) return; /* counted below anyway */
        t->skipped = p, t->skipped_cap = cap;
    }
    char *a = inc_strdup(path), *b = inc_strdup(why);
    if (!a || !b) {
        inc_free(a);
        inc_free(b);
        return;
    }
    t->skipped[t->n_skipped].path = a;
    t->skipped[t->n_skipped].reason = b;
    t->n_skipped++;
}

inception_status inc_trainer_file_images(inception_trainer *t, const char *const *paths,
                                         const int32_t *views, int64_t n, float *dst, uint8_t *ok) {
    const inc_config *cfg = &t->model->cfg;
    size_t px = (size_t)t->in_h * t->in_w * 3;
    float *unit = inc_malloc(px * sizeof(float));
    if (!unit) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "image batch");
    inception_status st = INCEPTION_OK;
    for (int64_t i = 0; i < n && st == INCEPTION_OK; i++) {
        ok[i] = 0;
        inc_file_buf fb;
        inception_status rs = inc_file_read(paths[i], &fb);
        if (rs) {
            note_skipped(t, paths[i], inc_error_message());
            t->skip_events++;
            continue;
        }
        int32_t view = views ? views[i] : 0;
        uint64_t h = inc_fnv1a64(fb.data, fb.size, INC_FNV_OFFSET);
        inception_image *img = NULL;
        rs = inc_decode_memory(fb.data, fb.size, &t->decode, &img);
        inc_file_release(&fb);
        if (rs == INCEPTION_OK)
            rs = inc_augment_view(img, &t->aug, cfg->preset, inc_rng_key(h, "augment", (uint64_t)t->o.seed, (uint64_t)view),
                                  view, t->in_h, t->in_w, unit);
        inc_image_destroy(img);
        if (rs == INCEPTION_ERR_OUT_OF_MEMORY) {
            st = rs;
        } else if (rs) {
            char why[INC_ERROR_MAX];
            snprintf(why, sizeof why, "%s: %s", inception_status_string(rs), inc_error_message());
            note_skipped(t, paths[i], why);
            t->skip_events++;
        } else {
            float *d = dst + (size_t)i * px;
            for (size_t p = 0; p < px; p++) d[p] = (unit[p] - cfg->mean[p % 3]) / cfg->std[p % 3];
            ok[i] = 1;
        }
    }
    inc_free(unit);
    return st;
}

/* Below the head the features change with every step: no cache, the scope in inference
 * mode, at most `batch` images at a time. */
static inception_status scope_file_features(inception_trainer *t, const char *const *paths,
                                            const int32_t *views, int64_t n, float *f, uint8_t *ok) {
    int64_t cap = t->o.batch > 0 ? t->o.batch : 32;
    int64_t dims[4] = {cap, t->in_h, t->in_w, 3};
    inception_tensor *batch = NULL;
    inception_status st = inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NHWC, dims, 4, &batch);
    if (st) return st;
    size_t px = (size_t)t->in_h * t->in_w * 3;
    for (int64_t i0 = 0; i0 < n && st == INCEPTION_OK; i0 += cap) {
        int64_t m = n - i0 < cap ? n - i0 : cap, k = 0;
        if ((st = inc_trainer_file_images(t, paths + i0, views ? views + i0 : NULL, m, batch->data, ok + i0))) break;
        float *d = batch->data;
        for (int64_t j = 0; j < m; j++)
            if (ok[i0 + j]) {
                if (k != j) memmove(d + (size_t)k * px, d + (size_t)j * px, px * sizeof(float));
                k++;
            }
        if (k == 0) continue;
        inception_tensor v = *batch;
        v.dims[0] = k, v.bytes = (size_t)k * px * sizeof(float), v.owns = 0;
        const float *feat;
        int64_t got;
        if ((st = inc_trainer_tensor_features(t, &v, &feat, &got))) break;
        for (int64_t j = 0, r = 0; j < m; j++)
            if (ok[i0 + j]) memcpy(f + (i0 + j) * INC_FEATURES_DIM, feat + (r++) * INC_FEATURES_DIM, INC_FEATURES_DIM * sizeof(float));
    }
    inception_tensor_free(batch);
    return st;
}

/* Features of image files for the given views into f (n x 2048); ok[i] = 0 for an image
 * that could not be read or decoded (recorded in the skipped list). Misses are batched
 * through the trunk, at most `batch` at a time. */
inception_status inc_trainer_file_features(inception_trainer *t, const char *const *paths,
                                           const int32_t *views, int64_t n, float *f,
                                           uint8_t *ok) {
    if (t->scope) return scope_file_features(t, paths, views, n, f, ok);
    int64_t cap = t->o.batch > 0 ? t->o.batch : 32;
    size_t px = (size_t)t->in_h * t->in_w * 3;
    inception_tensor *batch = NULL;
    int64_t dims[4] = {cap, t->in_h, t->in_w, 3};
    inception_status st = inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NHWC, dims, 4, &batch);
    if (st) return st;
    float *unit = inc_malloc(px * sizeof(float));
    int64_t *slot_of = inc_malloc((size_t)cap * sizeof *slot_of);
    uint64_t *key_of = inc_malloc((size_t)cap * sizeof *key_of);
    if (!unit || !slot_of || !key_of) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "feature batch");
    const inc_config *cfg = &t->model->cfg;
    int64_t pending = 0;
    for (int64_t i = 0; i <= n && st == INCEPTION_OK; i++) {
        if (i < n) {
            ok[i] = 0;
            inc_file_buf fb;
            inception_status rs = inc_file_read(paths[i], &fb);
            if (rs) {
                note_skipped(t, paths[i], inc_error_message());
                t->skip_events++;
                continue;
            }
            int32_t view = views ? views[i] : 0;
            uint64_t h = inc_fnv1a64(fb.data, fb.size, INC_FNV_OFFSET);
            uint64_t key = inc_rng_key(t->mkey, "view", h, (uint64_t)view);
            if (view > 0) { /* augmented views also depend on the seed and the settings */
                key = inc_rng_key(key, "aug", (uint64_t)t->o.seed,
                                  (uint64_t)t->aug.crop | (uint64_t)t->aug.flip << 1 | (uint64_t)t->aug.color << 2);
                key = inc_fnv1a64(t->aug.scale, sizeof t->aug.scale, key);
                key = inc_fnv1a64(t->aug.ratio, sizeof t->aug.ratio, key);
            }
            if (inc_cache_get(t->cache, key, f + i * INC_FEATURES_DIM)) {
                inc_file_release(&fb);
                ok[i] = 1;
                t->cache_hits++;
                continue;
            }
            inception_image *img = NULL;
            rs = inc_decode_memory(fb.data, fb.size, &t->decode, &img);
            inc_file_release(&fb);
            if (rs == INCEPTION_OK)
                rs = inc_augment_view(img, &t->aug, cfg->preset, inc_rng_key(h, "augment", (uint64_t)t->o.seed, (uint64_t)view),
                                      view, t->in_h, t->in_w, unit);
            inc_image_destroy(img);
            if (rs) {
                if (rs == INCEPTION_ERR_OUT_OF_MEMORY) {
                    st = rs;
                    break;
                }
                char why[INC_ERROR_MAX];
                snprintf(why, sizeof why, "%s: %s", inception_status_string(rs), inc_error_message());
                note_skipped(t, paths[i], why);
                t->skip_events++;
                continue;
            }
            float *d = (float *)batch->data + (size_t)pending * px;
            for (size_t p = 0; p < px; p++) {
                int c = (int)(p % 3);
                d[p] = (unit[p] - cfg->mean[c]) / cfg->std[c];
            }
            slot_of[pending] = i;
            key_of[pending] = key;
            pending++;
        }
        if (pending == cap || (i == n && pending > 0)) {
            inception_tensor view_t = *batch;
            view_t.dims[0] = pending;
            view_t.bytes = (size_t)pending * px * sizeof(float);
            view_t.owns = 0;
            const float *feat;
            int64_t got;
            if ((st = inc_trainer_tensor_features(t, &view_t, &feat, &got))) break;
            for (int64_t j = 0; j < pending; j++) {
                float *dst = f + slot_of[j] * INC_FEATURES_DIM;
                memcpy(dst, feat + j * INC_FEATURES_DIM, INC_FEATURES_DIM * sizeof(float));
                ok[slot_of[j]] = 1;
                t->cache_misses++;
                inception_status cs = inc_cache_put(t->cache, key_of[j], dst);
                if (cs == INCEPTION_ERR_OUT_OF_MEMORY) st = cs;
                else if (cs) t->cache_io_errors++; /* the disk copy is an optimisation */
            }
            pending = 0;
        }
    }
    inc_free(unit);
    inc_free(slot_of);
    inc_free(key_of);
    inception_tensor_free(batch);
    return st;
}

/* Saving the trained model (trunk copied from the base file) and checkpoints. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "train/trainer_impl.h"

#define FAIL(t, expr) return inc_trainer_fail((t), (expr))

static const char *dtype_name(const inc_st_tensor *t) {
    if (t->dtype == INC_F32) return "F32";
    if (t->dtype == INC_F16) return "F16";
    if (t->dtype == INC_BF16) return "BF16";
    return NULL;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static char *join_labels(const inception_trainer *t) {
    size_t len = 1;
    for (int32_t i = 0; i < t->K; i++) len += strlen(t->labels[i]) + 1;
    char *s = inc_malloc(len), *p = s;
    if (!s) return NULL;
    for (int32_t i = 0; i < t->K; i++) {
        size_t n = strlen(t->labels[i]);
        memcpy(p, t->labels[i], n);
        p += n;
        *p++ = i + 1 < t->K ? '\n' : '\0';
    }
    if (t->K == 0) *p = '\0';
    return s;
}

static const int64_t zero_i64 = 0;

/* Metadata keys of the base copied through: everything but what the new head changes. */
static int copy_meta_key(const char *k) {
    static const char *const skip[] = {"inception.classes", "inception.labels", "inception.label_offset",
                                       "inception.crc32", "inception.synthetic", "inception.name",
                                       "inception.input_size", "inception.preset",
                                       "inception.pool_include_pad", "inception.format_version", NULL};
    if (strncmp(k, "inception.train.", 16) == 0) return 0;
    for (const char *const *s = skip; *s; s++)
        if (strcmp(k, *s) == 0) return 0;
    return 1;
}

INCEPTION_API inception_status inception_trainer_save(inception_trainer *t, const char *path) {
    inc_error_clear();
    if (!t || !path) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer and path are required");
    const char *base = t->o.base_model ? t->o.base_model : t->model->source_path;
    if (!base)
        FAIL(t, inc_error(INCEPTION_ERR_UNSUPPORTED,
                          "the model was loaded from memory: set INCEPTION_OPT_TRAIN_BASE_MODEL to its file so the trunk can be copied"));
    inc_file_buf fb;
    inception_status st = inc_file_read(base, &fb);
    if (st) FAIL(t, st);
    inc_safetensors in;
    if ((st = inc_st_parse(fb.data, fb.size, &in))) {
        inc_file_release(&fb);
        FAIL(t, st);
    }
    uint32_t crc = inc_crc32(in.data, in.data_size);
    if (crc != t->model->cfg.crc32) {
        st = inc_error(INCEPTION_ERR_MODEL_MISMATCH,
                       "'%s' is not the file the model was loaded from (data CRC-32 %08x, the model's %08x)",
                       base, crc, t->model->cfg.crc32);
        goto done;
    }
    size_t cap = 2 * in.n_tensors + 2 * INC_MAX_PARAMS + 8;
    inc_st_out *out = inc_calloc(cap, sizeof *out);
    char **names = inc_calloc(cap, sizeof *names);
    const char **meta = inc_calloc(2 * (in.n_meta + 24), sizeof *meta);
    char *labels = t->labels ? join_labels(t) : NULL;
    if (!out || !names || !meta || (t->labels && !labels)) {
        st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "saving");
        goto free_out;
    }
    size_t n = 0;
    for (size_t i = 0; i < in.n_tensors; i++) {
        const inc_st_tensor *s = &in.tensors[i];
        if (strncmp(s->name, "fc.", 3) == 0 || strncmp(s->name, "AuxLogits.", 10) == 0) continue;
        int trained = 0; /* a scope's tensors are written from the parameters below */
        for (int32_t p = 2; p < t->n_params && !trained; p++) trained = strcmp(t->params[p].name, s->name) == 0;
        if (trained) continue;
        const char *dt = dtype_name(s);
        if (!dt && ends_with(s->name, "num_batches_tracked") && s->elem_size == 8) dt = "I64";
        if (!dt) continue; /* a tensor we cannot name the type of is not needed for inference */
        if (n + 2 >= cap) break;
        inc_st_out *o = &out[n++];
        o->name = s->name;
        o->dtype = dt;
        o->rank = s->rank > 4 ? 4 : s->rank;
        for (int32_t r = 0; r < o->rank; r++) o->shape[r] = s->shape[r];
        o->data = in.data + s->begin;
        o->bytes = s->end - s->begin;
        /* torch's load_state_dict (strict) wants every BatchNorm's counter */
        if (ends_with(s->name, ".bn.running_mean")) {
            size_t pl = strlen(s->name) - strlen("running_mean");
            char *nb = inc_malloc(pl + 20);
            if (!nb) {
                st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "saving");
                goto free_out;
            }
            memcpy(nb, s->name, pl);
            memcpy(nb + pl, "num_batches_tracked", 20);
            if (!inc_st_find(&in, nb) && n < cap - 2) {
                names[n] = nb;
                inc_st_out *c = &out[n++];
                c->name = nb, c->dtype = "I64", c->rank = 0, c->data = &zero_i64, c->bytes = 8;
            } else {
                inc_free(nb);
            }
        }
    }
    int ema = t->cfg.ema_decay > 0;
    for (int32_t p = 0; p < t->n_params; p++) {
        inc_st_out *o = &out[n++];
        o->name = t->params[p].name;
        o->dtype = "F32";
        o->rank = t->params[p].rank;
        for (int32_t r = 0; r < o->rank; r++) o->shape[r] = t->params[p].shape[r];
        o->data = ema ? t->params[p].ema : t->params[p].value;
        o->bytes = t->params[p].count * sizeof(float);
        /* the trained aux head's BatchNorm counters (the base's were dropped with it) */
        const char *pn = t->params[p].name;
        if (strncmp(pn, "AuxLogits.", 10) == 0 && ends_with(pn, ".bn.running_mean")) {
            size_t pl = strlen(pn) - strlen("running_mean");
            char *nb = inc_malloc(pl + 20);
            if (!nb) {
                st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "saving");
                goto free_out;
            }
            memcpy(nb, pn, pl);
            memcpy(nb + pl, "num_batches_tracked", 20);
            names[n] = nb;
            inc_st_out *c = &out[n++];
            c->name = nb, c->dtype = "I64", c->rank = 0, c->data = &zero_i64, c->bytes = 8;
        }
    }
    char classes[24], steps[24], examples[24], size[48], name[256];
    snprintf(classes, sizeof classes, "%d", (int)t->K);
    snprintf(steps, sizeof steps, "%lld", (long long)t->step);
    snprintf(examples, sizeof examples, "%lld", (long long)t->examples);
    snprintf(size, sizeof size, "%d,%d", (int)t->in_h, (int)t->in_w);
    const char *bname = t->model->cfg.name && t->model->cfg.name[0] ? t->model->cfg.name : "inception_v3";
    snprintf(name, sizeof name, "%.200s, new %d-class head", bname, (int)t->K);
    const inc_config *cfg = &t->model->cfg;
    size_t m = 0;
    for (size_t i = 0; i < in.n_meta; i++)
        if (copy_meta_key(in.meta[i].key) && m < in.n_meta) {
            meta[2 * m] = in.meta[i].key;
            meta[2 * m + 1] = in.meta[i].value;
            m++;
        }
#define META(k, v) (meta[2 * m] = (k), meta[2 * m + 1] = (v), m++)
    META("inception.format_version", "1");
    META("inception.classes", classes);
    META("inception.label_offset", "0");
    if (labels) META("inception.labels", labels);
    META("inception.name", name);
    META("inception.preset", cfg->preset == INC_PRESET_TORCHVISION ? "torchvision" : cfg->preset == INC_PRESET_TF ? "tf" : "timm");
    META("inception.input_size", size);
    META("inception.pool_include_pad", cfg->pool_include_pad ? "true" : "false");
    META("inception.train.steps", steps);
    META("inception.train.examples", examples);
    META("inception.train.head", ema ? "ema" : "raw");
    META("inception.train.scope", t->o.scope ? t->o.scope : "fc");
#undef META
    st = inc_st_write(path, out, n, meta, m);
free_out:
    for (size_t i = 0; i < cap && names; i++) inc_free(names[i]);
    inc_free(names);
    inc_free(out);
    inc_free(meta);
    inc_free(labels);
done:
    inc_st_free(&in);
    inc_file_release(&fb);
    FAIL(t, st);
}

/* ---- checkpoints ----------------------------------------------------------------------- */

/* Every setting that shapes the trajectory, as doubles (exact for the integers). */
#define N_SETTINGS 30
static const char *const setting_names[N_SETTINGS] = {
    "TRAIN_LR", "TRAIN_LR_DECAY", "TRAIN_LR_DECAY_EPOCHS", "momentum", "TRAIN_RMSPROP_DECAY",
    "TRAIN_EPSILON", "TRAIN_WEIGHT_DECAY", "TRAIN_CLIP_NORM", "TRAIN_EMA_DECAY",
    "TRAIN_LABEL_SMOOTHING", "TRAIN_CROP_SCALE_MIN", "TRAIN_CROP_SCALE_MAX",
    "TRAIN_CROP_RATIO_MIN", "TRAIN_CROP_RATIO_MAX", "TRAIN_VAL_FRACTION", "TRAIN_SEED",
    "TRAIN_BATCH", "TRAIN_EPOCH_SIZE", "TRAIN_VIEWS", "input size", "classes",
    "TRAIN_OPTIMIZER", "TRAIN_EPSILON_PLACEMENT", "TRAIN_LR_SCHEDULE", "TRAIN_AUGMENT",
    "TRAIN_SCOPE", "TRAIN_FROZEN_BN", "TRAIN_BN_MOMENTUM", "TRAIN_DROPOUT",
    "TRAIN_AUX_WEIGHT"};

static void settings(const inception_trainer *t, double *v) {
    const inc_train_opts *o = &t->o;
    double s[N_SETTINGS] = {o->lr, o->lr_decay, o->lr_decay_epochs, t->cfg.momentum, o->rms_decay,
                            o->epsilon, o->weight_decay, o->clip_norm, o->ema_decay, o->smoothing,
                            o->crop_scale[0], o->crop_scale[1], o->crop_ratio[0], o->crop_ratio[1],
                            o->val_fraction, (double)o->seed, (double)o->batch, (double)o->epoch_size,
                            (double)o->views, (double)t->in_h * 65536.0 + t->in_w, t->K,
                            t->cfg.kind, t->cfg.tf_epsilon, t->exp_schedule,
                            t->aug.crop + 2 * t->aug.flip + 4 * t->aug.color, t->scope_first,
                            (double)o->frozen_bn, o->bn_momentum, o->dropout, t->aux_weight};
    memcpy(v, s, sizeof s);
}

INCEPTION_API inception_status inception_trainer_checkpoint(inception_trainer *t, const char *path) {
    inc_error_clear();
    if (!t || !path) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer and path are required");
    enum { PER = 4 };
    inc_st_out *out = inc_calloc((size_t)t->n_params * PER + 3, sizeof *out);
    char (*names)[80] = inc_calloc((size_t)t->n_params * PER, sizeof *names);
    if (!out || !names) {
        inc_free(out);
        inc_free(names);
        FAIL(t, inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "checkpoint"));
    }
    size_t n = 0;
    for (int32_t p = 0; p < t->n_params; p++) {
        const inc_param *q = &t->params[p];
        const float *arr[PER] = {q->value, q->ema, q->slot[0], q->slot[1]};
        const char *pre[PER] = {"", "ema.", "slot0.", "slot1."};
        for (int k = 0; k < PER; k++) {
            snprintf(names[n], sizeof names[n], "%s%s", pre[k], q->name);
            out[n].name = names[n];
            out[n].dtype = "F32";
            out[n].rank = q->rank;
            for (int32_t r = 0; r < q->rank; r++) out[n].shape[r] = q->shape[r];
            out[n].data = arr[k];
            out[n].bytes = q->count * sizeof(float);
            n++;
        }
    }
    int64_t counters[4] = {t->step, t->examples, t->data_epoch, t->data_pos};
    double set[N_SETTINGS], last[2] = {t->last_loss, t->grad_norm};
    settings(t, set);
    out[n++] = (inc_st_out){"train.counters", "I64", 1, {4}, counters, sizeof counters};
    out[n++] = (inc_st_out){"train.settings", "F64", 1, {N_SETTINGS}, set, sizeof set};
    out[n++] = (inc_st_out){"train.last", "F64", 1, {2}, last, sizeof last};
    char crc[16];
    snprintf(crc, sizeof crc, "%08x", t->model->cfg.crc32);
    char *labels = t->labels ? join_labels(t) : NULL;
    inception_status st;
    if (t->labels && !labels) {
        st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "checkpoint");
    } else {
        const char *meta[] = {"inception.train.checkpoint", "1", "inception.train.model_crc32", crc,
                              "inception.train.labels", labels ? labels : ""};
        st = inc_st_write(path, out, n, meta, 3);
    }
    inc_free(labels);
    inc_free(out);
    inc_free(names);
    FAIL(t, st);
}

static inception_status read_array(const inc_safetensors *st, const char *name, int elem,
                                   size_t count, void *dst) {
    const inc_st_tensor *x = inc_st_find(st, name);
    if (!x) return inc_error(INCEPTION_ERR_MISSING_TENSOR, "checkpoint: missing tensor '%s'", name);
    if (x->elem_size != elem || x->end - x->begin != count * (size_t)elem)
        return inc_error(INCEPTION_ERR_SHAPE, "checkpoint: tensor '%s' has the wrong size or type", name);
    memcpy(dst, st->data + x->begin, count * (size_t)elem);
    return INCEPTION_OK;
}

/* Checkpoints from before TRAIN_AUX_WEIGHT have one setting less: they never trained the
 * aux head (weight 0). */
static inception_status read_settings(const inc_safetensors *in, double *set) {
    const inc_st_tensor *x = inc_st_find(in, "train.settings");
    if (x && x->elem_size == 8 && x->end - x->begin == (N_SETTINGS - 1) * sizeof(double)) {
        memcpy(set, in->data + x->begin, (N_SETTINGS - 1) * sizeof(double));
        set[N_SETTINGS - 1] = 0;
        return INCEPTION_OK;
    }
    return read_array(in, "train.settings", 8, N_SETTINGS, set);
}

INCEPTION_API inception_status inception_trainer_resume(inception_trainer *t, const char *path) {
    inc_error_clear();
    if (!t || !path) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "trainer and path are required");
    inc_file_buf fb;
    inception_status st = inc_file_read(path, &fb);
    if (st) FAIL(t, st);
    inc_safetensors in;
    if ((st = inc_st_parse(fb.data, fb.size, &in))) {
        inc_file_release(&fb);
        FAIL(t, st);
    }
    const char *v = inc_st_meta_get(&in, "inception.train.checkpoint");
    const char *crc_s = inc_st_meta_get(&in, "inception.crc32");
    const char *mcrc = inc_st_meta_get(&in, "inception.train.model_crc32");
    char want[16], got[16];
    snprintf(want, sizeof want, "%08x", t->model->cfg.crc32);
    snprintf(got, sizeof got, "%08x", inc_crc32(in.data, in.data_size));
    double set[N_SETTINGS], mine[N_SETTINGS], last[2];
    int64_t counters[4];
    float **dst = NULL;
    if (!v || !crc_s) {
        st = inc_error(INCEPTION_ERR_FORMAT, "'%s' is not a trainer checkpoint", path);
    } else if (strcmp(crc_s, got) != 0) {
        st = inc_error(INCEPTION_ERR_CHECKSUM, "checkpoint '%s' is corrupt (CRC-32 %s, recorded %s)", path, got, crc_s);
    } else if (!mcrc || strcmp(mcrc, want) != 0) {
        st = inc_error(INCEPTION_ERR_MODEL_MISMATCH, "checkpoint '%s' was made with another model (CRC-32 %s, this one %s)",
                       path, mcrc ? mcrc : "?", want);
    } else if (!(st = read_settings(&in, set))) {
        settings(t, mine);
        for (int i = 0; i < N_SETTINGS && !st; i++)
            if (memcmp(&set[i], &mine[i], sizeof set[i]) != 0)
                st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                               "checkpoint '%s' was made with %s = %.17g, this trainer has %.17g",
                               path, setting_names[i], set[i], mine[i]);
    }
    if (!st) {
        char *labels = t->labels ? join_labels(t) : NULL;
        const char *cl = inc_st_meta_get(&in, "inception.train.labels");
        if (t->labels && !labels) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "resume");
        else if (!cl || strcmp(cl, labels ? labels : "") != 0)
            st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "checkpoint '%s' has other class labels", path);
        inc_free(labels);
    }
    if (!st) st = read_array(&in, "train.counters", 8, 4, counters);
    if (!st) st = read_array(&in, "train.last", 8, 2, last);
    /* Read every tensor into new buffers first so a failure changes nothing. */
    enum { PER = 4 };
    size_t nb = (size_t)t->n_params * PER;
    if (!st && !(dst = inc_calloc(nb, sizeof *dst))) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "resume");
    for (int32_t p = 0; !st && p < t->n_params; p++) {
        const char *pre[PER] = {"", "ema.", "slot0.", "slot1."};
        for (int k = 0; !st && k < PER; k++) {
            char name[80];
            snprintf(name, sizeof name, "%s%s", pre[k], t->params[p].name);
            float *b = inc_malloc(t->params[p].count * sizeof(float));
            dst[p * PER + k] = b;
            st = b ? read_array(&in, name, 4, t->params[p].count, b) : inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "resume");
        }
    }
    if (!st && t->has_data && (counters[3] < 0 || counters[3] > t->ds.n_train || counters[2] < 0))
        st = inc_error(INCEPTION_ERR_FORMAT, "checkpoint '%s': data position out of range for this data", path);
    if (!st) {
        for (int32_t p = 0; p < t->n_params; p++) {
            inc_param *q = &t->params[p];
            float **slots[PER] = {&q->value, &q->ema, &q->slot[0], &q->slot[1]};
            for (int k = 0; k < PER; k++) {
                inc_free(*slots[k]);
                *slots[k] = dst[p * PER + k];
                dst[p * PER + k] = NULL;
            }
        }
        t->step = counters[0], t->examples = counters[1];
        t->data_epoch = counters[2], t->data_pos = counters[3];
        t->last_loss = last[0], t->grad_norm = last[1];
        inc_free(t->perm);
        t->perm = NULL;
        t->ema_packed_step = -1;
        if (t->scope) st = inc_scope_repack(t->scope, t->params, 0);
    }
    for (size_t i = 0; dst && i < nb; i++) inc_free(dst[i]);
    inc_free(dst);
    inc_st_free(&in);
    inc_file_release(&fb);
    FAIL(t, st);
}

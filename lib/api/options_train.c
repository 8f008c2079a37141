/* The trainer's keys (300-399) of the options bag. Ranges are checked here so a bad value
 * fails where it is set; inception_trainer_create checks the combinations. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "api/options.h"
#include "common/common.h"

static inception_status wrong_type(inception_option key, const char *type) {
    return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "option %d takes %s", (int)key, type);
}

static int is_int_key(inception_option k) {
    return k == INCEPTION_OPT_TRAIN_CLASSES || k == INCEPTION_OPT_TRAIN_SEED ||
           k == INCEPTION_OPT_TRAIN_BATCH || k == INCEPTION_OPT_TRAIN_EPOCH_SIZE ||
           k == INCEPTION_OPT_TRAIN_VIEWS || k == INCEPTION_OPT_TRAIN_INPUT_SIZE ||
           k == INCEPTION_OPT_TRAIN_FROZEN_BN;
}

/* The trainer's string options: the one list that setting, freeing and copying all walk. */
static const struct {
    inception_option key;
    size_t offset;
} string_slots[] = {
    {INCEPTION_OPT_TRAIN_LABELS, offsetof(inc_train_opts, labels)},
    {INCEPTION_OPT_TRAIN_OPTIMIZER, offsetof(inc_train_opts, optimizer)},
    {INCEPTION_OPT_TRAIN_LR_SCHEDULE, offsetof(inc_train_opts, schedule)},
    {INCEPTION_OPT_TRAIN_EPSILON_PLACEMENT, offsetof(inc_train_opts, eps_placement)},
    {INCEPTION_OPT_TRAIN_BASE_MODEL, offsetof(inc_train_opts, base_model)},
    {INCEPTION_OPT_TRAIN_AUGMENT, offsetof(inc_train_opts, augment)},
    {INCEPTION_OPT_TRAIN_CACHE_DIR, offsetof(inc_train_opts, cache_dir)},
    {INCEPTION_OPT_TRAIN_DATA, offsetof(inc_train_opts, data)},
    {INCEPTION_OPT_TRAIN_VAL_DATA, offsetof(inc_train_opts, val_data)},
    {INCEPTION_OPT_TRAIN_SCOPE, offsetof(inc_train_opts, scope)},
    {INCEPTION_OPT_TRAIN_HEAD_INIT, offsetof(inc_train_opts, head_init)},
};
#define N_STRING_SLOTS (sizeof string_slots / sizeof string_slots[0])

static char **slot_at(inc_train_opts *t, size_t i) {
    return (char **)((char *)t + string_slots[i].offset);
}

static char **string_slot(inc_train_opts *t, inception_option k) {
    for (size_t i = 0; i < N_STRING_SLOTS; i++)
        if (string_slots[i].key == k) return slot_at(t, i);
    return NULL;
}

static double *double_slot(inc_train_opts *t, inception_option k) {
    switch (k) {
    case INCEPTION_OPT_TRAIN_LR: return &t->lr;
    case INCEPTION_OPT_TRAIN_LR_DECAY: return &t->lr_decay;
    case INCEPTION_OPT_TRAIN_LR_DECAY_EPOCHS: return &t->lr_decay_epochs;
    case INCEPTION_OPT_TRAIN_MOMENTUM: return &t->momentum;
    case INCEPTION_OPT_TRAIN_RMSPROP_DECAY: return &t->rms_decay;
    case INCEPTION_OPT_TRAIN_EPSILON: return &t->epsilon;
    case INCEPTION_OPT_TRAIN_WEIGHT_DECAY: return &t->weight_decay;
    case INCEPTION_OPT_TRAIN_CLIP_NORM: return &t->clip_norm;
    case INCEPTION_OPT_TRAIN_EMA_DECAY: return &t->ema_decay;
    case INCEPTION_OPT_TRAIN_LABEL_SMOOTHING: return &t->smoothing;
    case INCEPTION_OPT_TRAIN_CROP_SCALE_MIN: return &t->crop_scale[0];
    case INCEPTION_OPT_TRAIN_CROP_SCALE_MAX: return &t->crop_scale[1];
    case INCEPTION_OPT_TRAIN_CROP_RATIO_MIN: return &t->crop_ratio[0];
    case INCEPTION_OPT_TRAIN_CROP_RATIO_MAX: return &t->crop_ratio[1];
    case INCEPTION_OPT_TRAIN_VAL_FRACTION: return &t->val_fraction;
    case INCEPTION_OPT_TRAIN_BN_MOMENTUM: return &t->bn_momentum;
    case INCEPTION_OPT_TRAIN_DROPOUT: return &t->dropout;
    case INCEPTION_OPT_TRAIN_AUX_WEIGHT: return &t->aux_weight;
    default: return NULL;
    }
}

inception_status inc_train_opt_set_int(inc_train_opts *t, inception_option k, int64_t v) {
    if (!is_int_key(k)) {
        if (string_slot(t, k)) return wrong_type(k, "a string");
        if (double_slot(t, k)) return wrong_type(k, "a number (inception_options_set_double)");
        return inc_error(INCEPTION_ERR_NOT_FOUND, "unknown option %d", (int)k);
    }
    int64_t lo = 0, hi = INT64_MAX, *slot;
    const char *name;
    switch (k) {
    case INCEPTION_OPT_TRAIN_CLASSES: slot = &t->classes; lo = 2; hi = 1 << 20; name = "TRAIN_CLASSES"; break;
    case INCEPTION_OPT_TRAIN_SEED: slot = &t->seed; name = "TRAIN_SEED"; break;
    case INCEPTION_OPT_TRAIN_BATCH: slot = &t->batch; lo = 1; hi = 65536; name = "TRAIN_BATCH"; break;
    case INCEPTION_OPT_TRAIN_EPOCH_SIZE: slot = &t->epoch_size; hi = (int64_t)1 << 40; name = "TRAIN_EPOCH_SIZE"; break;
    case INCEPTION_OPT_TRAIN_VIEWS: slot = &t->views; lo = 1; hi = 64; name = "TRAIN_VIEWS"; break;
    case INCEPTION_OPT_TRAIN_FROZEN_BN: slot = &t->frozen_bn; hi = 1; name = "TRAIN_FROZEN_BN"; break;
    default: slot = &t->input_size; hi = 16384; name = "TRAIN_INPUT_SIZE"; break;
    }
    if (k == INCEPTION_OPT_TRAIN_INPUT_SIZE && v != 0) lo = 75;
    if (v < lo || v > hi)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "%s must be in [%lld, %lld], got %lld",
                         name, (long long)lo, (long long)hi, (long long)v);
    *slot = v;
    return INCEPTION_OK;
}

inception_status inc_train_opt_set_double(inc_train_opts *t, inception_option k, double v) {
    double *slot = double_slot(t, k);
    if (!slot) {
        if (is_int_key(k)) return wrong_type(k, "an integer");
        if (string_slot(t, k)) return wrong_type(k, "a string");
        return inc_error(INCEPTION_ERR_NOT_FOUND, "unknown option %d", (int)k);
    }
    if (!isfinite(v)) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "option %d: value is not finite", (int)k);
    int ok;
    switch (k) {
    case INCEPTION_OPT_TRAIN_LR: case INCEPTION_OPT_TRAIN_LR_DECAY_EPOCHS:
    case INCEPTION_OPT_TRAIN_EPSILON: ok = v > 0; break;
    case INCEPTION_OPT_TRAIN_LR_DECAY: ok = v > 0 && v <= 1; break;
    case INCEPTION_OPT_TRAIN_MOMENTUM: ok = v == -1.0 || (v >= 0 && v < 1); break;
    case INCEPTION_OPT_TRAIN_RMSPROP_DECAY: case INCEPTION_OPT_TRAIN_EMA_DECAY:
    case INCEPTION_OPT_TRAIN_LABEL_SMOOTHING: case INCEPTION_OPT_TRAIN_VAL_FRACTION:
        ok = v >= 0 && v < 1; break;
    case INCEPTION_OPT_TRAIN_CROP_SCALE_MIN: case INCEPTION_OPT_TRAIN_CROP_SCALE_MAX:
        ok = v > 0 && v <= 1; break;
    case INCEPTION_OPT_TRAIN_CROP_RATIO_MIN: case INCEPTION_OPT_TRAIN_CROP_RATIO_MAX:
        ok = v > 0 && v <= 100; break;
    case INCEPTION_OPT_TRAIN_BN_MOMENTUM: ok = v >= 0 && v <= 1; break;
    case INCEPTION_OPT_TRAIN_DROPOUT: ok = v == -1.0 || (v >= 0 && v < 1); break;
    case INCEPTION_OPT_TRAIN_AUX_WEIGHT: ok = v == -1.0 || v >= 0; break;
    default: ok = v >= 0; break; /* weight decay, clip norm */
    }
    if (!ok) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "option %d: value %g is out of range", (int)k, v);
    *slot = v;
    return INCEPTION_OK;
}

static int one_of(const char *v, const char *const *names) {
    for (; *names; names++)
        if (strcmp(v, *names) == 0) return 1;
    return 0;
}

inception_status inc_train_opt_set_string(inc_train_opts *t, inception_option k, const char *v) {
    char **slot = string_slot(t, k);
    if (!slot) {
        if (is_int_key(k)) return wrong_type(k, "an integer");
        if (double_slot(t, k)) return wrong_type(k, "a number (inception_options_set_double)");
        return inc_error(INCEPTION_ERR_NOT_FOUND, "unknown option %d", (int)k);
    }
    static const char *const optimizers[] = {"rmsprop", "sgd", NULL};
    static const char *const schedules[] = {"exponential", "constant", NULL};
    static const char *const placements[] = {"tf", "pytorch", NULL};
    static const char *const inits[] = {"torchvision", "linear", NULL};
    if (k == INCEPTION_OPT_TRAIN_OPTIMIZER && !one_of(v, optimizers))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "TRAIN_OPTIMIZER must be rmsprop or sgd, got '%.64s'", v);
    if (k == INCEPTION_OPT_TRAIN_LR_SCHEDULE && !one_of(v, schedules))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "TRAIN_LR_SCHEDULE must be exponential or constant, got '%.64s'", v);
    if (k == INCEPTION_OPT_TRAIN_EPSILON_PLACEMENT && !one_of(v, placements))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "TRAIN_EPSILON_PLACEMENT must be tf or pytorch, got '%.64s'", v);
    if (k == INCEPTION_OPT_TRAIN_HEAD_INIT && !one_of(v, inits))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "TRAIN_HEAD_INIT must be torchvision or linear, got '%.64s'", v);
    if (k == INCEPTION_OPT_TRAIN_AUGMENT && strcmp(v, "none") != 0) {
        /* a comma list of known names */
        const char *p = v;
        while (*p) {
            size_t n = strcspn(p, ",");
            if (!((n == 4 && !strncmp(p, "crop", 4)) || (n == 4 && !strncmp(p, "flip", 4)) ||
                  (n == 5 && !strncmp(p, "color", 5))))
                return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                                 "TRAIN_AUGMENT: '%.*s' is not one of none, crop, flip, color",
                                 (int)(n > 32 ? 32 : n), p);
            p += n;
            if (*p == ',') p++;
        }
    }
    char *copy = inc_strdup(v);
    if (!copy) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "copying an option value");
    inc_free(*slot);
    *slot = copy;
    return INCEPTION_OK;
}

void inc_train_opts_free(inc_train_opts *t) {
    for (size_t i = 0; i < N_STRING_SLOTS; i++) {
        char **s = slot_at(t, i);
        inc_free(*s);
        *s = NULL;
    }
}

inception_status inc_train_opts_copy(inc_train_opts *dst, const inc_train_opts *src) {
    *dst = *src;
    int failed = 0;
    for (size_t i = 0; i < N_STRING_SLOTS; i++) {
        char **s = slot_at(dst, i);
        if (!*s) continue;
        char *c = failed ? NULL : inc_strdup(*s);
        if (!c) failed = 1;
        *s = c;
    }
    if (failed) {
        inc_train_opts_free(dst);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "copying trainer options");
    }
    return INCEPTION_OK;
}

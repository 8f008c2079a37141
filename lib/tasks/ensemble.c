/* Ensembles (paper Table 5): N models, one session each, one decode per image; each
 * member's (multi-crop) probabilities are averaged with equal weight. */
#include <stdio.h>
#include <string.h>

#include "tasks/tasks.h"

#define MAX_MEMBERS 64

struct inception_ensemble {
    int32_t n;
    inception_session *members[MAX_MEMBERS];
    inception_options opts; /* integer keys: crops and image limits */
    int64_t classes;
    char error[INC_ERROR_MAX];
};

static const char *name_of(const inception_model *m) {
    const char *s = NULL;
    if (inception_model_info_string(m, INCEPTION_INFO_NAME, &s) || !s || !s[0]) return "unnamed";
    return s;
}

INCEPTION_API void inception_ensemble_free(inception_ensemble *e) {
    if (!e) return;
    for (int32_t i = 0; i < e->n; i++) inception_session_free(e->members[i]);
    inc_free(e);
}

INCEPTION_API inception_status inception_ensemble_create(const inception_model *const *models,
                                                         int32_t count,
                                                         const inception_options *options,
                                                         inception_ensemble **out) {
    inc_error_clear();
    if (!models || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "models and out are required");
    if (count < 1 || count > MAX_MEMBERS)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "an ensemble has 1 to %d models, got %d",
                         MAX_MEMBERS, (int)count);
    for (int32_t i = 0; i < count; i++) {
        const inception_model *m = models[i];
        if (!m) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "model %d is NULL", (int)i);
        if (!m->cfg.has_fc)
            return inc_error(INCEPTION_ERR_UNSUPPORTED,
                             "model %d ('%.64s') has no fc layer: an ensemble classifies", (int)i,
                             name_of(m));
        const inception_model *m0 = models[0];
        if (m->cfg.classes != m0->cfg.classes || m->cfg.label_offset != m0->cfg.label_offset)
            return inc_error(INCEPTION_ERR_MODEL_MISMATCH,
                             "model %d ('%.64s': %lld classes, label offset %d) and model 0 "
                             "('%.64s': %lld classes, label offset %d) have different class "
                             "spaces",
                             (int)i, name_of(m), (long long)m->cfg.classes,
                             (int)m->cfg.label_offset, name_of(m0), (long long)m0->cfg.classes,
                             (int)m0->cfg.label_offset);
    }
    inception_ensemble *e = inc_calloc(1, sizeof *e);
    if (!e) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating an ensemble");
    const inception_options *o = options ? options : inc_options_default();
    e->opts = *o;
    e->opts.backend = e->opts.preset = e->opts.labels_file = NULL;
    e->opts.mean = e->opts.std = e->opts.extra_outputs = NULL;
    memset(&e->opts.train, 0, sizeof e->opts.train); /* not owned, not the ensemble's */
    e->classes = models[0]->cfg.classes;
    for (int32_t i = 0; i < count; i++) {
        inception_status st = inception_session_create(models[i], options, &e->members[i]);
        if (st) {
            inception_ensemble_free(e);
            return st;
        }
        e->n = i + 1;
    }
    *out = e;
    return INCEPTION_OK;
}

INCEPTION_API const char *inception_ensemble_last_error(const inception_ensemble *e) {
    return e ? e->error : "ensemble is NULL";
}

static inception_status fail(inception_ensemble *e, inception_status st) {
    if (e) snprintf(e->error, sizeof e->error, "%s", inc_error_message());
    return st;
}

static inception_status check_args(const inception_ensemble *e, int32_t k, int32_t *classes,
                                   float *probs, int32_t *count) {
    if (!e) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "ensemble is NULL");
    if (k < 1) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "k = %d is below 1", (int)k);
    if (!classes || !probs || !count)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "classes, probs and count are required");
    return INCEPTION_OK;
}

static inception_status classify_decoded(inception_ensemble *e, const inception_image *img,
                                         int32_t k, int32_t *classes, float *probs,
                                         int32_t *count) {
    const int64_t n = e->classes;
    float *p = inc_malloc((size_t)n * sizeof(float));
    double *acc = inc_calloc((size_t)n, sizeof(double));
    inception_status st = p && acc ? INCEPTION_OK
                                   : inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "ensemble scores");
    for (int32_t i = 0; !st && i < e->n; i++) {
        st = inc_image_scores(e->members[i], &e->opts, img, p);
        if (st) {
            char msg[INC_ERROR_MAX];
            snprintf(msg, sizeof msg, "%s", inc_error_message());
            inc_error(st, "model %d ('%.64s'): %s", (int)i,
                      name_of(inc_session_model(e->members[i])), msg);
        }
        for (int64_t j = 0; !st && j < n; j++) acc[j] += p[j];
    }
    if (!st) {
        for (int64_t j = 0; j < n; j++) p[j] = (float)(acc[j] / e->n);
        *count = inc_top_k(p, n, k < n ? k : (int32_t)n, classes, probs);
    }
    inc_free(p);
    inc_free(acc);
    return st;
}

static inception_status classify_bytes(inception_ensemble *e, const uint8_t *data, size_t size,
                                       int32_t k, int32_t *classes, float *probs,
                                       int32_t *count) {
    inc_decode_opts o;
    inc_decode_opts_from(&e->opts, &o);
    o.min_side = 0; /* one decode serves every member: keep the largest side any needs */
    for (int32_t i = 0; i < e->n; i++) {
        int32_t need = inc_crops_min_side(inc_session_model(e->members[i]), (int32_t)e->opts.crops);
        o.min_side = need > o.min_side ? need : o.min_side;
    }
    inception_image *img = NULL;
    inception_status st = inc_decode_memory(data, size, &o, &img);
    if (!st) st = classify_decoded(e, img, k, classes, probs, count);
    inc_image_destroy(img);
    return st;
}

INCEPTION_API inception_status inception_ensemble_classify(inception_ensemble *e,
                                                           const void *data, size_t size,
                                                           int32_t k, int32_t *classes,
                                                           float *probs, int32_t *count) {
    inc_error_clear();
    inception_status st = check_args(e, k, classes, probs, count);
    if (!st && !data) st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "data is NULL");
    if (!st) st = classify_bytes(e, data, size, k, classes, probs, count);
    return st ? fail(e, st) : INCEPTION_OK;
}

INCEPTION_API inception_status inception_ensemble_classify_file(inception_ensemble *e,
                                                                const char *path, int32_t k,
                                                                int32_t *classes, float *probs,
                                                                int32_t *count) {
    inc_error_clear();
    inception_status st = check_args(e, k, classes, probs, count);
    if (!st && !path) st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "path is NULL");
    inc_file_buf file = {0};
    if (!st) st = inc_file_read(path, &file);
    if (!st) {
        st = classify_bytes(e, file.data, file.size, k, classes, probs, count);
        if (st) {
            char msg[INC_ERROR_MAX];
            snprintf(msg, sizeof msg, "%s", inc_error_message());
            inc_error(st, "%s: %s", path, msg);
        }
    }
    inc_file_release(&file);
    return st ? fail(e, st) : INCEPTION_OK;
}

INCEPTION_API inception_status inception_ensemble_classify_image(inception_ensemble *e,
                                                                 const inception_image *image,
                                                                 int32_t k, int32_t *classes,
                                                                 float *probs, int32_t *count) {
    inc_error_clear();
    inception_status st = check_args(e, k, classes, probs, count);
    if (!st && !image) st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "image is NULL");
    if (!st) st = classify_decoded(e, image, k, classes, probs, count);
    return st ? fail(e, st) : INCEPTION_OK;
}

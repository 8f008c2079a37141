/* lib/tasks: work built on a session (classify; crops, ensembles, CAM, batched embedding to
 * come). May include lib/api and everything below it, and include/; nothing includes it.
 *
 * Encoded image to top-k classes: decode (with a DCT scaling hint), the session's crops
 * (tasks/crops.c: one centre crop by default), run, average, select. Uses only the session core's public
 * calls plus the handle accessors. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tasks/tasks.h"

int32_t inc_top_k(const float *p, int64_t n, int32_t k, int32_t *classes, float *probs) {
    /* A later class must be strictly better to move ahead of an earlier one. */
    int32_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        float v = p[i];
        if (m == k && !(v > probs[m - 1])) continue;
        int32_t pos = m < k ? m : k - 1;
        while (pos > 0 && v > probs[pos - 1]) {
            probs[pos] = probs[pos - 1];
            classes[pos] = classes[pos - 1];
            pos--;
        }
        probs[pos] = v;
        classes[pos] = (int32_t)i;
        if (m < k) m++;
    }
    return m;
}

static inception_status no_classifier(const inception_model *model) {
    int64_t has_fc = 0;
    inception_status st = inception_model_info_int(model, INCEPTION_INFO_HAS_FC, &has_fc);
    if (st || has_fc) return st;
    return inc_error(INCEPTION_ERR_UNSUPPORTED,
                     "classify needs a classifier, but the model has no fc layer (a feature "
                     "extractor): use the FEATURES output");
}

/* Crops, run, average, select: the part shared by encoded bytes and decoded images. */
static inception_status classify_decoded(inception_session *session, const inception_image *img,
                                         int32_t k, int32_t *classes, float *probs,
                                         int32_t *count) {
    const inception_model *model = inc_session_model(session);
    int64_t n = model->cfg.classes;
    float *p = inc_malloc((size_t)n * sizeof(float));
    if (!p) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "score buffer");
    inception_status st = inc_image_scores(session, inc_session_options(session), img, p);
    if (st == INCEPTION_OK) {
        /* Write the results only once everything has succeeded. */
        int32_t kk = k < n ? k : (int32_t)n;
        *count = inc_top_k(p, n, kk, classes, probs);
    }
    inc_free(p);
    return st;
}

static inception_status run_classify(inception_session *session, const uint8_t *data,
                                     size_t size, int32_t k, int32_t *classes, float *probs,
                                     int32_t *count) {
    const inception_model *model = inc_session_model(session);
    if (!model) return inc_error(INCEPTION_ERR_INTERNAL, "session has no model");
    inception_status st = no_classifier(model);
    if (st) return st;
    const inception_options *opts = inc_session_options(session);
    inc_decode_opts o;
    inc_decode_opts_from(opts, &o);
    o.min_side = inc_crops_min_side(model, (int32_t)opts->crops);
    inception_image *img = NULL;
    st = inc_decode_memory(data, size, &o, &img);
    if (st != INCEPTION_OK) return st;
    st = classify_decoded(session, img, k, classes, probs, count);
    inc_image_destroy(img);
    return st;
}

static inception_status check_args(inception_session *session, int32_t k, int32_t *classes,
                                   float *probs, int32_t *count) {
    if (!session) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "session is NULL");
    if (k < 1) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "k = %d is below 1", (int)k);
    if (!classes) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "classes is NULL");
    if (!probs) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "probs is NULL");
    if (!count) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "count is NULL");
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_session_classify(inception_session *session,
                                                          const void *data, size_t size,
                                                          int32_t k, int32_t *classes,
                                                          float *probs, int32_t *count) {
    inc_error_clear();
    inception_status st = check_args(session, k, classes, probs, count);
    if (st == INCEPTION_OK && !data)
        st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "data is NULL");
    if (st != INCEPTION_OK) return session ? inc_session_fail_idle(session, st) : st;
    /* held from the run to the last read of its outputs */
    if ((st = inc_session_enter(session))) return st;
    st = run_classify(session, data, size, k, classes, probs, count);
    if (st != INCEPTION_OK) inc_session_fail(session, st);
    return inc_session_leave(session) ? inc_session_freed_error() : st;
}

INCEPTION_API inception_status inception_session_classify_file(inception_session *session,
                                                               const char *path, int32_t k,
                                                               int32_t *classes, float *probs,
                                                               int32_t *count) {
    inc_error_clear();
    inception_status st = check_args(session, k, classes, probs, count);
    if (st == INCEPTION_OK && !path)
        st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "path is NULL");
    if (st != INCEPTION_OK) return session ? inc_session_fail_idle(session, st) : st;
    if ((st = inc_session_enter(session))) return st;
    inc_file_buf file = {0};
    st = inc_file_read(path, &file);
    if (st == INCEPTION_OK) {
        st = run_classify(session, file.data, file.size, k, classes, probs, count);
        if (st != INCEPTION_OK) {
            char msg[INC_ERROR_MAX];
            snprintf(msg, sizeof msg, "%s", inc_error_message());
            inc_error(st, "%s: %s", path, msg);
        }
    }
    inc_file_release(&file);
    if (st != INCEPTION_OK) inc_session_fail(session, st);
    return inc_session_leave(session) ? inc_session_freed_error() : st;
}

INCEPTION_API inception_status inception_session_classify_image(inception_session *session,
                                                                const inception_image *image,
                                                                int32_t k, int32_t *classes,
                                                                float *probs, int32_t *count) {
    inc_error_clear();
    inception_status st = check_args(session, k, classes, probs, count);
    if (st == INCEPTION_OK && !image)
        st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "image is NULL");
    if (st == INCEPTION_OK) st = no_classifier(inc_session_model(session));
    if (st == INCEPTION_OK) st = classify_decoded(session, image, k, classes, probs, count);
    if (st != INCEPTION_OK && session) return inc_session_fail(session, st);
    return st;
}

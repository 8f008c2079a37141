/* lib/tasks: work built on a session (classify; crops, ensembles, CAM, batched embedding to
 * come). May include lib/api and everything below it, and include/; nothing includes it.
 *
 * Encoded image to top-k classes: decode (with a DCT scaling hint), preprocess, run,
 * softmax if the session only keeps logits, select. Uses only the session core's public
 * calls plus the handle accessors. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/handles.h"
#include "image/image.h"

/* Keep the k best of `p` in `classes`/`probs`, best first; ties keep the lower index
 * because a later class must be strictly better to move ahead of an earlier one. */
static int32_t top_k(const float *p, int64_t n, int32_t k, int32_t *classes, float *probs) {
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

/* Preprocess, run, select: the part shared by encoded bytes and decoded images. */
static inception_status classify_decoded(inception_session *session, const inception_image *img,
                                         int32_t k, int32_t *classes, float *probs,
                                         int32_t *count) {
    const inception_model *model = inc_session_model(session);
    inception_tensor *input = NULL;
    inception_status st = inception_model_create_input(model, 1, INCEPTION_LAYOUT_NCHW, &input);
    if (st == INCEPTION_OK) st = inception_image_preprocess(model, img, input, 0);
    if (st == INCEPTION_OK) st = inception_session_run(session, input);
    inception_tensor_free(input);
    if (st != INCEPTION_OK) return st;

    const inception_tensor *out = NULL;
    int softmax = 0;
    st = inception_session_output(session, INCEPTION_OUTPUT_PROBABILITIES, &out);
    if (st == INCEPTION_ERR_NOT_FOUND) {
        st = inception_session_output(session, INCEPTION_OUTPUT_LOGITS, &out);
        if (st == INCEPTION_ERR_NOT_FOUND)
            return inc_error(INCEPTION_ERR_UNSUPPORTED,
                             "classify needs a session whose outputs include logits or "
                             "probabilities");
        softmax = 1;
    }
    if (st != INCEPTION_OK) return st;
    int64_t n = inception_tensor_dim(out, inception_tensor_rank(out) - 1);
    const float *v = (const float *)inception_tensor_data(out);
    if (n < 1 || !v) return inc_error(INCEPTION_ERR_INTERNAL, "empty classifier output");
    const float *p = v;
    float *tmp = NULL;
    if (softmax) {
        tmp = inc_malloc((size_t)n * sizeof(float));
        if (!tmp) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "softmax buffer");
        float mx = v[0];
        for (int64_t i = 1; i < n; i++) mx = v[i] > mx ? v[i] : mx;
        double sum = 0.0;
        for (int64_t i = 0; i < n; i++) sum += (tmp[i] = expf(v[i] - mx));
        for (int64_t i = 0; i < n; i++) tmp[i] = (float)(tmp[i] / sum);
        p = tmp;
    }
    /* Write the results only once everything has succeeded. */
    int32_t kk = k < n ? k : (int32_t)n;
    int32_t m = top_k(p, n, kk, classes, probs);
    inc_free(tmp);
    *count = m;
    return INCEPTION_OK;
}

static inception_status run_classify(inception_session *session, const uint8_t *data,
                                     size_t size, int32_t k, int32_t *classes, float *probs,
                                     int32_t *count) {
    const inception_model *model = inc_session_model(session);
    if (!model) return inc_error(INCEPTION_ERR_INTERNAL, "session has no model");
    inception_status st = no_classifier(model);
    if (st) return st;
    const inc_config *cfg = &model->cfg;
    inc_decode_opts o;
    inc_decode_opts_from(inc_session_options(session), &o);
    o.min_side = inc_preset_min_side(cfg->preset, cfg->input_h, cfg->input_w);
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
    if (st == INCEPTION_OK) st = run_classify(session, data, size, k, classes, probs, count);
    if (st != INCEPTION_OK && session) return inc_session_fail(session, st);
    return st;
}

INCEPTION_API inception_status inception_session_classify_file(inception_session *session,
                                                               const char *path, int32_t k,
                                                               int32_t *classes, float *probs,
                                                               int32_t *count) {
    inc_error_clear();
    inception_status st = check_args(session, k, classes, probs, count);
    if (st == INCEPTION_OK && !path)
        st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "path is NULL");
    inc_file_buf file = {0};
    if (st == INCEPTION_OK) st = inc_file_read(path, &file);
    if (st == INCEPTION_OK) {
        st = run_classify(session, file.data, file.size, k, classes, probs, count);
        if (st != INCEPTION_OK) {
            char msg[INC_ERROR_MAX];
            snprintf(msg, sizeof msg, "%s", inc_error_message());
            inc_error(st, "%s: %s", path, msg);
        }
    }
    inc_file_release(&file);
    if (st != INCEPTION_OK && session) return inc_session_fail(session, st);
    return st;
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

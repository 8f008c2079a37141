/* Class activation maps: global average pooling followed by fc is linear, so the fc
 * applied at every position of the Mixed_7c map, minus its bias, is a map whose mean plus
 * the bias is the logit. The fc runs through the backend as the 1x1 convolution it is,
 * on the session's FEATURE_MAP output; its bias comes from the same call on a zero pixel. */
#include <string.h>

#include "tasks/tasks.h"

static const inc_layer *fc_layer(const inception_model *m) {
    const inc_net *net = &m->net;
    for (int32_t i = 0; i < net->n_layers; i++)
        if (net->layers[i].op == INC_OP_CONV && net->layers[i].dst == net->t_logits &&
            !net->layers[i].aux)
            return &net->layers[i];
    return NULL;
}

/* out[p][k] = fc(in[p]) for `pixels` pixels of 2048 channels, through the backend. */
static inception_status run_fc(const inception_model *m, const inc_layer *l, const float *in,
                               int64_t h, int64_t w, int64_t stride, float *out) {
    const inception_backend *be = m->backend;
    inception_view vi = {(float *)in, 1, h, w, 2048, stride};
    inception_view vo = {out, 1, h, w, l->out_c, l->out_c};
    size_t bytes = be->conv_scratch ? be->conv_scratch(be->user, &l->conv, l->packed, &vi, &vo, 1)
                                    : 0;
    void *scratch = bytes ? inc_malloc_aligned(bytes) : NULL;
    if (bytes && !scratch) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "fc scratch");
    be->conv_run(be->user, &l->conv, l->packed, &vi, &vo, 0, 1, scratch);
    inc_free_aligned(scratch);
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_session_cam(const inception_session *session,
                                                     int64_t image_index, int64_t class_index,
                                                     inception_tensor **out) {
    inc_error_clear();
    if (!session || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "session and out are required");
    inception_session *s = (inception_session *)session;
    const inception_model *m = inc_session_model(s);
    const inc_layer *l = m->cfg.has_fc ? fc_layer(m) : NULL;
    if (!l)
        return inc_session_fail(s, inc_error(INCEPTION_ERR_UNSUPPORTED,
                                             "a class activation map needs the fc layer; "
                                             "the model has none"));
    if (class_index < 0 || class_index >= m->cfg.classes)
        return inc_session_fail(s, inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                                             "class %lld outside [0, %lld)", (long long)class_index,
                                             (long long)m->cfg.classes));
    const inception_tensor *fm = NULL;
    inception_status st = inception_session_output(s, INCEPTION_OUTPUT_FEATURE_MAP, &fm);
    if (st) return inc_session_fail(s, st);
    int64_t n = fm->dims[0], h = fm->dims[1], w = fm->dims[2];
    if (image_index < 0 || image_index >= n)
        return inc_session_fail(s, inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                                             "image %lld outside the last run's batch of %lld",
                                             (long long)image_index, (long long)n));
    const int64_t classes = l->out_c, hw = h * w;
    float *all = inc_malloc((size_t)(hw + 1) * (size_t)classes * sizeof(float));
    float *zero = inc_calloc(2048, sizeof(float));
    inception_tensor *t = NULL;
    int64_t dims[4] = {1, h, w, 1};
    if (!all || !zero) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "class activation map buffers");
    if (!st) st = run_fc(m, l, (const float *)fm->data + image_index * hw * 2048, h, w, 2048, all);
    if (!st) st = run_fc(m, l, zero, 1, 1, 2048, all + hw * classes);
    if (!st) st = inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NHWC, dims, 4, &t);
    if (!st) {
        float *d = inception_tensor_data(t);
        const float bias = all[hw * classes + class_index];
        for (int64_t p = 0; p < hw; p++) d[p] = all[p * classes + class_index] - bias;
        *out = t;
    }
    inc_free(all);
    inc_free(zero);
    return st ? inc_session_fail(s, st) : INCEPTION_OK;
}

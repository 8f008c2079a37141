#include "helpers.h"

#include <stdio.h>
#include <string.h>

inception_status incgo_run(inception_session *s, int layout, int64_t n, int64_t d1, int64_t d2,
                           int64_t d3, float *data, size_t bytes, char *err, size_t errsize) {
    int64_t dims[4] = {n, d1, d2, d3};
    inception_tensor *t = NULL;
    inception_status st = inception_tensor_wrap(INCEPTION_DTYPE_F32, (inception_layout)layout,
                                                dims, 4, data, bytes, &t);
    if (st == INCEPTION_OK) st = inception_session_run(s, t);
    if (st != INCEPTION_OK) incgo_last_error(err, errsize);
    inception_tensor_free(t);
    return st;
}

inception_status incgo_output(const inception_session *s, int which, float *dst, size_t cap,
                              int64_t *dims, char *err, size_t errsize) {
    const inception_tensor *t = NULL;
    inception_status st = inception_session_output(s, (inception_output)which, &t);
    if (st != INCEPTION_OK) {
        incgo_last_error(err, errsize);
        return st;
    }
    dims[0] = inception_tensor_dim(t, 0);
    dims[1] = inception_tensor_dim(t, 1);
    size_t bytes = inception_tensor_byte_size(t);
    if (!dst || cap * sizeof(float) < bytes) {
        snprintf(err, errsize, "the output has %zu values; the destination holds %zu",
                 bytes / sizeof(float), cap);
        return INCEPTION_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(dst, inception_tensor_data(t), bytes);
    return INCEPTION_OK;
}

inception_status incgo_preprocess(const inception_model *m, const inception_image *img,
                                  int layout, int64_t n, int64_t d1, int64_t d2, int64_t d3,
                                  float *data, size_t bytes, int64_t index, char *err,
                                  size_t errsize) {
    int64_t dims[4] = {n, d1, d2, d3};
    inception_tensor *t = NULL;
    inception_status st = inception_tensor_wrap(INCEPTION_DTYPE_F32, (inception_layout)layout,
                                                dims, 4, data, bytes, &t);
    if (st == INCEPTION_OK) st = inception_image_preprocess(m, img, t, index);
    if (st != INCEPTION_OK) incgo_last_error(err, errsize);
    inception_tensor_free(t);
    return st;
}

inception_status incgo_options(inception_options **out, const char *backend,
                               const char *preset, const char *labels, int64_t pool_include_pad,
                               int64_t label_offset, int64_t skip_checksum, int64_t threads,
                               int64_t outputs, int64_t profile, int64_t max_pixels,
                               int64_t exif, int64_t min_side, char *err, size_t errsize) {
    *out = NULL;
    const struct { inception_option key; int64_t value; } ints[] = {
        {INCEPTION_OPT_POOL_INCLUDE_PAD, pool_include_pad},
        {INCEPTION_OPT_LABEL_OFFSET, label_offset},
        {INCEPTION_OPT_SKIP_CHECKSUM, skip_checksum},
        {INCEPTION_OPT_THREADS, threads},
        {INCEPTION_OPT_OUTPUTS, outputs},
        {INCEPTION_OPT_PROFILE, profile},
        {INCEPTION_OPT_MAX_IMAGE_PIXELS, max_pixels},
        {INCEPTION_OPT_EXIF_ORIENTATION, exif},
        {INCEPTION_OPT_DECODE_MIN_SIDE, min_side},
    };
    int any = backend || preset || labels;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) any |= ints[i].value >= 0;
    if (!any) return INCEPTION_OK;
    inception_options *o = NULL;
    inception_status st = inception_options_create(&o);
    if (st != INCEPTION_OK) {
        incgo_last_error(err, errsize);
        return st;
    }
    if (backend) st = inception_options_set_string(o, INCEPTION_OPT_BACKEND, backend);
    if (st == INCEPTION_OK && preset)
        st = inception_options_set_string(o, INCEPTION_OPT_PRESET, preset);
    if (st == INCEPTION_OK && labels) {
        st = inception_options_set_string(o, (inception_option)INCGO_OPT_LABELS_FILE, labels);
        if (st == INCEPTION_ERR_NOT_FOUND) {
            snprintf(err, errsize, "libinception %s does not know option %d (Labels, "
                     "INCEPTION_OPT_LABELS_FILE)", inception_version_string(),
                     INCGO_OPT_LABELS_FILE);
            inception_options_free(o);
            return st;
        }
    }
    for (size_t i = 0; st == INCEPTION_OK && i < sizeof ints / sizeof ints[0]; i++)
        if (ints[i].value >= 0) st = inception_options_set_int(o, ints[i].key, ints[i].value);
    if (st != INCEPTION_OK) {
        incgo_last_error(err, errsize); /* before the free, which may reset it */
        inception_options_free(o);
        return st;
    }
    *out = o;
    return INCEPTION_OK;
}

void incgo_last_error(char *buf, size_t size) {
    if (!size) return;
    const char *m = inception_last_error();
    size_t n = strlen(m);
    if (n >= size) n = size - 1;
    memcpy(buf, m, n);
    buf[n] = 0;
}

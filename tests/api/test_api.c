/* Public API contract: versions, statuses, options, tensors, misuse of every handle, model
 * files broken in targeted ways, and the backend plug-in ABI (a counting backend that wraps
 * ref runs the whole network). Black-box: only the public headers. */
#include <check.h>
#include <inception/backend.h>
#include <inception/inception.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testmodel.h"

static uint8_t *model_buf; /* a generated model, built once before the tests fork */
static size_t model_size;
static uint8_t *noaux_buf;
static size_t noaux_size;

static inception_options *opts_backend(const char *backend, int threads) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    if (backend) ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_BACKEND, backend), INCEPTION_OK);
    if (threads) ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, threads), INCEPTION_OK);
    return o;
}

static inception_model *load_ref(const uint8_t *buf, size_t size) {
    inception_options *o = opts_backend("ref", 1);
    inception_model *m = NULL;
    inception_status st = inception_model_load_memory(buf, size, o, &m);
    ck_assert_msg(st == INCEPTION_OK, "load: %s", inception_last_error());
    inception_options_free(o);
    return m;
}

static inception_tensor *input(int64_t n, int64_t h, int64_t w) {
    int64_t d[4] = {n, 3, h, w};
    inception_tensor *t = NULL;
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d, 4, &t), INCEPTION_OK);
    inc_testmodel_uniform("input/api", 0, inception_tensor_data(t), (size_t)(n * 3 * h * w));
    return t;
}

/* A copy of the model with `from` replaced by `to` (same length) in the JSON header. */
static uint8_t *patched(const uint8_t *buf, size_t size, const char *from, const char *to) {
    uint8_t *copy = malloc(size);
    memcpy(copy, buf, size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | copy[i];
    size_t n = strlen(from);
    ck_assert_uint_eq(n, strlen(to));
    for (size_t i = 8; i + n <= 8 + hlen; i++)
        if (memcmp(copy + i, from, n) == 0) {
            memcpy(copy + i, to, n);
            return copy;
        }
    ck_abort_msg("'%s' not in the header", from);
    return NULL;
}

static void expect_load_error(const uint8_t *buf, size_t size, inception_status want,
                              const char *needle) {
    inception_model *m = (inception_model *)0x1;
    inception_status st = inception_model_load_memory(buf, size, NULL, &m);
    ck_assert_msg(st == want, "status %d (%s), want %d: %s", st, inception_status_string(st), want,
                  inception_last_error());
    ck_assert_ptr_eq(m, (inception_model *)0x1); /* untouched on failure */
    if (needle)
        ck_assert_msg(strstr(inception_last_error(), needle), "message '%s' lacks '%s'",
                      inception_last_error(), needle);
}

START_TEST(versions) {
    ck_assert_uint_eq(inception_version_number(), INCEPTION_VERSION_NUMBER);
    ck_assert_str_eq(inception_version_string(), INCEPTION_VERSION_STRING);
    ck_assert_uint_eq(inception_model_format_version(), INCEPTION_MODEL_FORMAT_VERSION);
}
END_TEST

START_TEST(status_strings) {
    for (int i = 0; i <= INCEPTION_ERR_INTERNAL; i++) {
        const char *s = inception_status_string((inception_status)i);
        ck_assert_ptr_nonnull(s);
        ck_assert_str_ne(s, "unknown status");
        for (int j = 0; j < i; j++) ck_assert_str_ne(s, inception_status_string((inception_status)j));
    }
    ck_assert_str_eq(inception_status_string((inception_status)999), "unknown status");
}
END_TEST

START_TEST(options_misuse) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(NULL), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(NULL, INCEPTION_OPT_THREADS, 1), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_int(o, (inception_option)9999, 1), INCEPTION_ERR_NOT_FOUND);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, -1), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "THREADS"));
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_OUTPUTS, 0), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_BACKEND, 1), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_THREADS, "2"), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_BACKEND, NULL), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_PRESET, "keras2"), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_PRESET, "tf"), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_BACKEND, "ref"), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_BACKEND, "ref"), INCEPTION_OK);
    inception_options_free(o);
    inception_options_free(NULL);
}
END_TEST

START_TEST(tensor_misuse) {
    inception_tensor *t = NULL;
    int64_t d[4] = {1, 3, 8, 8};
    int64_t bad[4] = {1, 0, 8, 8};
    int64_t huge[4] = {INT64_MAX / 2, 3, 1 << 20, 1 << 20};
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d, 4, NULL), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, NULL, 4, &t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_tensor_create((inception_dtype)7, INCEPTION_LAYOUT_NCHW, d, 4, &t), INCEPTION_ERR_DTYPE);
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, (inception_layout)9, d, 4, &t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d, 3, &t), INCEPTION_ERR_SHAPE);
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NC, d, 4, &t), INCEPTION_ERR_SHAPE);
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, bad, 4, &t), INCEPTION_ERR_SHAPE);
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, huge, 4, &t), INCEPTION_ERR_SHAPE);
    ck_assert_ptr_null(t);

    float buf[192];
    ck_assert_int_eq(inception_tensor_wrap(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d, 4, buf, sizeof buf - 4, &t), INCEPTION_ERR_SHAPE);
    ck_assert_int_eq(inception_tensor_wrap(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d, 4, (char *)buf + 1, sizeof buf - 4, &t), INCEPTION_ERR_SHAPE);
    ck_assert_int_eq(inception_tensor_wrap(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d, 4, buf, sizeof buf, &t), INCEPTION_OK);
    ck_assert_ptr_eq(inception_tensor_data(t), buf);
    ck_assert_uint_eq(inception_tensor_byte_size(t), sizeof buf);
    ck_assert_int_eq(inception_tensor_rank(t), 4);
    ck_assert_int_eq(inception_tensor_dim(t, 2), 8);
    ck_assert_int_eq(inception_tensor_dim(t, 4), 0);
    ck_assert_int_eq(inception_tensor_dim(t, -1), 0);
    ck_assert_int_eq(inception_tensor_layout(t), INCEPTION_LAYOUT_NCHW);
    ck_assert_int_eq(inception_tensor_dtype(t), INCEPTION_DTYPE_F32);
    inception_tensor_free(t);
    ck_assert_ptr_null(inception_tensor_data(NULL));
    ck_assert_int_eq(inception_tensor_rank(NULL), 0);
    ck_assert_uint_eq(inception_tensor_byte_size(NULL), 0);
    inception_tensor_free(NULL);
}
END_TEST

START_TEST(model_load_misuse) {
    inception_model *m = NULL;
    ck_assert_int_eq(inception_model_load_file(NULL, NULL, &m), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_model_load_file("x", NULL, NULL), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_model_load_memory(NULL, 10, NULL, &m), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_model_load_file("/nonexistent/model.safetensors", NULL, &m), INCEPTION_ERR_IO);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "/nonexistent/model.safetensors"));
    ck_assert_int_eq(inception_model_load_file("/tmp", NULL, &m), INCEPTION_ERR_IO);
    ck_assert_ptr_null(m);
    inception_options *o = opts_backend("no-such-backend", 0);
    ck_assert_int_eq(inception_model_load_memory(model_buf, model_size, o, &m), INCEPTION_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "no-such-backend"));
    inception_options_free(o);
    inception_model_free(NULL);
}
END_TEST

START_TEST(model_broken_files) {
    /* empty and truncated */
    expect_load_error(model_buf, 0, INCEPTION_ERR_FORMAT, NULL);
    expect_load_error(model_buf, 7, INCEPTION_ERR_FORMAT, NULL);
    expect_load_error(model_buf, 100, INCEPTION_ERR_FORMAT, NULL);
    expect_load_error(model_buf, model_size - 1, INCEPTION_ERR_FORMAT, NULL);
    /* header length larger than the file */
    uint8_t *c = malloc(model_size);
    memcpy(c, model_buf, model_size);
    uint64_t big = (uint64_t)model_size + 1;
    for (int i = 0; i < 8; i++) c[i] = (uint8_t)(big >> (8 * i));
    expect_load_error(c, model_size, INCEPTION_ERR_FORMAT, NULL);
    free(c);
    /* a missing tensor, named */
    c = patched(model_buf, model_size, "\"fc.bias\"", "\"fc.xias\"");
    expect_load_error(c, model_size, INCEPTION_ERR_MISSING_TENSOR, "fc.bias");
    free(c);
    /* a wrong shape, named */
    c = patched(model_buf, model_size, "[1000,2048]", "[2048,1000]");
    expect_load_error(c, model_size, INCEPTION_ERR_SHAPE, "fc.weight");
    free(c);
    /* an unknown dtype */
    c = patched(model_buf, model_size, "\"F32\"", "\"Q32\"");
    expect_load_error(c, model_size, INCEPTION_ERR_DTYPE, NULL);
    free(c);
    /* a flipped data byte fails the CRC */
    c = malloc(model_size);
    memcpy(c, model_buf, model_size);
    c[model_size - 5] ^= 0x40;
    expect_load_error(c, model_size, INCEPTION_ERR_CHECKSUM, NULL);
    inception_options *o = NULL;
    inception_options_create(&o);
    inception_options_set_int(o, INCEPTION_OPT_SKIP_CHECKSUM, 1);
    inception_options_set_string(o, INCEPTION_OPT_BACKEND, "ref");
    inception_model *m = NULL;
    ck_assert_int_eq(inception_model_load_memory(c, model_size, o, &m), INCEPTION_OK);
    inception_model_free(m);
    inception_options_free(o);
    free(c);
}
END_TEST

START_TEST(model_queries) {
    inception_model *m = load_ref(model_buf, model_size);
    int64_t v = -1;
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_CLASSES, &v), INCEPTION_OK);
    ck_assert_int_eq(v, 1000);
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_PARAMETERS, &v), INCEPTION_OK);
    ck_assert_int_eq(v, 23834568); /* torchvision's Inception3 without AuxLogits */
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_HAS_AUX, &v), INCEPTION_OK);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_SYNTHETIC, &v), INCEPTION_OK);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_FEATURES, &v), INCEPTION_OK);
    ck_assert_int_eq(v, 2048);
    ck_assert_int_eq(inception_model_info_int(m, (inception_model_info)999, &v), INCEPTION_ERR_NOT_FOUND);
    ck_assert_int_eq(inception_model_info_int(NULL, INCEPTION_INFO_CLASSES, &v), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_CLASSES, NULL), INCEPTION_ERR_INVALID_ARGUMENT);
    const char *s = NULL;
    ck_assert_int_eq(inception_model_info_string(m, INCEPTION_INFO_BACKEND, &s), INCEPTION_OK);
    ck_assert_str_eq(s, "ref");
    ck_assert_int_eq(inception_model_info_string(m, (inception_model_info_str)99, &s), INCEPTION_ERR_NOT_FOUND);
    inception_model_free(m);
}
END_TEST

START_TEST(session_misuse) {
    inception_model *m = load_ref(model_buf, model_size);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(NULL, NULL, &s), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_create(m, NULL, NULL), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_create(m, NULL, &s), INCEPTION_OK);
    const inception_tensor *out = NULL;
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &out), INCEPTION_ERR_NOT_READY);
    ck_assert_int_eq(inception_session_run(s, NULL), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_str_ne(inception_session_last_error(s), "");
    ck_assert_int_eq(inception_session_run(NULL, NULL), INCEPTION_ERR_INVALID_ARGUMENT);

    /* wrong rank / layout */
    int64_t d2[2] = {1, 3};
    inception_tensor *t = NULL;
    inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NC, d2, 2, &t);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_ERR_SHAPE);
    inception_tensor_free(t);
    /* wrong channel count, in both layouts */
    int64_t d4[4] = {1, 4, 80, 80};
    inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d4, 4, &t);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(inception_session_last_error(s), "3 channels"));
    inception_tensor_free(t);
    int64_t h4[4] = {1, 80, 80, 1};
    inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NHWC, h4, 4, &t);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_ERR_SHAPE);
    inception_tensor_free(t);
    /* too small */
    t = input(1, 74, 100);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_ERR_INPUT_SIZE);
    inception_tensor_free(t);
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &out), INCEPTION_ERR_NOT_READY);

    /* the session still works after all that */
    t = input(1, 75, 75);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_OK);
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &out), INCEPTION_OK);
    ck_assert_int_eq(inception_tensor_dim(out, 0), 1);
    ck_assert_int_eq(inception_tensor_dim(out, 1), 1000);
    inception_tensor_free((inception_tensor *)out); /* borrowed: must be a no-op */
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_AUX_LOGITS, &out), INCEPTION_ERR_NOT_FOUND);
    ck_assert_int_eq(inception_session_output(s, (inception_output)3, &out), INCEPTION_ERR_INVALID_ARGUMENT);
    int64_t mem = 0;
    ck_assert_int_eq(inception_session_memory(s, &mem), INCEPTION_OK);
    ck_assert_int_gt(mem, 0);
    const char *name = NULL;
    ck_assert_int_eq(inception_session_profile(s, 0, &name, NULL, NULL, NULL), INCEPTION_ERR_NOT_FOUND);
    inception_tensor_free(t);
    inception_session_free(s);
    inception_session_free(NULL);
    inception_model_free(m);
}
END_TEST

START_TEST(aux_needs_aux_head) {
    inception_model *m = load_ref(noaux_buf, noaux_size);
    inception_options *o = opts_backend(NULL, 1);
    inception_options_set_int(o, INCEPTION_OPT_OUTPUTS, INCEPTION_OUTPUT_LOGITS | INCEPTION_OUTPUT_AUX_LOGITS);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_ERR_UNSUPPORTED);
    ck_assert_ptr_null(s);
    inception_model_free(m);
    /* with the aux head but an input too small for it */
    m = load_ref(model_buf, model_size);
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    /* issue 10 point 19: the run succeeds and only the aux output is absent */
    inception_tensor *t = input(1, 75, 75);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_OK);
    const inception_tensor *out = NULL;
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &out), INCEPTION_OK);
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_AUX_LOGITS, &out), INCEPTION_ERR_NOT_READY);
    ck_assert_ptr_nonnull(strstr(inception_session_last_error(s), "AuxLogits"));
    ck_assert_ptr_nonnull(strstr(inception_session_last_error(s), "too small for the aux head"));
    inception_tensor_free(t);
    /* a large enough input in the same session brings it back */
    t = input(1, 299, 299);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_OK);
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_AUX_LOGITS, &out), INCEPTION_OK);
    ck_assert_int_eq(inception_tensor_dim(out, 1), 1000);
    inception_tensor_free(t);
    inception_session_free(s);
    inception_model_free(m);
    inception_options_free(o);
}
END_TEST

/* A session keeps its model alive: freeing the model first is safe. */
START_TEST(session_outlives_model) {
    inception_model *m = load_ref(model_buf, model_size);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, NULL, &s), INCEPTION_OK);
    inception_model_free(m);
    inception_tensor *t = input(1, 75, 75);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_OK);
    inception_tensor_free(t);
    inception_session_free(s);
}
END_TEST

/* Same input in NHWC and NCHW, and batch 2 rows equal two batch-1 runs. */
START_TEST(layouts_and_batches) {
    inception_model *m = load_ref(model_buf, model_size);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, NULL, &s), INCEPTION_OK);
    const int64_t H = 80, W = 91;
    inception_tensor *nchw = input(2, H, W);
    const float *src = inception_tensor_data(nchw);
    int64_t dh[4] = {2, H, W, 3};
    inception_tensor *nhwc = NULL;
    inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NHWC, dh, 4, &nhwc);
    float *dst = inception_tensor_data(nhwc);
    for (int64_t n = 0; n < 2; n++)
        for (int64_t c = 0; c < 3; c++)
            for (int64_t p = 0; p < H * W; p++) dst[(n * H * W + p) * 3 + c] = src[(n * 3 + c) * H * W + p];
    const inception_tensor *out = NULL;
    float a[2 * 2048], b[2 * 2048];
    ck_assert_int_eq(inception_session_run(s, nchw), INCEPTION_OK);
    inception_session_output(s, INCEPTION_OUTPUT_FEATURES, &out);
    memcpy(a, inception_tensor_data(out), sizeof a);
    ck_assert_int_eq(inception_session_run(s, nhwc), INCEPTION_OK);
    inception_session_output(s, INCEPTION_OUTPUT_FEATURES, &out);
    memcpy(b, inception_tensor_data(out), sizeof b);
    ck_assert_mem_eq(a, b, sizeof a);
    /* second image alone */
    float *one_data = NULL;
    int64_t d1[4] = {1, 3, H, W};
    inception_tensor *one = NULL;
    inception_tensor_wrap(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d1, 4, (void *)(src + 3 * H * W),
                          (size_t)(3 * H * W) * sizeof(float), &one);
    (void)one_data;
    ck_assert_int_eq(inception_session_run(s, one), INCEPTION_OK);
    inception_session_output(s, INCEPTION_OUTPUT_FEATURES, &out);
    ck_assert_mem_eq(a + 2048, inception_tensor_data(out), 2048 * sizeof(float));
    /* probabilities sum to one */
    inception_session_output(s, INCEPTION_OUTPUT_PROBABILITIES, &out);
    double sum = 0;
    for (int i = 0; i < 1000; i++) sum += ((const float *)inception_tensor_data(out))[i];
    ck_assert_double_eq_tol(sum, 1.0, 1e-5);
    inception_tensor_free(one);
    inception_tensor_free(nchw);
    inception_tensor_free(nhwc);
    inception_session_free(s);
    inception_model_free(m);
}
END_TEST

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Worker threads sleep between runs: an idle session with 4 threads burns no CPU. */
START_TEST(idle_session_uses_no_cpu) {
    inception_model *m = load_ref(model_buf, model_size);
    inception_options *o = opts_backend(NULL, 4);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    inception_tensor *t = input(1, 75, 75);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_OK);
    double before = cpu_seconds();
    usleep(500 * 1000);
    double used = cpu_seconds() - before;
    ck_assert_msg(used < 0.05, "idle session used %.3f s of CPU in 0.5 s", used);
    inception_tensor_free(t);
    inception_session_free(s);
    inception_options_free(o);
    inception_model_free(m);
}
END_TEST

/* classify decodes with the image limits of the session's options */
START_TEST(classify_pixel_limit) {
    inception_model *m = load_ref(model_buf, model_size);
    char path[4096];
    const char *data = getenv("INCEPTION_TEST_DATA");
    snprintf(path, sizeof path, "%s/image/data/skimage_chelsea_cat.png", data ? data : "tests");
    inception_options *o = opts_backend(NULL, 1);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_IMAGE_PIXELS, 451 * 300 - 1), INCEPTION_OK);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    int32_t classes[3], n = 0;
    float probs[3];
    ck_assert_int_eq(inception_session_classify_file(s, path, 3, classes, probs, &n), INCEPTION_ERR_IMAGE_TOO_LARGE);
    inception_session_free(s);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_IMAGE_PIXELS, 451 * 300), INCEPTION_OK);
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    ck_assert_int_eq(inception_session_classify_file(s, path, 3, classes, probs, &n), INCEPTION_OK);
    ck_assert_int_eq(n, 3);
    inception_session_free(s);
    inception_options_free(o);
    inception_model_free(m);
}
END_TEST

/* ---- backend plug-in ABI ---- */

static const inception_backend *ref_be;
static int conv_calls, pool_calls, pack_calls;

static inception_status count_pack(void *u, const inception_conv_desc *d, const float *w,
                                   const float *b, void **p) {
    __atomic_fetch_add(&pack_calls, 1, __ATOMIC_RELAXED);
    return ref_be->conv_pack(ref_be->user, d, w, b, p);
}
static void count_release(void *u, void *p) { ref_be->conv_release(ref_be->user, p); }
static size_t count_scratch(void *u, const inception_conv_desc *d, const void *p,
                            const inception_view *i, const inception_view *o, int32_t parts) {
    return ref_be->conv_scratch(ref_be->user, d, p, i, o, parts);
}
static void count_run(void *u, const inception_conv_desc *d, const void *p, const inception_view *i,
                      const inception_view *o, int32_t part, int32_t parts, void *scratch) {
    __atomic_fetch_add(&conv_calls, 1, __ATOMIC_RELAXED);
    ref_be->conv_run(ref_be->user, d, p, i, o, part, parts, scratch);
}
static void count_max(void *u, const inception_pool_desc *d, const inception_view *i,
                      const inception_view *o, int32_t part, int32_t parts) {
    __atomic_fetch_add(&pool_calls, 1, __ATOMIC_RELAXED);
    ref_be->max_pool(ref_be->user, d, i, o, part, parts);
}

START_TEST(custom_backend) {
    ck_assert_int_eq(inception_backend_get("ref", &ref_be), INCEPTION_OK);
    ck_assert_int_eq(inception_backend_get("nope", &ref_be), INCEPTION_ERR_NOT_FOUND);
    ck_assert_int_eq(inception_backend_get("ref", &ref_be), INCEPTION_OK);

    inception_backend b;
    memset(&b, 0, sizeof b);
    b.abi_version = INCEPTION_BACKEND_ABI_VERSION;
    b.struct_size = sizeof b;
    b.name = "counting";
    b.conv_pack = count_pack;
    b.conv_release = count_release;
    b.conv_scratch = count_scratch;
    b.conv_run = count_run;
    b.max_pool = count_max; /* avg pools, gap and softmax fall back to ref */

    /* registration checks */
    ck_assert_int_eq(inception_backend_register(NULL), INCEPTION_ERR_INVALID_ARGUMENT);
    inception_backend bad = b;
    bad.abi_version = 99;
    ck_assert_int_eq(inception_backend_register(&bad), INCEPTION_ERR_BACKEND);
    bad = b;
    bad.struct_size = 4;
    ck_assert_int_eq(inception_backend_register(&bad), INCEPTION_ERR_BACKEND);
    bad = b;
    bad.conv_release = NULL;
    ck_assert_int_eq(inception_backend_register(&bad), INCEPTION_ERR_BACKEND);
    bad = b;
    bad.name = "";
    ck_assert_int_eq(inception_backend_register(&bad), INCEPTION_ERR_INVALID_ARGUMENT);
    bad = b;
    bad.name = "ref";
    ck_assert_int_eq(inception_backend_register(&bad), INCEPTION_ERR_BACKEND);

    ck_assert_int_eq(inception_backend_register(&b), INCEPTION_OK);
    ck_assert_int_eq(inception_backend_register(&b), INCEPTION_ERR_BACKEND); /* duplicate */
    ck_assert_int_eq(inception_backend_available("counting"), 1);
    int found = 0;
    for (int32_t i = 0; i < inception_backend_count(); i++)
        found |= strcmp(inception_backend_name(i), "counting") == 0;
    ck_assert(found);
    ck_assert_ptr_null(inception_backend_name(-1));
    ck_assert_ptr_null(inception_backend_name(inception_backend_count()));

    inception_options *o = opts_backend("counting", 2);
    inception_model *m = NULL;
    ck_assert_int_eq(inception_model_load_memory(model_buf, model_size, o, &m), INCEPTION_OK);
    ck_assert_int_eq(pack_calls, 94 + 1 + 3); /* 94 convs, fc, and the aux head's conv0/conv1/fc */
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    inception_tensor *t = input(1, 75, 75);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_OK);
    ck_assert_int_ge(conv_calls, 94 + 1);
    ck_assert_int_ge(pool_calls, 4); /* maxpool1, maxpool2, Mixed_6a, Mixed_7a */
    const inception_tensor *out = NULL;
    inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &out);
    float counted[1000];
    memcpy(counted, inception_tensor_data(out), sizeof counted);

    inception_model *mr = load_ref(model_buf, model_size);
    inception_session *sr = NULL;
    inception_session_create(mr, NULL, &sr);
    ck_assert_int_eq(inception_session_run(sr, t), INCEPTION_OK);
    inception_session_output(sr, INCEPTION_OUTPUT_LOGITS, &out);
    ck_assert_mem_eq(counted, inception_tensor_data(out), sizeof counted);

    inception_tensor_free(t);
    inception_session_free(s);
    inception_session_free(sr);
    inception_model_free(m);
    inception_model_free(mr);
    inception_options_free(o);
}
END_TEST

int main(void) {
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    if (inc_testmodel_build(&o, &model_buf, &model_size) != 0) return 1;
    o.aux = 0;
    if (inc_testmodel_build(&o, &noaux_buf, &noaux_size) != 0) return 1;

    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, versions);
    tcase_add_test(tc, status_strings);
    tcase_add_test(tc, options_misuse);
    tcase_add_test(tc, tensor_misuse);
    tcase_add_test(tc, model_load_misuse);
    tcase_add_test(tc, model_broken_files);
    tcase_add_test(tc, model_queries);
    tcase_add_test(tc, session_misuse);
    tcase_add_test(tc, aux_needs_aux_head);
    tcase_add_test(tc, session_outlives_model);
    tcase_add_test(tc, layouts_and_batches);
    tcase_add_test(tc, classify_pixel_limit);
    tcase_add_test(tc, idle_session_uses_no_cpu);
    tcase_add_test(tc, custom_backend);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    free(model_buf);
    free(noaux_buf);
    return failed ? 1 : 0;
}

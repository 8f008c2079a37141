/* Ensembles and class activation maps through the public API (docs/paper.md): the
 * ensemble against its models run one by one, the class-space check, and the CAM
 * identity (spatial mean + fc bias = logit) against the fc weights computed here. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inception/inception.h"
#include "testmodel.h"

static char data_dir[512];

static inception_model *make_model(uint64_t seed, int classes, const char *preset,
                                   const char *input_size, const char *name) {
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    o.aux = 0;
    o.seed = seed;
    o.classes = classes;
    o.standard_meta = 0; /* no inception.name of its own: ours below */
    const char *meta[] = {"inception.preset", preset, "inception.input_size", input_size,
                          "inception.name", name, NULL};
    o.extra_meta = meta;
    uint8_t *buf = NULL;
    size_t n = 0;
    ck_assert_int_eq(inc_testmodel_build(&o, &buf, &n), 0);
    inception_model *m = NULL;
    inception_status st = inception_model_load_memory(buf, n, NULL, &m);
    free(buf);
    ck_assert_msg(st == INCEPTION_OK, "load: %s", inception_last_error());
    return m;
}

static void photo(const char *name, char *out, size_t n) {
    snprintf(out, n, "%s/%s", data_dir, name);
}

static inception_options *crop_options(int crops) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_CROPS, crops), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, 2), INCEPTION_OK);
    return o;
}

/* Two models with different weights, presets and input sizes, 10 crops each. */
START_TEST(ensemble_equals_members_averaged) {
    inception_model *m[2] = {make_model(0, 1000, "timm", "107", "a"),
                             make_model(7, 1000, "torchvision", "91", "b")};
    inception_options *o = crop_options(10);
    char path[1024];
    photo("skimage_chelsea_cat.png", path, sizeof path);
    double mean[1000] = {0};
    for (int i = 0; i < 2; i++) {
        inception_session *s = NULL;
        ck_assert_int_eq(inception_session_create(m[i], o, &s), INCEPTION_OK);
        int32_t cls[1000], n = 0;
        float p[1000];
        ck_assert_int_eq(inception_session_classify_file(s, path, 1000, cls, p, &n), INCEPTION_OK);
        ck_assert_int_eq(n, 1000);
        for (int j = 0; j < 1000; j++) mean[cls[j]] += p[j] / 2.0;
        inception_session_free(s);
    }
    inception_ensemble *e = NULL;
    ck_assert_int_eq(inception_ensemble_create((const inception_model *const *)m, 2, o, &e),
                     INCEPTION_OK);
    int32_t cls[1000], n = 0;
    float p[1000];
    ck_assert_msg(inception_ensemble_classify_file(e, path, 1000, cls, p, &n) == INCEPTION_OK,
                  "%s", inception_ensemble_last_error(e));
    ck_assert_int_eq(n, 1000);
    double worst = 0;
    for (int j = 0; j < 1000; j++) worst = fmax(worst, fabs(p[j] - mean[cls[j]]));
    ck_assert_msg(worst <= 1e-6, "max |diff| %g", worst); /* float rounding of the means */
    /* From bytes and from a decoded image: the same answer. */
    inception_image *img = NULL;
    ck_assert_int_eq(inception_image_decode_file(path, NULL, &img), INCEPTION_OK);
    int32_t cls2[5], n2 = 0;
    float p2[5];
    ck_assert_int_eq(inception_ensemble_classify_image(e, img, 5, cls2, p2, &n2), INCEPTION_OK);
    ck_assert_int_eq(n2, 5);
    for (int j = 0; j < 5; j++) {
        ck_assert_int_eq(cls2[j], cls[j]);
        ck_assert_float_eq_tol(p2[j], p[j], 1e-7);
    }
    inception_image_free(img);
    inception_ensemble_free(e);
    /* The models stay usable by the caller after the ensemble is gone. */
    inception_options_free(o);
    inception_model_free(m[0]);
    inception_model_free(m[1]);
}
END_TEST

START_TEST(ensemble_errors) {
    inception_model *a = make_model(0, 1000, "timm", "75", "alpha");
    inception_model *b = make_model(1, 1001, "timm", "75", "beta");
    const inception_model *pair[2] = {a, b};
    inception_ensemble *e = NULL;
    ck_assert_int_eq(inception_ensemble_create(pair, 2, NULL, &e), INCEPTION_ERR_MODEL_MISMATCH);
    ck_assert_ptr_null(e);
    const char *msg = inception_last_error();
    ck_assert_msg(strstr(msg, "alpha") && strstr(msg, "beta"), "message: %s", msg);
    ck_assert_int_eq(inception_ensemble_create(pair, 0, NULL, &e), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_ensemble_create(NULL, 1, NULL, &e), INCEPTION_ERR_INVALID_ARGUMENT);
    const inception_model *holes[2] = {a, NULL};
    ck_assert_int_eq(inception_ensemble_create(holes, 2, NULL, &e), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_ensemble_create(pair, 1, NULL, &e), INCEPTION_OK);
    int32_t c[3], n = -1;
    float p[3];
    ck_assert_int_eq(inception_ensemble_classify_file(e, "/nonexistent.jpg", 3, c, p, &n),
                     INCEPTION_ERR_IO);
    ck_assert_int_eq(n, -1);
    ck_assert(strstr(inception_ensemble_last_error(e), "/nonexistent.jpg") != NULL);
    ck_assert_int_eq(inception_ensemble_classify(e, "xx", 2, 3, c, p, &n), INCEPTION_ERR_IMAGE);
    ck_assert_int_eq(inception_ensemble_classify(e, "xx", 2, 0, c, p, &n),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_ensemble_classify_image(NULL, NULL, 3, c, p, &n),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    inception_ensemble_free(e);
    inception_ensemble_free(NULL);
    inception_model_free(a);
    inception_model_free(b);
}
END_TEST

/* CAM_k = sum_c w_kc F_c: equal to the same sum computed here, and its mean + b_k = logit. */
START_TEST(cam_identity) {
    inception_model *m = make_model(0, 1000, "timm", "299", "cam");
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_OUTPUTS,
                                               INCEPTION_OUTPUT_LOGITS | INCEPTION_OUTPUT_FEATURES |
                                                   INCEPTION_OUTPUT_FEATURE_MAP),
                     INCEPTION_OK);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    inception_tensor *cam = NULL;
    ck_assert_int_eq(inception_session_cam(s, 0, 3, &cam), INCEPTION_ERR_NOT_READY);
    char path[1024];
    photo("skimage_chelsea_cat.png", path, sizeof path);
    inception_image *img = NULL;
    ck_assert_int_eq(inception_image_decode_file(path, NULL, &img), INCEPTION_OK);
    inception_tensor *in = NULL;
    ck_assert_int_eq(inception_model_create_input(m, 1, INCEPTION_LAYOUT_NCHW, &in), INCEPTION_OK);
    ck_assert_int_eq(inception_image_preprocess(m, img, in, 0), INCEPTION_OK);
    ck_assert_int_eq(inception_session_run(s, in), INCEPTION_OK);
    const inception_tensor *fm = NULL, *logits = NULL, *feat = NULL;
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_FEATURE_MAP, &fm), INCEPTION_OK);
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &logits), INCEPTION_OK);
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_FEATURES, &feat), INCEPTION_OK);
    ck_assert_int_eq(inception_tensor_layout(fm), INCEPTION_LAYOUT_NHWC);
    ck_assert_int_eq(inception_tensor_dim(fm, 1), 8);
    ck_assert_int_eq(inception_tensor_dim(fm, 2), 8);
    ck_assert_int_eq(inception_tensor_dim(fm, 3), 2048);
    const float *F = inception_tensor_data(fm), *L = inception_tensor_data(logits);
    const float *G = inception_tensor_data(feat);
    /* The map pools to the features. */
    for (int c = 0; c < 2048; c++) {
        double sum = 0;
        for (int p = 0; p < 64; p++) sum += F[p * 2048 + c];
        ck_assert_msg(fabs(sum / 64 - G[c]) <= 1e-5 * fmax(1.0, fabs(G[c])), "channel %d", c);
    }
    float *w = malloc(sizeof(float) * 1000 * 2048), *b = malloc(sizeof(float) * 1000);
    ck_assert_int_eq(inc_testmodel_tensor("fc.weight", 0, w, 1000 * 2048), 0);
    ck_assert_int_eq(inc_testmodel_tensor("fc.bias", 0, b, 1000), 0);
    const int ks[4] = {0, 3, 281, 999};
    for (int i = 0; i < 4; i++) {
        int k = ks[i];
        ck_assert_int_eq(inception_session_cam(s, 0, k, &cam), INCEPTION_OK);
        ck_assert_int_eq(inception_tensor_rank(cam), 4);
        ck_assert_int_eq(inception_tensor_dim(cam, 1), 8);
        ck_assert_int_eq(inception_tensor_dim(cam, 2), 8);
        ck_assert_int_eq(inception_tensor_dim(cam, 3), 1);
        const float *C = inception_tensor_data(cam);
        double mean = 0, scale = 0, worst = 0;
        for (int p = 0; p < 64; p++) {
            double ref = 0, mag = 0;
            for (int c = 0; c < 2048; c++) {
                ref += (double)w[k * 2048 + c] * F[p * 2048 + c];
                mag += fabs((double)w[k * 2048 + c] * F[p * 2048 + c]);
            }
            worst = fmax(worst, fabs(C[p] - ref) / fmax(mag, 1e-30));
            scale = fmax(scale, mag);
            mean += C[p] / 64.0;
        }
        /* float32 sums of 2048 products: relative to sum |w F| (ulp-level error budget) */
        ck_assert_msg(worst <= 1e-5, "class %d: CAM off by %g of sum|wF|", k, worst);
        double d = fabs(mean + b[k] - L[k]);
        ck_assert_msg(d <= 1e-5 * fmax(1.0, scale), "class %d: mean %g + bias %g != logit %g", k,
                      mean, (double)b[k], (double)L[k]);
        inception_tensor_free(cam);
        cam = NULL;
    }
    ck_assert_int_eq(inception_session_cam(s, 1, 3, &cam), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_cam(s, 0, 1000, &cam), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_cam(s, 0, -1, &cam), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_cam(NULL, 0, 1, &cam), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(cam);
    free(w);
    free(b);
    inception_tensor_free(in);
    inception_image_free(img);
    inception_session_free(s);
    /* Without FEATURE_MAP: NOT_FOUND, saying what to ask for. */
    ck_assert_int_eq(inception_session_create(m, NULL, &s), INCEPTION_OK);
    ck_assert_int_eq(inception_model_create_input(m, 1, INCEPTION_LAYOUT_NCHW, &in), INCEPTION_OK);
    ck_assert_int_eq(inception_session_run(s, in), INCEPTION_OK);
    ck_assert_int_eq(inception_session_cam(s, 0, 1, &cam), INCEPTION_ERR_NOT_FOUND);
    ck_assert(strstr(inception_session_last_error(s), "FEATURE_MAP") != NULL);
    inception_tensor_free(in);
    inception_session_free(s);
    inception_options_free(o);
    inception_model_free(m);
}
END_TEST

int main(void) {
    const char *d = getenv("INCEPTION_TEST_DATA");
    snprintf(data_dir, sizeof data_dir, "%s/image/data", d ? d : "tests");
    Suite *suite = suite_create("paper");
    TCase *tc = tcase_create("paper");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, ensemble_equals_members_averaged);
    tcase_add_test(tc, ensemble_errors);
    tcase_add_test(tc, cam_identity);
    suite_add_tcase(suite, tc);
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

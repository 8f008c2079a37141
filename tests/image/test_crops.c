/* Multi-crop evaluation through the public API: the crop pixels against an independent
 * Pillow implementation (tools/gen_crop_refs.py -> data/refs/crops.tsv, exact), and the
 * session's averaged classify against the crops run one by one. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "inception/inception.h"
#include "testmodel.h"

static char data_dir[512];

static inception_model *make_model(const char *preset, const char *input_size) {
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    o.aux = 0;
    const char *meta[] = {"inception.preset", preset, "inception.input_size", input_size, NULL};
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

static inception_image *decode(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", data_dir, name);
    inception_image *img = NULL;
    ck_assert_msg(inception_image_decode_file(path, NULL, &img) == INCEPTION_OK, "%s: %s", path,
                  inception_last_error());
    return img;
}

/* Every crop of both photos, de-normalised to 8 bits, equals Pillow's. */
START_TEST(crop_pixels_match_pillow) {
    char path[1024];
    snprintf(path, sizeof path, "%s/refs/crops.tsv", data_dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[512], photo[128] = "", preset[32] = "";
    int cur_crops = 0, checked = 0;
    inception_model *m = NULL;
    inception_image *img = NULL;
    inception_tensor *t = NULL;
    float mean[3] = {0}, std[3] = {0};
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        char ph[128], pr[32];
        int crops, index;
        unsigned crc;
        long long sums[3];
        ck_assert_int_eq(sscanf(line, "%127s %31s %d %d %x %lld %lld %lld", ph, pr, &crops,
                                &index, &crc, &sums[0], &sums[1], &sums[2]),
                         8);
        if (strcmp(ph, photo) || strcmp(pr, preset)) {
            inception_model_free(m);
            inception_image_free(img);
            m = make_model(pr, "299");
            img = decode(ph);
            snprintf(photo, sizeof photo, "%s", ph);
            snprintf(preset, sizeof preset, "%s", pr);
            const char *norm = NULL;
            ck_assert_int_eq(inception_model_info_string(m, INCEPTION_INFO_NORMALIZATION, &norm),
                             INCEPTION_OK);
            ck_assert_int_eq(sscanf(norm, "mean=%f,%f,%f std=%f,%f,%f", &mean[0], &mean[1],
                                    &mean[2], &std[0], &std[1], &std[2]),
                             6);
            cur_crops = 0;
        }
        if (crops != cur_crops) {
            inception_tensor_free(t);
            t = NULL;
            ck_assert_int_eq(inception_image_crops(m, img, crops, &t), INCEPTION_OK);
            ck_assert_int_eq(inception_tensor_dim(t, 0), crops);
            ck_assert_int_eq(inception_tensor_dim(t, 1), 3);
            ck_assert_int_eq(inception_tensor_dim(t, 2), 299);
            cur_crops = crops;
        }
        const size_t n = 299 * 299;
        const float *x = (const float *)inception_tensor_data(t) + (size_t)index * 3 * n;
        uint8_t *rgb = malloc(n * 3);
        long long got[3] = {0, 0, 0};
        int out_of_range = 0; /* counted, not asserted per pixel: check's asserts are slow */
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < 3; c++) {
                long v = lroundf((x[c * n + i] * std[c] + mean[c]) * 255.0f);
                out_of_range += v < 0 || v > 255;
                rgb[3 * i + c] = (uint8_t)v;
                got[c] += v;
            }
        ck_assert_int_eq(out_of_range, 0);
        unsigned gcrc = (unsigned)crc32(0, rgb, (uInt)(n * 3));
        free(rgb);
        ck_assert_msg(gcrc == crc, "%s %s crops=%d #%d: crc %08x != %08x (sums %lld/%lld %lld/%lld %lld/%lld)",
                      ph, pr, crops, index, gcrc, crc, got[0], sums[0], got[1], sums[1], got[2],
                      sums[2]);
        checked++;
    }
    fclose(f);
    ck_assert_int_eq(checked, 2 * (1 + 10 + 12 + 144));
    inception_tensor_free(t);
    inception_image_free(img);
    inception_model_free(m);
}
END_TEST

/* The session's averaged result = the mean over inception_image_crops run one at a time. */
static void check_average(const char *input_size, int crops, int average, int batch) {
    inception_model *m = make_model("timm", input_size);
    inception_image *img = decode("skimage_chelsea_cat.png");
    inception_tensor *t = NULL;
    ck_assert_int_eq(inception_image_crops(m, img, crops, &t), INCEPTION_OK);
    inception_session *plain = NULL;
    ck_assert_int_eq(inception_session_create(m, NULL, &plain), INCEPTION_OK);
    const int64_t h = inception_tensor_dim(t, 2), w = inception_tensor_dim(t, 3);
    const size_t per = (size_t)(3 * h * w);
    double mean[1000] = {0};
    for (int i = 0; i < crops; i++) {
        int64_t dims[4] = {1, 3, h, w};
        inception_tensor *one = NULL;
        ck_assert_int_eq(inception_tensor_wrap(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims, 4,
                                               (float *)inception_tensor_data(t) + i * per,
                                               per * sizeof(float), &one),
                         INCEPTION_OK);
        ck_assert_int_eq(inception_session_run(plain, one), INCEPTION_OK);
        const inception_tensor *out = NULL;
        ck_assert_int_eq(inception_session_output(plain, average ? INCEPTION_OUTPUT_LOGITS
                                                                 : INCEPTION_OUTPUT_PROBABILITIES,
                                                  &out),
                         INCEPTION_OK);
        const float *v = inception_tensor_data(out);
        for (int j = 0; j < 1000; j++) mean[j] += v[j] / crops;
        inception_tensor_free(one);
    }
    if (average) { /* softmax of the mean logits */
        double mx = mean[0], sum = 0;
        for (int j = 1; j < 1000; j++) mx = mean[j] > mx ? mean[j] : mx;
        for (int j = 0; j < 1000; j++) sum += exp(mean[j] - mx);
        for (int j = 0; j < 1000; j++) mean[j] = exp(mean[j] - mx) / sum;
    }
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_CROPS, crops), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_CROP_AVERAGE, average),
                     INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_CROP_BATCH, batch), INCEPTION_OK);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    char path[1024];
    snprintf(path, sizeof path, "%s/skimage_chelsea_cat.png", data_dir);
    int32_t classes[1000], count = 0;
    float probs[1000];
    ck_assert_msg(inception_session_classify_file(s, path, 1000, classes, probs, &count) ==
                      INCEPTION_OK, "%s", inception_session_last_error(s));
    ck_assert_int_eq(count, 1000);
    double worst = 0;
    int unsorted = 0;
    for (int j = 0; j < 1000; j++) {
        double d = fabs(probs[j] - mean[classes[j]]);
        worst = d > worst ? d : worst;
        unsorted += j && probs[j] > probs[j - 1];
    }
    ck_assert_int_eq(unsorted, 0);
    /* Same crops, same kernels; only the batch size and float summation order differ. */
    ck_assert_msg(worst <= 1e-6, "crops=%d average=%d: max |diff| %g", crops, average, worst);
    /* Memory is the plan of one CROP_BATCH-sized run, whatever the crop count. */
    int64_t mem = 0, mem_plain = 0;
    ck_assert_int_eq(inception_session_memory(s, &mem), INCEPTION_OK);
    int b = batch < crops ? batch : crops;
    while (crops % b) b--;
    inception_tensor *bt = NULL;
    ck_assert_int_eq(inception_model_create_input(m, b, INCEPTION_LAYOUT_NCHW, &bt), INCEPTION_OK);
    ck_assert_int_eq(inception_session_run(plain, bt), INCEPTION_OK);
    ck_assert_int_eq(inception_session_memory(plain, &mem_plain), INCEPTION_OK);
    ck_assert_int_eq(mem, mem_plain);
    inception_tensor_free(bt);
    inception_session_free(s);
    inception_options_free(o);
    inception_session_free(plain);
    inception_tensor_free(t);
    inception_image_free(img);
    inception_model_free(m);
}

START_TEST(average_10_logits) { check_average("107", 10, 1, 4); }
END_TEST
START_TEST(average_12_probs) { check_average("107", 12, 0, 12); }
END_TEST
START_TEST(average_144_probs) { check_average("75", 144, 0, 16); }
END_TEST

START_TEST(crop_errors) {
    inception_model *m = make_model("timm", "75");
    inception_image *img = decode("skimage_chelsea_cat.png");
    inception_tensor *t = NULL;
    ck_assert_int_eq(inception_image_crops(m, img, 7, &t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_crops(NULL, img, 10, &t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_crops(m, NULL, 10, &t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_crops(m, img, 10, NULL), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(t);
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_CROPS, 7),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_CROP_AVERAGE, 2),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_CROP_BATCH, 0),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_CROPS, "10"),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    /* Logit averaging without the logits output is refused, not approximated. */
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_CROPS, 10), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_CROP_AVERAGE, 1), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_OUTPUTS,
                                               INCEPTION_OUTPUT_PROBABILITIES),
                     INCEPTION_OK);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    char path[1024];
    snprintf(path, sizeof path, "%s/skimage_chelsea_cat.png", data_dir);
    int32_t classes[5], count = -1;
    float probs[5];
    ck_assert_int_eq(inception_session_classify_file(s, path, 5, classes, probs, &count),
                     INCEPTION_ERR_UNSUPPORTED);
    ck_assert_int_eq(count, -1);
    ck_assert(strstr(inception_session_last_error(s), "logits") != NULL);
    inception_session_free(s);
    inception_options_free(o);
    inception_image_free(img);
    inception_model_free(m);
}
END_TEST

int main(void) {
    const char *d = getenv("INCEPTION_TEST_DATA");
    snprintf(data_dir, sizeof data_dir, "%s/image/data", d ? d : "tests");
    Suite *suite = suite_create("crops");
    TCase *tc = tcase_create("crops");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, crop_pixels_match_pillow);
    tcase_add_test(tc, average_10_logits);
    tcase_add_test(tc, average_12_probs);
    tcase_add_test(tc, average_144_probs);
    tcase_add_test(tc, crop_errors);
    suite_add_tcase(suite, tc);
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

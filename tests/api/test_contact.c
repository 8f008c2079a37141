/* Issue 10 ("first contact"), library side: models without labels or without fc, labels
 * files, normalisation options and the resize/unit presets, the ISA query, named block
 * outputs, aux logits on small inputs, parameter counts, classify_image, INCEPTION_SIMD_LEVEL
 * and files that are not safetensors. Black-box: public headers only. */
#include <check.h>
#include <inception/backend.h>
#include <inception/inception.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testmodel.h"

static uint8_t *full_buf, *five_buf, *trunk_buf, *bg_buf;
static size_t full_size, five_size, trunk_size, bg_size;

static inception_model *load(const uint8_t *buf, size_t size, const char *backend,
                             inception_options *o, inception_status want) {
    inception_options *own = NULL;
    if (!o) ck_assert_int_eq(inception_options_create(&own), INCEPTION_OK);
    inception_options *use = o ? o : own;
    if (backend) ck_assert_int_eq(inception_options_set_string(use, INCEPTION_OPT_BACKEND, backend), INCEPTION_OK);
    inception_model *m = NULL;
    inception_status st = inception_model_load_memory(buf, size, use, &m);
    ck_assert_msg(st == want, "load: status %d, want %d: %s", st, want, inception_last_error());
    inception_options_free(own);
    return m;
}

static inception_session *session(const inception_model *m, const char *extra, int64_t outputs) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, 2), INCEPTION_OK);
    if (outputs) ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_OUTPUTS, outputs), INCEPTION_OK);
    if (extra) ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_EXTRA_OUTPUTS, extra), INCEPTION_OK);
    inception_session *s = NULL;
    inception_status st = inception_session_create(m, o, &s);
    ck_assert_msg(st == INCEPTION_OK, "session: %s", inception_last_error());
    inception_options_free(o);
    return s;
}

static inception_tensor *input(int64_t n, int64_t h, int64_t w) {
    int64_t d[4] = {n, 3, h, w};
    inception_tensor *t = NULL;
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d, 4, &t), INCEPTION_OK);
    inc_testmodel_uniform("input/contact", 0, inception_tensor_data(t), (size_t)(n * 3 * h * w));
    return t;
}

static void write_file(const char *path, const char *text, size_t len) {
    if (len == 0) len = strlen(text);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

static int64_t info(const inception_model *m, inception_model_info k) {
    int64_t v = -1;
    ck_assert_int_eq(inception_model_info_int(m, k, &v), INCEPTION_OK);
    return v;
}

static const char *photo(const char *name) {
    static char path[4096];
    const char *data = getenv("INCEPTION_TEST_DATA");
    snprintf(path, sizeof path, "%s/image/data/%s", data ? data : "tests", name);
    return path;
}

#define MSG_HAS(needle) \
    ck_assert_msg(strstr(inception_last_error(), needle), "'%s' lacks '%s'", inception_last_error(), needle)

/* Point 8: a 5-class model classifies without labels; labels come from a file. */
START_TEST(labels) {
    inception_model *m = load(five_buf, five_size, NULL, NULL, INCEPTION_OK);
    ck_assert_int_eq(info(m, INCEPTION_INFO_CLASSES), 5);
    ck_assert_int_eq(info(m, INCEPTION_INFO_HAS_LABELS), 0);
    const char *label = NULL;
    ck_assert_int_eq(inception_model_label(m, 3, &label), INCEPTION_ERR_NOT_FOUND);
    inception_session *s = session(m, NULL, 0);
    int32_t cls[5], n = 0;
    float p[5];
    ck_assert_int_eq(inception_session_classify_file(s, photo("skimage_chelsea_cat.png"), 5, cls, p, &n), INCEPTION_OK);
    ck_assert_int_eq(n, 5);
    inception_session_free(s);
    inception_model_free(m);

    char dir[] = "/tmp/inception-labels-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char lines[4200], json[4200], short4[4200], bad[4200], missing[4200];
    snprintf(lines, sizeof lines, "%s/lines.txt", dir);
    snprintf(json, sizeof json, "%s/labels.json", dir);
    snprintf(short4, sizeof short4, "%s/four.txt", dir);
    snprintf(bad, sizeof bad, "%s/bad.txt", dir);
    snprintf(missing, sizeof missing, "%s/none.txt", dir);
    write_file(lines, "cat\r\ndog\nb\xc3\xa9te\nfox\nowl\n", 0);
    write_file(json, " [\"cat\", \"dog\", \"b\\u00e9te\", \"fox\", \"owl\"]\n", 0);
    write_file(short4, "a\nb\nc\nd\n", 0);
    write_file(bad, "a\nb\n\xff\nd\ne\n", 0);
    const char *files[2] = {lines, json};
    for (int i = 0; i < 2; i++) {
        inception_options *o = NULL;
        inception_options_create(&o);
        ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_LABELS_FILE, files[i]), INCEPTION_OK);
        m = load(five_buf, five_size, NULL, o, INCEPTION_OK);
        ck_assert_int_eq(info(m, INCEPTION_INFO_HAS_LABELS), 1);
        ck_assert_int_eq(inception_model_label(m, 0, &label), INCEPTION_OK);
        ck_assert_str_eq(label, "cat");
        ck_assert_int_eq(inception_model_label(m, 2, &label), INCEPTION_OK);
        ck_assert_str_eq(label, "b\xc3\xa9te");
        inception_model_free(m);
        inception_options_free(o);
    }
    struct { const char *path; inception_status st; const char *needle; } errs[] = {
        {short4, INCEPTION_ERR_FORMAT, "has 4 labels, expected 5"},
        {bad, INCEPTION_ERR_FORMAT, "not valid UTF-8"},
        {missing, INCEPTION_ERR_IO, "none.txt"},
    };
    for (int i = 0; i < 3; i++) {
        inception_options *o = NULL;
        inception_options_create(&o);
        inception_options_set_string(o, INCEPTION_OPT_LABELS_FILE, errs[i].path);
        load(five_buf, five_size, NULL, o, errs[i].st);
        MSG_HAS(errs[i].needle);
        inception_options_free(o);
    }
    /* 1001 classes with label offset 1: 1000 labels, class 0 is the background */
    char big[8000] = "";
    size_t len = 0;
    for (int i = 0; i < 1000; i++) len += (size_t)snprintf(big + len, sizeof big - len, "c%d\n", i);
    write_file(lines, big, len);
    inception_options *o = NULL;
    inception_options_create(&o);
    inception_options_set_string(o, INCEPTION_OPT_LABELS_FILE, lines);
    m = load(bg_buf, bg_size, NULL, o, INCEPTION_OK);
    ck_assert_int_eq(inception_model_label(m, 0, &label), INCEPTION_OK);
    ck_assert_str_eq(label, "background");
    ck_assert_int_eq(inception_model_label(m, 1, &label), INCEPTION_OK);
    ck_assert_str_eq(label, "c0");
    inception_model_free(m);
    /* the same 1000 labels on a 5-class model: a clear count error */
    load(five_buf, five_size, NULL, o, INCEPTION_ERR_FORMAT);
    MSG_HAS("has 1000 labels, expected 5");
    inception_options_free(o);
    /* a 1000-class head without labels keeps the deliberate built-in ImageNet names */
    m = load(full_buf, full_size, NULL, NULL, INCEPTION_OK);
    ck_assert_int_eq(info(m, INCEPTION_INFO_HAS_LABELS), 0);
    ck_assert_int_eq(inception_model_label(m, 0, &label), INCEPTION_OK);
    ck_assert_str_eq(label, "tench");
    inception_model_free(m);
    unlink(lines), unlink(json), unlink(short4), unlink(bad);
    rmdir(dir);
}
END_TEST

/* Point 9: MEAN/STD options, the resize and unit presets. */
START_TEST(normalisation) {
    inception_options *o = NULL;
    inception_options_create(&o);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_MEAN, "1,2"), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_MEAN, "nan,0,0"), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_STD, "0,1,1"), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MEAN, 1), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_PRESET, "keras"), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_MEAN, "0.485, 0.456,0.406"), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_STD, "0.229,0.224,0.225"), INCEPTION_OK);
    inception_model *m = load(full_buf, full_size, NULL, o, INCEPTION_OK);
    const char *str = NULL;
    ck_assert_int_eq(inception_model_info_string(m, INCEPTION_INFO_NORMALIZATION, &str), INCEPTION_OK);
    ck_assert_str_eq(str, "mean=0.485,0.456,0.406 std=0.229,0.224,0.225");
    inception_model_free(m);
    /* a std so small that white overflows float32 is refused at load */
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_STD, "1e-40,1,1"), INCEPTION_OK);
    load(full_buf, full_size, NULL, o, INCEPTION_ERR_INVALID_ARGUMENT);
    MSG_HAS("MEAN/STD");
    inception_options_free(o);

    /* "unit": whole image resized, values pixel/255; "resize": no crop, mean/std kept */
    uint8_t px[300 * 600 * 3];
    for (int y = 0; y < 300; y++)
        for (int x = 0; x < 600; x++) {
            uint8_t *d = px + ((size_t)y * 600 + x) * 3;
            d[0] = x < 200 ? 255 : 0, d[1] = x >= 560 ? 204 : 0, d[2] = x < 40 ? 255 : 51;
        }
    inception_image *img = NULL;
    ck_assert_int_eq(inception_image_from_pixels(px, 600, 300, 600 * 3, INCEPTION_PIXEL_RGB, NULL, &img), INCEPTION_OK);
    const char *presets[3] = {"unit", "resize", "timm"};
    for (int i = 0; i < 3; i++) {
        inception_options_create(&o);
        ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_PRESET, presets[i]), INCEPTION_OK);
        m = load(full_buf, full_size, NULL, o, INCEPTION_OK);
        ck_assert_int_eq(inception_model_info_string(m, INCEPTION_INFO_PRESET, &str), INCEPTION_OK);
        ck_assert_str_eq(str, presets[i]);
        inception_tensor *t = NULL;
        ck_assert_int_eq(inception_model_create_input(m, 1, INCEPTION_LAYOUT_NHWC, &t), INCEPTION_OK);
        ck_assert_int_eq(inception_image_preprocess(m, img, t, 0), INCEPTION_OK);
        const float *v = inception_tensor_data(t);
        const float *left = v + (150 * 299 + 0) * 3, *right = v + (150 * 299 + 298) * 3;
        if (i == 0) { /* [0,1] */
            ck_assert_float_eq_tol(left[0], 1.0f, 1e-6f);
            ck_assert_float_eq_tol(left[2], 1.0f, 1e-6f);
            ck_assert_float_eq_tol(right[1], 0.8f, 1e-6f);
            ck_assert_float_eq_tol(right[0], 0.0f, 1e-6f);
        } else if (i == 1) { /* [-1,1]: the file's mean/std */
            ck_assert_float_eq_tol(left[2], 1.0f, 1e-6f);
            ck_assert_float_eq_tol(right[1], 0.6f, 1e-5f);
        } else { /* timm crops the middle: neither edge stripe reaches the border */
            ck_assert_float_lt(left[2], 0.0f);
            ck_assert_float_lt(right[1], 0.0f);
        }
        inception_tensor_free(t);
        inception_model_free(m);
        inception_options_free(o);
    }
    inception_image_free(img);
    /* the metadata accepts the new presets; a degenerate std there is a FORMAT error */
    inc_testmodel_opts to;
    inc_testmodel_opts_default(&to);
    const char *meta[] = {"inception.preset", "unit", NULL, NULL};
    to.extra_meta = meta;
    uint8_t *buf = NULL;
    size_t size = 0;
    ck_assert_int_eq(inc_testmodel_build(&to, &buf, &size), 0);
    m = load(buf, size, NULL, NULL, INCEPTION_OK);
    ck_assert_int_eq(inception_model_info_string(m, INCEPTION_INFO_NORMALIZATION, &str), INCEPTION_OK);
    ck_assert_str_eq(str, "mean=0,0,0 std=1,1,1");
    inception_model_free(m);
    free(buf);
    const char *meta2[] = {"inception.std", "1e-40,1,1", NULL, NULL};
    to.extra_meta = meta2;
    ck_assert_int_eq(inc_testmodel_build(&to, &buf, &size), 0);
    load(buf, size, NULL, NULL, INCEPTION_ERR_FORMAT);
    MSG_HAS("inception.std");
    free(buf);
}
END_TEST

/* Point 10: a trunk without fc is a feature extractor with the full model's features. */
START_TEST(feature_extractor) {
    inception_model *m = load(trunk_buf, trunk_size, NULL, NULL, INCEPTION_OK);
    ck_assert_int_eq(info(m, INCEPTION_INFO_HAS_FC), 0);
    ck_assert_int_eq(info(m, INCEPTION_INFO_CLASSES), 0);
    ck_assert_int_eq(info(m, INCEPTION_INFO_HAS_AUX), 0);
    ck_assert_int_eq(info(m, INCEPTION_INFO_PARAMETERS), 23834568 - 2049000);
    inception_model *full = load(full_buf, full_size, NULL, NULL, INCEPTION_OK);
    ck_assert_int_eq(info(full, INCEPTION_INFO_HAS_FC), 1);
    inception_session *s = session(m, NULL, 0), *sf = session(full, NULL, 0);
    inception_tensor *t = input(1, 299, 299);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_OK);
    ck_assert_int_eq(inception_session_run(sf, t), INCEPTION_OK);
    const inception_tensor *f = NULL, *ff = NULL, *lg = NULL;
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_FEATURES, &f), INCEPTION_OK);
    ck_assert_int_eq(inception_session_output(sf, INCEPTION_OUTPUT_FEATURES, &ff), INCEPTION_OK);
    ck_assert_int_eq(memcmp(inception_tensor_data(f), inception_tensor_data(ff), 2048 * sizeof(float)), 0);
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &lg), INCEPTION_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(inception_session_last_error(s), "no fc layer"));
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_PROBABILITIES, &lg), INCEPTION_ERR_UNSUPPORTED);
    int32_t cls[3], n = 0;
    float p[3];
    ck_assert_int_eq(inception_session_classify_file(s, photo("skimage_chelsea_cat.png"), 3, cls, p, &n), INCEPTION_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(inception_session_last_error(s), "no fc layer"));
    inception_tensor_free(t);
    inception_session_free(s);
    inception_session_free(sf);
    /* aux on a model without AuxLogits: a clear error at session create */
    inception_options *o = NULL;
    inception_options_create(&o);
    inception_options_set_int(o, INCEPTION_OPT_OUTPUTS, INCEPTION_OUTPUT_AUX_LOGITS);
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_ERR_UNSUPPORTED);
    MSG_HAS("AuxLogits");
    inception_options_free(o);
    inception_options_create(&o);
    inception_options_set_string(o, INCEPTION_OPT_LABELS_FILE, "/nonexistent");
    load(trunk_buf, trunk_size, NULL, o, INCEPTION_ERR_INVALID_ARGUMENT);
    MSG_HAS("no fc classifier");
    inception_options_free(o);
    inception_model_free(m);
    inception_model_free(full);
}
END_TEST

/* Point 15 and 19: the ISA actually used; INCEPTION_SIMD_LEVEL must be known. */
static inception_backend wrap;
START_TEST(isa) {
    inception_model *m = load(five_buf, five_size, "ref", NULL, INCEPTION_OK);
    const char *s = NULL;
    ck_assert_int_eq(inception_model_info_string(m, INCEPTION_INFO_ISA, &s), INCEPTION_OK);
    ck_assert_str_eq(s, "c");
    inception_model_free(m);
    if (inception_backend_available("simd")) {
        m = load(five_buf, five_size, "simd", NULL, INCEPTION_OK);
        ck_assert_int_eq(inception_model_info_string(m, INCEPTION_INFO_ISA, &s), INCEPTION_OK);
        ck_assert_msg(!strcmp(s, "avx2") || !strcmp(s, "avx512"), "isa %s", s);
        inception_model_free(m);
        m = load(five_buf, five_size, "simd-avx2", NULL, INCEPTION_OK);
        ck_assert_int_eq(inception_model_info_string(m, INCEPTION_INFO_ISA, &s), INCEPTION_OK);
        ck_assert_str_eq(s, "avx2");
        inception_model_free(m);
    }
    const inception_backend *ref = NULL;
    ck_assert_int_eq(inception_backend_get("ref", &ref), INCEPTION_OK);
    wrap = *ref;
    wrap.name = "contact-plugin";
    ck_assert_int_eq(inception_backend_register(&wrap), INCEPTION_OK);
    m = load(five_buf, five_size, "contact-plugin", NULL, INCEPTION_OK);
    ck_assert_int_eq(inception_model_info_string(m, INCEPTION_INFO_ISA, &s), INCEPTION_OK);
    ck_assert_str_eq(s, "unknown");
    inception_model_free(m);
}
END_TEST

START_TEST(simd_level_env) {
    setenv("INCEPTION_SIMD_LEVEL", "avx3", 1); /* read once per process: forked test */
    if (!inception_backend_available("simd")) return;
    load(five_buf, five_size, NULL, NULL, INCEPTION_ERR_BACKEND);
    MSG_HAS("INCEPTION_SIMD_LEVEL='avx3'");
    load(five_buf, five_size, "simd-avx2", NULL, INCEPTION_ERR_BACKEND);
    inception_model_free(load(five_buf, five_size, "ref", NULL, INCEPTION_OK));
}
END_TEST

/* Point 19: parameter counts with and without the aux head. */
START_TEST(parameters) {
    inception_model *m = load(full_buf, full_size, NULL, NULL, INCEPTION_OK);
    ck_assert_int_eq(info(m, INCEPTION_INFO_PARAMETERS), 23834568);
    ck_assert_int_eq(info(m, INCEPTION_INFO_PARAMETERS_WITH_AUX), 27161264); /* torchvision */
    inception_model_free(m);
    m = load(trunk_buf, trunk_size, NULL, NULL, INCEPTION_OK);
    ck_assert_int_eq(info(m, INCEPTION_INFO_PARAMETERS_WITH_AUX), info(m, INCEPTION_INFO_PARAMETERS));
    inception_model_free(m);
}
END_TEST

/* Conv2d_1a_3x3 at (y, x, c) straight from the generator's weights, BN folded here. */
static double stem_ref(const float *in, int64_t h, int64_t w, int y, int x, int c) {
    static float wt[32 * 3 * 9], g[32], b[32], mu[32], var[32];
    inc_testmodel_tensor("Conv2d_1a_3x3.conv.weight", 0, wt, 32 * 27);
    inc_testmodel_tensor("Conv2d_1a_3x3.bn.weight", 0, g, 32);
    inc_testmodel_tensor("Conv2d_1a_3x3.bn.bias", 0, b, 32);
    inc_testmodel_tensor("Conv2d_1a_3x3.bn.running_mean", 0, mu, 32);
    inc_testmodel_tensor("Conv2d_1a_3x3.bn.running_var", 0, var, 32);
    double acc = 0;
    for (int ci = 0; ci < 3; ci++)
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
                acc += (double)wt[((c * 3 + ci) * 3 + ky) * 3 + kx] *
                       in[(ci * h + 2 * y + ky) * w + 2 * x + kx];
    double scale = g[c] / sqrt((double)var[c] + 0.001);
    double v = acc * scale + b[c] - mu[c] * scale;
    return v > 0 ? v : 0;
}

/* Point 19: named block outputs, checked against independent results. */
START_TEST(named_outputs) {
    inception_model *m = load(full_buf, full_size, NULL, NULL, INCEPTION_OK);
    inception_options *o = NULL;
    inception_options_create(&o);
    inception_options_set_string(o, INCEPTION_OPT_EXTRA_OUTPUTS, "Mixed_6e,Mixed_9z");
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_ERR_INVALID_ARGUMENT);
    MSG_HAS("no block named 'Mixed_9z'");
    MSG_HAS("Conv2d_1a_3x3, Conv2d_2a_3x3");
    MSG_HAS("Mixed_7c");
    inception_options_free(o);
    s = session(m, " Mixed_7c, Conv2d_1a_3x3,Mixed_6e,maxpool2,Mixed_7c", 0);
    const inception_tensor *t7 = NULL, *stem = NULL, *f = NULL, *t6 = NULL, *mp = NULL;
    ck_assert_int_eq(inception_session_output_named(s, "Mixed_7c", &t7), INCEPTION_ERR_NOT_READY);
    ck_assert_int_eq(inception_session_output_named(s, "Mixed_5b", &t7), INCEPTION_ERR_NOT_FOUND);
    ck_assert_int_eq(inception_session_output_named(s, NULL, &t7), INCEPTION_ERR_INVALID_ARGUMENT);
    inception_tensor *in = input(2, 299, 299);
    ck_assert_int_eq(inception_session_run(s, in), INCEPTION_OK);
    ck_assert_int_eq(inception_session_output_named(s, "Mixed_7c", &t7), INCEPTION_OK);
    ck_assert_int_eq(inception_session_output_named(s, "Conv2d_1a_3x3", &stem), INCEPTION_OK);
    ck_assert_int_eq(inception_session_output_named(s, "Mixed_6e", &t6), INCEPTION_OK);
    ck_assert_int_eq(inception_session_output_named(s, "maxpool2", &mp), INCEPTION_OK);
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_FEATURES, &f), INCEPTION_OK);
    ck_assert_int_eq(inception_tensor_layout(t7), INCEPTION_LAYOUT_NHWC);
    int64_t want7[4] = {2, 8, 8, 2048}, want1[4] = {2, 149, 149, 32}, want6[4] = {2, 17, 17, 768},
            wantp[4] = {2, 35, 35, 192};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(inception_tensor_dim(t7, i), want7[i]);
        ck_assert_int_eq(inception_tensor_dim(stem, i), want1[i]);
        ck_assert_int_eq(inception_tensor_dim(t6, i), want6[i]);
        ck_assert_int_eq(inception_tensor_dim(mp, i), wantp[i]);
    }
    ck_assert_uint_eq(inception_tensor_byte_size(t7), 2u * 64 * 2048 * sizeof(float));
    /* Mixed_7c pooled over its 8x8 grid is the FEATURES output */
    const float *a = inception_tensor_data(t7), *fv = inception_tensor_data(f);
    for (int n = 0; n < 2; n++)
        for (int c = 0; c < 2048; c++) {
            double sum = 0;
            for (int p = 0; p < 64; p++) sum += a[((size_t)n * 64 + p) * 2048 + c];
            ck_assert_msg(fabs(sum / 64 - fv[n * 2048 + c]) <= 1e-4 * (1 + fabs(sum / 64)),
                          "n %d c %d: pooled %g, features %g", n, c, sum / 64, fv[n * 2048 + c]);
        }
    /* the first stem conv against a direct computation from the generator's weights */
    const float *sv = inception_tensor_data(stem), *iv = inception_tensor_data(in);
    int pos[4][3] = {{0, 0, 0}, {148, 148, 31}, {70, 13, 5}, {3, 141, 17}};
    for (int n = 0; n < 2; n++)
        for (int k = 0; k < 4; k++) {
            int y = pos[k][0], x = pos[k][1], c = pos[k][2];
            double want = stem_ref(iv + (size_t)n * 3 * 299 * 299, 299, 299, y, x, c);
            float got = sv[(((size_t)n * 149 + y) * 149 + x) * 32 + c];
            ck_assert_msg(fabs(got - want) <= 1e-4 * (1 + fabs(want)), "stem (%d,%d,%d,%d): %g vs %g",
                          n, y, x, c, got, want);
        }
    /* kept tensors are not overwritten by later layers: a second session without named
     * outputs gives the same features */
    inception_session *plain = session(m, NULL, 0);
    ck_assert_int_eq(inception_session_run(plain, in), INCEPTION_OK);
    const inception_tensor *pf = NULL;
    ck_assert_int_eq(inception_session_output(plain, INCEPTION_OUTPUT_FEATURES, &pf), INCEPTION_OK);
    ck_assert_int_eq(memcmp(inception_tensor_data(pf), fv, 2 * 2048 * sizeof(float)), 0);
    inception_session_free(plain);
    inception_tensor_free(in);
    inception_session_free(s);
    inception_model_free(m);
}
END_TEST

/* Point 18: classify a decoded image or raw pixels. */
START_TEST(classify_image) {
    inception_model *m = load(full_buf, full_size, NULL, NULL, INCEPTION_OK);
    inception_session *s = session(m, NULL, 0);
    int32_t c1[5], c2[5], n1 = 0, n2 = 0;
    float p1[5], p2[5];
    const char *path = photo("skimage_chelsea_cat.png"); /* PNG: no DCT-domain scaling */
    ck_assert_int_eq(inception_session_classify_file(s, path, 5, c1, p1, &n1), INCEPTION_OK);
    inception_image *img = NULL;
    ck_assert_int_eq(inception_image_decode_file(path, NULL, &img), INCEPTION_OK);
    ck_assert_int_eq(inception_session_classify_image(s, img, 5, c2, p2, &n2), INCEPTION_OK);
    ck_assert_int_eq(n1, 5);
    ck_assert_int_eq(n2, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(c1[i], c2[i]);
        ck_assert_float_eq(p1[i], p2[i]);
    }
    /* raw pixels through inception_image_from_pixels */
    inception_image *copy = NULL;
    ck_assert_int_eq(inception_image_from_pixels(inception_image_pixels(img), inception_image_width(img),
                                                 inception_image_height(img), (size_t)inception_image_width(img) * 3,
                                                 INCEPTION_PIXEL_RGB, NULL, &copy), INCEPTION_OK);
    ck_assert_int_eq(inception_session_classify_image(s, copy, 5, c2, p2, &n2), INCEPTION_OK);
    ck_assert_int_eq(c1[0], c2[0]);
    ck_assert_int_eq(inception_session_classify_image(s, NULL, 5, c2, p2, &n2), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_classify_image(s, img, 0, c2, p2, &n2), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_classify_image(NULL, img, 5, c2, p2, &n2), INCEPTION_ERR_INVALID_ARGUMENT);
    inception_image_free(copy);
    inception_image_free(img);
    inception_session_free(s);
    inception_model_free(m);
}
END_TEST

/* Point 20: a photo given as the model is named as one. */
START_TEST(not_safetensors) {
    FILE *f = fopen(photo("matplotlib_grace_hopper.jpg"), "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t head[4096];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    load(head, n, NULL, NULL, INCEPTION_ERR_FORMAT);
    MSG_HAS("not a safetensors file (starts with FF D8 FF, a JPEG?)");
    inception_model *m = NULL;
    ck_assert_int_eq(inception_model_load_file(photo("skimage_chelsea_cat.png"), NULL, &m), INCEPTION_ERR_FORMAT);
    MSG_HAS("a PNG?");
}
END_TEST

static void build(int32_t classes, int32_t aux, uint8_t **buf, size_t *size) {
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    o.classes = classes;
    o.aux = aux;
    if (inc_testmodel_build(&o, buf, size) != 0) exit(1);
}

int main(void) {
    build(1000, 1, &full_buf, &full_size);
    build(5, 0, &five_buf, &five_size);
    build(0, 0, &trunk_buf, &trunk_size);
    build(1001, 0, &bg_buf, &bg_size);
    Suite *s = suite_create("contact");
    TCase *tc = tcase_create("contact");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, labels);
    tcase_add_test(tc, normalisation);
    tcase_add_test(tc, feature_extractor);
    tcase_add_test(tc, isa);
    tcase_add_test(tc, simd_level_env);
    tcase_add_test(tc, parameters);
    tcase_add_test(tc, named_outputs);
    tcase_add_test(tc, classify_image);
    tcase_add_test(tc, not_safetensors);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    free(full_buf), free(five_buf), free(trunk_buf), free(bg_buf);
    return failed ? 1 : 0;
}

/* Image layer through the public API on a real (synthetic-weight) model: classify,
 * preprocess into tensors, create_input, labels, and argument checking. Links the whole
 * library (inception_internal_dep) and builds its model in memory with testmodel. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "api/handles.h"
#include "image/image.h"
#include "testmodel.h"

static char data_dir[512];
static inception_model *model;     /* 1000 classes, default metadata (timm preset) */
static uint8_t *model_file;
static size_t model_size;

static inception_model *load_variant(int classes, const char *const *meta) {
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    o.classes = classes;
    o.aux = 0;
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

static uint8_t *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A valid 8-bit gray PNG of w x h pixels (a gradient along the long side), malloc'd. */
static uint8_t *gray_png(uint32_t w, uint32_t h, size_t *size) {
    size_t raw_n = (size_t)h * (w + 1);
    uint8_t *raw = malloc(raw_n);
    ck_assert_ptr_nonnull(raw);
    for (size_t y = 0, i = 0; y < h; y++) {
        raw[i++] = 0; /* filter: none */
        for (size_t x = 0; x < w; x++) raw[i++] = (uint8_t)((x + y) * 255 / (w + h));
    }
    uLongf zn = compressBound((uLong)raw_n);
    uint8_t *png = malloc(8 + 25 + 12 + zn + 12);
    ck_assert_ptr_nonnull(png);
    ck_assert_int_eq(compress2(png + 8 + 25 + 8, &zn, raw, (uLong)raw_n, 9), Z_OK);
    free(raw);
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    memcpy(png, sig, 8);
    uint8_t *c = png + 8; /* IHDR */
    put32(c, 13);
    memcpy(c + 4, "IHDR", 4);
    put32(c + 8, w);
    put32(c + 12, h);
    c[16] = 8, c[17] = 0, c[18] = 0, c[19] = 0, c[20] = 0;
    put32(c + 21, (uint32_t)crc32(0, c + 4, 17));
    c = png + 8 + 25; /* IDAT */
    put32(c, (uint32_t)zn);
    memcpy(c + 4, "IDAT", 4);
    put32(c + 8 + zn, (uint32_t)crc32(0, c + 4, (uInt)zn + 4));
    c += 12 + zn; /* IEND */
    put32(c, 0);
    memcpy(c + 4, "IEND", 4);
    put32(c + 8, (uint32_t)crc32(0, c + 4, 4));
    *size = (size_t)(c + 12 - png);
    return png;
}

START_TEST(classify_topk) {
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(model, NULL, &s), INCEPTION_OK);
    char path[1024];
    photo("matplotlib_grace_hopper.jpg", path, sizeof path);
    int32_t classes[1000], n = -1;
    float probs[1000];
    ck_assert_int_eq(inception_session_classify_file(s, path, 5, classes, probs, &n),
                     INCEPTION_OK);
    ck_assert_int_eq(n, 5);
    for (int i = 1; i < 5; i++) ck_assert(probs[i] <= probs[i - 1]);
    /* k beyond the class count is clamped; all probabilities sum to 1 */
    int32_t c2[1000];
    float p2[1000];
    ck_assert_int_eq(inception_session_classify_file(s, path, 5000 > 1000 ? 1000 : 5000, c2, p2,
                                                     &n), INCEPTION_OK);
    ck_assert_int_eq(n, 1000);
    double sum = 0;
    for (int i = 0; i < 1000; i++) {
        sum += p2[i];
        if (i) {
            ck_assert(p2[i] <= p2[i - 1]);
            if (p2[i] == p2[i - 1]) ck_assert_int_lt(c2[i - 1], c2[i]); /* ties: lower first */
        }
    }
    ck_assert_double_eq_tol(sum, 1.0, 1e-4);
    ck_assert_mem_eq(c2, classes, 5 * sizeof(int32_t));
    /* From memory gives the same answer as from the file. */
    size_t size;
    uint8_t *bytes = slurp(path, &size);
    int32_t c3[5];
    float p3[5];
    ck_assert_int_eq(inception_session_classify(s, bytes, size, 5, c3, p3, &n), INCEPTION_OK);
    ck_assert_mem_eq(c3, classes, sizeof c3);
    ck_assert_mem_eq(p3, probs, sizeof p3);
    free(bytes);
    inception_session_free(s);
}
END_TEST

/* A session keeping only logits: classify computes the softmax itself. */
START_TEST(classify_logits_only) {
    inception_options *o = NULL;
    inception_session *full = NULL, *logits = NULL, *feats = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_session_create(model, NULL, &full), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_OUTPUTS, INCEPTION_OUTPUT_LOGITS),
                     INCEPTION_OK);
    ck_assert_int_eq(inception_session_create(model, o, &logits), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_OUTPUTS,
                                               INCEPTION_OUTPUT_FEATURES), INCEPTION_OK);
    ck_assert_int_eq(inception_session_create(model, o, &feats), INCEPTION_OK);
    char path[1024];
    photo("skimage_chelsea_cat.png", path, sizeof path);
    int32_t ca[10], cb[10], n = 0;
    float pa[10], pb[10];
    ck_assert_int_eq(inception_session_classify_file(full, path, 10, ca, pa, &n), INCEPTION_OK);
    ck_assert_int_eq(inception_session_classify_file(logits, path, 10, cb, pb, &n),
                     INCEPTION_OK);
    for (int i = 0; i < 10; i++) ck_assert_float_eq_tol(pa[i], pb[i], 1e-5f);
    n = -7;
    ck_assert_int_eq(inception_session_classify_file(feats, path, 10, cb, pb, &n),
                     INCEPTION_ERR_UNSUPPORTED);
    ck_assert_int_eq(n, -7);
    ck_assert(strlen(inception_session_last_error(feats)) > 0);
    inception_session_free(full);
    inception_session_free(logits);
    inception_session_free(feats);
    inception_options_free(o);
}
END_TEST

START_TEST(classify_errors) {
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(model, NULL, &s), INCEPTION_OK);
    int32_t c[5], n = -7;
    float p[5];
    char path[1024];
    photo("skimage_chelsea_cat.png", path, sizeof path);
    ck_assert_int_eq(inception_session_classify_file(NULL, path, 5, c, p, &n),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_classify_file(s, path, 0, c, p, &n),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert(strstr(inception_session_last_error(s), "k") != NULL);
    ck_assert_int_eq(inception_session_classify_file(s, NULL, 5, c, p, &n),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_classify_file(s, path, 5, NULL, p, &n),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_classify_file(s, path, 5, c, NULL, &n),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_classify_file(s, path, 5, c, p, NULL),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_classify_file(s, data_dir, 5, c, p, &n),
                     INCEPTION_ERR_IO);
    ck_assert(strstr(inception_session_last_error(s), "directory") != NULL);
    ck_assert_int_eq(inception_session_classify_file(s, "/nonexistent/x.jpg", 5, c, p, &n),
                     INCEPTION_ERR_IO);
    ck_assert_int_eq(inception_session_classify(s, NULL, 10, 5, c, p, &n),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_session_classify(s, "", 0, 5, c, p, &n), INCEPTION_ERR_IMAGE);
    ck_assert_int_eq(inception_session_classify(s, "not an image", 12, 5, c, p, &n),
                     INCEPTION_ERR_IMAGE);
    ck_assert(strlen(inception_session_last_error(s)) > 0);
    photo("variants/truncated.jpg", path, sizeof path);
    ck_assert_int_eq(inception_session_classify_file(s, path, 5, c, p, &n), INCEPTION_ERR_IMAGE);
    ck_assert(strstr(inception_session_last_error(s), "truncated.jpg") != NULL);
    ck_assert_int_eq(n, -7);
    inception_session_free(s);
}
END_TEST

START_TEST(create_input_and_preprocess) {
    inception_tensor *a = NULL, *b = NULL;
    ck_assert_int_eq(inception_model_create_input(model, 2, INCEPTION_LAYOUT_NCHW, &a),
                     INCEPTION_OK);
    ck_assert_int_eq(inception_tensor_dim(a, 0), 2);
    ck_assert_int_eq(inception_tensor_dim(a, 1), 3);
    ck_assert_int_eq(inception_tensor_dim(a, 2), 299);
    ck_assert_int_eq(inception_model_create_input(model, 2, INCEPTION_LAYOUT_NHWC, &b),
                     INCEPTION_OK);
    ck_assert_int_eq(inception_tensor_dim(b, 3), 3);
    inception_tensor *bad = NULL;
    ck_assert_int_eq(inception_model_create_input(model, 0, INCEPTION_LAYOUT_NCHW, &bad),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_model_create_input(model, 1, INCEPTION_LAYOUT_NC, &bad),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_model_create_input(NULL, 1, INCEPTION_LAYOUT_NCHW, &bad),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_model_create_input(model, 1, INCEPTION_LAYOUT_NCHW, NULL),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(bad);

    char path[1024];
    photo("skimage_rocket_falcon9.jpg", path, sizeof path);
    inception_image *img = NULL;
    ck_assert_int_eq(inception_image_decode_file(path, NULL, &img), INCEPTION_OK);
    ck_assert_int_eq(inception_image_preprocess(model, img, a, 1), INCEPTION_OK);
    ck_assert_int_eq(inception_image_preprocess(model, img, b, 1), INCEPTION_OK);
    /* Same values in both layouts; slot 0 untouched; values = (u/255 - 0.5) / 0.5. */
    float *unit = malloc(299 * 299 * 3 * sizeof(float));
    ck_assert_int_eq(inc_preprocess_unit(img, model->cfg.preset, 299, 299, unit), INCEPTION_OK);
    const float *pa = inception_tensor_data(a), *pb = inception_tensor_data(b);
    const size_t plane = 299 * 299;
    size_t mismatches = 0;
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++) {
            float want = (unit[3 * i + c] - 0.5f) / 0.5f;
            mismatches += fabsf(pa[3 * plane + c * plane + i] - want) > 1e-6f;
            mismatches += fabsf(pb[3 * plane + 3 * i + c] - want) > 1e-6f;
            mismatches += pa[c * plane + i] != 0.0f;
        }
    ck_assert_uint_eq(mismatches, 0);
    free(unit);
    /* Argument and tensor checks. */
    ck_assert_int_eq(inception_image_preprocess(model, img, a, 2), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_preprocess(model, img, a, -1),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_preprocess(NULL, img, a, 0), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_preprocess(model, NULL, a, 0),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_preprocess(model, img, NULL, 0),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    int64_t d2[2] = {1, 2048}, d4[4] = {1, 4, 299, 299};
    inception_tensor *t2 = NULL, *t4 = NULL;
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NC, d2, 2, &t2),
                     INCEPTION_OK);
    ck_assert_int_eq(inception_image_preprocess(model, img, t2, 0), INCEPTION_ERR_SHAPE);
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d4, 4,
                                             &t4), INCEPTION_OK);
    ck_assert_int_eq(inception_image_preprocess(model, img, t4, 0), INCEPTION_ERR_SHAPE);
    struct inception_tensor odd = *a; /* white-box: a dtype the public API cannot make */
    odd.dtype = (inception_dtype)2;
    ck_assert_int_eq(inception_image_preprocess(model, img, &odd, 0), INCEPTION_ERR_DTYPE);
    /* Any output size: 120x90 NHWC. */
    int64_t ds[4] = {1, 120, 90, 3};
    inception_tensor *small = NULL;
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NHWC, ds, 4,
                                             &small), INCEPTION_OK);
    ck_assert_int_eq(inception_image_preprocess(model, img, small, 0), INCEPTION_OK);
    inception_tensor_free(small);
    inception_tensor_free(t2);
    inception_tensor_free(t4);
    inception_image_free(img);
    inception_tensor_free(a);
    inception_tensor_free(b);
}
END_TEST

START_TEST(labels_builtin_and_own) {
    const char *l = NULL;
    ck_assert_int_eq(inception_model_label(model, 0, &l), INCEPTION_OK);
    ck_assert_str_eq(l, "tench");
    ck_assert_int_eq(inception_model_label(model, 652, &l), INCEPTION_OK);
    ck_assert_str_eq(l, "military uniform");
    ck_assert_int_eq(inception_model_label(model, 999, &l), INCEPTION_OK);
    ck_assert_str_eq(l, "toilet tissue");
    l = "untouched";
    ck_assert_int_eq(inception_model_label(model, 1000, &l), INCEPTION_ERR_NOT_FOUND);
    ck_assert_int_eq(inception_model_label(model, -1, &l), INCEPTION_ERR_NOT_FOUND);
    ck_assert_str_eq(l, "untouched");
    ck_assert_int_eq(inception_model_label(NULL, 0, &l), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_model_label(model, 0, NULL), INCEPTION_ERR_INVALID_ARGUMENT);

    inception_model *bg = load_variant(1001, NULL);
    ck_assert_int_eq(inception_model_label(bg, 0, &l), INCEPTION_OK);
    ck_assert_str_eq(l, "background");
    ck_assert_int_eq(inception_model_label(bg, 1, &l), INCEPTION_OK);
    ck_assert_str_eq(l, "tench");
    ck_assert_int_eq(inception_model_label(bg, 1000, &l), INCEPTION_OK);
    ck_assert_str_eq(l, "toilet tissue");
    inception_model_free(bg);

    /* The file's own labels win (1000 names, "c0".."c999"). */
    size_t cap = 1000 * 8;
    char *text = malloc(cap), *p = text;
    for (int i = 0; i < 1000; i++) p += sprintf(p, "c%d\n", i);
    const char *meta[] = {"inception.labels", text, "inception.preset", "torchvision", NULL};
    inception_model *own = load_variant(1000, meta);
    free(text);
    ck_assert_int_eq(inception_model_label(own, 7, &l), INCEPTION_OK);
    ck_assert_str_eq(l, "c7");
    /* ...and its preset drives classify: torchvision preset works end to end */
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(own, NULL, &s), INCEPTION_OK);
    char path[1024];
    photo("skimage_chelsea_cat.png", path, sizeof path);
    int32_t c[3], n = 0;
    float pr[3];
    ck_assert_int_eq(inception_session_classify_file(s, path, 3, c, pr, &n), INCEPTION_OK);
    ck_assert_int_eq(n, 3);
    inception_session_free(s);
    inception_model_free(own);
}
END_TEST

/* DCT scaling inside classify changes the decode, not the answer's shape: a large JPEG
 * classifies, and its scaled decode is smaller than the full one. */
START_TEST(classify_large_jpeg) {
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(model, NULL, &s), INCEPTION_OK);
    char path[1024];
    photo("variants/large_1200x800.jpg", path, sizeof path);
    int32_t c[5], n = 0;
    float p[5];
    ck_assert_int_eq(inception_session_classify_file(s, path, 5, c, p, &n), INCEPTION_OK);
    ck_assert_int_eq(n, 5);
    inception_session_free(s);
}
END_TEST

/* The audit's 1 x 10,000,000 PNG (and its transpose) classifies with every preset; it
 * returned INTERNAL "crop 299x299 outside resized 341x1". */
START_TEST(classify_extreme_aspect) {
    static const char *const presets[] = {"torchvision", "timm", "tf"};
    static const uint32_t shapes[][2] = {{1, 10000000}, {10000000, 1}};
    uint8_t *png[2];
    size_t size[2];
    for (int i = 0; i < 2; i++) png[i] = gray_png(shapes[i][0], shapes[i][1], &size[i]);
    for (int p = 0; p < 3; p++) {
        const char *meta[] = {"inception.preset", presets[p], "inception.input_size", "299",
                              NULL};
        inception_model *m = load_variant(1000, meta);
        inception_session *s = NULL;
        ck_assert_int_eq(inception_session_create(m, NULL, &s), INCEPTION_OK);
        for (int i = 0; i < 2; i++) {
            int32_t c[3], n = 0;
            float pr[3];
            inception_status st = inception_session_classify(s, png[i], size[i], 3, c, pr, &n);
            ck_assert_msg(st == INCEPTION_OK, "%s, %ux%u: status %d (%s)", presets[p],
                          shapes[i][0], shapes[i][1], (int)st, inception_session_last_error(s));
            ck_assert_int_eq(n, 3);
        }
        inception_session_free(s);
        inception_model_free(m);
    }
    free(png[0]);
    free(png[1]);
}
END_TEST

/* classify reads the decode limits from the session's options: a photo over a small
 * budget, a progressive 16384x16384 header (1.5 GiB of coefficients, 158 bytes) under
 * the default one, and too many scans are IMAGE_TOO_LARGE. */
START_TEST(classify_decode_limits) {
    char path[1024];
    photo("matplotlib_grace_hopper.jpg", path, sizeof path);
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_DECODE_MEMORY, 4096),
                     INCEPTION_OK);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(model, o, &s), INCEPTION_OK);
    int32_t c[3], n = -7;
    float pr[3];
    ck_assert_int_eq(inception_session_classify_file(s, path, 3, c, pr, &n),
                     INCEPTION_ERR_IMAGE_TOO_LARGE);
    ck_assert(strstr(inception_session_last_error(s), "MAX_DECODE_MEMORY") != NULL);
    inception_session_free(s);
    inception_options_free(o);

    ck_assert_int_eq(inception_session_create(model, NULL, &s), INCEPTION_OK);
    /* SOI, DQT, SOF2 16384x16384x3, DHT, SOS (DC scan) with no data, EOI */
    static const uint8_t head[] = {0xFF, 0xD8, 0xFF, 0xC2, 0, 17, 8, 0x40, 0, 0x40, 0, 3,
                                   1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0};
    uint8_t jpg[512];
    size_t k = 0;
    memcpy(jpg, head, 2);
    k = 2;
    static const uint8_t dqt[] = {0xFF, 0xDB, 0, 67, 0};
    memcpy(jpg + k, dqt, sizeof dqt);
    k += sizeof dqt;
    memset(jpg + k, 1, 64);
    k += 64;
    memcpy(jpg + k, head + 2, sizeof head - 2);
    k += sizeof head - 2;
    static const uint8_t dht[] = {0xFF, 0xC4, 0, 20, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(jpg + k, dht, sizeof dht);
    k += sizeof dht;
    static const uint8_t sos[] = {0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0, 3, 0, 0, 0, 0,
                                  0, 0xFF, 0xD9};
    memcpy(jpg + k, sos, sizeof sos);
    k += sizeof sos;
    ck_assert_int_eq(inception_session_classify(s, jpg, k, 3, c, pr, &n),
                     INCEPTION_ERR_IMAGE_TOO_LARGE);
    ck_assert(strstr(inception_session_last_error(s), "coefficients") != NULL);
    ck_assert_int_eq(n, -7);
    inception_session_free(s);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("image_api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, classify_topk);
    tcase_add_test(tc, classify_logits_only);
    tcase_add_test(tc, classify_errors);
    tcase_add_test(tc, create_input_and_preprocess);
    tcase_add_test(tc, labels_builtin_and_own);
    tcase_add_test(tc, classify_large_jpeg);
    tcase_add_test(tc, classify_extreme_aspect);
    tcase_add_test(tc, classify_decode_limits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    const char *root = getenv("INCEPTION_TEST_DATA");
    snprintf(data_dir, sizeof data_dir, "%s/image/data", root ? root : "tests");
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    o.aux = 0;
    if (inc_testmodel_build(&o, &model_file, &model_size) != 0 ||
        inception_model_load_memory(model_file, model_size, NULL, &model) != INCEPTION_OK) {
        fprintf(stderr, "cannot build/load the test model: %s\n", inception_last_error());
        return EXIT_FAILURE;
    }
    free(model_file);
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    inception_model_free(model);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* int8 execution of the whole network (docs/int8.md). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <inception/inception.h>

#include "backends/q8.h"
#include "testmodel.h"

static char data_dir[1024];
static uint8_t *model_buf;
static size_t model_size;
static char record[64];
static const char *photos[3];
static char photo_paths[3][1200];

#define OK(x) ck_assert_msg((x) == INCEPTION_OK, "%s: %s", #x, inception_last_error())

/* The golden generator's realistic-BN model (BN statistics calibrated on photos and
 * noise, tests/golden/data/v3_bnaux.bnstats), 10 classes. */
static void setup(void) {
    const char *d = getenv("INCEPTION_TEST_DATA");
    snprintf(data_dir, sizeof data_dir, "%s", d ? d : "tests");
    if (model_buf) return;
    char stats[1200];
    snprintf(stats, sizeof stats, "%s/golden/data/v3_bnaux.bnstats", data_dir);
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    o.classes = 10, o.aux_bn = 1, o.bn_stats = stats;
    ck_assert_int_eq(inc_testmodel_build(&o, &model_buf, &model_size), 0);
    const char *names[3] = {"matplotlib_grace_hopper.jpg", "skimage_chelsea_cat.png",
                            "skimage_rocket_falcon9.jpg"};
    for (int i = 0; i < 3; i++) {
        snprintf(photo_paths[i], sizeof photo_paths[i], "%s/image/data/%s", data_dir, names[i]);
        photos[i] = photo_paths[i];
    }
    snprintf(record, sizeof record, "/tmp/inc_quant_%d.json", (int)getpid());
    inception_model *m;
    OK(inception_model_load_memory(model_buf, model_size, NULL, &m));
    OK(inception_calibrate(m, photos, 3, NULL, record));
    inception_model_free(m);
}

static inception_model *load(const char *precision, const char *level) {
    if (level) setenv("INCEPTION_Q8_LEVEL", level, 1);
    else unsetenv("INCEPTION_Q8_LEVEL");
    inception_options *o;
    OK(inception_options_create(&o));
    if (precision) OK(inception_options_set_string(o, INCEPTION_OPT_PRECISION, precision));
    OK(inception_options_set_string(o, INCEPTION_OPT_QUANT_CALIBRATION, record));
    inception_model *m;
    OK(inception_model_load_memory(model_buf, model_size, o, &m));
    inception_options_free(o);
    unsetenv("INCEPTION_Q8_LEVEL");
    return m;
}

/* features (2048) and logits (10) of one preprocessed photo at h x w */
static void run(inception_model *m, int photo, int mirror, int64_t h, int64_t w, float *feat,
                float *logits) {
    inception_options *o;
    OK(inception_options_create(&o));
    OK(inception_options_set_int(o, INCEPTION_OPT_THREADS, 2));
    OK(inception_options_set_int(o, INCEPTION_OPT_OUTPUTS,
                                 INCEPTION_OUTPUT_FEATURES | INCEPTION_OUTPUT_LOGITS));
    inception_session *s;
    OK(inception_session_create(m, o, &s));
    inception_image *img;
    OK(inception_image_decode_file(photos[photo], NULL, &img));
    int64_t dims[4] = {1, 3, h, w};
    inception_tensor *in;
    OK(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims, 4, &in));
    OK(inception_image_preprocess(m, img, in, 0));
    if (mirror) {
        float *p = inception_tensor_data(in);
        for (int64_t r = 0; r < 3 * h; r++)
            for (int64_t x = 0; x < w / 2; x++) {
                float t = p[r * w + x];
                p[r * w + x] = p[r * w + w - 1 - x];
                p[r * w + w - 1 - x] = t;
            }
    }
    OK(inception_session_run(s, in));
    const inception_tensor *f, *l;
    OK(inception_session_output(s, INCEPTION_OUTPUT_FEATURES, &f));
    OK(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &l));
    memcpy(feat, inception_tensor_data(f), 2048 * sizeof(float));
    memcpy(logits, inception_tensor_data(l), 10 * sizeof(float));
    inception_tensor_free(in);
    inception_image_free(img);
    inception_session_free(s);
    inception_options_free(o);
}

/* The whole network in int8 is integer arithmetic up to the float boundaries, so every
 * SIMD level gives exactly ref's outputs. */
START_TEST(levels_bitexact) {
    int32_t n;
    const char *const *levels = inc_q8_levels(&n);
    static float f0[2048], l0[10], f1[2048], l1[10];
    inception_model *ref = load("int8", "ref");
    const char *lv;
    OK(inception_model_info_string(ref, INCEPTION_INFO_INT8_LEVEL, &lv));
    ck_assert_str_eq(lv, "ref");
    run(ref, 0, 0, 139, 147, f0, l0);
    inception_model_free(ref);
    const char *all[] = {"avx2", "avxvnni", "avx512vnni"};
    for (int k = 0; k < 3; k++) {
        int present = 0;
        for (int32_t i = 0; i < n; i++) present |= strcmp(levels[i], all[k]) == 0;
        if (!present) {
            printf("int8 level %s: skipped (not on this CPU)\n", all[k]);
            continue;
        }
        inception_model *m = load("int8", all[k]);
        OK(inception_model_info_string(m, INCEPTION_INFO_INT8_LEVEL, &lv));
        ck_assert_str_eq(lv, all[k]);
        run(m, 0, 0, 139, 147, f1, l1);
        ck_assert_msg(memcmp(f0, f1, sizeof f0) == 0, "%s features differ from ref", all[k]);
        ck_assert_msg(memcmp(l0, l1, sizeof l0) == 0, "%s logits differ from ref", all[k]);
        printf("int8 level %s: bit-exact against ref\n", all[k]);
        inception_model_free(m);
    }
}
END_TEST

static uint8_t *read_all(const char *path, size_t *size);

static double cosine(const float *a, const float *b, int n) {
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < n; i++) ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
    return ab / sqrt(aa * bb);
}

static int argmax(const float *v, int n) {
    int b = 0;
    for (int i = 1; i < n; i++) b = v[i] > v[b] ? i : b;
    return b;
}

/* Bounds: what this model measured (docs/int8.md, "Accuracy") minus a small margin, so a
 * regression in the quantiser or the graph glue fails. Quantised at load from a record
 * (mse ranges, bias-corrected, the 8 mixed-precision convs on simd): measured 0.981168 /
 * 0.970461 (all int8, as on ref: 0.978741 / 0.972137; no correction: 0.979598 / 0.962642). */
#define MIN_FEATURE_COSINE 0.978
#define MIN_LOGIT_COSINE 0.970
START_TEST(accuracy_vs_float) {
    inception_model *f = load("float", NULL), *q = load(NULL, NULL);
    int64_t v;
    OK(inception_model_info_int(f, INCEPTION_INFO_QUANTIZED, &v));
    ck_assert_int_eq(v, 0);
    OK(inception_model_info_int(q, INCEPTION_INFO_QUANTIZED, &v));
    ck_assert_int_eq(v, 1);
    /* every BasicConv2d but the first, the aux head's and, on the simd backend, the 8
     * mixed-precision ones (Conv2d_4a and the 35x35 3x3s: docs/int8.md) */
    const char *be;
    OK(inception_model_info_string(q, INCEPTION_INFO_BACKEND, &be));
    OK(inception_model_info_int(q, INCEPTION_INFO_QUANTIZED_LAYERS, &v));
    ck_assert_int_eq(v, strcmp(be, "simd") ? 93 : 85);
    static float ff[2048], fl[10], qf[2048], ql[10];
    int agree = 0, total = 0;
    double min_fc = 1, min_lc = 1;
    for (int p = 0; p < 3; p++)
        for (int mirror = 0; mirror < 2; mirror++) {
            run(f, p, mirror, 299, 299, ff, fl);
            run(q, p, mirror, 299, 299, qf, ql);
            double fc = cosine(ff, qf, 2048), lc = cosine(fl, ql, 10);
            min_fc = fc < min_fc ? fc : min_fc;
            min_lc = lc < min_lc ? lc : min_lc;
            agree += argmax(fl, 10) == argmax(ql, 10);
            total++;
        }
    printf("int8 vs float: top-1 %d/%d, min feature cosine %.6f, min logit cosine %.6f\n",
           agree, total, min_fc, min_lc);
    ck_assert_int_eq(agree, total);
    ck_assert_msg(min_fc >= MIN_FEATURE_COSINE, "feature cosine %.6f", min_fc);
    ck_assert_msg(min_lc >= MIN_LOGIT_COSINE, "logit cosine %.6f", min_lc);
    inception_model_free(f);
    inception_model_free(q);
}
END_TEST

START_TEST(calibration_errors) {
    inception_model *m, *q;
    OK(inception_model_load_memory(model_buf, model_size, NULL, &m));
    ck_assert_int_eq(inception_calibrate(m, photos, 0, NULL, "/tmp/x.json"), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "at least one image"));
    const char *missing[] = {"/nonexistent/no.jpg"};
    ck_assert_int_eq(inception_calibrate(m, missing, 1, NULL, "/tmp/x.json"), INCEPTION_ERR_IO);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "/nonexistent/no.jpg"));
    ck_assert_int_eq(inception_calibrate(m, photos, 1, NULL, "/nonexistent/dir/r.json"), INCEPTION_ERR_IO);
    ck_assert_int_eq(access("/nonexistent/dir/r.json", F_OK), -1);
    q = load("int8", NULL);
    ck_assert_int_eq(inception_calibrate(q, photos, 1, NULL, "/tmp/x.json"), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "float model"));
    /* int8 asked for without a record */
    inception_options *o;
    OK(inception_options_create(&o));
    OK(inception_options_set_string(o, INCEPTION_OPT_PRECISION, "int8"));
    inception_model *x = NULL;
    ck_assert_int_eq(inception_model_load_memory(model_buf, model_size, o, &x), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_PRECISION, "int4"), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_QUANT_METHOD, "percentile=20"), INCEPTION_ERR_INVALID_ARGUMENT);
    OK(inception_options_set_string(o, INCEPTION_OPT_QUANT_METHOD, "percentile=99.9"));
    OK(inception_options_set_string(o, INCEPTION_OPT_QUANT_METHOD, "mse"));
    const char *bad_methods[] = {"entropy", "MSE", "mse=1", "percentile=", "minmax "};
    for (size_t i = 0; i < sizeof bad_methods / sizeof bad_methods[0]; i++) {
        ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_QUANT_METHOD, bad_methods[i]),
                         INCEPTION_ERR_INVALID_ARGUMENT);
        ck_assert_msg(strstr(inception_last_error(), "QUANT_METHOD must be mse, minmax, percentile"),
                      "%s: %s", bad_methods[i], inception_last_error());
    }
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_QUANT_BIAS_CORRECTION, 2),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "QUANT_BIAS_CORRECTION"));
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_QUANT_BIAS_CORRECTION, "1"),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    OK(inception_options_set_int(o, INCEPTION_OPT_QUANT_BIAS_CORRECTION, 0));
    /* malformed records: each a FORMAT error naming the problem */
    const char *bad[][2] = {
        {"{\"format\": \"x\"}", "not an inception calibration record"},
        {"{\"format\": \"inception-calibration\", \"version\": 1, \"method\": \"minmax\", \"images\": 1, "
         "\"ranges\": {\"Conv2d_1a_3x3\": \"-1\"}}", "finite number"},
        {"{\"format\": \"inception-calibration\", \"version\": 1, \"method\": \"minmax\", \"images\": 1, "
         "\"ranges\": {\"Conv2d_1a_3x3\": \"1\"}}", "no range for tensor"},
        {"{\"format\": \"inception-calibration\", \"version\": 1, \"method\": \"minmax\", \"images\": 0, "
         "\"ranges\": {\"Conv2d_1a_3x3\": \"1\"}}", "images"},
        {"{\"format\": \"inception-calibration\", \"version\": 3}", "version"},
        {"{\"format\": \"inception-calibration\", \"version\": 1, \"method\": \"minmax\", \"images\": 1, "
         "\"ranges\": {\"Conv2d_1a_3x3\": \"1\"}, \"means\": {}}", "needs \"version\" 2"},
        {"{\"format\": \"inception-calibration\", \"version\": 2, \"method\": \"minmax\", \"images\": 1, "
         "\"ranges\": {\"Conv2d_1a_3x3\": \"1\"}, \"means\": {\"x\": \"1\"}}", "which has no range"},
        {"{\"format\": \"inception-calibration\", \"version\": 1, \"method\": \"entropy\", \"images\": 1, "
         "\"ranges\": {\"Conv2d_1a_3x3\": \"1\"}}", "\"method\" must be \"minmax\", \"mse\" or"},
        {"{", "calibration record"},
    };
    char path[64];
    snprintf(path, sizeof path, "/tmp/inc_quant_bad_%d.json", (int)getpid());
    OK(inception_options_set_string(o, INCEPTION_OPT_QUANT_CALIBRATION, path));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *fp = fopen(path, "w");
        fputs(bad[i][0], fp);
        fclose(fp);
        ck_assert_int_eq(inception_model_load_memory(model_buf, model_size, o, &x), INCEPTION_ERR_FORMAT);
        ck_assert_msg(strstr(inception_last_error(), bad[i][1]), "case %zu: %s", i, inception_last_error());
    }
    remove(path);
    inception_options_free(o);
    inception_model_free(q);
    inception_model_free(m);
}
END_TEST

/* Block outputs of an int8 net come out as float, like the float net's, and the profile
 * names the boundary layers. */
START_TEST(named_outputs) {
    inception_model *q = load("int8", NULL);
    inception_options *o;
    OK(inception_options_create(&o));
    OK(inception_options_set_string(o, INCEPTION_OPT_EXTRA_OUTPUTS, "Mixed_5b,Conv2d_1a_3x3"));
    inception_session *s;
    OK(inception_session_create(q, o, &s));
    inception_tensor *in;
    OK(inception_model_create_input(q, 1, INCEPTION_LAYOUT_NCHW, &in));
    inception_image *img;
    OK(inception_image_decode_file(photos[1], NULL, &img));
    OK(inception_image_preprocess(q, img, in, 0));
    OK(inception_session_run(s, in));
    const inception_tensor *t;
    OK(inception_session_output_named(s, "Mixed_5b", &t));
    ck_assert_int_eq(inception_tensor_dtype(t), INCEPTION_DTYPE_F32);
    const float *v = inception_tensor_data(t);
    size_t count = 35 * 35 * 256, pos = 0;
    for (size_t i = 0; i < count; i++) {
        ck_assert(v[i] >= 0 && isfinite(v[i]));
        pos += v[i] > 0;
    }
    ck_assert(pos > count / 10);
    inception_image_free(img);
    inception_tensor_free(in);
    inception_session_free(s);
    inception_options_free(o);
    inception_model_free(q);
}
END_TEST

/* Version 1 records (no means: written with QUANT_BIAS_CORRECTION 0, or before it
 * existed, with method "percentile=99.99" or "minmax") still load: the method is a label,
 * the ranges alone set the scales, and nothing is corrected. Version 2 records carry the
 * means, checked against the tensors' channels. */
START_TEST(old_record) {
    size_t size;
    uint8_t *text2 = read_all(record, &size);
    char *t2 = malloc(size + 1);
    memcpy(t2, text2, size);
    t2[size] = 0;
    ck_assert_ptr_nonnull(strstr(t2, "\"version\": 2"));
    ck_assert_ptr_nonnull(strstr(t2, "\"means\": {"));
    char v1[64], path[64];
    snprintf(v1, sizeof v1, "/tmp/inc_quant_v1_%d.json", (int)getpid());
    snprintf(path, sizeof path, "/tmp/inc_quant_old_%d.json", (int)getpid());
    inception_model *fm;
    inception_options *o;
    OK(inception_model_load_memory(model_buf, model_size, NULL, &fm));
    OK(inception_options_create(&o));
    OK(inception_options_set_int(o, INCEPTION_OPT_QUANT_BIAS_CORRECTION, 0));
    OK(inception_calibrate(fm, photos, 3, o, v1));
    inception_options_free(o);
    inception_model_free(fm);
    uint8_t *text = read_all(v1, &size);
    char *t = malloc(size + 1), *at;
    memcpy(t, text, size);
    t[size] = 0;
    ck_assert_ptr_nonnull(strstr(t, "\"version\": 1"));
    ck_assert_ptr_null(strstr(t, "means"));
    at = strstr(t, "\"method\": \"mse\"");
    ck_assert_ptr_nonnull(at);
    static float f0[2048], l0[10], f1[2048], l1[10], f2[2048], l2[10];
    inception_model *cur = load("int8", NULL); /* the version 2 record: corrected */
    run(cur, 1, 0, 160, 171, f2, l2);
    inception_model_free(cur);
    const char *old[] = {"mse", "percentile=99.99", "minmax"};
    for (int k = 0; k < 3; k++) {
        FILE *f = fopen(path, "w");
        fprintf(f, "%.*s\"method\": \"%s\"%s", (int)(at - t), t, old[k], at + strlen("\"method\": \"mse\""));
        fclose(f);
        OK(inception_options_create(&o));
        OK(inception_options_set_string(o, INCEPTION_OPT_QUANT_CALIBRATION, path));
        inception_model *m;
        OK(inception_model_load_memory(model_buf, model_size, o, &m));
        const char *method;
        OK(inception_model_info_string(m, INCEPTION_INFO_CALIBRATION_METHOD, &method));
        ck_assert_str_eq(method, old[k]);
        run(m, 1, 0, 160, 171, k ? f1 : f0, k ? l1 : l0);
        if (k) ck_assert(memcmp(f0, f1, sizeof f0) == 0 && memcmp(l0, l1, sizeof l0) == 0);
        inception_model_free(m);
        inception_options_free(o);
    }
    ck_assert_msg(memcmp(f0, f2, sizeof f0) != 0, "version 1 and 2 records gave the same net");
    /* version 2 means that do not fit */
    char *m0 = strstr(t2, "\"means\": {\"Conv2d_1a_3x3\": \"");
    ck_assert_ptr_nonnull(m0);
    m0 += strlen("\"means\": {\"Conv2d_1a_3x3\": \"");
    const char *end = strchr(m0, '"');
    struct { const char *with, *msg; } bad[] = {
        {"1 2 3", "3 means for tensor 'Conv2d_1a_3x3', which has 32 channels"},
        {"1 x", "finite numbers separated by spaces"},
        {"", "empty"},
    };
    OK(inception_options_create(&o));
    OK(inception_options_set_string(o, INCEPTION_OPT_QUANT_CALIBRATION, path));
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        FILE *f = fopen(path, "w");
        fprintf(f, "%.*s%s%s", (int)(m0 - t2), t2, bad[k].with, end);
        fclose(f);
        inception_model *m = NULL;
        ck_assert_int_eq(inception_model_load_memory(model_buf, model_size, o, &m), INCEPTION_ERR_FORMAT);
        ck_assert_msg(strstr(inception_last_error(), bad[k].msg), "%zu: %s", k, inception_last_error());
    }
    inception_options_free(o);
    remove(path);
    remove(v1);
    free(t), free(t2);
    free(text), free(text2);
}
END_TEST

static uint8_t *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    ck_assert_int_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return b;
}

/* Replace the first occurrence of `from` in the header by `to` (same length). */
static void patch_header(uint8_t *b, const char *from, const char *to) {
    uint64_t hl = 0;
    for (int k = 0; k < 8; k++) hl |= (uint64_t)b[k] << (8 * k);
    size_t fl = strlen(from);
    ck_assert_uint_eq(fl, strlen(to));
    for (size_t i = 8; i + fl <= 8 + hl; i++)
        if (memcmp(b + i, from, fl) == 0) {
            memcpy(b + i, to, fl);
            return;
        }
    ck_abort_msg("'%s' not in the header", from);
}

/* Data offset of tensor `name`'s first element (parsed from the header text). */
static size_t data_offset(const uint8_t *b, const char *name) {
    uint64_t hl = 0;
    for (int k = 0; k < 8; k++) hl |= (uint64_t)b[k] << (8 * k);
    char key[200];
    snprintf(key, sizeof key, "\"%s\":", name);
    const char *h = (const char *)b + 8;
    const char *p = NULL;
    for (size_t i = 0; i + strlen(key) <= hl && !p; i++)
        if (memcmp(h + i, key, strlen(key)) == 0) p = h + i;
    ck_assert_ptr_nonnull(p);
    p = strstr(p, "data_offsets\":[");
    ck_assert_ptr_nonnull(p);
    return 8 + hl + (size_t)strtoull(p + 15, NULL, 10);
}

/* The bias-corrected file (inception_quantize's default) on this model: measured 0.981168
 * (features), 0.970461 (logits) with simd's mixed convs (0.978741 / 0.972137 all int8),
 * 0.994141 (float run of its weights), like the record. */
#define MIN_CORRECTED_FEATURE_COSINE 0.978
#define MIN_CORRECTED_LOGIT_COSINE 0.970
#define MIN_CORRECTED_WEIGHTS_COSINE 0.994

/* quantise -> save -> load equals quantising at load from the same record (both
 * bias-corrected), bit for bit; the correction changes the weights' accuracy;
 * the file runs float on request; malformed int8 tensors are refused by name. */
/* The test model written to /tmp/inc_quant_<tag>src_<pid>.safetensors (path in src; the
 * caller removes it) and loaded from there: inception_quantize reads the model's file. */
static inception_model *float_from_file(const char *tag, char *src, size_t cap) {
    snprintf(src, cap, "/tmp/inc_quant_%ssrc_%d.safetensors", tag, (int)getpid());
    FILE *f = fopen(src, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(model_buf, 1, model_size, f), model_size);
    fclose(f);
    inception_model *fm;
    OK(inception_model_load_file(src, NULL, &fm));
    return fm;
}

/* The test model quantised on the photos with o into out
 * (/tmp/inc_quant_<tag>out_<pid>.safetensors), for comparing with quantising at load. */
static void quantize_to_file(const char *tag, const inception_options *o, char *out, size_t cap) {
    char src[64];
    inception_model *fm = float_from_file(tag, src, sizeof src);
    snprintf(out, cap, "/tmp/inc_quant_%sout_%d.safetensors", tag, (int)getpid());
    OK(inception_quantize(fm, photos, 3, o, out));
    inception_model_free(fm);
    remove(src);
}

START_TEST(quantized_file) {
    char src[64], out[64];
    inception_model *fm = float_from_file("", src, sizeof src);
    snprintf(out, sizeof out, "/tmp/inc_quant_out_%d.safetensors", (int)getpid());
    OK(inception_quantize(fm, photos, 3, NULL, out));
    ck_assert_int_eq(inception_quantize(fm, photos, 3, NULL, "/nonexistent/q.safetensors"),
                     INCEPTION_ERR_IO);
    inception_model *mem;
    OK(inception_model_load_memory(model_buf, model_size, NULL, &mem));
    ck_assert_int_eq(inception_quantize(mem, photos, 3, NULL, out), INCEPTION_ERR_INVALID_ARGUMENT);
    inception_model_free(mem);
    inception_model *qf, *ql = load("int8", NULL), *qfloat;
    OK(inception_model_load_file(out, NULL, &qf)); /* auto: int8 */
    int64_t v, imgs;
    OK(inception_model_info_int(qf, INCEPTION_INFO_QUANTIZED, &v));
    OK(inception_model_info_int(qf, INCEPTION_INFO_CALIBRATION_IMAGES, &imgs));
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(imgs, 3);
    static float f0[2048], l0[10], f1[2048], l1[10], f2[2048], l2[10], f3[2048], l3[10];
    run(qf, 2, 0, 203, 187, f0, l0);
    run(ql, 2, 0, 203, 187, f1, l1);
    ck_assert_msg(memcmp(f0, f1, sizeof f0) == 0 && memcmp(l0, l1, sizeof l0) == 0,
                  "saved int8 model differs from int8 at load (both bias-corrected)");
    inception_options *o;
    OK(inception_options_create(&o));
    OK(inception_options_set_string(o, INCEPTION_OPT_PRECISION, "float"));
    OK(inception_model_load_file(out, o, &qfloat));
    OK(inception_model_info_int(qfloat, INCEPTION_INFO_QUANTIZED, &v));
    ck_assert_int_eq(v, 0);
    run(qfloat, 2, 0, 203, 187, f2, l2);
    run(fm, 2, 0, 203, 187, f3, l3);
    double wcc = cosine(f2, f3, 2048);
    inception_model_free(qfloat);
    ck_assert(memcmp(f2, f3, sizeof f2) != 0);

    /* without the bias correction: different, and further from float (weights alone) */
    char out2[80];
    snprintf(out2, sizeof out2, "/tmp/inc_quant_nobc_%d.safetensors", (int)getpid());
    inception_options *nobc;
    OK(inception_options_create(&nobc));
    OK(inception_options_set_int(nobc, INCEPTION_OPT_QUANT_BIAS_CORRECTION, 0));
    OK(inception_quantize(fm, photos, 3, nobc, out2));
    inception_options_free(nobc);
    inception_model *qc;
    OK(inception_model_load_file(out2, NULL, &qc));
    run(qc, 2, 0, 203, 187, f2, l2);
    ck_assert_msg(memcmp(f0, f2, sizeof f0) != 0, "bias correction changed nothing");
    inception_model_free(qc);
    OK(inception_model_load_file(out2, o, &qfloat)); /* float precision */
    run(qfloat, 2, 0, 203, 187, f2, l2);
    double wc = cosine(f2, f3, 2048);
    inception_model_free(qfloat);
    remove(out2);
    printf("float run of the int8 weights vs float: feature cosine %.6f (no bias correction: "
           "%.6f)\n", wcc, wc);
    /* weight rounding alone: measured 0.989598 on this model without the correction */
    ck_assert(wc > 0.989);
    ck_assert_msg(wcc > MIN_CORRECTED_WEIGHTS_COSINE && wcc > wc, "weights cosine %.6f", wcc);

    OK(inception_model_load_file(out, NULL, &qc));
    double min_fc = 1, min_lc = 1;
    for (int p = 0; p < 3; p++)
        for (int mirror = 0; mirror < 2; mirror++) {
            run(qc, p, mirror, 299, 299, f2, l2);
            run(fm, p, mirror, 299, 299, f3, l3);
            double fc = cosine(f2, f3, 2048), lc = cosine(l2, l3, 10);
            min_fc = fc < min_fc ? fc : min_fc;
            min_lc = lc < min_lc ? lc : min_lc;
            ck_assert_int_eq(argmax(l2, 10), argmax(l3, 10));
        }
    inception_model_free(qc);
    OK(inception_model_load_file(out, o, &qfloat)); /* float precision, for the free below */
    printf("bias-corrected file vs float: min feature cosine %.6f, min logit cosine %.6f\n",
           min_fc, min_lc);
    ck_assert_msg(min_fc >= MIN_CORRECTED_FEATURE_COSINE, "feature cosine %.6f", min_fc);
    ck_assert_msg(min_lc >= MIN_CORRECTED_LOGIT_COSINE, "logit cosine %.6f", min_lc);

    size_t size;
    uint8_t *good = read_all(out, &size), *b = malloc(size);
    OK(inception_options_set_int(o, INCEPTION_OPT_SKIP_CHECKSUM, 1));
    inception_model *x = NULL;
    /* header edits keep every length, so only our checks can object */
    struct { const char *from, *to, *msg; inception_status st; } h[] = {
        {"\"Mixed_5b.branch1x1.conv.weight_scale\":{\"dtype\":\"F32\"",
         "\"Mixed_5b.branch1x1.conv.weight_scale\":{\"dtype\":\"I32\"", "must be F32", INCEPTION_ERR_DTYPE},
        {"\"Mixed_5b.branch1x1.conv.weight_scale\"", "\"Mixed_5b.branch1x1.conv.weight_scalX\"",
         "Mixed_5b.branch1x1.conv.weight_scale' is missing", INCEPTION_ERR_MISSING_TENSOR},
        {"\"Mixed_5b.branch1x1.conv.qweight\":{\"dtype\":\"I8\"",
         "\"Mixed_5b.branch1x1.conv.qweight\":{\"dtype\":\"U8\"", "must be I8", INCEPTION_ERR_DTYPE},
    };
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
        memcpy(b, good, size);
        patch_header(b, h[i].from, h[i].to);
        ck_assert_int_eq(inception_model_load_memory(b, size, o, &x), h[i].st);
        ck_assert_msg(strstr(inception_last_error(), h[i].msg), "%zu: %s", i, inception_last_error());
    }
    /* scale values: zero, negative, NaN, infinity */
    const float badv[] = {0.0f, -1.0f, NAN, INFINITY};
    size_t at = data_offset(good, "Mixed_6b.branch7x7_2.conv.weight_scale");
    for (size_t i = 0; i < 4; i++) {
        memcpy(b, good, size);
        memcpy(b + at + 4 * 5, &badv[i], 4);
        ck_assert_int_eq(inception_model_load_memory(b, size, o, &x), INCEPTION_ERR_FORMAT);
        ck_assert_msg(strstr(inception_last_error(), "Mixed_6b.branch7x7_2.conv.weight_scale") &&
                      strstr(inception_last_error(), "index 5"), "%s", inception_last_error());
    }
    /* -128 is outside the symmetric range */
    memcpy(b, good, size);
    b[data_offset(good, "Mixed_7b.branch1x1.conv.qweight") + 7] = 0x80;
    ck_assert_int_eq(inception_model_load_memory(b, size, o, &x), INCEPTION_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "-128"));
    /* a non-finite folded bias */
    memcpy(b, good, size);
    memcpy(b + data_offset(good, "Mixed_5c.branch_pool.conv.bias"), &badv[2], 4);
    ck_assert_int_eq(inception_model_load_memory(b, size, o, &x), INCEPTION_ERR_FORMAT);
    /* a broken record in the file's metadata (PRECISION auto reads it; float ignores it) */
    memcpy(b, good, size);
    patch_header(b, "inception-calibration", "inception-calibratio_");
    OK(inception_options_set_string(o, INCEPTION_OPT_PRECISION, "auto"));
    ck_assert_int_eq(inception_model_load_memory(b, size, o, &x), INCEPTION_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "inception.quant.calibration"));
    free(b);
    free(good);
    inception_options_free(o);
    inception_model_free(qfloat);
    inception_model_free(qf);
    inception_model_free(ql);
    inception_model_free(fm);
    remove(src);
    remove(out);
}
END_TEST

/* The float range of tensor `name` in the calibration record (JSON text). */
static double record_range(const char *name) {
    size_t size;
    uint8_t *b = read_all(record, &size);
    char *txt = malloc(size + 1);
    memcpy(txt, b, size);
    txt[size] = 0;
    char key[80];
    snprintf(key, sizeof key, "\"%s\"", name);
    const char *p = strstr(txt, key);
    ck_assert_ptr_nonnull(p);
    p += strlen(key);
    while (*p && (*p < '0' || *p > '9')) p++;
    double r = strtod(p, NULL);
    free(txt), free(b);
    return r;
}

static inception_model *load_mixed(const char *mode, const char *path, inception_status want) {
    setenv("INCEPTION_Q8_MIXED", mode, 1);
    inception_options *o;
    OK(inception_options_create(&o));
    if (!path) OK(inception_options_set_string(o, INCEPTION_OPT_QUANT_CALIBRATION, record));
    inception_model *m = NULL;
    inception_status st = path ? inception_model_load_file(path, o, &m)
                               : inception_model_load_memory(model_buf, model_size, o, &m);
    ck_assert_msg(st == want, "%s: %d %s", mode, st, inception_last_error());
    inception_options_free(o);
    unsetenv("INCEPTION_Q8_MIXED");
    return m;
}

/* Batch 2 of two photos at an odd size; features into f (2 x 2048), and the two named
 * tensors copied out (they are float in a mixed net: dtype checked). */
static void run_mixed(inception_model *m, float *f, float **t3b, float **t4a, int64_t *dims4a) {
    inception_options *o;
    OK(inception_options_create(&o));
    OK(inception_options_set_int(o, INCEPTION_OPT_THREADS, 2));
    OK(inception_options_set_string(o, INCEPTION_OPT_EXTRA_OUTPUTS, "Conv2d_3b_1x1,Conv2d_4a_3x3"));
    inception_session *s;
    OK(inception_session_create(m, o, &s));
    int64_t dims[4] = {2, 3, 149, 163};
    inception_tensor *in;
    OK(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims, 4, &in));
    for (int k = 0; k < 2; k++) {
        inception_image *img;
        OK(inception_image_decode_file(photos[k], NULL, &img));
        OK(inception_image_preprocess(m, img, in, k));
        inception_image_free(img);
    }
    OK(inception_session_run(s, in));
    const inception_tensor *t;
    OK(inception_session_output(s, INCEPTION_OUTPUT_FEATURES, &t));
    memcpy(f, inception_tensor_data(t), 2 * 2048 * sizeof(float));
    const char *names[2] = {"Conv2d_3b_1x1", "Conv2d_4a_3x3"};
    float **dst[2] = {t3b, t4a};
    for (int k = 0; k < 2; k++) {
        OK(inception_session_output_named(s, names[k], &t));
        ck_assert_int_eq(inception_tensor_dtype(t), INCEPTION_DTYPE_F32);
        size_t bytes = inception_tensor_byte_size(t);
        *dst[k] = malloc(bytes);
        memcpy(*dst[k], inception_tensor_data(t), bytes);
        if (k == 1)
            for (int d = 0; d < 4; d++) dims4a[d] = inception_tensor_dim(t, d); /* NHWC */
    }
    inception_tensor_free(in);
    inception_session_free(s);
    inception_options_free(o);
}

/* Mixed precision (docs/int8.md): the mode switch and its errors; a mixed conv (Conv2d_4a,
 * fp32 on the float backend between uint8 tensors) against a double-precision oracle
 * computed from the quantised file's weights and the conv's float input; the saved file
 * against quantising at load, bit for bit; batch 2 at an odd size throughout. */
START_TEST(mixed_precision) {
    ck_assert_ptr_null(load_mixed("sometimes", NULL, INCEPTION_ERR_INVALID_ARGUMENT));
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "INCEPTION_Q8_MIXED"));
    int64_t v;
    inception_model *off = load_mixed("off", NULL, INCEPTION_OK);
    OK(inception_model_info_int(off, INCEPTION_INFO_QUANTIZED_LAYERS, &v));
    ck_assert_int_eq(v, 93);
    inception_model *on = load_mixed("on", NULL, INCEPTION_OK);
    OK(inception_model_info_int(on, INCEPTION_INFO_QUANTIZED_LAYERS, &v));
    ck_assert_int_eq(v, 85);

    char out[64];
    quantize_to_file("m", NULL, out, sizeof out);
    inception_model *file = load_mixed("on", out, INCEPTION_OK);

    static float f_on[4096], f_file[4096], f_off[4096];
    float *a3b, *a4a, *b3b, *b4a, *c3b, *c4a;
    int64_t d[4], d2[4];
    run_mixed(on, f_on, &a3b, &a4a, d);
    run_mixed(file, f_file, &b3b, &b4a, d2);
    run_mixed(off, f_off, &c3b, &c4a, d2);
    ck_assert_msg(memcmp(f_on, f_file, sizeof f_on) == 0, "saved mixed model differs from mixed at load");
    printf("mixed vs all-int8: feature cosine %.6f / %.6f (images 0 / 1)\n",
           cosine(f_on, f_off, 2048), cosine(f_on + 2048, f_off + 2048, 2048));
    /* each is about 0.98 from float (accuracy_vs_float), so they differ by about that much:
     * measured 0.976 / 0.984 */
    ck_assert(cosine(f_on, f_off, 2048) > 0.96 && cosine(f_on + 2048, f_off + 2048, 2048) > 0.96);

    /* the oracle: Conv2d_4a (3x3, 80 -> 192, no padding) on the float Conv2d_3b output */
    size_t size;
    uint8_t *fb = read_all(out, &size);
    const int8_t *wq = (const int8_t *)(fb + data_offset(fb, "Conv2d_4a_3x3.conv.qweight"));
    float sw[192], bias[192];
    memcpy(sw, fb + data_offset(fb, "Conv2d_4a_3x3.conv.weight_scale"), sizeof sw);
    memcpy(bias, fb + data_offset(fb, "Conv2d_4a_3x3.conv.bias"), sizeof bias);
    double r4 = record_range("Conv2d_4a_3x3"), rp = record_range("maxpool2");
    float scale = (float)((r4 > rp ? r4 : rp) / 255.0); /* shared through maxpool2 */
    int64_t n = d[0], oh = d[1], ow = d[2], ih = oh + 2, iw = ow + 2;
    ck_assert_int_eq(d[3], 192);
    size_t total = 0, off_by_one = 0;
    for (int64_t b = 0; b < n; b++)
        for (int64_t y = 0; y < oh; y++)
            for (int64_t x = 0; x < ow; x++)
                for (int o = 0; o < 192; o++) {
                    double acc = 0;
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            const float *px = a3b + ((b * ih + y + ky) * iw + x + kx) * 80;
                            const int8_t *w = wq + ((o * 3 + ky) * 3 + kx) * 80;
                            for (int c = 0; c < 80; c++) acc += (double)w[c] * px[c];
                        }
                    double val = acc * sw[o] + bias[o];
                    double q = nearbyint((val > 0 ? val : 0) / scale);
                    q = q > 255 ? 255 : q;
                    double got = a4a[((b * oh + y) * ow + x) * 192 + o] / scale;
                    ck_assert_msg(fabs(got - nearbyint(got)) < 1e-3, "not on the uint8 grid");
                    double diff = fabs(nearbyint(got) - q);
                    ck_assert_msg(diff <= 1, "Conv2d_4a at %lld,%lld,%lld,%d: %g vs %g",
                                  (long long)b, (long long)y, (long long)x, o, got, q);
                    off_by_one += diff > 0;
                    total++;
                }
    printf("mixed Conv2d_4a vs double oracle: %zu of %zu uint8 outputs off by one\n", off_by_one, total);
    ck_assert(off_by_one * 1000 < total); /* only ties broken by float summation order */
    free(fb);
    free(a3b), free(a4a), free(b3b), free(b4a), free(c3b), free(c4a);
    inception_model_free(on);
    inception_model_free(off);
    inception_model_free(file);
    remove(out);
}
END_TEST

/* INCEPTION_OPT_QUANT_WEIGHT_BITS 7: the file's weights in [-64, 64] (each channel reaching
 * +-64), the same bits as quantising at load with the option, close to 8 bits; bad values
 * refused. */
START_TEST(weight_bits) {
    inception_options *o;
    OK(inception_options_create(&o));
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_QUANT_WEIGHT_BITS, 9),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "QUANT_WEIGHT_BITS"));
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_QUANT_WEIGHT_BITS, 0),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    OK(inception_options_set_int(o, INCEPTION_OPT_QUANT_WEIGHT_BITS, 7));
    char out[64];
    quantize_to_file("w", o, out, sizeof out);
    size_t size;
    uint8_t *fb = read_all(out, &size);
    const int8_t *wq = (const int8_t *)(fb + data_offset(fb, "Mixed_6b.branch7x7_2.conv.qweight"));
    int per = 7 * 128;
    for (int ch = 0; ch < 128; ch++) {
        int amax = 0;
        for (int i = 0; i < per; i++) {
            int v = abs(wq[ch * per + i]);
            amax = v > amax ? v : amax;
        }
        ck_assert_int_eq(amax, 64);
    }
    free(fb);
    inception_model *file, *atload, *q8 = load("int8", NULL);
    OK(inception_model_load_file(out, NULL, &file));
    OK(inception_options_set_string(o, INCEPTION_OPT_QUANT_CALIBRATION, record));
    OK(inception_model_load_memory(model_buf, model_size, o, &atload));
    static float f0[2048], l0[10], f1[2048], l1[10], f2[2048], l2[10];
    run(file, 1, 0, 187, 203, f0, l0);
    run(atload, 1, 0, 187, 203, f1, l1);
    run(q8, 1, 0, 187, 203, f2, l2);
    ck_assert_msg(memcmp(f0, f1, sizeof f0) == 0, "7-bit file differs from 7-bit at load");
    printf("7-bit vs 8-bit weights: feature cosine %.6f\n", cosine(f0, f2, 2048));
    ck_assert(memcmp(f0, f2, sizeof f0) != 0 && cosine(f0, f2, 2048) > 0.95);
    inception_model_free(file);
    inception_model_free(atload);
    inception_model_free(q8);
    inception_options_free(o);
    remove(out);
}
END_TEST

int main(void) {
    Suite *s = suite_create("int8");
    TCase *tc = tcase_create("net");
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, levels_bitexact);
    tcase_add_test(tc, accuracy_vs_float);
    tcase_add_test(tc, calibration_errors);
    tcase_add_test(tc, named_outputs);
    tcase_add_test(tc, quantized_file);
    tcase_add_test(tc, mixed_precision);
    tcase_add_test(tc, weight_bits);
    tcase_add_test(tc, old_record);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_set_fork_status(r, CK_NOFORK);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    if (record[0]) remove(record);
    free(model_buf);
    return failed ? 1 : 0;
}

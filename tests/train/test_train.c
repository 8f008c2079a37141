/* suite: train (white-box). The trainer's numerics against PyTorch reference data
 * (tools/gen_train_ref.py), checkpoint/resume bit-identity, save -> load, the data folder
 * path end to end on generated images, and bad inputs. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "testmodel.h"
#include "train/trainer_impl.h"

static char tmpdir[256];
static char model_path[300];
static inception_model *model; /* loaded once, before the tests fork */
static inc_safetensors ref;
static inc_file_buf ref_buf;

/* ---- helpers ---------------------------------------------------------------------- */

static const float *R(const char *name, size_t count) {
    const inc_st_tensor *t = inc_st_find(&ref, name);
    ck_assert_msg(t != NULL, "reference tensor %s missing", name);
    ck_assert_uint_eq((t->end - t->begin) / 4, count);
    return (const float *)(ref.data + t->begin);
}

/* max |a - b| / max |b| */
static double rel_err(const float *a, const float *b, size_t n) {
    double md = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        md = d > md ? d : md;
        mb = fabs((double)b[i]) > mb ? fabs((double)b[i]) : mb;
    }
    return mb > 0 ? md / mb : md;
}

#define EXPECT_CLOSE(got, name, count, tol)                                                     \
    do {                                                                                       \
        double e_ = rel_err((got), R((name), (count)), (count));                               \
        printf("  %-8s rel err %.3g\n", (name), e_);                                           \
        ck_assert_msg(e_ <= (tol), "%s: relative error %g > %g", (name), e_, (double)(tol));  \
    } while (0)

static inception_options *base_opts(void) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_CLASSES, 3), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, 2), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_LR_SCHEDULE, "constant"), INCEPTION_OK);
    return o;
}

static inception_trainer *make(inception_options *o) {
    inception_trainer *t = NULL;
    inception_status st = inception_trainer_create(model, o, &t);
    ck_assert_msg(st == INCEPTION_OK, "create: %s", inception_last_error());
    return t;
}

static void set_head(inception_trainer *t, const float *w, const float *b) {
    memcpy(t->params[0].value, w, t->params[0].count * 4);
    memcpy(t->params[0].ema, w, t->params[0].count * 4);
    memcpy(t->params[1].value, b, t->params[1].count * 4);
    memcpy(t->params[1].ema, b, t->params[1].count * 4);
}

static inception_tensor *features(const float *data, int64_t n) {
    int64_t d[2] = {n, INC_FEATURES_DIM};
    inception_tensor *t = NULL;
    ck_assert_int_eq(inception_tensor_wrap(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NC, d, 2, (void *)data,
                                           (size_t)n * INC_FEATURES_DIM * 4, &t), INCEPTION_OK);
    return t;
}

static void labels_of(const char *name, int32_t *y) {
    const float *f = R(name, 6);
    for (int i = 0; i < 6; i++) y[i] = (int32_t)f[i];
}

/* Two reference steps with the given optimizer settings. */
static inception_trainer *two_steps(inception_options *o) {
    inception_trainer *t = make(o);
    set_head(t, R("W0", 3 * 2048), R("b0", 3));
    int32_t y1[6], y2[6];
    labels_of("y1", y1);
    labels_of("y2", y2);
    inception_tensor *f1 = features(R("f1", 6 * 2048), 6), *f2 = features(R("f2", 6 * 2048), 6);
    float loss;
    ck_assert_int_eq(inception_trainer_train_batch(t, f1, y1, &loss), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_train_batch(t, f2, y2, &loss), INCEPTION_OK);
    inception_tensor_free(f1);
    inception_tensor_free(f2);
    return t;
}

/* ---- numerics against PyTorch -------------------------------------------------------- */

START_TEST(loss_and_gradients) {
    const float *W0 = R("W0", 3 * 2048), *b0 = R("b0", 3), *f1 = R("f1", 6 * 2048);
    int32_t y[6];
    labels_of("y1", y);
    float z[18], dz[18], gw[3 * 2048], gb[3];
    inc_fc_forward(W0, b0, f1, 6, 3, 2048, z);
    const char *tags[2] = {"s01", "s0"};
    double eps[2] = {0.1, 0.0};
    for (int k = 0; k < 2; k++) {
        char n[32];
        float loss = (float)inc_loss_smoothed(z, y, 6, 3, eps[k], dz);
        inc_fc_backward(f1, dz, 6, 3, 2048, gw, gb);
        snprintf(n, sizeof n, "loss_%s", tags[k]);
        EXPECT_CLOSE(&loss, n, 1, 1e-5);
        snprintf(n, sizeof n, "dW_%s", tags[k]);
        EXPECT_CLOSE(gw, n, 3 * 2048, 1e-5);
        snprintf(n, sizeof n, "db_%s", tags[k]);
        EXPECT_CLOSE(gb, n, 3, 1e-5);
    }
    /* smoothing 0 is plain cross-entropy: -log softmax at the label */
    float plain = (float)inc_loss_smoothed(z, y, 6, 3, 0.0, NULL);
    EXPECT_CLOSE(&plain, "loss_plain", 1, 1e-6);
}
END_TEST

START_TEST(rmsprop_tf_clip_ema) {
    inception_options *o = base_opts(); /* defaults: rmsprop, tf epsilon 1.0, wd 4e-5, clip 2, ema */
    inception_trainer *t = two_steps(o);
    double norm;
    ck_assert_int_eq(inception_trainer_info_double(t, INCEPTION_TRAINER_GRAD_NORM, &norm), INCEPTION_OK);
    ck_assert_msg(norm > 2.0, "clipping must be exercised (norm %g)", norm);
    EXPECT_CLOSE(t->params[0].value, "tf_W", 3 * 2048, 1e-5);
    EXPECT_CLOSE(t->params[1].value, "tf_b", 3, 1e-5);
    EXPECT_CLOSE(t->params[0].slot[0], "tf_msW", 3 * 2048, 1e-5);
    EXPECT_CLOSE(t->params[1].slot[0], "tf_msb", 3, 1e-5);
    EXPECT_CLOSE(t->params[0].ema, "tf_eW", 3 * 2048, 1e-5);
    EXPECT_CLOSE(t->params[1].ema, "tf_eb", 3, 1e-5);
    inception_trainer_free(t);
    inception_options_free(o);
}
END_TEST

START_TEST(rmsprop_pytorch) {
    inception_options *o = base_opts();
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_EPSILON_PLACEMENT, "pytorch"), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_MOMENTUM, 0.9), INCEPTION_OK);
    inception_trainer *t = two_steps(o);
    EXPECT_CLOSE(t->params[0].value, "pt_W", 3 * 2048, 1e-5);
    EXPECT_CLOSE(t->params[1].value, "pt_b", 3, 1e-5);
    inception_trainer_free(t);
    inception_options_free(o);
}
END_TEST

START_TEST(sgd_momentum) {
    inception_options *o = base_opts();
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_OPTIMIZER, "sgd"), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_CLIP_NORM, 0), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_WEIGHT_DECAY, 0), INCEPTION_OK);
    inception_trainer *t = two_steps(o);
    EXPECT_CLOSE(t->params[0].value, "sgd_W", 3 * 2048, 1e-5);
    EXPECT_CLOSE(t->params[1].value, "sgd_b", 3, 1e-5);
    inception_trainer_free(t);
    inception_options_free(o);
}
END_TEST

START_TEST(init_like_torchvision) {
    inception_options *o = base_opts();
    inception_trainer *a = make(o), *b = make(o);
    ck_assert_int_eq(memcmp(a->params[0].value, b->params[0].value, 3 * 2048 * 4), 0);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_SEED, 1), INCEPTION_OK);
    inception_trainer *c = make(o);
    ck_assert_int_ne(memcmp(a->params[0].value, c->params[0].value, 3 * 2048 * 4), 0);
    double s = 0, s2 = 0;
    for (int i = 0; i < 3 * 2048; i++) s += a->params[0].value[i], s2 += (double)a->params[0].value[i] * a->params[0].value[i];
    double mean = s / 6144, sd = sqrt(s2 / 6144 - mean * mean);
    ck_assert_msg(fabs(mean) < 0.006 && fabs(sd - 0.1) < 0.005, "weight mean %g sd %g", mean, sd);
    for (int i = 0; i < 3; i++) ck_assert(fabsf(a->params[1].value[i]) <= 1.0f / sqrtf(2048.0f));
    inception_trainer_free(a);
    inception_trainer_free(b);
    inception_trainer_free(c);
    inception_options_free(o);
}
END_TEST

/* ---- checkpoint / resume ------------------------------------------------------------- */

static void run_steps(inception_trainer *t, int from, int to) {
    const float *f1 = R("f1", 6 * 2048), *f2 = R("f2", 6 * 2048);
    int32_t y1[6], y2[6];
    labels_of("y1", y1);
    labels_of("y2", y2);
    for (int s = from; s < to; s++) {
        inception_tensor *f = features(s % 2 ? f2 : f1, 6);
        ck_assert_int_eq(inception_trainer_train_batch(t, f, s % 2 ? y2 : y1, NULL), INCEPTION_OK);
        inception_tensor_free(f);
    }
}

static void same_state(const inception_trainer *a, const inception_trainer *b) {
    ck_assert_int_eq(a->step, b->step);
    ck_assert_int_eq(a->examples, b->examples);
    for (int p = 0; p < a->n_params; p++) {
        size_t n = a->params[p].count * 4;
        ck_assert_int_eq(memcmp(a->params[p].value, b->params[p].value, n), 0);
        ck_assert_int_eq(memcmp(a->params[p].ema, b->params[p].ema, n), 0);
        ck_assert_int_eq(memcmp(a->params[p].slot[0], b->params[p].slot[0], n), 0);
        ck_assert_int_eq(memcmp(a->params[p].slot[1], b->params[p].slot[1], n), 0);
    }
}

START_TEST(checkpoint_resume_bit_identical) {
    inception_options *o = base_opts();
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_LR_SCHEDULE, "exponential"), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_EPOCH_SIZE, 12), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_LR_DECAY_EPOCHS, 1), INCEPTION_OK);
    inception_trainer *whole = make(o), *first = make(o), *second = make(o);
    run_steps(whole, 0, 10);
    run_steps(first, 0, 5);
    char ck[320];
    snprintf(ck, sizeof ck, "%s/ck.safetensors", tmpdir);
    ck_assert_int_eq(inception_trainer_checkpoint(first, ck), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_resume(second, ck), INCEPTION_OK);
    same_state(first, second);
    run_steps(second, 5, 10);
    same_state(whole, second);
    double lr;
    inception_trainer_info_double(whole, INCEPTION_TRAINER_LR, &lr);
    ck_assert_msg(lr < 0.045 * 0.94 * 0.94 * 0.94, "the schedule decayed: lr %g", lr);
    /* a trainer with another setting refuses the checkpoint, naming it */
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_LABEL_SMOOTHING, 0.2), INCEPTION_OK);
    inception_trainer *other = make(o);
    ck_assert_int_eq(inception_trainer_resume(other, ck), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(inception_trainer_last_error(other), "TRAIN_LABEL_SMOOTHING"), "%s",
                  inception_trainer_last_error(other));
    inception_trainer_free(other);
    inception_trainer_free(whole);
    inception_trainer_free(first);
    inception_trainer_free(second);
    inception_options_free(o);
}
END_TEST

START_TEST(disk_full_keeps_previous_checkpoint) {
    inception_options *o = base_opts();
    inception_trainer *t = make(o);
    run_steps(t, 0, 2);
    char ck[320];
    snprintf(ck, sizeof ck, "%s/full.safetensors", tmpdir);
    ck_assert_int_eq(inception_trainer_checkpoint(t, ck), INCEPTION_OK);
    struct stat before;
    ck_assert_int_eq(stat(ck, &before), 0);
    run_steps(t, 2, 4);
    inc_train_fail_write_after(4096); /* the disk fills up 4 KB into the new file */
    ck_assert_int_eq(inception_trainer_checkpoint(t, ck), INCEPTION_ERR_IO);
    inc_train_fail_write_after(-1);
    ck_assert_msg(strstr(inception_trainer_last_error(t), "unchanged"), "%s", inception_trainer_last_error(t));
    inception_trainer *r = make(o);
    ck_assert_int_eq(inception_trainer_resume(r, ck), INCEPTION_OK); /* the old one, intact */
    ck_assert_int_eq(r->step, 2);
    /* and no temporary file is left behind */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "ls %s | grep -q tmp", tmpdir);
    ck_assert_int_ne(system(cmd), 0);
    inception_trainer_free(r);
    inception_trainer_free(t);
    inception_options_free(o);
}
END_TEST

/* ---- save -> load ----------------------------------------------------------------------- */

START_TEST(save_load_same_logits) {
    inception_options *o = base_opts();
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_LABELS, "cat\ndog\n\"quoted\" \\ bird"), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_INPUT_SIZE, 75), INCEPTION_OK);
    inception_trainer *t = make(o);
    run_steps(t, 0, 3);
    char out[320];
    snprintf(out, sizeof out, "%s/head.safetensors", tmpdir);
    ck_assert_msg(inception_trainer_save(t, out) == INCEPTION_OK, "%s", inception_trainer_last_error(t));
    inception_model *m = NULL;
    ck_assert_msg(inception_model_load_file(out, NULL, &m) == INCEPTION_OK, "%s", inception_last_error());
    int64_t v;
    inception_model_info_int(m, INCEPTION_INFO_CLASSES, &v);
    ck_assert_int_eq(v, 3);
    inception_model_info_int(m, INCEPTION_INFO_HAS_AUX, &v);
    ck_assert_int_eq(v, 0);
    inception_model_info_int(m, INCEPTION_INFO_INPUT_HEIGHT, &v);
    ck_assert_int_eq(v, 75);
    const char *label;
    ck_assert_int_eq(inception_model_label(m, 2, &label), INCEPTION_OK);
    ck_assert_str_eq(label, "\"quoted\" \\ bird");
    int64_t d[4] = {2, 3, 75, 75};
    inception_tensor *x = NULL;
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d, 4, &x), INCEPTION_OK);
    inc_testmodel_uniform("input/train", 0, inception_tensor_data(x), 2 * 3 * 75 * 75);
    float want[6];
    ck_assert_int_eq(inception_trainer_logits(t, x, want, 6), INCEPTION_OK);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, NULL, &s), INCEPTION_OK);
    ck_assert_int_eq(inception_session_run(s, x), INCEPTION_OK);
    const inception_tensor *lg;
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &lg), INCEPTION_OK);
    double e = rel_err(inception_tensor_data(lg), want, 6);
    printf("  save->load logits rel err %.3g\n", e);
    ck_assert_msg(e < 1e-5, "logits differ: %g", e);
    /* the trunk was copied unchanged: every tensor of the base but fc/AuxLogits is identical */
    inc_file_buf a, b;
    inc_safetensors sa, sb;
    ck_assert_int_eq(inc_file_read(model_path, &a), INCEPTION_OK);
    ck_assert_int_eq(inc_file_read(out, &b), INCEPTION_OK);
    ck_assert_int_eq(inc_st_parse(a.data, a.size, &sa), INCEPTION_OK);
    ck_assert_int_eq(inc_st_parse(b.data, b.size, &sb), INCEPTION_OK);
    size_t copied = 0;
    for (size_t i = 0; i < sa.n_tensors; i++) {
        const inc_st_tensor *x0 = &sa.tensors[i];
        if (!strncmp(x0->name, "fc.", 3) || !strncmp(x0->name, "AuxLogits.", 10)) continue;
        const inc_st_tensor *x1 = inc_st_find(&sb, x0->name);
        ck_assert_msg(x1 != NULL, "%s missing", x0->name);
        ck_assert_int_eq(memcmp(sa.data + x0->begin, sb.data + x1->begin, x0->end - x0->begin), 0);
        copied++;
    }
    ck_assert_uint_gt(copied, 400);
    inc_st_free(&sa);
    inc_st_free(&sb);
    inc_file_release(&a);
    inc_file_release(&b);
    inception_session_free(s);
    inception_tensor_free(x);
    inception_model_free(m);
    inception_trainer_free(t);
    inception_options_free(o);
}
END_TEST

/* ---- bad inputs ------------------------------------------------------------------------- */

/* TRAIN_HEAD_INIT: "linear" draws the weight from U(+-1/sqrt(2048)) like nn.Linear, the
 * default trunc_normal(0.1) reaches far past that bound; the bias stream is shared. */
START_TEST(head_init) {
    inception_options *o = base_opts();
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_HEAD_INIT, "kaiming"), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(inception_last_error(), "torchvision or linear"), "%s", inception_last_error());
    inception_trainer *a = make(o);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_HEAD_INIT, "linear"), INCEPTION_OK);
    inception_trainer *b = make(o);
    double bound = 1.0 / sqrt(2048.0), max_a = 0, max_b = 0, sum_b = 0;
    size_t n = a->params[0].count;
    ck_assert_uint_eq(n, b->params[0].count);
    for (size_t i = 0; i < n; i++) {
        max_a = fmax(max_a, fabs(a->params[0].value[i]));
        max_b = fmax(max_b, fabs(b->params[0].value[i]));
        sum_b += b->params[0].value[i];
    }
    ck_assert_msg(max_a > 5 * bound, "default max |w| %g", max_a);
    ck_assert_msg(max_b <= bound && max_b > 0.99 * bound, "linear max |w| %g (bound %g)", max_b, bound);
    ck_assert_msg(fabs(sum_b / (double)n) < 0.05 * bound, "linear mean %g", sum_b / (double)n);
    ck_assert_int_eq(memcmp(a->params[1].value, b->params[1].value, a->params[1].count * sizeof(float)), 0);
    inception_trainer_free(a);
    inception_trainer_free(b);
    inception_options_free(o);
}
END_TEST

START_TEST(bad_settings_and_labels) {
    inception_options *o = NULL;
    inception_trainer *t = (inception_trainer *)0x1;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_create(model, o, &t), INCEPTION_ERR_INVALID_ARGUMENT); /* no classes */
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_CLASSES, 1), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_LABELS, "only"), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_create(model, o, &t), INCEPTION_ERR_INVALID_ARGUMENT); /* K = 1 */
    ck_assert_msg(strstr(inception_last_error(), "at least 2"), "%s", inception_last_error());
    ck_assert_ptr_eq(t, (inception_trainer *)0x1);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_LR, NAN), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_LABEL_SMOOTHING, 1.0), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_LR, 1), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_OPTIMIZER, "adam"), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_AUGMENT, "crop,zoom"), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_int(o, 399, 1), INCEPTION_ERR_NOT_FOUND);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_THREADS, 1), INCEPTION_ERR_INVALID_ARGUMENT);
    inception_options_free(o);

    o = base_opts();
    t = make(o);
    const float *f1 = R("f1", 6 * 2048);
    inception_tensor *f = features(f1, 6);
    int32_t y[6] = {0, 1, 2, 3, 0, 1}; /* 3 is out of range */
    float loss = -1;
    ck_assert_int_eq(inception_trainer_train_batch(t, f, y, &loss), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(inception_trainer_last_error(t), "example 3"), "%s", inception_trainer_last_error(t));
    ck_assert(loss == -1);
    ck_assert_int_eq(inception_trainer_train_batch(t, f, NULL, &loss), INCEPTION_ERR_INVALID_ARGUMENT);
    /* NaN features: a NUMERIC error naming the step, parameters untouched */
    float *bad = malloc(6 * 2048 * 4);
    memcpy(bad, f1, 6 * 2048 * 4);
    bad[100] = NAN;
    inception_tensor *fb = features(bad, 6);
    int32_t ok[6] = {0, 1, 2, 1, 0, 2};
    ck_assert_int_eq(inception_trainer_train_batch(t, f, ok, &loss), INCEPTION_OK);
    float *w_before = malloc(3 * 2048 * 4);
    memcpy(w_before, t->params[0].value, 3 * 2048 * 4);
    ck_assert_int_eq(inception_trainer_train_batch(t, fb, ok, &loss), INCEPTION_ERR_NUMERIC);
    ck_assert_msg(strstr(inception_trainer_last_error(t), "step 2"), "%s", inception_trainer_last_error(t));
    ck_assert_int_eq(memcmp(w_before, t->params[0].value, 3 * 2048 * 4), 0);
    ck_assert_int_eq(t->step, 1);
    /* a wrong feature width, a wrong-size confusion buffer, evaluating */
    int64_t d[2] = {3, 1000};
    inception_tensor *wrong = NULL;
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NC, d, 2, &wrong), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_train_batch(t, wrong, ok, &loss), INCEPTION_ERR_SHAPE);
    int64_t conf[9];
    ck_assert_int_eq(inception_trainer_confusion(t, conf, 8), INCEPTION_ERR_BUFFER_TOO_SMALL);
    ck_assert_int_eq(inception_trainer_evaluate(t, f, ok), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_confusion(t, conf, 9), INCEPTION_OK);
    int64_t sum = 0;
    for (int i = 0; i < 9; i++) sum += conf[i];
    ck_assert_int_eq(sum, 6);
    ck_assert_int_eq(inception_trainer_step(t, &loss), INCEPTION_ERR_NOT_READY);
    /* a model loaded from memory cannot be saved without naming its file */
    inception_model *mm = NULL;
    inc_file_buf mb;
    ck_assert_int_eq(inc_file_read(model_path, &mb), INCEPTION_OK);
    ck_assert_int_eq(inception_model_load_memory(mb.data, mb.size, NULL, &mm), INCEPTION_OK);
    inc_file_release(&mb);
    inception_trainer *tm = NULL;
    ck_assert_int_eq(inception_trainer_create(mm, o, &tm), INCEPTION_OK);
    char out[320];
    snprintf(out, sizeof out, "%s/x.safetensors", tmpdir);
    ck_assert_int_eq(inception_trainer_save(tm, out), INCEPTION_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(inception_trainer_last_error(tm), "TRAIN_BASE_MODEL"), "%s", inception_trainer_last_error(tm));
    inception_trainer_free(tm);
    inception_model_free(mm);
    inception_tensor_free(wrong);
    inception_tensor_free(fb);
    inception_tensor_free(f);
    free(bad);
    free(w_before);
    inception_trainer_free(t);
    inception_options_free(o);
}
END_TEST

/* ---- data folders, end to end ------------------------------------------------------------ */

/* An RGB PNG (filter 0 rows, zlib) of a class-coloured noisy picture. */
static void write_png(const char *path, int w, int h, int cls, uint32_t seed) {
    size_t raw_n = (size_t)h * (1 + 3 * w);
    uint8_t *raw = malloc(raw_n);
    uint32_t s = seed * 2654435761u + 1;
    for (int y = 0; y < h; y++) {
        uint8_t *r = raw + (size_t)y * (1 + 3 * w);
        r[0] = 0;
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                s = s * 1664525u + 1013904223u;
                int base = c == cls ? 170 : 60;
                /* class 0: red, 1: green, 2: blue; plus stripes for class 2 */
                int v = base + (int)(s >> 26) - 32 + (cls == 2 && (x / 8) % 2 ? 40 : 0);
                r[1 + 3 * x + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    }
    uLongf zn = compressBound(raw_n);
    uint8_t *z = malloc(zn);
    compress(z, &zn, raw, raw_n);
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    static const uint8_t sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    fwrite(sig, 1, 8, fp);
    uint8_t ihdr[13] = {0, 0, (uint8_t)(w >> 8), (uint8_t)w, 0, 0, (uint8_t)(h >> 8), (uint8_t)h, 8, 2, 0, 0, 0};
    const char *types[3] = {"IHDR", "IDAT", "IEND"};
    const uint8_t *data[3] = {ihdr, z, NULL};
    uint32_t lens[3] = {13, (uint32_t)zn, 0};
    for (int k = 0; k < 3; k++) {
        uint8_t be[4] = {(uint8_t)(lens[k] >> 24), (uint8_t)(lens[k] >> 16), (uint8_t)(lens[k] >> 8), (uint8_t)lens[k]};
        fwrite(be, 1, 4, fp);
        fwrite(types[k], 1, 4, fp);
        if (lens[k]) fwrite(data[k], 1, lens[k], fp);
        uLong crc = crc32(0, (const Bytef *)types[k], 4);
        if (lens[k]) crc = crc32(crc, data[k], lens[k]);
        uint8_t cb[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
        fwrite(cb, 1, 4, fp);
    }
    fclose(fp);
    free(raw);
    free(z);
}

static void make_folder(const char *root, int per_class, int broken) {
    mkdir(root, 0755);
    const char *names[3] = {"blue_sky", "green_field", "red_brick"}; /* sorted != colour order */
    int colour[3] = {2, 1, 0};
    for (int c = 0; c < 3; c++) {
        char dir[400], p[480];
        snprintf(dir, sizeof dir, "%s/%s", root, names[c]);
        mkdir(dir, 0755);
        for (int i = 0; i < per_class; i++) {
            snprintf(p, sizeof p, "%s/img%03d.png", dir, i);
            write_png(p, 40 + (i % 5) * 7, 36 + (i % 3) * 9, colour[c], (uint32_t)(c * 1000 + i));
        }
        if (broken && c == 1) {
            snprintf(p, sizeof p, "%s/broken.png", dir);
            FILE *fp = fopen(p, "wb");
            fputs("not a png at all", fp);
            fclose(fp);
        }
    }
}

static inception_options *folder_opts(const char *root, const char *cache) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_DATA, root), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_INPUT_SIZE, 75), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_BATCH, 16), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_VAL_FRACTION, 0.25), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, 2), INCEPTION_OK);
    /* The random trunk's features share a large common part (std/mean ~ 0.1), which the
     * paper's RMSProp at 0.045 crosses slowly; SGD+momentum at 0.2 separates in 2 epochs. */
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_OPTIMIZER, "sgd"), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_LR, 0.2), INCEPTION_OK);
    if (cache) ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_CACHE_DIR, cache), INCEPTION_OK);
    return o;
}

START_TEST(folder_train_above_chance_and_resume) {
    char root[320], cache[320], ck[320];
    snprintf(root, sizeof root, "%s/data", tmpdir);
    snprintf(cache, sizeof cache, "%s/cache", tmpdir);
    snprintf(ck, sizeof ck, "%s/folder_ck.safetensors", tmpdir);
    make_folder(root, 40, 1);
    inception_options *o = folder_opts(root, cache);
    inception_trainer *t = make(o);
    double ntrain, nval, steps;
    inception_trainer_info_double(t, INCEPTION_TRAINER_TRAIN_SIZE, &ntrain);
    inception_trainer_info_double(t, INCEPTION_TRAINER_VAL_SIZE, &nval);
    inception_trainer_info_double(t, INCEPTION_TRAINER_STEPS_PER_EPOCH, &steps);
    ck_assert_int_eq((int)(ntrain + nval), 121);
    ck_assert(nval > 10 && ntrain > 60);
    const char *label;
    ck_assert_int_eq(inception_trainer_label(t, 0, &label), INCEPTION_OK);
    ck_assert_str_eq(label, "blue_sky");
    /* two epochs, checkpoint midway through the first, then a second trainer resumes and
     * must match */
    int half = (int)steps / 2, total = 2 * (int)steps;
    float loss;
    for (int s = 0; s < total; s++) {
        ck_assert_msg(inception_trainer_step(t, &loss) == INCEPTION_OK, "%s", inception_trainer_last_error(t));
        if (s + 1 == half) ck_assert_int_eq(inception_trainer_checkpoint(t, ck), INCEPTION_OK);
    }
    double skipped;
    inception_trainer_info_double(t, INCEPTION_TRAINER_SKIPPED, &skipped);
    const char *path = NULL, *why = NULL;
    int broken_in_train = skipped > 0;
    if (broken_in_train) {
        ck_assert_int_eq(inception_trainer_skipped(t, 0, &path, &why), INCEPTION_OK);
        ck_assert_msg(strstr(path, "broken.png") && why[0], "%s: %s", path, why);
    }
    ck_assert_int_eq(inception_trainer_evaluate_validation(t), INCEPTION_OK);
    double top1, count;
    inception_trainer_info_double(t, INCEPTION_TRAINER_EVAL_TOP1, &top1);
    inception_trainer_info_double(t, INCEPTION_TRAINER_EVAL_COUNT, &count);
    printf("  folder: %g train, %g val, top-1 %.3f after two epochs (chance 0.333)\n", ntrain, nval, top1);
    ck_assert_msg(top1 > 0.6, "validation top-1 %g is not above chance", top1);
    inception_trainer_info_double(t, INCEPTION_TRAINER_SKIPPED, &skipped);
    ck_assert_msg(skipped == 1, "the broken image is reported once (skipped %g)", skipped);
    ck_assert_int_eq(inception_trainer_skipped(t, 0, &path, &why), INCEPTION_OK);
    ck_assert_msg(strstr(path, "broken.png") != NULL, "%s", path);

    inception_trainer *r = make(o);
    ck_assert_int_eq(inception_trainer_resume(r, ck), INCEPTION_OK);
    for (int s = half; s < total; s++) ck_assert_int_eq(inception_trainer_step(r, &loss), INCEPTION_OK);
    same_state(t, r);
    double hits, misses;
    inception_trainer_info_double(r, INCEPTION_TRAINER_CACHE_HITS, &hits);
    inception_trainer_info_double(r, INCEPTION_TRAINER_CACHE_MISSES, &misses);
    ck_assert_msg(misses == 0 && hits > 0, "second run from the disk cache: %g hits, %g misses", hits, misses);
    inception_trainer_free(r);
    inception_trainer_free(t);
    inception_options_free(o);
}
END_TEST

START_TEST(folder_augmented_views_deterministic) {
    char root[320];
    snprintf(root, sizeof root, "%s/aug", tmpdir);
    make_folder(root, 6, 0);
    inception_options *o = folder_opts(root, NULL);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_AUGMENT, "crop,flip,color"), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_VIEWS, 2), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, 1), INCEPTION_OK);
    inception_trainer *a = make(o);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, 2), INCEPTION_OK);
    inception_trainer *b = make(o);
    float la, lb;
    for (int s = 0; s < 3; s++) {
        ck_assert_int_eq(inception_trainer_step(a, &la), INCEPTION_OK);
        ck_assert_int_eq(inception_trainer_step(b, &lb), INCEPTION_OK);
    }
    same_state(a, b); /* 1 and 2 threads, same seed: the same trajectory */
    inception_trainer_free(a);
    inception_trainer_free(b);
    inception_options_free(o);
}
END_TEST

START_TEST(folder_bad_inputs) {
    char root[320], p[400];
    inception_trainer *t = NULL;
    /* empty folder */
    snprintf(root, sizeof root, "%s/empty", tmpdir);
    mkdir(root, 0755);
    inception_options *o = folder_opts(root, NULL);
    ck_assert_int_eq(inception_trainer_create(model, o, &t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(inception_last_error(), "no class folders"), "%s", inception_last_error());
    /* one class only */
    snprintf(p, sizeof p, "%s/only", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/only/a.png", root);
    write_png(p, 20, 20, 0, 1);
    ck_assert_int_eq(inception_trainer_create(model, o, &t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(inception_last_error(), "only one class"), "%s", inception_last_error());
    /* an empty class folder */
    snprintf(p, sizeof p, "%s/zzz_empty", root);
    mkdir(p, 0755);
    ck_assert_int_eq(inception_trainer_create(model, o, &t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(inception_last_error(), "zzz_empty"), "%s", inception_last_error());
    inception_options_free(o);
    /* missing folder, and a list file naming a validation label the data lacks */
    o = folder_opts("/nonexistent/train", NULL);
    ck_assert_int_eq(inception_trainer_create(model, o, &t), INCEPTION_ERR_IO);
    inception_options_free(o);
    snprintf(p, sizeof p, "%s/list.txt", tmpdir);
    FILE *fp = fopen(p, "w");
    fprintf(fp, "# path label\nonly/a.png cat\nonly/a.png dog\n");
    fclose(fp);
    char val[400];
    snprintf(val, sizeof val, "%s/val.txt", tmpdir);
    fp = fopen(val, "w");
    fprintf(fp, "only/a.png bird\n");
    fclose(fp);
    char moved[400];
    snprintf(moved, sizeof moved, "%s/only", tmpdir);
    snprintf(root, sizeof root, "%s/empty/only", tmpdir);
    rename(root, moved);
    o = folder_opts(p, NULL);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_VAL_DATA, val), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_create(model, o, &t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(inception_last_error(), "bird"), "%s", inception_last_error());
    inception_options_free(o);
}
END_TEST

int main(void) {
    const char *data = getenv("INCEPTION_TEST_DATA");
    char path[512];
    snprintf(path, sizeof path, "%s/train/data/train_ref.safetensors", data ? data : "tests");
    if (inc_file_read(path, &ref_buf) || inc_st_parse(ref_buf.data, ref_buf.size, &ref)) {
        fprintf(stderr, "cannot read %s: %s\n", path, inc_error_message());
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/inception-train-XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    inc_testmodel_opts mo;
    inc_testmodel_opts_default(&mo);
    uint8_t *buf;
    size_t size;
    if (inc_testmodel_build(&mo, &buf, &size) != 0) return 1;
    snprintf(model_path, sizeof model_path, "%s/base.safetensors", tmpdir);
    FILE *fp = fopen(model_path, "wb");
    if (!fp || fwrite(buf, 1, size, fp) != size || fclose(fp) != 0) return 1;
    free(buf);
    if (inception_model_load_file(model_path, NULL, &model)) {
        fprintf(stderr, "load: %s\n", inception_last_error());
        return 1;
    }

    Suite *s = suite_create("train");
    TCase *tc = tcase_create("train");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, loss_and_gradients);
    tcase_add_test(tc, rmsprop_tf_clip_ema);
    tcase_add_test(tc, rmsprop_pytorch);
    tcase_add_test(tc, sgd_momentum);
    tcase_add_test(tc, init_like_torchvision);
    tcase_add_test(tc, checkpoint_resume_bit_identical);
    tcase_add_test(tc, disk_full_keeps_previous_checkpoint);
    tcase_add_test(tc, save_load_same_logits);
    tcase_add_test(tc, bad_settings_and_labels);
    tcase_add_test(tc, head_init);
    tcase_add_test(tc, folder_train_above_chance_and_resume);
    tcase_add_test(tc, folder_augmented_views_deterministic);
    tcase_add_test(tc, folder_bad_inputs);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    inception_model_free(model);
    inc_st_free(&ref);
    inc_file_release(&ref_buf);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return failed ? 1 : 0;
}

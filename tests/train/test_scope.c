/* Training below the head against PyTorch autograd (float64) on torchvision's Inception3
 * with the test model's weights: loss, every gradient of the scope, the BN running
 * statistics after one step and the parameters after ten RMSProp steps, per scope
 * (tools/gen_scope_ref.py writes the data; no Python here). Tolerance per tensor:
 * max|delta| / max|ref| <= max(1e-4, 4 x float32 PyTorch's own error on that tensor) for
 * one step (2e-3 floor after ten); the output says how many exceed 2x.
 * Plus the bad inputs: unknown scope, a batch over MAX_SESSION_MEMORY, too small input.
 * `test_scope 299` runs the 299x299 cases with the aux head (scope299_ref.safetensors:
 * gradients, running statistics and losses of one step; no ten-step run there) and the
 * aux head's off cases. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testmodel.h"
#include "train/trainer_impl.h"

#define K 3
#define N 8

static int SIZE = 75;

static inc_file_buf ref_buf;
static inc_safetensors ref;
static char model_path[300], tmpdir[256];
static inception_model *model;
static float *X;
static const int32_t Y[N] = {0, 1, 2, 0, 1, 2, 0, 1};

static const float *rec(const char *name, size_t *count) {
    const inc_st_tensor *t = inc_st_find(&ref, name);
    if (!t) return NULL;
    if (count) *count = (t->end - t->begin) / (size_t)t->elem_size;
    return (const float *)(const void *)(ref.data + t->begin);
}

static inception_trainer *make_on(const inception_model *m, const char *scope, int threads) {
    inception_options *o;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_CLASSES, K), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_SCOPE, scope), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_DROPOUT, 0.0), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_EMA_DECAY, 0.0), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, threads), INCEPTION_OK);
    inception_trainer *t = NULL;
    inception_status st = inception_trainer_create(m, o, &t);
    ck_assert_msg(st == INCEPTION_OK, "create %s: %s", scope, inception_last_error());
    inception_options_free(o);
    size_t nw, nb;
    const float *w0 = rec("W0", &nw), *b0 = rec("b0", &nb);
    ck_assert(w0 && b0 && nw == t->params[0].count && nb == t->params[1].count);
    memcpy(t->params[0].value, w0, nw * sizeof(float));
    memcpy(t->params[1].value, b0, nb * sizeof(float));
    /* the new aux fc, where the scope trains the aux head */
    for (int32_t i = 2; i < t->n_params; i++) {
        const char *nm = strcmp(t->params[i].name, "AuxLogits.fc.weight") == 0 ? "AW0"
                         : strcmp(t->params[i].name, "AuxLogits.fc.bias") == 0  ? "Ab0" : NULL;
        if (!nm) continue;
        size_t na;
        const float *a = rec(nm, &na);
        if (!a && SIZE == 75) continue; /* the head sits out at 75x75 */
        ck_assert_msg(a && na == t->params[i].count, "no reference %s", nm);
        memcpy(t->params[i].value, a, na * sizeof(float));
    }
    return t;
}

static inception_trainer *make(const char *scope) { return make_on(model, scope, 1); }

static inception_tensor input_tensor(void) {
    inception_tensor in;
    memset(&in, 0, sizeof in);
    in.dtype = INCEPTION_DTYPE_F32;
    in.layout = INCEPTION_LAYOUT_NCHW;
    in.rank = 4;
    in.dims[0] = N, in.dims[1] = 3, in.dims[2] = SIZE, in.dims[3] = SIZE;
    in.data = X;
    in.bytes = (size_t)N * 3 * SIZE * SIZE * sizeof(float);
    return in;
}

/* Worst ratio of error to tolerance over a kind; fails the test past 1. */
typedef struct tally {
    double worst_err, worst_ratio, worst_err32;
    int n, relaxed, failed;
} tally;

static void compare(const char *scope, const char *kind, const inc_param *p, const float *mine,
                    tally *ta) {
    char name[200];
    snprintf(name, sizeof name, "%s/%s/%s", scope, kind, p->name);
    size_t n;
    const float *r = rec(name, &n);
    ck_assert_msg(r != NULL, "no reference for %s", name);
    ck_assert_msg((size_t)r[2] == p->count, "%s: count %zu, reference %g", name, p->count, (double)r[2]);
    /* 1e-4, or where float32 PyTorch itself is further from float64 (BatchNorm over the 1x1
     * grids of Mixed_7a..7c at 75x75 sees 8 values per channel), a multiple of its error;
     * ten steps compound it (see docs/training.md for the figures) */
    int steps = kind[0] == 'p';
    double mx = r[0], err32 = r[1], tol = fmax(steps ? 2e-3 : 1e-4, 4 * err32);
    /* A ReLU kink, not a defect (docs/training.md, "Agreement with PyTorch"; measured with
     * tools/probe_scope299.py): at 299, scope Mixed_6a, the unit of AuxLogits.conv1 at image
     * 1, channel 634 is +6.45e-5 before its ReLU in float64, inside float32's noise there
     * (max 2.5e-4 here, 3.2e-4 in float32 PyTorch, whose rounding happens to keep it on).
     * The library's Mixed_5d output is as close to float64 as float32 PyTorch's (1.81e-6),
     * yet it switches the unit off; conv1's BatchNorm over 8 values per channel spreads the
     * unit's lost gradient over channel 634, whose 5x5 weights carry it into all of conv0.
     * float64 with that unit off moves conv0's gradients by `shift` below and the library
     * is within 7.7e-5 of that float64, so (triangle inequality) the bound is the shift
     * plus the usual tolerance. conv1's own gradients move only in channel 634, which the
     * sampled positions miss. */
    static const struct {
        const char *name;
        double shift;
    } kink[] = {{"AuxLogits.conv0.conv.weight", 1.874e-2},
                {"AuxLogits.conv0.bn.weight", 1.731e-2},
                {"AuxLogits.conv0.bn.bias", 1.463e-2}};
    const char *why = "";
    for (size_t k = 0; SIZE == 299 && strcmp(scope, "Mixed_6a") == 0 && kind[0] == 'g' && k < 3; k++)
        if (strcmp(p->name, kink[k].name) == 0) tol += kink[k].shift, why = "  (ReLU kink in AuxLogits.conv1)";
    size_t samples = n - 5;
    double d = fabs((double)mine[(size_t)r[3]] - r[4]);
    for (size_t i = 0; i < samples; i++) {
        size_t pos = (size_t)(((double)i + 0.5) * (double)p->count / (double)samples);
        d = fmax(d, fabs((double)mine[pos] - r[5 + i]));
    }
    double m = 0; /* the full tensor's max |value| is compared too */
    for (size_t i = 0; i < p->count; i++) m = fmax(m, fabs((double)mine[i]));
    d = fmax(d, fabs(m - mx));
    double e = mx > 0 ? d / mx : d;
    /* every tensor past its tolerance is listed (the scope fails after its report), and
     * those beyond 2x float32 PyTorch's error */
    if (e > fmax(1e-4, 2 * err32))
        printf("  %s: max|delta|/max|ref| = %.3g, tolerance %.3g (float32 PyTorch: %.3g)%s\n", name, e, tol, err32,
               e > tol ? "  FAIL" : why);
    ta->failed += e > tol;
    ta->worst_err = fmax(ta->worst_err, e);
    ta->worst_ratio = fmax(ta->worst_ratio, e / tol);
    ta->worst_err32 = fmax(ta->worst_err32, err32);
    ta->relaxed += e > fmax(1e-4, 2 * err32);
    ta->n++;
}

static void report(const char *scope, const char *what, const tally *t) {
    printf("scope %-8s %-22s %3d tensors: worst max|d|/max|ref| %.2e (float32 PyTorch worst %.2e, %d tensors beyond max(1e-4, 2x its error))\n",
           scope, what, t->n, t->worst_err, t->worst_err32, t->relaxed);
}

static void check_scope(const char *scope) {
    inception_trainer *t = make(scope);
    inception_tensor in = input_tensor();
    double loss, aux = 0;
    if (t->scope) {
        const float *x;
        int64_t n, h, w;
        ck_assert_int_eq(inc_trainer_scope_input(t, &in, &x, &n, &h, &w), INCEPTION_OK);
        ck_assert_int_eq(inc_scope_plan(t->scope, n, h, w, 0), INCEPTION_OK);
        ck_assert_int_eq(inc_scope_train(t->scope, t->params, x, Y, K, 0.1, 0, &loss, &aux), INCEPTION_OK);
        double mem;
        ck_assert_int_eq(inception_trainer_info_double(t, INCEPTION_TRAINER_SCOPE_MEMORY, &mem), INCEPTION_OK);
        double tr;
        ck_assert_int_eq(inception_trainer_info_double(t, INCEPTION_TRAINER_TRAINABLE, &tr), INCEPTION_OK);
        printf("scope %-8s activation+gradient memory %.1f MB for batch %d at %dx%d, %.0f trainable parameters\n",
               scope, mem / 1e6, N, SIZE, SIZE, tr);
    } else {
        const float *f;
        int64_t n;
        ck_assert_int_eq(inc_trainer_tensor_features(t, &in, &f, &n), INCEPTION_OK);
        float logits[N * K], dz[N * K];
        inc_fc_forward(t->params[0].value, t->params[1].value, f, n, K, 2048, logits);
        loss = inc_loss_smoothed(logits, Y, n, K, 0.1, dz);
        inc_fc_backward(f, dz, n, K, 2048, t->params[0].grad, t->params[1].grad);
    }
    char name[64];
    snprintf(name, sizeof name, "%s/loss", scope);
    const inc_st_tensor *lt = inc_st_find(&ref, name);
    ck_assert(lt);
    ck_assert(lt->end - lt->begin >= 2 * sizeof(double));
    double l[4] = {0}; /* copied: tensor data in the file is only 4-byte aligned */
    memcpy(l, ref.data + lt->begin, lt->end - lt->begin >= sizeof l ? sizeof l : 2 * sizeof(double));
    double le = fabs(loss - l[0]) / l[0];
    ck_assert_msg(le <= fmax(1e-4, 2 * l[1]), "%s loss %.8f, reference %.8f", scope, loss, l[0]);
    printf("scope %-8s loss %.6f reference %.6f (relative %.1e, float32 PyTorch %.1e)\n", scope, loss, l[0], le, l[1]);
    /* the aux loss (0 in the reference where the head is off) */
    int aux_on = t->scope && inc_scope_aux_fits(t->scope);
    ck_assert_int_eq(aux_on, l[2] > 0);
    if (aux_on) {
        double ae = fabs(aux - l[2]) / l[2];
        ck_assert_msg(ae <= fmax(1e-4, 2 * l[3]), "%s aux loss %.8f, reference %.8f", scope, aux, l[2]);
        printf("scope %-8s aux loss %.6f reference %.6f (relative %.1e, float32 PyTorch %.1e)\n", scope, aux, l[2], ae, l[3]);
    }
    tally g = {0}, r = {0}, p = {0};
    for (int32_t i = 0; i < t->n_params; i++) {
        const inc_param *q = &t->params[i];
        if (!aux_on && strncmp(q->name, "AuxLogits.", 10) == 0) {
            /* set up but too small to run: no gradient, statistics untouched */
            for (size_t j = 0; !q->buffer && j < q->count; j++)
                ck_assert_msg(q->grad[j] == 0.0f, "%s: gradient of a head that did not run", q->name);
            continue;
        }
        if (q->buffer) compare(scope, "r", q, q->value, &r);
        else compare(scope, "g", q, q->grad, &g);
    }
    report(scope, "gradients", &g);
    if (r.n) report(scope, "running stats (1 step)", &r);
    ck_assert_msg(g.failed + r.failed == 0, "%s: %d tensors past their tolerance (listed above)", scope, g.failed + r.failed);
    if (SIZE != 75) { /* ten steps at 299 in float64 are too slow to generate */
        inception_trainer_free(t);
        return;
    }

    inception_trainer_free(t);
    /* ten steps of the default recipe from the same start */
    t = make(scope);
    for (int s = 0; s < 10; s++) {
        float lo;
        inception_status st = inception_trainer_train_batch(t, &in, Y, &lo);
        ck_assert_msg(st == INCEPTION_OK, "%s step %d: %s", scope, s, inception_trainer_last_error(t));
    }
    for (int32_t i = 0; i < t->n_params; i++)
        if (!t->params[i].buffer && strncmp(t->params[i].name, "AuxLogits.", 10) != 0)
            compare(scope, "p", &t->params[i], t->params[i].value, &p);
    report(scope, "parameters (10 steps)", &p);
    ck_assert_msg(p.failed == 0, "%s: %d parameters past their tolerance after ten steps (listed above)", scope, p.failed);
    inception_trainer_free(t);
}

START_TEST(scope_fc) { check_scope("fc"); }
END_TEST
START_TEST(scope_mixed_7c) { check_scope("Mixed_7c"); }
END_TEST
START_TEST(scope_mixed_6a) { check_scope("Mixed_6a"); }
END_TEST
START_TEST(scope_all) { check_scope("all"); }
END_TEST

START_TEST(scope_bad_inputs) {
    inception_options *o;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_CLASSES, K), INCEPTION_OK);
    inception_trainer *t = NULL;
    /* an unknown scope names the valid ones */
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_SCOPE, "Mixed_9z"), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_create(model, o, &t), INCEPTION_ERR_NOT_FOUND);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "Mixed_7c"));
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "all"));
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_SCOPE, "last:12"), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_create(model, o, &t), INCEPTION_ERR_NOT_FOUND);
    /* dropout with the head alone is refused (the features are cached) */
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_SCOPE, "fc"), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_DROPOUT, 0.5), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_create(model, o, &t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_DROPOUT, 1.0), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_BN_MOMENTUM, 1.5), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_DROPOUT, 0.0), INCEPTION_OK);
    /* a batch over MAX_SESSION_MEMORY: OUT_OF_MEMORY, and the trainer still works */
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_SCOPE, "all"), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_SESSION_MEMORY, 200 << 20), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_create(model, o, &t), INCEPTION_OK);
    int64_t dims[4] = {64, 3, 299, 299};
    inception_tensor *big = NULL;
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims, 4, &big), INCEPTION_OK);
    int32_t labels[64] = {0};
    float loss;
    ck_assert_int_eq(inception_trainer_train_batch(t, big, labels, &loss), INCEPTION_ERR_OUT_OF_MEMORY);
    ck_assert_ptr_nonnull(strstr(inception_trainer_last_error(t), "MAX_SESSION_MEMORY"));
    inception_tensor_free(big);
    /* too small for the network */
    int64_t small[4] = {2, 3, 60, 60};
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, small, 4, &big), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_train_batch(t, big, labels, &loss), INCEPTION_ERR_SHAPE);
    inception_tensor_free(big);
    /* features are not an input below the head */
    int64_t fd[2] = {2, 2048};
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NC, fd, 2, &big), INCEPTION_OK);
    ck_assert_int_eq(inception_trainer_train_batch(t, big, labels, &loss), INCEPTION_ERR_SHAPE);
    inception_tensor_free(big);
    inception_trainer_free(t);
    inception_options_free(o);
}
END_TEST

/* A scoped model saves its trained blocks: the file loads here and differs from the base
 * only inside the scope; a checkpoint resumes bit-identically. */
START_TEST(scope_save_and_resume) {
    inception_trainer *a = make("Mixed_7c"), *b = make("Mixed_7c");
    inception_tensor in = input_tensor();
    float la, lb;
    ck_assert_int_eq(inception_trainer_train_batch(a, &in, Y, &la), INCEPTION_OK);
    char ck[300], out[300];
    snprintf(ck, sizeof ck, "%s/scope_ck.safetensors", tmpdir);
    snprintf(out, sizeof out, "%s/scope_out.safetensors", tmpdir);
    ck_assert_msg(inception_trainer_checkpoint(a, ck) == INCEPTION_OK, "%s", inception_trainer_last_error(a));
    ck_assert_int_eq(inception_trainer_train_batch(a, &in, Y, &la), INCEPTION_OK);
    ck_assert_msg(inception_trainer_resume(b, ck) == INCEPTION_OK, "%s", inception_trainer_last_error(b));
    ck_assert_int_eq(inception_trainer_train_batch(b, &in, Y, &lb), INCEPTION_OK);
    ck_assert(memcmp(&la, &lb, sizeof la) == 0);
    for (int32_t i = 0; i < a->n_params; i++)
        ck_assert_msg(memcmp(a->params[i].value, b->params[i].value, a->params[i].count * sizeof(float)) == 0,
                      "%s differs after resume", a->params[i].name);
    ck_assert_msg(inception_trainer_save(a, out) == INCEPTION_OK, "%s", inception_trainer_last_error(a));
    inception_model *m = NULL;
    ck_assert_msg(inception_model_load_file(out, NULL, &m) == INCEPTION_OK, "%s", inception_last_error());
    inc_file_buf fb;
    inc_safetensors st;
    ck_assert_int_eq(inc_file_read(out, &fb), INCEPTION_OK);
    ck_assert_int_eq(inc_st_parse(fb.data, fb.size, &st), INCEPTION_OK);
    for (int32_t i = 0; i < a->n_params; i++) {
        const inc_st_tensor *x = inc_st_find(&st, a->params[i].name);
        ck_assert_msg(x != NULL, "%s not saved", a->params[i].name);
        ck_assert(memcmp(st.data + x->begin, a->params[i].value, a->params[i].count * sizeof(float)) == 0);
    }
    ck_assert_ptr_nonnull(inc_st_find(&st, "Mixed_7b.branch1x1.conv.weight"));
    inc_st_free(&st);
    inc_file_release(&fb);
    inception_model_free(m);
    inception_trainer_free(a);
    inception_trainer_free(b);
}
END_TEST

/* The scope's work is split over the session's threads by pixels or by channels, never
 * within a sum: a few steps at 1 and 2 threads give the same bits, on ref and simd. */
static void threads_identical(const char *backend, const char *scope) {
    inception_options *lo = NULL;
    inception_model *m = NULL;
    ck_assert_int_eq(inception_options_create(&lo), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(lo, INCEPTION_OPT_BACKEND, backend), INCEPTION_OK);
    ck_assert_msg(inception_model_load_file(model_path, lo, &m) == INCEPTION_OK, "%s", inception_last_error());
    inception_options_free(lo);
    inception_trainer *a = make_on(m, scope, 1), *b = make_on(m, scope, 2);
    inception_tensor in = input_tensor();
    for (int step = 0; step < 3; step++) {
        float la, lb;
        ck_assert_msg(inception_trainer_train_batch(a, &in, Y, &la) == INCEPTION_OK, "%s", inception_trainer_last_error(a));
        ck_assert_msg(inception_trainer_train_batch(b, &in, Y, &lb) == INCEPTION_OK, "%s", inception_trainer_last_error(b));
        ck_assert_msg(memcmp(&la, &lb, sizeof la) == 0, "%s %s step %d: loss %.9g vs %.9g", backend, scope, step, la, lb);
    }
    for (int32_t i = 0; i < a->n_params; i++) {
        ck_assert_msg(memcmp(a->params[i].value, b->params[i].value, a->params[i].count * sizeof(float)) == 0,
                      "%s %s: %s differs between 1 and 2 threads", backend, scope, a->params[i].name);
        if (a->params[i].grad)
            ck_assert_msg(memcmp(a->params[i].grad, b->params[i].grad, a->params[i].count * sizeof(float)) == 0,
                          "%s %s: the gradient of %s differs between 1 and 2 threads", backend, scope, a->params[i].name);
    }
    printf("%s %s: 3 steps bit-identical at 1 and 2 threads (%d tensors)\n", backend, scope, (int)a->n_params);
    inception_trainer_free(a);
    inception_trainer_free(b);
    inception_model_free(m);
}

/* A step whose loss is not finite (a diverged head: logits overflow) changes nothing:
 * NUMERIC, and the BN running statistics (which the forward pass measures) are kept. */
START_TEST(scope_nonfinite_keeps_stats) {
    inception_trainer *t = make("last:2");
    float *w = t->params[0].value, *keep = malloc(t->params[0].count * sizeof(float));
    memcpy(keep, w, t->params[0].count * sizeof(float));
    for (size_t i = 0; i < t->params[0].count; i++) w[i] = 3e38f;
    inception_tensor in = input_tensor();
    float **before = calloc((size_t)t->n_params, sizeof *before);
    for (int32_t i = 0; i < t->n_params; i++) {
        before[i] = malloc(t->params[i].count * sizeof(float));
        memcpy(before[i], t->params[i].value, t->params[i].count * sizeof(float));
    }
    float loss;
    ck_assert_int_eq(inception_trainer_train_batch(t, &in, Y, &loss), INCEPTION_ERR_NUMERIC);
    int stats = 0;
    for (int32_t i = 0; i < t->n_params; i++) {
        stats += t->params[i].buffer;
        ck_assert_msg(memcmp(before[i], t->params[i].value, t->params[i].count * sizeof(float)) == 0,
                      "%s changed by a step with a non-finite loss", t->params[i].name);
        free(before[i]);
    }
    ck_assert_int_gt(stats, 0);
    /* and a finite step after it updates them */
    memcpy(w, keep, t->params[0].count * sizeof(float));
    int32_t rm = -1;
    for (int32_t i = 0; i < t->n_params && rm < 0; i++)
        if (t->params[i].buffer) rm = i;
    float first = t->params[rm].value[0];
    ck_assert_int_eq(inception_trainer_train_batch(t, &in, Y, &loss), INCEPTION_OK);
    ck_assert(t->params[rm].value[0] != first);
    free(before), free(keep);
    inception_trainer_free(t);
}
END_TEST

START_TEST(scope_threads) {
    threads_identical("ref", "last:3");
    threads_identical("simd", "last:3");
}
END_TEST

/* A trainer on `m` with scope and aux weight (-1: default); its create status. */
static inception_status aux_trainer(inception_model *m, const char *scope, double w,
                                    inception_trainer **t) {
    inception_options *o;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_CLASSES, K), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_TRAIN_SCOPE, scope), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_AUX_WEIGHT, w), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, 1), INCEPTION_OK);
    *t = NULL;
    inception_status st = inception_trainer_create(m, o, t);
    inception_options_free(o);
    return st;
}

static double info(const inception_trainer *t, inception_trainer_info key) {
    double v = -1;
    ck_assert_int_eq(inception_trainer_info_double(t, key, &v), INCEPTION_OK);
    return v;
}

static inception_model *load_variant(int aux, int aux_bn, const char *name) {
    inc_testmodel_opts mo;
    inc_testmodel_opts_default(&mo);
    mo.aux = aux, mo.aux_bn = aux_bn;
    uint8_t *buf;
    size_t size;
    ck_assert_int_eq(inc_testmodel_build(&mo, &buf, &size), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/%s.safetensors", tmpdir, name);
    FILE *fp = fopen(path, "wb");
    ck_assert(fp && fwrite(buf, 1, size, fp) == size && fclose(fp) == 0);
    free(buf);
    inception_options *lo = NULL;
    ck_assert_int_eq(inception_options_create(&lo), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(lo, INCEPTION_OPT_BACKEND, "ref"), INCEPTION_OK);
    inception_model *m = NULL;
    ck_assert_msg(inception_model_load_file(path, lo, &m) == INCEPTION_OK, "%s", inception_last_error());
    inception_options_free(lo);
    return m;
}

/* Where the aux head cannot train: the default weight turns it off (AUX_ACTIVE 0), an
 * explicit weight is an error; weight 0 is off. And the option's range. */
START_TEST(scope_aux_off) {
    inception_options *o;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_AUX_WEIGHT, -0.5), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_AUX_WEIGHT, NAN), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_AUX_WEIGHT, INFINITY), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_TRAIN_AUX_WEIGHT, 1), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_double(o, INCEPTION_OPT_TRAIN_AUX_WEIGHT, 2.5), INCEPTION_OK);
    inception_options_free(o);
    inception_trainer *t;
    /* the scope above Mixed_6e */
    ck_assert_int_eq(aux_trainer(model, "Mixed_7a", 0.4, &t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "Mixed_6e"));
    ck_assert_int_eq(aux_trainer(model, "fc", 0.4, &t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(aux_trainer(model, "Mixed_7a", -1, &t), INCEPTION_OK);
    ck_assert(info(t, INCEPTION_TRAINER_AUX_ACTIVE) == 0);
    inception_trainer_free(t);
    /* weight 0: off, nothing of the head is trained */
    ck_assert_int_eq(aux_trainer(model, "Mixed_6e", 0, &t), INCEPTION_OK);
    ck_assert(info(t, INCEPTION_TRAINER_AUX_ACTIVE) == 0);
    for (int32_t i = 0; i < t->n_params; i++) ck_assert(strncmp(t->params[i].name, "AuxLogits.", 10) != 0);
    inception_trainer_free(t);
    /* input too small (75x75: Mixed_6e is 3x3): explicit is SHAPE at the step, the
     * default trains without the head and says so */
    inception_tensor in = input_tensor();
    float loss;
    ck_assert_int_eq(aux_trainer(model, "Mixed_6e", 0.4, &t), INCEPTION_OK);
    ck_assert(info(t, INCEPTION_TRAINER_AUX_ACTIVE) == 1);
    ck_assert_int_eq(inception_trainer_train_batch(t, &in, Y, &loss), INCEPTION_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(inception_trainer_last_error(t), "17x17"));
    ck_assert(info(t, INCEPTION_TRAINER_STEP) == 0);
    inception_trainer_free(t);
    ck_assert_int_eq(aux_trainer(model, "Mixed_6e", -1, &t), INCEPTION_OK);
    ck_assert(info(t, INCEPTION_TRAINER_AUX_ACTIVE) == 1);
    ck_assert_msg(inception_trainer_train_batch(t, &in, Y, &loss) == INCEPTION_OK, "%s", inception_trainer_last_error(t));
    ck_assert(info(t, INCEPTION_TRAINER_AUX_ACTIVE) == 0 && info(t, INCEPTION_TRAINER_AUX_LOSS) == 0);
    for (int32_t i = 0; i < t->n_params; i++)
        if (strncmp(t->params[i].name, "AuxLogits.", 10) == 0 && t->params[i].slot[0])
            for (size_t j = 0; j < t->params[i].count; j++) /* RMSProp's mean square stays 1 */
                ck_assert_msg(t->params[i].slot[0][j] == 1.0f, "%s was updated", t->params[i].name);
    inception_trainer_free(t);
    /* a model without the aux head; the BN-auxiliary variant */
    inception_model *m = load_variant(0, 0, "noaux");
    ck_assert_int_eq(aux_trainer(m, "all", 0.4, &t), INCEPTION_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "AuxLogits"));
    ck_assert_int_eq(aux_trainer(m, "all", -1, &t), INCEPTION_OK);
    ck_assert(info(t, INCEPTION_TRAINER_AUX_ACTIVE) == 0);
    inception_trainer_free(t);
    inception_model_free(m);
    m = load_variant(1, 1, "auxbn");
    ck_assert_int_eq(aux_trainer(m, "all", 0.4, &t), INCEPTION_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "fc_bn"));
    ck_assert_int_eq(aux_trainer(m, "all", -1, &t), INCEPTION_OK);
    ck_assert(info(t, INCEPTION_TRAINER_AUX_ACTIVE) == 0);
    inception_trainer_free(t);
    inception_model_free(m);
}
END_TEST

/* 299: a step with the aux head saves a file whose AuxLogits.* are the trained ones (with
 * the K-wide fc and BN counters torchvision wants) and that loads here with the head. */
START_TEST(scope_aux_save) {
    inception_trainer *t = make("Mixed_6e");
    inception_tensor in = input_tensor();
    float loss;
    ck_assert_msg(inception_trainer_train_batch(t, &in, Y, &loss) == INCEPTION_OK, "%s", inception_trainer_last_error(t));
    ck_assert(info(t, INCEPTION_TRAINER_AUX_ACTIVE) == 1 && info(t, INCEPTION_TRAINER_AUX_LOSS) > 0);
    char out[300];
    snprintf(out, sizeof out, "%s/aux_out.safetensors", tmpdir);
    ck_assert_msg(inception_trainer_save(t, out) == INCEPTION_OK, "%s", inception_trainer_last_error(t));
    const char *keep = getenv("SCOPE_AUX_SAVE"); /* for tools/check_train_torch.py */
    if (keep) ck_assert_msg(inception_trainer_save(t, keep) == INCEPTION_OK, "%s", inception_trainer_last_error(t));
    inception_model *m = NULL;
    ck_assert_msg(inception_model_load_file(out, NULL, &m) == INCEPTION_OK, "%s", inception_last_error());
    int64_t has_aux = 0;
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_HAS_AUX, &has_aux), INCEPTION_OK);
    ck_assert_int_eq(has_aux, 1);
    inc_file_buf fb;
    inc_safetensors st;
    ck_assert_int_eq(inc_file_read(out, &fb), INCEPTION_OK);
    ck_assert_int_eq(inc_st_parse(fb.data, fb.size, &st), INCEPTION_OK);
    int seen = 0;
    for (int32_t i = 0; i < t->n_params; i++) {
        if (strncmp(t->params[i].name, "AuxLogits.", 10) != 0) continue;
        const inc_st_tensor *x = inc_st_find(&st, t->params[i].name);
        ck_assert_msg(x != NULL, "%s not saved", t->params[i].name);
        ck_assert(x->end - x->begin == t->params[i].count * sizeof(float));
        ck_assert(memcmp(st.data + x->begin, t->params[i].value, t->params[i].count * sizeof(float)) == 0);
        seen++;
    }
    ck_assert_int_eq(seen, 12); /* conv0, conv1 (weight, gamma, beta, mean, var), fc */
    const inc_st_tensor *fw = inc_st_find(&st, "AuxLogits.fc.weight");
    ck_assert(fw && fw->rank == 2 && fw->shape[0] == K && fw->shape[1] == 768);
    ck_assert_ptr_nonnull(inc_st_find(&st, "AuxLogits.conv0.bn.num_batches_tracked"));
    ck_assert_ptr_nonnull(inc_st_find(&st, "AuxLogits.conv1.bn.num_batches_tracked"));
    inc_st_free(&st);
    inc_file_release(&fb);
    inception_model_free(m);
    inception_trainer_free(t);
}
END_TEST

int main(int argc, char **argv) {
    char path[512];
    const char *data = getenv("INCEPTION_TEST_DATA");
    int big = argc > 1 && strcmp(argv[1], "299") == 0;
    if (big) SIZE = 299;
    snprintf(path, sizeof path, "%s/train/data/scope%s_ref.safetensors", data ? data : "tests", big ? "299" : "");
    if (inc_file_read(path, &ref_buf) || inc_st_parse(ref_buf.data, ref_buf.size, &ref)) {
        fprintf(stderr, "cannot read %s: %s\n", path, inc_error_message());
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/inception-scope-XXXXXX");
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
    /* the reference backend by default: the SIMD backend's Winograd forward convolutions
     * add error of their own (SCOPE_BACKEND=simd shows it; docs/training.md has figures) */
    const char *be = getenv("SCOPE_BACKEND") ? getenv("SCOPE_BACKEND") : "ref";
    inception_options *lo = NULL;
    if (inception_options_create(&lo) || inception_options_set_string(lo, INCEPTION_OPT_BACKEND, be)) return 1;
    int bad = inception_model_load_file(model_path, lo, &model);
    inception_options_free(lo);
    if (bad) {
        fprintf(stderr, "load: %s\n", inception_last_error());
        return 1;
    }
    X = malloc((size_t)N * 3 * SIZE * SIZE * sizeof(float));
    char stream[32];
    snprintf(stream, sizeof stream, "input/scope%d", SIZE);
    inc_testmodel_uniform(stream, 0, X, (size_t)N * 3 * SIZE * SIZE);

    Suite *s = suite_create("scope");
    TCase *tc = tcase_create("scope");
    tcase_set_timeout(tc, 1800);
    if (!big) {
        tcase_add_test(tc, scope_bad_inputs);
        tcase_add_test(tc, scope_aux_off);
        tcase_add_test(tc, scope_threads);
        tcase_add_test(tc, scope_nonfinite_keeps_stats);
    }
    tcase_add_test(tc, scope_fc);
    tcase_add_test(tc, scope_mixed_7c);
    if (!big) tcase_add_test(tc, scope_save_and_resume);
    else tcase_add_test(tc, scope_aux_save);
    /* SCOPE_QUICK (tools/sanitize.sh asan): the two deepest scopes run the same scope code
     * as Mixed_7c over more layers, at 3-5x the time under the sanitizers */
    if (big || !getenv("SCOPE_QUICK")) {
        tcase_add_test(tc, scope_mixed_6a);
        tcase_add_test(tc, scope_all);
    }
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_set_fork_status(r, CK_NOFORK);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    inception_model_free(model);
    free(X);
    inc_st_free(&ref);
    inc_file_release(&ref_buf);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return failed ? 1 : 0;
}

/*
 * suite: stress (black-box). One session used by two threads at once (issue 9.2): the
 * second caller gets INCEPTION_ERR_BUSY and the session is not corrupted; a session freed
 * while another thread runs it is freed by that run on its way out, which returns BUSY.
 * A backend that parks the first conv lets the test hold a run in flight without timing.
 * Runs under ThreadSanitizer too (tools/sanitize.sh tsan).
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inception/backend.h>
#include <inception/inception.h>

#include "testmodel.h"

static uint8_t *model_buf;
static size_t model_size;
static const inception_backend *ref_be;

/* The parking gate: armed -> the next conv call parks until released. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_armed, gate_parked, gate_open;

static void gate_arm(void) {
    pthread_mutex_lock(&gate_mu);
    gate_armed = 1, gate_parked = 0, gate_open = 0;
    pthread_mutex_unlock(&gate_mu);
}

static void gate_wait_parked(void) {
    pthread_mutex_lock(&gate_mu);
    while (!gate_parked) pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
}

static void gate_release(void) {
    pthread_mutex_lock(&gate_mu);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static inception_status park_pack(void *u, const inception_conv_desc *d, const float *w,
                                  const float *b, void **out) {
    (void)u;
    return ref_be->conv_pack(ref_be->user, d, w, b, out);
}
static void park_release(void *u, void *p) { (void)u; ref_be->conv_release(ref_be->user, p); }
static size_t park_scratch(void *u, const inception_conv_desc *d, const void *p,
                           const inception_view *i, const inception_view *o, int32_t parts) {
    (void)u;
    return ref_be->conv_scratch ? ref_be->conv_scratch(ref_be->user, d, p, i, o, parts) : 0;
}
static void park_run(void *u, const inception_conv_desc *d, const void *p,
                     const inception_view *i, const inception_view *o, int32_t part,
                     int32_t parts, void *scratch) {
    (void)u;
    pthread_mutex_lock(&gate_mu);
    if (gate_armed) {
        gate_armed = 0;
        gate_parked = 1;
        pthread_cond_broadcast(&gate_cv);
        while (!gate_open) pthread_cond_wait(&gate_cv, &gate_mu);
    }
    pthread_mutex_unlock(&gate_mu);
    ref_be->conv_run(ref_be->user, d, p, i, o, part, parts, scratch);
}

static inception_model *load(const char *backend) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_BACKEND, backend), INCEPTION_OK);
    inception_model *m = NULL;
    inception_status st = inception_model_load_memory(model_buf, model_size, o, &m);
    ck_assert_msg(st == INCEPTION_OK, "load: %s", inception_last_error());
    inception_options_free(o);
    return m;
}

static inception_session *session(inception_model *m, int threads) {
    inception_options *o = NULL;
    inception_options_create(&o);
    inception_options_set_int(o, INCEPTION_OPT_THREADS, threads);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    inception_options_free(o);
    return s;
}

static inception_tensor *input(void) {
    int64_t d[4] = {1, 3, 75, 75};
    inception_tensor *t = NULL;
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d, 4, &t),
                     INCEPTION_OK);
    inc_testmodel_uniform("input/busy", 0, inception_tensor_data(t), 3 * 75 * 75);
    return t;
}

typedef struct runner {
    inception_session *s;
    const inception_tensor *t;
    inception_status st;
    char msg[512];
} runner;

static void *run_main(void *p) {
    runner *r = p;
    r->st = inception_session_run(r->s, r->t);
    snprintf(r->msg, sizeof r->msg, "%s", inception_last_error());
    return NULL;
}

static void expect_busy(inception_status st, const char *needle) {
    ck_assert_msg(st == INCEPTION_ERR_BUSY, "status %d (%s), want BUSY: %s", st,
                  inception_status_string(st), inception_last_error());
    ck_assert_msg(strstr(inception_last_error(), needle), "message '%s' lacks '%s'",
                  inception_last_error(), needle);
}

static void register_parking(void) {
    static int done;
    if (done) return;
    done = 1;
    ck_assert_int_eq(inception_backend_get("ref", &ref_be), INCEPTION_OK);
    inception_backend b;
    memset(&b, 0, sizeof b);
    b.abi_version = INCEPTION_BACKEND_ABI_VERSION;
    b.struct_size = sizeof b;
    b.name = "parking";
    b.conv_pack = park_pack;
    b.conv_release = park_release;
    b.conv_scratch = park_scratch;
    b.conv_run = park_run;
    ck_assert_int_eq(inception_backend_register(&b), INCEPTION_OK);
}

/* Every call on a session another thread is running is refused, and the session's own
 * message (the user's) is left alone; after the run the session works as before. */
START_TEST(second_caller_gets_busy) {
    register_parking();
    inception_model *m = load("parking");
    inception_session *s = session(m, 2);
    inception_tensor *t = input();
    gate_arm();
    runner r = {s, t, INCEPTION_OK, ""};
    pthread_t tid;
    ck_assert_int_eq(pthread_create(&tid, NULL, run_main, &r), 0);
    gate_wait_parked();

    expect_busy(inception_session_run(s, t), "in use by another thread");
    static const uint8_t junk[16] = {0xFF, 0xD8, 0xFF};
    int32_t classes[5], n = -1;
    float probs[5];
    expect_busy(inception_session_classify(s, junk, sizeof junk, 5, classes, probs, &n),
                "in use by another thread");
    expect_busy(inception_session_classify_file(s, "/nonexistent", 5, classes, probs, &n),
                "in use by another thread");
    ck_assert_int_eq(n, -1);
    const inception_tensor *out = NULL;
    expect_busy(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &out), "in use");
    ck_assert_ptr_null(out);
    int64_t mem = -1;
    expect_busy(inception_session_memory(s, &mem), "in use");
    ck_assert_int_eq(mem, -1);
    /* argument errors are still reported as such */
    ck_assert_int_eq(inception_session_classify(s, junk, sizeof junk, 0, classes, probs, &n),
                     INCEPTION_ERR_INVALID_ARGUMENT);

    gate_release();
    pthread_join(tid, NULL);
    ck_assert_msg(r.st == INCEPTION_OK, "the parked run: %s", r.msg);
    ck_assert_str_eq(inception_session_last_error(s), "");
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &out), INCEPTION_OK);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_OK);
    inception_tensor_free(t);
    inception_session_free(s);
    inception_model_free(m);
}
END_TEST

/* free() during a run: returns at once; the run finishes, frees the session and says so
 * with BUSY; calls in between are refused. Leak checkers see nothing left. */
START_TEST(free_while_running) {
    register_parking();
    inception_model *m = load("parking");
    inception_session *s = session(m, 1);
    inception_tensor *t = input();
    gate_arm();
    runner r = {s, t, INCEPTION_OK, ""};
    pthread_t tid;
    ck_assert_int_eq(pthread_create(&tid, NULL, run_main, &r), 0);
    gate_wait_parked();
    inception_session_free(s);
    expect_busy(inception_session_run(s, t), "being freed");
    inception_session_free(s); /* a second free while the first is pending: ignored */
    gate_release();
    pthread_join(tid, NULL);
    ck_assert_msg(r.st == INCEPTION_ERR_BUSY && strstr(r.msg, "now freed"),
                  "the run during free: status %d: %s", r.st, r.msg);
    inception_tensor_free(t);
    inception_model_free(m);
}
END_TEST

typedef struct hammer {
    inception_session *s;
    const inception_tensor *t;
    int ok, busy, other;
} hammer;

static void *hammer_main(void *p) {
    hammer *h = p;
    for (int i = 0; i < 6; i++) {
        inception_status st = inception_session_run(h->s, h->t);
        if (st == INCEPTION_OK) h->ok++;
        else if (st == INCEPTION_ERR_BUSY) h->busy++;
        else h->other++;
    }
    return NULL;
}

/* Unsynchronised callers on one session: each call either runs or gets BUSY; TSan and
 * ASan see no race and no use after free (the 1.0 executor freed a plan under a run). */
START_TEST(unsynchronised_runs) {
    inception_model *m = load(inception_backend_available("simd") ? "simd" : "ref");
    inception_session *s = session(m, 2);
    inception_tensor *t = input();
    hammer h[3];
    pthread_t tid[3];
    for (int i = 0; i < 3; i++) {
        h[i] = (hammer){s, t, 0, 0, 0};
        ck_assert_int_eq(pthread_create(&tid[i], NULL, hammer_main, &h[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < 3; i++) {
        pthread_join(tid[i], NULL);
        ck_assert_int_eq(h[i].other, 0);
        ok += h[i].ok;
    }
    ck_assert_int_ge(ok, 1);
    inception_tensor_free(t);
    inception_session_free(s);
    inception_model_free(m);
}
END_TEST

int main(void) {
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    o.aux = 0;
    if (inc_testmodel_build(&o, &model_buf, &model_size) != 0) return 1;
    Suite *suite = suite_create("busy");
    TCase *tc = tcase_create("busy");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, second_caller_gets_busy);
    tcase_add_test(tc, free_while_running);
    tcase_add_test(tc, unsynchronised_runs);
    suite_add_tcase(suite, tc);
    SRunner *r = srunner_create(suite);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    free(model_buf);
    return failed ? 1 : 0;
}

/*
 * suite: stress (black-box). Many threads on one shared model: each thread owns a
 * session and runs a rotating mix of input sizes and batch sizes, and every output must
 * be bit-identical to a serial run of the same input with the same backend and the same
 * per-session thread count. Also loads and frees models from several threads at once,
 * and frees a model while its sessions are still running. Built to run under
 * ThreadSanitizer (tools/sanitize.sh tsan) as well as in a normal build.
 *
 * INCEPTION_STRESS_ITERATIONS (default 3) sets how many rounds each thread runs.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inception/inception.h>

#include "testmodel.h"

typedef struct job {
    int64_t h, w, n;
    inception_tensor *input;
    /* the serial reference, per session thread count (index: threads - 1) */
    float *ref[2][3]; /* logits, probabilities, features */
} job;

static job jobs[] = {
    {75, 75, 1, NULL, {{0}}},  {80, 96, 2, NULL, {{0}}},  {107, 75, 3, NULL, {{0}}},
    {75, 75, 2, NULL, {{0}}},  {96, 80, 1, NULL, {{0}}},  {75, 107, 2, NULL, {{0}}},
    {80, 96, 3, NULL, {{0}}},  {299, 299, 1, NULL, {{0}}},
};
#define N_JOBS ((int)(sizeof jobs / sizeof jobs[0]))
#define BIG_JOB (N_JOBS - 1) /* 299x299: run once, by one thread */

static const inception_output outputs[3] = {INCEPTION_OUTPUT_LOGITS,
                                            INCEPTION_OUTPUT_PROBABILITIES,
                                            INCEPTION_OUTPUT_FEATURES};
static uint8_t *model_buf;
static size_t model_size;
static const char *backend;
static int iterations = 3;

static size_t out_count(const job *j, int o) { return (size_t)j->n * (o == 2 ? 2048 : 1000); }

static inception_options *make_opts(int threads) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_BACKEND, backend), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, threads), INCEPTION_OK);
    return o;
}

static inception_model *load_model(void) {
    inception_options *o = make_opts(1);
    inception_model *m = NULL;
    inception_status s = inception_model_load_memory(model_buf, model_size, o, &m);
    inception_options_free(o);
    ck_assert_msg(s == INCEPTION_OK, "load: %s", inception_last_error());
    return m;
}

/* Run job j on session s and compare (or, with store, record) the three outputs. Returns
 * 0 on success; messages go to `err` because ck_assert is not for worker threads. */
static int run_job(inception_session *s, job *j, int threads, int store, char *err,
                   size_t errsize) {
    inception_status st = inception_session_run(s, j->input);
    if (st != INCEPTION_OK) {
        snprintf(err, errsize, "run %lldx%lldx%lld: %s", (long long)j->n, (long long)j->h,
                 (long long)j->w, inception_session_last_error(s));
        return -1;
    }
    for (int o = 0; o < 3; o++) {
        const inception_tensor *t = NULL;
        st = inception_session_output(s, outputs[o], &t);
        size_t bytes = out_count(j, o) * sizeof(float);
        if (st != INCEPTION_OK || inception_tensor_byte_size(t) != bytes) {
            snprintf(err, errsize, "output %d of %lldx%lld: status %d", o, (long long)j->h,
                     (long long)j->w, (int)st);
            return -1;
        }
        if (store) {
            j->ref[threads - 1][o] = malloc(bytes);
            memcpy(j->ref[threads - 1][o], inception_tensor_data(t), bytes);
        } else if (memcmp(j->ref[threads - 1][o], inception_tensor_data(t), bytes) != 0) {
            snprintf(err, errsize,
                     "output %d of batch %lld at %lldx%lld differs from the serial run", o,
                     (long long)j->n, (long long)j->h, (long long)j->w);
            return -1;
        }
    }
    return 0;
}

static void make_references(const inception_model *m, int threads) {
    if (jobs[0].ref[threads - 1][0]) return;
    inception_options *o = make_opts(threads);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    inception_options_free(o);
    char err[256];
    for (int i = 0; i < N_JOBS; i++)
        ck_assert_msg(run_job(s, &jobs[i], threads, 1, err, sizeof err) == 0, "%s", err);
    inception_session_free(s);
}

typedef struct worker {
    pthread_t tid;
    int index;
    int threads;
    inception_session *session;
    int runs;
    char err[256];
} worker;

static void *worker_main(void *p) {
    worker *w = p;
    for (int it = 0; it < iterations; it++) {
        for (int k = 0; k < N_JOBS; k++) {
            int j = (w->index + k) % N_JOBS;
            if (j == BIG_JOB && !(w->index == 0 && it == 0)) continue;
            if (run_job(w->session, &jobs[j], w->threads, 0, w->err, sizeof w->err) != 0)
                return NULL;
            w->runs++;
        }
    }
    return NULL;
}

/* n_workers threads, each with its own session of `threads` threads, on one model. When
 * free_model_early, the caller's model reference is dropped before the workers start:
 * the sessions' references must keep it alive. */
static void run_workers(int n_workers, int threads, int free_model_early) {
    inception_model *m = load_model();
    make_references(m, threads);
    worker w[8];
    memset(w, 0, sizeof w);
    inception_options *o = make_opts(threads);
    for (int i = 0; i < n_workers; i++) {
        w[i].index = i;
        w[i].threads = threads;
        ck_assert_int_eq(inception_session_create(m, o, &w[i].session), INCEPTION_OK);
    }
    inception_options_free(o);
    if (free_model_early) inception_model_free(m);
    for (int i = 0; i < n_workers; i++)
        ck_assert_int_eq(pthread_create(&w[i].tid, NULL, worker_main, &w[i]), 0);
    int total = 0;
    for (int i = 0; i < n_workers; i++) {
        pthread_join(w[i].tid, NULL);
        total += w[i].runs;
    }
    for (int i = 0; i < n_workers; i++) {
        ck_assert_msg(w[i].err[0] == '\0', "worker %d: %s", i, w[i].err);
        inception_session_free(w[i].session);
    }
    if (!free_model_early) inception_model_free(m);
    int want = 0;
    for (int i = 0; i < n_workers; i++) want += iterations * (N_JOBS - 1) + (i == 0);
    ck_assert_int_eq(total, want);
}

START_TEST(eight_sessions_one_thread_each) { run_workers(8, 1, 0); }
END_TEST

START_TEST(four_sessions_two_threads_each) { run_workers(4, 2, 0); }
END_TEST

START_TEST(model_freed_while_sessions_run) { run_workers(4, 1, 1); }
END_TEST

/* Loads and frees from several threads at once; each loaded model runs one small job
 * and must agree with the serial reference. */
typedef struct loader {
    pthread_t tid;
    int loads;
    char err[256];
} loader;

static void *loader_main(void *p) {
    loader *l = p;
    inception_options *o = NULL;
    if (inception_options_create(&o) != INCEPTION_OK ||
        inception_options_set_string(o, INCEPTION_OPT_BACKEND, backend) != INCEPTION_OK ||
        inception_options_set_int(o, INCEPTION_OPT_THREADS, 1) != INCEPTION_OK) {
        snprintf(l->err, sizeof l->err, "options");
        inception_options_free(o);
        return NULL;
    }
    for (int i = 0; i < 2 && !l->err[0]; i++) {
        inception_model *m = NULL;
        inception_session *s = NULL;
        if (inception_model_load_memory(model_buf, model_size, o, &m) != INCEPTION_OK) {
            snprintf(l->err, sizeof l->err, "load: %s", inception_last_error());
        } else if (inception_session_create(m, o, &s) != INCEPTION_OK) {
            snprintf(l->err, sizeof l->err, "session: %s", inception_last_error());
        } else {
            /* drop the model first: the session's reference keeps it alive */
            inception_model_free(m);
            m = NULL;
            if (run_job(s, &jobs[0], 1, 0, l->err, sizeof l->err) == 0) l->loads++;
        }
        inception_session_free(s);
        inception_model_free(m);
    }
    inception_options_free(o);
    return NULL;
}

START_TEST(concurrent_loads_and_frees) {
    inception_model *m = load_model();
    make_references(m, 1);
    inception_model_free(m);
    loader l[3];
    memset(l, 0, sizeof l);
    for (int i = 0; i < 3; i++) ck_assert_int_eq(pthread_create(&l[i].tid, NULL, loader_main, &l[i]), 0);
    for (int i = 0; i < 3; i++) pthread_join(l[i].tid, NULL);
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(l[i].err[0] == '\0', "loader %d: %s", i, l[i].err);
        ck_assert_int_eq(l[i].loads, 2);
    }
}
END_TEST

int main(void) {
    const char *it = getenv("INCEPTION_STRESS_ITERATIONS");
    if (it && atoi(it) > 0) iterations = atoi(it);
    backend = inception_backend_available("simd") ? "simd" : "ref";
    inc_testmodel_opts to;
    inc_testmodel_opts_default(&to);
    if (inc_testmodel_build(&to, &model_buf, &model_size) != 0) return 1;
    for (int i = 0; i < N_JOBS; i++) {
        job *j = &jobs[i];
        int64_t dims[4] = {j->n, 3, j->h, j->w};
        if (inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims, 4,
                                    &j->input) != INCEPTION_OK)
            return 1;
        char name[64];
        snprintf(name, sizeof name, "input/stress%d", i);
        inc_testmodel_uniform(name, 0, inception_tensor_data(j->input),
                              (size_t)(j->n * 3 * j->h * j->w));
    }
    printf("stress: backend %s, %d iterations per thread\n", backend, iterations);

    Suite *suite = suite_create("stress");
    TCase *tc = tcase_create("threads");
    tcase_add_test(tc, eight_sessions_one_thread_each);
    tcase_add_test(tc, four_sessions_two_threads_each);
    tcase_add_test(tc, model_freed_while_sessions_run);
    tcase_add_test(tc, concurrent_loads_and_frees);
    suite_add_tcase(suite, tc);
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (int i = 0; i < N_JOBS; i++) {
        inception_tensor_free(jobs[i].input);
        for (int t = 0; t < 2; t++)
            for (int o = 0; o < 3; o++) free(jobs[i].ref[t][o]);
    }
    free(model_buf);
    return failed ? 1 : 0;
}

/* Regressions from the 1.0 outside audit (issue 9) that the public API can show: every
 * thread count the option accepts, FIFOs and other special files as paths, normalisation
 * and input-size metadata that would force non-finite values or unbounded work, and
 * non-finite outputs reported as INCEPTION_ERR_NUMERIC. Black-box: public headers only. */

#include <check.h>
#include <fcntl.h>
#include <inception/inception.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "testmodel.h"

static uint8_t *model_buf; /* generated once before the tests fork */
static size_t model_size;

static inception_options *opts_with(const char *backend, int64_t threads) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    if (backend)
        ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_BACKEND, backend), INCEPTION_OK);
    if (threads)
        ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, threads), INCEPTION_OK);
    return o;
}

static inception_model *load(const uint8_t *buf, size_t size, const char *backend) {
    inception_options *o = opts_with(backend, 0);
    inception_options_set_int(o, INCEPTION_OPT_SKIP_CHECKSUM, 1); /* patched copies */
    inception_model *m = NULL;
    inception_status st = inception_model_load_memory(buf, size, o, &m);
    ck_assert_msg(st == INCEPTION_OK, "load: %s", inception_last_error());
    inception_options_free(o);
    return m;
}

static inception_tensor *input(int64_t n, int64_t h, int64_t w) {
    int64_t d[4] = {n, 3, h, w};
    inception_tensor *t = NULL;
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, d, 4, &t),
                     INCEPTION_OK);
    inc_testmodel_uniform("input/audit", 0, inception_tensor_data(t), (size_t)(n * 3 * h * w));
    return t;
}

/* Features of one run with `threads` workers (0 = default). */
static void features_with_threads(inception_model *m, int64_t threads, int64_t batch, float *out) {
    inception_options *o = opts_with(NULL, threads);
    inception_session *s = NULL;
    inception_status st = inception_session_create(m, o, &s);
    ck_assert_msg(st == INCEPTION_OK, "%lld threads: create: %s", (long long)threads,
                  inception_last_error());
    inception_tensor *t = input(batch, 75, 75);
    st = inception_session_run(s, t);
    ck_assert_msg(st == INCEPTION_OK, "%lld threads batch %lld: run: %s", (long long)threads,
                  (long long)batch, inception_session_last_error(s));
    const inception_tensor *f = NULL;
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_FEATURES, &f), INCEPTION_OK);
    memcpy(out, inception_tensor_data(f), (size_t)batch * 2048 * sizeof(float));
    inception_tensor_free(t);
    inception_session_free(s);
    inception_options_free(o);
}

/* Issue 9.1: 342+ threads overflowed the executor's ready list (3 ready layers x T parts).
 * Every count the option accepts runs and gives the single-thread features. */
START_TEST(every_thread_count_works) {
    inception_model *m = load(model_buf, model_size, "ref");
    static float one[4 * 2048], got[4 * 2048];
    features_with_threads(m, 1, 4, one);
    static const int64_t counts[] = {2, 342, 400, 1024};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        features_with_threads(m, counts[i], 1, got);
        for (int k = 0; k < 2048; k++)
            ck_assert_msg(fabsf(got[k] - one[k]) <= 1e-4f * (1 + fabsf(one[k])),
                          "%lld threads: feature %d is %g, one thread gives %g",
                          (long long)counts[i], k, got[k], one[k]);
    }
    /* a batch of 4 at high thread counts: 4x the parts per layer */
    static const int64_t batch_counts[] = {256, 1024};
    for (size_t i = 0; i < 2; i++) {
        features_with_threads(m, batch_counts[i], 4, got);
        for (int k = 0; k < 4 * 2048; k++)
            ck_assert_msg(fabsf(got[k] - one[k]) <= 1e-4f * (1 + fabsf(one[k])),
                          "%lld threads batch 4: feature %d is %g, one thread gives %g",
                          (long long)batch_counts[i], k, got[k], one[k]);
    }
    inception_options *o = NULL;
    inception_options_create(&o);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, 1025),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    inception_options_free(o);
    inception_model_free(m);
}
END_TEST

int main(void) {
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    o.aux = 0;
    if (inc_testmodel_build(&o, &model_buf, &model_size) != 0) return 1;

    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("audit");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, every_thread_count_works);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    free(model_buf);
    return failed ? 1 : 0;
}

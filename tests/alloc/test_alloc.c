/*
 * suite: alloc (white-box: the hidden inc_alloc_fail_after hook). For each operation the
 * allocations are counted, then the operation is repeated with the k-th allocation (and
 * every later one) failing: each failure must be INCEPTION_ERR_OUT_OF_MEMORY with a
 * message, leave the out-parameter untouched and the handles usable, and leak nothing.
 *
 * Leaks: in a plain glibc build the heap in use (mallinfo2) must be the same before and
 * after every failed call; under ASan/valgrind (tools/sanitize.sh) their leak checkers do
 * the job instead. libjpeg allocates through its own malloc, not our hook: JPEG decode
 * failures only come from our own buffers.
 *
 * A model load makes hundreds of allocations at ~0.4 s per load, so every k below 48 is
 * tried, then a sample of about INCEPTION_ALLOC_SAMPLES (default 40) more up to the end.
 */
#include <check.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/craft.h"
#include "common/common.h"
#include "testmodel.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HEAP_CHECK 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define HEAP_CHECK 0
#endif
#endif
#ifndef HEAP_CHECK
#define HEAP_CHECK 1
#endif

static uint8_t *model_buf;
static size_t model_size;
static const char *backend;
static int samples = 40;
static int heap_check = HEAP_CHECK;

static size_t heap_in_use(void) {
#if HEAP_CHECK
    if (!heap_check) return 0;
    return mallinfo2().uordblks;
#else
    return 0;
#endif
}

static inception_options *make_opts(int threads) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_BACKEND, backend), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_THREADS, threads), INCEPTION_OK);
    return o;
}

/* 1 if k should be tried for an operation making n allocations. */
static int want_k(int64_t k, int64_t n) {
    if (k < 48 || k >= n - 4) return 1;
    int64_t stride = (n - 52) / samples + 1;
    return (k - 48) % stride == 0;
}

/* One operation under test: fills *handle on success. `ctx` is the fixture. */
typedef inception_status (*op_fn)(void *ctx, void **handle);
typedef void (*free_fn)(void *handle);

/* Count the allocations of op, then fail each k-th; returns how many k were tried. */
static int64_t sweep(const char *what, op_fn op, free_fn fr, void *ctx, int64_t *n_out) {
    void *h = NULL;
    inc_alloc_fail_after(-1);
    inception_status s = op(ctx, &h);
    int64_t n = inc_alloc_fail_after(-1);
    ck_assert_msg(s == INCEPTION_OK, "%s without failures: %s", what, inception_last_error());
    fr(h);
    ck_assert_msg(n > 0, "%s made no allocation through the hook", what);
    int64_t tried = 0;
    for (int64_t k = 0; k < n; k++) {
        if (!want_k(k, n)) continue;
        size_t before = heap_in_use();
        h = (void *)(uintptr_t)0x5e5e;
        inc_alloc_fail_after(k);
        s = op(ctx, &h);
        inc_alloc_fail_after(-1);
        ck_assert_msg(s == INCEPTION_ERR_OUT_OF_MEMORY,
                      "%s with allocation %lld of %lld failing: status %d (%s): %s", what,
                      (long long)k, (long long)n, (int)s, inception_status_string(s),
                      inception_last_error());
        ck_assert_msg(inception_last_error()[0] != '\0', "%s: empty message at k=%lld", what,
                      (long long)k);
        ck_assert_msg(h == (void *)(uintptr_t)0x5e5e, "%s wrote its out-parameter at k=%lld",
                      what, (long long)k);
        size_t after = heap_in_use();
        ck_assert_msg(after == before, "%s leaked %lld bytes with allocation %lld failing",
                      what, (long long)(after - before), (long long)k);
        tried++;
    }
    /* and with exactly enough allocations it succeeds */
    inc_alloc_fail_after(n);
    s = op(ctx, &h);
    inc_alloc_fail_after(-1);
    ck_assert_msg(s == INCEPTION_OK, "%s with %lld allocations allowed: %s", what,
                  (long long)n, inception_last_error());
    fr(h);
    printf("alloc: %-28s %5lld allocations, %4lld failure points tried\n", what, (long long)n,
           (long long)tried);
    if (n_out) *n_out = n;
    return tried;
}

/* ---- model load ---- */
static inception_status op_load(void *ctx, void **h) {
    inception_model *m = NULL;
    inception_status s = inception_model_load_memory(model_buf, model_size, ctx, &m);
    if (s == INCEPTION_OK) *h = m;
    return s;
}
static void free_model(void *h) { inception_model_free(h); }

START_TEST(model_load) {
    inception_options *o = make_opts(1);
    sweep("model load", op_load, free_model, o, NULL);
    inception_options_free(o);
}
END_TEST

/* ---- session create ---- */
typedef struct sess_ctx {
    inception_model *model;
    inception_options *opts;
} sess_ctx;

static inception_status op_session(void *ctx, void **h) {
    sess_ctx *c = ctx;
    inception_session *s = NULL;
    inception_status st = inception_session_create(c->model, c->opts, &s);
    if (st == INCEPTION_OK) *h = s;
    return st;
}
static void free_session(void *h) { inception_session_free(h); }

static inception_model *load(inception_options *o) {
    inception_model *m = NULL;
    ck_assert_int_eq(inception_model_load_memory(model_buf, model_size, o, &m), INCEPTION_OK);
    return m;
}

START_TEST(session_create) {
    sess_ctx c;
    c.opts = make_opts(1);
    c.model = load(c.opts);
    sweep("session create (1 thread)", op_session, free_session, &c, NULL);
    inception_options_free(c.opts);
    c.opts = make_opts(3);
    sweep("session create (3 threads)", op_session, free_session, &c, NULL);
    inception_options_free(c.opts);
    inception_model_free(c.model);
}
END_TEST

/* ---- session run: the first run of a shape plans and allocates ---- */
typedef struct run_ctx {
    inception_model *model;
    inception_options *opts;
    inception_tensor *input;
} run_ctx;

START_TEST(session_run) {
    run_ctx c;
    c.opts = make_opts(2);
    c.model = load(c.opts);
    int64_t dims[4] = {2, 3, 80, 75};
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims,
                                             4, &c.input), INCEPTION_OK);
    inc_testmodel_uniform("input/alloc", 0, inception_tensor_data(c.input), 2 * 3 * 80 * 75);
    /* reference */
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(c.model, c.opts, &s), INCEPTION_OK);
    inc_alloc_fail_after(-1);
    ck_assert_int_eq(inception_session_run(s, c.input), INCEPTION_OK);
    int64_t n = inc_alloc_fail_after(-1);
    const inception_tensor *t = NULL;
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &t), INCEPTION_OK);
    float ref = ((const float *)inception_tensor_data(t))[7];
    inception_session_free(s);
    ck_assert_int_gt(n, 0);
    int64_t tried = 0;
    for (int64_t k = 0; k < n; k++) {
        ck_assert_int_eq(inception_session_create(c.model, c.opts, &s), INCEPTION_OK);
        size_t before = heap_in_use();
        inc_alloc_fail_after(k);
        inception_status st = inception_session_run(s, c.input);
        inc_alloc_fail_after(-1);
        ck_assert_msg(st == INCEPTION_ERR_OUT_OF_MEMORY, "run with allocation %lld of %lld "
                      "failing: status %d: %s", (long long)k, (long long)n, (int)st,
                      inception_session_last_error(s));
        ck_assert_msg(inception_session_last_error(s)[0] != '\0', "empty session error");
        ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &t),
                         INCEPTION_ERR_NOT_READY);
        ck_assert_msg(heap_in_use() == before, "run leaked with allocation %lld failing",
                      (long long)k);
        /* the session is still usable and computes the same thing */
        ck_assert_int_eq(inception_session_run(s, c.input), INCEPTION_OK);
        ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &t), INCEPTION_OK);
        ck_assert(((const float *)inception_tensor_data(t))[7] == ref);
        inception_session_free(s);
        tried++;
    }
    printf("alloc: %-28s %5lld allocations, %4lld failure points tried\n", "session run (first)",
           (long long)n, (long long)tried);
    inception_tensor_free(c.input);
    inception_options_free(c.opts);
    inception_model_free(c.model);
}
END_TEST

/* ---- image decode ---- */
typedef struct img_ctx {
    craft_buf bytes;
    inception_options *opts;
} img_ctx;

static inception_status op_decode(void *ctx, void **h) {
    img_ctx *c = ctx;
    inception_image *img = NULL;
    inception_status s = inception_image_decode_memory(c->bytes.data, c->bytes.size, c->opts, &img);
    if (s == INCEPTION_OK) *h = img;
    return s;
}
static void free_image(void *h) { inception_image_free(h); }

START_TEST(image_decode) {
    img_ctx c;
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(inception_options_create(&c.opts), INCEPTION_OK);
    ck_assert_int_eq(craft_png(21, 13, 2, 0, 0, &c.bytes), 0);
    sweep("PNG decode (RGB 21x13)", op_decode, free_image, &c, NULL);
    craft_free(&c.bytes);
    ck_assert_int_eq(craft_png(9, 17, 6, 0, 0, &c.bytes), 0);
    sweep("PNG decode (RGBA 9x17)", op_decode, free_image, &c, NULL);
    craft_free(&c.bytes);
    ck_assert_int_eq(craft_jpeg(33, 20, 3, 0, &c.bytes), 0);
    sweep("JPEG decode (33x20)", op_decode, free_image, &c, NULL);
    craft_free(&c.bytes);
    ck_assert_int_eq(craft_jpeg(20, 33, 1, 1, &c.bytes), 0);
    sweep("JPEG decode (gray progressive)", op_decode, free_image, &c, NULL);
    craft_free(&c.bytes);
    inception_options_free(c.opts);
}
END_TEST

/* ---- classify ---- */
typedef struct cls_ctx {
    inception_model *model;
    inception_options *opts;
    inception_session *session; /* NULL: a fresh session per call (created unhooked) */
    craft_buf bytes;
} cls_ctx;

static inception_status op_classify(void *ctx, void **h) {
    cls_ctx *c = ctx;
    int32_t classes[5], count = -1;
    float probs[5];
    inception_status s = inception_session_classify(c->session, c->bytes.data, c->bytes.size,
                                                    5, classes, probs, &count);
    if (s == INCEPTION_OK) {
        ck_assert_int_eq(count, 5);
        *h = c;
    } else {
        ck_assert_int_eq(count, -1);
        ck_assert_msg(inception_session_last_error(c->session)[0] != '\0', "empty session error");
    }
    return s;
}
static void free_nothing(void *h) { (void)h; }

START_TEST(classify) {
    cls_ctx c;
    memset(&c, 0, sizeof c);
    c.opts = make_opts(1);
    c.model = load(c.opts);
    ck_assert_int_eq(inception_session_create(c.model, c.opts, &c.session), INCEPTION_OK);
    ck_assert_int_eq(craft_jpeg(120, 90, 3, 0, &c.bytes), 0);
    /* first sweep: the session plans on the first successful classify, and keeps it */
    sweep("classify JPEG", op_classify, free_nothing, &c, NULL);
    craft_free(&c.bytes);
    ck_assert_int_eq(craft_png(90, 120, 2, 0, 0, &c.bytes), 0);
    sweep("classify PNG (planned)", op_classify, free_nothing, &c, NULL);
    craft_free(&c.bytes);
    inception_session_free(c.session);
    inception_options_free(c.opts);
    inception_model_free(c.model);
}
END_TEST

int main(void) {
    const char *e = getenv("INCEPTION_ALLOC_SAMPLES");
    if (e && atoi(e) > 0) samples = atoi(e);
    /* valgrind replaces malloc: mallinfo2 then says nothing useful */
    const char *preload = getenv("LD_PRELOAD");
    if ((preload && strstr(preload, "vgpreload")) || getenv("INCEPTION_ALLOC_NO_HEAP_CHECK"))
        heap_check = 0;
    backend = inception_backend_available("simd") ? "simd" : "ref";
    inc_testmodel_opts to;
    inc_testmodel_opts_default(&to);
    if (inc_testmodel_build(&to, &model_buf, &model_size) != 0) return 1;

    Suite *suite = suite_create("alloc");
    TCase *tc = tcase_create("fail_each_allocation");
    tcase_add_test(tc, image_decode);
    tcase_add_test(tc, session_create);
    tcase_add_test(tc, session_run);
    tcase_add_test(tc, classify);
    tcase_add_test(tc, model_load);
    suite_add_tcase(suite, tc);
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(model_buf);
    return failed ? 1 : 0;
}

/*
 * suite: alloc (white-box: the hidden inc_alloc_fail_after hook). For each operation the
 * allocations are counted, then the operation is repeated with the k-th allocation (and
 * every later one) failing: each failure must be INCEPTION_ERR_OUT_OF_MEMORY with a
 * message, leave the out-parameter untouched and the handles usable, and leak nothing.
 *
 * Leaks: in a plain glibc build the heap in use (mallinfo2, with the tcache off) must be
 * the same before and after every failed call; under ASan/valgrind (tools/sanitize.sh)
 * their leak checkers do the job instead. libjpeg allocates through its own malloc, not our hook: JPEG decode
 * failures only come from our own buffers.
 *
 * A model load makes hundreds of allocations at ~0.4 s per load, so every k below 48 is
 * tried, then a sample of about INCEPTION_ALLOC_SAMPLES (default 150) more up to the end.
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
static int samples = 150;
static int heap_check = HEAP_CHECK;
static int64_t last_made;

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

/* One operation under test. `prepare` (optional) runs before the hook is armed and
 * `cleanup` after it is disarmed, so set-up such as a fresh session is not counted. */
typedef struct op_spec {
    const char *what;
    inception_status (*op)(void *ctx, void **handle); /* fills *handle on success */
    void (*release)(void *handle);                    /* frees a successful result */
    void (*prepare)(void *ctx);
    void (*cleanup)(void *ctx);
    /* a second acceptable status: a third-party library that allocates through our
     * hook but reports its failure its own way (libspng: zlib errors) */
    inception_status also_ok;
    void *ctx;
} op_spec;

static inception_status run_op(const op_spec *o, int64_t fail_after, void **h) {
    if (o->prepare) o->prepare(o->ctx);
    inc_alloc_fail_after(fail_after);
    inception_status s = o->op(o->ctx, h);
    int64_t made = inc_alloc_fail_after(-1);
    if (o->cleanup) o->cleanup(o->ctx);
    /* stash the count where sweep() can read it */
    last_made = made;
    return s;
}

/* Count the allocations of the operation, then fail each k-th; returns how many k were
 * tried. */
static int64_t sweep(const op_spec *o) {
    void *h = NULL;
    inception_status s = run_op(o, -1, &h);
    int64_t n = last_made;
    ck_assert_msg(s == INCEPTION_OK, "%s without failures: %s", o->what, inception_last_error());
    o->release(h);
    ck_assert_msg(n > 0, "%s made no allocation through the hook", o->what);
    int64_t tried = 0, other = 0;
    for (int64_t k = 0; k < n; k++) {
        if (!want_k(k, n)) continue;
        size_t before = heap_in_use();
        int64_t live_before = inc_alloc_live();
        h = (void *)(uintptr_t)0x5e5e;
        s = run_op(o, k, &h);
        ck_assert_msg(s == INCEPTION_ERR_OUT_OF_MEMORY || (o->also_ok && s == o->also_ok),
                      "%s with allocation %lld of %lld failing: status %d (%s): %s", o->what,
                      (long long)k, (long long)n, (int)s, inception_status_string(s),
                      inception_last_error());
        other += s != INCEPTION_ERR_OUT_OF_MEMORY;
        ck_assert_msg(inception_last_error()[0] != '\0', "%s: empty message at k=%lld",
                      o->what, (long long)k);
        ck_assert_msg(h == (void *)(uintptr_t)0x5e5e, "%s wrote its out-parameter at k=%lld",
                      o->what, (long long)k);
        /* Our own blocks are counted exactly; the heap figure also covers libjpeg,
         * libspng and zlib, but glibc may release some of its own bookkeeping when the
         * loader's worker threads exit, so only growth counts there. */
        size_t after = heap_in_use();
        int64_t live_after = inc_alloc_live();
        ck_assert_msg(live_after == live_before,
                      "%s leaked %lld library blocks with allocation %lld failing", o->what,
                      (long long)(live_after - live_before), (long long)k);
        ck_assert_msg(after <= before, "%s leaked %lld bytes with allocation %lld failing",
                      o->what, (long long)(after - before), (long long)k);
        tried++;
    }
    /* and with exactly enough allocations it succeeds */
    s = run_op(o, n, &h);
    ck_assert_msg(s == INCEPTION_OK, "%s with %lld allocations allowed: %s", o->what,
                  (long long)n, inception_last_error());
    o->release(h);
    printf("alloc: %-30s %5lld allocations, %4lld failure points tried", o->what,
           (long long)n, (long long)tried);
    if (other) printf(" (%lld reported as '%s')", (long long)other, inception_status_string(o->also_ok));
    printf("\n");
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
    op_spec spec = {"model load", op_load, free_model, NULL, NULL, 0, o};
    sweep(&spec);
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
    op_spec spec = {"session create (1 thread)", op_session, free_session, NULL, NULL, 0, &c};
    sweep(&spec);
    inception_options_free(c.opts);
    c.opts = make_opts(3);
    spec.what = "session create (3 threads)";
    sweep(&spec);
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
    /* one thread: a worker frees its start-up argument whenever it gets to run, which
     * would blur the heap accounting around the first run */
    c.opts = make_opts(1);
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
        int64_t live_before = inc_alloc_live();
        inc_alloc_fail_after(k);
        inception_status st = inception_session_run(s, c.input);
        inc_alloc_fail_after(-1);
        ck_assert_msg(st == INCEPTION_ERR_OUT_OF_MEMORY, "run with allocation %lld of %lld "
                      "failing: status %d: %s", (long long)k, (long long)n, (int)st,
                      inception_session_last_error(s));
        ck_assert_msg(inception_session_last_error(s)[0] != '\0', "empty session error");
        ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &t),
                         INCEPTION_ERR_NOT_READY);
        size_t after = heap_in_use();
        ck_assert_msg(inc_alloc_live() == live_before, "run leaked library blocks with allocation %lld failing",
                      (long long)k);
        ck_assert_msg(after == before, "run leaked %lld bytes with allocation %lld failing",
                      (long long)(after - before), (long long)k);
        /* the session is still usable and computes the same thing */
        ck_assert_int_eq(inception_session_run(s, c.input), INCEPTION_OK);
        ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &t), INCEPTION_OK);
        ck_assert(((const float *)inception_tensor_data(t))[7] == ref);
        inception_session_free(s);
        tried++;
    }
    printf("alloc: %-30s %5lld allocations, %4lld failure points tried\n", "session run (first)",
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
    /* libspng and its zlib stream allocate through our hook too */
    op_spec png = {"PNG decode (RGB 21x13)", op_decode, free_image, NULL, NULL, 0, &c};
    ck_assert_int_eq(craft_png(21, 13, 2, 0, 0, &c.bytes), 0);
    sweep(&png);
    craft_free(&c.bytes);
    ck_assert_int_eq(craft_png(9, 17, 6, 0, 0, &c.bytes), 0);
    png.what = "PNG decode (RGBA 9x17)";
    sweep(&png);
    craft_free(&c.bytes);
    op_spec jpeg = {"JPEG decode (RGB 33x20)", op_decode, free_image, NULL, NULL, 0, &c};
    ck_assert_int_eq(craft_jpeg(33, 20, 3, 0, &c.bytes), 0);
    sweep(&jpeg);
    craft_free(&c.bytes);
    ck_assert_int_eq(craft_jpeg(20, 33, 1, 1, &c.bytes), 0);
    jpeg.what = "JPEG decode (gray progressive)";
    sweep(&jpeg);
    craft_free(&c.bytes);
    inception_options_free(c.opts);
}
END_TEST

/* ---- classify ---- */
typedef struct cls_ctx {
    inception_model *model;
    inception_options *opts;
    inception_session *session;
    int fresh; /* 1: a new, unplanned session for every call (made before arming) */
    craft_buf bytes;
} cls_ctx;

static void cls_prepare(void *ctx) {
    cls_ctx *c = ctx;
    if (c->fresh)
        ck_assert_int_eq(inception_session_create(c->model, c->opts, &c->session), INCEPTION_OK);
}

static void cls_cleanup(void *ctx) {
    cls_ctx *c = ctx;
    if (!c->fresh) return;
    inception_session_free(c->session);
    c->session = NULL;
}

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
    ck_assert_int_eq(craft_jpeg(120, 90, 3, 0, &c.bytes), 0);
    /* a fresh session: the allocations of planning the first run are in the sweep */
    c.fresh = 1;
    op_spec spec = {"classify JPEG (first run)", op_classify, free_nothing, cls_prepare,
                    cls_cleanup, 0, &c};
    sweep(&spec);
    /* a session that has run this shape already: decode and preprocess only */
    c.fresh = 0;
    ck_assert_int_eq(inception_session_create(c.model, c.opts, &c.session), INCEPTION_OK);
    void *h;
    ck_assert_int_eq(op_classify(&c, &h), INCEPTION_OK);
    spec.what = "classify JPEG (planned)";
    sweep(&spec);
    craft_free(&c.bytes);
    ck_assert_int_eq(craft_png(90, 120, 2, 0, 0, &c.bytes), 0);
    spec.what = "classify PNG (planned)";
    sweep(&spec);
    craft_free(&c.bytes);
    inception_session_free(c.session);
    inception_options_free(c.opts);
    inception_model_free(c.model);
}
END_TEST

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *e = getenv("INCEPTION_ALLOC_SAMPLES");
    if (e && atoi(e) > 0) samples = atoi(e);
    backend = inception_backend_available("simd") ? "simd" : "ref";
    /* Freed chunks parked in glibc's per-thread cache still count as in use, so heap
     * accounting needs the cache off (meson.build sets GLIBC_TUNABLES). valgrind
     * replaces malloc altogether and checks leaks itself. */
    const char *tun = getenv("GLIBC_TUNABLES"), *preload = getenv("LD_PRELOAD");
    if (!tun || !strstr(tun, "glibc.malloc.tcache_count=0") ||
        (preload && strstr(preload, "vgpreload")))
        heap_check = 0;
    printf("alloc: backend %s, heap accounting %s\n", backend,
           heap_check ? "on" : "off (sanitizer, valgrind or tcache)");
    inc_testmodel_opts to;
    inc_testmodel_opts_default(&to);
    if (inc_testmodel_build(&to, &model_buf, &model_size) != 0) return 1;

    Suite *suite = suite_create("alloc");
    /* one case per operation, so CK_RUN_CASE=<name> runs one of them */
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {{"image_decode", image_decode}, {"session_create", session_create},
                 {"session_run", session_run},   {"classify", classify},
                 {"model_load", model_load}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(suite, tc);
    }
    SRunner *sr = srunner_create(suite);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(model_buf);
    return failed ? 1 : 0;
}

/* Regressions from the 1.0 outside audit (issue 9) that the public API can show: every
 * thread count the option accepts, FIFOs and other special files as paths, normalisation
 * and input-size metadata that would force non-finite values or unbounded work, and
 * non-finite outputs reported as INCEPTION_ERR_NUMERIC. Black-box: public headers only. */

#include <check.h>
#include <fcntl.h>
#include <inception/inception.h>
#include <math.h>
#include <pthread.h>
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


/* A temporary directory for special files, removed by the caller. */
static void temp_dir(char *dir, size_t size) {
    snprintf(dir, size, "%s/inc_audit_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void expect_io(const char *path, const char *what) {
    inception_model *m = (inception_model *)0x1;
    inception_status st = inception_model_load_file(path, NULL, &m);
    ck_assert_msg(st == INCEPTION_ERR_IO, "load %s: status %d: %s", what, st, inception_last_error());
    ck_assert_ptr_eq(m, (inception_model *)0x1);
    ck_assert_msg(strstr(inception_last_error(), path), "message '%s' lacks the path",
                  inception_last_error());
    inception_image *img = NULL;
    st = inception_image_decode_file(path, NULL, &img);
    ck_assert_msg(st == INCEPTION_ERR_IO, "decode %s: status %d: %s", what, st, inception_last_error());
    ck_assert_ptr_null(img);
}

/* Issue 9.3: a FIFO without a writer blocked the open forever. A FIFO, a socket, a
 * character device and a directory are all refused at once, for models, images and
 * classify_file. */
START_TEST(special_files_are_refused_at_once) {
    char dir[256], fifo[300], sock[300];
    temp_dir(dir, sizeof dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(sock, sizeof sock, "%s/sock", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    expect_io(fifo, "a FIFO with no writer");
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "FIFO"));

    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    ck_assert_int_lt(strlen(sock), sizeof sa.sun_path);
    strcpy(sa.sun_path, sock);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
    expect_io(sock, "a listening socket");
    expect_io("/dev/null", "a character device");
    expect_io(dir, "a directory");

    inception_model *m = load(model_buf, model_size, "ref");
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, NULL, &s), INCEPTION_OK);
    int32_t classes[3], n = -1;
    float probs[3];
    ck_assert_int_eq(inception_session_classify_file(s, fifo, 3, classes, probs, &n), INCEPTION_ERR_IO);
    ck_assert_int_eq(n, -1);
    ck_assert_ptr_nonnull(strstr(inception_session_last_error(s), fifo));
    inception_session_free(s);
    inception_model_free(m);
    close(fd);
    unlink(sock);
    unlink(fifo);
    rmdir(dir);
}
END_TEST

typedef struct truncator {
    const char *path;
    size_t size;
    volatile int stop;
    int rounds;
} truncator;

/* Cut the end off the file and restore it, over and over. */
static void *truncate_main(void *p) {
    truncator *t = p;
    int fd = open(t->path, O_WRONLY);
    if (fd < 0) return NULL;
    while (!t->stop) {
        /* the last 1-4 MiB: every load reads (CRC) or maps them */
        off_t cut = (off_t)(t->size - ((size_t)(1 + t->rounds % 4) << 20));
        if (ftruncate(fd, cut) != 0) break;
        if (pwrite(fd, model_buf + cut, t->size - (size_t)cut, cut) != (ssize_t)(t->size - (size_t)cut)) break;
        t->rounds++;
    }
    close(fd);
    return NULL;
}

/* Issue 9.4: a model truncated by another process while mapped raised SIGBUS. The file
 * is now read into owned memory: a load racing a truncation gets a status (IO when the
 * size changed during the read, FORMAT/CHECKSUM when it read a cut or mixed file) or
 * OK, never a signal. (The 1.0 loader died with SIGBUS within a few loads here.) */
START_TEST(model_truncated_during_load) {
    char dir[256], path[300];
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(model_buf, 1, model_size, f), model_size);
    fclose(f);
    truncator t = {path, model_size, 0, 0};
    pthread_t tid;
    ck_assert_int_eq(pthread_create(&tid, NULL, truncate_main, &t), 0);
    int seen[32] = {0};
    for (int i = 0; i < 4; i++) {
        inception_model *m = NULL;
        inception_status st = inception_model_load_file(path, NULL, &m);
        ck_assert_msg(st == INCEPTION_OK || st == INCEPTION_ERR_IO || st == INCEPTION_ERR_FORMAT ||
                          st == INCEPTION_ERR_CHECKSUM || st == INCEPTION_ERR_MISSING_TENSOR,
                      "status %d: %s", st, inception_last_error());
        if (st == INCEPTION_ERR_IO)
            ck_assert_msg(strstr(inception_last_error(), "changed size") ||
                              strstr(inception_last_error(), path),
                          "IO message: %s", inception_last_error());
        seen[st]++;
        inception_model_free(m);
    }
    t.stop = 1;
    pthread_join(tid, NULL);
    printf("truncation race: %d rounds; OK %d, IO %d, FORMAT %d, CHECKSUM %d\n", t.rounds,
           seen[INCEPTION_OK], seen[INCEPTION_ERR_IO], seen[INCEPTION_ERR_FORMAT],
           seen[INCEPTION_ERR_CHECKSUM]);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* A model with extra metadata. */
static void model_with_meta(const char *const *meta, uint8_t **buf, size_t *size) {
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    o.aux = 0;
    o.extra_meta = meta;
    ck_assert_int_eq(inc_testmodel_build(&o, buf, size), 0);
}

static void expect_meta_refused(const char *key, const char *value, inception_status want,
                                const char *needle) {
    const char *meta[] = {key, value, NULL};
    uint8_t *buf = NULL;
    size_t size = 0;
    model_with_meta(meta, &buf, &size);
    inception_model *m = NULL;
    inception_status st = inception_model_load_memory(buf, size, NULL, &m);
    ck_assert_msg(st == want, "%s = %s: status %d (%s): %s", key, value, st,
                  inception_status_string(st), inception_last_error());
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(inception_last_error(), needle), "%s = %s: message '%s' lacks '%s'", key,
                  value, inception_last_error(), needle);
    free(buf);
}

/* Issue 9.6: std = 1e-45 passed "> 0" while 1/std is infinite, and a huge mean with a tiny
 * std overflowed the normalised input; such files loaded and classified "OK". */
START_TEST(normalisation_must_stay_finite) {
    expect_meta_refused("inception.std", "1e-45,0.5,0.5", INCEPTION_ERR_FORMAT, "std[0]");
    expect_meta_refused("inception.std", "0.5,0.5,1e-7", INCEPTION_ERR_FORMAT, "std[2]");
    expect_meta_refused("inception.std", "0.5,1e30,0.5", INCEPTION_ERR_FORMAT, "std[1]");
    expect_meta_refused("inception.mean", "3e38,0.5,0.5", INCEPTION_ERR_FORMAT, "mean[0]");
    expect_meta_refused("inception.mean", "0.5,-2e6,0.5", INCEPTION_ERR_FORMAT, "mean[1]");
    /* the load options obey the same bounds, as INVALID_ARGUMENT */
    {
        inception_options *o = opts_with(NULL, 0);
        ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_STD, "0.5,1e-7,0.5"), INCEPTION_OK);
        inception_model *mo = NULL;
        inception_status st = inception_model_load_memory(model_buf, model_size, o, &mo);
        ck_assert_msg(st == INCEPTION_ERR_INVALID_ARGUMENT && strstr(inception_last_error(), "std[1]"),
                      "option STD 1e-7: status %d: %s", st, inception_last_error());
        ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_STD, "0.5,0.5,0.5"), INCEPTION_OK);
        ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_MEAN, "0,5e6,0"), INCEPTION_OK);
        st = inception_model_load_memory(model_buf, model_size, o, &mo);
        ck_assert_msg(st == INCEPTION_ERR_INVALID_ARGUMENT && strstr(inception_last_error(), "mean[1]"),
                      "option MEAN 5e6: status %d: %s", st, inception_last_error());
        inception_options_free(o);
    }
    /* real presets and the documented bounds load */
    const char *ok[] = {"inception.mean", "0.485,0.456,0.406", "inception.std", "1e-6,0.224,1e6", NULL};
    uint8_t *buf = NULL;
    size_t size = 0;
    model_with_meta(ok, &buf, &size);
    inception_model *m = NULL;
    ck_assert_msg(inception_model_load_memory(buf, size, NULL, &m) == INCEPTION_OK, "%s",
                  inception_last_error());
    inception_model_free(m);
    free(buf);
}
END_TEST

/* Byte range of tensor `name` in the data section of a safetensors buffer. */
static size_t tensor_data(uint8_t *buf, const char *name, size_t *bytes) {
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | buf[i];
    char key[64];
    snprintf(key, sizeof key, "\"%s\"", name);
    char *hdr = malloc(hlen + 1);
    memcpy(hdr, buf + 8, hlen);
    hdr[hlen] = '\0';
    char *p = strstr(hdr, key);
    ck_assert_ptr_nonnull(p);
    p = strstr(p, "data_offsets");
    ck_assert_ptr_nonnull(p);
    unsigned long long a = 0, b = 0;
    ck_assert_int_eq(sscanf(p, "data_offsets\":[%llu,%llu]", &a, &b), 2);
    free(hdr);
    *bytes = (size_t)(b - a);
    return 8 + (size_t)hlen + (size_t)a;
}

/* Issue 9.6: an fc weight of 3e38 (finite, so the file loads) gave non-finite logits and
 * probabilities with status OK. Now the run reports NUMERIC naming the output, and keeps
 * no outputs; a non-finite input is refused before the run. */
START_TEST(non_finite_outputs_are_an_error) {
    uint8_t *buf = malloc(model_size);
    memcpy(buf, model_buf, model_size);
    size_t bytes = 0, at = tensor_data(buf, "fc.weight", &bytes);
    ck_assert_uint_eq(bytes, 1000 * 2048 * 4);
    const float big = 3e38f;
    for (int i = 0; i < 2048; i++) memcpy(buf + at + 4 * (size_t)i, &big, 4); /* row 0 */
    inception_model *m = load(buf, model_size, NULL);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, NULL, &s), INCEPTION_OK);
    inception_tensor *t = input(2, 75, 75);
    inception_status st = inception_session_run(s, t);
    ck_assert_msg(st == INCEPTION_ERR_NUMERIC, "status %d: %s", st, inception_session_last_error(s));
    ck_assert_msg(strstr(inception_session_last_error(s), "logits[0][0] is infinite"), "message: %s",
                  inception_session_last_error(s));
    const inception_tensor *out = NULL;
    ck_assert_int_eq(inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &out), INCEPTION_ERR_NOT_READY);
    inception_session_free(s);
    inception_model_free(m);
    free(buf);

    /* the unpatched model runs, and refuses a NaN or an infinity in the input */
    m = load(model_buf, model_size, NULL);
    ck_assert_int_eq(inception_session_create(m, NULL, &s), INCEPTION_OK);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_OK);
    float *px = inception_tensor_data(t);
    px[3 * 75 * 75 + 7] = NAN;
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(inception_session_last_error(s), "NaN"));
    px[3 * 75 * 75 + 7] = -INFINITY;
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(inception_session_last_error(s), "infinite"));
    ck_assert_str_eq(inception_status_string(INCEPTION_ERR_NUMERIC), "non-finite result");
    ck_assert_str_eq(inception_status_string(INCEPTION_ERR_BUSY), "session busy");
    inception_tensor_free(t);
    inception_session_free(s);
    inception_model_free(m);
}
END_TEST

/* Issue 9.7b: inception.input_size = 16384 made every classify allocate 7 GB and ask for
 * 25.7 GB of activations. The metadata is capped at 2048 a side, and a size that would
 * need more session memory per image than INCEPTION_OPT_MAX_SESSION_MEMORY is refused at
 * load; runs are held to the session's limit before anything is allocated. */
START_TEST(input_size_and_session_memory_are_bounded) {
    expect_meta_refused("inception.input_size", "16384", INCEPTION_ERR_FORMAT, "inception.input_size");
    expect_meta_refused("inception.input_size", "299,2049", INCEPTION_ERR_FORMAT, "2048");

    const char *meta[] = {"inception.input_size", "2048", NULL};
    uint8_t *buf = NULL;
    size_t size = 0;
    model_with_meta(meta, &buf, &size);
    inception_options *o = opts_with("ref", 0);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_SESSION_MEMORY, 64 << 20), INCEPTION_OK);
    inception_model *m = NULL;
    inception_status st = inception_model_load_memory(buf, size, o, &m);
    ck_assert_msg(st == INCEPTION_ERR_INPUT_SIZE, "status %d: %s", st, inception_last_error());
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "MAX_SESSION_MEMORY"));
    ck_assert_ptr_null(m);
    /* no limit, or the default one (4 GiB): 2048x2048 loads */
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_SESSION_MEMORY, 0), INCEPTION_OK);
    ck_assert_int_eq(inception_model_load_memory(buf, size, o, &m), INCEPTION_OK);
    inception_model_free(m);
    ck_assert_int_eq(inception_model_load_memory(buf, size, NULL, &m), INCEPTION_OK);
    int64_t side = 0;
    inception_model_info_int(m, INCEPTION_INFO_INPUT_HEIGHT, &side);
    ck_assert_int_eq(side, 2048);
    inception_model_free(m);
    free(buf);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_SESSION_MEMORY, -1),
                     INCEPTION_ERR_INVALID_ARGUMENT);

    /* a session limit one byte below what 75x75 needs: INPUT_SIZE before allocating,
     * nothing planned; exactly what it needs: runs */
    m = load(model_buf, model_size, "ref");
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    inception_tensor *t = input(1, 75, 75);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_OK);
    int64_t need = 0, mem = -1;
    ck_assert_int_eq(inception_session_memory(s, &need), INCEPTION_OK);
    inception_session_free(s);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_SESSION_MEMORY, need - 1), INCEPTION_OK);
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    st = inception_session_run(s, t);
    ck_assert_msg(st == INCEPTION_ERR_INPUT_SIZE, "status %d: %s", st, inception_session_last_error(s));
    ck_assert_ptr_nonnull(strstr(inception_session_last_error(s), "MAX_SESSION_MEMORY"));
    ck_assert_int_eq(inception_session_memory(s, &mem), INCEPTION_OK);
    ck_assert_int_eq(mem, 0);
    inception_session_free(s);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_SESSION_MEMORY, need), INCEPTION_OK);
    ck_assert_int_eq(inception_session_create(m, o, &s), INCEPTION_OK);
    ck_assert_int_eq(inception_session_run(s, t), INCEPTION_OK);
    inception_tensor_free(t);
    inception_session_free(s);
    inception_model_free(m);
    inception_options_free(o);
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
    tcase_add_test(tc, model_truncated_during_load);
    tcase_add_test(tc, normalisation_must_stay_finite);
    tcase_add_test(tc, non_finite_outputs_are_an_error);
    tcase_add_test(tc, input_size_and_session_memory_are_bounded);
    suite_add_tcase(s, tc);
    /* a hang here is the bug: the old open of a FIFO never returned */
    TCase *tf = tcase_create("special-files");
    tcase_set_timeout(tf, 120);
    tcase_add_test(tf, special_files_are_refused_at_once);
    suite_add_tcase(s, tf);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    free(model_buf);
    return failed ? 1 : 0;
}

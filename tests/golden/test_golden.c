/*
 * Golden tests: the whole network against PyTorch (torchvision's Inception3, run in float64
 * by tools/gen_golden.py) on the deterministic weights of tools/testmodel.c. Public API only.
 *
 * Every case of tests/golden/data/manifest.txt runs on "ref" with 1 thread (the variant
 * cases also with 2) and on every other available backend with 1 and 2 threads; each output must satisfy
 * max|got - expected| <= 1e-4 * max|expected|. The achieved ratios are printed.
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <inception/inception.h>

#include "testmodel.h"

#define TOLERANCE 1e-4
#define MAX_CASES 32
#define MAX_PROBES 32
#define MAX_BACKENDS 8
#define MAX_VARIANTS 16

typedef struct gcase {
    char name[64], expected[64], input[80], pool[16], pool_via[16], outputs[128];
    char stem_conv[8], bn_stats[64]; /* "3x3"/"7x7"; "none" or a file in data/ */
    uint64_t seed;
    int classes, aux, gamma, f16, batch, h, w;
    int stem, aux_bn;  /* the architecture (tools/variants.py) */
    int variant; /* index into variants[] */
} gcase;

typedef struct probe {
    char tensor[96];
    long index;
    uint32_t bits;
} probe;

typedef struct variant {
    inc_testmodel_opts o;
    char bn_stats[1200]; /* path of the BN statistics file, or "" */
    int pool_meta;
    uint8_t *buf;
    size_t size;
} variant;

static gcase cases[MAX_CASES];
static int n_cases;
static probe probes[MAX_PROBES];
static int n_probes;
static variant variants[MAX_VARIANTS];
static int n_variants;
static const char *backends[MAX_BACKENDS];
static int n_backends;
static char data_dir[1024];

static const char *const exclude_pad_meta[] = {"inception.pool_include_pad", "false", NULL};

/* ---- setup (in the parent process, before the runner forks) ---- */

static int parse_case(char *line, gcase *c) {
    memset(c, 0, sizeof *c);
    c->stem = 299; /* the architecture keys are optional: torchvision's network */
    snprintf(c->stem_conv, sizeof c->stem_conv, "3x3");
    snprintf(c->bn_stats, sizeof c->bn_stats, "none");
    for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
        char *eq = strchr(tok, '=');
        if (!eq) return -1;
        *eq = '\0';
        const char *k = tok, *v = eq + 1;
        if (!strcmp(k, "name")) snprintf(c->name, sizeof c->name, "%s", v);
        else if (!strcmp(k, "expected")) snprintf(c->expected, sizeof c->expected, "%s", v);
        else if (!strcmp(k, "input")) snprintf(c->input, sizeof c->input, "%s", v);
        else if (!strcmp(k, "pool")) snprintf(c->pool, sizeof c->pool, "%s", v);
        else if (!strcmp(k, "pool_via")) snprintf(c->pool_via, sizeof c->pool_via, "%s", v);
        else if (!strcmp(k, "outputs")) snprintf(c->outputs, sizeof c->outputs, "%s", v);
        else if (!strcmp(k, "seed")) c->seed = strtoull(v, NULL, 10);
        else if (!strcmp(k, "classes")) c->classes = atoi(v);
        else if (!strcmp(k, "aux")) c->aux = atoi(v);
        else if (!strcmp(k, "gamma")) c->gamma = atoi(v);
        else if (!strcmp(k, "f16")) c->f16 = atoi(v);
        else if (!strcmp(k, "batch")) c->batch = atoi(v);
        else if (!strcmp(k, "h")) c->h = atoi(v);
        else if (!strcmp(k, "w")) c->w = atoi(v);
        else if (!strcmp(k, "stem")) c->stem = atoi(v);
        else if (!strcmp(k, "stem_conv")) snprintf(c->stem_conv, sizeof c->stem_conv, "%s", v);
        else if (!strcmp(k, "aux_bn")) c->aux_bn = atoi(v);
        else if (!strcmp(k, "bn_stats")) snprintf(c->bn_stats, sizeof c->bn_stats, "%s", v);
        else return -1;
    }
    return c->name[0] && c->input[0] && c->expected[0] && c->batch > 0 && c->h > 0 && c->w > 0 ? 0 : -1;
}

static int parse_probe(char *line, probe *p) {
    memset(p, 0, sizeof *p);
    for (char *tok = strtok(line + 6, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
        char *eq = strchr(tok, '=');
        if (!eq) return -1;
        *eq = '\0';
        if (!strcmp(tok, "tensor")) snprintf(p->tensor, sizeof p->tensor, "%s", eq + 1);
        else if (!strcmp(tok, "index")) p->index = atol(eq + 1);
        else if (!strcmp(tok, "bits")) p->bits = (uint32_t)strtoul(eq + 1, NULL, 16);
    }
    return p->tensor[0] ? 0 : -1;
}

/* The model variant a case needs: the same options share one generated file. */
static int variant_for(const gcase *c) {
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    o.seed = c->seed;
    o.classes = c->classes;
    o.aux = c->aux;
    o.bn_gamma = c->gamma;
    o.f16 = c->f16;
    int pool_meta = !strcmp(c->pool_via, "meta");
    o.extra_meta = pool_meta ? exclude_pad_meta : NULL;
    o.stem = c->stem;
    o.stem_conv = !strcmp(c->stem_conv, "7x7") ? 7 : 3;
    o.aux_bn = c->aux_bn;
    char stats[1200] = "";
    if (strcmp(c->bn_stats, "none") != 0)
        snprintf(stats, sizeof stats, "%s/%s", data_dir, c->bn_stats);
    for (int i = 0; i < n_variants; i++) {
        const inc_testmodel_opts *v = &variants[i].o;
        if (v->seed == o.seed && v->classes == o.classes && v->aux == o.aux &&
            v->bn_gamma == o.bn_gamma && v->f16 == o.f16 && variants[i].pool_meta == pool_meta &&
            v->stem == o.stem && v->stem_conv == o.stem_conv && v->aux_bn == o.aux_bn &&
            !strcmp(variants[i].bn_stats, stats))
            return i;
    }
    if (n_variants == MAX_VARIANTS) return -1;
    variant *v = &variants[n_variants];
    snprintf(v->bn_stats, sizeof v->bn_stats, "%s", stats);
    o.bn_stats = v->bn_stats[0] ? v->bn_stats : NULL;
    v->o = o;
    v->pool_meta = pool_meta;
    if (inc_testmodel_build(&v->o, &v->buf, &v->size) != 0) return -1;
    return n_variants++;
}

static int setup_all(void) {
    const char *root = getenv("INCEPTION_TEST_DATA");
    snprintf(data_dir, sizeof data_dir, "%s/golden/data", root ? root : "tests");
    char path[1100];
    snprintf(path, sizeof path, "%s/manifest.txt", data_dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s (set INCEPTION_TEST_DATA to the tests/ folder)\n", path);
        return -1;
    }
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        if (!strncmp(line, "probe ", 6)) {
            if (n_probes < MAX_PROBES && parse_probe(line, &probes[n_probes]) == 0) n_probes++;
            continue;
        }
        if (n_cases == MAX_CASES || parse_case(line, &cases[n_cases]) != 0) {
            fprintf(stderr, "bad manifest line: %s\n", line);
            fclose(f);
            return -1;
        }
        n_cases++;
    }
    fclose(f);
    for (int i = 0; i < n_cases; i++) {
        cases[i].variant = variant_for(&cases[i]);
        if (cases[i].variant < 0) {
            fprintf(stderr, "cannot build the model for case %s\n", cases[i].name);
            return -1;
        }
    }
    /* "ref" first, then every other backend this machine can run. */
    backends[n_backends++] = "ref";
    for (int32_t i = 0; i < inception_backend_count() && n_backends < MAX_BACKENDS; i++) {
        const char *name = inception_backend_name(i);
        if (name && strcmp(name, "ref") != 0 && inception_backend_available(name))
            backends[n_backends++] = name;
    }
    printf("golden: %d cases, %d model variants, backends:", n_cases, n_variants);
    for (int i = 0; i < n_backends; i++) printf(" %s", backends[i]);
    printf("\n");
    return 0;
}

/* ---- helpers ---- */

static float *read_expected(const gcase *c, const char *output, size_t count) {
    char path[1300];
    snprintf(path, sizeof path, "%s/%s.%s.f32", data_dir, c->expected, output);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    float *v = malloc(count * sizeof *v);
    ck_assert_ptr_nonnull(v);
    size_t got = fread(v, sizeof *v, count, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    ck_assert_msg(got == count && !extra, "%s: expected %zu floats", path, count);
    return v; /* little-endian file, little-endian host (x86-64, aarch64) */
}

static double max_abs(const float *v, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)v[i]));
    return m;
}

static double max_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) m = d; /* NaN propagates as a failure */
    }
    return m;
}

static const struct {
    const char *name;
    inception_output which;
} output_kinds[] = {{"logits", INCEPTION_OUTPUT_LOGITS},
                    {"probabilities", INCEPTION_OUTPUT_PROBABILITIES},
                    {"features", INCEPTION_OUTPUT_FEATURES},
                    {"aux_logits", INCEPTION_OUTPUT_AUX_LOGITS}};
#define N_OUTPUT_KINDS 4

static int wants(const gcase *c, const char *output) {
    const char *p = c->outputs;
    size_t n = strlen(output);
    while (p && *p) {
        if (!strncmp(p, output, n) && (p[n] == ',' || p[n] == '\0')) return 1;
        p = strchr(p, ',');
        if (p) p++;
    }
    return 0;
}

static inception_tensor *make_input(const gcase *c, inception_layout layout) {
    size_t count = (size_t)c->batch * 3 * c->h * c->w;
    float *nchw = malloc(count * sizeof *nchw);
    ck_assert_ptr_nonnull(nchw);
    inc_testmodel_uniform(c->input, c->seed, nchw, count);
    inception_tensor *t = NULL;
    if (layout == INCEPTION_LAYOUT_NCHW) {
        int64_t dims[4] = {c->batch, 3, c->h, c->w};
        ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, layout, dims, 4, &t),
                         INCEPTION_OK);
        memcpy(inception_tensor_data(t), nchw, count * sizeof *nchw);
    } else {
        int64_t dims[4] = {c->batch, c->h, c->w, 3};
        ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, layout, dims, 4, &t),
                         INCEPTION_OK);
        float *d = inception_tensor_data(t);
        size_t hw = (size_t)c->h * c->w;
        for (size_t n = 0; n < (size_t)c->batch; n++)
            for (size_t ch = 0; ch < 3; ch++)
                for (size_t i = 0; i < hw; i++) d[(n * hw + i) * 3 + ch] = nchw[(n * 3 + ch) * hw + i];
    }
    free(nchw);
    return t;
}

static inception_model *load_case_model(const gcase *c, const char *backend) {
    const variant *v = &variants[c->variant];
    inception_options *opt = NULL;
    ck_assert_int_eq(inception_options_create(&opt), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(opt, INCEPTION_OPT_BACKEND, backend),
                     INCEPTION_OK);
    if (!strcmp(c->pool_via, "option"))
        ck_assert_int_eq(inception_options_set_int(opt, INCEPTION_OPT_POOL_INCLUDE_PAD,
                                                   !strcmp(c->pool, "include")),
                         INCEPTION_OK);
    inception_model *m = NULL;
    inception_status st = inception_model_load_memory(v->buf, v->size, opt, &m);
    ck_assert_msg(st == INCEPTION_OK, "case %s: load on %s: %s: %s", c->name, backend,
                  inception_status_string(st), inception_last_error());
    inception_options_free(opt);
    return m;
}

static void check_info(const gcase *c, const inception_model *m, const char *backend) {
    int64_t v = -1;
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_CLASSES, &v), INCEPTION_OK);
    ck_assert_int_eq(v, c->classes);
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_LABEL_OFFSET, &v), INCEPTION_OK);
    ck_assert_int_eq(v, c->classes == 1001 ? 1 : 0);
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_POOL_INCLUDE_PAD, &v),
                     INCEPTION_OK);
    ck_assert_int_eq(v, !strcmp(c->pool, "include"));
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_BN_HAS_GAMMA, &v), INCEPTION_OK);
    ck_assert_int_eq(v, c->gamma);
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_HAS_AUX, &v), INCEPTION_OK);
    ck_assert_int_eq(v, c->aux);
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_SYNTHETIC, &v), INCEPTION_OK);
    ck_assert_int_eq(v, 1);
    /* the architecture the file's metadata and tensors describe */
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_STEM, &v), INCEPTION_OK);
    ck_assert_int_eq(v, c->stem);
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_STEM_CONV, &v), INCEPTION_OK);
    ck_assert_int_eq(v, !strcmp(c->stem_conv, "7x7") ? 7 : 3);
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_AUX_BN, &v), INCEPTION_OK);
    ck_assert_int_eq(v, c->aux_bn);
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_MIN_INPUT_SIZE, &v), INCEPTION_OK);
    ck_assert_int_eq(v, c->stem == 299 ? 75 : c->stem == 151 ? 39 : 21);
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_INPUT_HEIGHT, &v), INCEPTION_OK);
    ck_assert_int_eq(v, c->stem);
    const char *s = NULL;
    ck_assert_int_eq(inception_model_info_string(m, INCEPTION_INFO_BACKEND, &s), INCEPTION_OK);
    ck_assert_str_eq(s, backend);
    ck_assert_int_eq(inception_model_info_string(m, INCEPTION_INFO_NAME, &s), INCEPTION_OK);
    char want[96];
    snprintf(want, sizeof want, "generated deterministic weights (seed %llu)",
             (unsigned long long)c->seed);
    ck_assert_str_eq(s, want);
    if (c->classes == 1001) {
        ck_assert_int_eq(inception_model_label(m, 0, &s), INCEPTION_OK);
        ck_assert_str_eq(s, "background");
    }
}

static char first_failure[256]; /* of the current test, "" if none */

/* Runs `input` and compares every requested output; prints the achieved ratios. If `ref`
 * is given (outputs of the NCHW run), also reports the largest difference from it. */
static void run_and_compare(const gcase *c, inception_session *s, inception_tensor *input,
                            const char *label, float *const *ref, float **keep) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    inception_status st = inception_session_run(s, input);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("golden %-12s %-22s run %.0f ms\n",
           c->name, label, (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
    ck_assert_msg(st == INCEPTION_OK, "case %s %s: run: %s: %s", c->name, label,
                  inception_status_string(st), inception_session_last_error(s));
    for (int k = 0; k < N_OUTPUT_KINDS; k++) {
        if (!wants(c, output_kinds[k].name)) continue;
        const inception_tensor *out = NULL;
        st = inception_session_output(s, output_kinds[k].which, &out);
        ck_assert_msg(st == INCEPTION_OK, "case %s %s: output %s: %s", c->name, label,
                      output_kinds[k].name, inception_session_last_error(s));
        int64_t width = !strcmp(output_kinds[k].name, "features") ? 2048 : c->classes;
        ck_assert_int_eq(inception_tensor_dtype(out), INCEPTION_DTYPE_F32);
        ck_assert_int_eq(inception_tensor_rank(out), 2);
        ck_assert_int_eq(inception_tensor_dim(out, 0), c->batch);
        ck_assert_int_eq(inception_tensor_dim(out, 1), width);
        size_t n = (size_t)c->batch * (size_t)width;
        const float *got = inception_tensor_data(out);
        float *want = read_expected(c, output_kinds[k].name, n);
        double scale = max_abs(want, n), diff = max_diff(got, want, n);
        double ratio = diff / scale;
        printf("golden %-12s %-22s %-13s max|d| %.3e  max|e| %.3e  ratio %.2e%s", c->name, label,
               output_kinds[k].name, diff, scale, ratio, ratio <= TOLERANCE ? "" : "  FAIL");
        if (ref) {
            double dr = max_diff(got, ref[k], n);
            printf("  vs NCHW %s", dr == 0 ? "identical" : "");
            if (dr != 0) printf("%.2e", dr / scale);
            ck_assert_msg(dr <= TOLERANCE * scale, "case %s %s: %s differs from NCHW run",
                          c->name, label, output_kinds[k].name);
        }
        printf("\n");
        fflush(stdout);
        /* every output and thread count is measured and printed before the verdict */
        if (!(ratio <= TOLERANCE) && !first_failure[0])
            snprintf(first_failure, sizeof first_failure,
                     "case %s %s: %s: max|d|/max|e| = %.3e > %.0e", c->name, label,
                     output_kinds[k].name, ratio, TOLERANCE);
        if (keep) {
            keep[k] = malloc(n * sizeof(float));
            ck_assert_ptr_nonnull(keep[k]);
            memcpy(keep[k], got, n * sizeof(float));
        }
        free(want);
    }
}

/* ---- tests ---- */

START_TEST(test_prng_vectors) {
    /* Published SplitMix64/FNV values pin the primitives independently of Python. */
    ck_assert_uint_eq(inc_testmodel_fnv1a64(""), 0xcbf29ce484222325ull);
    ck_assert_uint_eq(inc_testmodel_fnv1a64("a"), 0xaf63dc4c8601ec8cull);
    ck_assert_uint_eq(inc_testmodel_splitmix64(0, 0), 0xe220a8397b1dcdafull);
    ck_assert_uint_eq(inc_testmodel_splitmix64(0, 1), 0x6e789e6aa1b965f4ull);
    ck_assert_uint_eq(inc_testmodel_f32_to_f16(1.0f), 0x3c00);
    ck_assert_uint_eq(inc_testmodel_f32_to_f16(-2.0f), 0xc000);
    ck_assert_uint_eq(inc_testmodel_f32_to_f16(65504.0f), 0x7bff);
    ck_assert_uint_eq(inc_testmodel_f32_to_f16(65520.0f), 0x7c00);
    ck_assert_uint_eq(inc_testmodel_f32_to_f16(0x1p-24f), 0x0001);
    ck_assert_uint_eq(inc_testmodel_f32_to_f16(0x1p-25f), 0x0000);    /* tie to even */
    ck_assert_uint_eq(inc_testmodel_f32_to_f16(0x1.8p-24f), 0x0002);  /* tie to even */
    ck_assert_uint_eq(inc_testmodel_f32_to_f16(0.1f), 0x2e66);
    ck_assert_uint_eq(inc_testmodel_f32_to_f16(1.0f + 0x1p-11f), 0x3c00); /* tie to even */
}
END_TEST

/* The values tools/gen_golden.py computed with numpy, recorded in the manifest. */
START_TEST(test_prng_matches_numpy) {
    ck_assert_int_gt(n_probes, 0);
    for (int i = 0; i < n_probes; i++) {
        const probe *p = &probes[i];
        size_t count = (size_t)p->index + 1;
        float *v = malloc(count * sizeof *v);
        ck_assert_ptr_nonnull(v);
        if (!strncmp(p->tensor, "input/", 6))
            inc_testmodel_uniform(p->tensor, 0, v, count);
        else
            ck_assert_int_eq(inc_testmodel_tensor(p->tensor, 0, v, count), 0);
        uint32_t bits;
        memcpy(&bits, &v[p->index], sizeof bits);
        ck_assert_msg(bits == p->bits, "%s[%ld]: C %08x, numpy %08x", p->tensor, p->index,
                      bits, p->bits);
        free(v);
    }
}
END_TEST

/* Loop index = case * n_backends + backend. */
START_TEST(test_golden_case) {
    const gcase *c = &cases[_i / n_backends];
    const char *backend = backends[_i % n_backends];
    /* GOLDEN_QUICK (tools/sanitize.sh asan): the plain-C oracle runs only the cases up to
     * 200x180; its loops are the same at every size, and at 299 they were most of the
     * sanitized run. The other backends run every case. */
    if (getenv("GOLDEN_QUICK") && strcmp(backend, "ref") == 0 && c->batch * c->h * c->w > 200 * 180) {
        printf("golden %-16s %s: skipped (GOLDEN_QUICK)\n", c->name, backend);
        return;
    }
    inception_model *m = load_case_model(c, backend);
    check_info(c, m, backend);

    /* ref at 2 threads too for the variant cases (small inputs) */
    int max_threads = strcmp(backend, "ref") != 0 || strcmp(c->bn_stats, "none") != 0 ? 2 : 1;
    first_failure[0] = '\0';
    int64_t outputs = 0;
    for (int k = 0; k < N_OUTPUT_KINDS; k++)
        if (wants(c, output_kinds[k].name)) outputs |= output_kinds[k].which;
    inception_tensor *nchw = make_input(c, INCEPTION_LAYOUT_NCHW);
    for (int threads = 1; threads <= max_threads; threads++) {
        inception_options *opt = NULL;
        ck_assert_int_eq(inception_options_create(&opt), INCEPTION_OK);
        ck_assert_int_eq(inception_options_set_int(opt, INCEPTION_OPT_THREADS, threads),
                         INCEPTION_OK);
        ck_assert_int_eq(inception_options_set_int(opt, INCEPTION_OPT_OUTPUTS, outputs),
                         INCEPTION_OK);
        inception_session *s = NULL;
        inception_status st = inception_session_create(m, opt, &s);
        ck_assert_msg(st == INCEPTION_OK, "session: %s", inception_last_error());
        inception_options_free(opt);

        char label[64];
        snprintf(label, sizeof label, "%s/%dt", backend, threads);
        float *keep[N_OUTPUT_KINDS] = {0};
        /* NHWC input must give the NCHW result; checked on the non-square small cases. */
        int nhwc = threads == 1 && c->batch * c->h * c->w <= 99 * 131;
        run_and_compare(c, s, nchw, label, NULL, nhwc ? keep : NULL);
        if (nhwc) {
            inception_tensor *t = make_input(c, INCEPTION_LAYOUT_NHWC);
            snprintf(label, sizeof label, "%s/%dt/NHWC", backend, threads);
            run_and_compare(c, s, t, label, keep, NULL);
            inception_tensor_free(t);
        }
        for (int k = 0; k < N_OUTPUT_KINDS; k++) free(keep[k]);
        inception_session_free(s);
    }
    inception_tensor_free(nchw);
    inception_model_free(m);
    ck_assert_msg(!first_failure[0], "%s", first_failure);
}
END_TEST

/* The minimum input size the model reports is exact for every architecture: it runs, and
 * one pixel less is INCEPTION_ERR_INPUT_SIZE (not a crash or an empty grid). */
static void run_square(inception_session *s, int64_t size, inception_status want,
                       const char *what) {
    int64_t dims[4] = {1, 3, size, size};
    inception_tensor *t = NULL;
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims,
                                             4, &t), INCEPTION_OK);
    inc_testmodel_uniform("input/min", 0, inception_tensor_data(t), (size_t)(3 * size * size));
    inception_status st = inception_session_run(s, t);
    ck_assert_msg(st == want, "%s at %lldx%lld: %s (%s)", what, (long long)size,
                  (long long)size, inception_status_string(st), inception_session_last_error(s));
    inception_tensor_free(t);
}

START_TEST(test_min_input) {
    const variant *v = &variants[_i];
    inception_model *m = NULL;
    ck_assert_int_eq(inception_model_load_memory(v->buf, v->size, NULL, &m), INCEPTION_OK);
    int64_t min = 0;
    const char *arch = NULL;
    ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_MIN_INPUT_SIZE, &min),
                     INCEPTION_OK);
    ck_assert_int_eq(inception_model_info_string(m, INCEPTION_INFO_ARCHITECTURE, &arch),
                     INCEPTION_OK);
    ck_assert_int_eq(min, v->o.stem == 299 ? 75 : v->o.stem == 151 ? 39 : 21);
    inception_options *opt = NULL;
    ck_assert_int_eq(inception_options_create(&opt), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(opt, INCEPTION_OPT_OUTPUTS,
                                               INCEPTION_OUTPUT_LOGITS), INCEPTION_OK);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(m, opt, &s), INCEPTION_OK);
    inception_options_free(opt);
    run_square(s, min, INCEPTION_OK, arch);
    run_square(s, min - 1, INCEPTION_ERR_INPUT_SIZE, arch);
    printf("golden min input %-40s %lld\n", arch, (long long)min);
    inception_session_free(s);
    inception_model_free(m);
}
END_TEST

/* The STEM option turns a file without inception.stem into another variant. */
START_TEST(test_stem_option) {
    const variant *v = &variants[0];
    static const int64_t stems[3] = {299, 151, 79}, mins[3] = {75, 39, 21};
    for (int k = 0; k < 3; k++) {
        inception_options *opt = NULL;
        ck_assert_int_eq(inception_options_create(&opt), INCEPTION_OK);
        ck_assert_int_eq(inception_options_set_int(opt, INCEPTION_OPT_STEM, stems[k]),
                         INCEPTION_OK);
        inception_model *m = NULL;
        ck_assert_int_eq(inception_model_load_memory(v->buf, v->size, opt, &m), INCEPTION_OK);
        int64_t x = 0;
        ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_STEM, &x), INCEPTION_OK);
        ck_assert_int_eq(x, stems[k]);
        ck_assert_int_eq(inception_model_info_int(m, INCEPTION_INFO_MIN_INPUT_SIZE, &x),
                         INCEPTION_OK);
        ck_assert_int_eq(x, mins[k]);
        inception_model_free(m);
        inception_options_free(opt);
    }
    inception_options *opt = NULL;
    ck_assert_int_eq(inception_options_create(&opt), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(opt, INCEPTION_OPT_STEM, 150),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(inception_last_error(), "STEM"));
    ck_assert_int_eq(inception_options_set_string(opt, INCEPTION_OPT_STEM, "151"),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    inception_options_free(opt);
}
END_TEST

static Suite *golden_suite(void) {
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("prng");
    tcase_add_test(tc, test_prng_vectors);
    tcase_add_test(tc, test_prng_matches_numpy);
    suite_add_tcase(s, tc);
    tc = tcase_create("architecture");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_min_input, 0, n_variants);
    tcase_add_test(tc, test_stem_option);
    suite_add_tcase(s, tc);
    tc = tcase_create("network");
    tcase_set_timeout(tc, 1800);
    tcase_add_loop_test(tc, test_golden_case, 0, n_cases * n_backends);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (setup_all() != 0) return EXIT_FAILURE;
    SRunner *sr = srunner_create(golden_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (int i = 0; i < n_variants; i++) free(variants[i].buf);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

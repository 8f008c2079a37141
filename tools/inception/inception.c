/*
 * inception: command-line front end of libinception.
 *   inception classify [--model M] [--top K] [--json] [--threads N] [--backend B] IMAGE...
 *   inception features [--model M] [--format npy|csv] [-o OUT] [--threads N] IMAGE...
 *   inception info MODEL
 *   inception bench [--model M] [--size HxW] [--batch N] [--threads T] [--backend B]
 *                   [--runs R] [--profile]
 * docs/cli.md documents the output formats (the JSON schema is stable) and exit codes.
 * Uses only the public API.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <inception/inception.h>

/* Exit codes (docs/cli.md). */
enum {
    EXIT_OK = 0,
    EXIT_SOME_FAILED = 1, /* at least one input could not be processed */
    EXIT_USAGE = 2,
    EXIT_MODEL = 3,       /* no model found, or it failed to load / start */
    EXIT_OUTPUT = 4       /* cannot write the output */
};

static const char *prog = "inception";

static void usage(FILE *f) {
    fprintf(f,
        "usage: inception classify [--model M] [--top K] [--json] [--threads N]\n"
        "                          [--backend B] [--quiet] IMAGE...\n"
        "       inception features [--model M] [--format npy|csv] [-o OUT] [--threads N]\n"
        "                          [--backend B] [--quiet] IMAGE...\n"
        "       inception info MODEL\n"
        "       inception bench [--model M] [--size HxW] [--batch N] [--threads T]\n"
        "                       [--backend B] [--runs R] [--profile]\n"
        "       inception --version | --help\n"
        "The model is --model, else $INCEPTION_MODEL, else\n"
        "$XDG_CACHE_HOME/inception/inception_v3.safetensors (~/.cache if unset).\n");
}

typedef struct args {
    const char *model;
    int top;
    int json;
    int threads;
    const char *backend;
    const char *format;
    const char *out;
    int quiet;
    int size_h, size_w;
    int batch;
    int runs;
    int profile;
    char **files;
    int n_files;
} args;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

static int parse_args(int argc, char **argv, int first, args *a) {
    memset(a, 0, sizeof *a);
    a->top = 5;
    a->format = "npy";
    a->out = "-";
    a->size_h = a->size_w = 0;
    a->batch = 1;
    a->runs = 10;
    a->files = calloc((size_t)argc + 1, sizeof *a->files);
    if (!a->files) return 0;
    for (int i = first; i < argc; i++) {
        const char *s = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(s, "--model") && v) a->model = v;
        else if (!strcmp(s, "--top") && v) {
            if (!parse_int(v, 1, 1000000, &a->top)) goto bad_value;
        } else if (!strcmp(s, "--threads") && v) {
            if (!parse_int(v, 0, 4096, &a->threads)) goto bad_value;
        } else if (!strcmp(s, "--backend") && v) a->backend = v;
        else if (!strcmp(s, "--format") && v) {
            if (strcmp(v, "npy") && strcmp(v, "csv")) goto bad_value;
            a->format = v;
        } else if ((!strcmp(s, "-o") || !strcmp(s, "--output")) && v) a->out = v;
        else if (!strcmp(s, "--size") && v) {
            char x;
            if (sscanf(v, "%d%c%d", &a->size_h, &x, &a->size_w) != 3 || x != 'x' ||
                a->size_h < 1 || a->size_w < 1)
                goto bad_value;
        } else if (!strcmp(s, "--batch") && v) {
            if (!parse_int(v, 1, 4096, &a->batch)) goto bad_value;
        } else if (!strcmp(s, "--runs") && v) {
            if (!parse_int(v, 1, 1000000, &a->runs)) goto bad_value;
        } else {
            takes = 0;
            if (!strcmp(s, "--json")) a->json = 1;
            else if (!strcmp(s, "--profile")) a->profile = 1;
            else if (!strcmp(s, "--quiet") || !strcmp(s, "-q")) a->quiet = 1;
            else if (!strcmp(s, "--")) {
                for (i++; i < argc; i++) a->files[a->n_files++] = argv[i];
            } else if (s[0] == '-' && s[1] != '\0') {
                fprintf(stderr, "%s: unknown option or missing value: %s\n", prog, s);
                return 0;
            } else {
                a->files[a->n_files++] = argv[i];
            }
        }
        i += takes;
        continue;
    bad_value:
        fprintf(stderr, "%s: bad value for %s: '%s'\n", prog, s, v);
        return 0;
    }
    return 1;
}

/* --- model resolution ------------------------------------------------------------ */

static int is_file(const char *p) {
    struct stat sb;
    return p && stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The model path to use, or NULL after printing every place that was tried. */
static const char *resolve_model(const char *given, char *buf, size_t n) {
    if (given) return given; /* an explicit path is reported by the loader if wrong */
    const char *env = getenv("INCEPTION_MODEL");
    if (env && *env) return env;
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg) snprintf(buf, n, "%s/inception/inception_v3.safetensors", xdg);
    else if (home && *home) snprintf(buf, n, "%s/.cache/inception/inception_v3.safetensors", home);
    else buf[0] = '\0';
    if (buf[0] && is_file(buf)) return buf;
    fprintf(stderr,
            "%s: no model. Looked for:\n"
            "  --model PATH                 (not given)\n"
            "  $INCEPTION_MODEL             (not set)\n"
            "  %s (%s)\n"
            "Get weights with tools/fetch_weights.sh, or make test weights with\n"
            "inception-make-model (random, for testing only).\n",
            prog, buf[0] ? buf : "$XDG_CACHE_HOME or $HOME/.cache/inception/...",
            buf[0] ? "no such file" : "neither variable set");
    return NULL;
}

static inception_options *make_options(const args *a) {
    inception_options *o = NULL;
    if (inception_options_create(&o) != INCEPTION_OK) return NULL;
    if (a->backend &&
        inception_options_set_string(o, INCEPTION_OPT_BACKEND, a->backend) != INCEPTION_OK) {
        fprintf(stderr, "%s: --backend %s: %s\n", prog, a->backend, inception_last_error());
        inception_options_free(o);
        return NULL;
    }
    if (inception_options_set_int(o, INCEPTION_OPT_THREADS, a->threads) != INCEPTION_OK) {
        fprintf(stderr, "%s: --threads: %s\n", prog, inception_last_error());
        inception_options_free(o);
        return NULL;
    }
    return o;
}

static inception_model *load_model(const char *path, const inception_options *o) {
    inception_model *m = NULL;
    inception_status st = inception_model_load_file(path, o, &m);
    if (st != INCEPTION_OK) {
        fprintf(stderr, "%s: cannot load model %s: %s (%s)\n", prog, path,
                inception_last_error(), inception_status_string(st));
        return NULL;
    }
    return m;
}

/* Resolve and load the model, then make a session with the command's options plus
 * `outputs` (0: the default set) and `profile`. Prints why on failure and returns the
 * command's exit code (EXIT_OK on success). */
static int open_session(const args *a, int64_t outputs, int profile, char *cache,
                        size_t cache_size, const char **path, inception_model **model,
                        inception_session **session, double *load_ms) {
    *path = resolve_model(a->model, cache, cache_size);
    if (!*path) return EXIT_MODEL;
    inception_options *o = make_options(a);
    if (!o) return EXIT_USAGE;
    if ((outputs && inception_options_set_int(o, INCEPTION_OPT_OUTPUTS, outputs)) ||
        (profile && inception_options_set_int(o, INCEPTION_OPT_PROFILE, 1))) {
        fprintf(stderr, "%s: %s\n", prog, inception_last_error());
        inception_options_free(o);
        return EXIT_USAGE;
    }
    double t0 = now_s();
    inception_model *m = load_model(*path, o);
    if (load_ms) *load_ms = (now_s() - t0) * 1e3;
    inception_session *s = NULL;
    if (m && inception_session_create(m, o, &s) != INCEPTION_OK) {
        fprintf(stderr, "%s: cannot create a session: %s\n", prog, inception_last_error());
        inception_model_free(m);
        m = NULL;
    }
    inception_options_free(o);
    if (!m) return EXIT_MODEL;
    *model = m;
    *session = s;
    return EXIT_OK;
}

/* The throughput summary on stderr (unless --quiet). */
static void report_rate(const args *a, const char *done, int failed, double seconds) {
    if (a->quiet) return;
    fprintf(stderr, "%s: %s %d of %d images in %.3f s (%.2f images/s)\n", prog, done,
            a->n_files - failed, a->n_files, seconds,
            seconds > 0 ? (a->n_files - failed) / seconds : 0.0);
}

static int is_synthetic(const inception_model *m) {
    int64_t v = 0;
    return inception_model_info_int(m, INCEPTION_INFO_SYNTHETIC, &v) == INCEPTION_OK && v == 1;
}

static void warn_synthetic(const char *path) {
    fprintf(stderr,
            "%s: warning: %s holds generated (synthetic) weights, not trained ones: its "
            "classes, labels and features are meaningless.\n", prog, path);
}

/* --- output helpers ---------------------------------------------------------------- */

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void progress(int done, int total, int enabled) {
    if (!enabled) return;
    int width = 30, fill = total ? done * width / total : width;
    fprintf(stderr, "\r[%.*s%*s] %d/%d", fill, "==============================",
            width - fill, "", done, total);
    if (done == total) fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* Library messages for file calls usually name the file already. */
static void report_error(const char *file, const char *msg) {
    if (strstr(msg, file)) fprintf(stderr, "%s: %s\n", prog, msg);
    else fprintf(stderr, "%s: %s: %s\n", prog, file, msg);
}

static const char *label_of(const inception_model *m, int32_t cls, char *buf, size_t n) {
    const char *l = NULL;
    if (inception_model_label(m, cls, &l) == INCEPTION_OK && l) return l;
    snprintf(buf, n, "class %d", (int)cls);
    return buf;
}

/* --- classify ---------------------------------------------------------------------- */

static int cmd_classify(const args *a) {
    if (a->n_files == 0) {
        fprintf(stderr, "%s classify: no images given\n", prog);
        return EXIT_USAGE;
    }
    char cache[4096];
    const char *path = NULL;
    inception_model *m = NULL;
    inception_session *s = NULL;
    int rc = open_session(a, 0, 0, cache, sizeof cache, &path, &m, &s, NULL);
    if (rc != EXIT_OK) return rc;
    int synthetic = is_synthetic(m);
    if (synthetic) warn_synthetic(path);

    int k = a->top;
    int32_t *classes = malloc(sizeof(int32_t) * (size_t)k);
    float *probs = malloc(sizeof(float) * (size_t)k);
    if (!classes || !probs) {
        fprintf(stderr, "%s: out of memory\n", prog);
        free(classes);
        free(probs);
        inception_session_free(s);
        inception_model_free(m);
        return EXIT_SOME_FAILED;
    }
    int show = !a->quiet && isatty(2) && a->n_files > 1;
    int failed = 0;
    double t0 = now_s();
    for (int i = 0; i < a->n_files; i++) {
        const char *file = a->files[i];
        int32_t n = 0;
        inception_status st =
            inception_session_classify_file(s, file, k, classes, probs, &n);
        if (show) fputs("\r\033[K", stderr);
        if (st != INCEPTION_OK) {
            failed++;
            if (a->json) {
                printf("{\"file\":");
                json_string(stdout, file);
                printf(",\"error\":{\"code\":%d,\"status\":", (int)st);
                json_string(stdout, inception_status_string(st));
                printf(",\"message\":");
                json_string(stdout, inception_session_last_error(s));
                printf("}}\n");
            } else {
                report_error(file, inception_session_last_error(s));
            }
        } else if (a->json) {
            char buf[32];
            printf("{\"file\":");
            json_string(stdout, file);
            printf(",\"synthetic\":%s,\"top\":[", synthetic ? "true" : "false");
            for (int32_t j = 0; j < n; j++) {
                printf("%s{\"class\":%d,\"label\":", j ? "," : "", (int)classes[j]);
                json_string(stdout, label_of(m, classes[j], buf, sizeof buf));
                printf(",\"probability\":%.6g}", (double)probs[j]);
            }
            printf("]}\n");
        } else {
            char buf[32];
            printf("%s:", file);
            for (int32_t j = 0; j < n; j++)
                printf("%s %.4f %s (%d)", j ? "," : "", (double)probs[j],
                       label_of(m, classes[j], buf, sizeof buf), (int)classes[j]);
            printf("\n");
        }
        fflush(stdout);
        progress(i + 1, a->n_files, show);
    }
    report_rate(a, "classified", failed, now_s() - t0);
    free(classes);
    free(probs);
    inception_session_free(s);
    inception_model_free(m);
    if (ferror(stdout)) return EXIT_OUTPUT;
    return failed ? EXIT_SOME_FAILED : EXIT_OK;
}

/* --- features ---------------------------------------------------------------------- */

/* RFC 4180: quote a field holding a comma, quote or line break. */
static void csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int write_npy_header(FILE *f, int rows, int cols) {
    char dict[128];
    int n = snprintf(dict, sizeof dict,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows,
                     cols);
    int total = 10 + n + 1;
    int pad = (64 - total % 64) % 64;
    unsigned hlen = (unsigned)(n + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc((int)(hlen & 0xFF), f);
    fputc((int)(hlen >> 8), f);
    fwrite(dict, 1, (size_t)n, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    return !ferror(f);
}

static int cmd_features(const args *a) {
    if (a->n_files == 0) {
        fprintf(stderr, "%s features: no images given\n", prog);
        return EXIT_USAGE;
    }
    int npy = !strcmp(a->format, "npy");
    FILE *out = stdout;
    if (strcmp(a->out, "-")) {
        out = fopen(a->out, npy ? "wb" : "w");
        if (!out) {
            fprintf(stderr, "%s: cannot write %s: %s\n", prog, a->out, strerror(errno));
            return EXIT_OUTPUT;
        }
    } else if (npy && isatty(1)) {
        fprintf(stderr, "%s: not writing binary .npy to a terminal; use -o FILE or "
                        "--format csv\n", prog);
        return EXIT_USAGE;
    }
    char cache[4096];
    const char *path = NULL;
    inception_model *m = NULL;
    inception_session *s = NULL;
    inception_tensor *input = NULL;
    int rc = open_session(a, INCEPTION_OUTPUT_FEATURES, 0, cache, sizeof cache, &path, &m, &s,
                          NULL);
    if (rc == EXIT_OK &&
        inception_model_create_input(m, 1, INCEPTION_LAYOUT_NCHW, &input) != INCEPTION_OK) {
        fprintf(stderr, "%s: cannot start: %s\n", prog, inception_last_error());
        inception_session_free(s);
        inception_model_free(m);
        rc = EXIT_MODEL;
    }
    if (rc != EXIT_OK) {
        if (out != stdout) fclose(out);
        return rc;
    }
    if (is_synthetic(m)) warn_synthetic(path);
    int64_t dim = 2048;
    inception_model_info_int(m, INCEPTION_INFO_FEATURES, &dim);
    int ok = npy ? write_npy_header(out, a->n_files, (int)dim) : 1;
    float *row = malloc(sizeof(float) * (size_t)dim);
    int failed = 0, show = !a->quiet && isatty(2) && a->n_files > 1;
    double t0 = now_s();
    for (int i = 0; ok && row && i < a->n_files; i++) {
        const char *file = a->files[i];
        inception_image *img = NULL;
        const inception_tensor *feat = NULL;
        inception_status st = inception_image_decode_file(file, NULL, &img);
        if (st == INCEPTION_OK) st = inception_image_preprocess(m, img, input, 0);
        if (st == INCEPTION_OK) st = inception_session_run(s, input);
        if (st == INCEPTION_OK) st = inception_session_output(s, INCEPTION_OUTPUT_FEATURES, &feat);
        inception_image_free(img);
        if (show) fputs("\r\033[K", stderr);
        if (st != INCEPTION_OK) {
            /* A NaN row keeps row i aligned with input i. */
            report_error(file, inception_last_error());
            failed++;
            for (int64_t j = 0; j < dim; j++) row[j] = NAN;
        } else {
            memcpy(row, inception_tensor_data(feat), sizeof(float) * (size_t)dim);
        }
        if (npy) {
            ok = fwrite(row, sizeof(float), (size_t)dim, out) == (size_t)dim;
        } else {
            csv_field(out, file);
            for (int64_t j = 0; j < dim; j++) fprintf(out, ",%.9g", (double)row[j]);
            fputc('\n', out);
            ok = !ferror(out);
        }
        progress(i + 1, a->n_files, show);
    }
    double dt = now_s() - t0;
    free(row);
    if (out != stdout) {
        if (fclose(out) != 0) ok = 0;
    } else if (fflush(out) != 0) {
        ok = 0;
    }
    report_rate(a, "embedded", failed, dt);
    inception_tensor_free(input);
    inception_session_free(s);
    inception_model_free(m);
    if (!ok) {
        fprintf(stderr, "%s: error writing %s\n", prog, a->out);
        return EXIT_OUTPUT;
    }
    return failed ? EXIT_SOME_FAILED : EXIT_OK;
}

/* --- info -------------------------------------------------------------------------- */

static int cmd_info(const args *a) {
    if (a->n_files != 1) {
        fprintf(stderr, "%s info: give exactly one MODEL file\n", prog);
        return EXIT_USAGE;
    }
    const char *path = a->files[0];
    inception_model *m = load_model(path, NULL);
    if (!m) return EXIT_MODEL;
    int64_t v[14] = {0};
    for (int k = INCEPTION_INFO_CLASSES; k <= INCEPTION_INFO_SYNTHETIC; k++)
        inception_model_info_int(m, (inception_model_info)k, &v[k]);
    const char *s[5] = {"", "", "", "", ""};
    for (int k = INCEPTION_INFO_BACKEND; k <= INCEPTION_INFO_NAME; k++)
        if (inception_model_info_string(m, (inception_model_info_str)k, &s[k]) != INCEPTION_OK)
            s[k] = "?";
    printf("file:              %s\n", path);
    printf("name:              %s\n", s[INCEPTION_INFO_NAME][0] ? s[INCEPTION_INFO_NAME] : "-");
    printf("backend:           %s\n", s[INCEPTION_INFO_BACKEND]);
    printf("preset:            %s\n", s[INCEPTION_INFO_PRESET]);
    printf("normalization:     %s\n", s[INCEPTION_INFO_NORMALIZATION]);
    printf("input:             %" PRId64 "x%" PRId64 " (minimum %" PRId64 ")\n",
           v[INCEPTION_INFO_INPUT_HEIGHT], v[INCEPTION_INFO_INPUT_WIDTH],
           v[INCEPTION_INFO_MIN_INPUT_SIZE]);
    printf("classes:           %" PRId64 " (label offset %" PRId64 ")\n",
           v[INCEPTION_INFO_CLASSES], v[INCEPTION_INFO_LABEL_OFFSET]);
    printf("labels:            %s\n", v[INCEPTION_INFO_HAS_LABELS]
                                          ? "from the file's metadata"
                                          : "built-in ImageNet-1k names");
    printf("features:          %" PRId64 "\n", v[INCEPTION_INFO_FEATURES]);
    printf("parameters:        %" PRId64 "\n", v[INCEPTION_INFO_PARAMETERS]);
    printf("aux head:          %s\n", v[INCEPTION_INFO_HAS_AUX] ? "yes" : "no");
    printf("avgpool with pad:  %s\n", v[INCEPTION_INFO_POOL_INCLUDE_PAD] ? "yes" : "no");
    printf("batchnorm gamma:   %s\n", v[INCEPTION_INFO_BN_HAS_GAMMA] ? "yes" : "no");
    printf("crc32:             %08" PRIx64 "\n", v[INCEPTION_INFO_CRC32]);
    printf("synthetic:         %s\n", v[INCEPTION_INFO_SYNTHETIC]
                                          ? "yes (generated weights: labels are meaningless)"
                                          : "no");
    inception_model_free(m);
    return ferror(stdout) ? EXIT_OUTPUT : EXIT_OK;
}

/* --- bench ------------------------------------------------------------------------- */

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int cmd_bench(const args *a) {
    if (a->n_files) {
        fprintf(stderr, "%s bench: unexpected argument %s\n", prog, a->files[0]);
        return EXIT_USAGE;
    }
    char cache[4096];
    const char *path = NULL;
    inception_model *m = NULL;
    inception_session *s = NULL;
    double load_ms = 0;
    int rc = open_session(a, 0, a->profile, cache, sizeof cache, &path, &m, &s, &load_ms);
    if (rc != EXIT_OK) return rc;
    int64_t h = a->size_h, w = a->size_w;
    if (!h) inception_model_info_int(m, INCEPTION_INFO_INPUT_HEIGHT, &h);
    if (!w) inception_model_info_int(m, INCEPTION_INFO_INPUT_WIDTH, &w);
    int64_t dims[4] = {a->batch, 3, h, w};
    inception_tensor *input = NULL;
    rc = EXIT_OK;
    double *times = calloc((size_t)a->runs, sizeof(double));
    if (!times || inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims, 4,
                                          &input) != INCEPTION_OK) {
        fprintf(stderr, "%s: cannot make a %" PRId64 "x3x%" PRId64 "x%" PRId64 " input: %s\n",
                prog, dims[0], h, w, inception_last_error());
        rc = EXIT_USAGE;
        goto out;
    }
    float *x = inception_tensor_data(input);
    size_t n = inception_tensor_byte_size(input) / sizeof(float);
    uint32_t r = 12345;
    for (size_t i = 0; i < n; i++) {
        r = r * 1664525u + 1013904223u;
        x[i] = (float)(r >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
    }
    /* The first run plans memory for the shape: warm-up, not timed. */
    if (inception_session_run(s, input) != INCEPTION_OK) {
        fprintf(stderr, "%s: run failed: %s\n", prog, inception_session_last_error(s));
        rc = EXIT_SOME_FAILED;
        goto out;
    }
    for (int i = 0; i < a->runs; i++) {
        double t0 = now_s();
        if (inception_session_run(s, input) != INCEPTION_OK) {
            fprintf(stderr, "%s: run failed: %s\n", prog, inception_session_last_error(s));
            rc = EXIT_SOME_FAILED;
            goto out;
        }
        times[i] = now_s() - t0;
    }
    qsort(times, (size_t)a->runs, sizeof(double), cmp_double);
    double med = a->runs % 2 ? times[a->runs / 2]
                             : 0.5 * (times[a->runs / 2 - 1] + times[a->runs / 2]);
    const char *backend = "?";
    inception_model_info_string(m, INCEPTION_INFO_BACKEND, &backend);
    printf("model %s, backend %s, input %dx3x%" PRId64 "x%" PRId64 ", threads %d, %d runs\n",
           path, backend, a->batch, h, w, a->threads, a->runs);
    int64_t mem = 0;
    inception_session_memory(s, &mem);
    printf("model load %.1f ms (parse, BatchNorm folding, weight packing); session memory %.2f MiB\n",
           load_ms, (double)mem / 1048576.0);
    printf("latency median %.3f ms, min %.3f ms; %.2f images/s\n", med * 1e3, times[0] * 1e3,
           med > 0 ? a->batch / med : 0.0);
    /* One machine-readable line, in the same form as the peers' scripts print. */
    printf("RESULT peer=libinception backend=%s threads=%d batch=%d size=%" PRId64 "x%" PRId64
           " runs=%d median_ms=%.3f ms_per_img=%.3f img_per_s=%.2f min_ms=%.3f load_ms=%.1f"
           " memory_mib=%.2f\n",
           backend, a->threads, a->batch, h, w, a->runs, med * 1e3, med * 1e3 / a->batch,
           med > 0 ? a->batch / med : 0.0, times[0] * 1e3, load_ms, (double)mem / 1048576.0);
    if (a->profile) {
        /* Per op kind over the last run. Times are thread time summed over the parallel
         * parts of a layer, so GFLOP/s here is per busy thread. */
        enum { MAXK = 32 };
        const char *kinds[MAXK];
        double ms[MAXK] = {0}, macs[MAXK] = {0};
        int layers[MAXK] = {0}, nk = 0;
        double total_ms = 0;
        for (int32_t i = 0;; i++) {
            const char *kind = NULL;
            int64_t mac = 0;
            double t = 0;
            if (inception_session_profile(s, i, NULL, &kind, &mac, &t) != INCEPTION_OK) break;
            int j = 0;
            while (j < nk && strcmp(kinds[j], kind)) j++;
            if (j == nk) {
                if (nk == MAXK) continue;
                kinds[nk++] = kind;
            }
            ms[j] += t;
            macs[j] += (double)mac;
            layers[j]++;
            total_ms += t;
        }
        printf("%-12s %6s %10s %6s %10s %9s\n", "kind", "layers", "ms", "%", "GMAC",
               "GFLOP/s");
        for (int j = 0; j < nk; j++)
            printf("%-12s %6d %10.3f %6.1f %10.3f %9.1f\n", kinds[j], layers[j], ms[j],
                   total_ms > 0 ? 100.0 * ms[j] / total_ms : 0.0, macs[j] * 1e-9,
                   ms[j] > 0 ? 2.0 * macs[j] / (ms[j] * 1e-3) * 1e-9 : 0.0);
        if (nk == 0) printf("(no profile: the session reported no layers)\n");
    }
out:
    free(times);
    inception_tensor_free(input);
    inception_session_free(s);
    inception_model_free(m);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("inception %s\n", inception_version_string());
        return EXIT_OK;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return EXIT_OK;
        }
    args a;
    if (!parse_args(argc, argv, 2, &a)) {
        free(a.files);
        usage(stderr);
        return EXIT_USAGE;
    }
    int rc;
    if (!strcmp(cmd, "classify")) rc = cmd_classify(&a);
    else if (!strcmp(cmd, "features")) rc = cmd_features(&a);
    else if (!strcmp(cmd, "info")) rc = cmd_info(&a);
    else if (!strcmp(cmd, "bench")) rc = cmd_bench(&a);
    else {
        fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
        usage(stderr);
        rc = EXIT_USAGE;
    }
    free(a.files);
    return rc;
}

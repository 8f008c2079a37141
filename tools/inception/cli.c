/* Shared by the subcommands of the `inception` tool: argument parsing, finding and opening
 * the model, and the output helpers (JSON strings, progress, error lines). Public API only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <inception/inception.h>

#include "cli.h"

const char *const cli_prog = "inception";

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cli_parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

int cli_parse_args(int argc, char **argv, int first, cli_args *a) {
    memset(a, 0, sizeof *a);
    a->top = 5;
    a->format = "npy";
    a->out = "-";
    a->size_h = a->size_w = 0;
    a->batch = 1;
    a->runs = 10;
    a->pool_include_pad = -1;
    a->files = calloc((size_t)argc + 1, sizeof *a->files);
    if (!a->files) return 0;
    for (int i = first; i < argc; i++) {
        const char *s = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(s, "--model") && v) a->model = v;
        else if (!strcmp(s, "--top") && v) {
            if (!cli_parse_int(v, 1, 1000000, &a->top)) goto bad_value;
        } else if (!strcmp(s, "--threads") && v) {
            if (!cli_parse_int(v, 0, 4096, &a->threads)) goto bad_value;
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
            if (!cli_parse_int(v, 1, 4096, &a->batch)) goto bad_value;
        } else if (!strcmp(s, "--runs") && v) {
            if (!cli_parse_int(v, 1, 1000000, &a->runs)) goto bad_value;
        } else if (!strcmp(s, "--labels") && v) a->labels = v;
        else if (!strcmp(s, "--preset") && v) a->preset = v;
        else if (!strcmp(s, "--mean") && v) a->mean = v;
        else if (!strcmp(s, "--std") && v) a->std = v;
        else if (!strcmp(s, "--pool-include-pad") && v) {
            if (!cli_parse_int(v, 0, 1, &a->pool_include_pad)) goto bad_value;
        } else {
            takes = 0;
            if (!strcmp(s, "--json")) a->json = 1;
            else if (!strcmp(s, "--profile")) a->profile = 1;
            else if (!strcmp(s, "--quiet") || !strcmp(s, "-q")) a->quiet = 1;
            else if (!strcmp(s, "--")) {
                for (i++; i < argc; i++) a->files[a->n_files++] = argv[i];
            } else if (s[0] == '-' && s[1] != '\0') {
                fprintf(stderr, "%s: unknown option or missing value: %s\n", cli_prog, s);
                return 0;
            } else {
                a->files[a->n_files++] = argv[i];
            }
        }
        i += takes;
        continue;
    bad_value:
        fprintf(stderr, "%s: bad value for %s: '%s'\n", cli_prog, s, v);
        return 0;
    }
    return 1;
}

/* --- model resolution and opening ------------------------------------------------ */

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
            cli_prog, buf[0] ? buf : "$XDG_CACHE_HOME or $HOME/.cache/inception/...",
            buf[0] ? "no such file" : "neither variable set");
    return NULL;
}

inception_options *cli_make_options(const cli_args *a) {
    inception_options *o = NULL;
    if (inception_options_create(&o) != INCEPTION_OK) return NULL;
    /* each value is checked by the library when set: its message names the problem */
    const struct {
        const char *flag, *value;
        inception_option key;
    } strings[] = {
        {"--labels", a->labels, INCEPTION_OPT_LABELS_FILE},
        {"--preset", a->preset, INCEPTION_OPT_PRESET},
        {"--mean", a->mean, INCEPTION_OPT_MEAN},
        {"--std", a->std, INCEPTION_OPT_STD},
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (strings[i].value &&
            inception_options_set_string(o, strings[i].key, strings[i].value) != INCEPTION_OK) {
            fprintf(stderr, "%s: %s %s: %s\n", cli_prog, strings[i].flag, strings[i].value,
                    inception_last_error());
            inception_options_free(o);
            return NULL;
        }
    if (a->pool_include_pad >= 0 &&
        inception_options_set_int(o, INCEPTION_OPT_POOL_INCLUDE_PAD, a->pool_include_pad) !=
            INCEPTION_OK) {
        fprintf(stderr, "%s: --pool-include-pad: %s\n", cli_prog, inception_last_error());
        inception_options_free(o);
        return NULL;
    }
    if (a->backend &&
        inception_options_set_string(o, INCEPTION_OPT_BACKEND, a->backend) != INCEPTION_OK) {
        fprintf(stderr, "%s: --backend %s: %s\n", cli_prog, a->backend, inception_last_error());
        inception_options_free(o);
        return NULL;
    }
    if (inception_options_set_int(o, INCEPTION_OPT_THREADS, a->threads) != INCEPTION_OK) {
        fprintf(stderr, "%s: --threads: %s\n", cli_prog, inception_last_error());
        inception_options_free(o);
        return NULL;
    }
    return o;
}

inception_model *cli_load_model(const char *path, const inception_options *o) {
    inception_model *m = NULL;
    inception_status st = inception_model_load_file(path, o, &m);
    if (st != INCEPTION_OK) {
        fprintf(stderr, "%s: cannot load model %s: %s (%s)\n", cli_prog, path,
                inception_last_error(), inception_status_string(st));
        return NULL;
    }
    return m;
}

/* Resolve and load the model, then make a session with the command's options plus
 * `outputs` (0: the default set) and `profile`. Prints why on failure and returns the
 * command's exit code (EXIT_OK on success). */
int cli_open_session(const cli_args *a, int64_t outputs, int profile, char *cache,
                        size_t cache_size, const char **path, inception_model **model,
                        inception_session **session, double *load_ms) {
    *path = resolve_model(a->model, cache, cache_size);
    if (!*path) return EXIT_MODEL;
    inception_options *o = cli_make_options(a);
    if (!o) return EXIT_USAGE;
    if ((outputs && inception_options_set_int(o, INCEPTION_OPT_OUTPUTS, outputs)) ||
        (profile && inception_options_set_int(o, INCEPTION_OPT_PROFILE, 1))) {
        fprintf(stderr, "%s: %s\n", cli_prog, inception_last_error());
        inception_options_free(o);
        return EXIT_USAGE;
    }
    double t0 = cli_now();
    inception_model *m = cli_load_model(*path, o);
    if (load_ms) *load_ms = (cli_now() - t0) * 1e3;
    inception_session *s = NULL;
    if (m && inception_session_create(m, o, &s) != INCEPTION_OK) {
        fprintf(stderr, "%s: cannot create a session: %s\n", cli_prog, inception_last_error());
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
void cli_report_rate(const cli_args *a, const char *done, int failed, double seconds) {
    if (a->quiet) return;
    fprintf(stderr, "%s: %s %d of %d images in %.3f s (%.2f images/s)\n", cli_prog, done,
            a->n_files - failed, a->n_files, seconds,
            seconds > 0 ? (a->n_files - failed) / seconds : 0.0);
}

int cli_is_synthetic(const inception_model *m) {
    int64_t v = 0;
    return inception_model_info_int(m, INCEPTION_INFO_SYNTHETIC, &v) == INCEPTION_OK && v == 1;
}

void cli_warn_synthetic(const char *path) {
    fprintf(stderr,
            "%s: warning: %s holds generated (synthetic) weights, not trained ones: its "
            "classes, labels and features are meaningless.\n", cli_prog, path);
}

/* --- output helpers ---------------------------------------------------------------- */

void cli_json_string(FILE *f, const char *s) {
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

void cli_progress(int done, int total, int enabled) {
    if (!enabled) return;
    int width = 30, fill = total ? done * width / total : width;
    fprintf(stderr, "\r[%.*s%*s] %d/%d", fill, "==============================",
            width - fill, "", done, total);
    if (done == total) fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* Library messages for file calls usually name the file already. */
void cli_report_error(const char *file, const char *msg) {
    if (strstr(msg, file)) fprintf(stderr, "%s: %s\n", cli_prog, msg);
    else fprintf(stderr, "%s: %s: %s\n", cli_prog, file, msg);
}

const char *cli_label_of(const inception_model *m, int32_t cls, char *buf, size_t n) {
    const char *l = NULL;
    if (inception_model_label(m, cls, &l) == INCEPTION_OK && l) return l;
    snprintf(buf, n, "class %d", (int)cls);
    return buf;
}

const char *cli_label_or_null(const inception_model *m, int32_t cls) {
    const char *l = NULL;
    return inception_model_label(m, cls, &l) == INCEPTION_OK ? l : NULL;
}

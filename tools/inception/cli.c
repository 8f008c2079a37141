/* Shared by the subcommands of the `inception` tool: argument parsing, finding and opening
 * the model, and the output helpers (JSON strings, progress, error lines). Public API only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* --- model resolution and opening ------------------------------------------------ */

static int is_file(const char *p) {
    struct stat sb;
    return p && stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The model path to use, or NULL after printing every place that was tried. */
const char *cli_resolve_model(const char *given, char *buf, size_t n, int quiet) {
    if (given) return given; /* an explicit path is reported by the loader if wrong */
    const char *env = getenv("INCEPTION_MODEL");
    if (env && *env) return env;
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg) snprintf(buf, n, "%s/inception/inception_v3.safetensors", xdg);
    else if (home && *home) snprintf(buf, n, "%s/.cache/inception/inception_v3.safetensors", home);
    else buf[0] = '\0';
    if (buf[0] && is_file(buf)) return buf;
    if (quiet) return NULL;
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
    if (inception_options_create(&o) != INCEPTION_OK) {
        fprintf(stderr, "%s: %s\n", cli_prog, inception_last_error());
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
    for (int i = 0; i < a->n_libopts; i++) {
        const cli_libopt *l = &a->libopts[i];
        inception_status st = l->is_string ? inception_options_set_string(o, l->key, l->s)
                                           : inception_options_set_int(o, l->key, l->i);
        if (st != INCEPTION_OK) {
            fprintf(stderr, "%s: --%s %s: %s\n", cli_prog, l->flag, l->s,
                    inception_last_error());
            inception_options_free(o);
            return NULL;
        }
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
    *path = cli_resolve_model(a->model, cache, cache_size, 0);
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
void cli_report_rate(const cli_args *a, const char *done, size_t ok, size_t total,
                     double seconds) {
    if (a->quiet) return;
    fprintf(stderr, "%s: %s %zu of %zu images in %.3f s (%.2f images/s)\n", cli_prog, done,
            ok, total, seconds, seconds > 0 ? (double)ok / seconds : 0.0);
}

int cli_thread_count(int threads) {
    if (threads > 0) return threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN); /* what the library uses for 0 */
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

const char *cli_isa(const inception_model *m) {
    const char *s = NULL;
    if (inception_model_info_string(m, INCEPTION_INFO_ISA, &s) == INCEPTION_OK && s && *s)
        return s;
    return NULL;
}

/* The same rule as the library's classify (docs/preprocessing.md): the resize target of
 * the crop presets, the larger output side for the whole-image presets. */
int32_t cli_decode_min_side(const inception_model *m) {
    const char *preset = NULL;
    int64_t h = 0, w = 0;
    if (inception_model_info_string(m, INCEPTION_INFO_PRESET, &preset) != INCEPTION_OK ||
        inception_model_info_int(m, INCEPTION_INFO_INPUT_HEIGHT, &h) != INCEPTION_OK ||
        inception_model_info_int(m, INCEPTION_INFO_INPUT_WIDTH, &w) != INCEPTION_OK)
        return 0;
    int64_t s = h > w ? h : w;
    if (!strcmp(preset, "torchvision")) return (int32_t)((s * 342 * 2 + 299) / (2 * 299));
    if (!strcmp(preset, "timm")) return (int32_t)(s * 8 / 7);
    if (!strcmp(preset, "tf")) return (int32_t)((s * 8 + 6) / 7);
    if (!strcmp(preset, "resize") || !strcmp(preset, "unit")) return (int32_t)s;
    return 0;
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

void cli_progress_start(cli_progress *p, const cli_args *a, size_t total) {
    memset(p, 0, sizeof *p);
    p->total = total;
    p->enabled = a->progress >= 0 ? a->progress : !a->quiet && isatty(2) && total > 1;
    p->t0 = p->last = cli_now();
}

/* "[=====     ] 12/40  3.1 images/s  ETA 0:09", redrawn at most 10 times a second. */
void cli_progress_update(cli_progress *p, size_t done) {
    if (!p->enabled) return;
    double now = cli_now();
    if (p->drawn && done < p->total && now - p->last < 0.1) return;
    p->last = now;
    double el = now - p->t0, rate = el > 0 ? (double)done / el : 0.0;
    size_t width = 30, fill = p->total ? done * width / p->total : width;
    fprintf(stderr, "\r\033[K[%.*s%*s] %zu/%zu", (int)fill, "==============================",
            (int)(width - fill), "", done, p->total);
    if (done > 0 && rate > 0) {
        long eta = (long)((double)(p->total - done) / rate + 0.5);
        fprintf(stderr, "  %.1f images/s  ETA %ld:%02ld", rate, eta / 60, eta % 60);
    }
    fflush(stderr);
    p->drawn = 1;
}

void cli_progress_clear(cli_progress *p) {
    if (!p->enabled || !p->drawn) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->drawn = 0;
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

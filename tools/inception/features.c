/* inception features: the pooled features of each image as .npy or CSV, one row per image. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <inception/inception.h>

#include "cli.h"

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

typedef struct ctx {
    const cli_args *a;
    const cli_inputs *in;
    inception_session *s;
    FILE *out;
    int npy;
    int64_t dim;
    float *row;
} ctx;

static int on_batch(void *arg, cli_batch *b) {
    ctx *c = arg;
    const float *f = NULL;
    if (b->n_images > 0) {
        const inception_tensor *feat = NULL;
        inception_status st = inception_session_run(c->s, b->input);
        if (st == INCEPTION_OK)
            st = inception_session_output(c->s, INCEPTION_OUTPUT_FEATURES, &feat);
        if (st == INCEPTION_OK) {
            f = inception_tensor_data(feat);
        } else {
            const char *msg = inception_session_last_error(c->s);
            if (!*msg) msg = inception_last_error();
            for (int i = 0; i < b->n_items; i++)
                if (b->items[i].status == INCEPTION_OK) {
                    b->items[i].status = st;
                    snprintf(b->items[i].message, CLI_MSG_MAX, "%s: %s",
                             c->in->v[b->items[i].input].path, msg);
                }
        }
    }
    for (int i = 0; i < b->n_items; i++) {
        const cli_item *it = &b->items[i];
        const char *file = c->in->v[it->input].path;
        const float *row = c->row;
        if (it->status != INCEPTION_OK) {
            /* A NaN row keeps row i aligned with input i. */
            cli_report_error(file, it->message);
            for (int64_t j = 0; j < c->dim; j++) c->row[j] = NAN;
        } else {
            row = f + (size_t)it->slot * (size_t)c->dim;
        }
        if (c->npy) {
            if (fwrite(row, sizeof(float), (size_t)c->dim, c->out) != (size_t)c->dim)
                return EXIT_OUTPUT;
        } else {
            csv_field(c->out, file);
            for (int64_t j = 0; j < c->dim; j++) fprintf(c->out, ",%.9g", (double)row[j]);
            fputc('\n', c->out);
        }
    }
    return ferror(c->out) ? EXIT_OUTPUT : EXIT_OK;
}

static int run(const cli_args *a) {
    cli_inputs in;
    int some_failed = 0;
    int rc = cli_inputs_collect(a, &in, &some_failed);
    if (rc != EXIT_OK) {
        cli_inputs_free(&in);
        return rc;
    }
    int npy = !strcmp(a->format, "npy");
    FILE *out = stdout;
    if (strcmp(a->out, "-")) {
        out = fopen(a->out, npy ? "wb" : "w");
        if (!out) {
            fprintf(stderr, "%s: cannot write %s: %s\n", cli_prog, a->out, strerror(errno));
            cli_inputs_free(&in);
            return EXIT_OUTPUT;
        }
    } else if (npy && isatty(1)) {
        fprintf(stderr, "%s: not writing binary .npy to a terminal; use -o FILE or "
                        "--format csv\n", cli_prog);
        cli_inputs_free(&in);
        return EXIT_USAGE;
    }
    char cache[4096];
    const char *path = NULL;
    inception_model *m = NULL;
    inception_session *s = NULL;
    rc = cli_open_session(a, INCEPTION_OUTPUT_FEATURES, 0, cache, sizeof cache, &path, &m, &s,
                          NULL);
    if (rc != EXIT_OK) {
        if (out != stdout) fclose(out);
        cli_inputs_free(&in);
        return rc;
    }
    if (cli_is_synthetic(m)) cli_warn_synthetic(path);
    ctx c = {.a = a, .in = &in, .s = s, .out = out, .npy = npy, .dim = 2048};
    inception_model_info_int(m, INCEPTION_INFO_FEATURES, &c.dim);
    c.row = malloc(sizeof(float) * (size_t)c.dim);
    /* features decode at full resolution (the reference pipeline, no DCT scaling) */
    inception_options *dopts = cli_make_options(a);
    int ok = c.row && dopts;
    if (!ok) fprintf(stderr, "%s: out of memory\n", cli_prog);
    if (ok && npy) ok = write_npy_header(out, (int)in.n, (int)c.dim);
    cli_pipeline_stats stats = {0};
    if (ok && in.n) rc = cli_pipeline_run(a, m, dopts, &in, on_batch, &c, &stats);
    if (rc == EXIT_OUTPUT) ok = 0;
    free(c.row);
    inception_options_free(dopts);
    if (out != stdout) {
        if (fclose(out) != 0) ok = 0;
    } else if (fflush(out) != 0) {
        ok = 0;
    }
    if (ok && rc == EXIT_OK)
        cli_report_rate(a, "embedded", stats.done - stats.failed, stats.done, stats.seconds);
    inception_session_free(s);
    inception_model_free(m);
    cli_inputs_free(&in);
    if (!ok) {
        fprintf(stderr, "%s: error writing %s\n", cli_prog, a->out);
        return EXIT_OUTPUT;
    }
    if (rc != EXIT_OK) return rc;
    return stats.failed || some_failed ? EXIT_SOME_FAILED : EXIT_OK;
}

const cli_command cli_cmd_features = {
    "features",
    "Write the pooled features (2048 per image, before the classifier) of each image.",
    "IMAGE...",
    "Inputs as for classify ('-', pipes, -r directories, --files-from). Row i is input i;\n"
    "an image that fails gets a row of NaN and the exit code is 1. npy: float32\n"
    "little-endian [images, 2048] (not written to a terminal); csv: file,f0,...,f2047.\n"
    "Images decode at full resolution (no DCT scaling).",
    "inception features -o feats.npy photo1.jpg photo2.png\n"
    "inception features --format=csv -r photos/ > feats.csv",
    run,
};

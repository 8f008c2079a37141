/* inception features: the pooled features of each image as .npy or CSV, one row per image. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    FILE *index;      /* --shard: the JSON Lines index being written, else NULL */
    size_t first;     /* --shard: input position of this shard's first image */
} ctx;

/* One index line of a shard: the format inception.distributed writes and loads. */
static void index_line(const ctx *c, const cli_item *it) {
    const char *file = c->in->v[it->input].path;
    char hex[65];
    fprintf(c->index, "{\"i\": %zu, \"path\": ", c->first + it->input);
    cli_json_string(c->index, file);
    fputs(", \"sha256\": ", c->index);
    if (strcmp(file, "-") && cli_sha256_file(file, hex)) fprintf(c->index, "\"%s\"", hex);
    else fputs("null", c->index);
    if (it->status == INCEPTION_OK) {
        fputs(", \"status\": \"ok\", \"error\": null}\n", c->index);
    } else {
        fputs(", \"status\": \"error\", \"error\": ", c->index);
        cli_json_string(c->index, it->message);
        fputs("}\n", c->index);
    }
}

static int on_batch(void *arg, cli_batch *b) {
    ctx *c = arg;
    const float *f = NULL;
    const inception_tensor *feat = cli_batch_run(c->s, b, c->in, INCEPTION_OUTPUT_FEATURES);
    if (feat) f = inception_tensor_data(feat);
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
        if (c->index) index_line(c, it);
        if (c->npy) {
            if (fwrite(row, sizeof(float), (size_t)c->dim, c->out) != (size_t)c->dim)
                return EXIT_OUTPUT;
        } else {
            csv_field(c->out, file);
            for (int64_t j = 0; j < c->dim; j++) fprintf(c->out, ",%.9g", (double)row[j]);
            fputc('\n', c->out);
        }
    }
    return ferror(c->out) || (c->index && ferror(c->index)) ? EXIT_OUTPUT : EXIT_OK;
}

/* --shard I/N: keep inputs [I*n/N, (I+1)*n/N) (the split of inception.distributed). */
static size_t keep_shard(const cli_args *a, cli_inputs *in) {
    size_t n = in->n, lo = (size_t)a->shard_i * n / (size_t)a->shard_n,
           hi = ((size_t)a->shard_i + 1) * n / (size_t)a->shard_n;
    for (size_t i = 0; i < n; i++)
        if (i < lo || i >= hi) free(in->v[i].path);
    memmove(in->v, in->v + lo, (hi - lo) * sizeof *in->v);
    in->n = hi - lo;
    return lo;
}

/* Paths of a shard's files and their temporary names (renamed into place when done,
 * .npy first: a shard whose .jsonl exists is complete). */
typedef struct shard_files {
    char npy[4096], jsonl[4096], npy_tmp[4200], jsonl_tmp[4200];
} shard_files;

static int shard_paths(const cli_args *a, shard_files *f) {
    if (mkdir(a->out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: cannot create %s: %s\n", cli_prog, a->out, strerror(errno));
        return 0;
    }
    int n1 = snprintf(f->npy, sizeof f->npy, "%s/shard-%05d-of-%05d.npy", a->out, a->shard_i,
                      a->shard_n);
    int n2 = snprintf(f->jsonl, sizeof f->jsonl, "%s/shard-%05d-of-%05d.jsonl", a->out,
                      a->shard_i, a->shard_n);
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof f->npy || (size_t)n2 >= sizeof f->jsonl) {
        fprintf(stderr, "%s: output directory name too long\n", cli_prog);
        return 0;
    }
    snprintf(f->npy_tmp, sizeof f->npy_tmp, "%s.tmp-%ld", f->npy, (long)getpid());
    snprintf(f->jsonl_tmp, sizeof f->jsonl_tmp, "%s.tmp-%ld", f->jsonl, (long)getpid());
    return 1;
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
    FILE *out = stdout, *index = NULL;
    size_t first = 0;
    shard_files sf;
    if (a->shard_n) {
        if (!strcmp(a->out, "-") || !npy) {
            fprintf(stderr, "%s: --shard writes .npy shards into a directory: give -o DIR "
                            "(and --format npy)\n", cli_prog);
            cli_inputs_free(&in);
            return EXIT_USAGE;
        }
        first = keep_shard(a, &in);
        if (!shard_paths(a, &sf)) {
            cli_inputs_free(&in);
            return EXIT_OUTPUT;
        }
        out = fopen(sf.npy_tmp, "wb");
        index = out ? fopen(sf.jsonl_tmp, "w") : NULL;
        if (!index) {
            fprintf(stderr, "%s: cannot write in %s: %s\n", cli_prog, a->out, strerror(errno));
            if (out) fclose(out);
            remove(sf.npy_tmp);
            cli_inputs_free(&in);
            return EXIT_OUTPUT;
        }
    } else if (strcmp(a->out, "-")) {
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
        if (index) {
            fclose(index);
            remove(sf.npy_tmp);
            remove(sf.jsonl_tmp);
        }
        cli_inputs_free(&in);
        return rc;
    }
    if (cli_is_synthetic(m)) cli_warn_synthetic(path);
    ctx c = {.a = a, .in = &in, .s = s, .out = out, .npy = npy, .dim = 2048, .index = index,
             .first = first};
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
    if (index) {
        if (fclose(index) != 0) ok = 0;
        /* a shard is published only whole: .npy, then the .jsonl that marks it done */
        if (ok && rc == EXIT_OK &&
            (rename(sf.npy_tmp, sf.npy) != 0 || rename(sf.jsonl_tmp, sf.jsonl) != 0))
            ok = 0;
        remove(sf.npy_tmp);
        remove(sf.jsonl_tmp);
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
    "inception features --format=csv -r photos/ > feats.csv\n"
    "inception features --files-from list.txt --shard 3/40 -o shards/",
    run,
};

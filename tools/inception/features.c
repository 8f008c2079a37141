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

static int run(const cli_args *a) {
    if (a->n_files == 0) {
        fprintf(stderr, "%s features: no images given\n", cli_prog);
        return EXIT_USAGE;
    }
    int npy = !strcmp(a->format, "npy");
    FILE *out = stdout;
    if (strcmp(a->out, "-")) {
        out = fopen(a->out, npy ? "wb" : "w");
        if (!out) {
            fprintf(stderr, "%s: cannot write %s: %s\n", cli_prog, a->out, strerror(errno));
            return EXIT_OUTPUT;
        }
    } else if (npy && isatty(1)) {
        fprintf(stderr, "%s: not writing binary .npy to a terminal; use -o FILE or "
                        "--format csv\n", cli_prog);
        return EXIT_USAGE;
    }
    char cache[4096];
    const char *path = NULL;
    inception_model *m = NULL;
    inception_session *s = NULL;
    inception_tensor *input = NULL;
    int rc = cli_open_session(a, INCEPTION_OUTPUT_FEATURES, 0, cache, sizeof cache, &path, &m, &s,
                          NULL);
    if (rc == EXIT_OK &&
        inception_model_create_input(m, 1, INCEPTION_LAYOUT_NCHW, &input) != INCEPTION_OK) {
        fprintf(stderr, "%s: cannot start: %s\n", cli_prog, inception_last_error());
        inception_session_free(s);
        inception_model_free(m);
        rc = EXIT_MODEL;
    }
    if (rc != EXIT_OK) {
        if (out != stdout) fclose(out);
        return rc;
    }
    if (cli_is_synthetic(m)) cli_warn_synthetic(path);
    int64_t dim = 2048;
    inception_model_info_int(m, INCEPTION_INFO_FEATURES, &dim);
    int ok = npy ? write_npy_header(out, a->n_files, (int)dim) : 1;
    float *row = malloc(sizeof(float) * (size_t)dim);
    int failed = 0, show = !a->quiet && isatty(2) && a->n_files > 1;
    double t0 = cli_now();
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
            cli_report_error(file, inception_last_error());
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
        cli_progress(i + 1, a->n_files, show);
    }
    double dt = cli_now() - t0;
    free(row);
    if (out != stdout) {
        if (fclose(out) != 0) ok = 0;
    } else if (fflush(out) != 0) {
        ok = 0;
    }
    cli_report_rate(a, "embedded", failed, dt);
    inception_tensor_free(input);
    inception_session_free(s);
    inception_model_free(m);
    if (!ok) {
        fprintf(stderr, "%s: error writing %s\n", cli_prog, a->out);
        return EXIT_OUTPUT;
    }
    return failed ? EXIT_SOME_FAILED : EXIT_OK;
}

const cli_command cli_cmd_features = {
    "features",
    "features [--model M] [--format npy|csv] [-o OUT] [--threads N]\n"
    "                          [--backend B] [--quiet] [load options] IMAGE...\n",
    run,
};

/* inception quantize: post-training int8 quantisation of a float model (docs/int8.md). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <inception/inception.h>

#include "cli.h"

static int is_image(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png"));
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int run(const cli_args *a) {
    if (a->n_files != 1 || !a->calibrate || !a->out) {
        fprintf(stderr, "%s quantize: usage: quantize MODEL --calibrate DIR -o OUT.safetensors\n",
                cli_prog);
        return EXIT_USAGE;
    }
    DIR *d = opendir(a->calibrate);
    if (!d) {
        fprintf(stderr, "%s quantize: cannot open the calibration directory %s\n", cli_prog,
                a->calibrate);
        return EXIT_USAGE;
    }
    char **paths = NULL;
    size_t n = 0, cap = 0;
    int oom = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || !is_image(e->d_name)) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **np = realloc(paths, cap * sizeof *np);
            if (!np) { oom = 1; break; }
            paths = np;
        }
        size_t len = strlen(a->calibrate) + strlen(e->d_name) + 2;
        if (!(paths[n] = malloc(len))) { oom = 1; break; }
        snprintf(paths[n++], len, "%s/%s", a->calibrate, e->d_name);
    }
    closedir(d);
    int rc = EXIT_OK;
    if (oom) {
        fprintf(stderr, "%s quantize: out of memory\n", cli_prog);
        rc = EXIT_MODEL;
    } else if (n == 0) {
        fprintf(stderr, "%s quantize: no .jpg/.jpeg/.png images in %s\n", cli_prog, a->calibrate);
        rc = EXIT_USAGE;
    }
    inception_options *o = rc ? NULL : cli_make_options(a);
    if (!rc && !o) rc = EXIT_USAGE;
    inception_model *m = NULL;
    if (!rc) {
        qsort(paths, n, sizeof *paths, cmp);
        inception_options_set_string(o, INCEPTION_OPT_PRECISION, "float");
        m = cli_load_model(a->files[0], o);
        if (!m) rc = EXIT_MODEL;
    }
    if (!rc) {
        double t0 = cli_now();
        inception_status st = inception_quantize(m, (const char *const *)paths, n, o, a->out);
        if (st) {
            fprintf(stderr, "%s quantize: %s\n", cli_prog, inception_last_error());
            rc = st == INCEPTION_ERR_IO ? EXIT_OUTPUT : EXIT_MODEL;
        } else if (!a->quiet) {
            fprintf(stderr, "%s quantize: calibrated on %zu images in %.1f s, wrote %s\n",
                    cli_prog, n, cli_now() - t0, a->out);
        }
    }
    inception_model_free(m);
    inception_options_free(o);
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
    return rc;
}

const cli_command cli_cmd_quantize = {
    "quantize",
    "Quantise a float model to int8 with calibration images (docs/int8.md).",
    "MODEL",
    "Runs the float MODEL on every .jpg/.jpeg/.png image in --calibrate DIR, records an\n"
    "activation range per tensor (--method), and writes a quantised safetensors file:\n"
    "int8 per-output-channel weights with BatchNorm folded, float scales, the\n"
    "calibration record in its metadata. The file loads like any model and runs int8\n"
    "(--precision float runs its weights in float).",
    "inception quantize inception_v3.safetensors --calibrate photos/ -o inception_v3-int8.safetensors",
    run,
};

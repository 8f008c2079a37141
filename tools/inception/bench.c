/* inception bench: latency and throughput of a session on a synthetic input, optionally
 * a per-kind profile. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inception/inception.h>

#include "cli.h"

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int run(const cli_args *a) {
    if (a->n_files) {
        fprintf(stderr, "%s bench: unexpected argument %s\n", cli_prog, a->files[0]);
        return EXIT_USAGE;
    }
    char cache[4096];
    const char *path = NULL;
    inception_model *m = NULL;
    inception_session *s = NULL;
    double load_ms = 0;
    int rc = cli_open_session(a, 0, a->profile, cache, sizeof cache, &path, &m, &s, &load_ms);
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
                cli_prog, dims[0], h, w, inception_last_error());
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
        fprintf(stderr, "%s: run failed: %s\n", cli_prog, inception_session_last_error(s));
        rc = EXIT_SOME_FAILED;
        goto out;
    }
    for (int i = 0; i < a->runs; i++) {
        double t0 = cli_now();
        if (inception_session_run(s, input) != INCEPTION_OK) {
            fprintf(stderr, "%s: run failed: %s\n", cli_prog, inception_session_last_error(s));
            rc = EXIT_SOME_FAILED;
            goto out;
        }
        times[i] = cli_now() - t0;
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

const cli_command cli_cmd_bench = {
    "bench",
    "bench [--model M] [--size HxW] [--batch N] [--threads T]\n"
    "                       [--backend B] [--runs R] [--profile]\n",
    run,
};

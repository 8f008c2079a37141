/* Benchmark (not a test): time per image and session memory of multi-crop classify.
 * usage: bench_crops MODEL IMAGE [THREADS [RUNS [CROP_BATCH]]]  (prints figures only) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "inception/inception.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL IMAGE [THREADS [RUNS [CROP_BATCH]]]\n", argv[0]);
        return 2;
    }
    int threads = argc > 3 ? atoi(argv[3]) : 2, runs = argc > 4 ? atoi(argv[4]) : 3;
    int batch = argc > 5 ? atoi(argv[5]) : 8;
    inception_model *m = NULL;
    if (inception_model_load_file(argv[1], NULL, &m)) {
        fprintf(stderr, "load: %s\n", inception_last_error());
        return 1;
    }
    const char *be = "";
    inception_model_info_string(m, INCEPTION_INFO_BACKEND, &be);
    printf("backend %s, threads %d, crop batch %d, %d runs per mode\n", be, threads, batch, runs);
    const int modes[4] = {1, 10, 12, 144};
    for (int i = 0; i < 4; i++) {
        inception_options *o = NULL;
        inception_options_create(&o);
        inception_options_set_int(o, INCEPTION_OPT_THREADS, threads);
        inception_options_set_int(o, INCEPTION_OPT_CROPS, modes[i]);
        inception_options_set_int(o, INCEPTION_OPT_CROP_BATCH, batch);
        inception_session *s = NULL;
        if (inception_session_create(m, o, &s)) {
            fprintf(stderr, "session: %s\n", inception_last_error());
            return 1;
        }
        int32_t c[5], n;
        float p[5];
        inception_session_classify_file(s, argv[2], 5, c, p, &n); /* warm-up: plans */
        double best = 1e30, sum = 0;
        for (int r = 0; r < runs; r++) {
            double t0 = now();
            if (inception_session_classify_file(s, argv[2], 5, c, p, &n)) {
                fprintf(stderr, "classify: %s\n", inception_session_last_error(s));
                return 1;
            }
            double dt = now() - t0;
            sum += dt;
            best = dt < best ? dt : best;
        }
        int64_t mem = 0;
        inception_session_memory(s, &mem);
        printf("crops %3d: %8.1f ms/image best, %8.1f mean (%.2f ms/crop best), "
               "session memory %.1f MiB\n", modes[i], best * 1e3, sum / runs * 1e3,
               best * 1e3 / modes[i], mem / 1048576.0);
        fflush(stdout);
        inception_session_free(s);
        inception_options_free(o);
    }
    inception_model_free(m);
    return 0;
}

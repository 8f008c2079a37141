/* Benchmark, not a test: GFLOP/s of the backward convolutions (data and weight gradients)
 * of "simd" (the ISA it runs is printed) against "ref" on Inception-v3's main conv shapes,
 * at the grid sizes of a given input size (default 75) and batch (default 8).
 *   bench_backward [-s input_size] [-n batch] [-t threads] [-b backend] [--no-ref]
 * FLOPs count 2 * N * out_h * out_w * cout * cin * kh * kw per op (padding taps included,
 * though both backends skip most of them: on 1x1 and 3x3 grids the figure overstates the
 * work). One thread: thread CPU time; more: wall time. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/registry.h"
#include "inception/backend.h"

typedef struct shape {
    const char *name;
    int grid; /* index into the grid sizes below */
    int cin, cout, kh, kw, s, ph, pw;
} shape;

/* grids: 0 after Conv2d_1a, 1 after 2a, 2 after the first pool, 3 after 4a (unused),
 * 4 the 35x35 blocks (at 299), 5 the 17x17 blocks, 6 the 8x8 blocks */
static const shape shapes[] = {
    {"Conv2d_2a 3x3", 0, 32, 32, 3, 3, 1, 0, 0},
    {"Conv2d_2b 3x3 p1", 1, 32, 64, 3, 3, 1, 1, 1},
    {"Conv2d_3b 1x1", 2, 64, 80, 1, 1, 1, 0, 0},
    {"Conv2d_4a 3x3", 2, 80, 192, 3, 3, 1, 0, 0},
    {"Mixed_5b 1x1", 4, 192, 64, 1, 1, 1, 0, 0},
    {"Mixed_5b 5x5 p2", 4, 48, 64, 5, 5, 1, 2, 2},
    {"Mixed_5b 3x3 p1", 4, 64, 96, 3, 3, 1, 1, 1},
    {"Mixed_6a 3x3 s2", 4, 288, 384, 3, 3, 2, 0, 0},
    {"Mixed_6b 1x1", 5, 768, 128, 1, 1, 1, 0, 0},
    {"Mixed_6b 1x7", 5, 128, 128, 1, 7, 1, 0, 3},
    {"Mixed_6b 7x1", 5, 128, 192, 7, 1, 1, 3, 0},
    {"Mixed_7a 3x3 s2", 5, 192, 320, 3, 3, 2, 0, 0},
    {"Mixed_7b 1x1", 6, 1280, 384, 1, 1, 1, 0, 0},
    {"Mixed_7b 1x3", 6, 384, 384, 1, 3, 1, 0, 1},
    {"Mixed_7b 3x3 p1", 6, 448, 384, 3, 3, 1, 1, 1},
};

/* With one thread, this thread's CPU time (other load on a shared machine counts less);
 * with more, wall time. */
static int use_cpu_time;

static double now(void) {
    struct timespec ts;
    clock_gettime(use_cpu_time ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *falloc(size_t n) {
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) p[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return p;
}

typedef struct job {
    const inception_backend_train *tr;
    const inception_conv_desc *d;
    const float *w;
    float *dw;
    const inception_view *x, *dy, *dx;
    int weights; /* 1: weight gradient, 0: data gradient */
    int32_t part, parts;
    void *scratch;
} job;

static void *run_job(void *arg) {
    job *j = arg;
    if (j->weights)
        j->tr->conv_backward_weights(j->tr->user, j->d, j->x, j->dy, j->dw, j->part, j->parts,
                                     j->scratch);
    else
        j->tr->conv_backward_data(j->tr->user, j->d, j->w, j->dy, j->dx, 0, j->part, j->parts,
                                  j->scratch);
    return NULL;
}

/* Seconds per call, over at least min_time (at least one call). */
static double time_op(const inception_backend_train *tr, const inception_conv_desc *d,
                      const float *w, float *dw, const inception_view *x,
                      const inception_view *dy, const inception_view *dx, int weights,
                      int threads, double min_time) {
    size_t sz = weights ? tr->conv_backward_weights_scratch(tr->user, d, x, dy, threads)
                        : tr->conv_backward_data_scratch(tr->user, d, dy, dx, threads);
    job jobs[64];
    pthread_t tid[64];
    for (int t = 0; t < threads; t++) {
        jobs[t] = (job){tr, d, w, dw, x, dy, dx, weights, t, threads, NULL};
        jobs[t].scratch = sz ? aligned_alloc(64, (sz + 63) / 64 * 64) : NULL;
    }
    int reps = 0;
    double t0 = now(), t1;
    do {
        for (int t = 1; t < threads; t++) pthread_create(&tid[t], NULL, run_job, &jobs[t]);
        run_job(&jobs[0]);
        for (int t = 1; t < threads; t++) pthread_join(tid[t], NULL);
        reps++;
        t1 = now();
    } while (t1 - t0 < min_time);
    for (int t = 0; t < threads; t++) free(jobs[t].scratch);
    return (t1 - t0) / reps;
}

int main(int argc, char **argv) {
    int size = 75, batch = 8, threads = 1, with_ref = 1;
    const char *name = "simd";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-s") && i + 1 < argc) size = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-b") && i + 1 < argc) name = argv[++i];
        else if (!strcmp(argv[i], "--no-ref")) with_ref = 0;
        else {
            fprintf(stderr, "usage: %s [-s input_size] [-n batch] [-t threads] [-b backend] [--no-ref]\n", argv[0]);
            return 2;
        }
    }
    if (size < 75 || batch < 1 || threads < 1 || threads > 64) {
        fprintf(stderr, "need input size >= 75, batch >= 1, 1..64 threads\n");
        return 2;
    }
    use_cpu_time = threads == 1;
    const inception_backend *be, *rb;
    if (inception_backend_get(name, &be) != INCEPTION_OK || inception_backend_get("ref", &rb) != INCEPTION_OK ||
        (be->probe && be->probe(be->user) <= 0)) {
        fprintf(stderr, "backend '%s' is not usable here\n", name);
        return 1;
    }
    const inception_backend_train *tr = inc_backend_train_ops(be), *ref = inc_backend_train_ops(rb);
    int g[7];
    g[0] = (size - 3) / 2 + 1;
    g[1] = g[0] - 2;
    g[2] = (g[1] - 3) / 2 + 1;
    g[3] = g[2] - 2;
    g[4] = (g[3] - 3) / 2 + 1;
    g[5] = (g[4] - 3) / 2 + 1;
    g[6] = (g[5] - 3) / 2 + 1;
    printf("backward convolutions, input %dx%d, batch %d, %d thread(s) (%s time): %s (isa %s) vs ref\n",
           size, size, batch, threads, use_cpu_time ? "CPU" : "wall", name, inc_backend_isa(be));
    printf("%-20s %9s %11s %11s %11s %11s\n", "layer", "GFLOP", "data simd", "data ref",
           "wgt simd", "wgt ref");
    double tot_flop = 0, tot_s[4] = {0, 0, 0, 0};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const shape *sh = &shapes[k];
        int H = g[sh->grid];
        int oh = (H + 2 * sh->ph - sh->kh) / sh->s + 1, ow = (H + 2 * sh->pw - sh->kw) / sh->s + 1;
        inception_conv_desc d = {sh->cin, sh->cout, sh->kh, sh->kw, sh->s, sh->s, sh->ph, sh->pw, 0};
        size_t nx = (size_t)batch * H * H * sh->cin, ny = (size_t)batch * oh * ow * sh->cout;
        size_t nw = (size_t)sh->cout * sh->kh * sh->kw * sh->cin;
        float *x = falloc(nx), *dx = falloc(nx), *dy = falloc(ny), *w = falloc(nw), *dw = falloc(nw);
        inception_view vx = {x, batch, H, H, sh->cin, sh->cin}, vdx = {dx, batch, H, H, sh->cin, sh->cin};
        inception_view vdy = {dy, batch, oh, ow, sh->cout, sh->cout};
        double flop = 2.0 * batch * oh * ow * sh->cout * (double)sh->cin * sh->kh * sh->kw;
        double t[4];
        t[0] = time_op(tr, &d, w, dw, &vx, &vdy, &vdx, 0, threads, 0.3);
        t[1] = with_ref ? time_op(ref, &d, w, dw, &vx, &vdy, &vdx, 0, threads, 0.0) : 0;
        t[2] = time_op(tr, &d, w, dw, &vx, &vdy, &vdx, 1, threads, 0.3);
        t[3] = with_ref ? time_op(ref, &d, w, dw, &vx, &vdy, &vdx, 1, threads, 0.0) : 0;
        printf("%-20s %9.3f", sh->name, flop * 1e-9);
        for (int i = 0; i < 4; i++) {
            if (i % 2 == 1 && !with_ref) printf(" %11s", "-");
            else printf(" %11.2f", flop / t[i] * 1e-9);
            tot_s[i] += t[i];
        }
        printf("   GFLOP/s\n");
        tot_flop += flop;
        free(x), free(dx), free(dy), free(w), free(dw);
    }
    printf("%-20s %9.3f", "all of the above", tot_flop * 1e-9);
    for (int i = 0; i < 4; i++) {
        if (i % 2 == 1 && !with_ref) printf(" %11s", "-");
        else printf(" %11.2f", tot_flop / tot_s[i] * 1e-9);
    }
    printf("   GFLOP/s\n");
    if (with_ref)
        printf("speed-up simd/ref: data %.1fx, weights %.1fx\n", tot_s[1] / tot_s[0],
               tot_s[3] / tot_s[2]);
    return 0;
}

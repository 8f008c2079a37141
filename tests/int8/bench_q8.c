/* bench_q8: a benchmark, never a test. int8 conv kernels (lib/backends/q8.h) against the
 * float "simd" backend's conv on Inception-v3's main shapes (batch 1, 299x299 sizes):
 * GOPS (2 ops per multiply-add, direct-convolution count for both, so Winograd float paths
 * show as direct-equivalent rates), the int8 / fp32 time ratio, the ISA level and kernel
 * variant. Best of RUNS runs per figure (the machine is shared: the fastest run is the one
 * least disturbed); with 1 thread the thread's CPU time, with more wall time.
 *
 *   bench_q8 [THREADS] [RUNS] [LEVEL]   LEVEL: ref, avx2, avxvnni, avx512vnni (default best)
 *
 * Weights are random full-range int8 (|w| up to 128: the exact AVX2 path) and, in a second
 * column, 7-bit (|w| <= 64: the vpmaddubsw path where the level is avx2). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/q8.h"
#include "inception/backend.h"
#include "inception/inception.h"

static int n_threads = 1;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(n_threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct shape {
    const char *name;
    int h, w, cin, cout, kh, kw, s, ph, pw;
} shape;

static const shape shapes[] = {
    {"35x35x288 1x1->64", 35, 35, 288, 64, 1, 1, 1, 0, 0},
    {"17x17x768 1x1->192", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"17x17 1x7 192->192", 17, 17, 192, 192, 1, 7, 1, 0, 3},
    {"17x17 7x1 192->192", 17, 17, 192, 192, 7, 1, 1, 3, 0},
    {"8x8x1280 1x1->320", 8, 8, 1280, 320, 1, 1, 1, 0, 0},
    {"35x35 3x3 64->96", 35, 35, 64, 96, 3, 3, 1, 1, 1},
    {"35x35 3x3s2 288->384", 35, 35, 288, 384, 3, 3, 2, 0, 0},
    {"35x35 5x5 48->64", 35, 35, 48, 64, 5, 5, 1, 2, 2},
    {"8x8 3x1 384->384", 8, 8, 384, 384, 3, 1, 1, 1, 0},
};

typedef struct job {
    int kind; /* 0 int8, 1 float */
    const void *pk;
    const inception_backend *be;
    const inception_conv_desc *d;
    const inc_q8_view *qin, *qout;
    const inception_view *fin, *fout;
    int32_t part, parts;
    void *scratch;
} job;

static void run_job(job *j) {
    if (j->kind == 0)
        inc_q8_conv_run(j->pk, j->qin, j->qout, j->part, j->parts, j->scratch);
    else
        j->be->conv_run(j->be->user, j->d, j->pk, j->fin, j->fout, j->part, j->parts, j->scratch);
}

static void *thread_main(void *arg) {
    run_job(arg);
    return NULL;
}

/* Best-of-runs seconds for one conv over n_threads parts. */
static double time_conv(job *proto, size_t scratch_each, int runs) {
    job jobs[64];
    void *scr[64];
    for (int t = 0; t < n_threads; t++) {
        jobs[t] = *proto;
        jobs[t].part = t, jobs[t].parts = n_threads;
        scr[t] = scratch_each ? aligned_alloc(64, (scratch_each + 63) / 64 * 64) : NULL;
        jobs[t].scratch = scr[t];
    }
    double best = 1e30;
    for (int r = 0; r < runs + 1; r++) { /* +1: the first warms caches and pages */
        double t0 = now_s();
        if (n_threads == 1) {
            run_job(&jobs[0]);
        } else {
            pthread_t th[64];
            for (int t = 1; t < n_threads; t++) pthread_create(&th[t], NULL, thread_main, &jobs[t]);
            run_job(&jobs[0]);
            for (int t = 1; t < n_threads; t++) pthread_join(th[t], NULL);
        }
        double dt = now_s() - t0;
        if (r > 0 && dt < best) best = dt;
    }
    for (int t = 0; t < n_threads; t++) free(scr[t]);
    return best;
}

static uint32_t rng = 2463534242u;
static uint32_t rnd(void) {
    rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
    return rng;
}

int main(int argc, char **argv) {
    n_threads = argc > 1 ? atoi(argv[1]) : 1;
    int runs = argc > 2 ? atoi(argv[2]) : 10;
    const char *level = argc > 3 ? argv[3] : NULL;
    if (n_threads < 1 || n_threads > 64 || runs < 1) {
        fprintf(stderr, "usage: bench_q8 [THREADS 1..64] [RUNS] [LEVEL]\n");
        return 2;
    }
    const inception_backend *be = NULL;
    if (inception_backend_get("simd", &be) != INCEPTION_OK) {
        fprintf(stderr, "no simd backend in this build\n");
        return 1;
    }
    int32_t nlv;
    const char *const *lv = inc_q8_levels(&nlv);
    printf("int8 levels present:");
    for (int32_t i = 0; i < nlv; i++) printf(" %s", lv[i]);
    printf("\nthreads %d, best of %d runs (%s time); GOPS = 2 * MACs / time (direct count)\n",
           n_threads, runs, n_threads == 1 ? "thread CPU" : "wall");
    printf("%-22s %-11s %8s %-11s %8s %8s %8s %8s\n", "shape", "int8", "GOPS", "int8 7bit",
           "GOPS", "fp32", "int8/fp32", "7bit/fp32");
    double sum_q = 0, sum_q7 = 0, sum_f = 0;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const shape *s = &shapes[si];
        inception_conv_desc d = {s->cin, s->cout, s->kh, s->kw, s->s, s->s, s->ph, s->pw, 1};
        int64_t oh = (s->h + 2 * s->ph - s->kh) / s->s + 1, ow = (s->w + 2 * s->pw - s->kw) / s->s + 1;
        size_t nw = (size_t)s->cout * s->kh * s->kw * s->cin;
        int8_t *w8 = malloc(nw), *w7 = malloc(nw);
        float *wf = malloc(nw * sizeof(float)), *bf = malloc(s->cout * sizeof(float));
        int32_t *bq = malloc(s->cout * sizeof(int32_t));
        float *m = malloc(s->cout * sizeof(float));
        for (size_t i = 0; i < nw; i++) {
            w8[i] = (int8_t)(rnd() & 0xff);
            w7[i] = (int8_t)((int)(rnd() % 129) - 64);
            wf[i] = (float)w8[i] / 128.0f;
        }
        for (int o = 0; o < s->cout; o++) bq[o] = 0, bf[o] = 0, m[o] = 1e-4f;
        size_t nin = (size_t)s->h * s->w * s->cin, nout = (size_t)oh * ow * s->cout;
        uint8_t *xq = malloc(nin), *yq = malloc(nout);
        float *xf = malloc(nin * sizeof(float)), *yf = malloc(nout * sizeof(float));
        for (size_t i = 0; i < nin; i++) xq[i] = (uint8_t)rnd(), xf[i] = (float)xq[i] / 255.0f;
        inc_q8_view qin = {xq, 1, s->h, s->w, s->cin, s->cin}, qout = {yq, 1, oh, ow, s->cout, s->cout};
        inception_view fin = {xf, 1, s->h, s->w, s->cin, s->cin}, fout = {yf, 1, oh, ow, s->cout, s->cout};
        void *pq = NULL, *pq7 = NULL, *pf = NULL;
        if (inc_q8_conv_pack(&d, w8, bq, m, level, &pq) || inc_q8_conv_pack(&d, w7, bq, m, level, &pq7) ||
            be->conv_pack(be->user, &d, wf, bf, &pf)) {
            fprintf(stderr, "%s: pack failed: %s\n", s->name, inception_last_error());
            return 1;
        }
        job jq = {0, pq, be, &d, &qin, &qout, &fin, &fout, 0, 1, NULL};
        job jq7 = jq;
        jq7.pk = pq7;
        job jf = {1, pf, be, &d, &qin, &qout, &fin, &fout, 0, 1, NULL};
        size_t sq = inc_q8_conv_scratch(pq, &qin, n_threads), sq7 = inc_q8_conv_scratch(pq7, &qin, n_threads);
        size_t sf = be->conv_scratch ? be->conv_scratch(be->user, &d, pf, &fin, &fout, n_threads) : 0;
        double tq = time_conv(&jq, sq, runs), tq7 = time_conv(&jq7, sq7, runs);
        double tf = time_conv(&jf, sf, runs);
        double ops = 2.0 * (double)oh * ow * s->cout * s->kh * s->kw * s->cin;
        printf("%-22s %-11s %8.1f %-11s %8.1f %8.1f %8.2f %8.2f\n", s->name,
               inc_q8_conv_kernel(pq), ops / tq * 1e-9, inc_q8_conv_kernel(pq7),
               ops / tq7 * 1e-9, ops / tf * 1e-9, tq / tf, tq7 / tf);
        sum_q += tq, sum_q7 += tq7, sum_f += tf;
        inc_q8_conv_release(pq);
        inc_q8_conv_release(pq7);
        be->conv_release(be->user, pf);
        free(w8), free(w7), free(wf), free(bf), free(bq), free(m), free(xq), free(yq), free(xf), free(yf);
    }
    printf("sum of the shapes' times: int8 %.3f ms, int8 7bit %.3f ms, fp32 %.3f ms; "
           "ratio int8/fp32 %.2f, 7bit/fp32 %.2f\n",
           sum_q * 1e3, sum_q7 * 1e3, sum_f * 1e3, sum_q / sum_f, sum_q7 / sum_f);
    return 0;
}

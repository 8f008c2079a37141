/* bench_kernels: a benchmark, never a test. Times a backend's kernels on Inception-v3's
 * layer shapes (299x299, fp32) through the public backend ABI.
 *
 *   bench_kernels layers [BACKEND] [THREADS] [BATCH]   GFLOP/s per conv, then per kernel shape
 *       (fastest of several runs; with 1 thread in thread CPU time; BENCH_COLD=1 flushes
 *       the caches before each run, as a pass through the whole network would;
 *       BENCH_ONLY=text times only the layers whose name contains text)
 *   bench_kernels net [BACKEND] [THREADS] [BATCH] [RUNS] every conv and pool of the network in
 *       order, each op split over THREADS, median time of a pass; prints a RESULT line. It
 *       leaves out what is not a kernel (image preprocessing, the executor's scheduling,
 *       softmax), so it is a lower bound for `inception bench`.
 *   bench_kernels model FILE [BACKEND] [THREADS] [BATCH] [RUNS]   the whole library: load
 *       FILE (e.g. from inception-make-model) on BACKEND, run a 299x299 batch; RESULT line
 *   bench_kernels peak                                  FMA peak of one core (AVX2, AVX-512;
 *                                                       best of 5, thread CPU time)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inception/backend.h"
#include "inception/inception.h"

/* `layers` with one thread counts the thread's CPU time: on a shared machine a long layer
 * is otherwise timed together with whoever else got the core. `net` counts wall time, like
 * the peers it is compared with. */
static int n_threads = 1, cpu_time;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(cpu_time && n_threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct conv_shape {
    const char *name;
    int h, w, cin, cout, kh, kw, s, ph, pw;
} conv_shape;

/* torchvision's Inception3 in eval order (input sizes for 299x299). */
static const conv_shape convs[] = {
    {"Conv2d_1a_3x3", 299, 299, 3, 32, 3, 3, 2, 0, 0},
    {"Conv2d_2a_3x3", 149, 149, 32, 32, 3, 3, 1, 0, 0},
    {"Conv2d_2b_3x3", 147, 147, 32, 64, 3, 3, 1, 1, 1},
    {"Conv2d_3b_1x1", 73, 73, 64, 80, 1, 1, 1, 0, 0},
    {"Conv2d_4a_3x3", 73, 73, 80, 192, 3, 3, 1, 0, 0},
    {"Mixed_5b.branch1x1", 35, 35, 192, 64, 1, 1, 1, 0, 0},
    {"Mixed_5b.branch5x5_1", 35, 35, 192, 48, 1, 1, 1, 0, 0},
    {"Mixed_5b.branch5x5_2", 35, 35, 48, 64, 5, 5, 1, 2, 2},
    {"Mixed_5b.branch3x3dbl_1", 35, 35, 192, 64, 1, 1, 1, 0, 0},
    {"Mixed_5b.branch3x3dbl_2", 35, 35, 64, 96, 3, 3, 1, 1, 1},
    {"Mixed_5b.branch3x3dbl_3", 35, 35, 96, 96, 3, 3, 1, 1, 1},
    {"Mixed_5b.branch_pool", 35, 35, 192, 32, 1, 1, 1, 0, 0},
    {"Mixed_5c.branch1x1", 35, 35, 256, 64, 1, 1, 1, 0, 0},
    {"Mixed_5c.branch5x5_1", 35, 35, 256, 48, 1, 1, 1, 0, 0},
    {"Mixed_5c.branch5x5_2", 35, 35, 48, 64, 5, 5, 1, 2, 2},
    {"Mixed_5c.branch3x3dbl_1", 35, 35, 256, 64, 1, 1, 1, 0, 0},
    {"Mixed_5c.branch3x3dbl_2", 35, 35, 64, 96, 3, 3, 1, 1, 1},
    {"Mixed_5c.branch3x3dbl_3", 35, 35, 96, 96, 3, 3, 1, 1, 1},
    {"Mixed_5c.branch_pool", 35, 35, 256, 64, 1, 1, 1, 0, 0},
    {"Mixed_5d.branch1x1", 35, 35, 288, 64, 1, 1, 1, 0, 0},
    {"Mixed_5d.branch5x5_1", 35, 35, 288, 48, 1, 1, 1, 0, 0},
    {"Mixed_5d.branch5x5_2", 35, 35, 48, 64, 5, 5, 1, 2, 2},
    {"Mixed_5d.branch3x3dbl_1", 35, 35, 288, 64, 1, 1, 1, 0, 0},
    {"Mixed_5d.branch3x3dbl_2", 35, 35, 64, 96, 3, 3, 1, 1, 1},
    {"Mixed_5d.branch3x3dbl_3", 35, 35, 96, 96, 3, 3, 1, 1, 1},
    {"Mixed_5d.branch_pool", 35, 35, 288, 64, 1, 1, 1, 0, 0},
    {"Mixed_6a.branch3x3", 35, 35, 288, 384, 3, 3, 2, 0, 0},
    {"Mixed_6a.branch3x3dbl_1", 35, 35, 288, 64, 1, 1, 1, 0, 0},
    {"Mixed_6a.branch3x3dbl_2", 35, 35, 64, 96, 3, 3, 1, 1, 1},
    {"Mixed_6a.branch3x3dbl_3", 35, 35, 96, 96, 3, 3, 2, 0, 0},
    {"Mixed_6b.branch1x1", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"Mixed_6b.branch7x7_1", 17, 17, 768, 128, 1, 1, 1, 0, 0},
    {"Mixed_6b.branch7x7_2", 17, 17, 128, 128, 1, 7, 1, 0, 3},
    {"Mixed_6b.branch7x7_3", 17, 17, 128, 192, 7, 1, 1, 3, 0},
    {"Mixed_6b.branch7x7dbl_1", 17, 17, 768, 128, 1, 1, 1, 0, 0},
    {"Mixed_6b.branch7x7dbl_2", 17, 17, 128, 128, 7, 1, 1, 3, 0},
    {"Mixed_6b.branch7x7dbl_3", 17, 17, 128, 128, 1, 7, 1, 0, 3},
    {"Mixed_6b.branch7x7dbl_4", 17, 17, 128, 128, 7, 1, 1, 3, 0},
    {"Mixed_6b.branch7x7dbl_5", 17, 17, 128, 192, 1, 7, 1, 0, 3},
    {"Mixed_6b.branch_pool", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"Mixed_6c.branch1x1", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"Mixed_6c.branch7x7_1", 17, 17, 768, 160, 1, 1, 1, 0, 0},
    {"Mixed_6c.branch7x7_2", 17, 17, 160, 160, 1, 7, 1, 0, 3},
    {"Mixed_6c.branch7x7_3", 17, 17, 160, 192, 7, 1, 1, 3, 0},
    {"Mixed_6c.branch7x7dbl_1", 17, 17, 768, 160, 1, 1, 1, 0, 0},
    {"Mixed_6c.branch7x7dbl_2", 17, 17, 160, 160, 7, 1, 1, 3, 0},
    {"Mixed_6c.branch7x7dbl_3", 17, 17, 160, 160, 1, 7, 1, 0, 3},
    {"Mixed_6c.branch7x7dbl_4", 17, 17, 160, 160, 7, 1, 1, 3, 0},
    {"Mixed_6c.branch7x7dbl_5", 17, 17, 160, 192, 1, 7, 1, 0, 3},
    {"Mixed_6c.branch_pool", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"Mixed_6d.branch1x1", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"Mixed_6d.branch7x7_1", 17, 17, 768, 160, 1, 1, 1, 0, 0},
    {"Mixed_6d.branch7x7_2", 17, 17, 160, 160, 1, 7, 1, 0, 3},
    {"Mixed_6d.branch7x7_3", 17, 17, 160, 192, 7, 1, 1, 3, 0},
    {"Mixed_6d.branch7x7dbl_1", 17, 17, 768, 160, 1, 1, 1, 0, 0},
    {"Mixed_6d.branch7x7dbl_2", 17, 17, 160, 160, 7, 1, 1, 3, 0},
    {"Mixed_6d.branch7x7dbl_3", 17, 17, 160, 160, 1, 7, 1, 0, 3},
    {"Mixed_6d.branch7x7dbl_4", 17, 17, 160, 160, 7, 1, 1, 3, 0},
    {"Mixed_6d.branch7x7dbl_5", 17, 17, 160, 192, 1, 7, 1, 0, 3},
    {"Mixed_6d.branch_pool", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"Mixed_6e.branch1x1", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"Mixed_6e.branch7x7_1", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"Mixed_6e.branch7x7_2", 17, 17, 192, 192, 1, 7, 1, 0, 3},
    {"Mixed_6e.branch7x7_3", 17, 17, 192, 192, 7, 1, 1, 3, 0},
    {"Mixed_6e.branch7x7dbl_1", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"Mixed_6e.branch7x7dbl_2", 17, 17, 192, 192, 7, 1, 1, 3, 0},
    {"Mixed_6e.branch7x7dbl_3", 17, 17, 192, 192, 1, 7, 1, 0, 3},
    {"Mixed_6e.branch7x7dbl_4", 17, 17, 192, 192, 7, 1, 1, 3, 0},
    {"Mixed_6e.branch7x7dbl_5", 17, 17, 192, 192, 1, 7, 1, 0, 3},
    {"Mixed_6e.branch_pool", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"Mixed_7a.branch3x3_1", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"Mixed_7a.branch3x3_2", 17, 17, 192, 320, 3, 3, 2, 0, 0},
    {"Mixed_7a.branch7x7x3_1", 17, 17, 768, 192, 1, 1, 1, 0, 0},
    {"Mixed_7a.branch7x7x3_2", 17, 17, 192, 192, 1, 7, 1, 0, 3},
    {"Mixed_7a.branch7x7x3_3", 17, 17, 192, 192, 7, 1, 1, 3, 0},
    {"Mixed_7a.branch7x7x3_4", 17, 17, 192, 192, 3, 3, 2, 0, 0},
    {"Mixed_7b.branch1x1", 8, 8, 1280, 320, 1, 1, 1, 0, 0},
    {"Mixed_7b.branch3x3_1", 8, 8, 1280, 384, 1, 1, 1, 0, 0},
    {"Mixed_7b.branch3x3_2a", 8, 8, 384, 384, 1, 3, 1, 0, 1},
    {"Mixed_7b.branch3x3_2b", 8, 8, 384, 384, 3, 1, 1, 1, 0},
    {"Mixed_7b.branch3x3dbl_1", 8, 8, 1280, 448, 1, 1, 1, 0, 0},
    {"Mixed_7b.branch3x3dbl_2", 8, 8, 448, 384, 3, 3, 1, 1, 1},
    {"Mixed_7b.branch3x3dbl_3a", 8, 8, 384, 384, 1, 3, 1, 0, 1},
    {"Mixed_7b.branch3x3dbl_3b", 8, 8, 384, 384, 3, 1, 1, 1, 0},
    {"Mixed_7b.branch_pool", 8, 8, 1280, 192, 1, 1, 1, 0, 0},
    {"Mixed_7c.branch1x1", 8, 8, 2048, 320, 1, 1, 1, 0, 0},
    {"Mixed_7c.branch3x3_1", 8, 8, 2048, 384, 1, 1, 1, 0, 0},
    {"Mixed_7c.branch3x3_2a", 8, 8, 384, 384, 1, 3, 1, 0, 1},
    {"Mixed_7c.branch3x3_2b", 8, 8, 384, 384, 3, 1, 1, 1, 0},
    {"Mixed_7c.branch3x3dbl_1", 8, 8, 2048, 448, 1, 1, 1, 0, 0},
    {"Mixed_7c.branch3x3dbl_2", 8, 8, 448, 384, 3, 3, 1, 1, 1},
    {"Mixed_7c.branch3x3dbl_3a", 8, 8, 384, 384, 1, 3, 1, 0, 1},
    {"Mixed_7c.branch3x3dbl_3b", 8, 8, 384, 384, 3, 1, 1, 1, 0},
    {"Mixed_7c.branch_pool", 8, 8, 2048, 192, 1, 1, 1, 0, 0},
    {"fc", 1, 1, 2048, 1000, 1, 1, 1, 0, 0},
};
#define N_CONVS (sizeof convs / sizeof convs[0])

/* The pools, with the index of the conv each comes before (network order). */
typedef struct pool_shape {
    int before; /* runs before convs[before] */
    int kind;   /* 0 max, 1 avg, 2 global */
    int h, w, c, k, s, p;
} pool_shape;

static int conv_index(const char *name) {
    for (size_t i = 0; i < N_CONVS; i++)
        if (strcmp(convs[i].name, name) == 0) return (int)i;
    return -1;
}

static pool_shape pools[16];
static int n_pools;

static void add_pool(const char *before, int kind, int h, int w, int c, int k, int s, int p) {
    pool_shape ps = {conv_index(before), kind, h, w, c, k, s, p};
    pools[n_pools++] = ps;
}

static void init_pools(void) {
    add_pool("Conv2d_3b_1x1", 0, 147, 147, 64, 3, 2, 0);
    add_pool("Mixed_5b.branch1x1", 0, 71, 71, 192, 3, 2, 0);
    add_pool("Mixed_5b.branch_pool", 1, 35, 35, 192, 3, 1, 1);
    add_pool("Mixed_5c.branch_pool", 1, 35, 35, 256, 3, 1, 1);
    add_pool("Mixed_5d.branch_pool", 1, 35, 35, 288, 3, 1, 1);
    add_pool("Mixed_6b.branch1x1", 0, 35, 35, 288, 3, 2, 0);
    add_pool("Mixed_6b.branch_pool", 1, 17, 17, 768, 3, 1, 1);
    add_pool("Mixed_6c.branch_pool", 1, 17, 17, 768, 3, 1, 1);
    add_pool("Mixed_6d.branch_pool", 1, 17, 17, 768, 3, 1, 1);
    add_pool("Mixed_6e.branch_pool", 1, 17, 17, 768, 3, 1, 1);
    add_pool("Mixed_7b.branch1x1", 0, 17, 17, 768, 3, 2, 0);
    add_pool("Mixed_7b.branch_pool", 1, 8, 8, 1280, 3, 1, 1);
    add_pool("Mixed_7c.branch_pool", 1, 8, 8, 2048, 3, 1, 1);
    add_pool("fc", 2, 8, 8, 2048, 8, 1, 0);
}

/* ---- a tiny spinning fork/join pool: the bench measures kernels, not wake-ups ---- */

typedef struct job {
    const inception_backend *be;
    int kind; /* 0 conv, 1 max, 2 avg, 3 global */
    const inception_conv_desc *cd;
    const inception_pool_desc *pd;
    const void *packed;
    inception_view in, out;
} job;

static job cur;
static void *scratch[64];
static atomic_int generation, done, quit;

static void run_part(int part) {
    const inception_backend *be = cur.be;
    switch (cur.kind) {
    case 0:
        be->conv_run(be->user, cur.cd, cur.packed, &cur.in, &cur.out, part, n_threads,
                     scratch[part]);
        break;
    case 1: be->max_pool(be->user, cur.pd, &cur.in, &cur.out, part, n_threads); break;
    case 2: be->avg_pool(be->user, cur.pd, &cur.in, &cur.out, part, n_threads); break;
    default: be->global_avg_pool(be->user, &cur.in, &cur.out, part, n_threads); break;
    }
}

static void *worker(void *arg) {
    int part = (int)(intptr_t)arg, seen = 0;
    for (;;) {
        int g;
        while ((g = atomic_load_explicit(&generation, memory_order_acquire)) == seen) {
            if (atomic_load(&quit)) return NULL;
            sched_yield(); /* spin, but let others run on a busy machine */
        }
        seen = g;
        run_part(part);
        atomic_fetch_add_explicit(&done, 1, memory_order_acq_rel);
    }
}

static void run_job(void) {
    if (n_threads == 1) {
        run_part(0);
        return;
    }
    atomic_store(&done, 0);
    atomic_fetch_add_explicit(&generation, 1, memory_order_acq_rel);
    run_part(0);
    while (atomic_load_explicit(&done, memory_order_acquire) < n_threads - 1) sched_yield();
}

static float *fbuf(size_t n) {
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) p[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return p;
}

typedef struct prepared {
    inception_conv_desc d;
    void *packed;
    int oh, ow;
} prepared;

static prepared prep(const inception_backend *be, const conv_shape *c) {
    prepared p;
    inception_conv_desc d = {c->cin, c->cout, c->kh, c->kw, c->s, c->s, c->ph, c->pw,
                             strcmp(c->name, "fc") != 0};
    p.d = d;
    p.oh = (c->h + 2 * c->ph - c->kh) / c->s + 1;
    p.ow = (c->w + 2 * c->pw - c->kw) / c->s + 1;
    size_t nw = (size_t)c->cout * c->kh * c->kw * c->cin;
    float *w = fbuf(nw), *b = fbuf((size_t)c->cout);
    for (size_t i = 0; i < nw; i++) w[i] *= 0.05f;
    if (be->conv_pack(be->user, &p.d, w, b, &p.packed) != INCEPTION_OK) {
        fprintf(stderr, "conv_pack failed for %s\n", c->name);
        exit(1);
    }
    free(w), free(b);
    return p;
}

static size_t max_scratch;
static void ensure_scratch(size_t sz) {
    if (sz <= max_scratch) return;
    for (int t = 0; t < n_threads; t++) {
        free(scratch[t]);
        scratch[t] = aligned_alloc(64, (sz + 63) / 64 * 64);
    }
    max_scratch = sz;
}

static void set_conv_job(const inception_backend *be, const prepared *p, const conv_shape *c,
                         int batch, float *in, float *out) {
    inception_view vi = {in, batch, c->h, c->w, c->cin, c->cin};
    inception_view vo = {out, batch, p->oh, p->ow, c->cout, c->cout};
    cur.be = be, cur.kind = 0, cur.cd = &p->d, cur.packed = p->packed, cur.in = vi, cur.out = vo;
    ensure_scratch(be->conv_scratch ? be->conv_scratch(be->user, &p->d, p->packed, &vi, &vo,
                                                       n_threads)
                                    : 0);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const char *shape_key(const conv_shape *c) {
    static char buf[32];
    if (strcmp(c->name, "fc") == 0) return "fc";
    snprintf(buf, sizeof buf, "%dx%d/s%d", c->kh, c->kw, c->s);
    return buf;
}

static int cmd_layers(const inception_backend *be, int batch) {
    size_t maxin = 0, maxout = 0;
    for (size_t i = 0; i < N_CONVS; i++) {
        size_t a = (size_t)batch * convs[i].h * convs[i].w * convs[i].cin;
        size_t b = (size_t)batch * convs[i].h * convs[i].w * convs[i].cout;
        if (a > maxin) maxin = a;
        if (b > maxout) maxout = b;
    }
    float *in = fbuf(maxin), *out = fbuf(maxout);
    /* BENCH_COLD=1: caches flushed before every run (64 MiB written) */
    size_t flush_n = (size_t)16 << 20;
    float *flush = getenv("BENCH_COLD") ? fbuf(flush_n) : NULL;
    struct {
        char key[32];
        double flop, sec;
    } agg[16];
    int n_agg = 0;
    double tot_flop = 0, tot_sec = 0;
    const char *only = getenv("BENCH_ONLY"); /* a substring of the layer names to time */
    for (size_t i = 0; i < N_CONVS; i++) {
        const conv_shape *c = &convs[i];
        if (only && !strstr(c->name, only)) continue;
        prepared p = prep(be, c);
        set_conv_job(be, &p, c, batch, in, out);
        double flop = 2.0 * batch * p.oh * p.ow * c->cout * (double)c->cin * c->kh * c->kw;
        int reps = (int)(2e9 / flop) + 3;
        if (reps > 200) reps = 200;
        double t[200];
        run_job();
        for (int r = 0; r < reps; r++) {
            if (flush) /* evict weights and activations, as a pass through the network does */
                for (size_t f = 0; f < flush_n; f += 16) flush[f] += 1.0f;
            double t0 = now_s();
            run_job();
            t[r] = now_s() - t0;
        }
        qsort(t, (size_t)reps, sizeof t[0], cmp_double);
        double sec = t[0]; /* the least disturbed run: the machine is shared */
        printf("%-28s %-7s %3dx%-3d %4d->%-4d %8.3f ms %7.1f GFLOP/s\n", c->name, shape_key(c),
               p.oh, p.ow, c->cin, c->cout, sec * 1e3, flop / sec * 1e-9);
        const char *key = shape_key(c);
        int k = 0;
        while (k < n_agg && strcmp(agg[k].key, key) != 0) k++;
        if (k == n_agg) {
            snprintf(agg[k].key, sizeof agg[k].key, "%s", key);
            agg[k].flop = agg[k].sec = 0;
            n_agg++;
        }
        agg[k].flop += flop, agg[k].sec += sec;
        tot_flop += flop, tot_sec += sec;
        be->conv_release(be->user, p.packed);
    }
    for (int k = 0; k < n_agg; k++)
        printf("RESULT backend=%s threads=%d batch=%d shape=%s ms=%.3f gflops=%.1f\n", be->name,
               n_threads, batch, agg[k].key, agg[k].sec * 1e3, agg[k].flop / agg[k].sec * 1e-9);
    printf("RESULT backend=%s threads=%d batch=%d shape=all ms=%.3f gflops=%.1f\n", be->name,
           n_threads, batch, tot_sec * 1e3, tot_flop / tot_sec * 1e-9);
    free(in), free(out), free(flush);
    return 0;
}

static int cmd_net(const inception_backend *be, int batch, int runs) {
    init_pools();
    prepared *p = calloc(N_CONVS, sizeof *p);
    size_t maxbuf = (size_t)batch * 147 * 147 * 64;
    size_t first = (size_t)batch * 299 * 299 * 3;
    if (first > maxbuf) maxbuf = first;
    for (size_t i = 0; i < N_CONVS; i++) p[i] = prep(be, &convs[i]);
    float *a = fbuf(maxbuf), *b = fbuf(maxbuf);
    inception_pool_desc pds[16];
    double *t = calloc((size_t)runs, sizeof *t);
    int verbose = getenv("BENCH_VERBOSE") != NULL; /* per-op times of the last pass */
    for (int r = -2; r < runs; r++) {
        double t0 = now_s();
        int pi = 0;
        for (size_t i = 0; i < N_CONVS; i++) {
            for (; pi < n_pools && pools[pi].before == (int)i; pi++) {
                pool_shape *ps = &pools[pi];
                inception_pool_desc pd = {ps->k, ps->k, ps->s, ps->s, ps->p, ps->p, 1};
                pds[pi] = pd;
                int oh = ps->kind == 2 ? 1 : (ps->h + 2 * ps->p - ps->k) / ps->s + 1;
                inception_view vi = {a, batch, ps->h, ps->w, ps->c, ps->c};
                inception_view vo = {b, batch, oh, oh, ps->c, ps->c};
                cur.be = be, cur.kind = 1 + ps->kind, cur.pd = &pds[pi];
                cur.in = vi, cur.out = vo;
                double tp = now_s();
                run_job();
                if (verbose && r == runs - 1)
                    printf("  pool kind %d %dx%dx%d %.3f ms\n", ps->kind, ps->h, ps->w, ps->c,
                           (now_s() - tp) * 1e3);
            }
            set_conv_job(be, &p[i], &convs[i], batch, a, b);
            double tc = now_s();
            run_job();
            if (verbose && r == runs - 1)
                printf("  %-28s %.3f ms\n", convs[i].name, (now_s() - tc) * 1e3);
        }
        if (r >= 0) t[r] = now_s() - t0;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp_double);
    printf("RESULT engine=kernels backend=%s threads=%d batch=%d runs=%d median_ms=%.2f "
           "ms_per_img=%.2f min_ms=%.2f\n",
           be->name, n_threads, batch, runs, t[runs / 2] * 1e3, t[runs / 2] * 1e3 / batch,
           t[0] * 1e3);
    for (size_t i = 0; i < N_CONVS; i++) be->conv_release(be->user, p[i].packed);
    free(p), free(a), free(b), free(t);
    return 0;
}

/* 12 independent FMA chains, enough to cover the FMA latency on two pipes. */
#define PEAK_BODY(VEC, SET1, FMA, W)                                                           \
    VEC acc[12];                                                                               \
    for (int i = 0; i < 12; i++) acc[i] = SET1(1.0f + i * 1e-3f);                              \
    VEC m = SET1(0.999999f), a = SET1(1e-7f);                                                  \
    for (long it = 0; it < iters; it++) {                                                      \
        _Pragma("GCC unroll 12") for (int i = 0; i < 12; i++) acc[i] = FMA(acc[i], m, a);     \
    }                                                                                          \
    float sink = 0;                                                                            \
    for (int i = 0; i < 12; i++) sink += ((float *)&acc[i])[0];                                \
    return sink + 0 * W;

__attribute__((target("avx2,fma"))) static float peak_avx2(long iters) {
    PEAK_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, 8)
}

__attribute__((target("avx512f,fma"))) static float peak_avx512(long iters) {
    PEAK_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, 16)
}

/* Best of 5 in thread CPU time: on a shared machine, time spent descheduled is not counted, so
 * the figure stays the core's rate rather than its share. */
static double peak_run(float (*f)(long), long iters) {
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        volatile float s = f(iters);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        (void)s;
        double sec = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
        if (sec < best) best = sec;
    }
    return best;
}

static int cmd_peak(void) {
    long iters = 20000000;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        printf("RESULT peak isa=avx2 threads=1 gflops=%.1f\n",
               iters * 12.0 * 16 / peak_run(peak_avx2, iters) * 1e-9);
    if (__builtin_cpu_supports("avx512f"))
        printf("RESULT peak isa=avx512 threads=1 gflops=%.1f\n",
               iters * 12.0 * 32 / peak_run(peak_avx512, iters) * 1e-9);
    return 0;
}

static int fail(const char *what, inception_status st) {
    fprintf(stderr, "%s: %s: %s\n", what, inception_status_string(st), inception_last_error());
    return 1;
}

static int cmd_model(const char *path, const char *backend, int threads, int batch, int runs) {
    inception_options *opt = NULL;
    inception_model *model = NULL;
    inception_session *sess = NULL;
    inception_tensor *input = NULL;
    inception_status st;
    if ((st = inception_options_create(&opt)) != INCEPTION_OK) return fail("options", st);
    inception_options_set_string(opt, INCEPTION_OPT_BACKEND, backend);
    inception_options_set_int(opt, INCEPTION_OPT_THREADS, threads);
    inception_options_set_int(opt, INCEPTION_OPT_OUTPUTS, INCEPTION_OUTPUT_LOGITS);
    if ((st = inception_model_load_file(path, opt, &model)) != INCEPTION_OK)
        return fail(path, st);
    if ((st = inception_session_create(model, opt, &sess)) != INCEPTION_OK)
        return fail("session", st);
    if ((st = inception_model_create_input(model, batch, INCEPTION_LAYOUT_NCHW, &input)) !=
        INCEPTION_OK)
        return fail("input", st);
    float *x = inception_tensor_data(input);
    size_t n = inception_tensor_byte_size(input) / sizeof(float);
    for (size_t i = 0; i < n; i++) x[i] = (float)((i * 2654435761u) % 2000) / 1000.0f - 1.0f;
    double *t = calloc((size_t)runs, sizeof *t);
    for (int r = -3; r < runs; r++) {
        double t0 = now_s();
        if ((st = inception_session_run(sess, input)) != INCEPTION_OK) return fail("run", st);
        if (r >= 0) t[r] = now_s() - t0;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp_double);
    printf("RESULT engine=libinception backend=%s threads=%d batch=%d runs=%d median_ms=%.2f "
           "ms_per_img=%.2f min_ms=%.2f\n",
           backend, threads, batch, runs, t[runs / 2] * 1e3, t[runs / 2] * 1e3 / batch,
           t[0] * 1e3);
    free(t);
    inception_tensor_free(input);
    inception_session_free(sess);
    inception_model_free(model);
    inception_options_free(opt);
    return 0;
}

int main(int argc, char **argv) {
    const char *cmd = argc > 1 ? argv[1] : "layers";
    if (strcmp(cmd, "peak") == 0) return cmd_peak();
    if (strcmp(cmd, "model") == 0) {
        if (argc < 3) {
            fprintf(stderr, "usage: bench_kernels model FILE [BACKEND] [THREADS] [BATCH] "
                            "[RUNS]\n");
            return 2;
        }
        return cmd_model(argv[2], argc > 3 ? argv[3] : "simd", argc > 4 ? atoi(argv[4]) : 1,
                         argc > 5 ? atoi(argv[5]) : 1, argc > 6 ? atoi(argv[6]) : 20);
    }
    const char *name = argc > 2 ? argv[2] : "simd";
    n_threads = argc > 3 ? atoi(argv[3]) : 1;
    int batch = argc > 4 ? atoi(argv[4]) : 1;
    int runs = argc > 5 ? atoi(argv[5]) : 20;
    if (n_threads < 1 || n_threads > 64 || batch < 1 || runs < 1) {
        fprintf(stderr, "usage: bench_kernels layers|net|peak [BACKEND] [THREADS] [BATCH] "
                        "[RUNS]\n");
        return 2;
    }
    const inception_backend *be;
    if (inception_backend_get(name, &be) != INCEPTION_OK) {
        fprintf(stderr, "no backend named %s\n", name);
        return 1;
    }
    if (be->probe && be->probe(be->user) <= 0) {
        fprintf(stderr, "backend %s cannot run on this CPU\n", name);
        return 1;
    }
    pthread_t th[64];
    for (int t = 1; t < n_threads; t++)
        pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    cpu_time = strcmp(cmd, "net") != 0;
    int rc = cpu_time ? cmd_layers(be, batch) : cmd_net(be, batch, runs);
    atomic_store(&quit, 1);
    for (int t = 1; t < n_threads; t++) pthread_join(th[t], NULL);
    return rc;
}

#include <pthread.h>

#include "graph/pool.h"

struct inc_pool {
    int32_t threads;
    pthread_t *tids;
    int32_t started;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    uint64_t generation; /* bumped for each job */
    int32_t pending;     /* workers still running the current job */
    int32_t stop;
    inc_pool_fn fn;
    void *ctx;
};

typedef struct worker_arg {
    inc_pool *pool;
    int32_t index;
} worker_arg;

static void *worker_main(void *p) {
    worker_arg *wa = p;
    inc_pool *pool = wa->pool;
    int32_t index = wa->index;
    inc_free(wa);
    uint64_t seen = 0;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (!pool->stop && pool->generation == seen) pthread_cond_wait(&pool->wake, &pool->mu);
        if (pool->stop) break;
        seen = pool->generation;
        inc_pool_fn fn = pool->fn;
        void *ctx = pool->ctx;
        pthread_mutex_unlock(&pool->mu);
        fn(ctx, index);
        pthread_mutex_lock(&pool->mu);
        if (--pool->pending == 0) pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->mu);
    return NULL;
}

inception_status inc_pool_create(int32_t threads, inc_pool **out) {
    if (threads < 1) threads = 1;
    inc_pool *pool = inc_calloc(1, sizeof *pool);
    if (!pool) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating the thread pool");
    pool->threads = threads;
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    if (threads > 1) {
        pool->tids = inc_calloc((size_t)threads - 1, sizeof *pool->tids);
        if (!pool->tids) {
            inc_pool_free(pool);
            return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating the thread pool");
        }
    }
    for (int32_t i = 1; i < threads; i++) {
        worker_arg *wa = inc_malloc(sizeof *wa);
        if (!wa) {
            inc_pool_free(pool);
            return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating the thread pool");
        }
        wa->pool = pool;
        wa->index = i;
        if (pthread_create(&pool->tids[i - 1], NULL, worker_main, wa) != 0) {
            inc_free(wa);
            inc_pool_free(pool);
            return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "cannot start worker thread %d", (int)i);
        }
        pool->started++;
    }
    *out = pool;
    return INCEPTION_OK;
}

void inc_pool_free(inc_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mu);
    pool->stop = 1;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
    for (int32_t i = 0; i < pool->started; i++) pthread_join(pool->tids[i], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->mu);
    inc_free(pool->tids);
    inc_free(pool);
}

int32_t inc_pool_threads(const inc_pool *pool) { return pool->threads; }

void inc_pool_run(inc_pool *pool, inc_pool_fn fn, void *ctx) {
    if (pool->started == 0) {
        fn(ctx, 0);
        return;
    }
    pthread_mutex_lock(&pool->mu);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->pending = pool->started;
    pool->generation++;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
    fn(ctx, 0);
    pthread_mutex_lock(&pool->mu);
    while (pool->pending > 0) pthread_cond_wait(&pool->done, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
}

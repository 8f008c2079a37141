/* A small thread pool: `threads - 1` workers plus the calling thread run one job at a
 * time. Idle workers block on a condition variable, so an idle session costs no CPU. */
#ifndef INC_POOL_H
#define INC_POOL_H

#include <stdint.h>

#include "common/common.h"

typedef struct inc_pool inc_pool;
typedef void (*inc_pool_fn)(void *ctx, int32_t worker);

inception_status inc_pool_create(int32_t threads, inc_pool **out);
void inc_pool_free(inc_pool *pool);
int32_t inc_pool_threads(const inc_pool *pool);
/* Run fn(ctx, w) once on every worker w in [0, threads) (w = 0 on the caller) and wait. */
void inc_pool_run(inc_pool *pool, inc_pool_fn fn, void *ctx);

#endif

/* Per-shape execution plan: tensor sizes, a dependency graph of the layers, how many parts
 * each layer is split into, and activation memory offsets that reuse space by lifetime. */
#ifndef INC_PLAN_H
#define INC_PLAN_H

#include "graph/net.h"
#include "graph/pool.h"

#define INC_MAX_NODES 128

typedef struct inc_node {
    int32_t layer;
    inception_view in, out; /* data pointers are bound per run */
    int32_t parts;
    int64_t macs;           /* multiply-adds (convs) or elements touched (pools) */
    double priority;        /* longest remaining path, in MACs: the critical path first */
    int32_t n_pred;
    int32_t n_succ;
    int32_t succ[INC_MAX_NODES];
} inc_node;

typedef struct inc_plan {
    int64_t n, h, w;
    int32_t aux;            /* 1: the aux head runs (asked for and the input is large enough) */
    int32_t aux_dropped;    /* 1: asked for, but the input is too small for the aux head */
    char aux_reason[160];   /* why, when aux_dropped */
    int32_t threads;
    int32_t input_external; /* 1: the caller's NHWC tensor is read in place */
    int64_t th[INC_MAX_TENSORS], tw[INC_MAX_TENSORS];
    size_t offset[INC_MAX_TENSORS]; /* bytes into the arena */
    size_t arena_bytes;
    size_t scratch_bytes;           /* per worker */
    int32_t n_nodes;
    inc_node *nodes;
} inc_plan;

/* `keep` (NULL or one flag per tensor): tensors whose memory no later tensor may reuse,
 * so they still hold their values when the run ends (named outputs). An aux head that
 * the input is too small for is left out (aux_dropped) instead of failing the plan. */
inception_status inc_plan_build(inc_plan *plan, const inc_net *net, const inception_backend *be,
                                int64_t n, int64_t h, int64_t w, int32_t aux, int32_t threads,
                                int32_t input_external, const uint8_t *keep);
void inc_plan_free(inc_plan *plan);

/* Run the plan: arena and scratch (threads * scratch_bytes) are the caller's; `input` is
 * the NHWC input when input_external. Per-node thread time goes to ms[] when non-NULL. */
void inc_plan_execute(const inc_plan *plan, const inc_net *net, const inception_backend *be,
                      inc_pool *pool, float *arena, const float *input, void *scratch,
                      double *ms);

#endif

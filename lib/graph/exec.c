/* The executor: a dependency-driven list scheduler. A layer's parts become ready when
 * every layer it reads from has finished; free threads take the ready part with the
 * longest path still behind it. On 35x35 and larger grids layers are split across the
 * threads; on 17x17 and 8x8 the branches of a block run side by side instead. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "backends/q8.h"
#include "graph/plan.h"

typedef struct task {
    int32_t node, part;
} task;

/* The ready list holds nodes, not parts: a node enters it once with all its parts
 * unclaimed, so it never holds more than the plan's node count whatever the number of
 * threads (a list of parts needed nodes x threads entries). */

typedef struct exec_state {
    const inc_plan *plan;
    const inc_net *net;
    const inception_backend *be;
    char *scratch;
    double *ms;
    inception_view in[INC_MAX_NODES], out[INC_MAX_NODES];
    int32_t deps_left[INC_MAX_NODES];
    int32_t parts_done[INC_MAX_NODES];
    int32_t parts_taken[INC_MAX_NODES];
    int32_t ready[INC_MAX_NODES]; /* nodes with unclaimed parts */
    int32_t n_ready;
    int32_t nodes_left;
    int32_t waiting;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} exec_state;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static void push_node(exec_state *s, int32_t v) { s->ready[s->n_ready++] = v; }

static void run_task(exec_state *s, task t, void *scratch) {
    const inc_node *nd = &s->plan->nodes[t.node];
    const inc_layer *l = &s->net->layers[nd->layer];
    const inception_backend *be = s->be;
    const inception_view *in = &s->in[t.node], *out = &s->out[t.node];
    if (l->q8 || l->op == INC_OP_QUANT || l->op == INC_OP_DEQUANT) {
        inc_q8_view qi = {(uint8_t *)in->data, in->n, in->h, in->w, in->c, in->pixel_stride};
        inc_q8_view qo = {(uint8_t *)out->data, out->n, out->h, out->w, out->c, out->pixel_stride};
        switch (l->op) {
        case INC_OP_CONV:
            if (s->net->u8[l->dst]) inc_q8_conv_run(l->packed, &qi, &qo, t.part, nd->parts, scratch);
            else inc_q8_conv_run_f32(l->packed, &qi, out, t.part, nd->parts, scratch);
            break;
        case INC_OP_MAXPOOL: inc_q8_max_pool(&l->pool, &qi, &qo, t.part, nd->parts); break;
        case INC_OP_AVGPOOL: inc_q8_avg_pool(&l->pool, &qi, &qo, t.part, nd->parts); break;
        case INC_OP_QUANT: inc_q8_quantize(in, l->qscale, &qo, t.part, nd->parts); break;
        case INC_OP_DEQUANT: inc_q8_dequantize(&qi, l->qscale, out, t.part, nd->parts); break;
        case INC_OP_GAP: break;
        }
        return;
    }
    switch (l->op) {
    case INC_OP_CONV:
        be->conv_run(be->user, &l->conv, l->packed, in, out, t.part, nd->parts, scratch);
        break;
    case INC_OP_MAXPOOL: be->max_pool(be->user, &l->pool, in, out, t.part, nd->parts); break;
    case INC_OP_AVGPOOL: be->avg_pool(be->user, &l->pool, in, out, t.part, nd->parts); break;
    case INC_OP_GAP: be->global_avg_pool(be->user, in, out, t.part, nd->parts); break;
    case INC_OP_QUANT: case INC_OP_DEQUANT: break; /* handled above */
    }
}

static void worker(void *ctx, int32_t w) {
    exec_state *s = ctx;
    void *scratch = s->scratch + (size_t)w * s->plan->scratch_bytes;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->n_ready == 0 && s->nodes_left > 0) {
            s->waiting++;
            pthread_cond_wait(&s->cv, &s->mu);
            s->waiting--;
        }
        if (s->nodes_left == 0) break;
        int32_t best = 0;
        for (int32_t i = 1; i < s->n_ready; i++)
            if (s->plan->nodes[s->ready[i]].priority > s->plan->nodes[s->ready[best]].priority)
                best = i;
        task t = {s->ready[best], s->parts_taken[s->ready[best]]++};
        if (s->parts_taken[t.node] == s->plan->nodes[t.node].parts)
            s->ready[best] = s->ready[--s->n_ready];
        pthread_mutex_unlock(&s->mu);

        double t0 = s->ms ? now_ms() : 0;
        run_task(s, t, scratch);
        double dt = s->ms ? now_ms() - t0 : 0;

        pthread_mutex_lock(&s->mu);
        const inc_node *nd = &s->plan->nodes[t.node];
        if (s->ms) s->ms[t.node] += dt;
        if (++s->parts_done[t.node] == nd->parts) {
            s->nodes_left--;
            for (int32_t k = 0; k < nd->n_succ; k++)
                if (--s->deps_left[nd->succ[k]] == 0) push_node(s, nd->succ[k]);
            if (s->waiting && (s->n_ready > 0 || s->nodes_left == 0))
                pthread_cond_broadcast(&s->cv);
        }
    }
    pthread_mutex_unlock(&s->mu);
}

void inc_plan_execute(const inc_plan *plan, const inc_net *net, const inception_backend *be,
                      inc_pool *pool, float *arena, const float *input, void *scratch,
                      double *ms) {
    /* About 20 KB whatever the thread count: on the stack, so a run never allocates and cannot fail. */
    exec_state local;
    exec_state *s = &local;
    memset(s, 0, sizeof *s);
    s->plan = plan, s->net = net, s->be = be, s->scratch = scratch, s->ms = ms;
    for (int32_t v = 0; v < plan->n_nodes; v++) {
        const inc_layer *l = &net->layers[plan->nodes[v].layer];
        char *src = (l->src == net->t_input && plan->input_external)
                        ? (char *)input
                        : (char *)arena + plan->offset[l->src];
        char *dst = (char *)arena + plan->offset[l->dst];
        /* uint8 tensors of an int8 net travel in the same views, as byte pointers */
        s->in[v] = plan->nodes[v].in;
        s->in[v].data = (float *)(src + (size_t)l->src_c0 * (net->u8[l->src] ? 1 : sizeof(float)));
        s->out[v] = plan->nodes[v].out;
        s->out[v].data = (float *)(dst + (size_t)l->dst_c0 * (net->u8[l->dst] ? 1 : sizeof(float)));
        s->deps_left[v] = plan->nodes[v].n_pred;
        if (ms) ms[v] = 0;
    }
    s->nodes_left = plan->n_nodes;
    for (int32_t v = 0; v < plan->n_nodes; v++)
        if (s->deps_left[v] == 0) push_node(s, v);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    inc_pool_run(pool, worker, s);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
}

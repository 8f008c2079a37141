#include <stdio.h>
#include <string.h>

#include "backends/q8.h"
#include "graph/plan.h"

typedef struct bits {
    uint64_t w[INC_MAX_NODES / 64];
} bits;

static void bit_set(bits *b, int32_t i) { b->w[i / 64] |= (uint64_t)1 << (i % 64); }
static int bit_get(const bits *b, int32_t i) { return (int)((b->w[i / 64] >> (i % 64)) & 1); }
static void bit_or(bits *a, const bits *b) {
    for (int k = 0; k < INC_MAX_NODES / 64; k++) a->w[k] |= b->w[k];
}
static int bit_subset(const bits *a, const bits *b) {
    for (int k = 0; k < INC_MAX_NODES / 64; k++)
        if (a->w[k] & ~b->w[k]) return 0;
    return 1;
}
static int bit_empty(const bits *a) {
    for (int k = 0; k < INC_MAX_NODES / 64; k++)
        if (a->w[k]) return 0;
    return 1;
}

/* Output size of a window op, or 0 when the input is too small for it. */
static int64_t out_size(int64_t in, int32_t k, int32_t s, int32_t p) {
    if (in + 2 * p < k) return 0;
    return (in + 2 * p - k) / s + 1;
}

/* Below this much work a layer is not split: it runs on one thread while other branches
 * of the same block run on the others. */
#define SPLIT_MIN_MACS (4 * 1000 * 1000)

static int32_t choose_parts(const inc_layer *l, int64_t macs, int32_t threads) {
    if (threads <= 1) return 1;
    if (macs < SPLIT_MIN_MACS) return 1;
    return threads;
}

typedef struct placed {
    size_t offset, size;
    int32_t tensor;
} placed;

static inception_status build(inc_plan *p, const inc_net *net, const inception_backend *be,
                              int64_t n, int64_t h, int64_t w, int32_t aux, int32_t threads,
                              int32_t input_external, const uint8_t *keep);

inception_status inc_plan_build(inc_plan *p, const inc_net *net, const inception_backend *be,
                                int64_t n, int64_t h, int64_t w, int32_t aux, int32_t threads,
                                int32_t input_external, const uint8_t *keep) {
    inception_status st = build(p, net, be, n, h, w, aux, threads, input_external, keep);
    if (st == INCEPTION_OK || !aux || !p->aux_dropped) return st;
    /* the aux head alone was too small for this input: plan the rest */
    char reason[sizeof p->aux_reason];
    snprintf(reason, sizeof reason, "%s", p->aux_reason);
    inc_error_clear();
    st = build(p, net, be, n, h, w, 0, threads, input_external, keep);
    if (st) return st;
    p->aux_dropped = 1;
    snprintf(p->aux_reason, sizeof p->aux_reason, "%s", reason);
    return INCEPTION_OK;
}

static inception_status build(inc_plan *p, const inc_net *net, const inception_backend *be,
                              int64_t n, int64_t h, int64_t w, int32_t aux, int32_t threads,
                              int32_t input_external, const uint8_t *keep) {
    memset(p, 0, sizeof *p);
    p->n = n, p->h = h, p->w = w, p->aux = aux, p->threads = threads;
    p->input_external = input_external;
    p->th[net->t_input] = h;
    p->tw[net->t_input] = w;

    int32_t node_of_layer[512];
    if (net->n_layers > 512) return inc_error(INCEPTION_ERR_INTERNAL, "graph too large");
    int32_t count = 0;
    for (int32_t i = 0; i < net->n_layers; i++) {
        node_of_layer[i] = -1;
        if (!net->layers[i].aux || aux) node_of_layer[i] = count++;
    }
    if (count > INC_MAX_NODES) return inc_error(INCEPTION_ERR_INTERNAL, "graph too large");
    p->nodes = inc_calloc((size_t)count, sizeof *p->nodes);
    if (!p->nodes) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating the plan");
    p->n_nodes = count;

    /* Sizes and views, in graph order. */
    bits writers[INC_MAX_TENSORS], access[INC_MAX_TENSORS], anc[INC_MAX_NODES];
    memset(writers, 0, sizeof writers);
    memset(access, 0, sizeof access);
    memset(anc, 0, sizeof anc);
    for (int32_t i = 0; i < net->n_layers; i++) {
        int32_t v = node_of_layer[i];
        if (v < 0) continue;
        const inc_layer *l = &net->layers[i];
        inc_node *nd = &p->nodes[v];
        nd->layer = i;
        int64_t ih = p->th[l->src], iw = p->tw[l->src], oh, ow;
        if (l->op == INC_OP_CONV) {
            oh = out_size(ih, l->conv.kernel_h, l->conv.stride_h, l->conv.pad_h);
            ow = out_size(iw, l->conv.kernel_w, l->conv.stride_w, l->conv.pad_w);
        } else if (l->op == INC_OP_GAP) {
            oh = ow = 1;
        } else if (l->op == INC_OP_QUANT || l->op == INC_OP_DEQUANT) {
            oh = ih, ow = iw;
        } else {
            oh = out_size(ih, l->pool.kernel_h, l->pool.stride_h, l->pool.pad_h);
            ow = out_size(iw, l->pool.kernel_w, l->pool.stride_w, l->pool.pad_w);
        }
        if (oh < 1 || ow < 1) {
            inc_plan_free(p);
            if (l->aux) {
                p->aux_dropped = 1;
                snprintf(p->aux_reason, sizeof p->aux_reason,
                         "input %lldx%lld is too small for the aux head: %s gets a %lldx%lld "
                         "grid (it needs about 299x299 or more)", (long long)h, (long long)w,
                         l->name, (long long)ih, (long long)iw);
            }
            return inc_error(INCEPTION_ERR_INPUT_SIZE,
                             "input %lldx%lld is too small: %s gets a %lldx%lld grid%s",
                             (long long)h, (long long)w, l->name, (long long)ih, (long long)iw,
                             l->aux ? " (the aux head needs about 299x299 or more)" : "");
        }
        if (p->th[l->dst] && (p->th[l->dst] != oh || p->tw[l->dst] != ow)) {
            inc_plan_free(p);
            return inc_error(INCEPTION_ERR_INTERNAL, "branch sizes disagree at %s", l->name);
        }
        p->th[l->dst] = oh, p->tw[l->dst] = ow;
        nd->in = (inception_view){NULL, n, ih, iw, l->in_c, net->channels[l->src]};
        nd->out = (inception_view){NULL, n, oh, ow, l->out_c, net->channels[l->dst]};
        int64_t opix = n * oh * ow;
        if (l->op == INC_OP_CONV)
            nd->macs = opix * l->out_c * (int64_t)l->in_c * l->conv.kernel_h * l->conv.kernel_w;
        else if (l->op == INC_OP_GAP || l->op == INC_OP_QUANT || l->op == INC_OP_DEQUANT)
            nd->macs = n * ih * iw * l->in_c;
        else
            nd->macs = opix * l->out_c * (int64_t)l->pool.kernel_h * l->pool.kernel_w;
        nd->parts = choose_parts(l, nd->macs, threads);

        /* Dependencies: every earlier writer of the tensor this layer reads. */
        for (int32_t u = 0; u < v; u++) {
            if (!bit_get(&writers[l->src], u)) continue;
            p->nodes[u].succ[p->nodes[u].n_succ++] = v;
            nd->n_pred++;
            bit_set(&anc[v], u);
            bit_or(&anc[v], &anc[u]);
        }
        bit_set(&writers[l->dst], v);
        bit_set(&access[l->dst], v);
        bit_set(&access[l->src], v);
    }

    /* Critical-path priorities, from the end. */
    for (int32_t v = count - 1; v >= 0; v--) {
        double best = 0;
        for (int32_t k = 0; k < p->nodes[v].n_succ; k++) {
            double s = p->nodes[p->nodes[v].succ[k]].priority;
            if (s > best) best = s;
        }
        p->nodes[v].priority = (double)p->nodes[v].macs + best;
    }

    /* Memory: tensor b may take a's space when every access of a happens before every
     * writer of b (or the other way round). The input has no writer node: it is
     * written before the graph starts, so nothing may precede it. */
    size_t size[INC_MAX_TENSORS];
    int32_t used[INC_MAX_TENSORS];
    for (int32_t t = 0; t < net->n_tensors; t++) {
        size_t s = 0;
        used[t] = !bit_empty(&access[t]) &&
                  !(t == net->t_input && input_external);
        if (used[t]) {
            if (!inc_mul_size((size_t)n, (size_t)p->th[t], &s) ||
                !inc_mul_size(s, (size_t)p->tw[t], &s) ||
                !inc_mul_size(s, (size_t)net->channels[t] * (net->u8[t] ? 1 : sizeof(float)), &s) ||
                !inc_add_size(s, 63, &s)) {
                inc_plan_free(p);
                return inc_error(INCEPTION_ERR_INPUT_SIZE, "input %lldx%lld batch %lld is too large",
                                 (long long)h, (long long)w, (long long)n);
            }
            s &= ~(size_t)63;
        }
        size[t] = s;
    }
    /* before[a][b]: every access of a happens before every writer of b. */
    static const int32_t T = INC_MAX_TENSORS;
    uint8_t(*before)[INC_MAX_TENSORS] = inc_calloc((size_t)T, sizeof *before);
    if (!before) {
        inc_plan_free(p);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating the plan");
    }
    for (int32_t a = 0; a < net->n_tensors; a++)
        for (int32_t b = 0; b < net->n_tensors; b++) {
            /* a kept tensor lives to the end: nothing written after it may take its space */
            int ok = used[a] && used[b] && !bit_empty(&writers[b]) && !(keep && keep[a]);
            for (int32_t v = 0; v < count && ok; v++)
                if (bit_get(&writers[b], v) && !bit_subset(&access[a], &anc[v])) ok = 0;
            before[a][b] = (uint8_t)ok;
        }

    /* Greedy: largest first, at the lowest offset clear of every conflicting tensor
     * already placed (candidates: 0 and the end of each placed tensor). */
    placed pl[INC_MAX_TENSORS];
    int32_t n_placed = 0;
    int32_t done[INC_MAX_TENSORS] = {0};
    for (;;) {
        int32_t t = -1;
        for (int32_t u = 0; u < net->n_tensors; u++)
            if (used[u] && !done[u] && (t < 0 || size[u] > size[t])) t = u;
        if (t < 0) break;
        done[t] = 1;
        size_t best = SIZE_MAX;
        for (int32_t c = -1; c < n_placed; c++) {
            size_t off = c < 0 ? 0 : pl[c].offset + pl[c].size;
            if (off >= best) continue;
            int ok = 1;
            for (int32_t k = 0; k < n_placed && ok; k++) {
                int32_t a = pl[k].tensor;
                if (before[a][t] || before[t][a]) continue;
                if (off < pl[k].offset + pl[k].size && pl[k].offset < off + size[t]) ok = 0;
            }
            if (ok) best = off;
        }
        pl[n_placed++] = (placed){best, size[t], t};
        p->offset[t] = best;
        if (best + size[t] > p->arena_bytes) p->arena_bytes = best + size[t];
    }
    inc_free(before);

    /* Scratch: the largest any conv asks for. */
    for (int32_t v = 0; v < count; v++) {
        const inc_layer *l = &net->layers[p->nodes[v].layer];
        if (l->op != INC_OP_CONV) continue;
        size_t s;
        if (l->q8) {
            const inception_view *iv = &p->nodes[v].in;
            inc_q8_view q = {NULL, iv->n, iv->h, iv->w, iv->c, iv->pixel_stride};
            s = inc_q8_conv_scratch(l->packed, &q, p->nodes[v].parts);
        } else {
            if (!be->conv_scratch) continue;
            s = be->conv_scratch(be->user, &l->conv, l->packed, &p->nodes[v].in,
                                 &p->nodes[v].out, p->nodes[v].parts);
        }
        s = (s + 63) & ~(size_t)63;
        if (s > p->scratch_bytes) p->scratch_bytes = s;
    }
    return INCEPTION_OK;
}

void inc_plan_free(inc_plan *p) {
    inc_free(p->nodes);
    p->nodes = NULL;
    p->n_nodes = 0;
}

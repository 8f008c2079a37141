/* The trainable suffix of the network: the model's own layer list (lib/graph/net.c) from
 * the scope's first block on, run with unfolded weights (conv bias 0, no ReLU, through the
 * backend's conv_run), BatchNorm in train mode and ReLU here, then GAP, dropout and the fc
 * of the trainer. Backward in reverse layer order: every tensor's gradient is complete
 * before its producer reads it, since consumers come after producers. Buffers are planned
 * once per (batch, grid) and only for tensors of the scope, so the stem's activations are
 * never kept when the scope starts above it. The aux head (avg pool, conv0, conv1, GAP)
 * joins the layer list as ordinary scope layers when it trains; its fc is the trainer's
 * own, like the main one, and it is skipped (plan, forward, backward) where the grid is
 * too small for it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/registry.h"
#include "graph/pool.h"
#include "train/optim_update.h"
#include "train/scope.h"

#define BN_EPS 0.001 /* the models' BatchNorm eps (lib/model/weights.c) */
#define INC_MAX_THREADS_SCOPE 256 /* the sessions' thread limit */

static const char *const blocks[11] = {"Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a",
                                       "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
                                       "Mixed_7a", "Mixed_7b", "Mixed_7c"};

const char *inc_scope_block_name(int32_t i) { return i >= 0 && i < 11 ? blocks[i] : NULL; }

inception_status inc_scope_parse(const char *name, int32_t *first) {
    if (!name || strcmp(name, "fc") == 0) return *first = 11, INCEPTION_OK;
    if (strcmp(name, "all") == 0) return *first = -1, INCEPTION_OK;
    for (int32_t i = 0; i < 11; i++)
        if (strcmp(name, blocks[i]) == 0) return *first = i, INCEPTION_OK;
    if (strncmp(name, "last:", 5) == 0) {
        char *end;
        long v = strtol(name + 5, &end, 10);
        if (name[5] >= '0' && name[5] <= '9' && *end == '\0' && v >= 0 && v <= 11)
            return *first = 11 - (int32_t)v, INCEPTION_OK;
    }
    return inc_error(INCEPTION_ERR_NOT_FOUND, "TRAIN_SCOPE: no scope '%.64s'; valid scopes: " INC_SCOPE_NAMES, name);
}

typedef struct sc_tensor {
    int64_t h, w, c;
    float *act, *grad;
} sc_tensor;

typedef struct sc_layer {
    const inc_layer *l;
    int32_t src, dst;                 /* scope tensors */
    int32_t pw, pg, pb, prm, prv;     /* parameter indices (conv), pg -1 without gamma */
    int32_t aux;                      /* 1: a layer of the aux head */
    void *packed, *packed_ema;
    int64_t oh, ow;
    float *z;                         /* conv output before BN, [M][out_c] */
    double *mean, *istd;              /* per channel, of the last forward */
    double *uvar;                     /* its unbiased batch variance (the running update) */
    size_t wn;                        /* weight count (conv) */
} sc_layer;

struct inc_scope {
    const inception_backend *be;
    const inception_backend_train *bt; /* its backward ops (ref's where it has none) */
    const inc_net *net;
    inc_scope_cfg cfg;
    const char *input_name;
    sc_layer *layers;
    int32_t n_layers;
    sc_tensor tens[INC_MAX_TENSORS];
    int32_t map[INC_MAX_TENSORS];     /* net tensor -> scope tensor, -1 */
    int32_t n_tens, t_in, t_feat;
    int32_t first_param, end_param;
    int32_t has_aux, aux_fits, aux_on; /* aux head: built, fits the plan, runs this step */
    int32_t t_aux, p_aux_w, p_aux_b;   /* its GAP output [n][768] and its fc's parameters */
    /* the plan */
    int64_t N, H, W;
    size_t bytes;
    float *block;                     /* every planned buffer, one allocation */
    float *dz, *wbuf, *zero, *feat, *dfeat, *mask;
    double *acc;                      /* [6 * widest layer]: BN and GAP per-channel work */
    void *scratch;                    /* parts x scratch_bytes */
    size_t scratch_bytes, wmax, zmax, cmax;
    inc_pool *pool;                   /* the session's, NULL: one thread */
    int32_t parts;
};

/* Work split over the pool: fn(ctx, part, parts). Every split below is by output pixels
 * (elementwise or kernels whose parts split their output) or by channels, so each sum
 * runs in one fixed order whatever the thread count. */
typedef void (*sc_fn)(void *ctx, int32_t part, int32_t parts);
typedef struct sc_par {
    sc_fn fn;
    void *ctx;
    int32_t parts;
} sc_par;

static void par_worker(void *ctx, int32_t w) {
    sc_par *p = ctx;
    p->fn(p->ctx, w, p->parts);
}

static void par(const inc_scope *s, sc_fn fn, void *ctx) {
    if (s->parts <= 1 || !s->pool) {
        fn(ctx, 0, 1);
        return;
    }
    sc_par p = {fn, ctx, s->parts};
    inc_pool_run(s->pool, par_worker, &p);
}

static void *part_scratch(const inc_scope *s, int32_t part) {
    return s->scratch ? (char *)s->scratch + (size_t)part * s->scratch_bytes : NULL;
}

/* [c0, c1) of C channels for a part, in blocks of 8 (whole vectors for the BN loops). */
static void chan_range(int64_t C, int32_t part, int32_t parts, int64_t *c0, int64_t *c1) {
    int64_t blocks = (C + 7) / 8;
    *c0 = blocks * part / parts * 8, *c1 = blocks * (part + 1) / parts * 8;
    if (*c0 > C) *c0 = C;
    if (*c1 > C) *c1 = C;
}

static void row_range(int64_t M, int32_t part, int32_t parts, int64_t *m0, int64_t *m1) {
    *m0 = M * part / parts, *m1 = M * (part + 1) / parts;
}

inception_status inc_scope_set_pool(inc_scope *s, inc_pool *pool) {
    int32_t parts = pool ? inc_pool_threads(pool) : 1;
    if (parts > INC_MAX_THREADS_SCOPE) parts = INC_MAX_THREADS_SCOPE;
    if (parts != s->parts) { /* a weight buffer per part for repacking */
        float *w = inc_malloc((s->wmax ? s->wmax : 1) * (size_t)parts * sizeof(float));
        if (!w) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "training scope: weight buffers for %d threads", (int)parts);
        inc_free(s->wbuf);
        s->wbuf = w;
    }
    if (parts != s->parts && s->block) { /* the scratch is planned per part */
        inc_free(s->block);
        if (s->scratch) inc_free_aligned(s->scratch);
        s->block = NULL, s->scratch = NULL, s->bytes = 0, s->N = 0;
    }
    s->pool = pool, s->parts = parts;
    return INCEPTION_OK;
}

const char *inc_scope_input_name(const inc_scope *s) { return s->input_name; }
int inc_scope_has_aux(const inc_scope *s) { return s->has_aux; }
int inc_scope_aux_fits(const inc_scope *s) { return s->has_aux && s->aux_fits; }
size_t inc_scope_bytes(const inc_scope *s) { return s->bytes; }

int64_t inc_scope_trainable(const inc_scope *s, const inc_param *params) {
    int64_t n = 0;
    for (int32_t p = s->first_param; p < s->end_param; p++)
        if (!params[p].buffer) n += (int64_t)params[p].count;
    return n;
}

static int32_t add_param(inc_param *params, int32_t *n, int32_t cap, const char *name,
                         const char *suffix, int32_t rank, const int64_t *shape, int decay,
                         int buffer, const inc_optim_cfg *ocfg, const inc_safetensors *st,
                         inception_status *status) {
    if (*status) return -1;
    if (*n == cap) {
        *status = inc_error(INCEPTION_ERR_INTERNAL, "too many trainable tensors");
        return -1;
    }
    inc_param *p = &params[*n];
    memset(p, 0, sizeof *p);
    if ((size_t)snprintf(p->name, sizeof p->name, "%s.%s", name, suffix) >= sizeof p->name) {
        *status = inc_error(INCEPTION_ERR_INTERNAL, "tensor name %s.%s is too long", name, suffix);
        return -1;
    }
    p->rank = rank;
    p->count = 1;
    for (int32_t r = 0; r < rank; r++) p->shape[r] = shape[r], p->count *= (size_t)shape[r];
    p->decay = decay, p->buffer = buffer;
    if ((*status = inc_param_alloc(p, ocfg))) return -1;
    if ((*status = inc_load_tensor(st, p->name, rank, shape, p->value))) {
        inc_param_free(p);
        return -1;
    }
    memcpy(p->ema, p->value, p->count * sizeof(float));
    return (*n)++;
}

/* The new aux fc as torchvision initialises InceptionAux.fc (init_weights: weight
 * trunc_normal(0, 0.001, a=-2, b=2); nn.Linear's bias U(+-1/sqrt(768))), with the draws
 * of the trainer's main fc (trainer.c init_fc) on streams of its own names. */
static int32_t new_aux_fc(inc_param *params, int32_t *n, int32_t cap, int32_t K, int bias,
                          const inc_optim_cfg *ocfg, uint64_t seed, inception_status *status) {
    if (*status) return -1;
    if (*n == cap) {
        *status = inc_error(INCEPTION_ERR_INTERNAL, "too many trainable tensors");
        return -1;
    }
    inc_param *p = &params[*n];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, bias ? "AuxLogits.fc.bias" : "AuxLogits.fc.weight");
    p->rank = bias ? 1 : 2;
    p->shape[0] = K, p->shape[1] = 768;
    p->count = bias ? (size_t)K : (size_t)K * 768;
    p->decay = !bias;
    if ((*status = inc_param_alloc(p, ocfg))) return -1;
    uint64_t key = inc_rng_key(seed, p->name, 0, 0);
    for (size_t i = 0; i < p->count; i++) {
        double v;
        if (bias) {
            v = (2.0 * inc_rng_uniform(key, i) - 1.0) / sqrt(768.0);
        } else {
            uint64_t j = 0;
            do v = 0.001 * inc_rng_normal(inc_rng_key(key, "trunc", i, 0), j++);
            while (v < -2.0 || v > 2.0);
        }
        p->value[i] = (float)v;
    }
    memcpy(p->ema, p->value, p->count * sizeof(float));
    return (*n)++;
}

static inception_status pack_one(const inception_backend *be, const inception_backend_train *bt, const sc_layer *L,
                                 const inc_param *params, int ema, float *wbuf,
                                 const float *zero, void **out) {
    const inception_conv_desc *d = &L->l->conv;
    const float *w = ema ? params[L->pw].ema : params[L->pw].value;
    int64_t ci = d->in_channels, kk = d->kernel_h * d->kernel_w;
    /* torchvision [out][in][kh][kw] -> the backends' [out][kh][kw][in] (the same for 1x1):
     * per output channel, writes in order, reads within its filter */
    const float *src = w;
    if (kk > 1) {
        for (int64_t o = 0; o < d->out_channels; o++)
            for (int64_t t = 0; t < kk; t++)
                for (int64_t i = 0; i < ci; i++) wbuf[(o * kk + t) * ci + i] = w[(o * ci + i) * kk + t];
        src = wbuf;
    }
    inception_conv_desc raw = *d;
    raw.relu = 0;
    if (*out && bt->conv_repack) return bt->conv_repack(bt->user, &raw, src, zero, *out);
    void *p = NULL;
    inc_error_clear();
    inception_status st = be->conv_pack(be->user, &raw, src, zero, &p);
    if (st) {
        if (!inc_error_message()[0]) inc_error(st, "backend '%s' failed to pack %s", be->name, L->l->name);
        return st;
    }
    if (*out) be->conv_release(be->user, *out);
    *out = p;
    return INCEPTION_OK;
}

/* Repacking spreads the layers over the parts by weight count, each part with its own
 * slice of wbuf; a failure is redone on the calling thread for its message. */
typedef struct sc_repack {
    inc_scope *s;
    const inc_param *params;
    int ema;
    inception_status st[INC_MAX_THREADS_SCOPE];
} sc_repack;

static void job_repack(void *ctx, int32_t part, int32_t parts) {
    sc_repack *r = ctx;
    inc_scope *s = r->s;
    size_t total = 0, before = 0;
    for (int32_t i = 0; i < s->n_layers; i++) total += s->layers[i].wn;
    r->st[part] = INCEPTION_OK;
    for (int32_t i = 0; i < s->n_layers; i++) {
        sc_layer *L = &s->layers[i];
        int32_t owner = total ? (int32_t)((double)before / (double)total * parts) : 0;
        before += L->wn;
        if (L->l->op != INC_OP_CONV || owner != part || r->st[part]) continue;
        r->st[part] = pack_one(s->be, s->bt, L, r->params, r->ema, s->wbuf + (size_t)part * s->wmax, s->zero,
                               r->ema ? &L->packed_ema : &L->packed);
    }
}

inception_status inc_scope_repack(inc_scope *s, const inc_param *params, int ema) {
    sc_repack r = {s, params, ema, {0}};
    /* the first pack allocates (and may fail with a message): on this thread */
    int first = 0;
    for (int32_t i = 0; i < s->n_layers; i++)
        if (s->layers[i].l->op == INC_OP_CONV && !(ema ? s->layers[i].packed_ema : s->layers[i].packed)) first = 1;
    if (!first && s->bt->conv_repack && s->parts <= INC_MAX_THREADS_SCOPE) {
        par(s, job_repack, &r);
        int failed = 0;
        for (int32_t p = 0; p < s->parts; p++) failed |= r.st[p] != INCEPTION_OK;
        if (!failed) return INCEPTION_OK;
    }
    for (int32_t i = 0; i < s->n_layers; i++) {
        sc_layer *L = &s->layers[i];
        if (L->l->op != INC_OP_CONV) continue;
        inception_status st = pack_one(s->be, s->bt, L, params, ema, s->wbuf, s->zero, ema ? &L->packed_ema : &L->packed);
        if (st) return st;
    }
    return INCEPTION_OK;
}

void inc_scope_free(inc_scope *s) {
    if (!s) return;
    for (int32_t i = 0; s->layers && i < s->n_layers; i++) {
        if (s->layers[i].packed) s->be->conv_release(s->be->user, s->layers[i].packed);
        if (s->layers[i].packed_ema) s->be->conv_release(s->be->user, s->layers[i].packed_ema);
    }
    inc_free(s->layers);
    inc_free(s->block);
    inc_free(s->scratch);
    inc_free(s->wbuf);
    inc_free(s->zero);
    inc_free(s);
}

inception_status inc_scope_create(const inception_model *model, const inc_safetensors *st,
                                  const inc_scope_cfg *cfg, const inc_optim_cfg *ocfg,
                                  inc_param *params, int32_t *n_params, int32_t cap,
                                  inc_scope **out) {
    const inc_net *net = &model->net;
    inc_scope *s = inc_calloc(1, sizeof *s);
    if (!s) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "training scope");
    s->be = model->backend, s->net = net, s->cfg = *cfg;
    s->bt = inc_backend_train_ops(model->backend);
    for (int32_t i = 0; i < INC_MAX_TENSORS; i++) s->map[i] = -1;
    int32_t first = 0;
    if (cfg->first_block >= 0) {
        char pre[16];
        snprintf(pre, sizeof pre, "%s.", blocks[cfg->first_block]);
        while (first < net->n_layers && strncmp(net->layers[first].name, pre, strlen(pre)) != 0) first++;
    }
    inception_status status = INCEPTION_OK;
    if (first >= net->n_layers) status = inc_error(INCEPTION_ERR_INTERNAL, "scope: no layer of %s", blocks[cfg->first_block]);
    int32_t in_net = status ? 0 : cfg->first_block >= 0 ? net->layers[first].src : net->t_input;
    for (int32_t i = 0; i < net->n_named && cfg->first_block >= 0; i++)
        if (net->named[i].tensor == in_net) s->input_name = net->named[i].name;
    if (!status && cfg->first_block >= 0 && !s->input_name)
        status = inc_error(INCEPTION_ERR_INTERNAL, "scope: the input of %s is not a named block", blocks[cfg->first_block]);
    if (!status && !(s->layers = inc_calloc((size_t)net->n_layers, sizeof *s->layers)))
        status = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "training scope");
    s->first_param = *n_params;
    s->parts = 1;
    if (!status) {
        s->map[in_net] = s->n_tens++;
        s->tens[0].c = net->channels[in_net];
        s->t_in = 0;
    }
    int aux = cfg->aux_weight > 0;
    for (int32_t i = first; !status && i < net->n_layers; i++) {
        const inc_layer *l = &net->layers[i];
        /* the trainer's fcs are its own */
        if ((l->aux && !aux) || l->dst == net->t_logits || l->dst == net->t_aux_logits) continue;
        if (s->map[l->src] < 0) {
            status = inc_error(INCEPTION_ERR_INTERNAL, "scope: %s reads a tensor outside the scope", l->name);
            break;
        }
        if (s->map[l->dst] < 0) {
            s->map[l->dst] = s->n_tens;
            s->tens[s->n_tens++].c = net->channels[l->dst];
        }
        sc_layer *L = &s->layers[s->n_layers++];
        L->l = l, L->src = s->map[l->src], L->dst = s->map[l->dst];
        L->pw = L->pg = L->pb = L->prm = L->prv = -1;
        L->aux = l->aux;
        if (l->aux) s->has_aux = 1;
        if (l->aux && l->op == INC_OP_GAP) s->t_aux = L->dst;
        if (l->op != INC_OP_CONV) continue;
        const inception_conv_desc *d = &l->conv;
        char conv[64], bn[64];
        snprintf(conv, sizeof conv, "%s.conv", l->name);
        snprintf(bn, sizeof bn, "%s.bn", l->name);
        int64_t wshape[4] = {d->out_channels, d->in_channels, d->kernel_h, d->kernel_w}, c[1] = {d->out_channels};
        L->pw = add_param(params, n_params, cap, conv, "weight", 4, wshape, 1, 0, ocfg, st, &status);
        if (model->cfg.bn_has_gamma)
            L->pg = add_param(params, n_params, cap, bn, "weight", 1, c, 0, 0, ocfg, st, &status);
        L->pb = add_param(params, n_params, cap, bn, "bias", 1, c, 0, 0, ocfg, st, &status);
        L->prm = add_param(params, n_params, cap, bn, "running_mean", 1, c, 0, 1, ocfg, st, &status);
        L->prv = add_param(params, n_params, cap, bn, "running_var", 1, c, 0, 1, ocfg, st, &status);
        size_t wn = (size_t)d->out_channels * d->in_channels * d->kernel_h * d->kernel_w;
        if (wn > s->wmax) s->wmax = wn;
        L->wn = wn;
    }
    if (!status && aux && (!s->has_aux || s->t_aux <= 0))
        status = inc_error(INCEPTION_ERR_INTERNAL, "scope: the model's aux head is not in the scope");
    if (aux) {
        s->p_aux_w = new_aux_fc(params, n_params, cap, cfg->classes, 0, ocfg, cfg->seed, &status);
        s->p_aux_b = new_aux_fc(params, n_params, cap, cfg->classes, 1, ocfg, cfg->seed, &status);
    }
    s->end_param = *n_params;
    if (!status) s->t_feat = s->map[net->t_features];
    if (!status && s->t_feat < 0) status = inc_error(INCEPTION_ERR_INTERNAL, "scope: no features");
    if (!status) {
        s->wbuf = inc_malloc((s->wmax ? s->wmax : 1) * sizeof(float));
        s->zero = inc_calloc(2048, sizeof(float));
        if (!s->wbuf || !s->zero) status = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "training scope");
    }
    if (!status) status = inc_scope_repack(s, params, 0);
    if (!status) status = inc_scope_repack(s, params, 1);
    if (status) {
        for (int32_t p = s->first_param; p < *n_params; p++) inc_param_free(&params[p]);
        *n_params = s->first_param;
        inc_scope_free(s);
        return status;
    }
    *out = s;
    return INCEPTION_OK;
}

static int64_t window_out(int64_t in, int32_t k, int32_t st, int32_t p) {
    return in + 2 * p < k ? 0 : (in + 2 * p - k) / st + 1;
}

inception_status inc_scope_plan(inc_scope *s, int64_t n, int64_t h, int64_t w, int64_t max_bytes) {
    if (s->block && s->N == n && s->H == h && s->W == w) return INCEPTION_OK;
    inc_free(s->block);
    inc_free(s->scratch);
    s->block = NULL, s->scratch = NULL, s->bytes = 0, s->N = 0;
    s->tens[s->t_in].h = h, s->tens[s->t_in].w = w;
    size_t scratch = 0, zmax = 0;
    s->aux_fits = s->has_aux;
    for (int32_t i = 0; i < s->n_layers; i++) {
        sc_layer *L = &s->layers[i];
        const inc_layer *l = L->l;
        const sc_tensor *x = &s->tens[L->src];
        int64_t oh, ow;
        if (l->op == INC_OP_GAP) oh = ow = 1;
        else if (l->op == INC_OP_CONV)
            oh = window_out(x->h, l->conv.kernel_h, l->conv.stride_h, l->conv.pad_h),
            ow = window_out(x->w, l->conv.kernel_w, l->conv.stride_w, l->conv.pad_w);
        else
            oh = window_out(x->h, l->pool.kernel_h, l->pool.stride_h, l->pool.pad_h),
            ow = window_out(x->w, l->pool.kernel_w, l->pool.stride_w, l->pool.pad_w);
        if (L->aux && (x->h < 1 || x->w < 1 || oh < 1 || ow < 1)) {
            /* PyTorch's InceptionAux fails there; here the head sits out (no buffers) */
            oh = ow = 0;
            s->aux_fits = 0;
        }
        if (!L->aux && (oh < 1 || ow < 1))
            return inc_error(INCEPTION_ERR_SHAPE, "the input (scope input %lldx%lld) is too small for %s of the training scope",
                             (long long)h, (long long)w, l->name);
        L->oh = oh, L->ow = ow;
        s->tens[L->dst].h = oh, s->tens[L->dst].w = ow;
        if (l->op == INC_OP_CONV && oh > 0) {
            inception_conv_desc raw = l->conv;
            raw.relu = 0;
            inception_view iv = {NULL, n, x->h, x->w, l->in_c, x->c}, ov = {NULL, n, oh, ow, l->out_c, l->out_c};
            int32_t P = s->parts;
            size_t a = s->be->conv_scratch ? s->be->conv_scratch(s->be->user, &raw, L->packed, &iv, &ov, P) : 0;
            size_t b = s->bt->conv_backward_weights_scratch(s->bt->user, &raw, &iv, &ov, P);
            size_t c = s->bt->conv_backward_data_scratch(s->bt->user, &raw, &ov, &iv, P);
            if (a > scratch) scratch = a;
            if (b > scratch) scratch = b;
            if (c > scratch) scratch = c;
            size_t zn = (size_t)(n * oh * ow) * (size_t)l->out_c;
            if (zn > zmax) zmax = zn;
        }
        if ((size_t)l->out_c > s->cmax) s->cmax = (size_t)l->out_c;
    }
    scratch = (scratch + 63) / 64 * 64;
    /* one block: activations and gradients of every scope tensor, each conv's raw output
     * and BN statistics, the shared dz, features, their gradient and the dropout mask */
    size_t floats = 0;
    for (int32_t t = 0; t < s->n_tens; t++) {
        size_t e = (size_t)(n * s->tens[t].h * s->tens[t].w * s->tens[t].c);
        floats += t == s->t_in ? e : 2 * e;
    }
    for (int32_t i = 0; i < s->n_layers; i++)
        if (s->layers[i].l->op == INC_OP_CONV)
            floats += (size_t)(n * s->layers[i].oh * s->layers[i].ow) * (size_t)s->layers[i].l->out_c +
                      6 * (size_t)s->layers[i].l->out_c; /* z, mean, istd and uvar (doubles) */
    floats += zmax + 3 * (size_t)n * 2048 + 12 * s->cmax; /* acc: 6 doubles per channel */
    size_t bytes = floats * sizeof(float) + scratch * (size_t)s->parts;
    if (max_bytes > 0 && bytes > (size_t)max_bytes)
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY,
                         "training a batch of %lld at this scope needs %zu bytes of activations and gradients, "
                         "over MAX_SESSION_MEMORY (%lld); use a smaller TRAIN_BATCH or scope",
                         (long long)n, bytes, (long long)max_bytes);
    float *blk = inc_malloc(floats * sizeof(float));
    void *scr = scratch ? inc_malloc_aligned(scratch * (size_t)s->parts) : NULL;
    if (!blk || (scratch && !scr)) {
        inc_free(blk);
        if (scr) inc_free_aligned(scr);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY,
                         "training a batch of %lld at this scope needs %zu bytes of activations and gradients",
                         (long long)n, bytes);
    }
    float *p = blk;
    for (int32_t t = 0; t < s->n_tens; t++) {
        size_t e = (size_t)(n * s->tens[t].h * s->tens[t].w * s->tens[t].c);
        s->tens[t].act = p, p += e;
        s->tens[t].grad = t == s->t_in ? NULL : p;
        if (t != s->t_in) p += e;
    }
    for (int32_t i = 0; i < s->n_layers; i++) {
        sc_layer *L = &s->layers[i];
        if (L->l->op != INC_OP_CONV) continue;
        L->z = p, p += (size_t)(n * L->oh * L->ow) * (size_t)L->l->out_c;
        L->mean = (double *)(void *)p, p += 2 * (size_t)L->l->out_c;
        L->istd = (double *)(void *)p, p += 2 * (size_t)L->l->out_c;
        L->uvar = (double *)(void *)p, p += 2 * (size_t)L->l->out_c;
    }
    s->dz = p, p += zmax;
    s->feat = p, p += (size_t)n * 2048;
    s->dfeat = p, p += (size_t)n * 2048;
    s->mask = p, p += (size_t)n * 2048;
    s->acc = (double *)(void *)p;
    s->block = blk, s->scratch = scr, s->scratch_bytes = scratch, s->zmax = zmax;
    s->N = n, s->H = h, s->W = w, s->bytes = bytes;
    return INCEPTION_OK;
}

static inception_view view_of(const sc_tensor *t, int64_t n, float *base, int32_t c0, int32_t c) {
    return (inception_view){base + c0, n, t->h, t->w, c, t->c};
}

/* One layer's work, handed to the parts. */
typedef struct sc_job {
    inc_scope *s;
    sc_layer *L;
    inc_param *params;
    int train, use_ema;
    inception_view iv, ov, gy, gx, dzv;
} sc_job;

static void job_conv(void *ctx, int32_t part, int32_t parts) {
    sc_job *j = ctx;
    inception_conv_desc raw = j->L->l->conv;
    raw.relu = 0;
    inception_view zv = {j->L->z, j->s->N, j->L->oh, j->L->ow, raw.out_channels, raw.out_channels};
    j->s->be->conv_run(j->s->be->user, &raw, j->use_ema ? j->L->packed_ema : j->L->packed, &j->iv, &zv,
                       part, parts, part_scratch(j->s, part));
}

static void job_maxpool(void *ctx, int32_t part, int32_t parts) {
    sc_job *j = ctx;
    j->s->be->max_pool(j->s->be->user, &j->L->l->pool, &j->iv, &j->ov, part, parts);
}

static void job_avgpool(void *ctx, int32_t part, int32_t parts) {
    sc_job *j = ctx;
    j->s->be->avg_pool(j->s->be->user, &j->L->l->pool, &j->iv, &j->ov, part, parts);
}

/* Global average pool over channels [c0, c1): per-channel double sums over the pixels in
 * order, row by row (contiguous channels). */
static void job_gap(void *ctx, int32_t part, int32_t parts) {
    sc_job *j = ctx;
    const inception_view *x = &j->iv, *y = &j->ov;
    int64_t c0, c1, hw = x->h * x->w;
    chan_range(x->c, part, parts, &c0, &c1);
    double *acc = j->s->acc;
    for (int64_t b = 0; b < x->n; b++) {
        for (int64_t c = c0; c < c1; c++) acc[c] = 0;
        for (int64_t q = 0; q < hw; q++) {
            const float *r = x->data + (b * hw + q) * x->pixel_stride;
            for (int64_t c = c0; c < c1; c++) acc[c] += r[c];
        }
        float *o = y->data + b * y->pixel_stride;
        for (int64_t c = c0; c < c1; c++) o[c] = (float)(acc[c] / (double)hw);
    }
}

/* BatchNorm (train mode: batch statistics in double, each channel summed over the rows in
 * order; else running statistics) and ReLU over channels [c0, c1) of one conv layer. */
static void bn_forward(inc_scope *s, sc_layer *L, const inc_param *params, int train,
                       int use_ema, const inception_view *ov, int64_t c0, int64_t c1) {
    int64_t C = L->l->out_c, M = s->N * L->oh * L->ow;
    const float *gam = L->pg >= 0 ? (use_ema ? params[L->pg].ema : params[L->pg].value) : NULL;
    const float *bet = use_ema ? params[L->pb].ema : params[L->pb].value;
    float *rm = params[L->prm].value, *rv = params[L->prv].value;
    double *restrict mean = L->mean, *restrict istd = L->istd;
    if (train && !s->cfg.frozen_bn) {
        for (int64_t c = c0; c < c1; c++) mean[c] = 0, istd[c] = 0;
        for (int64_t m = 0; m < M; m++) {
            const float *restrict z = L->z + m * C;
            for (int64_t c = c0; c < c1; c++) mean[c] += z[c];
        }
        for (int64_t c = c0; c < c1; c++) mean[c] /= (double)M;
        for (int64_t m = 0; m < M; m++) {
            const float *restrict z = L->z + m * C;
            for (int64_t c = c0; c < c1; c++) {
                double d = z[c] - mean[c];
                istd[c] += d * d; /* the sum of squares until below */
            }
        }
        for (int64_t c = c0; c < c1; c++) {
            double sq = istd[c], var = sq / (double)M;
            L->uvar[c] = M > 1 ? sq / (double)(M - 1) : var;
            istd[c] = 1.0 / sqrt(var + BN_EPS);
        }
    } else {
        for (int64_t c = c0; c < c1; c++) mean[c] = rm[c], istd[c] = 1.0 / sqrt((double)rv[c] + BN_EPS);
    }
    /* y = relu((z - mean) * (istd * gamma) + beta), in double (the loss's precision) */
    double *restrict fa = s->acc, *restrict fb = fa + s->cmax;
    for (int64_t c = c0; c < c1; c++) fa[c] = istd[c] * (gam ? gam[c] : 1.0), fb[c] = bet[c];
    inc_bn_rows_forward(M, C, ov->pixel_stride, c0, c1, L->z, mean, fa, fb, ov->data);
}

static void job_bn_forward(void *ctx, int32_t part, int32_t parts) {
    sc_job *j = ctx;
    int64_t c0, c1;
    chan_range(j->L->l->out_c, part, parts, &c0, &c1);
    bn_forward(j->s, j->L, j->params, j->train, j->use_ema, &j->ov, c0, c1);
}

/* The running statistics from the last forward's batch statistics: only once the loss is
 * known to be finite, so a diverged step leaves them as they were. */
static void update_running(inc_scope *s, inc_param *params) {
    if (s->cfg.frozen_bn) return;
    double mo = s->cfg.momentum;
    for (int32_t i = 0; i < s->n_layers; i++) {
        const sc_layer *L = &s->layers[i];
        if (L->l->op != INC_OP_CONV || (L->aux && !s->aux_on)) continue; /* a head that sat out */
        float *rm = params[L->prm].value, *rv = params[L->prv].value;
        for (int64_t c = 0; c < L->l->out_c; c++) {
            rm[c] = (float)((1 - mo) * rm[c] + mo * L->mean[c]);
            rv[c] = (float)((1 - mo) * rv[c] + mo * L->uvar[c]);
        }
    }
}

/* Forward through the scope. train: batch statistics; else running statistics. */
static void forward(inc_scope *s, const inc_param *params, int train, int use_ema) {
    int64_t n = s->N;
    for (int32_t i = 0; i < s->n_layers; i++) {
        sc_layer *L = &s->layers[i];
        if (L->aux && !(train && s->aux_on)) continue;
        const inc_layer *l = L->l;
        sc_tensor *x = &s->tens[L->src], *y = &s->tens[L->dst];
        sc_job j = {s, L, (inc_param *)params, train, use_ema, {0}, {0}, {0}, {0}, {0}};
        j.iv = view_of(x, n, x->act, l->src_c0, l->in_c);
        j.ov = view_of(y, n, y->act, l->dst_c0, l->out_c);
        if (l->op == INC_OP_MAXPOOL) {
            par(s, job_maxpool, &j);
        } else if (l->op == INC_OP_AVGPOOL) {
            par(s, job_avgpool, &j);
        } else if (l->op == INC_OP_GAP) {
            par(s, job_gap, &j);
        } else {
            par(s, job_conv, &j);
            par(s, job_bn_forward, &j);
        }
    }
}

static void job_gap_backward(void *ctx, int32_t part, int32_t parts) {
    sc_job *j = ctx;
    const inception_view *gy = &j->gy, *gx = &j->gx;
    int64_t c0, c1, hw = gx->h * gx->w;
    chan_range(gx->c, part, parts, &c0, &c1);
    for (int64_t b = 0; b < gx->n; b++) {
        const float *g = gy->data + b * gy->pixel_stride;
        for (int64_t q = 0; q < hw; q++) {
            float *r = gx->data + (b * hw + q) * gx->pixel_stride;
            for (int64_t c = c0; c < c1; c++) r[c] += g[c] / (float)hw;
        }
    }
}

static void job_pool_backward(void *ctx, int32_t part, int32_t parts) {
    sc_job *j = ctx;
    const inc_layer *l = j->L->l;
    const inception_backend_train *bt = j->s->bt;
    if (l->op == INC_OP_MAXPOOL) bt->max_pool_backward(bt->user, &l->pool, &j->iv, &j->gy, &j->gx, 1, part, parts);
    else bt->avg_pool_backward(bt->user, &l->pool, &j->gy, &j->gx, 1, part, parts);
}

/* ReLU and BatchNorm backward of one conv layer over channels [c0, c1): the gamma and beta
 * gradients (per-channel double sums over the rows in order) and dz; per element in
 * float32 from per-channel float factors. */
static void bn_backward(inc_scope *s, sc_layer *L, inc_param *params, const inception_view *y,
                        const inception_view *dy, float *dz, int64_t c0, int64_t c1) {
    int64_t C = L->l->out_c, M = s->N * L->oh * L->ow;
    const float *gam = L->pg >= 0 ? params[L->pg].value : NULL;
    float *gg = L->pg >= 0 ? params[L->pg].grad : NULL, *gb = params[L->pb].grad;
    const double *mu = L->mean, *is = L->istd;
    size_t cm = s->cmax;
    double *restrict sd = s->acc, *restrict sdx = s->acc + cm;
    float *restrict fmu = (float *)(void *)(s->acc + 2 * cm), *restrict fis = fmu + cm, *restrict k1 = fmu + 2 * cm,
                    *restrict k2 = fmu + 3 * cm, *restrict fg = fmu + 4 * cm;
    int batch = !s->cfg.frozen_bn;
    for (int64_t c = c0; c < c1; c++) {
        sd[c] = 0, sdx[c] = 0;
        fmu[c] = (float)mu[c], fis[c] = (float)is[c], fg[c] = (float)((gam ? gam[c] : 1.0) * is[c]);
    }
    inc_bn_rows_sums(M, C, y->pixel_stride, dy->pixel_stride, c0, c1, y->data, dy->data, L->z, fmu, fis, sd, sdx);
    for (int64_t c = c0; c < c1; c++) {
        if (gg) gg[c] = (float)sdx[c];
        gb[c] = (float)sd[c];
        k1[c] = batch ? (float)(sd[c] / (double)M) : 0.0f;
        k2[c] = batch ? (float)(sdx[c] / (double)M) : 0.0f;
    }
    /* dz = gamma istd (dy' - (sum dy' + xhat sum dy' xhat) / M), dy' = dy where y > 0 */
    inc_bn_rows_dz(M, C, y->pixel_stride, dy->pixel_stride, c0, c1, y->data, dy->data, L->z, fmu, fis, k1, k2, fg, dz);
}

static void job_bn_backward(void *ctx, int32_t part, int32_t parts) {
    sc_job *j = ctx;
    int64_t c0, c1;
    chan_range(j->L->l->out_c, part, parts, &c0, &c1);
    bn_backward(j->s, j->L, j->params, &j->ov, &j->gy, j->s->dz, c0, c1);
}

/* 1x1: torchvision's layout is the kernels' own, so the weight gradient goes straight
 * to the parameter and the data gradient reads the weights in place. */
static int is_1x1(const inc_layer *l) { return l->conv.kernel_h * l->conv.kernel_w == 1; }

static void job_dweights(void *ctx, int32_t part, int32_t parts) {
    sc_job *j = ctx;
    inception_conv_desc raw = j->L->l->conv;
    raw.relu = 0;
    float *out = is_1x1(j->L->l) ? j->params[j->L->pw].grad : j->s->wbuf;
    j->s->bt->conv_backward_weights(j->s->bt->user, &raw, &j->iv, &j->dzv, out, part, parts,
                                    part_scratch(j->s, part));
}

/* The weight gradient to torchvision's layout, then (for the data gradient) the weights
 * into wbuf in the kernels' layout, for output channels of this part; each loop writes
 * in order and reads within one output channel's filter. */
static void job_transpose(void *ctx, int32_t part, int32_t parts) {
    sc_job *j = ctx;
    const inc_layer *l = j->L->l;
    int64_t C = l->out_c, ci = l->in_c, kk = l->conv.kernel_h * l->conv.kernel_w, o0, o1;
    row_range(C, part, parts, &o0, &o1);
    float *restrict gw = j->params[j->L->pw].grad, *restrict wb = j->s->wbuf;
    const float *restrict w = j->params[j->L->pw].value;
    for (int64_t o = o0; o < o1; o++) {
        for (int64_t a = 0; a < ci; a++)
            for (int64_t t = 0; t < kk; t++) gw[(o * ci + a) * kk + t] = wb[(o * kk + t) * ci + a];
        if (j->train) /* 1: the data gradient follows */
            for (int64_t t = 0; t < kk; t++)
                for (int64_t a = 0; a < ci; a++) wb[(o * kk + t) * ci + a] = w[(o * ci + a) * kk + t];
    }
}

static void job_ddata(void *ctx, int32_t part, int32_t parts) {
    sc_job *j = ctx;
    inception_conv_desc raw = j->L->l->conv;
    raw.relu = 0;
    const float *w = is_1x1(j->L->l) ? j->params[j->L->pw].value : j->s->wbuf;
    j->s->bt->conv_backward_data(j->s->bt->user, &raw, w, &j->dzv, &j->gx, 1, part, parts,
                                 part_scratch(j->s, part));
}

static void backward(inc_scope *s, inc_param *params) {
    int64_t n = s->N;
    for (int32_t i = s->n_layers - 1; i >= 0; i--) {
        sc_layer *L = &s->layers[i];
        if (L->aux && !s->aux_on) continue;
        const inc_layer *l = L->l;
        sc_tensor *x = &s->tens[L->src], *y = &s->tens[L->dst];
        int to_input = L->src == s->t_in; /* nothing below the scope needs a gradient */
        sc_job j = {s, L, params, 0, 0, {0}, {0}, {0}, {0}, {0}};
        j.gy = view_of(y, n, y->grad, l->dst_c0, l->out_c);
        j.iv = view_of(x, n, x->act, l->src_c0, l->in_c);
        j.ov = view_of(y, n, y->act, l->dst_c0, l->out_c);
        j.gx = to_input ? j.iv : view_of(x, n, x->grad, l->src_c0, l->in_c);
        if (l->op == INC_OP_GAP) {
            if (!to_input) par(s, job_gap_backward, &j);
            continue;
        }
        if (l->op == INC_OP_MAXPOOL || l->op == INC_OP_AVGPOOL) {
            if (!to_input) par(s, job_pool_backward, &j);
            continue;
        }
        int64_t C = l->out_c;
        j.dzv = (inception_view){s->dz, n, L->oh, L->ow, C, C};
        j.train = !to_input;
        par(s, job_bn_backward, &j);
        par(s, job_dweights, &j);
        if (!is_1x1(l)) par(s, job_transpose, &j);
        if (!to_input) par(s, job_ddata, &j);
    }
}

static void set_idle(inc_param *p, int idle) {
    p->idle = idle;
    if (idle && !p->buffer) memset(p->grad, 0, p->count * sizeof(float));
}

static void load_input(inc_scope *s, const float *x) {
    sc_tensor *t = &s->tens[s->t_in];
    memcpy(t->act, x, (size_t)(s->N * t->h * t->w * t->c) * sizeof(float));
}

inception_status inc_scope_train(inc_scope *s, inc_param *params, const float *x,
                                 const int32_t *labels, int32_t K, double smoothing,
                                 int64_t step, double *loss_out, double *aux_out) {
    int64_t n = s->N;
    s->aux_on = s->has_aux && s->aux_fits;
    load_input(s, x);
    forward(s, params, 1, 0);
    sc_tensor *f = &s->tens[s->t_feat];
    double p = s->cfg.dropout;
    uint64_t key = inc_rng_key(s->cfg.seed, "dropout", (uint64_t)step, 0);
    for (int64_t i = 0; i < n * 2048; i++) {
        /* torch's inverted dropout: keep with probability 1 - p, scale by 1 / (1 - p) */
        s->mask[i] = p > 0 ? (inc_rng_uniform(key, (uint64_t)i) >= p ? (float)(1.0 / (1.0 - p)) : 0.0f) : 1.0f;
        s->feat[i] = f->act[i] * s->mask[i];
    }
    size_t nk = (size_t)n * (size_t)K;
    float *logits = inc_malloc(4 * nk * sizeof(float));
    if (!logits) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "logits for a batch of %lld", (long long)n);
    float *dzl = logits + nk, *alog = logits + 2 * nk, *dza = logits + 3 * nk;
    inc_fc_forward(params[0].value, params[1].value, s->feat, n, K, 2048, logits);
    double loss = inc_loss_smoothed(logits, labels, n, K, smoothing, dzl), aux = 0;
    const sc_tensor *ta = s->aux_on ? &s->tens[s->t_aux] : NULL;
    if (ta) {
        double w = s->cfg.aux_weight;
        inc_fc_forward(params[s->p_aux_w].value, params[s->p_aux_b].value, ta->act, n, K, 768, alog);
        aux = inc_loss_smoothed(alog, labels, n, K, smoothing, dza);
        loss += w * aux;
        for (size_t i = 0; i < nk; i++) dza[i] = (float)(w * dza[i]);
    }
    if (isfinite(loss)) {
        update_running(s, params);
        inc_fc_backward(s->feat, dzl, n, K, 2048, params[0].grad, params[1].grad);
        const float *w = params[0].value;
        for (int64_t b = 0; b < n; b++)
            for (int64_t j = 0; j < 2048; j++) {
                double acc = 0;
                for (int64_t k = 0; k < K; k++) acc += (double)dzl[b * K + k] * w[k * 2048 + j];
                s->dfeat[b * 2048 + j] = (float)acc * s->mask[b * 2048 + j];
            }
        for (int32_t t = 0; t < s->n_tens; t++)
            if (s->tens[t].grad)
                memset(s->tens[t].grad, 0, (size_t)(n * s->tens[t].h * s->tens[t].w * s->tens[t].c) * sizeof(float));
        memcpy(f->grad, s->dfeat, (size_t)n * 2048 * sizeof(float));
        if (ta) {
            inc_fc_backward(ta->act, dza, n, K, 768, params[s->p_aux_w].grad, params[s->p_aux_b].grad);
            const float *aw = params[s->p_aux_w].value;
            for (int64_t b = 0; b < n; b++)
                for (int64_t j = 0; j < 768; j++) {
                    double acc = 0;
                    for (int64_t k = 0; k < K; k++) acc += (double)dza[b * K + k] * aw[k * 768 + j];
                    ta->grad[b * 768 + j] = (float)acc;
                }
        }
        backward(s, params);
    }
    /* a head that sat out has no gradient and is left alone by the optimizer */
    for (int32_t i = 0; s->has_aux && i < s->n_layers; i++) {
        const sc_layer *L = &s->layers[i];
        int32_t ps[5] = {L->pw, L->pg, L->pb, L->prm, L->prv};
        for (int k = 0; L->aux && k < 5; k++)
            if (ps[k] >= 0) set_idle(&params[ps[k]], !s->aux_on);
    }
    for (int32_t p = s->p_aux_w; s->has_aux && p <= s->p_aux_b; p++) set_idle(&params[p], !s->aux_on);
    inc_free(logits);
    *loss_out = loss;
    if (aux_out) *aux_out = aux;
    return INCEPTION_OK;
}

inception_status inc_scope_features(inc_scope *s, const inc_param *params, const float *x,
                                    int use_ema, const float **features) {
    load_input(s, x);
    forward(s, params, 0, use_ema);
    *features = s->tens[s->t_feat].act; /* [n][1][1][2048] */
    return INCEPTION_OK;
}

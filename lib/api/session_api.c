#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/handles.h"
#include "graph/plan.h"

#define MAX_SIDE 16384 /* keeps every size computation far from overflow */

/* Who is using a session: 0 when idle, else the address of the user thread's token, with
 * FREE_PENDING set when inception_session_free() came in meanwhile (the user then frees
 * the session on its way out), or FREEING alone while free() destroys an idle session. */
#define FREE_PENDING ((uintptr_t)1)
#define FREEING FREE_PENDING

struct inception_session {
    atomic_uintptr_t user;
    int32_t depth; /* nesting of the user's calls (classify calls run); the user's only */
    const inception_model *model;
    inception_options opts; /* integer keys only: the image limits for classify */
    int64_t outputs;
    int32_t threads;
    int32_t profile;
    int64_t max_memory; /* INCEPTION_OPT_MAX_SESSION_MEMORY, 0 = none */
    inc_pool *pool;
    int32_t planned;
    inc_plan plan;
    float *arena;
    void *scratch;
    float *probs;
    size_t probs_bytes;
    double *ms; /* per plan node, when profiling */
    int32_t ran;
    inception_tensor out[4]; /* logits, probabilities, features, aux logits */
    /* INCEPTION_OPT_EXTRA_OUTPUTS: block names (borrowed from the graph), their tensors
     * and the views handed out after each run */
    int32_t n_named;
    const char *named_name[INC_MAX_NAMED];
    int32_t named_tensor[INC_MAX_NAMED];
    inception_tensor named_out[INC_MAX_NAMED];
    float *named_f32[INC_MAX_NAMED]; /* int8 nets: uint8 block outputs, dequantised */
    size_t named_f32_bytes;
    uint8_t keep[INC_MAX_TENSORS];
    char error[INC_ERROR_MAX];
};

static int32_t online_cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int32_t)n;
}

inception_status inc_session_fail(inception_session *s, inception_status st) {
    if (s) snprintf(s->error, sizeof s->error, "%s", inc_error_message());
    return st;
}

const inception_model *inc_session_model(const inception_session *s) { return s->model; }
inc_pool *inc_session_pool(const inception_session *s) { return s->pool; }

const inception_options *inc_session_options(const inception_session *s) { return &s->opts; }

INCEPTION_API const char *inception_session_last_error(const inception_session *s) {
    return s ? s->error : "session is NULL";
}

/* Tokens are 8-byte aligned, so bit 0 is free for FREE_PENDING. */
static _Thread_local uint64_t thread_token;

static uintptr_t my_token(void) { return (uintptr_t)&thread_token; }

static inception_status busy_error(uintptr_t user) {
    if (user & FREE_PENDING)
        return inc_error(INCEPTION_ERR_BUSY, "the session is being freed by another thread");
    return inc_error(INCEPTION_ERR_BUSY,
                     "the session is in use by another thread: a session serves one thread "
                     "at a time (create one per thread)");
}

/* 0 when entered, else who holds the session. */
static uintptr_t try_enter(inception_session *s) {
    uintptr_t me = my_token(), cur = 0;
    if (atomic_compare_exchange_strong_explicit(&s->user, &cur, me, memory_order_acquire,
                                                memory_order_relaxed)) {
        s->depth = 1;
        return 0;
    }
    if (cur == me) { /* a nested call on the same thread */
        s->depth++;
        return 0;
    }
    return cur;
}

inception_status inc_session_enter(inception_session *s) {
    uintptr_t cur = try_enter(s);
    return cur ? busy_error(cur) : INCEPTION_OK;
}

static void destroy(inception_session *s);

int inc_session_leave(inception_session *s) {
    if (--s->depth > 0) return 0;
    uintptr_t me = my_token();
    if (atomic_compare_exchange_strong_explicit(&s->user, &me, 0, memory_order_release,
                                                memory_order_relaxed))
        return 0;
    /* free() was called while we ran: it left the session to us */
    atomic_thread_fence(memory_order_acquire);
    destroy(s);
    return 1;
}

inception_status inc_session_fail_idle(inception_session *s, inception_status st) {
    if (try_enter(s)) return st; /* busy: the message stays this thread's only */
    inc_session_fail(s, st);
    return inc_session_leave(s) ? inc_session_freed_error() : st;
}

inception_status inc_session_freed_error(void) {
    return inc_error(INCEPTION_ERR_BUSY,
                     "inception_session_free() was called by another thread during this "
                     "call; the session is now freed and must not be used again");
}

/* For the const queries: refuse while another thread is inside a call. */
static inception_status check_idle(const inception_session *s) {
    uintptr_t cur = atomic_load_explicit(&((inception_session *)s)->user, memory_order_acquire);
    if (cur == 0 || cur == my_token()) return INCEPTION_OK;
    return busy_error(cur);
}

/* Parse "Mixed_6e,Conv2d_1a_3x3" into the session's named outputs. */
static inception_status parse_extra_outputs(inception_session *s, const char *list) {
    const inc_net *net = &s->model->net;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        size_t len = strcspn(p, ", ");
        int32_t found = -1;
        for (int32_t i = 0; i < net->n_named; i++)
            if (strlen(net->named[i].name) == len && memcmp(net->named[i].name, p, len) == 0)
                found = i;
        if (found < 0) {
            char valid[INC_ERROR_MAX / 2];
            size_t o = 0;
            for (int32_t i = 0; i < net->n_named && o < sizeof valid; i++)
                o += (size_t)snprintf(valid + o, sizeof valid - o, "%s%s", i ? ", " : "",
                                      net->named[i].name);
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             "EXTRA_OUTPUTS: no block named '%.*s'; valid names: %s",
                             (int)(len > 64 ? 64 : len), p, valid);
        }
        int dup = 0;
        for (int32_t i = 0; i < s->n_named; i++) dup |= s->named_name[i] == net->named[found].name;
        if (!dup) {
            s->named_name[s->n_named] = net->named[found].name;
            s->named_tensor[s->n_named] = net->named[found].tensor;
            s->keep[net->named[found].tensor] = 1;
            s->n_named++;
        }
        p += len;
    }
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_session_create(const inception_model *model,
                                                        const inception_options *opts,
                                                        inception_session **out) {
    inc_error_clear();
    if (!model || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "model and out are required");
    if (!opts) opts = inc_options_default();
    if ((opts->outputs & INCEPTION_OUTPUT_AUX_LOGITS) && !model->cfg.has_aux)
        return inc_error(INCEPTION_ERR_UNSUPPORTED, "AUX_LOGITS requested but the model file has no AuxLogits.* tensors");
    inception_session *s = inc_calloc(1, sizeof *s);
    if (!s) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating a session");
    atomic_init(&s->user, 0);
    s->model = model;
    s->opts = *opts;
    /* not owned, and not needed after create */
    s->opts.backend = s->opts.preset = s->opts.labels_file = NULL;
    s->opts.mean = s->opts.std = s->opts.extra_outputs = NULL;
    memset(&s->opts.train, 0, sizeof s->opts.train); /* trainer settings: not the session's */
    s->outputs = opts->outputs;
    /* FEATURE_MAP is the named output Mixed_7c, kept alive by the planner like any other. */
    inception_status fst = INCEPTION_OK;
    if (opts->outputs & INCEPTION_OUTPUT_FEATURE_MAP) fst = parse_extra_outputs(s, "Mixed_7c");
    if (fst) {
        inc_free(s);
        return fst;
    }
    if (opts->extra_outputs) {
        inception_status st = parse_extra_outputs(s, opts->extra_outputs);
        if (st) {
            inc_free(s);
            return st;
        }
    }
    s->threads = opts->threads > 0 ? (int32_t)opts->threads : online_cores();
    s->profile = (int32_t)opts->profile;
    s->max_memory = opts->max_session_memory;
    inception_status st = inc_pool_create(s->threads, &s->pool);
    if (st) {
        inc_free(s);
        return st;
    }
    inc_model_retain(model);
    *out = s;
    return INCEPTION_OK;
}

static void drop_plan(inception_session *s) {
    inc_free_aligned(s->arena);
    inc_free_aligned(s->scratch);
    inc_free_aligned(s->probs);
    inc_free(s->ms);
    for (int32_t i = 0; i < INC_MAX_NAMED; i++) {
        inc_free_aligned(s->named_f32[i]);
        s->named_f32[i] = NULL;
    }
    s->named_f32_bytes = 0;
    if (s->planned) inc_plan_free(&s->plan);
    s->arena = NULL, s->scratch = NULL, s->probs = NULL, s->ms = NULL;
    s->planned = 0;
    s->ran = 0;
}

static void destroy(inception_session *s) {
    drop_plan(s);
    inc_pool_free(s->pool);
    inc_model_release(s->model);
    inc_free(s);
}

/* A session in use is not freed under its user: the flag tells the user's call to free
 * it on its way out (that call then returns BUSY). */
INCEPTION_API void inception_session_free(inception_session *s) {
    if (!s) return;
    uintptr_t cur = atomic_load_explicit(&s->user, memory_order_relaxed);
    for (;;) {
        if (cur & FREE_PENDING) return; /* freed twice at once: the first free wins */
        uintptr_t want = cur == 0 ? FREEING : cur | FREE_PENDING;
        if (atomic_compare_exchange_weak_explicit(&s->user, &cur, want, memory_order_acq_rel,
                                                  memory_order_relaxed))
            break;
    }
    if (cur == 0) destroy(s);
}

/* Plan for a new input shape; on failure the session keeps no plan but stays usable. */
static inception_status replan(inception_session *s, int64_t n, int64_t h, int64_t w,
                               int32_t external) {
    const inception_model *m = s->model;
    drop_plan(s);
    int32_t aux = (s->outputs & INCEPTION_OUTPUT_AUX_LOGITS) != 0;
    inception_status st = inc_plan_build(&s->plan, &m->net, m->backend, n, h, w, aux,
                                         s->threads, external, s->keep);
    if (st) return st;
    s->planned = 1;
    size_t scratch = 0, probs = 0;
    if (!inc_mul_size(s->plan.scratch_bytes, (size_t)s->threads, &scratch) ||
        !inc_mul_size((size_t)n, (size_t)m->cfg.classes, &probs) ||
        !inc_mul_size(probs, sizeof(float), &probs)) {
        drop_plan(s);
        return inc_error(INCEPTION_ERR_INPUT_SIZE,
                         "input %lldx%lld batch %lld needs more memory than can be addressed",
                         (long long)h, (long long)w, (long long)n);
    }
    /* an int8 net hands its uint8 block outputs out as float copies */
    size_t named = 0;
    for (int32_t i = 0; i < s->n_named; i++) {
        int32_t t = s->named_tensor[i];
        if (!m->net.u8[t]) continue;
        named += (size_t)(n * s->plan.th[t] * s->plan.tw[t] * m->net.channels[t]) * sizeof(float);
    }
    s->named_f32_bytes = named;
    size_t total = 0;
    if (!inc_add_size(s->plan.arena_bytes, scratch, &total) || !inc_add_size(total, probs, &total) ||
        !inc_add_size(total, named, &total) ||
        (s->max_memory > 0 && total > (uint64_t)s->max_memory)) {
        drop_plan(s);
        return inc_error(INCEPTION_ERR_INPUT_SIZE,
                         "input %lldx%lld batch %lld needs %zu bytes of session memory, above "
                         "INCEPTION_OPT_MAX_SESSION_MEMORY = %lld",
                         (long long)h, (long long)w, (long long)n, total, (long long)s->max_memory);
    }
    s->arena = inc_malloc_aligned(s->plan.arena_bytes);
    s->scratch = inc_malloc_aligned(scratch);
    s->probs = probs ? inc_malloc_aligned(probs) : NULL;
    s->probs_bytes = probs;
    if (s->profile) s->ms = inc_calloc((size_t)s->plan.n_nodes, sizeof *s->ms);
    int named_ok = 1;
    for (int32_t i = 0; i < s->n_named; i++) {
        int32_t t = s->named_tensor[i];
        if (!m->net.u8[t]) continue;
        s->named_f32[i] = inc_malloc_aligned((size_t)(n * s->plan.th[t] * s->plan.tw[t] *
                                                      m->net.channels[t]) * sizeof(float));
        named_ok &= s->named_f32[i] != NULL;
    }
    if (!s->arena || !s->scratch || (probs && !s->probs) || (s->profile && !s->ms) || !named_ok) {
        drop_plan(s);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY,
                         "allocating %zu bytes of activation memory for %lldx%lldx%lld",
                         s->plan.arena_bytes, (long long)n, (long long)h, (long long)w);
    }
    return INCEPTION_OK;
}

static void set_output(inception_tensor *t, float *data, int64_t n, int64_t c) {
    memset(t, 0, sizeof *t);
    t->dtype = INCEPTION_DTYPE_F32;
    t->layout = INCEPTION_LAYOUT_NC;
    t->rank = 2;
    t->dims[0] = n;
    t->dims[1] = c;
    t->data = data;
    t->bytes = (size_t)(n * c) * sizeof(float);
    t->borrowed = 1;
}

static inception_status run_entered(inception_session *s, const inception_tensor *in);

/* Index of the first NaN or infinity in v[0, n), or -1. */
static int64_t first_nonfinite(const float *v, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return i;
    return -1;
}

/* The outputs of a run, one pass over each: finite input and weights that give a
 * non-finite result (weights near FLT_MAX overflow) must not look like success. */
static inception_status check_outputs(const inception_session *s, int64_t n, int64_t classes) {
    static const char *const names[4] = {"logits", "probabilities", "features", "aux logits"};
    for (int k = 0; k < 4; k++) {
        const inception_tensor *t = &s->out[k];
        if (k < 2 && !s->model->cfg.has_fc) continue; /* a feature extractor */
        if (k == 3 && !s->plan.aux) break;
        int64_t width = k == 2 ? 2048 : classes;
        int64_t i = first_nonfinite(t->data, n * width);
        if (i >= 0)
            return inc_error(INCEPTION_ERR_NUMERIC,
                             "%s[%lld][%lld] is %s although the input is finite: the model's "
                             "weights overflow float32", names[k], (long long)(i / width),
                             (long long)(i % width), isnan(((const float *)t->data)[i]) ? "NaN" : "infinite");
    }
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_session_run(inception_session *s,
                                                     const inception_tensor *in) {
    inc_error_clear();
    if (!s) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "session is NULL");
    inception_status st = inc_session_enter(s);
    if (st) return st; /* the session's own message belongs to its user */
    st = run_entered(s, in);
    if (inc_session_leave(s)) return inc_session_freed_error();
    return st;
}

static inception_status run_entered(inception_session *s, const inception_tensor *in) {
    if (!in) return inc_session_fail(s, inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "input is NULL"));
    if (in->dtype != INCEPTION_DTYPE_F32)
        return inc_session_fail(s, inc_error(INCEPTION_ERR_DTYPE, "input must be float32"));
    if (in->rank != 4 || (in->layout != INCEPTION_LAYOUT_NCHW && in->layout != INCEPTION_LAYOUT_NHWC))
        return inc_session_fail(s, inc_error(INCEPTION_ERR_SHAPE,
                                             "input must be rank 4, NCHW or NHWC (got rank %d)",
                                             (int)in->rank));
    int nchw = in->layout == INCEPTION_LAYOUT_NCHW;
    int64_t n = in->dims[0], c = nchw ? in->dims[1] : in->dims[3];
    int64_t h = nchw ? in->dims[2] : in->dims[1], w = nchw ? in->dims[3] : in->dims[2];
    if (c != 3)
        return inc_session_fail(s, inc_error(INCEPTION_ERR_SHAPE, "input needs 3 channels, got %lld",
                                             (long long)c));
    /* the smallest input follows the model's stem: 75, or 39 / 21 for stems 151 / 79 */
    int64_t min_side = s->model->net.min_input;
    if (h < min_side || w < min_side || h > MAX_SIDE || w > MAX_SIDE)
        return inc_session_fail(s, inc_error(INCEPTION_ERR_INPUT_SIZE,
                                             "input is %lldx%lld; height and width must be in [%lld, %d]",
                                             (long long)h, (long long)w, (long long)min_side,
                                             MAX_SIDE));
    if (n < 1 || n > 65536)
        return inc_session_fail(s, inc_error(INCEPTION_ERR_INPUT_SIZE, "batch %lld out of range",
                                             (long long)n));
    if (!in->data)
        return inc_session_fail(s, inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "input has no data"));
    /* Refused up front, so that NUMERIC after a run always means the model did it. */
    int64_t bad = first_nonfinite(in->data, n * 3 * h * w);
    if (bad >= 0)
        return inc_session_fail(s, inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                                             "input element %lld is %s: inputs must be finite",
                                             (long long)bad,
                                             isnan(((const float *)in->data)[bad]) ? "NaN" : "infinite"));

    int32_t external = !nchw;
    if (!s->planned || s->plan.n != n || s->plan.h != h || s->plan.w != w ||
        s->plan.input_external != external) {
        inception_status st = replan(s, n, h, w, external);
        if (st) return inc_session_fail(s, st);
    }
    const inception_model *m = s->model;
    const inc_net *net = &m->net;
    s->ran = 0;
    if (nchw) { /* to NHWC in the arena */
        float *dst = (float *)((char *)s->arena + s->plan.offset[net->t_input]);
        const float *src = in->data;
        int64_t hw = h * w;
        for (int64_t b = 0; b < n; b++)
            for (int64_t p = 0; p < hw; p++)
                for (int64_t k = 0; k < 3; k++)
                    dst[(b * hw + p) * 3 + k] = src[(b * 3 + k) * hw + p];
    }
    inc_plan_execute(&s->plan, net, m->backend, s->pool, s->arena, in->data, s->scratch, s->ms);

    int64_t classes = m->cfg.classes;
    float *features = (float *)((char *)s->arena + s->plan.offset[net->t_features]);
    if (m->cfg.has_fc) {
        float *logits = (float *)((char *)s->arena + s->plan.offset[net->t_logits]);
        m->backend->softmax(m->backend->user, logits, s->probs, n, classes);
        set_output(&s->out[0], logits, n, classes);
        set_output(&s->out[1], s->probs, n, classes);
    }
    set_output(&s->out[2], features, n, 2048);
    for (int32_t i = 0; i < s->n_named; i++) {
        int32_t t = s->named_tensor[i];
        inception_tensor *o = &s->named_out[i];
        memset(o, 0, sizeof *o);
        o->dtype = INCEPTION_DTYPE_F32;
        o->layout = INCEPTION_LAYOUT_NHWC;
        o->rank = 4;
        o->dims[0] = n, o->dims[1] = s->plan.th[t], o->dims[2] = s->plan.tw[t];
        o->dims[3] = net->channels[t];
        o->data = (char *)s->arena + s->plan.offset[t];
        if (net->u8[t]) {
            size_t count = (size_t)(n * o->dims[1] * o->dims[2] * o->dims[3]);
            const uint8_t *q = o->data;
            float sc = net->scale[t];
            for (size_t k = 0; k < count; k++) s->named_f32[i][k] = (float)q[k] * sc;
            o->data = s->named_f32[i];
        }
        o->bytes = (size_t)(n * o->dims[1] * o->dims[2] * o->dims[3]) * sizeof(float);
        o->borrowed = 1;
    }
    if (s->plan.aux)
        set_output(&s->out[3], (float *)((char *)s->arena + s->plan.offset[net->t_aux_logits]), n,
                   classes);
    inception_status st = check_outputs(s, n, classes);
    if (st) return inc_session_fail(s, st);
    s->ran = 1;
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_session_output(const inception_session *s,
                                                        inception_output which,
                                                        const inception_tensor **out) {
    inc_error_clear();
    if (!s || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "session and out are required");
    inception_status busy = check_idle(s);
    if (busy) return busy;
    int idx;
    switch (which) {
    case INCEPTION_OUTPUT_LOGITS: idx = 0; break;
    case INCEPTION_OUTPUT_PROBABILITIES: idx = 1; break;
    case INCEPTION_OUTPUT_FEATURES: idx = 2; break;
    case INCEPTION_OUTPUT_AUX_LOGITS: idx = 3; break;
    case INCEPTION_OUTPUT_FEATURE_MAP:
        if (!(s->outputs & which))
            return inc_session_fail((inception_session *)s,
                                    inc_error(INCEPTION_ERR_NOT_FOUND,
                                              "output FEATURE_MAP was not requested in INCEPTION_OPT_OUTPUTS"));
        return inception_session_output_named(s, "Mixed_7c", out);
    default:
        return inc_session_fail((inception_session *)s,
                                inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "unknown output %d", (int)which));
    }
    if (idx <= 1 && !s->model->cfg.has_fc)
        return inc_session_fail((inception_session *)s,
                                inc_error(INCEPTION_ERR_UNSUPPORTED,
                                          "the model has no fc layer (a feature extractor): "
                                          "it has no logits or probabilities, only FEATURES "
                                          "and named block outputs"));
    if (!(s->outputs & which))
        return inc_session_fail((inception_session *)s,
                                inc_error(INCEPTION_ERR_NOT_FOUND,
                                          "output %d was not requested in INCEPTION_OPT_OUTPUTS", (int)which));
    if (!s->ran)
        return inc_session_fail((inception_session *)s,
                                inc_error(INCEPTION_ERR_NOT_READY, "no successful run yet"));
    if (idx == 3 && s->plan.aux_dropped)
        return inc_session_fail((inception_session *)s,
                                inc_error(INCEPTION_ERR_NOT_READY,
                                          "no aux logits from the last run: %s", s->plan.aux_reason));
    *out = &s->out[idx];
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_session_output_named(const inception_session *s,
                                                              const char *name,
                                                              const inception_tensor **out) {
    inc_error_clear();
    if (!s || !name || !out)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "session, name and out are required");
    for (int32_t i = 0; i < s->n_named; i++) {
        if (strcmp(s->named_name[i], name) != 0) continue;
        if (!s->ran)
            return inc_session_fail((inception_session *)s,
                                    inc_error(INCEPTION_ERR_NOT_READY, "no successful run yet"));
        *out = &s->named_out[i];
        return INCEPTION_OK;
    }
    return inc_session_fail((inception_session *)s,
                            inc_error(INCEPTION_ERR_NOT_FOUND,
                                      "block '%.64s' is not among the session's "
                                      "INCEPTION_OPT_EXTRA_OUTPUTS", name));
}

INCEPTION_API inception_status inception_session_memory(const inception_session *s,
                                                        int64_t *bytes) {
    inc_error_clear();
    if (!s || !bytes) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "session and bytes are required");
    inception_status busy = check_idle(s);
    if (busy) return busy;
    *bytes = s->planned ? (int64_t)(s->plan.arena_bytes + s->plan.scratch_bytes * (size_t)s->threads +
                                    s->probs_bytes + s->named_f32_bytes)
                        : 0;
    return INCEPTION_OK;
}

static const char *kind_of(const inc_layer *l) {
    switch (l->op) {
    case INC_OP_MAXPOOL: return "maxpool";
    case INC_OP_AVGPOOL: return "avgpool";
    case INC_OP_GAP: return "gap";
    case INC_OP_QUANT: return "quantize";
    case INC_OP_DEQUANT: return "dequantize";
    case INC_OP_CONV: break;
    }
    const inception_conv_desc *d = &l->conv;
    if (!d->relu) return "fc";
    if (d->stride_h == 2) return d->kernel_h == 3 ? "conv3x3s2" : "conv-s2";
    if (d->kernel_h == 1 && d->kernel_w == 1) return "conv1x1";
    if (d->kernel_h == 3 && d->kernel_w == 3) return "conv3x3";
    if (d->kernel_h == 5 && d->kernel_w == 5) return "conv5x5";
    if (d->kernel_h == 1 && d->kernel_w == 7) return "conv1x7";
    if (d->kernel_h == 7 && d->kernel_w == 1) return "conv7x1";
    if (d->kernel_h == 1 && d->kernel_w == 3) return "conv1x3";
    if (d->kernel_h == 3 && d->kernel_w == 1) return "conv3x1";
    return "conv";
}

INCEPTION_API inception_status inception_session_profile(const inception_session *s,
                                                         int32_t index, const char **name,
                                                         const char **kind, int64_t *macs,
                                                         double *milliseconds) {
    inc_error_clear();
    if (!s) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "session is NULL");
    inception_status busy = check_idle(s);
    if (busy) return busy;
    if (!s->profile)
        return inc_error(INCEPTION_ERR_NOT_FOUND, "the session was created without INCEPTION_OPT_PROFILE");
    if (!s->ran) return inc_error(INCEPTION_ERR_NOT_READY, "no successful run yet");
    if (index < 0 || index >= s->plan.n_nodes)
        return inc_error(INCEPTION_ERR_NOT_FOUND, "profile index %d out of range", (int)index);
    const inc_layer *l = &s->model->net.layers[s->plan.nodes[index].layer];
    if (name) *name = l->name;
    if (kind) *kind = kind_of(l);
    if (macs) *macs = s->plan.nodes[index].macs;
    if (milliseconds) *milliseconds = s->ms[index];
    return INCEPTION_OK;
}

/* Inception-v3 as torchvision builds it (models/inception.py), as a flat list of layers
 * in execution order, with the variants model/arch.c describes (stem, 7x7 first layer,
 * batch-normalised aux fc) chosen where they apply. Each branch writes its slice of the
 * block's output tensor, so concatenation costs nothing. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <math.h>
#include <stdlib.h>

#include "backends/q8.h"
#include "graph/net.h"
#include "graph/pool.h"

typedef struct builder {
    inc_net *net;
    int32_t cap;
    const inc_safetensors *st;
    const inc_config *cfg;
    const inception_backend *be;
    inception_status status;
    int32_t aux; /* layers added now belong to the aux head */
    const inc_quant *q;
} builder;

static int32_t tensor(builder *b, int32_t channels) {
    inc_net *n = b->net;
    if (b->status) return 0;
    if (n->n_tensors == INC_MAX_TENSORS) {
        b->status = inc_error(INCEPTION_ERR_INTERNAL, "graph: too many tensors");
        return 0;
    }
    n->channels[n->n_tensors] = channels;
    return n->n_tensors++;
}

static inc_layer *layer(builder *b, inc_op op, const char *name) {
    inc_net *n = b->net;
    if (b->status) return NULL;
    if (n->n_layers == b->cap) {
        int32_t cap = b->cap ? b->cap * 2 : 128;
        inc_layer *l = inc_realloc(n->layers, (size_t)cap * sizeof *l);
        if (!l) {
            b->status = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "graph: allocating layers");
            return NULL;
        }
        n->layers = l;
        b->cap = cap;
    }
    inc_layer *l = &n->layers[n->n_layers++];
    memset(l, 0, sizeof *l);
    l->op = op;
    l->aux = b->aux;
    snprintf(l->name, sizeof l->name, "%s", name);
    return l;
}

/* A BasicConv2d (conv + BN + ReLU) reading src[src_c0 ...] and writing dst[dst_c0 ...]. */
static void conv(builder *b, const char *name, int32_t src, int32_t src_c0, int32_t in_c,
                 int32_t dst, int32_t dst_c0, int32_t out_c, int32_t kh, int32_t kw,
                 int32_t stride, int32_t ph, int32_t pw) {
    inc_layer *l = layer(b, INC_OP_CONV, name);
    if (!l) return;
    l->src = src, l->src_c0 = src_c0, l->in_c = in_c;
    l->dst = dst, l->dst_c0 = dst_c0, l->out_c = out_c;
    l->conv = (inception_conv_desc){in_c, out_c, kh, kw, stride, stride, ph, pw, 1};
    int64_t p = (int64_t)out_c * in_c * kh * kw + (b->cfg->bn_has_gamma ? 2 : 1) * out_c;
    *(b->aux ? &b->net->parameters_aux : &b->net->parameters) += p;
}

/* A Linear layer as a 1x1 convolution without ReLU on a 1x1 grid. */
static void fc(builder *b, const char *name, int32_t src, int32_t in_c, int32_t dst,
               int32_t out_c) {
    inc_layer *l = layer(b, INC_OP_CONV, name);
    if (!l) return;
    l->src = src, l->in_c = in_c, l->dst = dst, l->out_c = out_c;
    l->conv = (inception_conv_desc){in_c, out_c, 1, 1, 1, 1, 0, 0, 0};
    *(b->aux ? &b->net->parameters_aux : &b->net->parameters) += (int64_t)out_c * in_c + out_c;
}

static void pool(builder *b, inc_op op, const char *name, int32_t src, int32_t c, int32_t dst,
                 int32_t dst_c0, int32_t k, int32_t stride, int32_t pad) {
    inc_layer *l = layer(b, op, name);
    if (!l) return;
    l->src = src, l->in_c = c, l->dst = dst, l->dst_c0 = dst_c0, l->out_c = c;
    l->pool = (inception_pool_desc){k, k, stride, stride, pad, pad, b->cfg->pool_include_pad};
}

static void gap(builder *b, const char *name, int32_t src, int32_t c, int32_t dst) {
    inc_layer *l = layer(b, INC_OP_GAP, name);
    if (!l) return;
    l->src = src, l->in_c = c, l->dst = dst, l->out_c = c;
}

/* Name the tensor a block just produced (names are string literals). */
static int32_t named(builder *b, const char *name, int32_t t) {
    inc_net *n = b->net;
    if (!b->status && n->n_named < INC_MAX_NAMED) {
        n->named[n->n_named].name = name;
        n->named[n->n_named].tensor = t;
        n->n_named++;
    }
    return t;
}

int32_t inc_net_named(const inc_net *net, const char *name) {
    for (int32_t i = 0; i < net->n_named; i++)
        if (strcmp(net->named[i].name, name) == 0) return net->named[i].tensor;
    return -1;
}

#define NAME(buf, block, part) (snprintf(buf, sizeof buf, "%s.%s", block, part), buf)

static int32_t inception_a(builder *b, const char *m, int32_t x, int32_t c, int32_t pool_c) {
    char s[64];
    int32_t y = tensor(b, 224 + pool_c);
    conv(b, NAME(s, m, "branch1x1"), x, 0, c, y, 0, 64, 1, 1, 1, 0, 0);
    int32_t t5 = tensor(b, 48);
    conv(b, NAME(s, m, "branch5x5_1"), x, 0, c, t5, 0, 48, 1, 1, 1, 0, 0);
    conv(b, NAME(s, m, "branch5x5_2"), t5, 0, 48, y, 64, 64, 5, 5, 1, 2, 2);
    int32_t d1 = tensor(b, 64), d2 = tensor(b, 96);
    conv(b, NAME(s, m, "branch3x3dbl_1"), x, 0, c, d1, 0, 64, 1, 1, 1, 0, 0);
    conv(b, NAME(s, m, "branch3x3dbl_2"), d1, 0, 64, d2, 0, 96, 3, 3, 1, 1, 1);
    conv(b, NAME(s, m, "branch3x3dbl_3"), d2, 0, 96, y, 128, 96, 3, 3, 1, 1, 1);
    int32_t p = tensor(b, c);
    pool(b, INC_OP_AVGPOOL, NAME(s, m, "avg_pool"), x, c, p, 0, 3, 1, 1);
    conv(b, NAME(s, m, "branch_pool"), p, 0, c, y, 224, pool_c, 1, 1, 1, 0, 0);
    return y;
}

static int32_t inception_b(builder *b, const char *m, int32_t x, int32_t c) {
    char s[64];
    int32_t y = tensor(b, 384 + 96 + c);
    conv(b, NAME(s, m, "branch3x3"), x, 0, c, y, 0, 384, 3, 3, 2, 0, 0);
    int32_t d1 = tensor(b, 64), d2 = tensor(b, 96);
    conv(b, NAME(s, m, "branch3x3dbl_1"), x, 0, c, d1, 0, 64, 1, 1, 1, 0, 0);
    conv(b, NAME(s, m, "branch3x3dbl_2"), d1, 0, 64, d2, 0, 96, 3, 3, 1, 1, 1);
    conv(b, NAME(s, m, "branch3x3dbl_3"), d2, 0, 96, y, 384, 96, 3, 3, 2, 0, 0);
    pool(b, INC_OP_MAXPOOL, NAME(s, m, "max_pool"), x, c, y, 480, 3, 2, 0);
    return y;
}

static int32_t inception_c(builder *b, const char *m, int32_t x, int32_t c, int32_t c7) {
    char s[64];
    int32_t y = tensor(b, 768);
    conv(b, NAME(s, m, "branch1x1"), x, 0, c, y, 0, 192, 1, 1, 1, 0, 0);
    int32_t a1 = tensor(b, c7), a2 = tensor(b, c7);
    conv(b, NAME(s, m, "branch7x7_1"), x, 0, c, a1, 0, c7, 1, 1, 1, 0, 0);
    conv(b, NAME(s, m, "branch7x7_2"), a1, 0, c7, a2, 0, c7, 1, 7, 1, 0, 3);
    conv(b, NAME(s, m, "branch7x7_3"), a2, 0, c7, y, 192, 192, 7, 1, 1, 3, 0);
    int32_t d1 = tensor(b, c7), d2 = tensor(b, c7), d3 = tensor(b, c7), d4 = tensor(b, c7);
    conv(b, NAME(s, m, "branch7x7dbl_1"), x, 0, c, d1, 0, c7, 1, 1, 1, 0, 0);
    conv(b, NAME(s, m, "branch7x7dbl_2"), d1, 0, c7, d2, 0, c7, 7, 1, 1, 3, 0);
    conv(b, NAME(s, m, "branch7x7dbl_3"), d2, 0, c7, d3, 0, c7, 1, 7, 1, 0, 3);
    conv(b, NAME(s, m, "branch7x7dbl_4"), d3, 0, c7, d4, 0, c7, 7, 1, 1, 3, 0);
    conv(b, NAME(s, m, "branch7x7dbl_5"), d4, 0, c7, y, 384, 192, 1, 7, 1, 0, 3);
    int32_t p = tensor(b, c);
    pool(b, INC_OP_AVGPOOL, NAME(s, m, "avg_pool"), x, c, p, 0, 3, 1, 1);
    conv(b, NAME(s, m, "branch_pool"), p, 0, c, y, 576, 192, 1, 1, 1, 0, 0);
    return y;
}

static int32_t inception_d(builder *b, const char *m, int32_t x, int32_t c) {
    char s[64];
    int32_t y = tensor(b, 320 + 192 + c);
    int32_t t1 = tensor(b, 192);
    conv(b, NAME(s, m, "branch3x3_1"), x, 0, c, t1, 0, 192, 1, 1, 1, 0, 0);
    conv(b, NAME(s, m, "branch3x3_2"), t1, 0, 192, y, 0, 320, 3, 3, 2, 0, 0);
    int32_t d1 = tensor(b, 192), d2 = tensor(b, 192), d3 = tensor(b, 192);
    conv(b, NAME(s, m, "branch7x7x3_1"), x, 0, c, d1, 0, 192, 1, 1, 1, 0, 0);
    conv(b, NAME(s, m, "branch7x7x3_2"), d1, 0, 192, d2, 0, 192, 1, 7, 1, 0, 3);
    conv(b, NAME(s, m, "branch7x7x3_3"), d2, 0, 192, d3, 0, 192, 7, 1, 1, 3, 0);
    conv(b, NAME(s, m, "branch7x7x3_4"), d3, 0, 192, y, 320, 192, 3, 3, 2, 0, 0);
    pool(b, INC_OP_MAXPOOL, NAME(s, m, "max_pool"), x, c, y, 512, 3, 2, 0);
    return y;
}

static int32_t inception_e(builder *b, const char *m, int32_t x, int32_t c) {
    char s[64];
    int32_t y = tensor(b, 2048);
    conv(b, NAME(s, m, "branch1x1"), x, 0, c, y, 0, 320, 1, 1, 1, 0, 0);
    int32_t t1 = tensor(b, 384);
    conv(b, NAME(s, m, "branch3x3_1"), x, 0, c, t1, 0, 384, 1, 1, 1, 0, 0);
    conv(b, NAME(s, m, "branch3x3_2a"), t1, 0, 384, y, 320, 384, 1, 3, 1, 0, 1);
    conv(b, NAME(s, m, "branch3x3_2b"), t1, 0, 384, y, 704, 384, 3, 1, 1, 1, 0);
    int32_t d1 = tensor(b, 448), d2 = tensor(b, 384);
    conv(b, NAME(s, m, "branch3x3dbl_1"), x, 0, c, d1, 0, 448, 1, 1, 1, 0, 0);
    conv(b, NAME(s, m, "branch3x3dbl_2"), d1, 0, 448, d2, 0, 384, 3, 3, 1, 1, 1);
    conv(b, NAME(s, m, "branch3x3dbl_3a"), d2, 0, 384, y, 1088, 384, 1, 3, 1, 0, 1);
    conv(b, NAME(s, m, "branch3x3dbl_3b"), d2, 0, 384, y, 1472, 384, 3, 1, 1, 1, 0);
    int32_t p = tensor(b, c);
    pool(b, INC_OP_AVGPOOL, NAME(s, m, "avg_pool"), x, c, p, 0, 3, 1, 1);
    conv(b, NAME(s, m, "branch_pool"), p, 0, c, y, 1856, 192, 1, 1, 1, 0, 0);
    return y;
}

/* Conv2d_1a..Conv2d_4a and both max pools. Stem 151 and 79 drop the first stride (and 79
 * the first pool) so a smaller input reaches the 35x35 blocks at the same grid and cost. The
 * v2 7x7 conv has no padding: it yields exactly the grid of the three 3x3s it replaces at
 * every input size, and 64 channels like Conv2d_2b_3x3, so maxpool1 and Conv2d_3b_1x1 read
 * it unchanged. */
static int32_t stem(builder *b, int32_t x) {
    const inc_arch *a = &b->cfg->arch;
    int32_t s = a->first_stride, t;
#define STEM(c, call, nm) (t = tensor(b, c), call, x = named(b, nm, t))
    if (a->stem_conv == INC_STEM_CONV_7X7) {
        STEM(64, conv(b, "Conv2d_1a_7x7", x, 0, 3, t, 0, 64, 7, 7, s, 0, 0), "Conv2d_1a_7x7");
    } else {
        STEM(32, conv(b, "Conv2d_1a_3x3", x, 0, 3, t, 0, 32, 3, 3, s, 0, 0), "Conv2d_1a_3x3");
        STEM(32, conv(b, "Conv2d_2a_3x3", x, 0, 32, t, 0, 32, 3, 3, 1, 0, 0), "Conv2d_2a_3x3");
        STEM(64, conv(b, "Conv2d_2b_3x3", x, 0, 32, t, 0, 64, 3, 3, 1, 1, 1), "Conv2d_2b_3x3");
    }
    if (a->stem_pool) STEM(64, pool(b, INC_OP_MAXPOOL, "maxpool1", x, 64, t, 0, 3, 2, 0), "maxpool1");
    STEM(80, conv(b, "Conv2d_3b_1x1", x, 0, 64, t, 0, 80, 1, 1, 1, 0, 0), "Conv2d_3b_1x1");
    STEM(192, conv(b, "Conv2d_4a_3x3", x, 0, 80, t, 0, 192, 3, 3, 1, 0, 0), "Conv2d_4a_3x3");
    STEM(192, pool(b, INC_OP_MAXPOOL, "maxpool2", x, 192, t, 0, 3, 2, 0), "maxpool2");
#undef STEM
    return x;
}

static int64_t window_out(int64_t in, int32_t k, int32_t s, int32_t p) {
    return in + 2 * p < k ? 0 : (in + 2 * p - k) / s + 1;
}

/* The smallest square input for which every layer outside the aux head gets a non-empty
 * grid (sizes only grow with the input, so the first one that fits is the minimum). */
static int32_t min_input(const inc_net *n) {
    int64_t h[INC_MAX_TENSORS];
    for (int32_t size = 1; size < 4096; size++) {
        memset(h, 0, sizeof h);
        h[n->t_input] = size;
        int ok = 1;
        for (int32_t i = 0; i < n->n_layers && ok; i++) {
            const inc_layer *l = &n->layers[i];
            if (l->aux) continue;
            int64_t o = l->op == INC_OP_GAP ? 1
                        : l->op == INC_OP_CONV
                            ? window_out(h[l->src], l->conv.kernel_h, l->conv.stride_h, l->conv.pad_h)
                            : window_out(h[l->src], l->pool.kernel_h, l->pool.stride_h, l->pool.pad_h);
            ok = o >= 1;
            h[l->dst] = o;
        }
        if (ok) return size;
    }
    return 4096;
}

static void aux_head(builder *b, int32_t x, int32_t classes) {
    b->aux = 1;
    int32_t p = tensor(b, 768), t0 = tensor(b, 128), t1 = tensor(b, 768), g = tensor(b, 768);
    inc_layer *l = layer(b, INC_OP_AVGPOOL, "AuxLogits.avg_pool");
    if (l) {
        l->src = x, l->in_c = 768, l->dst = p, l->out_c = 768;
        /* No padding, so the border rule cannot matter here. */
        l->pool = (inception_pool_desc){5, 5, 3, 3, 0, 0, 1};
    }
    conv(b, "AuxLogits.conv0", p, 0, 768, t0, 0, 128, 1, 1, 1, 0, 0);
    conv(b, "AuxLogits.conv1", t0, 0, 128, t1, 0, 768, 5, 5, 1, 0, 0);
    gap(b, "AuxLogits.avgpool", t1, 768, g);
    b->net->t_aux_logits = tensor(b, classes);
    fc(b, "AuxLogits.fc", g, 768, b->net->t_aux_logits, classes);
    if (b->cfg->arch.aux == INC_AUX_BN && !b->status) b->net->layers[b->net->n_layers - 1].fc_bn = 1;
    b->aux = 0;
}

/* Loading, folding and packing the weights is most of a model load, and the layers are
 * independent: every thread of a short-lived pool takes the next layer. When several
 * layers fail, the lowest one is reported, so errors do not depend on timing. */
typedef struct pack_job {
    const builder *b;
    atomic_int next;
    pthread_mutex_t mu;
    int32_t failed_layer; /* lowest failing layer, or n_layers */
    inception_status status;
    char message[INC_ERROR_MAX];
} pack_job;

/* Pack stored int8 weights: the bias at the accumulator's scale s_in * s_w and the
 * requantisation multiplier s_in * s_w / s_out (s_in * s_w for a float output). */
static inception_status q8_pack_stored(const builder *b, inc_layer *l, const int8_t *wq,
                                       const float *sw, const float *bias) {
    const inc_net *n = b->net;
    int32_t out = l->out_c;
    int32_t *bq = inc_malloc((size_t)out * sizeof *bq);
    float *m = inc_malloc((size_t)out * sizeof *m);
    if (!bq || !m) {
        inc_free(bq), inc_free(m);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "quantising %s", l->name);
    }
    float s_in = n->scale[l->src], s_out = n->u8[l->dst] ? n->scale[l->dst] : 1.0f;
    for (int32_t o = 0; o < out; o++) {
        double q = nearbyint((double)bias[o] / ((double)s_in * sw[o]));
        bq[o] = (int32_t)(q > 2147483647.0 ? 2147483647.0 : q < -2147483647.0 ? -2147483647.0 : q);
        m[o] = s_in * sw[o] / s_out;
    }
    const char *level = b->q ? b->q->level : NULL;
    inception_status st = inc_q8_conv_pack(&l->conv, wq, bq, m, level, &l->packed);
    inc_free(bq), inc_free(m);
    if (st) {
        l->packed = NULL;
        return inc_error(st, "int8 kernels%s%s cannot pack %s", level ? " at level " : "",
                         level ? level : "", l->name);
    }
    return INCEPTION_OK;
}

/* Per-output-channel symmetric int8 weights of folded float weights [out][kh][kw][in]:
 * s_w = max|w| / 127, q = nearbyint(w / s_w) in [-127, 127] (bits 7: 64 and [-64, 64]).
 * Used by the quantiser too. */
void inc_q8_quantize_weights(const float *w, int32_t out, size_t per, int32_t bits, int8_t *wq,
                             float *sw) {
    /* 7 bits: [-64, 64], so vpmaddubsw's pair sums fit int16 (docs/int8.md, "Kernels") */
    const float qmax = bits == 7 ? 64.0f : 127.0f;
    for (int32_t o = 0; o < out; o++) {
        const float *wo = w + (size_t)o * per;
        float amax = 0;
        for (size_t i = 0; i < per; i++) amax = fmaxf(amax, fabsf(wo[i]));
        float s = amax > 0 ? amax / qmax : 1.0f;
        for (size_t i = 0; i < per; i++) {
            float v = nearbyintf(wo[i] / s);
            wq[(size_t)o * per + i] = (int8_t)(v > qmax ? qmax : v < -qmax ? -qmax : v);
        }
        sw[o] = s;
    }
}

/* Quantise a float layer's weights at load; a record with means (version 2) corrects its
 * bias as inception_quantize does (docs/int8.md, "Calibration"). */
static inception_status q8_weights(const builder *b, const inc_layer *l, const float *w,
                                   float *bias, int8_t *wq, float *sw) {
    size_t per = (size_t)l->in_c * l->conv.kernel_h * l->conv.kernel_w;
    inc_q8_quantize_weights(w, l->out_c, per, b->q ? b->q->weight_bits : 0, wq, sw);
    int32_t nm = 0;
    const char *src = b->net->names[b->net->orig[l->src]];
    const float *mean = b->q ? inc_calibration_means(b->q->calib, src, &nm) : NULL;
    if (mean && nm != l->in_c)
        return inc_error(INCEPTION_ERR_FORMAT, "calibration record: %d means for tensor '%s', which has %d channels",
                         nm, src, l->in_c);
    if (mean) inc_q8_bias_correct(l->out_c, l->conv.kernel_h * l->conv.kernel_w, l->in_c, w, wq, sw, mean, bias);
    return INCEPTION_OK;
}

static inception_status q8_pack(const builder *b, inc_layer *l, const float *w, float *bias) {
    size_t per = (size_t)l->in_c * l->conv.kernel_h * l->conv.kernel_w;
    int8_t *wq = inc_malloc((size_t)l->out_c * per);
    float *sw = inc_malloc((size_t)l->out_c * sizeof *sw);
    inception_status st = INCEPTION_OK;
    if (!wq || !sw) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "quantising %s", l->name);
    if (!st) st = q8_weights(b, l, w, bias, wq, sw);
    if (!st) st = q8_pack_stored(b, l, wq, sw, bias);
    inc_free(wq), inc_free(sw);
    return st;
}

/* A layer stored int8 in a quantised file: pack it int8, or (float precision) as the
 * float weights it stands for. NOT_FOUND: the file stores this layer float. */
static inception_status pack_stored_q8(const builder *b, inc_layer *l) {
    int8_t *wq = NULL;
    float *sw = NULL, *bias = NULL;
    inception_status st = inc_load_conv_q8(b->st, l->name, l->in_c, l->out_c, l->conv.kernel_h,
                                           l->conv.kernel_w, &wq, &sw, &bias);
    if (st) return st;
    if (l->q8) {
        st = q8_pack_stored(b, l, wq, sw, bias);
    } else {
        size_t per = (size_t)l->in_c * l->conv.kernel_h * l->conv.kernel_w;
        float *w = inc_malloc((size_t)l->out_c * per * sizeof *w);
        if (!w) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "dequantising %s", l->name);
        for (size_t i = 0; w && i < (size_t)l->out_c * per; i++) w[i] = (float)wq[i] * sw[i / per];
        if (!st) {
            inc_error_clear();
            st = b->be->conv_pack(b->be->user, &l->conv, w, bias, &l->packed);
            if (st) {
                l->packed = NULL;
                if (!inc_error_message()[0])
                    inc_error(st, "backend '%s' failed to pack %s", b->be->name, l->name);
            }
        }
        inc_free(w);
    }
    inc_free(wq), inc_free(sw), inc_free(bias);
    return st;
}

static inception_status pack_layer(const builder *b, inc_layer *l) {
    float *w = NULL, *bias = NULL;
    char bn[sizeof l->name + 4];
    snprintf(bn, sizeof bn, "%s_bn", l->name);
    if (l->conv.relu) {
        inception_status qs = pack_stored_q8(b, l);
        if (qs != INCEPTION_ERR_NOT_FOUND) return qs;
    }
    inception_status st = l->conv.relu
        ? inc_load_conv(b->st, b->cfg, l->name, l->in_c, l->out_c, l->conv.kernel_h,
                        l->conv.kernel_w, &w, &bias)
        : l->fc_bn ? inc_load_fc_bn(b->st, b->cfg, l->name, bn, l->in_c, l->out_c, &w, &bias)
                   : inc_load_fc(b->st, l->name, l->in_c, l->out_c, &w, &bias);
    if (st) return st;
    inc_error_clear();
    if (l->q8) {
        st = q8_pack(b, l, w, bias);
        inc_free(w);
        inc_free(bias);
        return st;
    }
    if (l->mixed) {
        /* the int8 weights dequantised, as a quantised file gives them (pack_stored_q8):
         * quantising at load and loading the saved file give the same bits */
        size_t per = (size_t)l->in_c * l->conv.kernel_h * l->conv.kernel_w;
        int8_t *wq = inc_malloc((size_t)l->out_c * per);
        float *sw = inc_malloc((size_t)l->out_c * sizeof *sw);
        st = wq && sw ? q8_weights(b, l, w, bias, wq, sw)
                      : inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "quantising %s", l->name);
        for (size_t i = 0; !st && i < (size_t)l->out_c * per; i++) w[i] = (float)wq[i] * sw[i / per];
        inc_free(wq), inc_free(sw);
        if (st) {
            inc_free(w), inc_free(bias);
            return st;
        }
    }
    st = b->be->conv_pack(b->be->user, &l->conv, w, bias, &l->packed);
    if (st) {
        l->packed = NULL;
        if (!inc_error_message()[0])
            inc_error(st, "backend '%s' failed to pack %s", b->be->name, l->name);
    }
    inc_free(w);
    inc_free(bias);
    return st;
}

static void pack_worker(void *ctx, int32_t worker) {
    pack_job *job = ctx;
    inc_net *net = job->b->net;
    for (;;) {
        int32_t i = atomic_fetch_add(&job->next, 1);
        if (i >= net->n_layers) return;
        pthread_mutex_lock(&job->mu);
        int stop = job->failed_layer < i;
        pthread_mutex_unlock(&job->mu);
        if (stop) return;
        inc_layer *l = &net->layers[i];
        if (l->op != INC_OP_CONV) continue;
        inception_status st = pack_layer(job->b, l);
        if (st == INCEPTION_OK) continue;
        pthread_mutex_lock(&job->mu);
        if (i < job->failed_layer) {
            job->failed_layer = i;
            job->status = st;
            snprintf(job->message, sizeof job->message, "%s", inc_error_message());
        }
        pthread_mutex_unlock(&job->mu);
    }
}

static inception_status pack_all(const builder *b) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int32_t threads = cores < 1 ? 1 : cores > 4 ? 4 : (int32_t)cores;
    pack_job job = {.b = b, .failed_layer = b->net->n_layers};
    atomic_init(&job.next, 0);
    pthread_mutex_init(&job.mu, NULL);
    inc_pool *pool = NULL;
    if (inc_pool_create(threads, &pool) != INCEPTION_OK) {
        pool = NULL; /* no threads to be had: pack on this one */
        pack_worker(&job, 0);
    } else {
        inc_pool_run(pool, pack_worker, &job);
        inc_pool_free(pool);
    }
    pthread_mutex_destroy(&job.mu);
    if (job.status) return inc_error(job.status, "%s", job.message);
    return INCEPTION_OK;
}

inception_status inc_net_build(inc_net *net, const inc_safetensors *st, const inc_config *cfg,
                               const inception_backend *be) {
    return inc_net_build_q(net, st, cfg, be, NULL);
}

/* Tensor names, the calibration record's keys: a named block's name, else the layer that
 * writes it (every unnamed tensor has exactly one writer). */
static void name_tensors(inc_net *n) {
    snprintf(n->names[n->t_input], sizeof n->names[0], "input");
    for (int32_t i = n->n_layers - 1; i >= 0; i--)
        snprintf(n->names[n->layers[i].dst], sizeof n->names[0], "%s", n->layers[i].name);
    for (int32_t i = 0; i < n->n_named; i++)
        snprintf(n->names[n->named[i].tensor], sizeof n->names[0], "%s", n->named[i].name);
    for (int32_t t = 0; t < n->n_tensors; t++) n->orig[t] = t;
    n->n_float_tensors = n->n_tensors;
}

static int32_t uf_find(int32_t *parent, int32_t t) {
    while (parent[t] != t) t = parent[t] = parent[parent[t]];
    return t;
}

/* Insert layer `l` at position `at` of the layer list. */
static inc_layer *insert_layer(builder *b, int32_t at, inc_op op, const char *name) {
    if (!layer(b, op, name)) return NULL;
    inc_net *n = b->net;
    inc_layer tmp = n->layers[n->n_layers - 1];
    memmove(&n->layers[at + 1], &n->layers[at], (size_t)(n->n_layers - 1 - at) * sizeof tmp);
    n->layers[at] = tmp;
    return &n->layers[at];
}

/* Mixed precision (docs/int8.md, "Mixed precision"): the 3x3 stride-1 convs that the simd
 * backend runs as Winograd F(4x4, 3x3) (its use_winograd: 32 < in, in * out <= 32768: the
 * 35x35 blocks and Conv2d_4a) do 4x fewer multiplies than direct, more than the AVX2 int8
 * kernels gain over fp32 direct (about 2x), so they run fp32 inside the int8 graph. A
 * fixed rule of shape and backend: the same model always gets the same plan. */
static int mixed_shape(const inc_layer *l) {
    const inception_conv_desc *d = &l->conv;
    return d->kernel_h == 3 && d->kernel_w == 3 && d->stride_h == 1 && d->stride_w == 1 &&
           d->pad_h <= 2 && d->pad_w <= 2 && d->in_channels > 32 &&
           (int64_t)d->in_channels * d->out_channels <= 32768;
}

/* 0 auto, 1 off, 2 on; -1 after setting b->status for a bad value */
static int mixed_mode(builder *b) {
    const char *v = b->q ? b->q->mixed : NULL;
    if (!v || !strcmp(v, "auto")) return 0;
    if (!strcmp(v, "off")) return 1;
    if (!strcmp(v, "on")) return 2;
    b->status = inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                          "INCEPTION_Q8_MIXED='%s': use auto, off or on (or unset it)", v);
    return -1;
}

/* Turn the float graph into the int8 one (docs/int8.md): every tensor between the first
 * conv and the last block is uint8; the first conv, the last block's output, GAP, fc and
 * the aux head stay float, with QUANT / DEQUANT layers at the boundaries. Pools run on
 * uint8 and keep their input's scale, so a pool and its input (and a block whose slice a
 * pool writes) share one scale: the largest range of the group. */
static void quantise_graph(builder *b) {
    inc_net *n = b->net;
    if (b->status) return;
    int32_t t_last = -1; /* the block feeding GAP */
    for (int32_t i = 0; i < n->n_layers; i++)
        if (n->layers[i].op == INC_OP_GAP && !n->layers[i].aux) t_last = n->layers[i].src;
    for (int32_t t = 0; t < n->n_tensors; t++) n->u8[t] = 1;
    n->u8[n->t_input] = 0;
    if (t_last >= 0) n->u8[t_last] = 0;
    for (int32_t i = 0; i < n->n_layers; i++) {
        const inc_layer *l = &n->layers[i];
        int first = l->op == INC_OP_CONV && l->src == n->t_input;
        if (l->aux || l->op == INC_OP_GAP || first || (!l->conv.relu && l->op == INC_OP_CONV))
            n->u8[l->dst] = 0;
        /* a pool reading a float tensor stays float (the v2 stem's maxpool1) */
        if ((l->op == INC_OP_MAXPOOL || l->op == INC_OP_AVGPOOL) && !n->u8[l->src])
            n->u8[l->dst] = 0;
    }
    /* Mixed convs: the float backend runs them. A tensor written whole by one conv and read
     * only by mixed convs stays float (an int8 producer stores float with run_f32, so no
     * dequantise pass and no rounding to uint8 on the way); elsewhere the passes below add
     * a DEQUANT before a mixed conv and a QUANT after it into its uint8 slice. */
    int mode = mixed_mode(b);
    if (mode < 0) return;
    int simd = b->be && b->be->name && !strcmp(b->be->name, "simd");
    for (int32_t i = 0; i < n->n_layers; i++) {
        inc_layer *l = &n->layers[i];
        l->mixed = mode != 1 && (simd || mode == 2) && l->op == INC_OP_CONV && !l->aux &&
                   l->conv.relu && l->src != n->t_input && n->u8[l->src] && mixed_shape(l);
    }
    for (int32_t t = 0; t < n->n_tensors; t++) {
        if (!n->u8[t]) continue;
        int32_t writers = 0, whole = 0, readers = 0, mixed_readers = 0;
        for (int32_t i = 0; i < n->n_layers; i++) {
            const inc_layer *l = &n->layers[i];
            if (l->dst == t) {
                writers++;
                whole = l->op == INC_OP_CONV && l->dst_c0 == 0 && l->out_c == n->channels[t];
            }
            if (l->src == t) readers++, mixed_readers += l->mixed;
        }
        if (writers == 1 && whole && readers > 0 && readers == mixed_readers) n->u8[t] = 0;
    }
    int32_t quant_of[INC_MAX_TENSORS], dequant_of[INC_MAX_TENSORS];
    for (int32_t t = 0; t < INC_MAX_TENSORS; t++) quant_of[t] = dequant_of[t] = -1;
    for (int32_t i = 0; i < n->n_layers && !b->status; i++) {
        inc_layer *l = &n->layers[i];
        int conv_q = l->op == INC_OP_CONV && !l->aux && l->conv.relu && l->src != n->t_input &&
                     !l->mixed;
        int pool = (l->op == INC_OP_MAXPOOL || l->op == INC_OP_AVGPOOL) && !l->aux;
        if (conv_q && !n->u8[l->src]) { /* float -> uint8 boundary */
            int32_t src = l->src;
            if (quant_of[src] < 0) {
                int32_t t = tensor(b, n->channels[src]);
                if (b->status) return;
                n->u8[t] = 1, n->orig[t] = n->orig[src];
                char nm[64];
                snprintf(nm, sizeof nm, "%s.quantize", n->names[src]);
                inc_layer *ql = insert_layer(b, i, INC_OP_QUANT, nm);
                if (!ql) return;
                ql->src = src, ql->in_c = ql->out_c = n->channels[src], ql->dst = t;
                quant_of[src] = t;
                i++;
                l = &n->layers[i];
            }
            l->src = quant_of[src];
        }
        if (!conv_q && !pool && l->op != INC_OP_QUANT && n->u8[l->src]) { /* uint8 -> float */
            int32_t src = l->src;
            if (dequant_of[src] < 0) {
                int32_t t = tensor(b, n->channels[src]);
                if (b->status) return;
                n->u8[t] = 0, n->orig[t] = n->orig[src];
                char nm[64];
                snprintf(nm, sizeof nm, "%s.dequantize", n->names[src]);
                int32_t aux = l->aux;
                inc_layer *dl = insert_layer(b, i, INC_OP_DEQUANT, nm);
                if (!dl) return;
                dl->src = src, dl->in_c = dl->out_c = n->channels[src], dl->dst = t;
                dl->aux = aux;
                dequant_of[src] = t;
                i++;
                l = &n->layers[i];
            }
            l->src = dequant_of[src];
        }
        if (conv_q) l->q8 = 1, n->q8_layers++;
        if (pool && n->u8[l->src]) l->q8 = 1;
        if (l->mixed) n->mixed_layers++;
        if (l->mixed && n->u8[l->dst]) { /* float output -> its uint8 slice */
            int32_t t = tensor(b, l->out_c);
            if (b->status) return;
            n->u8[t] = 0, n->orig[t] = n->orig[l->dst];
            char nm[64];
            snprintf(nm, sizeof nm, "%s.quantize", l->name);
            inc_layer *ql = insert_layer(b, i + 1, INC_OP_QUANT, nm);
            if (!ql) return;
            l = &n->layers[i]; /* insert_layer may move the list */
            ql->src = t, ql->in_c = ql->out_c = l->out_c;
            ql->dst = l->dst, ql->dst_c0 = l->dst_c0;
            l->dst = t, l->dst_c0 = 0;
            i++;
        }
    }
    if (b->status) return;
    /* scales: union of pool inputs and outputs, range = the group's largest */
    int32_t parent[INC_MAX_TENSORS];
    float range[INC_MAX_TENSORS];
    for (int32_t t = 0; t < n->n_tensors; t++) parent[t] = t, range[t] = 0;
    for (int32_t i = 0; i < n->n_layers; i++) {
        const inc_layer *l = &n->layers[i];
        if (l->q8 && l->op != INC_OP_CONV) parent[uf_find(parent, l->dst)] = uf_find(parent, l->src);
    }
    for (int32_t t = 0; t < n->n_tensors; t++) {
        if (!n->u8[t]) continue;
        int32_t r = uf_find(parent, t);
        float v = inc_calibration_range(b->q->calib, n->names[n->orig[t]]);
        if (v < 0) {
            b->status = inc_error(INCEPTION_ERR_FORMAT,
                                  "calibration record: no range for tensor '%s'",
                                  n->names[n->orig[t]]);
            return;
        }
        if (v > range[r]) range[r] = v;
    }
    for (int32_t t = 0; t < n->n_tensors; t++) {
        float r = range[uf_find(parent, t)];
        n->scale[t] = n->u8[t] ? (r > 1e-30f ? r / 255.0f : 1.0f) : 1.0f;
    }
    for (int32_t i = 0; i < n->n_layers; i++) {
        inc_layer *l = &n->layers[i];
        if (l->op == INC_OP_QUANT) l->qscale = 1.0f / n->scale[l->dst];
        if (l->op == INC_OP_DEQUANT) l->qscale = n->scale[l->src];
    }
    n->quantized = 1;
}

inception_status inc_net_build_q(inc_net *net, const inc_safetensors *st, const inc_config *cfg,
                                 const inception_backend *be, const inc_quant *q) {
    memset(net, 0, sizeof *net);
    net->t_aux_logits = -1;
    builder b = {.net = net, .st = st, .cfg = cfg, .be = be, .q = q};
    int32_t x = net->t_input = tensor(&b, 3);
    x = stem(&b, x);
    x = named(&b, "Mixed_5b", inception_a(&b, "Mixed_5b", x, 192, 32));
    x = named(&b, "Mixed_5c", inception_a(&b, "Mixed_5c", x, 256, 64));
    x = named(&b, "Mixed_5d", inception_a(&b, "Mixed_5d", x, 288, 64));
    x = named(&b, "Mixed_6a", inception_b(&b, "Mixed_6a", x, 288));
    x = named(&b, "Mixed_6b", inception_c(&b, "Mixed_6b", x, 768, 128));
    x = named(&b, "Mixed_6c", inception_c(&b, "Mixed_6c", x, 768, 160));
    x = named(&b, "Mixed_6d", inception_c(&b, "Mixed_6d", x, 768, 160));
    x = named(&b, "Mixed_6e", inception_c(&b, "Mixed_6e", x, 768, 192));
    if (cfg->has_aux) aux_head(&b, x, (int32_t)cfg->classes);
    x = named(&b, "Mixed_7a", inception_d(&b, "Mixed_7a", x, 768));
    x = named(&b, "Mixed_7b", inception_e(&b, "Mixed_7b", x, 1280));
    x = named(&b, "Mixed_7c", inception_e(&b, "Mixed_7c", x, 2048));
    net->t_features = tensor(&b, 2048);
    gap(&b, "avgpool", x, 2048, net->t_features);
    net->t_logits = -1;
    if (cfg->has_fc) {
        net->t_logits = tensor(&b, (int32_t)cfg->classes);
        fc(&b, "fc", net->t_features, 2048, net->t_logits, (int32_t)cfg->classes);
    }
    if (!b.status) net->min_input = min_input(net);
    if (!b.status) name_tensors(net);
    if (!b.status && q) quantise_graph(&b);
    if (!b.status) b.status = pack_all(&b);
    for (int32_t i = 0; !b.status && i < net->n_layers; i++)
        if (net->layers[i].q8 && net->layers[i].op == INC_OP_CONV) {
            snprintf(net->q8_level, sizeof net->q8_level, "%s",
                     inc_q8_conv_level(net->layers[i].packed));
            break;
        }
    if (b.status) {
        inc_net_free(net, be);
        return b.status;
    }
    return INCEPTION_OK;
}

void inc_net_free(inc_net *net, const inception_backend *be) {
    for (int32_t i = 0; i < net->n_layers; i++) {
        if (!net->layers[i].packed) continue;
        if (net->layers[i].q8) inc_q8_conv_release(net->layers[i].packed);
        else be->conv_release(be->user, net->layers[i].packed);
    }
    inc_free(net->layers);
    net->layers = NULL;
    net->n_layers = 0;
}

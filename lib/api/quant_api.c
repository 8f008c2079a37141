/* int8 calibration (docs/int8.md): run the float network on calibration images and record
 * a range for every tensor the int8 net holds as uint8. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/handles.h"
#include "graph/plan.h"
#include "graph/pool.h"
#include "model/quant.h"

#define HIST_BINS 4096

/* The range of v[0, n) (non-negative data) by method p: the maximum (p = 100); the
 * value below which a fraction p/100 lies (the upper edge of the histogram bin that crosses
 * it); or, for p = INC_QUANT_MSE, the clip c minimising the uint8 quantisation error
 * sum(min(x, c) rounded - x)^2 estimated from the histogram (rounding error step^2 / 12 per
 * value below c, (x - c)^2 above). */
static float tensor_range(const float *v, size_t n, double p, uint32_t *hist) {
    float mx = 0;
    for (size_t i = 0; i < n; i++) mx = v[i] > mx ? v[i] : mx;
    if (p >= 100 || mx <= 0) return mx;
    memset(hist, 0, HIST_BINS * sizeof *hist);
    float k = (float)HIST_BINS / mx;
    size_t zeros = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] > 0)) { zeros++; continue; }
        size_t b = (size_t)(v[i] * k);
        hist[b >= HIST_BINS ? HIST_BINS - 1 : b]++;
    }
    if (p == INC_QUANT_MSE) {
        /* suffix sums of count, count * centre, count * centre^2 (in bin widths) */
        double c0 = 0, c1 = 0, c2 = 0, below = 0, best = -1;
        size_t best_b = HIST_BINS - 1;
        for (size_t b = 0; b < HIST_BINS; b++) {
            double x = (double)b + 0.5;
            c0 += hist[b], c1 += hist[b] * x, c2 += hist[b] * x * x;
        }
        for (size_t b = 0; b < HIST_BINS; b++) {
            double c = (double)(b + 1), step = c / 255.0, x = (double)b + 0.5;
            below += hist[b];
            c0 -= hist[b], c1 -= hist[b] * x, c2 -= hist[b] * x * x;
            double err = below * step * step / 12.0 + (c2 - 2 * c * c1 + c * c * c0);
            if (b >= HIST_BINS / 16 && (best < 0 || err < best)) best = err, best_b = b;
        }
        return (float)(best_b + 1) / k;
    }
    double want = p / 100.0 * (double)n, cum = (double)zeros;
    if (cum >= want) return 1.0f / k;
    for (size_t b = 0; b < HIST_BINS; b++) {
        cum += hist[b];
        if (cum >= want) return (float)(b + 1) / k;
    }
    return mx;
}

/* Tensors to record: everything the non-aux graph writes. */
static int recorded(const inc_net *net, int32_t t) {
    if (t == net->t_input || t == net->t_logits) return 0;
    for (int32_t i = 0; i < net->n_layers; i++)
        if (net->layers[i].dst == t) return !net->layers[i].aux;
    return 0;
}

/* Per-channel means of every recorded tensor over the calibration images (NHWC: channels
 * innermost), for the bias correction; means[t] is NULL for tensors not recorded. */
typedef struct calib_means {
    float *m[INC_MAX_TENSORS];
} calib_means;

static void means_free(calib_means *cm) {
    for (int32_t t = 0; t < INC_MAX_TENSORS; t++) inc_free(cm->m[t]), cm->m[t] = NULL;
}

/* Fill `out` (ranges; with_means: the per-channel means too, for the bias correction). */
static inception_status inc_calibrate(const inception_model *m, const char *const *paths, size_t n,
                               const inception_options *opts, inc_calibration *out,
                               int with_means) {
    calib_means acc, *means = with_means ? &acc : NULL;
    memset(&acc, 0, sizeof acc);
    if (!opts) opts = inc_options_default();
    if (!m || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "model and output are required");
    memset(out, 0, sizeof *out);
    if (m->net.quantized)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         "calibration needs a float model; this one already runs int8 "
                         "(load it with INCEPTION_OPT_PRECISION \"float\")");
    if (!paths || n == 0)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "calibration needs at least one image");
    for (size_t i = 0; i < n; i++)
        if (!paths[i]) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "calibration image path %zu is NULL", i);
    double pct;
    if (inc_quant_method_parse(opts->quant_method, &pct))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         "QUANT_METHOD '%s' is not mse, minmax, percentile or percentile=P",
                         opts->quant_method);
    const inc_net *net = &m->net;
    if (pct == INC_QUANT_MSE) snprintf(out->method, sizeof out->method, "mse");
    else if (pct >= 100) snprintf(out->method, sizeof out->method, "minmax");
    else snprintf(out->method, sizeof out->method, "percentile=%g", pct);
    out->images = (int64_t)n;

    uint8_t keep[INC_MAX_TENSORS];
    memset(keep, 1, sizeof keep);
    int32_t threads = opts->threads > 0 ? (int32_t)(opts->threads > 64 ? 64 : opts->threads) : 2;
    inc_plan plan;
    inception_status st = inc_plan_build(&plan, net, m->backend, 1, m->cfg.input_h, m->cfg.input_w,
                                         0, threads, 1, keep);
    if (st) return st;
    inc_pool *pool = NULL;
    inception_tensor *input = NULL;
    uint32_t *hist = inc_malloc(HIST_BINS * sizeof *hist);
    void *arena = inc_malloc_aligned(plan.arena_bytes);
    void *scratch = inc_malloc_aligned(plan.scratch_bytes * (size_t)threads + 64);
    if (!hist || !arena || !scratch) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating calibration memory");
    if (!st) st = inc_pool_create(threads, &pool);
    if (!st) st = inception_model_create_input(m, 1, INCEPTION_LAYOUT_NHWC, &input);
    float range[INC_MAX_TENSORS] = {0};
    for (size_t i = 0; i < n && !st; i++) {
        inception_image *img = NULL;
        st = inception_image_decode_file(paths[i], opts, &img);
        if (st) {
            char msg[INC_ERROR_MAX];
            snprintf(msg, sizeof msg, "%s", inc_error_message());
            st = inc_error(st, "calibration image %zu: %s", i, msg);
            break;
        }
        st = inception_image_preprocess(m, img, input, 0);
        inception_image_free(img);
        if (st) break;
        inc_plan_execute(&plan, net, m->backend, pool, arena, inception_tensor_data(input), scratch, NULL);
        for (int32_t t = 0; t < net->n_tensors; t++) {
            if (!recorded(net, t)) continue;
            size_t cnt = (size_t)(plan.th[t] * plan.tw[t] * net->channels[t]);
            float r = tensor_range((const float *)((char *)arena + plan.offset[t]), cnt, pct, hist);
            if (!isfinite(r)) {
                st = inc_error(INCEPTION_ERR_NUMERIC, "calibration image %zu (%s): tensor %s is not finite",
                               i, paths[i], net->names[t]);
                break;
            }
            if (r > range[t]) range[t] = r;
            if (!means) continue;
            int32_t c = net->channels[t];
            if (!means->m[t] && !(means->m[t] = inc_calloc((size_t)c, sizeof(float)))) {
                st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating calibration means");
                break;
            }
            const float *v = (const float *)((char *)arena + plan.offset[t]);
            size_t px = cnt / (size_t)c;
            for (int32_t ch = 0; ch < c; ch++) {
                double sum = 0;
                for (size_t k = 0; k < px; k++) sum += v[k * (size_t)c + (size_t)ch];
                means->m[t][ch] += (float)(sum / (double)px / (double)n);
            }
        }
    }
    size_t total = 0;
    for (int32_t t = 0; t < net->n_tensors && !st; t++) {
        if (!recorded(net, t)) continue;
        snprintf(out->names[out->n], sizeof out->names[0], "%s", net->names[t]);
        out->range[out->n++] = range[t];
        total += (size_t)net->channels[t];
    }
    if (!st && means && !(out->means = inc_malloc(total * sizeof(float))))
        st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating calibration means");
    for (int32_t t = 0, i = 0, at = 0; t < net->n_tensors && !st && means; t++) {
        if (!recorded(net, t)) continue;
        memcpy(out->means + at, acc.m[t], (size_t)net->channels[t] * sizeof(float));
        out->mean_at[i] = at, out->mean_n[i] = net->channels[t];
        at += net->channels[t], i++;
    }
    means_free(&acc);
    if (st) inc_calibration_clear(out);
    inception_tensor_free(input);
    inc_pool_free(pool);
    inc_free_aligned(arena);
    inc_free_aligned(scratch);
    inc_free(hist);
    inc_plan_free(&plan);
    return st;
}

INCEPTION_API inception_status inception_calibrate(const inception_model *model,
                                                   const char *const *paths, size_t n,
                                                   const inception_options *opts,
                                                   const char *record_path) {
    inc_error_clear();
    if (!record_path) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "record_path is NULL");
    inc_calibration *c = inc_malloc(sizeof *c);
    if (!c) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating the calibration record");
    int correct = (opts ? opts : inc_options_default())->quant_bias_correction != 0;
    inception_status st = inc_calibrate(model, paths, n, opts, c, correct);
    char *text = NULL;
    if (!st) st = inc_calibration_format(c, 1, &text);
    inc_calibration_clear(c);
    inc_free(c);
    if (st) return st;
    FILE *f = fopen(record_path, "wb");
    size_t len = strlen(text);
    int ok = f && fwrite(text, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    inc_free(text);
    if (!ok) {
        if (f) remove(record_path);
        return inc_error(INCEPTION_ERR_IO, "cannot write the calibration record '%s'", record_path);
    }
    return INCEPTION_OK;
}

/* ---- inception_quantize: a quantised safetensors file (docs/model-format.md) -------- */

typedef struct out_tensor {
    char name[160];
    const char *dtype;
    int32_t rank;
    int64_t shape[INC_MAX_RANK];
    const void *data;
    size_t bytes;
    void *owned;
} out_tensor;

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *np = inc_realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np, b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void put_s(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static void put_json(sbuf *b, const char *s) {
    put_s(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') esc[0] = '\\', esc[1] = (char)*p, esc[2] = 0;
        else if (*p < 0x20) snprintf(esc, sizeof esc, "\\u%04x", *p);
        else esc[0] = (char)*p, esc[1] = 0;
        put_s(b, esc);
    }
    put_s(b, "\"");
}

/* Is conv layer l one the int8 graph runs int8 (net.c quantise_graph's rule)? */
static int runs_int8(const inc_net *net, const inc_layer *l) {
    return l->op == INC_OP_CONV && !l->aux && l->conv.relu && l->src != net->t_input;
}

static int dropped(const inc_net *net, const char *name) {
    for (int32_t i = 0; i < net->n_layers; i++) {
        const inc_layer *l = &net->layers[i];
        if (!runs_int8(net, l)) continue;
        size_t k = strlen(l->name);
        if (strncmp(name, l->name, k) == 0 &&
            (strncmp(name + k, ".conv.", 6) == 0 || strncmp(name + k, ".bn.", 4) == 0))
            return 1;
    }
    return 0;
}

static inception_status write_file(const char *path, const out_tensor *t, size_t n,
                                   const inc_safetensors *src, const char *record) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += t[i].bytes;
    uint8_t *data = inc_malloc(total ? total : 1);
    if (!data) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "assembling the quantised file");
    size_t off = 0;
    for (size_t i = 0; i < n; i++) memcpy(data + off, t[i].data, t[i].bytes), off += t[i].bytes;
    char crc[16];
    snprintf(crc, sizeof crc, "%08x", (unsigned)inc_crc32(data, total));
    sbuf h = {0};
    put_s(&h, "{\"__metadata__\":{");
    for (size_t i = 0; i < src->n_meta; i++) {
        if (!strcmp(src->meta[i].key, "inception.crc32") ||
            !strcmp(src->meta[i].key, "inception.quant.calibration"))
            continue;
        put_json(&h, src->meta[i].key), put_s(&h, ":"), put_json(&h, src->meta[i].value), put_s(&h, ",");
    }
    put_s(&h, "\"inception.quant.calibration\":"), put_json(&h, record);
    put_s(&h, ",\"inception.crc32\":"), put_json(&h, crc), put_s(&h, "}");
    off = 0;
    for (size_t i = 0; i < n; i++) {
        char num[48];
        put_s(&h, ","), put_json(&h, t[i].name), put_s(&h, ":{\"dtype\":"), put_json(&h, t[i].dtype);
        put_s(&h, ",\"shape\":[");
        for (int32_t r = 0; r < t[i].rank; r++) {
            snprintf(num, sizeof num, "%s%lld", r ? "," : "", (long long)t[i].shape[r]);
            put_s(&h, num);
        }
        snprintf(num, sizeof num, "],\"data_offsets\":[%zu,%zu]}", off, off + t[i].bytes);
        put_s(&h, num);
        off += t[i].bytes;
    }
    put_s(&h, "}");
    while (!h.oom && h.len % 8) put_s(&h, " ");
    if (h.oom) {
        inc_free(h.p), inc_free(data);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "writing the quantised file's header");
    }
    /* through a temporary file, renamed over the target when complete */
    size_t plen = strlen(path) + 16;
    char *tmp = inc_malloc(plen);
    inception_status st = INCEPTION_OK;
    if (!tmp) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "writing '%s'", path);
    FILE *f = NULL;
    if (!st) {
        snprintf(tmp, plen, "%s.tmp", path);
        f = fopen(tmp, "wb");
        uint8_t len8[8];
        for (int k = 0; k < 8; k++) len8[k] = (uint8_t)((uint64_t)h.len >> (8 * k));
        int ok = f && fwrite(len8, 1, 8, f) == 8 && fwrite(h.p, 1, h.len, f) == h.len &&
                 fwrite(data, 1, total, f) == total;
        if (f && fclose(f) != 0) ok = 0;
        if (!ok || rename(tmp, path) != 0) {
            if (f) remove(tmp);
            st = inc_error(INCEPTION_ERR_IO, "cannot write the quantised model '%s'", path);
        }
    }
    inc_free(tmp), inc_free(h.p), inc_free(data);
    return st;
}

INCEPTION_API inception_status inception_quantize(const inception_model *model,
                                                  const char *const *paths, size_t n,
                                                  const inception_options *opts,
                                                  const char *out_path) {
    inc_error_clear();
    if (!model || !out_path)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "model and out_path are required");
    if (!model->source_path)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         "inception_quantize reads the float weights from the model's file: load "
                         "the model with inception_model_load_file");
    inc_calibration *c = inc_malloc(sizeof *c);
    if (!c) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating the calibration record");
    int correct = (opts ? opts : inc_options_default())->quant_bias_correction != 0;
    inception_status st = inc_calibrate(model, paths, n, opts, c, correct);
    char *record = NULL;
    /* the file's record carries no means: its biases are corrected already */
    if (!st) st = inc_calibration_format(c, 0, &record);
    if (st) {
        inc_calibration_clear(c);
        inc_free(c);
        return st;
    }
    inc_file_buf buf;
    st = inc_file_read(model->source_path, &buf);
    if (st) {
        inc_free(record);
        return st;
    }
    inc_safetensors file;
    st = inc_st_parse(buf.data, buf.size, &file);
    int parsed = st == INCEPTION_OK;
    const inc_net *net = &model->net;
    int64_t opts_bits = opts ? opts->quant_weight_bits : 0;
    size_t cap = file.n_tensors + 3 * (size_t)net->n_layers, no = 0;
    out_tensor *t = st ? NULL : inc_calloc(cap, sizeof *t);
    if (!st && !t) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating the tensor list");
    for (size_t i = 0; !st && i < file.n_tensors; i++) { /* the float layers as stored */
        const inc_st_tensor *s = &file.tensors[i];
        if (dropped(net, s->name)) continue;
        out_tensor *o = &t[no++];
        snprintf(o->name, sizeof o->name, "%s", s->name);
        o->dtype = s->dtype_name, o->rank = s->rank;
        memcpy(o->shape, s->shape, sizeof o->shape);
        o->data = file.data + s->begin, o->bytes = s->end - s->begin;
    }
    for (int32_t i = 0; !st && i < net->n_layers; i++) {
        const inc_layer *l = &net->layers[i];
        if (!runs_int8(net, l)) continue;
        float *w = NULL, *bias = NULL;
        st = inc_load_conv(&file, &model->cfg, l->name, l->in_c, l->out_c, l->conv.kernel_h,
                           l->conv.kernel_w, &w, &bias);
        if (st) break;
        size_t per = (size_t)l->in_c * l->conv.kernel_h * l->conv.kernel_w;
        int8_t *wq = inc_malloc((size_t)l->out_c * per);
        float *sw = inc_malloc((size_t)l->out_c * sizeof *sw);
        if (!wq || !sw) {
            inc_free(wq), inc_free(sw), inc_free(w), inc_free(bias);
            st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "quantising %s", l->name);
            break;
        }
        inc_q8_quantize_weights(w, l->out_c, per, (int32_t)opts_bits, wq, sw);
        int32_t nm;
        const float *mean = inc_calibration_means(c, net->names[l->src], &nm);
        if (mean && nm == l->in_c)
            inc_q8_bias_correct(l->out_c, l->conv.kernel_h * l->conv.kernel_w, l->in_c, w, wq, sw,
                                mean, bias);
        inc_free(w);
        out_tensor *o = &t[no++];
        snprintf(o->name, sizeof o->name, "%s.conv.qweight", l->name);
        o->dtype = "I8", o->rank = 4;
        o->shape[0] = l->out_c, o->shape[1] = l->conv.kernel_h, o->shape[2] = l->conv.kernel_w;
        o->shape[3] = l->in_c;
        o->data = o->owned = wq, o->bytes = (size_t)l->out_c * per;
        o = &t[no++];
        snprintf(o->name, sizeof o->name, "%s.conv.weight_scale", l->name);
        o->dtype = "F32", o->rank = 1, o->shape[0] = l->out_c;
        o->data = o->owned = sw, o->bytes = (size_t)l->out_c * sizeof(float);
        o = &t[no++];
        snprintf(o->name, sizeof o->name, "%s.conv.bias", l->name);
        o->dtype = "F32", o->rank = 1, o->shape[0] = l->out_c;
        o->data = o->owned = bias, o->bytes = (size_t)l->out_c * sizeof(float);
    }
    if (!st) st = write_file(out_path, t, no, &file, record);
    for (size_t i = 0; t && i < no; i++) inc_free(t[i].owned);
    inc_free(t);
    if (parsed) inc_st_free(&file);
    inc_file_release(&buf);
    inc_free(record);
    inc_calibration_clear(c);
    inc_free(c);
    return st;
}

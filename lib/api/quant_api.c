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

/* The value below which a fraction p/100 of v[0, n) lies (non-negative data, the upper
 * edge of the histogram bin that crosses it), or the maximum for p = 100. */
static float tensor_range(const float *v, size_t n, double p, uint32_t *hist) {
    float mx = 0;
    for (size_t i = 0; i < n; i++) mx = v[i] > mx ? v[i] : mx;
    if (p >= 100 || mx <= 0) return mx;
    memset(hist, 0, HIST_BINS * sizeof *hist);
    float k = (float)HIST_BINS / mx;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] > 0)) { hist[0]++; continue; }
        size_t b = (size_t)(v[i] * k);
        hist[b >= HIST_BINS ? HIST_BINS - 1 : b]++;
    }
    double want = p / 100.0 * (double)n, cum = 0;
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

inception_status inc_calibrate(const inception_model *m, const char *const *paths, size_t n,
                               const inception_options *opts, inc_calibration *out) {
    if (!opts) opts = inc_options_default();
    if (!m || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "model and output are required");
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
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "bad QUANT_METHOD");
    const inc_net *net = &m->net;
    memset(out, 0, sizeof *out);
    if (pct >= 100) snprintf(out->method, sizeof out->method, "minmax");
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
        }
    }
    for (int32_t t = 0; t < net->n_tensors && !st; t++) {
        if (!recorded(net, t)) continue;
        snprintf(out->names[out->n], sizeof out->names[0], "%s", net->names[t]);
        out->range[out->n++] = range[t];
    }
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
    inception_status st = inc_calibrate(model, paths, n, opts, c);
    char *text = NULL;
    if (!st) st = inc_calibration_format(c, &text);
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

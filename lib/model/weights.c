/* Weights by torchvision module name, converted to float32 and BatchNorm-folded. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"

/* safetensors data is little-endian and read in place. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "big-endian hosts need a byte-swap path");
#endif

#define BN_EPS 0.001

/* IEEE half to single, exact for every input: subnormal halves become normal singles,
 * infinities stay infinite and NaN payloads are kept. */
static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (mant << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else {
        /* 0.mant * 2^-14: shift the leading one up into the implicit position */
        int e = -1;
        do {
            mant <<= 1;
            e++;
        } while (!(mant & 0x400));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((mant & 0x3FF) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static void format_shape(char *buf, size_t size, int32_t rank, const int64_t *shape) {
    size_t o = 0;
    o += (size_t)snprintf(buf + o, size - o, "[");
    for (int32_t i = 0; i < rank && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (o < size) snprintf(buf + o, size - o, "]");
}

/* The tensor `name` as float32 in its stored order, after checking dtype, shape and that
 * every value is finite. */
/* The tensor's values as float32. An aligned F32 tensor is read in place (*owned = NULL);
 * anything else is converted into a new buffer (*owned, to inc_free). Non-finite values
 * are refused: one pass that the compiler can vectorise, then a search only on failure. */
static inception_status load_f32(const inc_safetensors *st, const char *name, int32_t rank,
                                 const int64_t *shape, const float **out, float **owned) {
    const inc_st_tensor *t = inc_st_find(st, name);
    if (!t) return inc_error(INCEPTION_ERR_MISSING_TENSOR, "missing tensor '%s'", name);
    int same = t->rank == rank;
    for (int32_t i = 0; same && i < rank; i++) same = t->shape[i] == shape[i];
    if (!same) {
        char want[128], got[128];
        format_shape(want, sizeof want, rank, shape);
        format_shape(got, sizeof got, t->rank, t->shape);
        return inc_error(INCEPTION_ERR_SHAPE, "tensor '%s' has shape %s, expected %s", name, got,
                         want);
    }
    if (t->dtype == INC_OTHER)
        return inc_error(INCEPTION_ERR_DTYPE,
                         "tensor '%s' has a %d-byte element type that is not F32, F16 or BF16",
                         name, t->elem_size);
    /* the parser checked end - begin == prod(shape) * elem_size and the range */
    size_t count = (t->end - t->begin) / (size_t)t->elem_size;
    const uint8_t *src = st->data + t->begin;
    float *dst = NULL;
    const float *values;
    if (t->dtype == INC_F32 && (uintptr_t)src % sizeof(float) == 0) {
        values = (const float *)(const void *)src;
    } else {
        dst = inc_malloc(count * sizeof *dst);
        if (!dst) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "tensor '%s'", name);
        if (t->dtype == INC_F32) {
            memcpy(dst, src, count * sizeof *dst);
        } else {
            for (size_t i = 0; i < count; i++) {
                uint16_t h;
                memcpy(&h, src + 2 * i, 2);
                dst[i] = t->dtype == INC_F16 ? f16_to_f32(h) : bf16_to_f32(h);
            }
        }
        values = dst;
    }
    int bad = 0;
    for (size_t i = 0; i < count; i++) bad |= !(fabsf(values[i]) <= FLT_MAX);
    if (bad) {
        size_t i = 0;
        while (isfinite(values[i])) i++;
        inc_free(dst);
        return inc_error(INCEPTION_ERR_FORMAT, "tensor '%s' has a non-finite value at index %zu",
                         name, i);
    }
    *out = values;
    *owned = dst;
    return INCEPTION_OK;
}

static inception_status tensor_name(char *buf, size_t size, const char *prefix,
                                    const char *suffix) {
    int n = snprintf(buf, size, "%s.%s", prefix, suffix);
    if (n < 0 || (size_t)n >= size)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "module name '%.64s...' too long", prefix);
    return INCEPTION_OK;
}

inception_status inc_load_conv(const inc_safetensors *st, const inc_config *cfg,
                               const char *prefix, int32_t cin, int32_t cout, int32_t kh,
                               int32_t kw, float **weights, float **bias) {
    if (!st || !cfg || !prefix || !weights || !bias || cin < 1 || cout < 1 || kh < 1 || kw < 1)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "inc_load_conv: bad arguments");
    static const char *const bn_parts[4] = {"bn.weight", "bn.bias", "bn.running_mean",
                                            "bn.running_var"};
    char names[5][256];
    inception_status s = tensor_name(names[0], sizeof names[0], prefix, "conv.weight");
    for (int i = 0; i < 4 && !s; i++) s = tensor_name(names[1 + i], sizeof names[1 + i], prefix, bn_parts[i]);
    if (s) return s;

    int64_t wshape[4] = {cout, cin, kh, kw};
    int64_t vshape[1] = {cout};
    const float *w = NULL, *bn[4] = {NULL, NULL, NULL, NULL};
    float *w_owned = NULL, *bn_owned[4] = {NULL, NULL, NULL, NULL}, *ow = NULL, *ob = NULL;
    s = load_f32(st, names[0], 4, wshape, &w, &w_owned);
    /* without a learned scale (Keras/TF-slim) gamma is 1, and a stored one is ignored */
    for (int i = cfg->bn_has_gamma ? 0 : 1; i < 4 && !s; i++)
        s = load_f32(st, names[1 + i], 1, vshape, &bn[i], &bn_owned[i]);
    if (s) goto done;

    size_t k = (size_t)kh * (size_t)kw * (size_t)cin;
    ow = inc_malloc((size_t)cout * k * sizeof *ow);
    ob = inc_malloc((size_t)cout * sizeof *ob);
    if (!ow || !ob) {
        s = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "folding '%s'", prefix);
        goto done;
    }
    for (int32_t o = 0; o < cout; o++) {
        double var = bn[3][o];
        if (var < 0) {
            s = inc_error(INCEPTION_ERR_FORMAT, "tensor '%s' has a negative variance at index %d",
                          names[4], o);
            goto done;
        }
        double gamma = bn[0] ? bn[0][o] : 1.0;
        double scale = gamma / sqrt(var + BN_EPS);
        double b = (double)bn[1][o] - (double)bn[2][o] * scale;
        ob[o] = (float)b;
        /* The scale rounded to float32 once: weights then fold in float32 (one more
         * rounding than double, far inside the 1e-4 tolerance) in vectorisable loops. */
        const float fs = (float)scale;
        int bad = !isfinite(ob[o]) || !isfinite(fs);
        /* [cout][cin][kh][kw] -> [cout][kh][kw][cin]: contiguous writes */
        const float *wo = w + (size_t)o * k;
        float *dst = ow + (size_t)o * k;
        const size_t taps = (size_t)kh * (size_t)kw;
        for (size_t tap = 0; tap < taps; tap++)
            for (int32_t c = 0; c < cin; c++) {
                float v = wo[(size_t)c * taps + tap] * fs;
                dst[tap * (size_t)cin + c] = v;
                bad |= !(fabsf(v) <= FLT_MAX);
            }
        if (bad) {
            s = inc_error(INCEPTION_ERR_FORMAT,
                          "folding BatchNorm into '%s' gives non-finite weights for channel %d",
                          names[0], o);
            goto done;
        }
    }
    *weights = ow;
    *bias = ob;
    ow = ob = NULL;
done:
    inc_free(w_owned);
    for (int i = 0; i < 4; i++) inc_free(bn_owned[i]);
    inc_free(ow);
    inc_free(ob);
    return s;
}

inception_status inc_load_fc(const inc_safetensors *st, const char *prefix, int32_t cin,
                             int32_t cout, float **weights, float **bias) {
    if (!st || !prefix || !weights || !bias || cin < 1 || cout < 1)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "inc_load_fc: bad arguments");
    char wname[256], bname[256];
    inception_status s = tensor_name(wname, sizeof wname, prefix, "weight");
    if (!s) s = tensor_name(bname, sizeof bname, prefix, "bias");
    if (s) return s;
    int64_t wshape[2] = {cout, cin}, bshape[1] = {cout};
    const float *w = NULL, *b = NULL;
    float *w_owned = NULL, *b_owned = NULL;
    s = load_f32(st, wname, 2, wshape, &w, &w_owned);
    if (!s) s = load_f32(st, bname, 1, bshape, &b, &b_owned);
    /* The caller owns the results: copy what is still borrowed from the file. */
    size_t wn = (size_t)cout * (size_t)cin * sizeof(float), bn = (size_t)cout * sizeof(float);
    if (!s && !w_owned && (w_owned = inc_malloc(wn))) memcpy(w_owned, w, wn);
    if (!s && !b_owned && (b_owned = inc_malloc(bn))) memcpy(b_owned, b, bn);
    if (!s && (!w_owned || !b_owned)) s = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "loading '%s'", prefix);
    if (s) {
        inc_free(w_owned);
        inc_free(b_owned);
        return s;
    }
    *weights = w_owned;
    *bias = b_owned;
    return INCEPTION_OK;
}

inception_status inc_load_fc_bn(const inc_safetensors *st, const inc_config *cfg,
                                const char *prefix, const char *bn_prefix, int32_t cin,
                                int32_t cout, float **weights, float **bias) {
    if (!cfg || !bn_prefix)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "inc_load_fc_bn: bad arguments");
    float *w = NULL, *b = NULL;
    inception_status s = inc_load_fc(st, prefix, cin, cout, &w, &b);
    if (s) return s;
    static const char *const parts[4] = {"weight", "bias", "running_mean", "running_var"};
    char names[4][256];
    const float *bn[4] = {NULL, NULL, NULL, NULL};
    float *bn_owned[4] = {NULL, NULL, NULL, NULL};
    int64_t vshape[1] = {cout};
    for (int i = 0; i < 4 && !s; i++) s = tensor_name(names[i], sizeof names[i], bn_prefix, parts[i]);
    for (int i = cfg->bn_has_gamma ? 0 : 1; i < 4 && !s; i++)
        s = load_f32(st, names[i], 1, vshape, &bn[i], &bn_owned[i]);
    /* y = gamma * (W x + b - mean) / sqrt(var + eps) + beta, folded per output row */
    for (int32_t o = 0; o < cout && !s; o++) {
        double var = bn[3][o];
        if (var < 0) {
            s = inc_error(INCEPTION_ERR_FORMAT, "tensor '%s' has a negative variance at index %d",
                          names[3], o);
            break;
        }
        double scale = (bn[0] ? bn[0][o] : 1.0) / sqrt(var + BN_EPS);
        float fs = (float)scale;
        float nb = (float)(((double)b[o] - (double)bn[2][o]) * scale + (double)bn[1][o]);
        int bad = !isfinite(fs) || !isfinite(nb);
        for (int32_t c = 0; c < cin; c++) {
            float v = w[(size_t)o * (size_t)cin + (size_t)c] * fs;
            w[(size_t)o * (size_t)cin + (size_t)c] = v;
            bad |= !(fabsf(v) <= FLT_MAX);
        }
        b[o] = nb;
        if (bad)
            s = inc_error(INCEPTION_ERR_FORMAT,
                          "folding BatchNorm '%s' into '%s' gives non-finite values for row %d",
                          bn_prefix, prefix, o);
    }
    for (int i = 0; i < 4; i++) inc_free(bn_owned[i]);
    if (s) {
        inc_free(w);
        inc_free(b);
        return s;
    }
    *weights = w;
    *bias = b;
    return INCEPTION_OK;
}

inception_status inc_load_tensor(const inc_safetensors *st, const char *name, int32_t rank,
                                 const int64_t *shape, float *dst) {
    const float *v;
    float *owned = NULL;
    inception_status s = load_f32(st, name, rank, shape, &v, &owned);
    if (s) return s;
    size_t count = 1;
    for (int32_t i = 0; i < rank; i++) count *= (size_t)shape[i];
    memcpy(dst, v, count * sizeof(float));
    inc_free(owned);
    return INCEPTION_OK;
}

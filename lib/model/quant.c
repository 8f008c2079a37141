#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/json.h"
#include "model/quant.h"

int inc_quant_method_parse(const char *m, double *p) {
    if (!m || strcmp(m, "mse") == 0) {
        *p = INC_QUANT_MSE;
        return 0;
    }
    if (strcmp(m, "percentile") == 0) {
        *p = INC_QUANT_DEFAULT_PERCENTILE;
        return 0;
    }
    if (strcmp(m, "minmax") == 0) {
        *p = 100;
        return 0;
    }
    if (strncmp(m, "percentile=", 11) != 0) return -1;
    char *end;
    double v = strtod(m + 11, &end);
    if (end == m + 11 || *end || !(v >= 50 && v <= 100)) return -1;
    *p = v;
    return 0;
}

static inception_status bad(const char *what, const char *msg) {
    return inc_error(INCEPTION_ERR_FORMAT, "calibration record %s: %s", what, msg);
}

/* "means": {"tensor": "m0 m1 ...", ...}, each tensor one of the record's ranges. */
static inception_status parse_means(const inc_json *mj, const char *what, inc_calibration *out) {
    if (mj->type != INC_JSON_OBJECT || mj->len > INC_QUANT_MAX_TENSORS)
        return bad(what, "\"means\" must be an object of at most 128 tensors");
    size_t total = 0;
    for (size_t i = 0; i < mj->len; i++) {
        if (mj->items[i].type != INC_JSON_STRING)
            return inc_error(INCEPTION_ERR_FORMAT, "calibration record %s: means of '%s' must be a string",
                             what, mj->keys[i]);
        total += strlen(mj->items[i].str) / 2 + 1; /* at most this many numbers */
    }
    out->means = inc_malloc((total ? total : 1) * sizeof(float));
    if (!out->means) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "reading calibration means");
    int64_t at = 0;
    for (size_t i = 0; i < mj->len; i++) {
        int32_t k = -1;
        for (int32_t j = 0; j < out->n; j++)
            if (strcmp(out->names[j], mj->keys[i]) == 0) k = j;
        if (k < 0)
            return inc_error(INCEPTION_ERR_FORMAT, "calibration record %s: means of '%s', which has no range",
                             what, mj->keys[i]);
        if (out->mean_n[k])
            return inc_error(INCEPTION_ERR_FORMAT, "calibration record %s: means of '%s' appear twice",
                             what, mj->keys[i]);
        const char *p = mj->items[i].str;
        int32_t cnt = 0;
        out->mean_at[k] = at;
        for (;;) {
            while (*p == ' ') p++;
            if (!*p) break;
            char *end;
            float val = strtof(p, &end);
            if (end == p || !isfinite(val) || (*end && *end != ' ') || cnt >= 1 << 16)
                return inc_error(INCEPTION_ERR_FORMAT,
                                 "calibration record %s: means of '%s' must be finite numbers "
                                 "separated by spaces", what, mj->keys[i]);
            out->means[at++] = val, cnt++;
            p = end;
        }
        if (cnt == 0)
            return inc_error(INCEPTION_ERR_FORMAT, "calibration record %s: means of '%s' are empty",
                             what, mj->keys[i]);
        out->mean_n[k] = cnt;
    }
    return INCEPTION_OK;
}

void inc_calibration_clear(inc_calibration *c) {
    inc_free(c->means);
    c->means = NULL;
    memset(c->mean_n, 0, sizeof c->mean_n);
}

const float *inc_calibration_means(const inc_calibration *c, const char *name, int32_t *count) {
    for (int32_t i = 0; i < c->n; i++)
        if (strcmp(c->names[i], name) == 0 && c->mean_n[i] > 0 && c->means) {
            *count = c->mean_n[i];
            return c->means + c->mean_at[i];
        }
    *count = 0;
    return NULL;
}

void inc_q8_bias_correct(int32_t out, int32_t taps, int32_t in, const float *w,
                         const int8_t *wq, const float *sw, const float *mean, float *bias) {
    size_t per = (size_t)in * (size_t)taps;
    for (int32_t o = 0; o < out; o++) {
        double shift = 0;
        for (int32_t k = 0; k < taps; k++)
            for (int32_t c = 0; c < in; c++) {
                size_t i = (size_t)o * per + (size_t)k * (size_t)in + (size_t)c;
                shift += ((double)wq[i] * sw[o] - (double)w[i]) * mean[c];
            }
        bias[o] = (float)((double)bias[o] - shift);
    }
}

inception_status inc_calibration_parse(const char *text, size_t size, const char *what,
                                       inc_calibration *out) {
    memset(out, 0, sizeof *out);
    inc_json doc;
    inception_status st = inc_json_parse(text, size, &doc);
    if (st) return inc_error(INCEPTION_ERR_FORMAT, "calibration record %s: %s", what,
                             inc_error_message());
    const inc_json *f = inc_json_get(&doc, "format"), *v = inc_json_get(&doc, "version");
    const inc_json *me = inc_json_get(&doc, "method"), *im = inc_json_get(&doc, "images");
    const inc_json *r = inc_json_get(&doc, "ranges");
    double p;
    if (doc.type != INC_JSON_OBJECT || !f || f->type != INC_JSON_STRING ||
        strcmp(f->str, "inception-calibration") != 0)
        st = bad(what, "not an inception calibration record (\"format\" must be "
                       "\"inception-calibration\")");
    else if (!v || v->type != INC_JSON_INT || (v->integer != 1 && v->integer != 2))
        st = bad(what, "\"version\" must be 1 or 2");
    else if (!me || me->type != INC_JSON_STRING || inc_quant_method_parse(me->str, &p) ||
             strlen(me->str) >= sizeof out->method)
        st = bad(what, "\"method\" must be \"minmax\", \"mse\" or \"percentile=P\"");
    else if (!im || im->type != INC_JSON_INT || im->integer < 1)
        st = bad(what, "\"images\" must be a positive integer");
    else if (!r || r->type != INC_JSON_OBJECT || r->len == 0 || r->len > INC_QUANT_MAX_TENSORS)
        st = bad(what, "\"ranges\" must be an object of 1 to 128 tensor ranges");
    if (!st) {
        snprintf(out->method, sizeof out->method, "%s", me->str);
        out->images = im->integer;
        for (size_t i = 0; i < r->len && !st; i++) {
            const inc_json *x = &r->items[i];
            char *end = NULL;
            float val = x->type == INC_JSON_STRING ? strtof(x->str, &end) : NAN;
            if (strlen(r->keys[i]) >= sizeof out->names[0])
                st = inc_error(INCEPTION_ERR_FORMAT, "calibration record %s: tensor name '%.48s...' too long",
                               what, r->keys[i]);
            else if (!end || end == x->str || *end || !isfinite(val) || val < 0)
                st = inc_error(INCEPTION_ERR_FORMAT,
                               "calibration record %s: range of '%s' must be a string holding a "
                               "finite number >= 0", what, r->keys[i]);
            else if (inc_calibration_range(out, r->keys[i]) >= 0)
                st = inc_error(INCEPTION_ERR_FORMAT, "calibration record %s: '%s' appears twice",
                               what, r->keys[i]);
            else {
                snprintf(out->names[out->n], sizeof out->names[0], "%s", r->keys[i]);
                out->range[out->n++] = val;
            }
        }
    }
    const inc_json *mj = st ? NULL : inc_json_get(&doc, "means");
    if (!st && v->integer == 1 && mj)
        st = bad(what, "\"means\" needs \"version\" 2");
    if (!st && mj) st = parse_means(mj, what, out);
    if (st) inc_calibration_clear(out);
    inc_json_free(&doc);
    return st;
}

float inc_calibration_range(const inc_calibration *c, const char *name) {
    for (int32_t i = 0; i < c->n; i++)
        if (strcmp(c->names[i], name) == 0) return c->range[i];
    return -1;
}

inception_status inc_calibration_format(const inc_calibration *c, int with_means, char **text) {
    int v2 = 0;
    size_t cap = 256 + (size_t)c->n * 80, len = 0;
    for (int32_t i = 0; with_means && c->means && i < c->n; i++)
        if (c->mean_n[i]) v2 = 1, cap += 80 + (size_t)c->mean_n[i] * 17;
    char *s = inc_malloc(cap);
    if (!s) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "formatting a calibration record");
    len += (size_t)snprintf(s + len, cap - len,
                            "{\"format\": \"inception-calibration\", \"version\": %d, "
                            "\"method\": \"%s\", \"images\": %lld, \"ranges\": {",
                            v2 ? 2 : 1, c->method, (long long)c->images);
    for (int32_t i = 0; i < c->n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s\"%s\": \"%.9g\"", i ? ", " : "",
                                c->names[i], (double)c->range[i]);
    len += (size_t)snprintf(s + len, cap - len, "}");
    if (v2) {
        len += (size_t)snprintf(s + len, cap - len, ", \"means\": {");
        int first = 1;
        for (int32_t i = 0; i < c->n; i++) {
            if (!c->mean_n[i]) continue;
            len += (size_t)snprintf(s + len, cap - len, "%s\"%s\": \"", first ? "" : ", ", c->names[i]);
            for (int32_t k = 0; k < c->mean_n[i]; k++)
                len += (size_t)snprintf(s + len, cap - len, "%s%.9g", k ? " " : "",
                                        (double)c->means[c->mean_at[i] + k]);
            len += (size_t)snprintf(s + len, cap - len, "\"");
            first = 0;
        }
        len += (size_t)snprintf(s + len, cap - len, "}");
    }
    snprintf(s + len, cap - len, "}");
    *text = s;
    return INCEPTION_OK;
}

static inception_status check_shape(const inc_st_tensor *t, int32_t rank, const int64_t *shape) {
    int ok = t->rank == rank;
    for (int32_t i = 0; ok && i < rank; i++) ok = t->shape[i] == shape[i];
    if (ok) return INCEPTION_OK;
    char want[96] = "", got[96] = "";
    size_t a = 0, b = 0;
    for (int32_t i = 0; i < rank; i++)
        a += (size_t)snprintf(want + a, sizeof want - a, "%s%lld", i ? "," : "", (long long)shape[i]);
    for (int32_t i = 0; i < t->rank && b < sizeof got - 24; i++)
        b += (size_t)snprintf(got + b, sizeof got - b, "%s%lld", i ? "," : "", (long long)t->shape[i]);
    return inc_error(INCEPTION_ERR_SHAPE, "tensor '%s' has shape [%s], expected [%s]", t->name, got, want);
}

/* F32 [cout], each finite (and > 0 when positive). */
static inception_status load_vec(const inc_safetensors *st, const char *name, int32_t cout,
                                 int positive, float **out) {
    const inc_st_tensor *t = inc_st_find(st, name);
    if (!t) return inc_error(INCEPTION_ERR_MISSING_TENSOR, "quantised file: tensor '%s' is missing", name);
    if (t->dtype != INC_F32)
        return inc_error(INCEPTION_ERR_DTYPE, "tensor '%s' must be F32", name);
    int64_t shape[1] = {cout};
    inception_status s = check_shape(t, 1, shape);
    if (s) return s;
    float *v = inc_malloc((size_t)cout * sizeof *v);
    if (!v) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "reading '%s'", name);
    memcpy(v, st->data + t->begin, (size_t)cout * sizeof *v);
    for (int32_t i = 0; i < cout; i++)
        if (!isfinite(v[i]) || (positive && !(v[i] > 0))) {
            inception_status e = inc_error(INCEPTION_ERR_FORMAT, "tensor '%s' has %s value %g at index %d",
                                           name, positive ? "a non-positive or non-finite" : "a non-finite",
                                           (double)v[i], i);
            inc_free(v);
            return e;
        }
    *out = v;
    return INCEPTION_OK;
}

inception_status inc_load_conv_q8(const inc_safetensors *st, const char *prefix, int32_t cin,
                                  int32_t cout, int32_t kh, int32_t kw, int8_t **weights,
                                  float **scale, float **bias) {
    char wn[256], sn[256], bn[256];
    snprintf(wn, sizeof wn, "%s.conv.qweight", prefix);
    snprintf(sn, sizeof sn, "%s.conv.weight_scale", prefix);
    snprintf(bn, sizeof bn, "%s.conv.bias", prefix);
    const inc_st_tensor *t = inc_st_find(st, wn);
    if (!t) return INCEPTION_ERR_NOT_FOUND;
    if (t->dtype != INC_OTHER || t->elem_size != 1 || !t->is_i8)
        return inc_error(INCEPTION_ERR_DTYPE, "tensor '%s' must be I8", wn);
    int64_t shape[4] = {cout, kh, kw, cin};
    inception_status s = check_shape(t, 4, shape);
    if (s) return s;
    float *sc = NULL, *b = NULL;
    if ((s = load_vec(st, sn, cout, 1, &sc)) || (s = load_vec(st, bn, cout, 0, &b))) {
        inc_free(sc);
        return s;
    }
    size_t n = (size_t)cout * kh * kw * cin;
    int8_t *w = inc_malloc(n);
    if (!w) {
        inc_free(sc), inc_free(b);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "reading '%s'", wn);
    }
    memcpy(w, st->data + t->begin, n);
    for (size_t i = 0; i < n; i++)
        if (w[i] == -128) {
            inc_free(w), inc_free(sc), inc_free(b);
            return inc_error(INCEPTION_ERR_FORMAT, "tensor '%s' holds -128 at index %zu (symmetric "
                             "weights are in [-127, 127])", wn, i);
        }
    *weights = w, *scale = sc, *bias = b;
    return INCEPTION_OK;
}

/* Model configuration: the inception.* keys of __metadata__ (see docs/model-format.md),
 * what the tensors themselves say (classes, aux head, BN gamma), then option overrides.
 * Numbers are parsed and printed here by hand so the host's locale cannot change them. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/json.h"
#include "model/model.h"

#define INC_MIN_INPUT 75
/* inception.input_size: 2048 a side needs about 400 MB of activations per image (1024:
 * 95 MB, 299: 8 MB); 16384 would need 25 GB. Also bounded by the session memory limit. */
#define INC_MAX_INPUT 2048
#define INC_FEATURES 2048

static const struct {
    const char *name;
    inc_preset preset;
} presets[] = {
    {"torchvision", INC_PRESET_TORCHVISION},
    {"timm", INC_PRESET_TIMM},
    {"tf", INC_PRESET_TF},
    {"resize", INC_PRESET_RESIZE},
    {"unit", INC_PRESET_UNIT},
};

static int preset_from_name(const char *s, inc_preset *out) {
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(s, presets[i].name) == 0) {
            *out = presets[i].preset;
            return 1;
        }
    return 0;
}

int inc_preset_known(const char *name) {
    inc_preset p;
    return name && preset_from_name(name, &p);
}

const char *inc_preset_name(inc_preset preset) {
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (presets[i].preset == preset) return presets[i].name;
    return "unknown";
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Decimal digits only, value <= max. */
static int parse_uint(const char *s, const char **end, int64_t max, int64_t *out) {
    int64_t v = 0;
    const char *p = s;
    if (!is_digit(*p)) return 0;
    while (is_digit(*p)) {
        int d = *p++ - '0';
        if (v > max / 10 || (v == max / 10 && d > max % 10)) return 0;
        v = v * 10 + d;
    }
    *end = p;
    *out = v;
    return 1;
}

static int parse_uint_all(const char *s, int64_t max, int64_t *out) {
    const char *end;
    return parse_uint(s, &end, max, out) && *end == '\0';
}

/* [+-]digits[.digits][(e|E)[+-]digits] (or .digits); finite results only. */
static int parse_float(const char *s, const char **end, double *out) {
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    uint64_t mant = 0;
    int digits = 0, sig = 0;
    long exp10 = 0;
    for (; is_digit(*p); p++, digits++) {
        if (sig < 19) {
            mant = mant * 10 + (uint64_t)(*p - '0');
            if (mant) sig++;
        } else {
            exp10++; /* digits beyond 19 significant ones only scale */
        }
    }
    if (*p == '.') {
        p++;
        for (; is_digit(*p); p++, digits++) {
            if (sig < 19) {
                mant = mant * 10 + (uint64_t)(*p - '0');
                if (mant) sig++;
                exp10--;
            }
        }
    }
    if (digits == 0) return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        int eneg = 0;
        if (*p == '+' || *p == '-') eneg = *p++ == '-';
        if (!is_digit(*p)) return 0;
        long e = 0;
        for (; is_digit(*p); p++)
            if (e < 100000) e = e * 10 + (*p - '0');
        exp10 += eneg ? -e : e;
    }
    double v = (double)mant;
    /* exact operands give a correctly rounded result; beyond that pow() is close enough */
    if (mant < ((uint64_t)1 << 53) && exp10 >= -22 && exp10 <= 22)
        v = exp10 < 0 ? v / pow10[-exp10] : v * pow10[exp10];
    else if (mant != 0)
        v = v * pow(10.0, (double)exp10);
    if (!(fabs(v) <= FLT_MAX)) return 0; /* also NaN; checked before narrowing to float */
    *end = p;
    *out = neg ? -v : v;
    return 1;
}

static const char *skip_spaces(const char *p) {
    while (*p == ' ') p++;
    return p;
}

/* "a,b,c" with optional spaces around the commas. */
int inc_parse_triple(const char *s, float v[3]) {
    const char *p = skip_spaces(s);
    for (int i = 0; i < 3; i++) {
        double d;
        if (!parse_float(p, &p, &d)) return 0;
        v[i] = (float)d;
        p = skip_spaces(p);
        if (i < 2) {
            if (*p != ',') return 0;
            p = skip_spaces(p + 1);
        }
    }
    return *p == '\0';
}

inception_status inc_normalization_check(const float mean[3], const float std[3],
                                         inception_status status, const char *what) {
    for (int c = 0; c < 3; c++) {
        if (!isfinite(mean[c]) || !isfinite(std[c]) || !(std[c] > 0))
            return inc_error(status, "%s: channel %d has mean %g, std %g; both must be finite "
                             "and std positive", what, c, (double)mean[c], (double)std[c]);
        /* bounds that keep every normalised pixel within about 1e12, so a finite network
         * has room before float32 overflows (a finite range alone allowed 1e38) */
        if (!(std[c] >= (float)INC_NORM_MIN_STD && std[c] <= (float)INC_NORM_MAX_STD))
            return inc_error(status, "%s: std[%d] = %g is outside [%g, %g]", what, c,
                             (double)std[c], INC_NORM_MIN_STD, INC_NORM_MAX_STD);
        if (!(fabsf(mean[c]) <= (float)INC_NORM_MAX_MEAN))
            return inc_error(status, "%s: mean[%d] = %g is outside [-%g, %g]", what, c,
                             (double)mean[c], INC_NORM_MAX_MEAN, INC_NORM_MAX_MEAN);
        /* the normalised values of the darkest and brightest pixel, as preprocess computes */
        float lo = (0.0f - mean[c]) * (1.0f / std[c]), hi = (1.0f - mean[c]) * (1.0f / std[c]);
        if (!isfinite(1.0f / std[c]) || !isfinite(lo) || !isfinite(hi))
            return inc_error(status, "%s: channel %d (mean %g, std %g) maps [0,255] pixels "
                             "outside the float32 range", what, c, (double)mean[c], (double)std[c]);
    }
    return INCEPTION_OK;
}

static int parse_bool(const char *s, int32_t *out) {
    if (strcmp(s, "true") == 0) *out = 1;
    else if (strcmp(s, "false") == 0) *out = 0;
    else return 0;
    return 1;
}

/* %g with '.' whatever LC_NUMERIC says: a finite %g result holds only digits, signs, 'e'
 * and the locale's decimal separator (possibly several bytes), which becomes '.'. */
static void fmt_float(char *buf, size_t size, float v) {
    snprintf(buf, size, "%g", (double)v);
    char *p = buf;
    while (*p && (is_digit(*p) || *p == '-' || *p == '+' || *p == 'e')) p++;
    if (!*p || *p == '.') return;
    char *q = p;
    while (*q && !is_digit(*q)) q++;
    *p = '.';
    memmove(p + 1, q, strlen(q) + 1);
}

static char *make_normalization(const inc_config *cfg) {
    char f[6][32];
    for (int i = 0; i < 3; i++) {
        fmt_float(f[i], sizeof f[i], cfg->mean[i]);
        fmt_float(f[3 + i], sizeof f[3 + i], cfg->std[i]);
    }
    char buf[256];
    snprintf(buf, sizeof buf, "mean=%s,%s,%s std=%s,%s,%s", f[0], f[1], f[2], f[3], f[4], f[5]);
    return inc_strdup(buf);
}

static inception_status bad_value(const char *key, const char *value, const char *expected) {
    return inc_error(INCEPTION_ERR_FORMAT, "metadata %s = '%.64s' is invalid: expected %s", key,
                     value, expected);
}

/* Labels one per line (one trailing newline and CRs before newlines are tolerated) or a
 * JSON list of strings, checked to be UTF-8 and non-empty. They are stored one per
 * class: a list one shorter than a 1001-class model with label_offset 1 gets
 * "background" as class 0. `src` names the source in messages, `code` is the status of
 * a malformed list. */
static inception_status store_labels(inc_config *cfg, char **list, int64_t n, const char *src,
                                     inception_status code) {
    int64_t lead;
    if (n == cfg->classes) lead = 0;
    else if (cfg->label_offset > 0 && n == cfg->classes - cfg->label_offset) lead = cfg->label_offset;
    else if (cfg->label_offset > 0)
        return inc_error(code, "%s has %lld labels, expected %lld (classes) or %lld (classes - "
                         "label_offset)", src, (long long)n, (long long)cfg->classes,
                         (long long)(cfg->classes - cfg->label_offset));
    else
        return inc_error(code, "%s has %lld labels, expected %lld (one per class)", src,
                         (long long)n, (long long)cfg->classes);
    for (int64_t i = 0; i < n; i++) {
        if (!list[i][0])
            return inc_error(code, "%s: label %lld is empty", src, (long long)(i + 1));
        if (!inc_utf8_valid((const uint8_t *)list[i], strlen(list[i])))
            return inc_error(code, "%s: label %lld is not valid UTF-8", src, (long long)(i + 1));
    }
    char **labels = inc_calloc((size_t)cfg->classes, sizeof *labels);
    if (!labels) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "labels");
    inception_status st = INCEPTION_OK;
    for (int64_t i = 0; i < cfg->classes && !st; i++)
        if (!(labels[i] = inc_strdup(i < lead ? "background" : list[i - lead])))
            st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "labels");
    if (st) {
        for (int64_t i = 0; i < cfg->classes; i++) inc_free(labels[i]);
        inc_free(labels);
        return st;
    }
    if (cfg->labels)
        for (int64_t i = 0; i < cfg->n_labels; i++) inc_free(cfg->labels[i]);
    inc_free(cfg->labels);
    cfg->labels = labels;
    cfg->n_labels = cfg->classes;
    return INCEPTION_OK;
}

static inception_status read_labels(const char *text, size_t len, inc_config *cfg,
                                    const char *src, inception_status code) {
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) i++;
    if (memchr(text, '\0', len))
        return inc_error(code, "%s contains a NUL byte (not a text file?)", src);
    if (i < len && text[i] == '[') { /* a JSON list of strings */
        inc_json root;
        if (inc_json_parse(text, len, &root)) {
            char msg[INC_ERROR_MAX];
            snprintf(msg, sizeof msg, "%s", inc_error_message());
            return inc_error(code, "%s: %s", src, msg);
        }
        inception_status st = INCEPTION_OK;
        char **list = inc_calloc(root.len ? root.len : 1, sizeof *list);
        if (!list) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "labels");
        for (size_t k = 0; k < root.len && !st; k++) {
            if (root.items[k].type != INC_JSON_STRING)
                st = inc_error(code, "%s: item %zu is %s, expected a string", src, k + 1,
                               inc_json_type_name(root.items[k].type));
            else
                list[k] = root.items[k].str;
        }
        if (!st) st = store_labels(cfg, list, (int64_t)root.len, src, code);
        inc_free(list);
        inc_json_free(&root);
        return st;
    }
    if (len > 0 && text[len - 1] == '\n') len--;
    int64_t n = 0;
    if (len > 0) {
        n = 1;
        for (size_t k = 0; k < len; k++) n += text[k] == '\n';
    }
    if (n != cfg->classes && n != cfg->classes - cfg->label_offset) /* before allocating */
        return store_labels(cfg, NULL, n, src, code);
    char **list = inc_calloc((size_t)(n ? n : 1), sizeof *list);
    if (!list) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "labels");
    inception_status st = INCEPTION_OK;
    const char *p = text;
    for (int64_t k = 0; k < n && !st; k++) {
        const char *nl = memchr(p, '\n', (size_t)(text + len - p));
        size_t m = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
        size_t keep = (m > 0 && p[m - 1] == '\r') ? m - 1 : m;
        if (!(list[k] = inc_malloc(keep + 1))) {
            st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "labels");
            break;
        }
        memcpy(list[k], p, keep);
        list[k][keep] = '\0';
        p += m + 1;
    }
    if (!st) st = store_labels(cfg, list, n, src, code);
    for (int64_t k = 0; k < n; k++) inc_free(list[k]);
    inc_free(list);
    return st;
}

static int parse_hex32(const char *s, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        uint32_t d;
        if (c >= '0' && c <= '9') d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (uint32_t)(c - 'A' + 10);
        else return 0;
        v = v << 4 | d;
    }
    if (s[8] != '\0') return 0;
    *out = v;
    return 1;
}

static inception_status read_config(const inc_safetensors *st, const inception_options *opts,
                                    inc_config *cfg) {
    const char *v;
    int64_t n;

    if ((v = inc_st_meta_get(st, "inception.format_version"))) {
        if (!parse_uint_all(v, INT32_MAX, &n) || n < 1)
            return bad_value("inception.format_version", v, "a positive integer");
        if (n > INC_MODEL_FORMAT_VERSION)
            return inc_error(INCEPTION_ERR_UNSUPPORTED,
                             "model format version %lld is newer than this library reads (%d)",
                             (long long)n, INC_MODEL_FORMAT_VERSION);
    }

    /* No fc at all (not even its bias): a trunk, loaded as a feature extractor. The aux
     * head is a classifier too and is ignored then. */
    const inc_st_tensor *fc = inc_st_find(st, "fc.weight");
    cfg->has_fc = fc != NULL || inc_st_find(st, "fc.bias") != NULL;
    if (cfg->has_fc && !fc) return inc_error(INCEPTION_ERR_MISSING_TENSOR, "missing tensor 'fc.weight'");
    if (fc && (fc->rank != 2 || fc->shape[1] != INC_FEATURES || fc->shape[0] < 1))
        return inc_error(INCEPTION_ERR_SHAPE,
                         "tensor 'fc.weight' must have shape [classes, %d] with classes >= 1",
                         INC_FEATURES);
    cfg->classes = fc ? fc->shape[0] : 0;
    cfg->has_aux = fc && inc_st_find(st, "AuxLogits.fc.weight") != NULL;

    if (cfg->has_fc && (v = inc_st_meta_get(st, "inception.classes"))) {
        if (!parse_uint_all(v, INT64_MAX, &n))
            return bad_value("inception.classes", v, "a positive integer");
        if (n != cfg->classes)
            return inc_error(INCEPTION_ERR_SHAPE,
                             "metadata inception.classes = %lld but tensor 'fc.weight' has %lld "
                             "rows", (long long)n, (long long)cfg->classes);
    }

    cfg->label_offset = cfg->classes == 1001;
    if ((v = inc_st_meta_get(st, "inception.label_offset"))) {
        if (!parse_uint_all(v, 1, &n)) return bad_value("inception.label_offset", v, "0 or 1");
        cfg->label_offset = (int32_t)n;
    }
    if (opts->label_offset >= 0) {
        if (opts->label_offset > 1)
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             "option LABEL_OFFSET = %lld: expected 0 or 1",
                             (long long)opts->label_offset);
        cfg->label_offset = (int32_t)opts->label_offset;
    }
    if (!cfg->has_fc) cfg->label_offset = 0;
    if (cfg->has_fc && cfg->label_offset >= cfg->classes)
        return inc_error(INCEPTION_ERR_FORMAT,
                         "label offset %d leaves no classes in a %lld-class model",
                         cfg->label_offset, (long long)cfg->classes);

    for (int i = 0; i < 3; i++) cfg->mean[i] = cfg->std[i] = 0.5f;
    const char *meta_mean = inc_st_meta_get(st, "inception.mean");
    const char *meta_std = inc_st_meta_get(st, "inception.std");
    if (meta_mean && !inc_parse_triple(meta_mean, cfg->mean))
        return bad_value("inception.mean", meta_mean, "three numbers \"r,g,b\"");
    if (meta_std) {
        if (!inc_parse_triple(meta_std, cfg->std) || !(cfg->std[0] > 0) || !(cfg->std[1] > 0) ||
            !(cfg->std[2] > 0))
            return bad_value("inception.std", meta_std, "three positive numbers \"r,g,b\"");
    }
    inception_status s;
    if ((meta_mean || meta_std) &&
        (s = inc_normalization_check(cfg->mean, cfg->std, INCEPTION_ERR_FORMAT,
                                     "metadata inception.mean/inception.std")))
        return s;

    cfg->preset = INC_PRESET_TIMM;
    if ((v = inc_st_meta_get(st, "inception.preset")) && !preset_from_name(v, &cfg->preset))
        return bad_value("inception.preset", v, INC_PRESET_NAMES);
    /* "unit" brings its normalisation: the file's mean/std win over its own preset, an
     * option PRESET=unit wins over the file, and MEAN/STD options over everything */
    int unit = cfg->preset == INC_PRESET_UNIT && !meta_mean && !meta_std;
    if (opts->preset) {
        if (!preset_from_name(opts->preset, &cfg->preset))
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             "option PRESET = '%.64s': expected " INC_PRESET_NAMES, opts->preset);
        unit = cfg->preset == INC_PRESET_UNIT;
    }
    if (unit)
        for (int i = 0; i < 3; i++) cfg->mean[i] = 0.0f, cfg->std[i] = 1.0f;
    if (opts->mean && !inc_parse_triple(opts->mean, cfg->mean))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "option MEAN = '%.64s': expected "
                         "three numbers \"r,g,b\"", opts->mean);
    if (opts->std && !inc_parse_triple(opts->std, cfg->std))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "option STD = '%.64s': expected "
                         "three numbers \"r,g,b\"", opts->std);
    if ((opts->mean || opts->std) &&
        (s = inc_normalization_check(cfg->mean, cfg->std, INCEPTION_ERR_INVALID_ARGUMENT,
                                     "options MEAN/STD")))
        return s;

    cfg->input_h = cfg->input_w = 299;
    if ((v = inc_st_meta_get(st, "inception.input_size"))) {
        int64_t h, w;
        const char *p;
        int ok = parse_uint(v, &p, INC_MAX_INPUT, &h);
        w = h;
        if (ok && *p == ',') ok = parse_uint(p + 1, &p, INC_MAX_INPUT, &w);
        if (!ok || *p != '\0' || h < INC_MIN_INPUT || w < INC_MIN_INPUT)
            return bad_value("inception.input_size", v,
                             "\"H,W\" or \"S\" between 75 and 2048");
        cfg->input_h = (int32_t)h;
        cfg->input_w = (int32_t)w;
    }

    cfg->pool_include_pad = 1;
    if ((v = inc_st_meta_get(st, "inception.pool_include_pad")) &&
        !parse_bool(v, &cfg->pool_include_pad))
        return bad_value("inception.pool_include_pad", v, "true or false");
    if (opts->pool_include_pad >= 0) cfg->pool_include_pad = opts->pool_include_pad != 0;

    /* the first conv is Conv2d_1a_7x7 in the Inception-v2 stem (model/arch.c) */
    cfg->bn_has_gamma = inc_st_find(st, "Conv2d_1a_3x3.bn.weight") != NULL ||
                        inc_st_find(st, "Conv2d_1a_7x7.bn.weight") != NULL;
    if ((v = inc_st_meta_get(st, "inception.bn_gamma")) && !parse_bool(v, &cfg->bn_has_gamma))
        return bad_value("inception.bn_gamma", v, "true or false");

    inc_arch_source arch = {
        .stem = inc_st_meta_get(st, "inception.stem"),
        .stem_conv = inc_st_meta_get(st, "inception.stem_conv"),
        .aux_head = inc_st_meta_get(st, "inception.aux_head"),
        .has_conv7x7 = inc_st_find(st, "Conv2d_1a_7x7.conv.weight") != NULL,
        .has_aux = inc_st_find(st, "AuxLogits.fc.weight") != NULL,
        .has_aux_bn = inc_st_find(st, "AuxLogits.fc_bn.running_mean") != NULL,
        .has_fc = cfg->has_fc,
        .option_stem = opts->stem,
    };
    if ((s = inc_arch_read(&arch, &cfg->arch))) return s;
    /* a low-resolution stem is meant for its own input size (paper section 9), so that
     * is the default preprocessing size (299, 151 or 79, all within the limits above) */
    if (!inc_st_meta_get(st, "inception.input_size"))
        cfg->input_h = cfg->input_w = (int32_t)cfg->arch.stem;
    if (cfg->has_fc && (v = inc_st_meta_get(st, "inception.labels")) &&
        (s = read_labels(v, strlen(v), cfg, "metadata inception.labels", INCEPTION_ERR_FORMAT)))
        return s;
    if (opts->labels_file) {
        if (!cfg->has_fc)
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             "option LABELS_FILE: the model has no fc classifier (a feature "
                             "extractor), so labels do not apply");
        inc_file_buf buf;
        if ((s = inc_file_read(opts->labels_file, &buf))) return s;
        char src[300];
        snprintf(src, sizeof src, "labels file '%.256s'", opts->labels_file);
        s = read_labels((const char *)buf.data, buf.size, cfg, src, INCEPTION_ERR_FORMAT);
        inc_file_release(&buf);
        if (s) return s;
    }

    /* The CRC itself (~35 ms for 95 MB) is computed by inc_config_check_crc, which the
     * model loader runs beside weight packing; only the metadata is read here. */
    if ((v = inc_st_meta_get(st, "inception.crc32"))) {
        if (!parse_hex32(v, &cfg->crc_expected))
            return bad_value("inception.crc32", v, "8 hex digits");
        cfg->crc_verify = !opts->skip_checksum;
    }

    v = inc_st_meta_get(st, "inception.name");
    cfg->name = inc_strdup(v ? v : "");
    cfg->normalization = make_normalization(cfg);
    if (!cfg->name || !cfg->normalization)
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "model configuration");
    return INCEPTION_OK;
}

inception_status inc_config_read(const inc_safetensors *st, const inception_options *opts,
                                 inc_config *out) {
    if (!st || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "NULL model or config");
    /* NULL means "nothing overridden, verify the checksum": the model-load subset of
     * inc_options_default(), kept local so this layer does not depend on lib/api */
    static const inception_options no_overrides = {.pool_include_pad = -1, .label_offset = -1};
    if (!opts) opts = &no_overrides;
    inc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    inception_status s = read_config(st, opts, &cfg);
    if (s) {
        inc_config_free(&cfg);
        return s;
    }
    *out = cfg;
    return INCEPTION_OK;
}

void inc_config_free(inc_config *cfg) {
    if (!cfg) return;
    if (cfg->labels)
        for (int64_t i = 0; i < cfg->n_labels; i++) inc_free(cfg->labels[i]);
    inc_free(cfg->labels);
    inc_free(cfg->name);
    inc_free(cfg->normalization);
    memset(cfg, 0, sizeof *cfg);
}

inception_status inc_config_check_crc(inc_config *cfg, uint32_t crc) {
    cfg->crc32 = crc;
    if (!cfg->crc_verify) return INCEPTION_OK;
    if (crc != cfg->crc_expected)
        return inc_error(INCEPTION_ERR_CHECKSUM,
                         "data section CRC-32 is %08x but metadata inception.crc32 says "
                         "%08x (corrupt or modified file)", crc, cfg->crc_expected);
    cfg->crc_checked = 1;
    return INCEPTION_OK;
}

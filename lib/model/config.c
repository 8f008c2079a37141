/* Model configuration: the inception.* keys of __metadata__ (see docs/model-format.md),
 * what the tensors themselves say (classes, aux head, BN gamma), then option overrides.
 * Numbers are parsed and printed here by hand so the host's locale cannot change them. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"

#define INC_MIN_INPUT 75
#define INC_MAX_INPUT 16384
#define INC_FEATURES 2048

static const struct {
    const char *name;
    inc_preset preset;
} presets[] = {
    {"torchvision", INC_PRESET_TORCHVISION},
    {"timm", INC_PRESET_TIMM},
    {"tf", INC_PRESET_TF},
};

static int preset_from_name(const char *s, inc_preset *out) {
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(s, presets[i].name) == 0) {
            *out = presets[i].preset;
            return 1;
        }
    return 0;
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
static int parse_triple(const char *s, float v[3]) {
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

/* Newline-separated labels (one trailing newline and CRs before newlines are tolerated).
 * They are stored one per class: a list one shorter than a 1001-class model with
 * label_offset 1 gets "background" as class 0. */
static inception_status read_labels(const char *text, inc_config *cfg) {
    size_t len = strlen(text);
    if (len > 0 && text[len - 1] == '\n') len--;
    int64_t n = 0;
    if (len > 0) {
        n = 1;
        for (size_t i = 0; i < len; i++) n += text[i] == '\n';
    }
    int64_t lead;
    if (n == cfg->classes) lead = 0;
    else if (cfg->label_offset > 0 && n == cfg->classes - cfg->label_offset) lead = cfg->label_offset;
    else
        return inc_error(INCEPTION_ERR_FORMAT,
                         "metadata inception.labels has %lld labels, expected %lld (classes) or "
                         "%lld (classes - label_offset)", (long long)n, (long long)cfg->classes,
                         (long long)(cfg->classes - cfg->label_offset));
    cfg->labels = inc_calloc((size_t)cfg->classes, sizeof *cfg->labels);
    if (!cfg->labels) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "labels");
    cfg->n_labels = cfg->classes;
    for (int64_t i = 0; i < lead; i++) {
        cfg->labels[i] = inc_strdup("background");
        if (!cfg->labels[i]) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "labels");
    }
    const char *p = text;
    for (int64_t i = lead; i < cfg->classes; i++) {
        const char *nl = memchr(p, '\n', (size_t)(text + len - p));
        size_t k = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
        size_t keep = (k > 0 && p[k - 1] == '\r') ? k - 1 : k;
        if (keep == 0)
            return inc_error(INCEPTION_ERR_FORMAT, "metadata inception.labels: label %lld is empty",
                             (long long)(i - lead + 1));
        char *s = inc_malloc(keep + 1);
        if (!s) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "labels");
        memcpy(s, p, keep);
        s[keep] = '\0';
        cfg->labels[i] = s;
        p += k + 1;
    }
    return INCEPTION_OK;
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

    const inc_st_tensor *fc = inc_st_find(st, "fc.weight");
    if (!fc) return inc_error(INCEPTION_ERR_MISSING_TENSOR, "missing tensor 'fc.weight'");
    if (fc->rank != 2 || fc->shape[1] != INC_FEATURES || fc->shape[0] < 1)
        return inc_error(INCEPTION_ERR_SHAPE,
                         "tensor 'fc.weight' must have shape [classes, %d] with classes >= 1",
                         INC_FEATURES);
    cfg->classes = fc->shape[0];
    cfg->has_aux = inc_st_find(st, "AuxLogits.fc.weight") != NULL;

    if ((v = inc_st_meta_get(st, "inception.classes"))) {
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
    if (cfg->label_offset >= cfg->classes)
        return inc_error(INCEPTION_ERR_FORMAT,
                         "label offset %d leaves no classes in a %lld-class model",
                         cfg->label_offset, (long long)cfg->classes);

    for (int i = 0; i < 3; i++) cfg->mean[i] = cfg->std[i] = 0.5f;
    if ((v = inc_st_meta_get(st, "inception.mean")) && !parse_triple(v, cfg->mean))
        return bad_value("inception.mean", v, "three numbers \"r,g,b\"");
    if ((v = inc_st_meta_get(st, "inception.std"))) {
        if (!parse_triple(v, cfg->std) || !(cfg->std[0] > 0) || !(cfg->std[1] > 0) ||
            !(cfg->std[2] > 0))
            return bad_value("inception.std", v, "three positive numbers \"r,g,b\"");
    }

    cfg->preset = INC_PRESET_TIMM;
    if ((v = inc_st_meta_get(st, "inception.preset")) && !preset_from_name(v, &cfg->preset))
        return bad_value("inception.preset", v, "torchvision, timm or tf");
    if (opts->preset && !preset_from_name(opts->preset, &cfg->preset))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         "option PRESET = '%.64s': expected torchvision, timm or tf",
                         opts->preset);

    cfg->input_h = cfg->input_w = 299;
    if ((v = inc_st_meta_get(st, "inception.input_size"))) {
        int64_t h, w;
        const char *p;
        int ok = parse_uint(v, &p, INC_MAX_INPUT, &h);
        w = h;
        if (ok && *p == ',') ok = parse_uint(p + 1, &p, INC_MAX_INPUT, &w);
        if (!ok || *p != '\0' || h < INC_MIN_INPUT || w < INC_MIN_INPUT)
            return bad_value("inception.input_size", v,
                             "\"H,W\" or \"S\" between 75 and 16384");
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

    inception_status s;
    if ((s = inc_arch_read(st, opts, &cfg->arch))) return s;
    /* a low-resolution stem is meant for its own input size (paper section 9), so that
     * is the default preprocessing size (299, 151 or 79, all within the limits above) */
    if (!inc_st_meta_get(st, "inception.input_size"))
        cfg->input_h = cfg->input_w = (int32_t)cfg->arch.stem;
    if ((v = inc_st_meta_get(st, "inception.labels")) && (s = read_labels(v, cfg)))
        return s;

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

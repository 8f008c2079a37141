/*
 * suite: bad-inputs (white-box for reading the generated model). Runs every row of
 * tests/bad_inputs.tsv: the input is built by the C recipe of the same id below, handed
 * to the library, and the status must be the row's expected one; a failure must also
 * come with a message and leave the out-parameter untouched. The table, the recipes and
 * docs/bad-inputs.md must list the same ids.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "craft.h"
#include "model/model.h"
#include "testmodel.h"

/* ---- the generated model, and rewriting it ------------------------------------------ */

typedef struct ment {
    char name[160];
    char dtype[16];
    int rank;
    int64_t shape[INC_MAX_RANK];
    const uint8_t *data;
    size_t size;
    uint8_t *owned; /* replacement data, freed with the file */
} ment;

typedef struct mfile {
    ment *t;
    size_t n;
    char *key[64], *val[64];
    size_t n_meta;
    int reverse; /* lay the data out in reverse header order */
    int keep_crc; /* 1: keep the original inception.crc32 even though the data changed */
} mfile;

static uint8_t *base_buf;
static size_t base_size;
static inc_safetensors base;
static inception_model *loaded; /* the base model, for the tensor and session rows */
static inception_model *noaux;

static const char *dtype_name(const inc_st_tensor *t) {
    if (t->dtype == INC_F32) return "F32";
    if (t->dtype == INC_F16) return "F16";
    if (t->dtype == INC_BF16) return "BF16";
    /* the parser keeps only the size of other dtypes: any integer type of that size
     * rewrites to the same bytes */
    return t->elem_size == 8 ? "I64" : t->elem_size == 4 ? "I32" : t->elem_size == 2 ? "I16" : "U8";
}

static void mf_init(mfile *f) {
    memset(f, 0, sizeof *f);
    f->n = base.n_tensors;
    f->t = calloc(f->n + 4, sizeof *f->t);
    for (size_t i = 0; i < f->n; i++) {
        const inc_st_tensor *s = &base.tensors[i];
        ment *e = &f->t[i];
        snprintf(e->name, sizeof e->name, "%s", s->name);
        snprintf(e->dtype, sizeof e->dtype, "%s", dtype_name(s));
        e->rank = s->rank;
        memcpy(e->shape, s->shape, sizeof e->shape);
        e->data = base.data + s->begin;
        e->size = s->end - s->begin;
    }
    for (size_t i = 0; i < base.n_meta; i++) {
        f->key[i] = strdup(base.meta[i].key);
        f->val[i] = strdup(base.meta[i].value);
    }
    f->n_meta = base.n_meta;
}

static void mf_free(mfile *f) {
    for (size_t i = 0; i < f->n; i++) free(f->t[i].owned);
    for (size_t i = 0; i < f->n_meta; i++) {
        free(f->key[i]);
        free(f->val[i]);
    }
    free(f->t);
}

static ment *mf_find(mfile *f, const char *name) {
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0) return &f->t[i];
    ck_abort_msg("no tensor %s in the generated model", name);
    return NULL;
}

static void mf_drop(mfile *f, const char *name) {
    ment *e = mf_find(f, name);
    free(e->owned);
    *e = f->t[--f->n];
}

/* A private, writable copy of a tensor's data. */
static uint8_t *mf_own(ment *e) {
    if (!e->owned) {
        e->owned = malloc(e->size ? e->size : 1);
        memcpy(e->owned, e->data, e->size);
        e->data = e->owned;
    }
    return e->owned;
}

static void mf_set_meta(mfile *f, const char *key, const char *value) {
    for (size_t i = 0; i < f->n_meta; i++) {
        if (strcmp(f->key[i], key) != 0) continue;
        free(f->val[i]);
        if (value) {
            f->val[i] = strdup(value);
        } else {
            free(f->key[i]);
            f->key[i] = f->key[f->n_meta - 1];
            f->val[i] = f->val[f->n_meta - 1];
            f->n_meta--;
        }
        return;
    }
    if (!value) return;
    f->key[f->n_meta] = strdup(key);
    f->val[f->n_meta++] = strdup(value);
}

static void json_str(craft_buf *b, const char *s) {
    craft_puts(b, "\"");
    for (; *s; s++) {
        char esc[8];
        if (*s == '"' || *s == '\\') {
            esc[0] = '\\', esc[1] = *s, esc[2] = 0;
        } else if ((unsigned char)*s < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)*s);
        } else {
            esc[0] = *s, esc[1] = 0;
        }
        craft_puts(b, esc);
    }
    craft_puts(b, "\"");
}

static void mf_write(mfile *f, craft_buf *out) {
    craft_buf data = {0}, h = {0};
    size_t *begin = calloc(f->n + 1, sizeof *begin);
    for (size_t k = 0; k < f->n; k++) {
        size_t i = f->reverse ? f->n - 1 - k : k;
        begin[i] = data.size;
        craft_put(&data, f->t[i].data, f->t[i].size);
    }
    if (!f->keep_crc) {
        for (size_t i = 0; i < f->n_meta; i++) {
            if (strcmp(f->key[i], "inception.crc32") != 0) continue;
            char hex[16];
            snprintf(hex, sizeof hex, "%08lx", crc32(0, data.data, (uInt)data.size));
            free(f->val[i]);
            f->val[i] = strdup(hex);
        }
    }
    craft_puts(&h, "{\"__metadata__\":{");
    for (size_t i = 0; i < f->n_meta; i++) {
        if (i) craft_puts(&h, ",");
        json_str(&h, f->key[i]);
        craft_puts(&h, ":");
        json_str(&h, f->val[i]);
    }
    craft_puts(&h, "}");
    for (size_t i = 0; i < f->n; i++) {
        char tmp[256];
        craft_puts(&h, ",");
        json_str(&h, f->t[i].name);
        snprintf(tmp, sizeof tmp, ":{\"dtype\":\"%s\",\"shape\":[", f->t[i].dtype);
        craft_puts(&h, tmp);
        for (int d = 0; d < f->t[i].rank; d++) {
            snprintf(tmp, sizeof tmp, d ? ",%lld" : "%lld", (long long)f->t[i].shape[d]);
            craft_puts(&h, tmp);
        }
        snprintf(tmp, sizeof tmp, "],\"data_offsets\":[%zu,%zu]}", begin[i],
                 begin[i] + f->t[i].size);
        craft_puts(&h, tmp);
    }
    craft_puts(&h, "}");
    craft_safetensors((const char *)h.data, h.size, data.data, data.size, 0, out);
    free(begin);
    craft_free(&h);
    craft_free(&data);
}

/* ---- calling the library -------------------------------------------------------------- */

static int contract_ok = 1; /* cleared when a failure breaks the error contract */
static char contract_msg[256];

static void check_failure(const char *call, inception_status s, int out_kept) {
    if (s == INCEPTION_OK) return;
    if (!out_kept) {
        contract_ok = 0;
        snprintf(contract_msg, sizeof contract_msg, "%s wrote its out-parameter on failure", call);
    }
    if (!inception_last_error()[0]) {
        contract_ok = 0;
        snprintf(contract_msg, sizeof contract_msg, "%s failed without a message", call);
    }
}

static inception_options *opts_int(inception_option key, int64_t v) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_BACKEND, "ref"), INCEPTION_OK);
    if (key) ck_assert_int_eq(inception_options_set_int(o, key, v), INCEPTION_OK);
    return o;
}

static inception_status load_bytes(const void *data, size_t size, const inception_options *o) {
    static const uint8_t empty[1];
    inception_model *m = (inception_model *)(uintptr_t)0x5e5e;
    inception_options *own = o ? NULL : opts_int(0, 0);
    inception_status s = inception_model_load_memory(size ? data : empty, size, o ? o : own, &m);
    check_failure("inception_model_load_memory", s, m == (inception_model *)(uintptr_t)0x5e5e);
    if (s == INCEPTION_OK) inception_model_free(m);
    inception_options_free(own);
    return s;
}

static inception_status load_header(const char *header, size_t data_size) {
    craft_buf b = {0};
    uint8_t *zeros = calloc(1, data_size + 1);
    craft_safetensors(header, strlen(header), zeros, data_size, 0, &b);
    inception_status s = load_bytes(b.data, b.size, NULL);
    free(zeros);
    craft_free(&b);
    return s;
}

static inception_status load_mf(mfile *f, const inception_options *o) {
    craft_buf b = {0};
    mf_write(f, &b);
    inception_status s = load_bytes(b.data, b.size, o);
    craft_free(&b);
    mf_free(f);
    return s;
}

static inception_status decode_bytes(const void *data, size_t size, const inception_options *o) {
    static const uint8_t empty[1];
    inception_image *img = (inception_image *)(uintptr_t)0x5e5e;
    inception_status s = inception_image_decode_memory(size ? data : empty, size, o, &img);
    check_failure("inception_image_decode_memory", s, img == (inception_image *)(uintptr_t)0x5e5e);
    if (s == INCEPTION_OK) inception_image_free(img);
    return s;
}

static inception_status decode_buf(craft_buf *b, const inception_options *o) {
    inception_status s = decode_bytes(b->data, b->size, o);
    craft_free(b);
    return s;
}

static inception_status run_dims(int64_t n, int64_t c, int64_t h, int64_t w,
                                 inception_layout layout) {
    inception_options *o = opts_int(INCEPTION_OPT_THREADS, 1);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(loaded, o, &s), INCEPTION_OK);
    inception_options_free(o);
    int64_t dims[4] = {n, c, h, w};
    if (layout == INCEPTION_LAYOUT_NHWC) dims[1] = h, dims[2] = w, dims[3] = c;
    inception_tensor *t = NULL;
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, layout, dims, 4, &t), INCEPTION_OK);
    inception_status st = inception_session_run(s, t);
    if (st != INCEPTION_OK && !inception_session_last_error(s)[0]) {
        contract_ok = 0;
        snprintf(contract_msg, sizeof contract_msg, "run failed without a session message");
    }
    inception_tensor_free(t);
    inception_session_free(s);
    return st;
}

/* ---- recipes: model files ------------------------------------------------------------- */

#define HDR_A "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"

static inception_status m_empty(void) { return load_bytes("", 0, NULL); }
static inception_status m_seven_bytes(void) { return load_bytes("\x10\0\0\0\0\0\0", 7, NULL); }
static inception_status m_header_len_zero(void) {
    return load_bytes("\0\0\0\0\0\0\0\0{}", 10, NULL);
}
static inception_status m_header_beyond_file(void) {
    craft_buf b = {0};
    craft_safetensors(HDR_A, strlen(HDR_A), "12345678", 8, 4096, &b);
    inception_status s = load_bytes(b.data, b.size, NULL);
    craft_free(&b);
    return s;
}
static inception_status m_header_len_huge(void) {
    craft_buf b = {0};
    craft_safetensors(HDR_A, strlen(HDR_A), "12345678", 8, (uint64_t)1 << 40, &b);
    inception_status s = load_bytes(b.data, b.size, NULL);
    craft_free(&b);
    return s;
}
static inception_status m_header_len_max(void) {
    craft_buf b = {0};
    craft_safetensors(HDR_A, strlen(HDR_A), "12345678", 8, UINT64_MAX, &b);
    inception_status s = load_bytes(b.data, b.size, NULL);
    craft_free(&b);
    return s;
}
static inception_status m_not_json(void) { return load_header("\x89PNG not json at all", 0); }
static inception_status m_top_array(void) { return load_header("[1,2,3]", 0); }
static inception_status m_trailing(void) { return load_header(HDR_A " {}", 8); }
static inception_status m_bad_utf8_name(void) {
    return load_header("{\"caf\xc3\x28\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
}
static inception_status m_overlong_utf8(void) {
    return load_header("{\"__metadata__\":{\"inception.name\":\"\xc0\xaf\"}}", 0);
}
static inception_status m_lone_surrogate(void) {
    return load_header("{\"__metadata__\":{\"inception.name\":\"\\ud800x\"}}", 0);
}
static inception_status m_nul_escape(void) {
    return load_header("{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
}
static inception_status m_deep_nesting(void) {
    craft_buf h = {0};
    craft_puts(&h, "{\"__metadata__\":{\"x\":");
    for (int i = 0; i < 100000; i++) craft_puts(&h, "[");
    for (int i = 0; i < 100000; i++) craft_puts(&h, "]");
    craft_puts(&h, "}}");
    craft_put(&h, "", 1);
    inception_status s = load_header((const char *)h.data, 0);
    craft_free(&h);
    return s;
}
static inception_status m_shape_overflow(void) {
    return load_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],"
                       "\"data_offsets\":[0,0]}}", 0);
}
static inception_status m_shape_int64_overflow(void) {
    return load_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],"
                       "\"data_offsets\":[0,8]}}", 8);
}
static inception_status m_span_mismatch(void) {
    return load_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 16);
}
static inception_status m_offsets_beyond(void) {
    return load_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 8);
}
static inception_status m_offsets_reversed(void) {
    return load_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8);
}
static inception_status m_overlap(void) {
    return load_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                       "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16);
}
static inception_status m_duplicate_tensor(void) {
    return load_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                       "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16);
}
static inception_status m_duplicate_meta_key(void) {
    return load_header("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0);
}
static inception_status m_meta_not_object(void) {
    return load_header("{\"__metadata__\":\"inception.classes=1000\"}", 0);
}
static inception_status m_meta_value_number(void) {
    return load_header("{\"__metadata__\":{\"inception.classes\":1000}}", 0);
}
static inception_status m_unknown_dtype(void) {
    return load_header("{\"a\":{\"dtype\":\"F128\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
}
static inception_status m_negative_dim(void) {
    return load_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8);
}
static inception_status m_rank9(void) {
    return load_header("{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],"
                       "\"data_offsets\":[0,1]}}", 1);
}
static inception_status m_float_offset(void) {
    return load_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.0]}}", 8);
}
static inception_status m_header_only_no_weights(void) {
    return load_header("{\"__metadata__\":{\"format\":\"pt\"}}", 0);
}
static inception_status m_truncated_data(void) {
    return load_bytes(base_buf, base_size - 1, NULL);
}
static inception_status m_out_of_order(void) {
    mfile f;
    mf_init(&f);
    f.reverse = 1;
    return load_mf(&f, NULL);
}
static inception_status m_zero_sized_extra(void) {
    mfile f;
    mf_init(&f);
    ment *e = &f.t[f.n++];
    snprintf(e->name, sizeof e->name, "extra.empty");
    snprintf(e->dtype, sizeof e->dtype, "F32");
    e->rank = 2, e->shape[0] = 0, e->shape[1] = 5;
    return load_mf(&f, NULL);
}
static inception_status m_zero_sized_required(void) {
    mfile f;
    mf_init(&f);
    ment *e = mf_find(&f, "fc.bias");
    e->shape[0] = 0;
    e->size = 0;
    return load_mf(&f, NULL);
}
static inception_status m_wrong_rank(void) {
    mfile f;
    mf_init(&f);
    ment *e = mf_find(&f, "Conv2d_1a_3x3.conv.weight");
    e->rank = 2, e->shape[0] = 32, e->shape[1] = 27;
    return load_mf(&f, NULL);
}
static inception_status m_missing_tensor(void) {
    mfile f;
    mf_init(&f);
    mf_drop(&f, "Mixed_5b.branch1x1.conv.weight");
    return load_mf(&f, NULL);
}
static inception_status m_dtype_i64(void) {
    mfile f;
    mf_init(&f);
    ment *e = mf_find(&f, "Conv2d_1a_3x3.bn.running_mean");
    size_t n = e->size / 4;
    uint8_t *d = calloc(n, 8);
    for (size_t i = 0; i < n; i++) d[8 * i] = 1;
    e->data = e->owned = d;
    e->size = n * 8;
    snprintf(e->dtype, sizeof e->dtype, "I64");
    return load_mf(&f, NULL);
}
static inception_status set_float(const char *tensor, size_t index, float v) {
    mfile f;
    mf_init(&f);
    ment *e = mf_find(&f, tensor);
    memcpy(mf_own(e) + 4 * index, &v, 4);
    return load_mf(&f, NULL);
}
static inception_status m_nan_weight(void) {
    return set_float("Conv2d_1a_3x3.conv.weight", 5, NAN);
}
static inception_status m_inf_variance(void) {
    return set_float("Conv2d_2a_3x3.bn.running_var", 3, INFINITY);
}
static inception_status m_negative_variance(void) {
    return set_float("Conv2d_1a_3x3.bn.running_var", 0, -1.0f);
}
static inception_status m_nan_fc(void) { return set_float("fc.weight", 12345, -NAN); }
static inception_status crc_case(int skip) {
    mfile f;
    mf_init(&f);
    f.keep_crc = 1;
    ment *e = mf_find(&f, "Mixed_6a.branch3x3.conv.weight");
    mf_own(e)[0] ^= 0x01; /* lowest mantissa bit: still finite */
    inception_options *o = opts_int(INCEPTION_OPT_SKIP_CHECKSUM, skip);
    inception_status s = load_mf(&f, o);
    inception_options_free(o);
    return s;
}
static inception_status m_crc_mismatch(void) { return crc_case(0); }
static inception_status m_crc_mismatch_skipped(void) { return crc_case(1); }
static inception_status meta_case(const char *key, const char *value) {
    mfile f;
    mf_init(&f);
    mf_set_meta(&f, key, value);
    f.keep_crc = strcmp(key, "inception.crc32") == 0; /* the value under test */
    return load_mf(&f, NULL);
}
static inception_status m_crc_not_hex(void) { return meta_case("inception.crc32", "xyz"); }
static inception_status m_label_count(void) { return meta_case("inception.labels", "cat\ndog\nfish\n"); }
static inception_status m_empty_label(void) {
    char *labels = malloc(1000 * 4 + 1), *p = labels;
    for (int i = 0; i < 1000; i++) p += sprintf(p, i == 500 ? "\n" : "c%d\n", i % 10);
    inception_status s = meta_case("inception.labels", labels);
    free(labels);
    return s;
}
static inception_status m_classes_disagree(void) { return meta_case("inception.classes", "1001"); }
static inception_status m_label_offset_two(void) { return meta_case("inception.label_offset", "2"); }
static inception_status m_unknown_preset_meta(void) { return meta_case("inception.preset", "caffe"); }
static inception_status m_future_format(void) { return meta_case("inception.format_version", "99"); }
static inception_status m_input_size_small(void) { return meta_case("inception.input_size", "74"); }
static inception_status m_std_zero(void) { return meta_case("inception.std", "0,1,1"); }
static inception_status m_mean_nan(void) { return meta_case("inception.mean", "nan,0,0"); }
static inception_status m_mean_huge(void) { return meta_case("inception.mean", "1e39,0,0"); }
static inception_status m_fc_width(void) {
    mfile f;
    mf_init(&f);
    ment *e = mf_find(&f, "fc.weight");
    e->shape[1] = 1024, e->shape[0] = 2000; /* same bytes, wrong width */
    return load_mf(&f, NULL);
}
static inception_status m_unknown_preset_option(void) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    inception_status s = inception_options_set_string(o, INCEPTION_OPT_PRESET, "caffe");
    check_failure("inception_options_set_string", s, 1);
    inception_options_free(o);
    return s;
}
static inception_status m_unknown_backend(void) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_BACKEND, "cuda"), INCEPTION_OK);
    inception_status s = load_bytes(base_buf, base_size, o);
    inception_options_free(o);
    return s;
}
static inception_status m_directory(void) {
    inception_model *m = (inception_model *)(uintptr_t)0x5e5e;
    inception_status s = inception_model_load_file("/", NULL, &m);
    check_failure("inception_model_load_file", s, m == (inception_model *)(uintptr_t)0x5e5e);
    return s;
}
static inception_status m_missing_file(void) {
    inception_model *m = (inception_model *)(uintptr_t)0x5e5e;
    inception_status s = inception_model_load_file("/nonexistent/model.safetensors", NULL, &m);
    check_failure("inception_model_load_file", s, m == (inception_model *)(uintptr_t)0x5e5e);
    return s;
}

/* ---- recipes: images ------------------------------------------------------------------ */

static inception_status i_empty(void) { return decode_bytes("", 0, NULL); }
static inception_status i_text(void) { return decode_bytes("hello, not an image\n", 20, NULL); }
static inception_status jpeg_dims(uint16_t w, uint16_t h) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_jpeg(16, 16, 3, 0, &b), 0);
    ck_assert_int_eq(craft_jpeg_set_dims(&b, w, h), 0);
    return decode_buf(&b, NULL);
}
static inception_status i_jpeg_huge_sof(void) { return jpeg_dims(60000, 60000); }
static inception_status i_jpeg_max_sof(void) { return jpeg_dims(65535, 65535); }
static inception_status i_jpeg_over_limit(void) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_jpeg(40, 30, 3, 0, &b), 0);
    inception_options *o = opts_int(INCEPTION_OPT_MAX_IMAGE_PIXELS, 1000);
    inception_status s = decode_buf(&b, o);
    inception_options_free(o);
    return s;
}
static inception_status i_jpeg_truncated(void) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_jpeg(64, 48, 3, 0, &b), 0);
    b.size = b.size * 2 / 3;
    return decode_buf(&b, NULL);
}
static inception_status i_jpeg_progressive_truncated(void) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_jpeg(64, 48, 3, 1, &b), 0);
    b.size = b.size / 2;
    return decode_buf(&b, NULL);
}
static inception_status i_jpeg_soi_only(void) { return decode_bytes("\xff\xd8\xff", 3, NULL); }
static inception_status i_jpeg_zero_height(void) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_jpeg(16, 16, 1, 0, &b), 0);
    ck_assert_int_eq(craft_jpeg_set_dims(&b, 16, 0), 0);
    return decode_buf(&b, NULL);
}
static inception_status i_png_huge_ihdr(void) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_png(4, 4, 2, 100000, 100000, &b), 0);
    return decode_buf(&b, NULL);
}
static inception_status i_png_width_2_31(void) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_png(4, 4, 2, 0x80000000u, 1, &b), 0);
    return decode_buf(&b, NULL);
}
static inception_status i_png_lying_ihdr(void) {
    craft_buf b = {0}; /* 4x4 pixels of data under a 64x64 header */
    ck_assert_int_eq(craft_png(4, 4, 2, 64, 64, &b), 0);
    return decode_buf(&b, NULL);
}
static inception_status i_png_truncated(void) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_png(32, 32, 2, 0, 0, &b), 0);
    b.size -= 30;
    return decode_buf(&b, NULL);
}
static inception_status i_png_bad_ihdr_crc(void) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_png(8, 8, 6, 0, 0, &b), 0);
    b.data[32] ^= 0xFF; /* last byte of the IHDR CRC */
    return decode_buf(&b, NULL);
}
static inception_status i_png_bad_idat_crc(void) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_png(8, 8, 6, 0, 0, &b), 0);
    b.data[b.size - 12 - 1] ^= 0xFF; /* last byte of the (only) IDAT CRC */
    return decode_buf(&b, NULL);
}
static inception_status i_png_bad_idat_data(void) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_png(8, 8, 6, 0, 0, &b), 0);
    b.data[33 + 8 + 10] ^= 0xFF; /* a byte inside the deflate stream */
    return decode_buf(&b, NULL);
}
static inception_status i_png_signature_only(void) {
    return decode_bytes("\x89PNG\r\n\x1a\n", 8, NULL);
}
static inception_status i_png_zero_width(void) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_png(4, 4, 0, 0, 0, &b), 0);
    memset(b.data + 16, 0, 4);
    uint32_t c = (uint32_t)crc32(0, b.data + 12, 17);
    for (int i = 0; i < 4; i++) b.data[29 + i] = (uint8_t)(c >> (24 - 8 * i));
    return decode_buf(&b, NULL);
}
static inception_status i_directory(void) {
    inception_image *img = (inception_image *)(uintptr_t)0x5e5e;
    inception_status s = inception_image_decode_file("/", NULL, &img);
    check_failure("inception_image_decode_file", s, img == (inception_image *)(uintptr_t)0x5e5e);
    return s;
}
static inception_status i_classify_huge(void) {
    craft_buf b = {0};
    ck_assert_int_eq(craft_jpeg(16, 16, 3, 0, &b), 0);
    ck_assert_int_eq(craft_jpeg_set_dims(&b, 60000, 60000), 0);
    inception_session *s = NULL;
    inception_options *o = opts_int(INCEPTION_OPT_THREADS, 1);
    ck_assert_int_eq(inception_session_create(loaded, o, &s), INCEPTION_OK);
    inception_options_free(o);
    int32_t cls[3], count = -1;
    float p[3];
    inception_status st = inception_session_classify(s, b.data, b.size, 3, cls, p, &count);
    check_failure("inception_session_classify", st, count == -1);
    inception_session_free(s);
    craft_free(&b);
    return st;
}

/* ---- recipes: tensors and sessions ----------------------------------------------------- */

static inception_status t_too_small(void) { return run_dims(1, 3, 74, 75, INCEPTION_LAYOUT_NCHW); }
static inception_status t_too_large(void) { return run_dims(1, 3, 75, 16385, INCEPTION_LAYOUT_NCHW); }
static inception_status t_four_channels(void) { return run_dims(1, 4, 80, 80, INCEPTION_LAYOUT_NCHW); }
static inception_status t_one_channel_nhwc(void) { return run_dims(1, 1, 80, 80, INCEPTION_LAYOUT_NHWC); }
static inception_status t_batch_zero(void) {
    int64_t dims[4] = {0, 3, 80, 80};
    inception_tensor *t = (inception_tensor *)(uintptr_t)0x5e5e;
    inception_status s = inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims, 4, &t);
    check_failure("inception_tensor_create", s, t == (inception_tensor *)(uintptr_t)0x5e5e);
    if (s == INCEPTION_OK) inception_tensor_free(t);
    return s;
}
static inception_status t_rank2_input(void) {
    inception_options *o = opts_int(INCEPTION_OPT_THREADS, 1);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(loaded, o, &s), INCEPTION_OK);
    inception_options_free(o);
    int64_t dims[2] = {1, 3 * 80 * 80};
    inception_tensor *t = NULL;
    ck_assert_int_eq(inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NC, dims, 2, &t), INCEPTION_OK);
    inception_status st = inception_session_run(s, t);
    inception_tensor_free(t);
    inception_session_free(s);
    return st;
}
static inception_status t_wrap_size_mismatch(void) {
    static float data[3 * 80 * 80];
    int64_t dims[4] = {1, 3, 80, 80};
    inception_tensor *t = (inception_tensor *)(uintptr_t)0x5e5e;
    inception_status s = inception_tensor_wrap(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims, 4,
                                               data, sizeof data - 4, &t);
    check_failure("inception_tensor_wrap", s, t == (inception_tensor *)(uintptr_t)0x5e5e);
    if (s == INCEPTION_OK) inception_tensor_free(t);
    return s;
}
static inception_status t_dims_overflow(void) {
    int64_t dims[4] = {1, 3, (int64_t)1 << 31, (int64_t)1 << 31};
    inception_tensor *t = (inception_tensor *)(uintptr_t)0x5e5e;
    inception_status s = inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims, 4, &t);
    check_failure("inception_tensor_create", s, t == (inception_tensor *)(uintptr_t)0x5e5e);
    if (s == INCEPTION_OK) inception_tensor_free(t);
    return s;
}
static inception_status t_output_before_run(void) {
    inception_options *o = opts_int(INCEPTION_OPT_THREADS, 1);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(loaded, o, &s), INCEPTION_OK);
    inception_options_free(o);
    const inception_tensor *t = NULL;
    inception_status st = inception_session_output(s, INCEPTION_OUTPUT_LOGITS, &t);
    inception_session_free(s);
    return st;
}
static inception_status t_aux_without_head(void) {
    inception_options *o = opts_int(INCEPTION_OPT_OUTPUTS,
                                    INCEPTION_OUTPUT_LOGITS | INCEPTION_OUTPUT_AUX_LOGITS);
    inception_session *s = (inception_session *)(uintptr_t)0x5e5e;
    inception_status st = inception_session_create(noaux, o, &s);
    check_failure("inception_session_create", st, s == (inception_session *)(uintptr_t)0x5e5e);
    if (st == INCEPTION_OK) inception_session_free(s);
    inception_options_free(o);
    return st;
}
static inception_status t_classify_k_zero(void) {
    inception_options *o = opts_int(INCEPTION_OPT_THREADS, 1);
    inception_session *s = NULL;
    ck_assert_int_eq(inception_session_create(loaded, o, &s), INCEPTION_OK);
    inception_options_free(o);
    int32_t cls[1], count = -1;
    float p[1];
    inception_status st = inception_session_classify(s, "\xff\xd8\xff", 3, 0, cls, p, &count);
    inception_session_free(s);
    return st;
}
static inception_status t_label_out_of_range(void) {
    const char *label = NULL;
    return inception_model_label(loaded, 1000, &label);
}

/* ---- the table -------------------------------------------------------------------------- */

typedef struct recipe {
    const char *id;
    inception_status (*fn)(void);
} recipe;

static const recipe recipes[] = {
    {"M01", m_empty},
    {"M02", m_seven_bytes},
    {"M03", m_header_len_zero},
    {"M04", m_header_beyond_file},
    {"M05", m_header_len_huge},
    {"M06", m_header_len_max},
    {"M07", m_not_json},
    {"M08", m_top_array},
    {"M09", m_trailing},
    {"M10", m_bad_utf8_name},
    {"M11", m_overlong_utf8},
    {"M12", m_lone_surrogate},
    {"M13", m_nul_escape},
    {"M14", m_deep_nesting},
    {"M15", m_shape_overflow},
    {"M16", m_shape_int64_overflow},
    {"M17", m_span_mismatch},
    {"M18", m_offsets_beyond},
    {"M19", m_offsets_reversed},
    {"M20", m_overlap},
    {"M21", m_duplicate_tensor},
    {"M22", m_duplicate_meta_key},
    {"M23", m_meta_not_object},
    {"M24", m_meta_value_number},
    {"M25", m_unknown_dtype},
    {"M26", m_negative_dim},
    {"M27", m_rank9},
    {"M28", m_float_offset},
    {"M29", m_header_only_no_weights},
    {"M30", m_truncated_data},
    {"M31", m_out_of_order},
    {"M32", m_zero_sized_extra},
    {"M33", m_zero_sized_required},
    {"M34", m_wrong_rank},
    {"M35", m_missing_tensor},
    {"M36", m_dtype_i64},
    {"M37", m_nan_weight},
    {"M38", m_inf_variance},
    {"M39", m_negative_variance},
    {"M40", m_nan_fc},
    {"M41", m_crc_mismatch},
    {"M42", m_crc_mismatch_skipped},
    {"M43", m_crc_not_hex},
    {"M44", m_label_count},
    {"M45", m_empty_label},
    {"M46", m_classes_disagree},
    {"M47", m_label_offset_two},
    {"M48", m_unknown_preset_meta},
    {"M49", m_future_format},
    {"M50", m_input_size_small},
    {"M51", m_std_zero},
    {"M52", m_mean_nan},
    {"M53", m_mean_huge},
    {"M54", m_fc_width},
    {"M55", m_unknown_preset_option},
    {"M56", m_unknown_backend},
    {"M57", m_directory},
    {"M58", m_missing_file},
    {"I01", i_empty},
    {"I02", i_text},
    {"I03", i_jpeg_huge_sof},
    {"I04", i_jpeg_over_limit},
    {"I05", i_jpeg_truncated},
    {"I06", i_jpeg_progressive_truncated},
    {"I07", i_jpeg_soi_only},
    {"I08", i_jpeg_zero_height},
    {"I09", i_png_huge_ihdr},
    {"I10", i_png_width_2_31},
    {"I11", i_png_lying_ihdr},
    {"I12", i_png_truncated},
    {"I13", i_png_bad_ihdr_crc},
    {"I14", i_png_signature_only},
    {"I15", i_png_zero_width},
    {"I16", i_directory},
    {"I17", i_classify_huge},
    {"I18", i_jpeg_max_sof},
    {"I19", i_png_bad_idat_crc},
    {"I20", i_png_bad_idat_data},
    {"T01", t_too_small},
    {"T02", t_too_large},
    {"T03", t_four_channels},
    {"T04", t_one_channel_nhwc},
    {"T05", t_batch_zero},
    {"T06", t_rank2_input},
    {"T07", t_wrap_size_mismatch},
    {"T08", t_dims_overflow},
    {"T09", t_output_before_run},
    {"T10", t_aux_without_head},
    {"T11", t_classify_k_zero},
    {"T12", t_label_out_of_range},
};
#define N_RECIPES (sizeof recipes / sizeof recipes[0])

static const char *const status_names[] = {
    "OK", "INVALID_ARGUMENT", "OUT_OF_MEMORY", "IO", "FORMAT", "MISSING_TENSOR", "SHAPE",
    "DTYPE", "CHECKSUM", "UNSUPPORTED", "INPUT_SIZE", "MODEL_MISMATCH", "BACKEND", "IMAGE",
    "IMAGE_TOO_LARGE", "NOT_FOUND", "BUFFER_TOO_SMALL", "NOT_READY", "INTERNAL"};

static int status_from_name(const char *s) {
    for (int i = 0; i < (int)(sizeof status_names / sizeof status_names[0]); i++)
        if (strcmp(s, status_names[i]) == 0) return i;
    return -1;
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    craft_buf b = {0};
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) craft_put(&b, tmp, n);
    fclose(f);
    craft_put(&b, "", 1);
    return (char *)b.data;
}

static char data_dir[1024];

START_TEST(every_row) {
    char path[1200];
    snprintf(path, sizeof path, "%s/bad_inputs.tsv", data_dir);
    char *tsv = read_text(path);
    ck_assert_msg(tsv != NULL, "cannot read %s", path);
    snprintf(path, sizeof path, "%s/../docs/bad-inputs.md", data_dir);
    char *md = read_text(path);
    ck_assert_msg(md != NULL, "cannot read %s", path);

    int rows = 0, bad = 0;
    int seen[N_RECIPES] = {0};
    char report[8192] = "";
    char *save = NULL;
    for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || strncmp(line, "id\t", 3) == 0) continue;
        char *f[4] = {0};
        char *p = line;
        for (int i = 0; i < 4 && p; i++) {
            f[i] = p;
            p = strchr(p, '\t');
            if (p) *p++ = '\0';
        }
        ck_assert_msg(f[3] != NULL && p == NULL, "malformed row: %s", line);
        int want = status_from_name(f[3]);
        ck_assert_msg(want >= 0, "row %s: unknown status '%s'", f[0], f[3]);
        size_t r = 0;
        while (r < N_RECIPES && strcmp(recipes[r].id, f[0]) != 0) r++;
        ck_assert_msg(r < N_RECIPES, "row %s has no recipe in test_bad_inputs.c", f[0]);
        ck_assert_msg(!seen[r], "row %s appears twice", f[0]);
        seen[r] = 1;
        char cell[16];
        snprintf(cell, sizeof cell, "| %s |", f[0]);
        ck_assert_msg(strstr(md, cell) != NULL, "row %s is missing from docs/bad-inputs.md", f[0]);
        contract_ok = 1;
        inception_status got = recipes[r].fn();
        const char *msg = inception_last_error();
        printf("%-4s %-18s %s\n", f[0], (int)got < 19 ? status_names[got] : "?", f[1]);
        if ((int)got != want || !contract_ok) {
            bad++;
            size_t used = strlen(report);
            snprintf(report + used, sizeof report - used, "\n  %s (%s): expected %s, got %s%s%s [%s]",
                     f[0], f[1], f[3], (int)got < 19 ? status_names[got] : "?",
                     contract_ok ? "" : "; ", contract_ok ? "" : contract_msg, msg);
        }
        rows++;
    }
    for (size_t r = 0; r < N_RECIPES; r++)
        ck_assert_msg(seen[r], "recipe %s has no row in tests/bad_inputs.tsv", recipes[r].id);
    ck_assert_int_ge(rows, 30);
    free(tsv);
    free(md);
    ck_assert_msg(bad == 0, "%d of %d rows failed:%s", bad, rows, report);
}
END_TEST

int main(void) {
    const char *d = getenv("INCEPTION_TEST_DATA");
    snprintf(data_dir, sizeof data_dir, "%s", d ? d : "tests");
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    if (inc_testmodel_build(&o, &base_buf, &base_size) != 0) return 1;
    if (inc_st_parse(base_buf, base_size, &base) != INCEPTION_OK) return 1;
    inception_options *ref = NULL;
    inception_options_create(&ref);
    inception_options_set_string(ref, INCEPTION_OPT_BACKEND, "ref");
    if (inception_model_load_memory(base_buf, base_size, ref, &loaded) != INCEPTION_OK) return 1;
    uint8_t *nb;
    size_t ns;
    o.aux = 0;
    if (inc_testmodel_build(&o, &nb, &ns) != 0) return 1;
    if (inception_model_load_memory(nb, ns, ref, &noaux) != INCEPTION_OK) return 1;
    free(nb);
    inception_options_free(ref);

    Suite *suite = suite_create("bad-inputs");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, every_row);
    suite_add_tcase(suite, tc);
    SRunner *sr = srunner_create(suite);
    srunner_set_fork_status(sr, CK_NOFORK); /* the fixtures are large: build them once */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    inception_model_free(loaded);
    inception_model_free(noaux);
    inc_st_free(&base);
    free(base_buf);
    return failed ? 1 : 0;
}

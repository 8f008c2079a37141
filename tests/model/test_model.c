/* White-box tests of lib/model: JSON, safetensors, configuration, weights, files.
 * Files are crafted in memory with the small builder below. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/json.h"
#include "model/model.h"

/* ---------------------------------------------------------------------------------- */
/* A safetensors builder: tensors are appended in order, metadata collected apart.      */

typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const void *p, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        ck_assert_ptr_nonnull(b->s);
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = 0;
}

static void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    ck_assert_int_lt(n, (int)sizeof tmp);
    sb_put(b, tmp, (size_t)n);
}

static void sb_json_string(sbuf *b, const char *s) {
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') sb_printf(b, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) sb_printf(b, "\\u%04x", *s);
        else sb_put(b, s, 1);
    }
    sb_put(b, "\"", 1);
}

typedef struct builder {
    sbuf entries, meta, data;
    int n_entries, n_meta;
} builder;

static void b_init(builder *b) { memset(b, 0, sizeof *b); }

static void b_free(builder *b) {
    free(b->entries.s);
    free(b->meta.s);
    free(b->data.s);
}

/* Append a tensor with the given dtype string; `bytes` may be NULL for zeros. */
static void b_tensor(builder *b, const char *name, const char *dtype, int rank,
                     const int64_t *shape, const void *bytes, size_t nbytes) {
    if (b->n_entries++) sb_put(&b->entries, ",", 1);
    sb_json_string(&b->entries, name);
    sb_printf(&b->entries, ":{\"dtype\":\"%s\",\"shape\":[", dtype);
    for (int i = 0; i < rank; i++) sb_printf(&b->entries, i ? ",%lld" : "%lld", (long long)shape[i]);
    sb_printf(&b->entries, "],\"data_offsets\":[%zu,%zu]}", b->data.len, b->data.len + nbytes);
    if (bytes) {
        sb_put(&b->data, bytes, nbytes);
    } else {
        void *z = calloc(1, nbytes + 1);
        sb_put(&b->data, z, nbytes);
        free(z);
    }
}

static void b_f32(builder *b, const char *name, int rank, const int64_t *shape, const float *v) {
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)shape[i];
    b_tensor(b, name, "F32", rank, shape, v, n * 4);
}

static void b_meta(builder *b, const char *key, const char *value) {
    if (b->n_meta++) sb_put(&b->meta, ",", 1);
    sb_json_string(&b->meta, key);
    sb_put(&b->meta, ":", 1);
    sb_json_string(&b->meta, value);
}

/* Header length field + header padded with spaces to a multiple of 8 + data. */
static uint8_t *assemble(const char *header, size_t hlen, const void *data, size_t dlen,
                         size_t *size) {
    size_t padded = (hlen + 7) & ~(size_t)7;
    *size = 8 + padded + dlen;
    uint8_t *buf = malloc(*size + 1);
    ck_assert_ptr_nonnull(buf);
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    memcpy(buf + 8, header, hlen);
    memset(buf + 8 + hlen, ' ', padded - hlen);
    if (dlen) memcpy(buf + 8 + padded, data, dlen);
    return buf;
}

static uint8_t *b_finish(builder *b, size_t *size) {
    sbuf h = {0};
    sb_put(&h, "{", 1);
    if (b->n_meta) {
        sb_put(&h, "\"__metadata__\":{", 16);
        sb_put(&h, b->meta.s, b->meta.len);
        sb_put(&h, "}", 1);
        if (b->n_entries) sb_put(&h, ",", 1);
    }
    if (b->n_entries) sb_put(&h, b->entries.s, b->entries.len);
    sb_put(&h, "}", 1);
    uint8_t *buf = assemble(h.s, h.len, b->data.s, b->data.len, size);
    free(h.s);
    return buf;
}

/* A file whose header is exactly `header` (no padding) and `dlen` zero data bytes. */
static uint8_t *raw_file(const char *header, size_t hlen, size_t dlen, size_t *size) {
    *size = 8 + hlen + dlen;
    uint8_t *buf = calloc(1, *size + 1);
    ck_assert_ptr_nonnull(buf);
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    memcpy(buf + 8, header, hlen);
    return buf;
}

#define ASSERT_MSG_HAS(needle)                                                              \
    ck_assert_msg(strstr(inc_error_message(), (needle)) != NULL,                           \
                  "message '%s' does not mention '%s'", inc_error_message(), (needle))

/* Parse a header string with `dlen` data bytes; return the status. */
static inception_status parse_header_str(const char *header, size_t dlen) {
    size_t size;
    uint8_t *buf = raw_file(header, strlen(header), dlen, &size);
    inc_safetensors st;
    memset(&st, 0xAB, sizeof st);
    inc_error_clear();
    inception_status s = inc_st_parse(buf, size, &st);
    if (s == INCEPTION_OK) inc_st_free(&st);
    else ck_assert_int_eq(((uint8_t *)&st)[0], 0xAB); /* untouched on failure */
    free(buf);
    return s;
}

/* ---------------------------------------------------------------------------------- */
/* safetensors structure                                                               */

START_TEST(st_valid_minimal) {
    builder b;
    b_init(&b);
    b_meta(&b, "format", "pt");
    int64_t s1[2] = {2, 3};
    float v1[6] = {1, 2, 3, 4, 5, 6};
    b_f32(&b, "b.weight", 2, s1, v1);
    int64_t s0[1] = {0};
    b_tensor(&b, "a.empty", "F32", 1, s0, NULL, 0);
    int64_t i64 = 7;
    b_tensor(&b, "bn.num_batches_tracked", "I64", 0, NULL, &i64, 8);
    size_t size;
    uint8_t *buf = b_finish(&b, &size);
    inc_safetensors st;
    ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
    ck_assert_uint_eq(st.n_tensors, 3);
    ck_assert_uint_eq(st.n_meta, 1);
    ck_assert_str_eq(inc_st_meta_get(&st, "format"), "pt");
    ck_assert_ptr_null(inc_st_meta_get(&st, "nope"));
    const inc_st_tensor *t = inc_st_find(&st, "b.weight");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->dtype, INC_F32);
    ck_assert_int_eq(t->elem_size, 4);
    ck_assert_int_eq(t->rank, 2);
    ck_assert_int_eq(t->shape[0], 2);
    ck_assert_int_eq(t->shape[1], 3);
    ck_assert_uint_eq(t->end - t->begin, 24);
    ck_assert_int_eq(memcmp(st.data + t->begin, v1, 24), 0);
    const inc_st_tensor *n = inc_st_find(&st, "bn.num_batches_tracked");
    ck_assert_ptr_nonnull(n);
    ck_assert_int_eq(n->dtype, INC_OTHER);
    ck_assert_int_eq(n->elem_size, 8);
    ck_assert_int_eq(n->rank, 0);
    ck_assert_ptr_nonnull(inc_st_find(&st, "a.empty"));
    ck_assert_ptr_null(inc_st_find(&st, "b.weigh"));
    ck_assert_uint_eq(st.data_size, 32);
    inc_st_free(&st);
    inc_st_free(&st); /* zeroed: harmless */
    inc_st_free(NULL);
    free(buf);
    b_free(&b);
}
END_TEST

START_TEST(st_header_length) {
    /* shorter than the length field */
    uint8_t small[7] = {0};
    inc_safetensors st;
    ck_assert_int_eq(inc_st_parse(small, sizeof small, &st), INCEPTION_ERR_FORMAT);
    ASSERT_MSG_HAS("too short");
    /* N == 0 */
    uint8_t zero[16] = {0};
    ck_assert_int_eq(inc_st_parse(zero, sizeof zero, &st), INCEPTION_ERR_FORMAT);
    ASSERT_MSG_HAS("length is 0");
    /* N > size - 8 */
    size_t size;
    uint8_t *buf = raw_file("{}", 2, 0, &size);
    buf[0] = 3;
    ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_ERR_FORMAT);
    ASSERT_MSG_HAS("exceeds");
    /* absurd N (2^63) and N just over the cap */
    memset(buf, 0, 8);
    buf[7] = 0x80;
    ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_ERR_FORMAT);
    ASSERT_MSG_HAS("limit");
    memset(buf, 0, 8);
    buf[3] = 0x06; /* 100 MiB + 1 */
    buf[2] = 0x40;
    buf[0] = 0x01;
    ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_ERR_FORMAT);
    ASSERT_MSG_HAS("limit");
    /* a well-formed empty header with no tensors parses */
    buf[0] = 2;
    memset(buf + 1, 0, 7);
    ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
    ck_assert_uint_eq(st.n_tensors, 0);
    inc_st_free(&st);
    free(buf);
}
END_TEST

/* Issue 10 point 20: other kinds of file are named, not read as a header length. */
START_TEST(st_not_safetensors) {
    static const struct {
        const char *bytes;
        size_t len;
        const char *needle;
    } cases[] = {
        {"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01", 12, "not a safetensors file (starts with FF D8 FF, a JPEG?)"},
        {"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", 16, "starts with 89 50 4E, a PNG?"},
        {"PK\x03\x04\x14\x00\x00\x00\x08\x00", 10, "a zip archive"},
        {"\x1F\x8B\x08\x00\x00\x00\x00\x00\x00\x03", 10, "a gzip file"},
        {"tench\ngoldfish\n", 15, "starts with text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        inc_safetensors st;
        ck_assert_int_eq(inc_st_parse((const uint8_t *)cases[i].bytes, cases[i].len, &st),
                         INCEPTION_ERR_FORMAT);
        ck_assert_msg(strstr(inc_error_message(), cases[i].needle), "case %zu: '%s' lacks '%s'", i,
                      inc_error_message(), cases[i].needle);
    }
    /* a real header whose length bytes spell "BM" (0x4D42) is still read as one */
    size_t hlen = 0x4D42, size = 8 + hlen;
    uint8_t *buf = calloc(1, size);
    buf[0] = 'B', buf[1] = 'M';
    buf[8] = '{', buf[9] = '}';
    memset(buf + 10, ' ', hlen - 2);
    inc_safetensors st;
    ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
    inc_st_free(&st);
    free(buf);
}
END_TEST

START_TEST(st_truncated) {
    builder b;
    b_init(&b);
    int64_t s1[1] = {16};
    b_tensor(&b, "w", "F32", 1, s1, NULL, 64);
    size_t size;
    uint8_t *buf = b_finish(&b, &size);
    inc_safetensors st;
    /* cut inside the data: the tensor's range no longer fits */
    ck_assert_int_eq(inc_st_parse(buf, size - 1, &st), INCEPTION_ERR_FORMAT);
    ASSERT_MSG_HAS("'w'");
    ASSERT_MSG_HAS("data section");
    /* cut inside the header */
    ck_assert_int_eq(inc_st_parse(buf, 20, &st), INCEPTION_ERR_FORMAT);
    ASSERT_MSG_HAS("header length");
    /* every prefix fails cleanly */
    for (size_t n = 0; n < size; n++) {
        inception_status s = inc_st_parse(buf, n, &st);
        ck_assert_int_eq(s, INCEPTION_ERR_FORMAT);
    }
    free(buf);
    b_free(&b);
}
END_TEST

static const char *const bad_json[] = {
    "",
    "{",
    "{\"a\"",
    "{\"a\":}",
    "{,}",
    "{\"a\":1,}",
    "{'a':1}",
    "{\"a\":tru}",
    "{\"a\":nul}",
    "{\"a\":01}",
    "{\"a\":1.}",
    "{\"a\":.5}",
    "{\"a\":-}",
    "{\"a\":1e}",
    "{\"a\":+1}",
    "{\"a\":\"\\x\"}",
    "{\"a\":\"\\u12G4\"}",
    "{\"a\":\"\\u12\"}",
    "{\"a\":\"\\ud800\"}",
    "{\"a\":\"\\udc00\"}",
    "{\"a\":\"\\ud800\\u0041\"}",
    "{\"a\":\"\\ud800x\"}",
    "{\"a\":\"\\u0000\"}",
    "{\"a\":\"tab\there\"}",
    "{\"a\":\"nl\nhere\"}",
    "{\"a\":\"unterminated}",
    "{\"a\":\"end\\",
    "{} x",
    "{}{}",
    "{}\0",
    "{\"a\":99999999999999999999}",
    "{\"a\":9223372036854775808}",
    "{\"a\":-9223372036854775809}",
    "\xef\xbb\xbf{}",
    "{\"a\" 1}",
    "{\"a\":1 \"b\":2}",
    "{\"a\":[1 2]}",
    "{\"a\":[1,]}",
    "{a:1}",
    "{\"a\":NaN}",
    "{\"a\":Infinity}",
    "{\"a\":[}",
    "{\"a\":{]}",
    " ",
};

START_TEST(st_bad_json) {
    for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        const char *h = bad_json[i];
        size_t hlen = strlen(h);
        if (strcmp(h, "{}") == 0) hlen = 3; /* "{}\0": keep the NUL */
        size_t size;
        uint8_t *buf = raw_file(h, hlen ? hlen : 0, 0, &size);
        if (hlen == 0) { /* an empty header is the N == 0 case; use a space-only one */
            free(buf);
            buf = raw_file(" ", 1, 0, &size);
        }
        inc_safetensors st;
        inc_error_clear();
        inception_status s = inc_st_parse(buf, size, &st);
        ck_assert_msg(s == INCEPTION_ERR_FORMAT, "case %zu '%s': status %d", i, h, s);
        ck_assert_msg(strstr(inc_error_message(), "at byte") != NULL, "case %zu '%s': '%s'", i, h,
                      inc_error_message());
        free(buf);
    }
}
END_TEST

START_TEST(st_json_values) {
    /* the JSON layer itself: escapes, numbers, nesting at the limit */
    const char *text = "{\"k\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\/ \\n\", \"n\":[-9223372036854775808,"
                       "9223372036854775807,0,-0,1.5e3,true,false,null], \"u\":\"\xc3\xa9\xf0\x9f\x98\x80\"}  \n";
    inc_json v;
    ck_assert_int_eq(inc_json_parse(text, strlen(text), &v), INCEPTION_OK);
    const inc_json *k = inc_json_get(&v, "k");
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(k->type, INC_JSON_STRING);
    ck_assert_str_eq(k->str, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" / \n");
    const inc_json *n = inc_json_get(&v, "n");
    ck_assert_int_eq(n->type, INC_JSON_ARRAY);
    ck_assert_uint_eq(n->len, 8);
    ck_assert_int_eq(n->items[0].type, INC_JSON_INT);
    ck_assert(n->items[0].integer == INT64_MIN);
    ck_assert(n->items[1].integer == INT64_MAX);
    ck_assert_int_eq(n->items[3].integer, 0);
    ck_assert_int_eq(n->items[4].type, INC_JSON_FLOAT);
    ck_assert_int_eq(n->items[5].type, INC_JSON_BOOL);
    ck_assert_int_eq(n->items[5].boolean, 1);
    ck_assert_int_eq(n->items[6].boolean, 0);
    ck_assert_int_eq(n->items[7].type, INC_JSON_NULL);
    ck_assert_str_eq(inc_json_get(&v, "u")->str, "\xc3\xa9\xf0\x9f\x98\x80");
    inc_json_free(&v);

    char deep[2 * INC_JSON_MAX_DEPTH + 3];
    for (int extra = 0; extra <= 1; extra++) {
        int d = INC_JSON_MAX_DEPTH + extra;
        memset(deep, '[', (size_t)d);
        memset(deep + d, ']', (size_t)d);
        inception_status s = inc_json_parse(deep, 2 * (size_t)d, &v);
        ck_assert_int_eq(s, extra ? INCEPTION_ERR_FORMAT : INCEPTION_OK);
        if (s == INCEPTION_OK) inc_json_free(&v);
        else ASSERT_MSG_HAS("too deep");
    }
}
END_TEST

START_TEST(st_non_utf8) {
    static const char *const bad[] = {
        "\xff", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80", "\xe2\x82", "\x80", "\xf0\x8f\xbf\xbf",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char h[64];
        snprintf(h, sizeof h, "{\"__metadata__\":{\"k\":\"a%sb\"}}", bad[i]);
        ck_assert_int_eq(parse_header_str(h, 0), INCEPTION_ERR_FORMAT);
        ASSERT_MSG_HAS("UTF-8");
        snprintf(h, sizeof h, "{\"__metadata__\":{\"k%s\":\"v\"}}", bad[i]);
        ck_assert_int_eq(parse_header_str(h, 0), INCEPTION_ERR_FORMAT);
        ASSERT_MSG_HAS("UTF-8");
    }
    /* outside strings, any non-ASCII byte is a syntax error */
    ck_assert_int_eq(parse_header_str("{\xc3\xa9}", 0), INCEPTION_ERR_FORMAT);
    /* the boundaries of the valid ranges are accepted */
    ck_assert_int_eq(parse_header_str("{\"__metadata__\":{\"k\":\"\xed\x9f\xbf\xee\x80\x80"
                                      "\xf4\x8f\xbf\xbf\xc2\x80\xf0\x90\x80\x80\"}}", 0),
                     INCEPTION_OK);
    ck_assert_int_eq(inc_utf8_valid((const uint8_t *)"\xe2\x82\xac", 3), 1);
    ck_assert_int_eq(inc_utf8_valid((const uint8_t *)"\xe2\x82\xac", 2), 0);
}
END_TEST

START_TEST(st_deep_nesting) {
    /* 1000 levels in an ignored tensor entry and at the top: an error, no deep recursion */
    size_t d = 1000;
    char *h = malloc(2 * d + 64);
    strcpy(h, "{\"x\":");
    size_t o = strlen(h);
    memset(h + o, '[', d);
    memset(h + o + d, ']', d);
    strcpy(h + o + 2 * d, "}");
    ck_assert_int_eq(parse_header_str(h, 0), INCEPTION_ERR_FORMAT);
    ASSERT_MSG_HAS("too deep");
    memset(h, '{', d);
    h[d] = 0;
    ck_assert_int_eq(parse_header_str(h, 0), INCEPTION_ERR_FORMAT);
    ASSERT_MSG_HAS("at byte");
    /* a million-level unterminated array */
    size_t big = 1000000;
    char *hb = malloc(big + 1);
    memset(hb, '[', big);
    hb[big] = 0;
    ck_assert_int_eq(parse_header_str(hb, 0), INCEPTION_ERR_FORMAT);
    free(hb);
    free(h);
}
END_TEST

START_TEST(st_offsets) {
    struct {
        const char *header;
        size_t dlen;
        const char *needle;
    } cases[] = {
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 8, "exceed"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "begin 8 > end 0"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8, "need 8"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", 8, "two integers"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, "two integers"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8, "non-negative"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0.0,8]}}", 8, "non-negative"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{}}}", 8, "two integers"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "shape[0]"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "shape[0]"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, "shape is an integer"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,8]}}", 8,
         "overflows"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,8]}}", 8,
         "rank 9"},
        {"{\"t\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype is an integer"},
        {"{\"t\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "missing field 'dtype'"},
        {"{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "missing field 'shape'"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "missing field 'data_offsets'"},
        {"{\"t\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
         "duplicate field"},
        {"{\"t\":[1]}", 8, "expected an object"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", 8, "duplicate tensor 't'"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"u\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
         "\"u\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[15,16]}}", 16, "overlap"},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[10],\"data_offsets\":[0,10]},"
         "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]},"
         "\"c\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[6,8]}}", 10, "overlap"},
        {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"u\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "overlap"},
        {"{\"\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "empty tensor name"},
        {"[]", 0, "expected an object"},
        {"{\"__metadata__\":[]}", 0, "__metadata__ is an array"},
        {"{\"__metadata__\":{\"k\":1}}", 0, "'k'"},
        {"{\"__metadata__\":{\"k\":{}}}", 0, "'k'"},
        {"{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, "duplicate __metadata__ key 'k'"},
        {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, "duplicate __metadata__"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        inception_status s = parse_header_str(cases[i].header, cases[i].dlen);
        ck_assert_msg(s == INCEPTION_ERR_FORMAT, "case %zu: status %d (%s)", i, s,
                      inc_error_message());
        ck_assert_msg(strstr(inc_error_message(), cases[i].needle) != NULL,
                      "case %zu: '%s' lacks '%s'", i, inc_error_message(), cases[i].needle);
        /* tensor-level errors name the tensor */
        if (strstr(cases[i].header, "\"t\":{\"dtype\"") && !strstr(cases[i].needle, "overlap"))
            ASSERT_MSG_HAS("'t'");
    }
    /* these are fine: zero-sized tensors anywhere, gaps, adjacency, unknown fields */
    const char *ok[] = {
        "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"z\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
        "\"y\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776,0],\"data_offsets\":[8,8]},"
        "\"u\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]},"
        "\"v\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[14,16],\"extra\":[1]}}",
    };
    ck_assert_int_eq(parse_header_str(ok[0], 16), INCEPTION_OK);
}
END_TEST

START_TEST(st_dtypes) {
    ck_assert_int_eq(parse_header_str("{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16),
                     INCEPTION_ERR_DTYPE);
    ASSERT_MSG_HAS("'w'");
    ASSERT_MSG_HAS("F128");
    ck_assert_int_eq(parse_header_str("{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                     INCEPTION_ERR_DTYPE);
    static const struct {
        const char *name;
        int size;
        inc_dtype dtype;
    } known[] = {{"F32", 4, INC_F32}, {"F16", 2, INC_F16}, {"BF16", 2, INC_BF16},
                 {"F64", 8, INC_OTHER}, {"I64", 8, INC_OTHER}, {"I32", 4, INC_OTHER},
                 {"I16", 2, INC_OTHER}, {"I8", 1, INC_OTHER}, {"U8", 1, INC_OTHER},
                 {"BOOL", 1, INC_OTHER}, {"U64", 8, INC_OTHER}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        char h[128];
        snprintf(h, sizeof h, "{\"w\":{\"dtype\":\"%s\",\"shape\":[3],\"data_offsets\":[0,%d]}}",
                 known[i].name, 3 * known[i].size);
        size_t size;
        uint8_t *buf = raw_file(h, strlen(h), 3 * (size_t)known[i].size, &size);
        inc_safetensors st;
        ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
        ck_assert_int_eq(st.tensors[0].elem_size, known[i].size);
        ck_assert_int_eq(st.tensors[0].dtype, known[i].dtype);
        inc_st_free(&st);
        free(buf);
    }
}
END_TEST

/* Random corruption of a valid file: every outcome is a status, never a crash (valgrind
 * checks the reads). */
START_TEST(st_mutations) {
    builder b;
    b_init(&b);
    b_meta(&b, "inception.name", "x");
    int64_t s1[2] = {3, 5};
    b_tensor(&b, "a.weight", "F16", 2, s1, NULL, 30);
    b_tensor(&b, "b.weight", "F32", 2, s1, NULL, 60);
    size_t size;
    uint8_t *orig = b_finish(&b, &size);
    uint8_t *buf = malloc(size);
    uint64_t rng = 0x9E3779B97F4A7C15u;
    int ok = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(buf, orig, size);
        int flips = 1 + iter % 4;
        for (int f = 0; f < flips; f++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            size_t at = 8 + (rng >> 8) % (size - 8);
            if (iter & 1) buf[at] ^= (uint8_t)(1u << (rng & 7));
            else buf[at] = "{}[],:\"\\0123456789e-. \x80\xff"[rng % 25];
        }
        size_t n = (iter % 7 == 0) ? (size_t)((rng >> 20) % size) : size;
        inc_safetensors st;
        inception_status s = inc_st_parse(buf, n, &st);
        if (s == INCEPTION_OK) {
            ok++;
            for (size_t i = 0; i < st.n_tensors; i++)
                ck_assert(st.tensors[i].end <= st.data_size);
            inc_st_free(&st);
        } else {
            ck_assert(s == INCEPTION_ERR_FORMAT || s == INCEPTION_ERR_DTYPE);
        }
    }
    ck_assert_int_gt(ok, 0);
    free(buf);
    free(orig);
    b_free(&b);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* Weights                                                                              */

static double f16_ref(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e ? ldexp(1024 + m, e - 25) : ldexp(m, -24);
    return (h & 0x8000) ? -v : v;
}

static double bf16_ref(uint16_t h) {
    int e = (h >> 7) & 255, m = h & 127;
    double v = e ? ldexp(128 + m, e - 134) : ldexp(m, -133);
    return (h & 0x8000) ? -v : v;
}

static int cfg_gamma(int g) { return g; }

/* fc [32][2048] in F16 or BF16 holding every finite bit pattern (others set to 0), placed at
 * an odd offset so that the reads are unaligned. */
static void check_half(const char *dtype, int is_bf16) {
    uint16_t *h = malloc(65536 * 2);
    for (uint32_t i = 0; i < 65536; i++) {
        int exp_all_ones = is_bf16 ? ((i >> 7) & 255) == 255 : ((i >> 10) & 31) == 31;
        h[i] = exp_all_ones ? 0 : (uint16_t)i;
    }
    builder b;
    b_init(&b);
    int64_t s1[1] = {1};
    uint8_t pad = 0;
    b_tensor(&b, "pad", "U8", 1, s1, &pad, 1);
    int64_t ws[2] = {32, 2048}, bs[1] = {32};
    b_tensor(&b, "fc.weight", dtype, 2, ws, h, 65536 * 2);
    b_tensor(&b, "fc.bias", dtype, 1, bs, h + 15360, 64);
    size_t size;
    uint8_t *buf = b_finish(&b, &size);
    inc_safetensors st;
    ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
    ck_assert_uint_eq(inc_st_find(&st, "fc.weight")->begin % 2, 1);
    float *w = NULL, *bias = NULL;
    ck_assert_int_eq(inc_load_fc(&st, "fc", 2048, 32, &w, &bias), INCEPTION_OK);
    for (uint32_t i = 0; i < 65536; i++) {
        double ref = is_bf16 ? bf16_ref(h[i]) : f16_ref(h[i]);
        ck_assert_msg((double)w[i] == ref && !signbit(w[i]) == !signbit(ref),
                      "%s 0x%04x: %g vs %g", dtype, h[i], (double)w[i], ref);
    }
    for (int i = 0; i < 32; i++)
        ck_assert((double)bias[i] == (is_bf16 ? bf16_ref(h[15360 + i]) : f16_ref(h[15360 + i])));
    free(w);
    free(bias);
    inc_st_free(&st);
    free(buf);
    b_free(&b);

    /* infinities and NaNs are rejected, naming the tensor and the index */
    uint16_t specials[3] = {is_bf16 ? 0x7F80 : 0x7C00, is_bf16 ? 0xFF80 : 0xFC00,
                            is_bf16 ? 0x7FC1 : 0x7E01};
    for (int k = 0; k < 3; k++) {
        uint16_t v[4] = {0x3C00, 0, 0, 0};
        v[2] = specials[k];
        b_init(&b);
        int64_t fs[2] = {2, 2}, fb[1] = {2};
        b_tensor(&b, "head.weight", dtype, 2, fs, v, 8);
        b_tensor(&b, "head.bias", dtype, 1, fb, NULL, 4);
        buf = b_finish(&b, &size);
        ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
        ck_assert_int_eq(inc_load_fc(&st, "head", 2, 2, &w, &bias), INCEPTION_ERR_FORMAT);
        ASSERT_MSG_HAS("'head.weight'");
        ASSERT_MSG_HAS("index 2");
        inc_st_free(&st);
        free(buf);
        b_free(&b);
    }
    free(h);
}

START_TEST(w_f16_exhaustive) { check_half("F16", 0); }
END_TEST

START_TEST(w_bf16_exhaustive) { check_half("BF16", 1); }
END_TEST

static uint32_t lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}
static float frand(uint32_t *s, float lo, float hi) {
    return lo + (hi - lo) * (float)lcg(s) / (float)(1u << 24);
}

typedef struct conv_case {
    int cin, cout, kh, kw;
    float *w, *g, *beta, *mean, *var;
} conv_case;

static void conv_case_make(conv_case *c, int cin, int cout, int kh, int kw, uint32_t seed) {
    c->cin = cin, c->cout = cout, c->kh = kh, c->kw = kw;
    size_t n = (size_t)cin * cout * kh * kw;
    c->w = malloc(n * 4);
    c->g = malloc((size_t)cout * 4);
    c->beta = malloc((size_t)cout * 4);
    c->mean = malloc((size_t)cout * 4);
    c->var = malloc((size_t)cout * 4);
    for (size_t i = 0; i < n; i++) c->w[i] = frand(&seed, -1, 1);
    for (int i = 0; i < cout; i++) {
        c->g[i] = frand(&seed, 0.1f, 2);
        c->beta[i] = frand(&seed, -1, 1);
        c->mean[i] = frand(&seed, -1, 1);
        c->var[i] = i == 0 ? 0.0f : frand(&seed, 0, 3);
    }
}

static void conv_case_free(conv_case *c) {
    free(c->w);
    free(c->g);
    free(c->beta);
    free(c->mean);
    free(c->var);
}

/* Adds "<p>.conv.weight" and the BN tensors; `skip` names a part to leave out. */
static void b_conv(builder *b, const char *p, const conv_case *c, const char *skip) {
    char name[128];
    int64_t ws[4] = {c->cout, c->cin, c->kh, c->kw}, vs[1] = {c->cout};
    const char *parts[5] = {"conv.weight", "bn.weight", "bn.bias", "bn.running_mean",
                            "bn.running_var"};
    const float *data[5] = {c->w, c->g, c->beta, c->mean, c->var};
    for (int i = 0; i < 5; i++) {
        if (skip && strcmp(skip, parts[i]) == 0) continue;
        snprintf(name, sizeof name, "%s.%s", p, parts[i]);
        if (i == 0) b_f32(b, name, 4, ws, data[i]);
        else b_f32(b, name, 1, vs, data[i]);
    }
    snprintf(name, sizeof name, "%s.bn.num_batches_tracked", p);
    int64_t nbt = 100;
    b_tensor(b, name, "I64", 0, NULL, &nbt, 8);
}

START_TEST(w_bn_fold) {
    for (int gamma = 0; gamma <= 1; gamma++) {
        conv_case c;
        conv_case_make(&c, 3, 5, 2, 3, 42u + (uint32_t)gamma);
        builder b;
        b_init(&b);
        b_conv(&b, "Mixed_5b.branch1x1", &c, NULL);
        size_t size;
        uint8_t *buf = b_finish(&b, &size);
        inc_safetensors st;
        ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
        inc_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.bn_has_gamma = cfg_gamma(gamma);
        float *w = NULL, *bias = NULL;
        ck_assert_int_eq(inc_load_conv(&st, &cfg, "Mixed_5b.branch1x1", 3, 5, 2, 3, &w, &bias),
                         INCEPTION_OK);
        for (int o = 0; o < 5; o++) {
            double s = (gamma ? (double)c.g[o] : 1.0) / sqrt((double)c.var[o] + 0.001);
            double bref = (double)c.beta[o] - (double)c.mean[o] * s;
            ck_assert_msg(fabs(bias[o] - bref) <= 1e-6 * fabs(bref) + 1e-7, "bias %d", o);
            for (int ci = 0; ci < 3; ci++)
                for (int y = 0; y < 2; y++)
                    for (int x = 0; x < 3; x++) {
                        double ref = (double)c.w[((o * 3 + ci) * 2 + y) * 3 + x] * s;
                        float got = w[((o * 2 + y) * 3 + x) * 3 + ci];
                        ck_assert_msg(fabs(got - ref) <= 1e-6 * fabs(ref) + 1e-30,
                                      "w[%d][%d][%d][%d] %g vs %g", o, y, x, ci, got, ref);
                    }
        }
        free(w);
        free(bias);
        inc_st_free(&st);
        free(buf);
        b_free(&b);
        conv_case_free(&c);
    }
}
END_TEST

START_TEST(w_conv_errors) {
    conv_case c;
    conv_case_make(&c, 4, 2, 1, 1, 7);
    struct {
        const char *skip;
        int gamma;
        inception_status want;
        const char *needle;
    } cases[] = {
        {"bn.weight", 1, INCEPTION_ERR_MISSING_TENSOR, "'M.b.bn.weight'"},
        {"bn.weight", 0, INCEPTION_OK, NULL},
        {"bn.running_var", 0, INCEPTION_ERR_MISSING_TENSOR, "'M.b.bn.running_var'"},
        {"conv.weight", 1, INCEPTION_ERR_MISSING_TENSOR, "'M.b.conv.weight'"},
        {"bn.bias", 1, INCEPTION_ERR_MISSING_TENSOR, "'M.b.bn.bias'"},
        {"bn.running_mean", 1, INCEPTION_ERR_MISSING_TENSOR, "'M.b.bn.running_mean'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        builder b;
        b_init(&b);
        b_conv(&b, "M.b", &c, cases[i].skip);
        size_t size;
        uint8_t *buf = b_finish(&b, &size);
        inc_safetensors st;
        ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
        inc_config cfg = {0};
        cfg.bn_has_gamma = cases[i].gamma;
        float *w = (float *)&cfg, *bias = (float *)&cfg;
        inception_status s = inc_load_conv(&st, &cfg, "M.b", 4, 2, 1, 1, &w, &bias);
        ck_assert_int_eq(s, cases[i].want);
        if (s) {
            ASSERT_MSG_HAS(cases[i].needle);
            ck_assert_ptr_eq(w, (float *)&cfg); /* untouched */
        } else {
            free(w);
            free(bias);
        }
        inc_st_free(&st);
        free(buf);
        b_free(&b);
    }

    /* wrong shape: expected vs actual, naming the tensor */
    {
        builder b;
        b_init(&b);
        b_conv(&b, "Conv2d_1a_3x3", &c, NULL);
        size_t size;
        uint8_t *buf = b_finish(&b, &size);
        inc_safetensors st;
        ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
        inc_config cfg = {0};
        cfg.bn_has_gamma = 1;
        float *w, *bias;
        ck_assert_int_eq(inc_load_conv(&st, &cfg, "Conv2d_1a_3x3", 4, 2, 3, 3, &w, &bias),
                         INCEPTION_ERR_SHAPE);
        ASSERT_MSG_HAS("'Conv2d_1a_3x3.conv.weight'");
        ASSERT_MSG_HAS("[2, 4, 1, 1]");
        ASSERT_MSG_HAS("expected [2, 4, 3, 3]");
        ck_assert_int_eq(inc_load_conv(&st, &cfg, "Conv2d_1a_3x3", 2, 4, 1, 1, &w, &bias),
                         INCEPTION_ERR_SHAPE);
        ck_assert_int_eq(inc_load_conv(&st, &cfg, "Conv2d_1a_3x3", 0, 4, 1, 1, &w, &bias),
                         INCEPTION_ERR_INVALID_ARGUMENT);
        inc_st_free(&st);
        free(buf);
        b_free(&b);
    }

    /* negative variance, NaN weight, non-convertible dtype */
    for (int k = 0; k < 3; k++) {
        builder b;
        b_init(&b);
        float keep_v = c.var[1], keep_w = c.w[3];
        if (k == 0) c.var[1] = -0.5f;
        if (k == 1) c.w[3] = NAN;
        if (k == 2) {
            int64_t ws[4] = {2, 4, 1, 1};
            b_tensor(&b, "M.b.conv.weight", "I32", 4, ws, NULL, 32);
            b_conv(&b, "M.b", &c, "conv.weight");
        } else {
            b_conv(&b, "M.b", &c, NULL);
        }
        c.var[1] = keep_v;
        c.w[3] = keep_w;
        size_t size;
        uint8_t *buf = b_finish(&b, &size);
        inc_safetensors st;
        ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
        inc_config cfg = {0};
        cfg.bn_has_gamma = 1;
        float *w, *bias;
        inception_status s = inc_load_conv(&st, &cfg, "M.b", 4, 2, 1, 1, &w, &bias);
        if (k == 0) {
            ck_assert_int_eq(s, INCEPTION_ERR_FORMAT);
            ASSERT_MSG_HAS("'M.b.bn.running_var'");
            ASSERT_MSG_HAS("negative");
        } else if (k == 1) {
            ck_assert_int_eq(s, INCEPTION_ERR_FORMAT);
            ASSERT_MSG_HAS("'M.b.conv.weight'");
            ASSERT_MSG_HAS("non-finite");
        } else {
            ck_assert_int_eq(s, INCEPTION_ERR_DTYPE);
            ASSERT_MSG_HAS("'M.b.conv.weight'");
        }
        inc_st_free(&st);
        free(buf);
        b_free(&b);
    }

    /* gamma so large that folding overflows float */
    {
        builder b;
        b_init(&b);
        float keep = c.g[0];
        c.g[0] = 3e38f;
        c.w[0] = 1.0f;
        b_conv(&b, "M.b", &c, NULL);
        c.g[0] = keep;
        size_t size;
        uint8_t *buf = b_finish(&b, &size);
        inc_safetensors st;
        ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
        inc_config cfg = {0};
        cfg.bn_has_gamma = 1;
        float *w, *bias;
        ck_assert_int_eq(inc_load_conv(&st, &cfg, "M.b", 4, 2, 1, 1, &w, &bias),
                         INCEPTION_ERR_FORMAT);
        ASSERT_MSG_HAS("non-finite");
        inc_st_free(&st);
        free(buf);
        b_free(&b);
    }
    conv_case_free(&c);
}
END_TEST

START_TEST(w_fc) {
    float wv[6] = {1, 2, 3, 4, 5, 6}, bv[2] = {-1, 1};
    builder b;
    b_init(&b);
    int64_t ws[2] = {2, 3}, bs[1] = {2};
    b_f32(&b, "AuxLogits.fc.weight", 2, ws, wv);
    b_f32(&b, "AuxLogits.fc.bias", 1, bs, bv);
    b_f32(&b, "fc.weight", 2, ws, wv);
    size_t size;
    uint8_t *buf = b_finish(&b, &size);
    inc_safetensors st;
    ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
    float *w, *bias;
    ck_assert_int_eq(inc_load_fc(&st, "AuxLogits.fc", 3, 2, &w, &bias), INCEPTION_OK);
    ck_assert_int_eq(memcmp(w, wv, sizeof wv), 0);
    ck_assert_int_eq(memcmp(bias, bv, sizeof bv), 0);
    free(w);
    free(bias);
    ck_assert_int_eq(inc_load_fc(&st, "fc", 3, 2, &w, &bias), INCEPTION_ERR_MISSING_TENSOR);
    ASSERT_MSG_HAS("'fc.bias'");
    ck_assert_int_eq(inc_load_fc(&st, "AuxLogits.fc", 2048, 2, &w, &bias), INCEPTION_ERR_SHAPE);
    ASSERT_MSG_HAS("'AuxLogits.fc.weight' has shape [2, 3], expected [2, 2048]");
    inc_st_free(&st);
    free(buf);
    b_free(&b);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* Configuration                                                                        */

/* A file with fc.weight [classes, width] (BF16 zeros), optional extras and metadata given
 * as key, value pairs ending with NULL. */
static uint8_t *config_file(int64_t classes, int64_t width, int aux, int gamma, size_t *size,
                            ...) {
    builder b;
    b_init(&b);
    va_list ap;
    va_start(ap, size);
    const char *k;
    while ((k = va_arg(ap, const char *))) b_meta(&b, k, va_arg(ap, const char *));
    va_end(ap);
    int64_t s[2] = {classes, width};
    b_tensor(&b, "fc.weight", "BF16", 2, s, NULL, (size_t)(classes * width * 2));
    if (aux) b_tensor(&b, "AuxLogits.fc.weight", "BF16", 2, s, NULL, (size_t)(classes * width * 2));
    int64_t g[1] = {32};
    float gv[32];
    for (int i = 0; i < 32; i++) gv[i] = (float)i;
    if (gamma) b_f32(&b, "Conv2d_1a_3x3.bn.weight", 1, g, gv);
    uint8_t *buf = b_finish(&b, size);
    b_free(&b);
    return buf;
}

static inception_status config_of(uint8_t *buf, size_t size, const inception_options *o,
                                  inc_config *cfg) {
    inc_safetensors st;
    ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
    memset(cfg, 0, sizeof *cfg);
    inc_error_clear();
    inception_status s = inc_config_read(&st, o, cfg);
    /* as the loader does: the CRC is checked in a second step */
    if (s == INCEPTION_OK && (s = inc_config_check_crc(cfg, inc_crc32(st.data, st.data_size))))
        inc_config_free(cfg);
    inc_st_free(&st);
    return s;
}

static inception_options no_opts(void) {
    inception_options o;
    memset(&o, 0, sizeof o);
    o.pool_include_pad = -1;
    o.label_offset = -1;
    return o;
}

START_TEST(cfg_defaults) {
    size_t size;
    uint8_t *buf = config_file(1000, 2048, 1, 0, &size, NULL);
    inc_config cfg;
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.classes, 1000);
    ck_assert_int_eq(cfg.label_offset, 0);
    ck_assert_int_eq(cfg.has_aux, 1);
    ck_assert_int_eq(cfg.bn_has_gamma, 0);
    ck_assert_int_eq(cfg.pool_include_pad, 1);
    ck_assert_int_eq(cfg.preset, INC_PRESET_TIMM);
    ck_assert_int_eq(cfg.input_h, 299);
    ck_assert_int_eq(cfg.input_w, 299);
    for (int i = 0; i < 3; i++) {
        ck_assert(cfg.mean[i] == 0.5f);
        ck_assert(cfg.std[i] == 0.5f);
    }
    ck_assert_ptr_null(cfg.labels);
    ck_assert_int_eq(cfg.n_labels, 0);
    ck_assert_str_eq(cfg.name, "");
    ck_assert_str_eq(cfg.normalization, "mean=0.5,0.5,0.5 std=0.5,0.5,0.5");
    ck_assert_int_eq(cfg.crc_checked, 0);
    size_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | buf[i];
    ck_assert_uint_eq(cfg.crc32, inc_crc32(buf + 8 + hlen, size - 8 - hlen));
    inc_config_free(&cfg);
    inc_config_free(&cfg);
    inc_config_free(NULL);
    free(buf);

    buf = config_file(1001, 2048, 0, 1, &size, NULL);
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.classes, 1001);
    ck_assert_int_eq(cfg.label_offset, 1);
    ck_assert_int_eq(cfg.has_aux, 0);
    ck_assert_int_eq(cfg.bn_has_gamma, 1);
    inc_config_free(&cfg);
    free(buf);
}
END_TEST

START_TEST(cfg_metadata) {
    size_t size;
    uint8_t *buf = config_file(10, 2048, 0, 1, &size, "inception.format_version", "1",
                               "inception.name", "tiny \xc3\xa9", "inception.classes", "10",
                               "inception.label_offset", "1", "inception.mean", "0.485,0.456, 0.406",
                               "inception.std", "0.229 , 0.224,2.25e-1", "inception.preset", "tf",
                               "inception.input_size", "320,400", "inception.pool_include_pad",
                               "false", "inception.bn_gamma", "false", "inception.labels",
                               "one\ntwo\r\nthree\n4\n5\n6\n7\n8\nnine\n", "format", "pt",
                               "inception.future_key", "ignored", NULL);
    inc_config cfg;
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_OK);
    ck_assert_str_eq(cfg.name, "tiny \xc3\xa9");
    ck_assert_int_eq(cfg.label_offset, 1);
    ck_assert(cfg.mean[0] == 0.485f && cfg.mean[1] == 0.456f && cfg.mean[2] == 0.406f);
    ck_assert(cfg.std[0] == 0.229f && cfg.std[1] == 0.224f && cfg.std[2] == 0.225f);
    ck_assert_str_eq(cfg.normalization, "mean=0.485,0.456,0.406 std=0.229,0.224,0.225");
    ck_assert_int_eq(cfg.preset, INC_PRESET_TF);
    ck_assert_int_eq(cfg.input_h, 320);
    ck_assert_int_eq(cfg.input_w, 400);
    ck_assert_int_eq(cfg.pool_include_pad, 0);
    ck_assert_int_eq(cfg.bn_has_gamma, 0);
    ck_assert_int_eq(cfg.n_labels, 10);
    ck_assert_str_eq(cfg.labels[0], "background");
    ck_assert_str_eq(cfg.labels[1], "one");
    ck_assert_str_eq(cfg.labels[2], "two");
    ck_assert_str_eq(cfg.labels[3], "three");
    ck_assert_str_eq(cfg.labels[9], "nine");
    inc_config_free(&cfg);
    free(buf);

    /* option overrides */
    buf = config_file(10, 2048, 0, 0, &size, "inception.pool_include_pad", "false",
                      "inception.preset", "tf", "inception.label_offset", "1",
                      "inception.input_size", "75", NULL);
    inception_options o = no_opts();
    o.pool_include_pad = 1;
    o.label_offset = 0;
    o.preset = "torchvision";
    ck_assert_int_eq(config_of(buf, size, &o, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.pool_include_pad, 1);
    ck_assert_int_eq(cfg.label_offset, 0);
    ck_assert_int_eq(cfg.preset, INC_PRESET_TORCHVISION);
    ck_assert_int_eq(cfg.input_h, 75);
    ck_assert_int_eq(cfg.input_w, 75);
    inc_config_free(&cfg);
    o = no_opts();
    o.preset = "keras";
    ck_assert_int_eq(config_of(buf, size, &o, &cfg), INCEPTION_ERR_INVALID_ARGUMENT);
    ASSERT_MSG_HAS("keras");
    o = no_opts();
    o.label_offset = 2;
    ck_assert_int_eq(config_of(buf, size, &o, &cfg), INCEPTION_ERR_INVALID_ARGUMENT);
    o = no_opts();
    o.pool_include_pad = 0;
    ck_assert_int_eq(config_of(buf, size, &o, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.pool_include_pad, 0);
    ck_assert_int_eq(cfg.label_offset, 1);
    ck_assert_int_eq(cfg.preset, INC_PRESET_TF);
    inc_config_free(&cfg);
    free(buf);

    /* 1001 classes with 1001 labels: the file's own class 0 name */
    sbuf l = {0};
    for (int i = 0; i < 1001; i++) sb_printf(&l, i ? "\nc%d" : "c%d", i);
    buf = config_file(1001, 2048, 0, 0, &size, "inception.labels", l.s, NULL);
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.n_labels, 1001);
    ck_assert_str_eq(cfg.labels[0], "c0");
    ck_assert_str_eq(cfg.labels[1000], "c1000");
    inc_config_free(&cfg);
    free(buf);
    /* 1000 labels for 1001 classes: background first */
    buf = config_file(1001, 2048, 0, 0, &size, "inception.labels", strchr(l.s, '\n') + 1, NULL);
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_OK);
    ck_assert_str_eq(cfg.labels[0], "background");
    ck_assert_str_eq(cfg.labels[1], "c1");
    inc_config_free(&cfg);
    /* ... but not when the offset is overridden to 0 */
    o = no_opts();
    o.label_offset = 0;
    ck_assert_int_eq(config_of(buf, size, &o, &cfg), INCEPTION_ERR_FORMAT);
    ASSERT_MSG_HAS("inception.labels");
    ASSERT_MSG_HAS("1000 labels");
    free(buf);
    free(l.s);
}
END_TEST

/* The architecture keys (lib/model/arch.c): defaults, values, tensors that settle the
 * question, the STEM option, and a clear error for every unknown value. */
START_TEST(cfg_arch) {
    size_t size;
    inc_config cfg;
    uint8_t *buf = config_file(10, 2048, 1, 1, &size, NULL);
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.arch.stem, INC_STEM_299);
    ck_assert_int_eq(cfg.arch.first_stride, 2);
    ck_assert_int_eq(cfg.arch.stem_pool, 1);
    ck_assert_int_eq(cfg.arch.stem_conv, INC_STEM_CONV_3X3);
    ck_assert_int_eq(cfg.arch.aux, INC_AUX_PLAIN);
    ck_assert_int_eq(cfg.arch.has_fc, 1);
    ck_assert_int_eq(cfg.input_h, 299);
    ck_assert_str_eq(cfg.arch.description, "stem=299 stem_conv=3x3 aux=plain");
    inc_config_free(&cfg);
    /* the option overrides the file; an unknown value is refused */
    inception_options o = no_opts();
    o.stem = 79;
    ck_assert_int_eq(config_of(buf, size, &o, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.arch.stem, INC_STEM_79);
    ck_assert_int_eq(cfg.arch.first_stride, 1);
    ck_assert_int_eq(cfg.arch.stem_pool, 0);
    ck_assert_int_eq(cfg.input_h, 79);
    inc_config_free(&cfg);
    o.stem = 150;
    ck_assert_int_eq(config_of(buf, size, &o, &cfg), INCEPTION_ERR_INVALID_ARGUMENT);
    ASSERT_MSG_HAS("STEM");
    free(buf);

    buf = config_file(10, 2048, 0, 1, &size, "inception.stem", "151", "inception.input_size",
                      "160", NULL);
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.arch.stem, INC_STEM_151);
    ck_assert_int_eq(cfg.arch.first_stride, 1);
    ck_assert_int_eq(cfg.arch.stem_pool, 1);
    ck_assert_int_eq(cfg.arch.aux, INC_AUX_NONE);
    ck_assert_int_eq(cfg.input_h, 160); /* an explicit size wins over the stem's */
    inc_config_free(&cfg);
    free(buf);

    buf = config_file(10, 2048, 1, 1, &size, "inception.aux_head", "plain", NULL);
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.arch.aux, INC_AUX_PLAIN);
    inc_config_free(&cfg);
    free(buf);

    struct {
        int aux;
        const char *key, *value;
        inception_status want;
        const char *needle, *needle2;
    } bad[] = {
        {1, "inception.stem", "150", INCEPTION_ERR_FORMAT, "inception.stem", "299, 151 or 79"},
        {1, "inception.stem", "", INCEPTION_ERR_FORMAT, "inception.stem", "299, 151 or 79"},
        {1, "inception.stem", "299 ", INCEPTION_ERR_FORMAT, "inception.stem", "299, 151 or 79"},
        {1, "inception.stem_conv", "5x5", INCEPTION_ERR_FORMAT, "inception.stem_conv", "3x3 or 7x7"},
        {1, "inception.stem_conv", "7X7", INCEPTION_ERR_FORMAT, "inception.stem_conv", "3x3 or 7x7"},
        {1, "inception.stem_conv", "7x7", INCEPTION_ERR_MISSING_TENSOR, "Conv2d_1a_7x7", "7x7"},
        {1, "inception.aux_head", "batchnorm", INCEPTION_ERR_FORMAT, "inception.aux_head",
         "plain or bn"},
        {1, "inception.aux_head", "bn", INCEPTION_ERR_MISSING_TENSOR, "AuxLogits.fc_bn", "bn"},
        {0, "inception.aux_head", "none", INCEPTION_ERR_FORMAT, "inception.aux_head", "plain or bn"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf = config_file(10, 2048, bad[i].aux, 1, &size, bad[i].key, bad[i].value, NULL);
        ck_assert_msg(config_of(buf, size, NULL, &cfg) == bad[i].want, "case %zu: %s", i,
                      inc_error_message());
        ASSERT_MSG_HAS(bad[i].needle);
        ASSERT_MSG_HAS(bad[i].needle2);
        free(buf);
    }
}
END_TEST

START_TEST(cfg_errors) {
    struct {
        int64_t classes, width;
        const char *key, *value;
        inception_status want;
        const char *needle;
    } cases[] = {
        {10, 2048, "inception.format_version", "2", INCEPTION_ERR_UNSUPPORTED, "version 2"},
        {10, 2048, "inception.format_version", "1.0", INCEPTION_ERR_FORMAT, "inception.format_version"},
        {10, 2048, "inception.format_version", "0", INCEPTION_ERR_FORMAT, "inception.format_version"},
        {10, 2048, "inception.classes", "11", INCEPTION_ERR_SHAPE, "inception.classes"},
        {10, 2048, "inception.classes", "ten", INCEPTION_ERR_FORMAT, "inception.classes"},
        {10, 2048, "inception.label_offset", "2", INCEPTION_ERR_FORMAT, "inception.label_offset"},
        {10, 2048, "inception.label_offset", "-1", INCEPTION_ERR_FORMAT, "inception.label_offset"},
        {1, 2048, "inception.label_offset", "1", INCEPTION_ERR_FORMAT, "label offset"},
        {10, 2048, "inception.mean", "0.5,0.5", INCEPTION_ERR_FORMAT, "inception.mean"},
        {10, 2048, "inception.mean", "0.5,0.5,0.5,0.5", INCEPTION_ERR_FORMAT, "inception.mean"},
        {10, 2048, "inception.mean", "0,5;0,5;0,5", INCEPTION_ERR_FORMAT, "inception.mean"},
        {10, 2048, "inception.mean", "nan,0,0", INCEPTION_ERR_FORMAT, "inception.mean"},
        {10, 2048, "inception.mean", "1e999,0,0", INCEPTION_ERR_FORMAT, "inception.mean"},
        {10, 2048, "inception.std", "0,1,1", INCEPTION_ERR_FORMAT, "inception.std"},
        {10, 2048, "inception.std", "1,-1,1", INCEPTION_ERR_FORMAT, "inception.std"},
        {10, 2048, "inception.preset", "keras", INCEPTION_ERR_FORMAT, "inception.preset"},
        {10, 2048, "inception.input_size", "74", INCEPTION_ERR_FORMAT, "inception.input_size"},
        {10, 2048, "inception.input_size", "299,74", INCEPTION_ERR_FORMAT, "inception.input_size"},
        {10, 2048, "inception.input_size", "299x299", INCEPTION_ERR_FORMAT, "inception.input_size"},
        {10, 2048, "inception.input_size", "99999999999999999999", INCEPTION_ERR_FORMAT,
         "inception.input_size"},
        {10, 2048, "inception.pool_include_pad", "1", INCEPTION_ERR_FORMAT,
         "inception.pool_include_pad"},
        {10, 2048, "inception.bn_gamma", "yes", INCEPTION_ERR_FORMAT, "inception.bn_gamma"},
        {10, 2048, "inception.labels", "a\nb", INCEPTION_ERR_FORMAT, "inception.labels"},
        {10, 2048, "inception.labels", "", INCEPTION_ERR_FORMAT, "inception.labels"},
        {2, 2048, "inception.labels", "a\nb\nc", INCEPTION_ERR_FORMAT, "inception.labels"},
        {2, 2048, "inception.labels", "a\n\n", INCEPTION_ERR_FORMAT, "inception.labels"},
        {10, 2048, "inception.crc32", "1234567", INCEPTION_ERR_FORMAT, "inception.crc32"},
        {10, 2048, "inception.crc32", "0x123456", INCEPTION_ERR_FORMAT, "inception.crc32"},
        {10, 2048, "inception.crc32", "123456789", INCEPTION_ERR_FORMAT, "inception.crc32"},
        {10, 1024, NULL, NULL, INCEPTION_ERR_SHAPE, "'fc.weight'"},
        {0, 2048, NULL, NULL, INCEPTION_ERR_SHAPE, "'fc.weight'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t size;
        uint8_t *buf = config_file(cases[i].classes, cases[i].width, 0, 0, &size, cases[i].key,
                                   cases[i].value, NULL);
        inc_config cfg;
        memset(&cfg, 0x5A, sizeof cfg);
        inc_safetensors st;
        ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
        inception_status s = inc_config_read(&st, NULL, &cfg);
        ck_assert_msg(s == cases[i].want, "case %zu: status %d (%s)", i, s, inc_error_message());
        ck_assert_msg(strstr(inc_error_message(), cases[i].needle) != NULL,
                      "case %zu: '%s' lacks '%s'", i, inc_error_message(), cases[i].needle);
        ck_assert_int_eq(((uint8_t *)&cfg)[0], 0x5A); /* untouched */
        inc_st_free(&st);
        free(buf);
    }

    /* fc.weight missing or of the wrong rank */
    inc_config cfg;
    ck_assert_int_eq(parse_header_str("{}", 0), INCEPTION_OK);
    size_t size;
    uint8_t *buf = raw_file("{}", 2, 0, &size);
    inc_safetensors st;
    ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
    /* no fc at all: a feature extractor (issue 10 point 10) */
    ck_assert_int_eq(inc_config_read(&st, NULL, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.has_fc, 0);
    ck_assert_int_eq(cfg.classes, 0);
    ck_assert_int_eq(cfg.has_aux, 0);
    ck_assert_int_eq(cfg.label_offset, 0);
    inc_config_free(&cfg);
    inc_st_free(&st);
    free(buf);
    /* fc.bias without fc.weight is a broken classifier, not a trunk */
    const char *hb = "{\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,20]}}";
    buf = raw_file(hb, strlen(hb), 20, &size);
    ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
    ck_assert_int_eq(inc_config_read(&st, NULL, &cfg), INCEPTION_ERR_MISSING_TENSOR);
    ASSERT_MSG_HAS("'fc.weight'");
    inc_st_free(&st);
    free(buf);
    const char *h = "{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2048],\"data_offsets\":[0,8192]}}";
    buf = raw_file(h, strlen(h), 8192, &size);
    ck_assert_int_eq(inc_st_parse(buf, size, &st), INCEPTION_OK);
    ck_assert_int_eq(inc_config_read(&st, NULL, &cfg), INCEPTION_ERR_SHAPE);
    ASSERT_MSG_HAS("'fc.weight'");
    inc_st_free(&st);
    free(buf);
}
END_TEST

START_TEST(cfg_crc) {
    size_t size;
    uint8_t *buf = config_file(4, 2048, 0, 1, &size, NULL);
    inc_config cfg;
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_OK);
    uint32_t crc = cfg.crc32;
    inc_config_free(&cfg);
    free(buf);

    char good[16], bad[16], upper[16];
    snprintf(good, sizeof good, "%08x", crc);
    snprintf(upper, sizeof upper, "%08X", crc);
    snprintf(bad, sizeof bad, "%08x", crc ^ 0x100u);
    buf = config_file(4, 2048, 0, 1, &size, "inception.crc32", good, NULL);
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.crc_checked, 1);
    ck_assert_uint_eq(cfg.crc32, crc);
    inc_config_free(&cfg);
    /* flip one data byte: the stored CRC no longer matches */
    buf[size - 1] ^= 1;
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_ERR_CHECKSUM);
    ASSERT_MSG_HAS("inception.crc32");
    ASSERT_MSG_HAS(good);
    free(buf);

    buf = config_file(4, 2048, 0, 1, &size, "inception.crc32", upper, NULL);
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.crc_checked, 1);
    inc_config_free(&cfg);
    free(buf);

    buf = config_file(4, 2048, 0, 1, &size, "inception.crc32", bad, NULL);
    ck_assert_int_eq(config_of(buf, size, NULL, &cfg), INCEPTION_ERR_CHECKSUM);
    ASSERT_MSG_HAS(bad);
    inception_options o = no_opts();
    o.skip_checksum = 1;
    ck_assert_int_eq(config_of(buf, size, &o, &cfg), INCEPTION_OK);
    ck_assert_int_eq(cfg.crc_checked, 0);
    ck_assert_uint_eq(cfg.crc32, crc);
    inc_config_free(&cfg);
    free(buf);
}
END_TEST

/* Fail every allocation in turn: each attempt reports OUT_OF_MEMORY and leaks nothing
 * (run under valgrind to see the second half). */
START_TEST(alloc_failures) {
    conv_case c;
    conv_case_make(&c, 3, 4, 3, 3, 5);
    builder b;
    b_init(&b);
    b_conv(&b, "Conv2d_1a_3x3", &c, NULL);
    b_meta(&b, "inception.labels", "a\nb\nc\nd");
    b_meta(&b, "inception.name", "n");
    int64_t s[2] = {4, 2048};
    b_tensor(&b, "fc.weight", "F16", 2, s, NULL, 4 * 2048 * 2);
    size_t size;
    uint8_t *buf = b_finish(&b, &size);
    int done = 0;
    for (int64_t k = 0; !done; k++) {
        ck_assert_int_lt(k, 100000);
        inc_alloc_fail_after(k);
        inc_safetensors st;
        inception_status s1 = inc_st_parse(buf, size, &st);
        if (s1) {
            inc_alloc_fail_after(-1);
            ck_assert_int_eq(s1, INCEPTION_ERR_OUT_OF_MEMORY);
            continue;
        }
        inc_config cfg;
        inception_status s2 = inc_config_read(&st, NULL, &cfg);
        float *w = NULL, *bias = NULL;
        inception_status s3 = s2 ? s2 : inc_load_conv(&st, &cfg, "Conv2d_1a_3x3", 3, 4, 3, 3,
                                                      &w, &bias);
        inc_alloc_fail_after(-1);
        if (s2 == INCEPTION_OK) {
            ck_assert_int_eq(cfg.n_labels, 4);
            inc_config_free(&cfg);
        }
        if (s3 == INCEPTION_OK) {
            free(w);
            free(bias);
            done = 1;
        } else {
            ck_assert_int_eq(s3, INCEPTION_ERR_OUT_OF_MEMORY);
        }
        inc_st_free(&st);
    }
    free(buf);
    b_free(&b);
    conv_case_free(&c);
}
END_TEST

/* ---------------------------------------------------------------------------------- */
/* Files                                                                                */

START_TEST(file_read) {
    char dir[] = "/tmp/inc_model_testXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    uint8_t bytes[1000];
    for (int i = 0; i < 1000; i++) bytes[i] = (uint8_t)(i * 31);
    fwrite(bytes, 1, sizeof bytes, f);
    fclose(f);
    inc_file_buf fb;
    ck_assert_int_eq(inc_file_read(path, &fb), INCEPTION_OK);
    ck_assert_uint_eq(fb.size, 1000);
    ck_assert_int_eq(memcmp(fb.data, bytes, 1000), 0);
    inc_file_release(&fb);
    inc_file_release(&fb);

    /* empty file: fine here, rejected by the parser */
    char empty[256];
    snprintf(empty, sizeof empty, "%s/empty", dir);
    f = fopen(empty, "wb");
    fclose(f);
    ck_assert_int_eq(inc_file_read(empty, &fb), INCEPTION_OK);
    ck_assert_uint_eq(fb.size, 0);
    inc_safetensors st;
    ck_assert_int_eq(inc_st_parse(fb.data, fb.size, &st), INCEPTION_ERR_FORMAT);
    inc_file_release(&fb);

    /* not a regular file: refused, since /dev/zero or a FIFO would never end */
    ck_assert_int_eq(inc_file_read("/dev/zero", &fb), INCEPTION_ERR_IO);
    ASSERT_MSG_HAS("not a regular file");

    memset(&fb, 0x11, sizeof fb);
    ck_assert_int_eq(inc_file_read(dir, &fb), INCEPTION_ERR_IO);
    ASSERT_MSG_HAS(dir);
    ASSERT_MSG_HAS("directory");
    ck_assert_int_eq(((uint8_t *)&fb)[0], 0x11);
    char missing[256];
    snprintf(missing, sizeof missing, "%s/missing.safetensors", dir);
    ck_assert_int_eq(inc_file_read(missing, &fb), INCEPTION_ERR_IO);
    ASSERT_MSG_HAS(missing);
    ck_assert_int_eq(inc_file_read(NULL, &fb), INCEPTION_ERR_INVALID_ARGUMENT);

    unlink(path);
    unlink(empty);
    rmdir(dir);
}
END_TEST

static Suite *model_suite(void) {
    Suite *s = suite_create("model");
    TCase *t = tcase_create("safetensors");
    tcase_add_test(t, st_valid_minimal);
    tcase_add_test(t, st_header_length);
    tcase_add_test(t, st_not_safetensors);
    tcase_add_test(t, st_truncated);
    tcase_add_test(t, st_bad_json);
    tcase_add_test(t, st_json_values);
    tcase_add_test(t, st_non_utf8);
    tcase_add_test(t, st_deep_nesting);
    tcase_add_test(t, st_offsets);
    tcase_add_test(t, st_dtypes);
    tcase_add_test(t, st_mutations);
    suite_add_tcase(s, t);
    t = tcase_create("weights");
    tcase_add_test(t, w_f16_exhaustive);
    tcase_add_test(t, w_bf16_exhaustive);
    tcase_add_test(t, w_bn_fold);
    tcase_add_test(t, w_conv_errors);
    tcase_add_test(t, w_fc);
    suite_add_tcase(s, t);
    t = tcase_create("config");
    tcase_add_test(t, cfg_defaults);
    tcase_add_test(t, cfg_metadata);
    tcase_add_test(t, cfg_errors);
    tcase_add_test(t, cfg_arch);
    tcase_add_test(t, cfg_crc);
    tcase_add_test(t, alloc_failures);
    suite_add_tcase(s, t);
    t = tcase_create("file");
    tcase_add_test(t, file_read);
    suite_add_tcase(s, t);
    return s;
}

int main(void) {
    SRunner *r = srunner_create(model_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

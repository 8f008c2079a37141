#include "model/json.h"

#include <string.h>

typedef struct parser {
    const uint8_t *s;
    size_t n;
    size_t pos;
    size_t values;
} parser;

static inception_status fail(size_t pos, const char *what) {
    return inc_error(INCEPTION_ERR_FORMAT, "safetensors header: JSON: %s at byte %zu", what, pos);
}

static void skip_ws(parser *p) {
    while (p->pos < p->n) {
        uint8_t c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0. Follows RFC 3629 table 3-7:
 * the second byte's range excludes overlongs (E0, F0) and surrogates (ED), and F4 stops
 * at U+10FFFF. */
static size_t utf8_seq(const uint8_t *s, size_t n) {
    uint8_t c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return len;
}

int inc_utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(s + i, n - i);
        if (k == 0) return 0;
        i += k;
    }
    return 1;
}

static int hex4(const uint8_t *s, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = s[i];
        uint32_t d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return 0;
        v = v * 16 + d;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(uint8_t *d, uint32_t cp) {
    if (cp < 0x80) {
        d[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (uint8_t)(0xC0 | (cp >> 6));
        d[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (uint8_t)(0xE0 | (cp >> 12));
        d[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (uint8_t)(0xF0 | (cp >> 18));
    d[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* p->pos is at the opening quote. The decoded string is never longer than its source
 * span (every escape shrinks or keeps its length), so one allocation of the span size
 * suffices; the span is found first so the size is known before allocating. */
static inception_status parse_string(parser *p, char **out, size_t *out_len) {
    size_t start = p->pos + 1, end = start;
    while (end < p->n && p->s[end] != '"') end += (p->s[end] == '\\') ? 2 : 1;
    if (end >= p->n) return fail(p->pos, "unterminated string");

    uint8_t *d = inc_malloc(end - start + 1);
    if (!d) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "safetensors header: JSON string");
    size_t o = 0, i = start;
    while (i < end) {
        uint8_t c = p->s[i];
        if (c < 0x20) {
            inc_free(d);
            return fail(i, "control character in string");
        }
        if (c >= 0x80) {
            size_t k = utf8_seq(p->s + i, end - i);
            if (k == 0) {
                inc_free(d);
                return fail(i, "invalid UTF-8 in string");
            }
            memcpy(d + o, p->s + i, k);
            o += k;
            i += k;
            continue;
        }
        if (c != '\\') {
            d[o++] = c;
            i++;
            continue;
        }
        /* escape: the span scan guarantees p->s[i + 1] exists and is before `end` */
        uint8_t e = p->s[i + 1];
        const char *simple = "\"\"\\\\//b\bf\fn\nr\rt\t";
        const char *hit = NULL;
        for (const char *t = simple; *t; t += 2)
            if ((uint8_t)t[0] == e) hit = t;
        if (hit) {
            d[o++] = (uint8_t)hit[1];
            i += 2;
            continue;
        }
        if (e != 'u') {
            inc_free(d);
            return fail(i, "invalid escape in string");
        }
        uint32_t cp;
        if (end - i < 6 || !hex4(p->s + i + 2, &cp)) {
            inc_free(d);
            return fail(i, "invalid \\u escape");
        }
        size_t esc_at = i;
        i += 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            inc_free(d);
            return fail(esc_at, "unpaired low surrogate");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (end - i < 6 || p->s[i] != '\\' || p->s[i + 1] != 'u' ||
                !hex4(p->s + i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                inc_free(d);
                return fail(esc_at, "unpaired high surrogate");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
        }
        if (cp == 0) {
            inc_free(d);
            return fail(esc_at, "\\u0000 in string");
        }
        o += put_utf8(d + o, cp);
    }
    d[o] = 0;
    p->pos = end + 1;
    *out = (char *)d;
    *out_len = o;
    return INCEPTION_OK;
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static inception_status parse_number(parser *p, inc_json *v) {
    size_t start = p->pos, i = p->pos;
    int neg = 0;
    if (i < p->n && p->s[i] == '-') {
        neg = 1;
        i++;
    }
    if (i >= p->n || !is_digit(p->s[i])) return fail(start, "invalid number");
    if (p->s[i] == '0' && i + 1 < p->n && is_digit(p->s[i + 1]))
        return fail(start, "leading zero in number");
    uint64_t mag = 0;
    int overflow = 0;
    while (i < p->n && is_digit(p->s[i])) {
        uint64_t dgt = p->s[i] - '0';
        if (mag > (UINT64_MAX - dgt) / 10) overflow = 1;
        else mag = mag * 10 + dgt;
        i++;
    }
    int is_float = 0;
    if (i < p->n && p->s[i] == '.') {
        i++;
        if (i >= p->n || !is_digit(p->s[i])) return fail(start, "invalid number");
        while (i < p->n && is_digit(p->s[i])) i++;
        is_float = 1;
    }
    if (i < p->n && (p->s[i] == 'e' || p->s[i] == 'E')) {
        i++;
        if (i < p->n && (p->s[i] == '+' || p->s[i] == '-')) i++;
        if (i >= p->n || !is_digit(p->s[i])) return fail(start, "invalid number");
        while (i < p->n && is_digit(p->s[i])) i++;
        is_float = 1;
    }
    p->pos = i;
    if (is_float) {
        v->type = INC_JSON_FLOAT;
        return INCEPTION_OK;
    }
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (overflow || mag > limit) return fail(start, "integer out of range");
    v->type = INC_JSON_INT;
    /* -(2^63) is representable; compute it without overflowing */
    v->integer = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag)
                     : (int64_t)mag;
    return INCEPTION_OK;
}

static int literal(parser *p, const char *word) {
    size_t k = strlen(word);
    if (p->n - p->pos < k || memcmp(p->s + p->pos, word, k) != 0) return 0;
    p->pos += k;
    return 1;
}

static inception_status parse_value(parser *p, inc_json *v, int depth);

/* Arrays and objects: members are appended to geometrically grown arrays. */
static inception_status parse_container(parser *p, inc_json *v, int depth, int is_obj) {
    uint8_t close = is_obj ? '}' : ']';
    size_t cap = 0;
    v->type = is_obj ? INC_JSON_OBJECT : INC_JSON_ARRAY;
    if (depth >= INC_JSON_MAX_DEPTH) return fail(p->pos, "nesting too deep");
    p->pos++;
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == close) {
        p->pos++;
        return INCEPTION_OK;
    }
    for (;;) {
        if (v->len == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            inc_json *items = inc_realloc(v->items, ncap * sizeof *items);
            if (!items) goto oom;
            v->items = items;
            if (is_obj) {
                char **keys = inc_realloc(v->keys, ncap * sizeof *keys);
                if (!keys) goto oom;
                v->keys = keys;
            }
            cap = ncap;
        }
        char *key = NULL;
        if (is_obj) {
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != '"')
                return fail(p->pos, "expected a string key");
            size_t klen;
            inception_status st = parse_string(p, &key, &klen);
            if (st) return st;
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != ':') {
                inc_free(key);
                return fail(p->pos, "expected ':'");
            }
            p->pos++;
        }
        inc_json *item = &v->items[v->len];
        memset(item, 0, sizeof *item);
        inception_status st = parse_value(p, item, depth + 1);
        /* count the member even on failure so inc_json_free releases its parts */
        if (is_obj) v->keys[v->len] = key;
        v->len++;
        if (st) return st;
        skip_ws(p);
        if (p->pos >= p->n) return fail(p->pos, "unexpected end of text");
        if (p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->s[p->pos] == close) {
            p->pos++;
            return INCEPTION_OK;
        }
        return fail(p->pos, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
oom:
    return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "safetensors header: JSON container");
}

static inception_status parse_value(parser *p, inc_json *v, int depth) {
    skip_ws(p);
    v->pos = p->pos;
    if (p->pos >= p->n) return fail(p->pos, "unexpected end of text");
    if (++p->values > INC_JSON_MAX_VALUES) return fail(p->pos, "too many values");
    uint8_t c = p->s[p->pos];
    switch (c) {
    case '{': return parse_container(p, v, depth, 1);
    case '[': return parse_container(p, v, depth, 0);
    case '"':
        v->type = INC_JSON_STRING;
        return parse_string(p, &v->str, &v->len);
    case 't':
    case 'f':
        if (literal(p, c == 't' ? "true" : "false")) {
            v->type = INC_JSON_BOOL;
            v->boolean = c == 't';
            return INCEPTION_OK;
        }
        break;
    case 'n':
        if (literal(p, "null")) {
            v->type = INC_JSON_NULL;
            return INCEPTION_OK;
        }
        break;
    default:
        if (c == '-' || is_digit(c)) return parse_number(p, v);
        break;
    }
    return fail(p->pos, "unexpected character");
}

inception_status inc_json_parse(const char *text, size_t size, inc_json *out) {
    parser p = {(const uint8_t *)text, size, 0, 0};
    inc_json v;
    memset(&v, 0, sizeof v);
    inception_status st = parse_value(&p, &v, 0);
    if (st == INCEPTION_OK) {
        skip_ws(&p);
        if (p.pos != p.n) st = fail(p.pos, "trailing characters after the top-level value");
    }
    if (st) {
        inc_json_free(&v);
        return st;
    }
    *out = v;
    return INCEPTION_OK;
}

/* Nesting is bounded by INC_JSON_MAX_DEPTH, so this recursion is too. */
void inc_json_free(inc_json *v) {
    if (!v) return;
    inc_free(v->str);
    if (v->type == INC_JSON_ARRAY || v->type == INC_JSON_OBJECT) {
        for (size_t i = 0; i < v->len; i++) {
            inc_json_free(&v->items[i]);
            if (v->keys) inc_free(v->keys[i]);
        }
    }
    inc_free(v->items);
    inc_free(v->keys);
    memset(v, 0, sizeof *v);
}

const inc_json *inc_json_get(const inc_json *obj, const char *key) {
    if (!obj || obj->type != INC_JSON_OBJECT) return NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (obj->keys[i] && strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

const char *inc_json_type_name(inc_json_type type) {
    switch (type) {
    case INC_JSON_NULL: return "null";
    case INC_JSON_BOOL: return "a boolean";
    case INC_JSON_INT: return "an integer";
    case INC_JSON_FLOAT: return "a number";
    case INC_JSON_STRING: return "a string";
    case INC_JSON_ARRAY: return "an array";
    case INC_JSON_OBJECT: return "an object";
    }
    return "a value";
}

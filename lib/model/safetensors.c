/* safetensors: u64 little-endian header length N, N bytes of JSON, then the data section.
 * Everything read from the header is checked before it is used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/json.h"
#include "model/model.h"

/* Real headers are a few tens of KB; the cap bounds what a hostile file makes us parse. */
#define INC_ST_MAX_HEADER ((uint64_t)100 << 20)

typedef struct dtype_info {
    const char *name;
    inc_dtype dtype;
    int32_t size;
} dtype_info;

static const dtype_info dtypes[] = {
    {"F32", INC_F32, 4},      {"F16", INC_F16, 2},     {"BF16", INC_BF16, 2},
    {"F64", INC_OTHER, 8},    {"I64", INC_OTHER, 8},   {"I32", INC_OTHER, 4},
    {"I16", INC_OTHER, 2},    {"I8", INC_OTHER, 1},    {"U64", INC_OTHER, 8},
    {"U32", INC_OTHER, 4},    {"U16", INC_OTHER, 2},   {"U8", INC_OTHER, 1},
    {"BOOL", INC_OTHER, 1},   {"F8_E4M3", INC_OTHER, 1}, {"F8_E5M2", INC_OTHER, 1},
    {"C64", INC_OTHER, 8},
};

static int cmp_tensor_name(const void *a, const void *b) {
    return strcmp(((const inc_st_tensor *)a)->name, ((const inc_st_tensor *)b)->name);
}

static int cmp_meta_key(const void *a, const void *b) {
    return strcmp(((const inc_st_meta *)a)->key, ((const inc_st_meta *)b)->key);
}

static int cmp_range(const void *a, const void *b) {
    const inc_st_tensor *x = *(const inc_st_tensor *const *)a;
    const inc_st_tensor *y = *(const inc_st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

static inception_status read_meta(inc_json *obj, inc_safetensors *st) {
    if (obj->type != INC_JSON_OBJECT)
        return inc_error(INCEPTION_ERR_FORMAT,
                         "safetensors header: __metadata__ is %s, expected an object",
                         inc_json_type_name(obj->type));
    st->meta = inc_calloc(obj->len, sizeof *st->meta);
    if (!st->meta) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "safetensors metadata");
    for (size_t i = 0; i < obj->len; i++) {
        const inc_json *v = &obj->items[i];
        if (v->type != INC_JSON_STRING)
            return inc_error(INCEPTION_ERR_FORMAT,
                             "safetensors header: __metadata__ value of '%s' is %s, "
                             "expected a string", obj->keys[i], inc_json_type_name(v->type));
        inc_st_meta *m = &st->meta[st->n_meta];
        /* moved out of the JSON tree; inc_json_free skips the NULLs */
        m->key = obj->keys[i];
        m->value = v->str;
        obj->keys[i] = NULL;
        obj->items[i].str = NULL;
        st->n_meta++;
    }
    if (st->n_meta > 1) qsort(st->meta, st->n_meta, sizeof *st->meta, cmp_meta_key);
    for (size_t i = 1; i < st->n_meta; i++)
        if (strcmp(st->meta[i - 1].key, st->meta[i].key) == 0)
            return inc_error(INCEPTION_ERR_FORMAT,
                             "safetensors header: duplicate __metadata__ key '%s'",
                             st->meta[i].key);
    return INCEPTION_OK;
}

/* A non-negative JSON integer, as size_t. */
static int get_size(const inc_json *v, size_t *out) {
    if (v->type != INC_JSON_INT || v->integer < 0) return 0;
    if ((uint64_t)v->integer > SIZE_MAX) return 0;
    *out = (size_t)v->integer;
    return 1;
}

static inception_status read_tensor(const char *name, const inc_json *v, size_t data_size,
                                    inc_st_tensor *t) {
    if (v->type != INC_JSON_OBJECT)
        return inc_error(INCEPTION_ERR_FORMAT, "tensor '%s': entry is %s, expected an object",
                         name, inc_json_type_name(v->type));
    const char *fields[3] = {"dtype", "shape", "data_offsets"};
    const inc_json *f[3];
    for (int k = 0; k < 3; k++) {
        f[k] = NULL;
        for (size_t i = 0; i < v->len; i++) {
            if (strcmp(v->keys[i], fields[k]) != 0) continue;
            if (f[k])
                return inc_error(INCEPTION_ERR_FORMAT, "tensor '%s': duplicate field '%s'",
                                 name, fields[k]);
            f[k] = &v->items[i];
        }
        if (!f[k])
            return inc_error(INCEPTION_ERR_FORMAT, "tensor '%s': missing field '%s'", name,
                             fields[k]);
    }
    const inc_json *jd = f[0], *js = f[1], *jo = f[2];

    if (jd->type != INC_JSON_STRING)
        return inc_error(INCEPTION_ERR_FORMAT, "tensor '%s': dtype is %s, expected a string",
                         name, inc_json_type_name(jd->type));
    const dtype_info *di = NULL;
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(jd->str, dtypes[i].name) == 0) di = &dtypes[i];
    if (!di)
        return inc_error(INCEPTION_ERR_DTYPE, "tensor '%s': unknown dtype '%s'", name, jd->str);
    t->dtype = di->dtype;
    t->elem_size = di->size;
    t->is_i8 = strcmp(di->name, "I8") == 0;
    t->dtype_name = di->name;

    if (js->type != INC_JSON_ARRAY)
        return inc_error(INCEPTION_ERR_FORMAT, "tensor '%s': shape is %s, expected an array",
                         name, inc_json_type_name(js->type));
    if (js->len > INC_MAX_RANK)
        return inc_error(INCEPTION_ERR_FORMAT, "tensor '%s': rank %zu exceeds the maximum %d",
                         name, js->len, INC_MAX_RANK);
    t->rank = (int32_t)js->len;
    int zero = 0;
    for (size_t i = 0; i < js->len; i++) {
        size_t d;
        if (!get_size(&js->items[i], &d))
            return inc_error(INCEPTION_ERR_FORMAT,
                             "tensor '%s': shape[%zu] is not a non-negative integer", name, i);
        t->shape[i] = js->items[i].integer;
        if (d == 0) zero = 1;
    }
    /* a zero dimension makes the tensor empty whatever the others say */
    size_t bytes = zero ? 0 : (size_t)di->size;
    for (size_t i = 0; i < js->len && !zero; i++)
        if (!inc_mul_size(bytes, (size_t)t->shape[i], &bytes))
            return inc_error(INCEPTION_ERR_FORMAT, "tensor '%s': shape size overflows", name);

    if (jo->type != INC_JSON_ARRAY || jo->len != 2)
        return inc_error(INCEPTION_ERR_FORMAT,
                         "tensor '%s': data_offsets must be an array of two integers", name);
    if (!get_size(&jo->items[0], &t->begin) || !get_size(&jo->items[1], &t->end))
        return inc_error(INCEPTION_ERR_FORMAT,
                         "tensor '%s': data_offsets are not non-negative integers", name);
    if (t->begin > t->end)
        return inc_error(INCEPTION_ERR_FORMAT, "tensor '%s': data_offsets begin %zu > end %zu",
                         name, t->begin, t->end);
    if (t->end > data_size)
        return inc_error(INCEPTION_ERR_FORMAT,
                         "tensor '%s': data_offsets [%zu, %zu] exceed the data section of "
                         "%zu bytes", name, t->begin, t->end, data_size);
    if (t->end - t->begin != bytes)
        return inc_error(INCEPTION_ERR_FORMAT,
                         "tensor '%s': data_offsets span %zu bytes but dtype and shape need %zu",
                         name, t->end - t->begin, bytes);
    return INCEPTION_OK;
}

static inception_status check_overlaps(const inc_safetensors *st) {
    if (st->n_tensors < 2) return INCEPTION_OK;
    const inc_st_tensor **order = inc_malloc(st->n_tensors * sizeof *order);
    if (!order) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "safetensors overlap check");
    for (size_t i = 0; i < st->n_tensors; i++) order[i] = &st->tensors[i];
    qsort(order, st->n_tensors, sizeof *order, cmp_range);
    inception_status status = INCEPTION_OK;
    const inc_st_tensor *last = NULL; /* the non-empty tensor reaching furthest so far */
    for (size_t i = 0; i < st->n_tensors; i++) {
        const inc_st_tensor *t = order[i];
        if (t->begin == t->end) continue;
        if (last && t->begin < last->end) {
            status = inc_error(INCEPTION_ERR_FORMAT,
                               "tensors '%s' [%zu, %zu] and '%s' [%zu, %zu] overlap",
                               last->name, last->begin, last->end, t->name, t->begin, t->end);
            break;
        }
        if (!last || t->end > last->end) last = t;
    }
    inc_free(order);
    return status;
}

static inception_status parse_header(inc_json *root, inc_safetensors *st) {
    if (root->type != INC_JSON_OBJECT)
        return inc_error(INCEPTION_ERR_FORMAT, "safetensors header is %s, expected an object",
                         inc_json_type_name(root->type));
    st->tensors = inc_calloc(root->len, sizeof *st->tensors);
    if (!st->tensors) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "safetensors tensors");
    int have_meta = 0;
    for (size_t i = 0; i < root->len; i++) {
        const char *name = root->keys[i];
        if (strcmp(name, "__metadata__") == 0) {
            if (have_meta)
                return inc_error(INCEPTION_ERR_FORMAT,
                                 "safetensors header: duplicate __metadata__");
            have_meta = 1;
            inception_status s = read_meta(&root->items[i], st);
            if (s) return s;
            continue;
        }
        if (name[0] == '\0')
            return inc_error(INCEPTION_ERR_FORMAT, "safetensors header: empty tensor name");
        inc_st_tensor *t = &st->tensors[st->n_tensors];
        inception_status s = read_tensor(name, &root->items[i], st->data_size, t);
        if (s) return s;
        t->name = root->keys[i];
        root->keys[i] = NULL;
        st->n_tensors++;
    }
    if (st->n_tensors > 1) qsort(st->tensors, st->n_tensors, sizeof *st->tensors, cmp_tensor_name);
    for (size_t i = 1; i < st->n_tensors; i++)
        if (strcmp(st->tensors[i - 1].name, st->tensors[i].name) == 0)
            return inc_error(INCEPTION_ERR_FORMAT, "safetensors header: duplicate tensor '%s'",
                             st->tensors[i].name);
    return check_overlaps(st);
}

/* Well-known file signatures: a photo or an archive given as the model should be named as
 * such, not reported as an absurd header length. Consulted only when the bytes do not
 * look like safetensors (a bad length or no '{' after it), so a real file whose length
 * happens to begin with one of these bytes still loads. */
static const struct {
    const char *magic;
    size_t len;
    const char *what;
} signatures[] = {
    {"\xFF\xD8\xFF", 3, "a JPEG"},
    {"\x89PNG", 4, "a PNG"},
    {"PK\x03\x04", 4, "a zip archive, e.g. a PyTorch .pth"},
    {"\x1F\x8B", 2, "a gzip file"},
    {"GIF8", 4, "a GIF"},
    {"RIFF", 4, "a RIFF (WebP, WAV) file"},
    {"BM", 2, "a BMP"},
    {"%PDF", 4, "a PDF"},
    {"\x7F" "ELF", 4, "an executable"},
    {"\x80\x02", 2, "a Python pickle (legacy .pth)"},
};

static inception_status sniff(const uint8_t *buf, size_t size) {
    for (size_t i = 0; i < sizeof signatures / sizeof signatures[0]; i++)
        if (size >= signatures[i].len && memcmp(buf, signatures[i].magic, signatures[i].len) == 0) {
            char hex[16] = "";
            size_t o = 0;
            for (size_t k = 0; k < signatures[i].len && k < 3; k++)
                o += (size_t)snprintf(hex + o, sizeof hex - o, k ? " %02X" : "%02X", buf[k]);
            return inc_error(INCEPTION_ERR_FORMAT, "not a safetensors file (starts with %s, %s?)",
                             hex, signatures[i].what);
        }
    /* A real header is JSON right after the 8 length bytes: '{' (maybe after spaces).
     * Text files start with printable bytes where the length's high bytes are zero. */
    int printable = 1;
    for (size_t k = 0; k < 8; k++)
        printable &= (buf[k] >= 0x20 && buf[k] < 0x7F) || buf[k] == '\n' || buf[k] == '\r' ||
                     buf[k] == '\t';
    if (printable) {
        char head[9];
        for (size_t k = 0; k < 8; k++) head[k] = buf[k] < 0x20 ? ' ' : (char)buf[k];
        head[8] = '\0';
        return inc_error(INCEPTION_ERR_FORMAT,
                         "not a safetensors file (starts with text \"%s\", a text file?)", head);
    }
    return INCEPTION_OK;
}

inception_status inc_st_parse(const uint8_t *buf, size_t size, inc_safetensors *out) {
    if (!buf && size) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "NULL model buffer");
    if (size < 8)
        return inc_error(INCEPTION_ERR_FORMAT,
                         "not a safetensors file: %zu bytes, too short for the header length",
                         size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | buf[i];
    if (n == 0 || n > INC_ST_MAX_HEADER || n > size - 8 || buf[8] != '{') {
        inception_status sniffed = sniff(buf, size);
        if (sniffed) return sniffed;
    }
    if (n == 0) return inc_error(INCEPTION_ERR_FORMAT, "safetensors header length is 0");
    if (n > INC_ST_MAX_HEADER)
        return inc_error(INCEPTION_ERR_FORMAT,
                         "safetensors header length %llu exceeds the limit of %llu bytes",
                         (unsigned long long)n, (unsigned long long)INC_ST_MAX_HEADER);
    if (n > size - 8)
        return inc_error(INCEPTION_ERR_FORMAT,
                         "safetensors header length %llu exceeds the %zu bytes after it "
                         "(truncated file?)", (unsigned long long)n, size - 8);

    inc_json root;
    inception_status s = inc_json_parse((const char *)buf + 8, (size_t)n, &root);
    if (s) return s;
    inc_safetensors st;
    memset(&st, 0, sizeof st);
    st.data = buf + 8 + n;
    st.data_size = size - 8 - (size_t)n;
    s = parse_header(&root, &st);
    inc_json_free(&root);
    if (s) {
        inc_st_free(&st);
        return s;
    }
    *out = st;
    return INCEPTION_OK;
}

void inc_st_free(inc_safetensors *st) {
    if (!st) return;
    for (size_t i = 0; i < st->n_tensors; i++) inc_free(st->tensors[i].name);
    for (size_t i = 0; i < st->n_meta; i++) {
        inc_free(st->meta[i].key);
        inc_free(st->meta[i].value);
    }
    inc_free(st->tensors);
    inc_free(st->meta);
    memset(st, 0, sizeof *st);
}

const inc_st_tensor *inc_st_find(const inc_safetensors *st, const char *name) {
    if (!st || !name || st->n_tensors == 0) return NULL;
    inc_st_tensor key;
    key.name = (char *)name;
    return bsearch(&key, st->tensors, st->n_tensors, sizeof key, cmp_tensor_name);
}

const char *inc_st_meta_get(const inc_safetensors *st, const char *key) {
    if (!st || !key || st->n_meta == 0) return NULL;
    inc_st_meta k;
    k.key = (char *)key;
    const inc_st_meta *m = bsearch(&k, st->meta, st->n_meta, sizeof k, cmp_meta_key);
    return m ? m->value : NULL;
}

/* A small strict JSON reader for safetensors headers (RFC 8259 with limits).
 *
 * Limits, each an INCEPTION_ERR_FORMAT with the byte position when exceeded:
 * nesting depth INC_JSON_MAX_DEPTH, at most INC_JSON_MAX_VALUES values in a document,
 * integers must fit int64_t. Strings must be valid UTF-8 (no overlongs, no surrogates);
 * \uXXXX escapes decode to UTF-8 with surrogate pairs joined, an unpaired surrogate or
 * \u0000 is an error (strings are handed out NUL-terminated). Only JSON whitespace may
 * follow the top-level value (safetensors pads its header with spaces).
 *
 * Not thread-hostile: no globals. Recursion depth is bounded by INC_JSON_MAX_DEPTH. */
#ifndef INC_JSON_H
#define INC_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

#define INC_JSON_MAX_DEPTH 32
#define INC_JSON_MAX_VALUES ((size_t)1 << 20)

typedef enum inc_json_type {
    INC_JSON_NULL = 1,
    INC_JSON_BOOL = 2,
    INC_JSON_INT = 3,    /* a number without fraction or exponent, in int64 range */
    INC_JSON_FLOAT = 4,  /* any other number; its value is not kept */
    INC_JSON_STRING = 5,
    INC_JSON_ARRAY = 6,
    INC_JSON_OBJECT = 7
} inc_json_type;

typedef struct inc_json inc_json;
struct inc_json {
    inc_json_type type;
    size_t pos;          /* byte offset of the value in the parsed text */
    int boolean;
    int64_t integer;
    char *str;           /* STRING: owned, NUL-terminated UTF-8 */
    size_t len;          /* STRING: bytes without the NUL; ARRAY/OBJECT: member count */
    inc_json *items;     /* ARRAY/OBJECT: `len` values */
    char **keys;         /* OBJECT: `len` owned keys, in document order (duplicates kept) */
};

/* Parse `text` (not NUL-terminated) into `*out`. On failure `*out` is untouched and the
 * message says what is wrong and at which byte. */
inception_status inc_json_parse(const char *text, size_t size, inc_json *out);
/* Free what a successful parse allocated; a zeroed value or NULL is fine. Pointers that
 * were moved out (set to NULL by the caller) are skipped. */
void inc_json_free(inc_json *v);

/* The member named `key` of an OBJECT (first match), or NULL. */
const inc_json *inc_json_get(const inc_json *obj, const char *key);
/* "an object", "a string", ... for messages. */
const char *inc_json_type_name(inc_json_type type);

/* Validate UTF-8 (RFC 3629): returns 1 if `s[0..n)` is well formed. */
int inc_utf8_valid(const uint8_t *s, size_t n);

#endif

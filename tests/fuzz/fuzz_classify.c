/* Fuzz target: inception_session_classify, encoded bytes to top-k, on a complete
 * synthetic Inception-v3 (tools/testmodel.h) whose input size is 75x75 so each run is
 * quick. The model is generated and loaded once, at start-up.
 *
 * Two modes. Ordinary inputs are classified as they are, but only if they decode under
 * a small INCEPTION_OPT_MAX_IMAGE_PIXELS first (the session has the default limits), so
 * most executions stay fast. Inputs starting with 'L' are a recipe for a large image
 * instead: kind, shape and declared size are read from the next bytes and an image with
 * a cheap all-zero body is built (a JPEG at 2 bits a block, a PNG of compressed zeros),
 * up to 2^26 pixels and aspect ratios up to 1:2^26 -- the sizes where geometry and
 * decode limits break (a 1 x 2^25 PNG overflowed the resize geometry). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz.h"
#include "testmodel.h"

#define FUZZ_MAX_PIXELS (1 << 18)
#define FUZZ_MAX_K 1100 /* above the class count, to check the clamp */

static inception_options *decode_opts;
static inception_model *model;
static inception_session *session;
static int64_t classes;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    inc_testmodel_opts to;
    inc_testmodel_opts_default(&to);
    static const char *const meta[] = {"inception.input_size", "75", NULL};
    to.extra_meta = meta;
    uint8_t *buf = NULL;
    size_t size = 0;
    if (inc_testmodel_build(&to, &buf, &size) != 0) fuzz_fail("testmodel", INCEPTION_ERR_INTERNAL);
    inception_options *o = NULL;
    if (inception_options_create(&o) != INCEPTION_OK) fuzz_fail("options", INCEPTION_ERR_INTERNAL);
    const char *backend = inception_backend_available("simd") ? "simd" : "ref";
    if (inception_options_set_string(o, INCEPTION_OPT_BACKEND, backend) ||
        inception_options_set_int(o, INCEPTION_OPT_THREADS, 1))
        fuzz_fail("options", INCEPTION_ERR_INTERNAL);
    if (inception_model_load_memory(buf, size, o, &model) != INCEPTION_OK)
        fuzz_fail("loading the synthetic model", INCEPTION_ERR_INTERNAL);
    free(buf);
    if (inception_session_create(model, o, &session) != INCEPTION_OK)
        fuzz_fail("session", INCEPTION_ERR_INTERNAL);
    inception_options_free(o);
    if (inception_model_info_int(model, INCEPTION_INFO_CLASSES, &classes) != INCEPTION_OK)
        fuzz_fail("classes", INCEPTION_ERR_INTERNAL);
    if (inception_options_create(&decode_opts) ||
        inception_options_set_int(decode_opts, INCEPTION_OPT_MAX_IMAGE_PIXELS, FUZZ_MAX_PIXELS))
        fuzz_fail("options", INCEPTION_ERR_INTERNAL);
    return 0;
}

typedef struct big {
    uint8_t *d;
    size_t n, cap;
} big;

static void put(big *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = (b->n + n) * 2;
        uint8_t *d = realloc(b->d, cap);
        if (!d) fuzz_fail("harness out of memory", INCEPTION_ERR_OUT_OF_MEMORY);
        b->d = d, b->cap = cap;
    }
    if (p) memcpy(b->d + b->n, p, n);
    else memset(b->d + b->n, 0, n);
    b->n += n;
}
static void put8(big *b, unsigned v) {
    uint8_t c = (uint8_t)v;
    put(b, &c, 1);
}
static void put16(big *b, unsigned v) { put8(b, v >> 8), put8(b, v); }
static void put32(big *b, uint32_t v) { put16(b, v >> 16), put16(b, v & 0xFFFF); }

/* Baseline gray JPEG, one-symbol Huffman tables: all-zero data is DC 0 + end of block
 * for every block. `cut` shortens the data (a truncated file). */
static void zero_jpeg(big *b, unsigned w, unsigned h, int progressive, size_t cut) {
    put16(b, 0xFFD8);
    put16(b, 0xFFDB), put16(b, 67), put8(b, 0);
    for (int i = 0; i < 64; i++) put8(b, 1);
    put16(b, progressive ? 0xFFC2 : 0xFFC0), put16(b, 11), put8(b, 8), put16(b, h),
        put16(b, w), put8(b, 1), put8(b, 1), put8(b, 0x11), put8(b, 0);
    for (int cls = 0; cls < 2; cls++) {
        put16(b, 0xFFC4), put16(b, 20), put8(b, (unsigned)cls << 4), put8(b, 1);
        put(b, NULL, 15), put8(b, 0);
    }
    put16(b, 0xFFDA), put16(b, 8), put8(b, 1), put8(b, 1), put8(b, 0), put8(b, 0),
        put8(b, progressive ? 0 : 63), put8(b, 0);
    size_t blocks = (size_t)((w + 7) / 8) * ((h + 7) / 8);
    size_t n = blocks / 4 + 2;
    put(b, NULL, n > cut ? n - cut : 0);
    put16(b, 0xFFD9);
}

static void chunk(big *b, const char *type, const uint8_t *p, size_t n) {
    put32(b, (uint32_t)n);
    size_t at = b->n;
    put(b, type, 4);
    put(b, p, n);
    put32(b, (uint32_t)crc32(0, b->d + at, (uInt)(n + 4)));
}

/* 8-bit gray PNG whose rows are all zero. */
static void zero_png(big *b, uint32_t w, uint32_t h) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    put(b, sig, 8);
    uint8_t ihdr[13] = {(uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w,
                        (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h,
                        8, 0, 0, 0, 0};
    chunk(b, "IHDR", ihdr, 13);
    size_t raw = (size_t)h * (w + 1);
    uint8_t *zeros = calloc(raw, 1);
    uLongf zn = compressBound((uLong)raw);
    uint8_t *z = malloc(zn);
    if (!zeros || !z || compress2(z, &zn, zeros, (uLong)raw, 1) != Z_OK)
        fuzz_fail("harness: compress", INCEPTION_ERR_OUT_OF_MEMORY);
    chunk(b, "IDAT", z, zn);
    chunk(b, "IEND", NULL, 0);
    free(zeros);
    free(z);
}

/* 'L', kind (bit 0: PNG, bit 1: progressive JPEG, bits 2-3: shape), side a (2 bytes),
 * side b (2 bytes), cut (1). Shapes: a x b; 1 x a*b; a*b x 1; a*256 x b (each side
 * <= 65535, pixels <= 2^26). */
static int large_image(const uint8_t *data, size_t size, big *out) {
    if (size < 7) return 0;
    unsigned kind = data[1];
    uint32_t a = 1 + (uint32_t)(data[2] | data[3] << 8), bb = 1 + (uint32_t)(data[4] | data[5] << 8);
    uint64_t w, h;
    switch ((kind >> 2) & 3) {
    case 0: w = a, h = bb; break;
    case 1: w = 1, h = (uint64_t)a * bb; break;
    case 2: w = (uint64_t)a * bb, h = 1; break;
    default: w = (uint64_t)a * 256, h = bb; break;
    }
    if (w * h > ((uint64_t)1 << 26)) return 0;
    if (kind & 1) {
        zero_png(out, (uint32_t)w, (uint32_t)h);
    } else {
        if (w > 65535 || h > 65535) return 0;
        zero_jpeg(out, (unsigned)w, (unsigned)h, (kind >> 1) & 1, data[6] % 4 ? 0 : data[6]);
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t empty[1];
    if (!session) LLVMFuzzerInitialize(NULL, NULL);
    const uint8_t *bytes = size ? data : empty;
    big made = {0};
    inception_status s;
    if (size && data[0] == 'L') {
        if (!large_image(data, size, &made)) return 0;
        bytes = made.d;
        size = made.n;
    } else {
        inception_image *img = NULL;
        s = inception_image_decode_memory(bytes, size, decode_opts, &img);
        inception_image_free(img);
        if (s != INCEPTION_OK && s != INCEPTION_ERR_IMAGE) return 0; /* too large, not ours */
    }

    static int32_t cls[FUZZ_MAX_K];
    static float probs[FUZZ_MAX_K];
    int32_t k = size ? 1 + (int32_t)(bytes[size - 1] % 8) : 1;
    if (size && bytes[0] == 0xFF && size % 17 == 0) k = FUZZ_MAX_K;
    int32_t count = -7;
    s = inception_session_classify(session, bytes, size, k, cls, probs, &count);
    free(made.d);
    fuzz_check("inception_session_classify", s, count == -7);
    if (s != INCEPTION_OK) {
        const char *msg = inception_session_last_error(session);
        if (!msg || !msg[0]) fuzz_fail("classify (empty session error)", s);
        return 0;
    }
    int32_t want = k < classes ? k : (int32_t)classes;
    if (count != want) fuzz_fail("classify (count is not min(k, classes))", s);
    double total = 0;
    for (int32_t i = 0; i < count; i++) {
        if (cls[i] < 0 || cls[i] >= classes) fuzz_fail("classify (class out of range)", s);
        if (!(probs[i] >= 0.0f && probs[i] <= 1.0f)) fuzz_fail("classify (probability)", s);
        if (i > 0 && probs[i] > probs[i - 1]) fuzz_fail("classify (not sorted)", s);
        for (int32_t j = 0; j < i; j++)
            if (cls[j] == cls[i]) fuzz_fail("classify (class repeated)", s);
        total += probs[i];
    }
    if (total > 1.001) fuzz_fail("classify (probabilities sum above 1)", s);
    return 0;
}

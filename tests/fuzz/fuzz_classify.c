/* Fuzz target: inception_session_classify, encoded bytes to top-k, on a complete
 * synthetic Inception-v3 (tools/testmodel.h) whose input size is 75x75 so each run is
 * quick. The model is generated and loaded once, at start-up.
 *
 * classify decodes with the library's default pixel limit (it reads no options), so the
 * bytes are first decoded with a small INCEPTION_OPT_MAX_IMAGE_PIXELS; inputs declaring
 * a bigger image are not classified, which keeps every execution fast. */
#include <stdio.h>
#include <stdlib.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t empty[1];
    if (!session) LLVMFuzzerInitialize(NULL, NULL);
    const uint8_t *bytes = size ? data : empty;
    inception_image *img = NULL;
    inception_status s = inception_image_decode_memory(bytes, size, decode_opts, &img);
    inception_image_free(img);
    if (s != INCEPTION_OK && s != INCEPTION_ERR_IMAGE) return 0; /* too large, not ours */

    static int32_t cls[FUZZ_MAX_K];
    static float probs[FUZZ_MAX_K];
    int32_t k = size ? 1 + (int32_t)(data[size - 1] % 8) : 1;
    if (size && data[0] == 0xFF && size % 17 == 0) k = FUZZ_MAX_K;
    int32_t count = -7;
    s = inception_session_classify(session, bytes, size, k, cls, probs, &count);
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

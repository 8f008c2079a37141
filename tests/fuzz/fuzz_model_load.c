/* Fuzz target: inception_model_load_memory, the public entry point, on small crafted
 * files. A whole model is ~100 MB, so inputs here fail somewhere in the header, the
 * metadata or on a missing tensor; that is where the hostile-input bugs live. */
#include <stdlib.h>

#include "fuzz.h"

static inception_options *opts;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    if (inception_options_create(&opts) != INCEPTION_OK ||
        inception_options_set_string(opts, INCEPTION_OPT_BACKEND, "ref") != INCEPTION_OK)
        fuzz_fail("options", INCEPTION_ERR_INTERNAL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* an empty input still needs a non-NULL pointer to mean "zero bytes" */
    static const uint8_t empty[1];
    if (!opts) LLVMFuzzerInitialize(NULL, NULL);
    inception_model *model = FUZZ_SENTINEL;
    inception_status s = inception_model_load_memory(size ? data : empty, size, opts, &model);
    fuzz_check("inception_model_load_memory", s, model == FUZZ_SENTINEL);
    if (s == INCEPTION_ERR_INVALID_ARGUMENT) fuzz_fail("load (valid arguments refused)", s);
    if (s == INCEPTION_OK) {
        int64_t v;
        if (inception_model_info_int(model, INCEPTION_INFO_CLASSES, &v) != INCEPTION_OK || v < 1)
            fuzz_fail("info CLASSES", INCEPTION_ERR_INTERNAL);
        inception_model_free(model);
    }
    return 0;
}

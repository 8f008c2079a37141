/* The body shared by the JPEG and PNG targets (each is one translation unit including
 * this file with FUZZ_IMAGE_NAME set): decode through the public call with a small pixel
 * limit, a DCT-scaling hint derived from the input, EXIF on, then check and read every
 * pixel so a sanitizer sees uninitialised or out-of-bounds rows. */
#include <string.h>

#include "fuzz.h"
#include "image/image.h"

#ifndef FUZZ_IMAGE_SETUP
#define FUZZ_IMAGE_SETUP() ((void)0)
#endif

#define FUZZ_MAX_PIXELS (1 << 20)

static inception_options *opts[4];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    static const int64_t min_side[4] = {0, 75, 150, 299};
    FUZZ_IMAGE_SETUP();
    for (int i = 0; i < 4; i++) {
        if (inception_options_create(&opts[i]) != INCEPTION_OK ||
            inception_options_set_int(opts[i], INCEPTION_OPT_MAX_IMAGE_PIXELS, FUZZ_MAX_PIXELS) ||
            inception_options_set_int(opts[i], INCEPTION_OPT_DECODE_MIN_SIDE, min_side[i]) ||
            inception_options_set_int(opts[i], INCEPTION_OPT_EXIF_ORIENTATION, i != 3))
            fuzz_fail("options", INCEPTION_ERR_INTERNAL);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t empty[1];
    if (!opts[0]) LLVMFuzzerInitialize(NULL, NULL);
    /* the variant depends on the input, so every corpus file replays the same way */
    unsigned sum = 0;
    for (size_t i = 0; i < size && i < 64; i++) sum += data[i];
    const inception_options *o = opts[(sum + size) % 4];
    inception_image *img = FUZZ_SENTINEL;
    inception_status s = inception_image_decode_memory(size ? data : empty, size, o, &img);
    fuzz_check(FUZZ_IMAGE_NAME, s, img == FUZZ_SENTINEL);
    if (s == INCEPTION_ERR_INVALID_ARGUMENT) fuzz_fail(FUZZ_IMAGE_NAME " (valid arguments refused)", s);
    if (s != INCEPTION_OK) return 0;
    int32_t w = inception_image_width(img), h = inception_image_height(img);
    const uint8_t *px = inception_image_pixels(img);
    if (w < 1 || h < 1 || (int64_t)w * h > FUZZ_MAX_PIXELS || !px)
        fuzz_fail(FUZZ_IMAGE_NAME " (decoded image breaks its invariants)", s);
    /* read every byte; the volatile sink keeps the loop */
    volatile unsigned sink = 0;
    unsigned acc = 0;
    for (size_t i = 0; i < (size_t)w * (size_t)h * 3; i++) acc += px[i];
    sink = acc;
    (void)sink;
    inception_image_free(img);
    return 0;
}

/* Fuzz target: JPEG decoding through inception_image_decode_memory (libjpeg-turbo, our
 * error manager, the decompression-bomb check, DCT scaling, EXIF orientation). */
#define FUZZ_IMAGE_NAME "jpeg decode"
#include "fuzz_image.h"

/* Fuzz target: PNG decoding through inception_image_decode_memory (libspng with our
 * allocator and chunk limits, the decompression-bomb check). */
#define FUZZ_IMAGE_NAME "png decode"
#include "fuzz_image.h"

/* Fuzz target: PNG decoding through inception_image_decode_memory (libspng with our
 * allocator, chunk limits and decode-memory budget, the decompression-bomb check).
 * Chunk CRCs and the zlib Adler-32 are not checked here (inc_png_ignore_checksums, a
 * hidden hook the library itself never sets): otherwise almost every mutation dies at
 * the CRC check and never reaches the decoder. */
#define FUZZ_IMAGE_NAME "png decode"
#define FUZZ_IMAGE_SETUP() inc_png_ignore_checksums(1)
#include "fuzz_image.h"

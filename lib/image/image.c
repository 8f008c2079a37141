/* Format dispatch: the first decoder whose sniff accepts the bytes decodes them. */
#include "image/image.h"

/* Tried in order; adding a format is one entry here and one decode_<fmt>.c. */
static const inc_decoder *const decoders[] = {&inc_decoder_jpeg, &inc_decoder_png};

inception_status inc_decode_memory(const uint8_t *data, size_t size, const inc_decode_opts *o,
                                   inception_image **out) {
    if (size == 0) return inc_error(INCEPTION_ERR_IMAGE, "image data is empty");
    for (size_t i = 0; i < sizeof decoders / sizeof decoders[0]; i++)
        if (decoders[i]->sniff(data, size)) return decoders[i]->decode(data, size, o, out);
    return inc_error(INCEPTION_ERR_IMAGE,
                     "not a JPEG or PNG image (%zu bytes starting %02x %02x %02x %02x)", size,
                     data[0], size > 1 ? data[1] : 0, size > 2 ? data[2] : 0,
                     size > 3 ? data[3] : 0);
}

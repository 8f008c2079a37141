/* The options bag as the rest of the library reads it. */
#ifndef INC_OPTIONS_H
#define INC_OPTIONS_H

#include <stdint.h>

#include "inception/inception.h"

struct inception_options {
    char *backend;            /* NULL = "auto" */
    int64_t threads;          /* 0 = online cores */
    int64_t outputs;          /* bitmask of inception_output */
    int64_t pool_include_pad; /* -1 = from the file */
    int64_t label_offset;     /* -1 = from the file */
    char *preset;             /* NULL = from the file */
    int64_t skip_checksum;
    int64_t profile;
    int64_t max_image_pixels;
    int64_t exif_orientation;
    int64_t decode_min_side;
    int64_t stem;             /* 0 = from the file, else 299, 151 or 79 */
};

#define INC_DEFAULT_OUTPUTS \
    (INCEPTION_OUTPUT_LOGITS | INCEPTION_OUTPUT_PROBABILITIES | INCEPTION_OUTPUT_FEATURES)
#define INC_DEFAULT_MAX_PIXELS ((int64_t)1 << 28)

/* The defaults, for calls given NULL options. */
const inception_options *inc_options_default(void);

#endif

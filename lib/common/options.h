/* The fields behind the public options handle: plain values any layer may read (the model
 * layer reads its overrides here). Creation, setters and defaults belong to lib/api
 * (api/options.h). */
#ifndef INC_COMMON_OPTIONS_H
#define INC_COMMON_OPTIONS_H

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
    char *labels_file;        /* NULL = the file's labels */
    char *mean, *std;         /* NULL = from the file / preset; "r,g,b" (checked at load) */
    char *extra_outputs;      /* NULL = none; comma-separated block names */
    int64_t stem;             /* 0 = from the file, else 299, 151 or 79 */
};

#endif

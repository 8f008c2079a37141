/* The options bag as the API layer reads it: defaults, and the translation into the plain
 * settings the lower layers take (inc_decode_opts for lib/image). */
#ifndef INC_OPTIONS_H
#define INC_OPTIONS_H

#include <stdint.h>

#include "common/options.h"
#include "image/image.h"
#include "inception/inception.h"

#define INC_DEFAULT_OUTPUTS \
    (INCEPTION_OUTPUT_LOGITS | INCEPTION_OUTPUT_PROBABILITIES | INCEPTION_OUTPUT_FEATURES)

/* The defaults, for calls given NULL options. */
const inception_options *inc_options_default(void);

/* Decode-time settings of an options bag (NULL: the defaults). */
void inc_decode_opts_from(const inception_options *opts, inc_decode_opts *out);

#endif

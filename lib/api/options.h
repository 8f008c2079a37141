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
#define INC_DEFAULT_MAX_SESSION_MEMORY ((int64_t)1 << 32)

#define INC_TRAIN_OPTS_DEFAULT                                                              \
    {.classes = 0, .seed = 0, .batch = 32, .epoch_size = 0, .views = 4, .input_size = 0,     \
     .lr = 0.045, .lr_decay = 0.94, .lr_decay_epochs = 2.0, .momentum = -1.0,              \
     .rms_decay = 0.9, .epsilon = 1.0, .weight_decay = 0.00004, .clip_norm = 2.0,          \
     .ema_decay = 0.9999, .smoothing = 0.1, .crop_scale = {0.08, 1.0},                     \
     .crop_ratio = {0.75, 4.0 / 3.0}, .val_fraction = 0.1,                                 \
     .bn_momentum = 0.1, .dropout = -1.0, .aux_weight = -1.0}

/* Keys 300-399: set, or NOT_FOUND / INVALID_ARGUMENT (wrong type, out of range). */
inception_status inc_train_opt_set_int(inc_train_opts *t, inception_option key, int64_t v);
inception_status inc_train_opt_set_double(inc_train_opts *t, inception_option key, double v);
inception_status inc_train_opt_set_string(inc_train_opts *t, inception_option key, const char *v);
void inc_train_opts_free(inc_train_opts *t);
/* Deep copy (strings duplicated); OUT_OF_MEMORY leaves *dst zeroed. */
inception_status inc_train_opts_copy(inc_train_opts *dst, const inc_train_opts *src);

/* The defaults, for calls given NULL options. */
const inception_options *inc_options_default(void);

/* Decode-time settings of an options bag (NULL: the defaults). */
void inc_decode_opts_from(const inception_options *opts, inc_decode_opts *out);

#endif

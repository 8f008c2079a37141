/* The options bag as the rest of the library reads it. */
#ifndef INC_OPTIONS_H
#define INC_OPTIONS_H

#include <stdint.h>

#include "inception/inception.h"

/* Trainer settings (keys 300-399; lib/api/options_train.c). Strings owned, NULL = default. */
typedef struct inc_train_opts {
    int64_t classes, seed, batch, epoch_size, views, input_size;
    double lr, lr_decay, lr_decay_epochs, momentum, rms_decay, epsilon, weight_decay;
    double clip_norm, ema_decay, smoothing, crop_scale[2], crop_ratio[2], val_fraction;
    char *labels, *optimizer, *schedule, *eps_placement, *base_model, *augment;
    char *cache_dir, *data, *val_data;
} inc_train_opts;

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
    inc_train_opts train;
};

#define INC_DEFAULT_OUTPUTS \
    (INCEPTION_OUTPUT_LOGITS | INCEPTION_OUTPUT_PROBABILITIES | INCEPTION_OUTPUT_FEATURES)
#define INC_DEFAULT_MAX_PIXELS ((int64_t)1 << 28)

#define INC_TRAIN_OPTS_DEFAULT                                                              \
    {.classes = 0, .seed = 0, .batch = 32, .epoch_size = 0, .views = 4, .input_size = 0,     \
     .lr = 0.045, .lr_decay = 0.94, .lr_decay_epochs = 2.0, .momentum = -1.0,              \
     .rms_decay = 0.9, .epsilon = 1.0, .weight_decay = 0.00004, .clip_norm = 2.0,          \
     .ema_decay = 0.9999, .smoothing = 0.1, .crop_scale = {0.08, 1.0},                     \
     .crop_ratio = {0.75, 4.0 / 3.0}, .val_fraction = 0.1}

/* Keys 300-399: set, or NOT_FOUND / INVALID_ARGUMENT (wrong type, out of range). */
inception_status inc_train_opt_set_int(inc_train_opts *t, inception_option key, int64_t v);
inception_status inc_train_opt_set_double(inc_train_opts *t, inception_option key, double v);
inception_status inc_train_opt_set_string(inc_train_opts *t, inception_option key, const char *v);
void inc_train_opts_free(inc_train_opts *t);
/* Deep copy (strings duplicated); OUT_OF_MEMORY leaves *dst zeroed. */
inception_status inc_train_opts_copy(inc_train_opts *dst, const inc_train_opts *src);

/* The defaults, for calls given NULL options. */
const inception_options *inc_options_default(void);

#endif

/* The fields behind the public options handle: plain values any layer may read (the model
 * layer reads its overrides here). Creation, setters and defaults belong to lib/api
 * (api/options.h). */
#ifndef INC_COMMON_OPTIONS_H
#define INC_COMMON_OPTIONS_H

#include <stdint.h>

#include "inception/inception.h"

/* Trainer settings (keys 300-399; lib/api/options_train.c). Strings owned, NULL = default. */
typedef struct inc_train_opts {
    int64_t classes, seed, batch, epoch_size, views, input_size, frozen_bn;
    double lr, lr_decay, lr_decay_epochs, momentum, rms_decay, epsilon, weight_decay;
    double clip_norm, ema_decay, smoothing, crop_scale[2], crop_ratio[2], val_fraction;
    double bn_momentum, dropout; /* dropout -1: the scope's default */
    double aux_weight;           /* -1: 0.4 where the aux head can train, else off */
    char *labels, *optimizer, *schedule, *eps_placement, *base_model, *augment;
    char *cache_dir, *data, *val_data, *scope, *head_init;
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
    int64_t max_decode_memory;
    int64_t max_jpeg_scans;
    int64_t max_session_memory; /* 0 = no limit */
    char *labels_file;        /* NULL = the file's labels */
    char *mean, *std;         /* NULL = from the file / preset; "r,g,b" (checked at load) */
    char *extra_outputs;      /* NULL = none; comma-separated block names */
    int64_t crops;        /* 1, 10, 12, 144 */
    int64_t crop_average; /* 0 probabilities, 1 logits */
    int64_t crop_batch;   /* crops per run */
    inc_train_opts train;
    int64_t stem;             /* 0 = from the file, else 299, 151 or 79 */
    char *precision;          /* NULL = "auto": "float", "int8" */
    char *quant_calibration;  /* NULL, or a calibration record's path */
    char *quant_method;       /* NULL = "mse" */
    int64_t quant_weight_bits; /* 0 = 8; 7 or 8 */
    int64_t quant_bias_correction; /* 1 (default): inception_quantize corrects the biases */
};

#endif

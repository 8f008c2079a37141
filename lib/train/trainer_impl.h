/* The trainer handle, shared by the files of lib/train. */
#ifndef INC_TRAINER_IMPL_H
#define INC_TRAINER_IMPL_H

#include "image/image.h"
#include "train/scope.h"
#include "train/train.h"

typedef struct inc_skip {
    char *path, *reason;
} inc_skip;

/* The fc, and five tensors per convolution of a scope (weight, gamma, beta, running
 * mean and variance) for the 94 of the whole network, and the aux head's. */
#define INC_MAX_PARAMS INC_GRAD_MAX_TENSORS

struct inception_trainer {
    const inception_model *model;
    inception_session *session; /* the frozen trunk (FEATURES output) */
    inc_train_opts o;           /* settings, copied at create */
    inc_optim_cfg cfg;
    int32_t exp_schedule;
    inc_augment aug;
    int32_t augmenting;
    int32_t in_h, in_w;
    inc_decode_opts decode;
    uint64_t mkey;              /* model identity for the feature cache */

    int32_t K;
    char **labels;              /* K strings, or NULL */
    inc_param *params;          /* INC_MAX_PARAMS: the fc first, then the scope's */
    int32_t n_params;
    inc_scope *scope;           /* NULL for scope fc */
    int32_t scope_first;        /* inc_scope_parse's block index */
    int64_t ema_packed_step;    /* step of the scope's EMA packs, -1 none */
    int64_t max_memory;         /* MAX_SESSION_MEMORY: bounds the scope's buffers */
    double aux_weight;          /* effective TRAIN_AUX_WEIGHT (0: the aux head is off) */
    int32_t aux_explicit;       /* set by the user: an aux head that cannot run is an error */
    int32_t aux_active;         /* INCEPTION_TRAINER_AUX_ACTIVE */
    double aux_loss;            /* the last step's unweighted aux loss */

    /* counters: all of the trajectory's state besides the parameters */
    int64_t step, examples;
    int64_t data_epoch, data_pos;
    double last_loss, grad_norm;

    int32_t has_data;
    inc_dataset ds;
    uint8_t *bad;               /* per train then val sample: 1 = unreadable */
    int64_t *perm;              /* order of ds.train for perm_epoch */
    int64_t perm_epoch;

    inc_cache *cache;
    int64_t cache_hits, cache_misses, cache_io_errors;

    inc_skip *skipped;
    int64_t n_skipped, skipped_cap, skip_events;

    int64_t eval_n, eval_top1, eval_top5;
    double eval_loss;
    int64_t *confusion;

    float *scratch;
    size_t scratch_cap;
    char error[INC_ERROR_MAX];
};

inception_status inc_trainer_fail(inception_trainer *t, inception_status st);
inception_status inc_trainer_scratch(inception_trainer *t, size_t floats, float **out);
/* Features of an input tensor: NC [n, 2048] as given, or an image batch through the trunk. */
inception_status inc_trainer_tensor_features(inception_trainer *t, const inception_tensor *in,
                                             const float **f, int64_t *n);
/* The scope's input for an image batch: the image itself (scope all, NHWC) or the
 * output of the block below the scope from the session. */
inception_status inc_trainer_scope_input(inception_trainer *t, const inception_tensor *in,
                                         const float **x, int64_t *n, int64_t *h, int64_t *w);
/* Decoded, augmented and normalised images (NHWC in_h x in_w x 3 each) into dst; ok as
 * inc_trainer_file_features. */
inception_status inc_trainer_file_images(inception_trainer *t, const char *const *paths,
                                         const int32_t *views, int64_t n, float *dst, uint8_t *ok);
inception_status inc_trainer_file_features(inception_trainer *t, const char *const *paths,
                                           const int32_t *views, int64_t n, float *f,
                                           uint8_t *ok);

#endif

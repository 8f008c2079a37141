/* Trainer internals (lib/train): built on sessions like lib/tasks, above lib/api.
 *
 * The trainable state is a list of parameter tensors (inc_param), each with its gradient,
 * optimizer slots and moving average. Loss, clipping, optimizers, EMA and checkpoints work
 * over that list, so trainable blocks below the head (issue 13) add parameters and a
 * backward pass without changing them. Everything here is deterministic: fixed-order
 * loops, double accumulators, counter-based random numbers. */
#ifndef INC_TRAIN_H
#define INC_TRAIN_H

#include <stdint.h>

#include "api/handles.h"
#include "api/options.h"
#include "common/common.h"

#define INC_FEATURES_DIM 2048

/* ---- counter-based random numbers (rng.c) -------------------------------------------- */
/* u64 number `index` of stream `key`: SplitMix64's output function on key + (index+1)*gamma.
 * Streams are named: key = inc_rng_key(seed, "name", a, b). */
uint64_t inc_rng_key(uint64_t seed, const char *name, uint64_t a, uint64_t b);
uint64_t inc_rng_u64(uint64_t key, uint64_t index);
/* Uniform in [0, 1) with 53 random bits. */
double inc_rng_uniform(uint64_t key, uint64_t index);
/* Standard normal, Box-Muller on the uniforms 2*index and 2*index+1 (the cosine branch). */
double inc_rng_normal(uint64_t key, uint64_t index);
/* FNV-1a 64 of bytes (file contents for the cache key, file names for the split). */
uint64_t inc_fnv1a64(const void *data, size_t size, uint64_t h);
#define INC_FNV_OFFSET 0xcbf29ce484222325ull

/* ---- parameters and the optimizer (optim.c) ------------------------------------------ */
typedef struct inc_param {
    char name[64];  /* torchvision tensor name ("fc.weight") */
    int32_t rank;
    int64_t shape[4];
    size_t count;
    int32_t decay;  /* 1: weight decay applies (weights, not biases) */
    int32_t buffer; /* 1: BN running statistic: saved and checkpointed, never optimized */
    int32_t idle;   /* 1: no part in this step (the aux head when the grid is too small):
                     * left out of decay, norm, clipping and the update, as PyTorch leaves
                     * a parameter without a gradient */
    float *value, *grad, *ema;
    float *slot[2]; /* rmsprop: mean square, momentum; sgd: momentum */
} inc_param;

typedef enum inc_optimizer { INC_OPT_RMSPROP = 1, INC_OPT_SGD = 2 } inc_optimizer;

typedef struct inc_optim_cfg {
    inc_optimizer kind;
    int32_t tf_epsilon;    /* 1: sqrt(ms + eps), ms starts at 1; 0: sqrt(ms) + eps, ms at 0 */
    double momentum, rms_decay, epsilon, weight_decay, clip_norm, ema_decay;
} inc_optim_cfg;

/* Allocate value/grad/ema/slots (zeroed; rmsprop's tf mean square set to 1). */
inception_status inc_param_alloc(inc_param *p, const inc_optim_cfg *cfg);
void inc_param_free(inc_param *p);

/* Softmax cross-entropy with label smoothing eps over K classes for n rows of logits
 * (n x K). Writes dlogits = (softmax - q) / n and returns the mean loss (double).
 * Non-finite logits give a non-finite loss. */
double inc_loss_smoothed(const float *logits, const int32_t *labels, int64_t n, int64_t k,
                         double eps, float *dlogits);

/* The fc head: logits[n][k] = b[k] + sum_d w[k][d] * f[n][d] (double accumulation). */
void inc_fc_forward(const float *w, const float *b, const float *f, int64_t n, int64_t k,
                    int64_t d, float *logits);
/* Gradients of the fc from dlogits: gw[k][d] = sum_n dz[n][k] f[n][d], gb[k] = sum_n dz. */
void inc_fc_backward(const float *f, const float *dz, int64_t n, int64_t k, int64_t d,
                     float *gw, float *gb);

/* Measures the global norm of the gradients with weight decay (returned, before
 * clipping) and sets *scale to the clipping factor (0: none); the gradients are left as
 * they are and inc_optim_step applies decay and scale. Over `pool`'s threads (NULL: this
 * one), with the same result for every thread count; at most INC_GRAD_MAX_TENSORS tensors. */
#define INC_GRAD_MAX_TENSORS 512
struct inc_pool;
double inc_grad_finish(inc_param *params, int32_t n_params, const inc_optim_cfg *cfg,
                       struct inc_pool *pool, float *scale);
/* One optimizer step with learning rate lr on the gradients with weight decay, times
 * `scale` (inc_grad_finish's; 0: unclipped), then the EMA update for step index `step`
 * (0-based: the number of steps done before this one); one pass, elementwise over
 * `pool`'s threads. */
void inc_optim_step(inc_param *params, int32_t n_params, const inc_optim_cfg *cfg, double lr,
                    int64_t step, float scale, struct inc_pool *pool);
/* The EMA decay used at step index `step`: min(decay, (1 + step) / (10 + step)). */
double inc_ema_decay_at(double decay, int64_t step);

/* ---- data (data.c) ------------------------------------------------------------------- */
typedef struct inc_sample {
    char *path;
    int32_t label;
} inc_sample;

typedef struct inc_dataset {
    char **classes;       /* sorted folder names, or labels from a list file */
    int32_t n_classes;
    inc_sample *train, *val;
    int64_t n_train, n_val;
} inc_dataset;

/* A folder per class (ImageFolder: sorted subfolder names are the labels; *.jpg, *.jpeg,
 * *.png, case-insensitive) split by a hash of each file name, or a list file of
 * "path<TAB or space>label" lines; val_list optional. */
inception_status inc_dataset_open(const char *data, const char *val_list, double val_fraction,
                                  inc_dataset *out);
void inc_dataset_free(inc_dataset *d);

/* Augmentation settings; a view's random choices come from (seed, file hash, view). */
typedef struct inc_augment {
    int32_t crop, flip, color;
    double scale[2], ratio[2];
} inc_augment;

/* Decoded image -> float [0,1] RGB interleaved out_h x out_w for view `view` (0: the
 * model's preset, no augmentation). */
inception_status inc_augment_view(const inception_image *img, const inc_augment *aug,
                                  inc_preset preset, uint64_t key, int32_t view, int32_t out_h,
                                  int32_t out_w, float *dst);

/* ---- feature cache (cache.c) --------------------------------------------------------- */
typedef struct inc_cache inc_cache;
/* Open (creating the directory and file) or NULL dir for a memory-only cache. */
inception_status inc_cache_open(const char *dir, uint64_t model_key, inc_cache **out);
void inc_cache_free(inc_cache *c);
/* 1 and copies the features if present. */
int inc_cache_get(const inc_cache *c, uint64_t key, float *features);
/* Stores in memory and appends to the file; IO errors are returned (memory copy kept). */
inception_status inc_cache_put(inc_cache *c, uint64_t key, const float *features);

/* ---- safetensors writing (write.c) --------------------------------------------------- */
typedef struct inc_st_out {
    const char *name;
    const char *dtype;     /* "F32", "I64", or NULL to copy `src` as stored */
    int32_t rank;
    int64_t shape[4];
    const void *data;
    size_t bytes;
} inc_st_out;

/* Write header + tensors (in the order given) to `path` through a temporary file in the
 * same directory, fsync'd and renamed over `path`. meta: n_meta key/value pairs. */
inception_status inc_st_write(const char *path, const inc_st_out *tensors, size_t n_tensors,
                              const char *const *meta_kv, size_t n_meta);
/* Testing hook: fail the write after `bytes` more bytes (-1 off). */
void inc_train_fail_write_after(int64_t bytes);

#endif

/* Training below the head (issue 13): a trainable suffix of the network ("scope"), from a
 * named block to the features, trained with BatchNorm in train mode and backpropagation.
 * The frozen part below it runs through the trainer's inference session. */
#ifndef INC_SCOPE_H
#define INC_SCOPE_H

#include "api/handles.h"
#include "train/train.h"

typedef struct inc_scope inc_scope;

/* Valid scope names for messages. */
#define INC_SCOPE_NAMES "fc, Mixed_5b ... Mixed_7c (that block onward), all, last:N (N = 0..11 blocks)"

/* Parses a scope name: *first_block is the index of the first trainable Mixed block among
 * the 11 (0 = Mixed_5b), -1 for "all" (the stem too), 11 for "fc" (head only). */
inception_status inc_scope_parse(const char *name, int32_t *first_block);
/* The name of Mixed block `i` (0..10). */
const char *inc_scope_block_name(int32_t i);

typedef struct inc_scope_cfg {
    int32_t first_block; /* as inc_scope_parse, < 11 */
    int32_t frozen_bn;   /* 1: BN uses its running statistics (no update) inside the scope */
    double momentum;     /* running-statistic momentum (PyTorch's convention, 0.1) */
    double dropout;      /* before the fc, train mode only */
    uint64_t seed;
    /* > 0: the aux head trains too (the caller checked that the scope holds Mixed_6e and
     * the model has the plain aux head): loss = main + aux_weight * aux */
    double aux_weight;
    int32_t classes;     /* K, the aux fc's width */
} inc_scope_cfg;

/* Builds the trainable graph from the model's layers and its unfolded tensors (read from
 * `st`), appending the scope's parameters to params[*n_params ...] (capacity cap).
 * Errors: NOT_FOUND/MISSING_TENSOR/SHAPE naming the tensor, OUT_OF_MEMORY. */
inception_status inc_scope_create(const inception_model *model, const inc_safetensors *st,
                                  const inc_scope_cfg *cfg, const inc_optim_cfg *ocfg,
                                  inc_param *params, int32_t *n_params, int32_t cap,
                                  inc_scope **out);
void inc_scope_free(inc_scope *s);
/* Run the scope's work over `pool` (the trainer's session's; NULL: one thread). Results
 * are the same for every thread count. Drops the plan when the thread count changes.
 * Errors: OUT_OF_MEMORY (nothing changed). */
struct inc_pool;
inception_status inc_scope_set_pool(inc_scope *s, struct inc_pool *pool);
/* The block whose output the scope reads ("Mixed_6e"), or NULL when it reads the image. */
const char *inc_scope_input_name(const inc_scope *s);
/* Plan buffers for a batch of n inputs of h x w (the scope input's grid); kept while the
 * shape repeats. max_bytes 0 = no limit. Errors: OUT_OF_MEMORY (nothing kept), SHAPE
 * (input too small for the scope). */
inception_status inc_scope_plan(inc_scope *s, int64_t n, int64_t h, int64_t w, int64_t max_bytes);
/* Bytes of the current plan (activations, gradients, scratch). */
size_t inc_scope_bytes(const inc_scope *s);
int64_t inc_scope_trainable(const inc_scope *s, const inc_param *params);

/* 1 if the scope trains the aux head (cfg.aux_weight > 0). */
int inc_scope_has_aux(const inc_scope *s);
/* 1 if the aux head has it and the planned grid is big enough for it (Mixed_6e >= 17x17). */
int inc_scope_aux_fits(const inc_scope *s);

/* One forward + backward: x is the scope input [n][h][w][c] (NHWC, planned shape), the fc
 * is params[0], params[1]. Fills every parameter's grad, updates the running statistics
 * (train mode, not frozen; only when the loss is finite), returns the loss in *loss (main
 * + w * aux when the aux head runs; its unweighted loss in *aux_loss, 0 when it does not,
 * and its parameters then get zero gradients). step selects the dropout mask. */
inception_status inc_scope_train(inc_scope *s, inc_param *params, const float *x,
                                 const int32_t *labels, int32_t K, double smoothing,
                                 int64_t step, double *loss, double *aux_loss);
/* Repack the convolutions from the parameters (after an optimizer step). ema: from the
 * moving averages, for evaluation (kept apart from the training packs). */
inception_status inc_scope_repack(inc_scope *s, const inc_param *params, int ema);
/* Inference-mode forward to the features (running statistics; ema weights if packed with
 * ema=1 and use_ema): features[n][2048]. */
inception_status inc_scope_features(inc_scope *s, const inc_param *params, const float *x,
                                    int use_ema, const float **features);

#endif

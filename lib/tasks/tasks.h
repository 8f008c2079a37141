/* lib/tasks internals shared by classify, crops, ensembles and CAM. */
#ifndef INC_TASKS_H
#define INC_TASKS_H

#include "api/handles.h"
#include "image/image.h"

/* The crop protocol's geometry for one image (docs/paper.md "Multi-crop evaluation"). */
typedef struct inc_crop {
    int32_t scale;         /* shorter side the image is resized to */
    int32_t rw, rh;        /* resized size */
    int32_t sx, sy, side;  /* square (or, for 1/10 crops, the whole resize: side 0) */
    int32_t x, y;          /* crop origin inside the resized image; -1: square resized */
    int32_t mirror;
} inc_crop;

/* 1 if `crops` is one of the supported counts. */
int inc_crops_valid(int64_t crops);
/* The shorter side a decoder must keep for `crops` crops of `model` (the DCT hint). */
int32_t inc_crops_min_side(const inception_model *model, int32_t crops);
/* Geometry of crop `index` of `crops` for a w x h image. */
void inc_crop_geometry(const inception_model *model, int32_t crops, int32_t w, int32_t h,
                       int32_t index, inc_crop *c);

/* Crop generator: keeps one resized image (the current scale) so consecutive crops reuse
 * it; memory is a few resized images, whatever the crop count. */
typedef struct inc_cropper {
    const inception_model *model;
    const inception_image *image;
    int32_t crops;
    int32_t cur_scale, cur_w, cur_h;
    uint8_t *resized; /* cur_w x cur_h RGB */
    uint8_t *square;  /* side x side RGB scratch */
    size_t square_cap;
    uint8_t *crop;    /* in_w x in_h RGB */
} inc_cropper;

inception_status inc_cropper_init(inc_cropper *cr, const inception_model *model,
                                  const inception_image *image, int32_t crops);
void inc_cropper_release(inc_cropper *cr);
/* Crops [first, first+count) normalised into slots 0..count-1 of an NCHW float tensor
 * of the model's input size. */
inception_status inc_cropper_fill(inc_cropper *cr, int32_t first, int32_t count,
                                  inception_tensor *batch);

/* The class probabilities of `image` for `session`: its crops (CROPS, CROP_AVERAGE,
 * CROP_BATCH from `opts`) run in bounded batches and averaged. out: CLASSES floats. */
inception_status inc_image_scores(inception_session *session, const inception_options *opts,
                                  const inception_image *image, float *out);

/* Keep the k best of `p` in `classes`/`probs`, best first (ties: lower index first). */
int32_t inc_top_k(const float *p, int64_t n, int32_t k, int32_t *classes, float *probs);

#endif

/* lib/model: model files and configuration. May include lib/backends, lib/common and
 * include/; never lib/graph, lib/image, lib/api or lib/tasks. */
/* Model files: safetensors parsing, model configuration from __metadata__, and the
 * BatchNorm-folded weights the graph builder asks for by torchvision module name. */
#ifndef INC_MODEL_H
#define INC_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"
#include "common/options.h"
#include "model/arch.h"

#define INC_MODEL_FORMAT_VERSION 1
#define INC_MAX_RANK 8

typedef enum inc_dtype { INC_F32 = 1, INC_F16 = 2, INC_BF16 = 3, INC_OTHER = 4 } inc_dtype;

typedef struct inc_st_tensor {
    char *name;
    inc_dtype dtype;      /* INC_OTHER: a dtype we parse but cannot convert (I64, U8, ...) */
    int32_t elem_size;    /* bytes per element of the stored dtype */
    int32_t is_i8;        /* 1: stored as I8 (quantised weights; dtype INC_OTHER) */
    const char *dtype_name; /* "F32", "I8", ... (static) */
    int32_t rank;
    int64_t shape[INC_MAX_RANK];
    size_t begin, end;    /* byte range inside the data section, checked */
} inc_st_tensor;

typedef struct inc_st_meta {
    char *key;
    char *value;
} inc_st_meta;

/* A parsed safetensors buffer. `data` points into the caller's buffer, which must outlive
 * this struct; everything else is owned. */
typedef struct inc_safetensors {
    const uint8_t *data;
    size_t data_size;
    inc_st_tensor *tensors;
    size_t n_tensors;
    inc_st_meta *meta;
    size_t n_meta;
} inc_safetensors;

/* Strict parse: header length within the file, JSON well-formed and bounded in depth,
 * every offset pair inside the data section, begin <= end, size == prod(shape)*elem_size,
 * no overlaps, no duplicate names. Errors: FORMAT (structure), DTYPE (unknown dtype string)
 * with a message naming the tensor or field. */
inception_status inc_st_parse(const uint8_t *buf, size_t size, inc_safetensors *out);
void inc_st_free(inc_safetensors *st);
const inc_st_tensor *inc_st_find(const inc_safetensors *st, const char *name);
const char *inc_st_meta_get(const inc_safetensors *st, const char *key);

/* Preprocessing presets (see DESIGN.md and the images issue). */
typedef enum inc_preset {
    INC_PRESET_TORCHVISION = 1, /* shorter side 342 bilinear+antialias, centre crop 299 */
    INC_PRESET_TIMM = 2,        /* crop_pct 0.875 bicubic: shorter side 341, crop 299 */
    INC_PRESET_TF = 3,          /* central crop 0.875 of the image, bilinear to 299x299 */
    INC_PRESET_RESIZE = 4,      /* whole image bilinear+antialias to 299x299, no crop */
    INC_PRESET_UNIT = 5         /* RESIZE's geometry; normalisation mean 0, std 1 */
} inc_preset;

#define INC_PRESET_NAMES "torchvision, timm, tf, resize or unit"
/* 1 for a preset name the library knows. */
int inc_preset_known(const char *name);
/* The preset's name ("timm", ...). */
const char *inc_preset_name(inc_preset preset);
/* "a,b,c" (spaces allowed around the commas), each a finite float32. 1 on success. */
int inc_parse_triple(const char *s, float v[3]);
/* A usable normalisation: every mean and std finite, std in [INC_NORM_MIN_STD,
 * INC_NORM_MAX_STD], |mean| <= INC_NORM_MAX_MEAN, and (0 - mean) / std and (1 - mean) / std
 * finite in float32, so no [0,255] pixel normalises to inf or NaN.
 * On failure an error of `status` whose message starts with `what`. Shared by the
 * metadata keys and the load options. */
inception_status inc_normalization_check(const float mean[3], const float std[3],
                                         inception_status status, const char *what);

typedef struct inc_config {
    int64_t classes;          /* from fc.weight's shape */
    int32_t label_offset;     /* 1 when classes == 1001 unless metadata says otherwise */
    int32_t has_aux;          /* AuxLogits.* tensors present (and fc: see has_fc) */
    int32_t has_fc;           /* fc.weight present; 0: a feature extractor, classes 0 */
    int32_t bn_has_gamma;     /* bn.weight present (inception.bn_gamma may say "false") */
    int32_t pool_include_pad; /* 1 = count padded zeros (default) */
    float mean[3], std[3];    /* network input = (pixel/255 - mean) / std; default 0.5 */
    inc_preset preset;        /* default TIMM */
    int32_t input_h, input_w; /* default 299 */
    char **labels;            /* NULL, or n_labels owned strings (inception.labels or
                               * the LABELS_FILE option) */
    int64_t n_labels;
    uint32_t crc32;           /* computed over the data section (inc_config_check_crc) */
    uint32_t crc_expected;    /* inception.crc32, when present */
    int32_t crc_verify;       /* 1: present and not skipped by the options */
    int32_t crc_checked;      /* 1 if inception.crc32 was present and matched */
    char *name;               /* inception.name or "" */
    char *normalization;      /* printable "mean=... std=..." */
    inc_arch arch;            /* the variant (stem, stem conv, aux head): model/arch.c */
} inc_config;

/* Normalisation bounds (inc_normalization_check): std in [1e-6, 1e6], |mean| <= 1e6, so
 * every normalised pixel is within about 1e12. */
#define INC_NORM_MIN_STD 1e-6
#define INC_NORM_MAX_STD 1e6
#define INC_NORM_MAX_MEAN 1e6

/* Read the configuration (metadata + tensor presence/shapes) and apply option overrides.
 * Parses inception.crc32 (verified later by inc_config_check_crc). Errors: FORMAT for a malformed
 * value (naming the key), CHECKSUM, SHAPE for an fc width that is not 1000/1001-ish
 * consistent. */
inception_status inc_config_read(const inc_safetensors *st, const inception_options *opts,
                                 inc_config *out);
void inc_config_free(inc_config *cfg);
/* Record the data section's CRC-32 and check it against inception.crc32 unless skipped.
 * Split from inc_config_read so the loader can compute it while packing weights. */
inception_status inc_config_check_crc(inc_config *cfg, uint32_t crc);

/* A conv + BN module `prefix` (e.g. "Mixed_5b.branch1x1"): reads prefix.conv.weight
 * [cout][cin][kh][kw] and prefix.bn.{weight,bias,running_mean,running_var} (weight optional
 * when !cfg->bn_has_gamma), folds BN (eps 0.001) and returns weights as [cout][kh][kw][cin]
 * and bias[cout], both from inc_malloc. Errors name the tensor: MISSING_TENSOR, SHAPE,
 * DTYPE, FORMAT (non-finite values or negative variance). */
inception_status inc_load_conv(const inc_safetensors *st, const inc_config *cfg,
                               const char *prefix, int32_t cin, int32_t cout, int32_t kh,
                               int32_t kw, float **weights, float **bias);
/* A Linear layer `prefix` ("fc", "AuxLogits.fc"): weight [cout][cin] and bias [cout]. */
inception_status inc_load_fc(const inc_safetensors *st, const char *prefix, int32_t cin,
                             int32_t cout, float **weights, float **bias);
/* The same followed by a BatchNorm1d over its outputs (eps 0.001, the convolutions'),
 * `bn_prefix`.{weight,bias,running_mean,running_var} (weight optional like inc_load_conv),
 * folded into the returned weights and bias. */
inception_status inc_load_fc_bn(const inc_safetensors *st, const inc_config *cfg,
                                const char *prefix, const char *bn_prefix, int32_t cin,
                                int32_t cout, float **weights, float **bias);

/* The unfolded tensor `name` of the given shape as float32 into dst (the trainer's
 * parameters). Errors as inc_load_conv. */
inception_status inc_load_tensor(const inc_safetensors *st, const char *name, int32_t rank,
                                 const int64_t *shape, float *dst);

#endif

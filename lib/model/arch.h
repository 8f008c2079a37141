/* The architecture as data: which Inception-v3 variant a model file describes (the stem of
 * the paper's section 9 / Table 2, the 7x7 first layer of Inception-v2 in Table 3, the
 * auxiliary head with or without a batch-normalised fc, whether the classifier is there).
 * Read from optional inception.* metadata keys (docs/model-format.md) and the tensors;
 * lib/graph/net.c builds its layers from it. */
#ifndef INC_ARCH_H
#define INC_ARCH_H

#include <stdint.h>

#include "common/common.h"

/* Receptive-field stems (Table 2), named by the input size they are meant for. All three
 * cost the same: the smaller input is compensated by dropping strides. */
typedef enum inc_stem {
    INC_STEM_299 = 299, /* first conv stride 2, max pool after the third conv (torchvision) */
    INC_STEM_151 = 151, /* first conv stride 1, the same pool */
    INC_STEM_79 = 79    /* first conv stride 1, no pool after the third conv */
} inc_stem;

typedef enum inc_stem_conv {
    INC_STEM_CONV_3X3 = 3, /* v3: Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3 */
    INC_STEM_CONV_7X7 = 7  /* v2: one Conv2d_1a_7x7 (3 -> 64, no padding) */
} inc_stem_conv;

typedef enum inc_aux_head {
    INC_AUX_NONE = 0,  /* no AuxLogits.* tensors */
    INC_AUX_PLAIN = 1, /* torchvision's head: fc without BatchNorm */
    INC_AUX_BN = 2     /* "BN-auxiliary": BatchNorm1d (AuxLogits.fc_bn) on the fc's output */
} inc_aux_head;

typedef struct inc_arch {
    inc_stem stem;
    inc_stem_conv stem_conv;
    inc_aux_head aux;
    int32_t first_stride; /* stride of the first convolution: 2 for stem 299, else 1 */
    int32_t stem_pool;    /* 1: max pool 3x3/2 after the stem's third conv (maxpool1) */
    int32_t has_fc;       /* 1: fc.weight present; 0: a trunk-only file (features only) */
    char description[96]; /* e.g. "stem=299 stem_conv=3x3 aux=plain" */
} inc_arch;

/* What the model file says about its architecture: the three metadata values (NULL when
 * absent) and which of the tensors that settle a question exist. model/config.c gathers
 * them, so this module needs nothing of the file format. */
typedef struct inc_arch_source {
    const char *stem, *stem_conv, *aux_head; /* inception.stem / .stem_conv / .aux_head */
    int has_conv7x7;                         /* Conv2d_1a_7x7.conv.weight */
    int has_aux;                             /* AuxLogits.fc.weight */
    int has_aux_bn;                          /* AuxLogits.fc_bn.running_mean */
    int has_fc;                              /* fc.weight or fc.bias */
    int64_t option_stem;                     /* INCEPTION_OPT_STEM: 0 = the file's */
} inc_arch_source;

/* Fills *out from `src`: each key is optional (defaults: stem 299, the stem conv and aux
 * head the tensors show), the option overrides the stem. Errors: FORMAT naming the key and
 * its allowed values, INVALID_ARGUMENT for a bad option, MISSING_TENSOR when a key names a
 * variant whose tensors are absent. *out is written on success only. */
inception_status inc_arch_read(const inc_arch_source *src, inc_arch *out);

/* The name a stem convolution kind is written as in metadata and messages ("3x3"). */
const char *inc_stem_conv_name(inc_stem_conv c);
const char *inc_aux_head_name(inc_aux_head a);

#endif

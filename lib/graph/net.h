/* lib/graph: graph, planner, executor. May include lib/model, lib/backends, lib/common and
 * include/; never lib/image, lib/api or lib/tasks. */
/* The Inception-v3 graph: layers over symbolic tensors, built once per model. Spatial
 * sizes are resolved per input shape by the planner. */
#ifndef INC_NET_H
#define INC_NET_H

#include "inception/backend.h"
#include "model/model.h"
#include "model/quant.h"

typedef enum inc_op {
    INC_OP_CONV = 1,
    INC_OP_MAXPOOL = 2,
    INC_OP_AVGPOOL = 3,
    INC_OP_GAP = 4,
    INC_OP_QUANT = 5,  /* float -> uint8 at the tensor's scale (int8 nets only) */
    INC_OP_DEQUANT = 6 /* uint8 -> float */
} inc_op;

typedef struct inc_layer {
    inc_op op;
    char name[48];           /* torchvision module name, for errors and profiles */
    inception_conv_desc conv;
    void *packed;            /* backend-owned packed weights (conv only) */
    inception_pool_desc pool;
    int32_t src, src_c0;     /* tensor read and the first channel of the slice read */
    int32_t dst, dst_c0;     /* tensor written and the first channel of the slice written */
    int32_t in_c, out_c;     /* channels read / written */
    int32_t aux;             /* 1: part of the aux head (skipped unless aux is requested) */
    int32_t fc_bn;           /* fc only: a BatchNorm1d `<module>_bn` on its output, folded */
    int32_t q8;              /* conv: packed is an inc_q8 pack; pools: run on uint8 */
    int32_t mixed;           /* conv of an int8 net run by the float backend (docs/int8.md) */
    float qscale;            /* QUANT: 1 / scale; DEQUANT: scale */
} inc_layer;

#define INC_MAX_TENSORS 128
#define INC_MAX_NAMED 24

typedef struct inc_net {
    inc_layer *layers;
    int32_t n_layers;
    int32_t n_tensors;
    int32_t channels[INC_MAX_TENSORS]; /* total channels (pixel stride) of each tensor */
    int32_t t_input;                   /* the NHWC network input (3 channels) */
    int32_t t_features;                /* [N,1,1,2048] */
    int32_t t_logits;                  /* [N,1,1,classes], or -1 without fc */
    int32_t t_aux_logits;              /* [N,1,1,classes] or -1 */
    int64_t parameters;                /* without the aux head */
    int64_t parameters_aux;            /* the aux head's alone */
    /* Named block outputs (stem convs, pools, Mixed_*), in graph order. */
    int32_t n_named;
    struct {
        const char *name;
        int32_t tensor;
    } named[INC_MAX_NAMED];
    int32_t min_input;                 /* smallest square input every non-aux layer accepts */
    /* int8 execution (docs/int8.md): tensors held as uint8 at scale[t]; orig[t] is the
     * tensor of the float graph whose values t carries (t itself unless added by the
     * quantiser). names[t]: the calibration record's key of float-graph tensor t. */
    int32_t quantized;
    int32_t n_float_tensors;           /* tensors of the float graph (the first ones) */
    uint8_t u8[INC_MAX_TENSORS];
    float scale[INC_MAX_TENSORS];
    int32_t orig[INC_MAX_TENSORS];
    char names[INC_MAX_TENSORS][48];
    int32_t q8_layers;                 /* convs running int8 */
    int32_t mixed_layers;              /* convs of the int8 net running fp32 (mixed) */
    char q8_level[16];                 /* kernel level of the int8 convs ("avx2", ...) */
} inc_net;

/* Building an int8 net: the activation ranges by tensor name; level NULL = the best
 * kernels (INCEPTION_Q8_LEVEL in the environment forces one: tests). */
typedef struct inc_quant {
    const inc_calibration *calib;
    const char *level;
    /* Mixed precision (docs/int8.md): NULL or "auto" runs the convs that the float backend
     * does as Winograd F(4x4, 3x3) in fp32 when that backend is "simd"; "off" runs every
     * conv int8; "on" applies the shape rule whatever the backend (tests). */
    const char *mixed;
    int32_t weight_bits; /* 7 or 8 (0 = 8): INCEPTION_OPT_QUANT_WEIGHT_BITS */
} inc_quant;

/* Build the graph and pack every weight with `backend`. Errors name the tensor. */
inception_status inc_net_build(inc_net *net, const inc_safetensors *st, const inc_config *cfg,
                               const inception_backend *backend);
/* The same, quantised with q (NULL: float). */
inception_status inc_net_build_q(inc_net *net, const inc_safetensors *st, const inc_config *cfg,
                                 const inception_backend *backend, const inc_quant *q);
void inc_net_free(inc_net *net, const inception_backend *backend);
/* Per-output-channel symmetric int8 weights (docs/int8.md): w [out][per] float ->
 * wq (|q| <= 127, or <= 64 with bits 7) and scales sw[out]. bits 0 means 8. */
void inc_q8_quantize_weights(const float *w, int32_t out, size_t per, int32_t bits, int8_t *wq,
                             float *sw);
/* The tensor of named block `name`, or -1. */
int32_t inc_net_named(const inc_net *net, const char *name);

#endif

/*
 * Deterministic synthetic Inception-v3 weights (tools/testmodel.c).
 *
 * Builds a complete safetensors file in memory with torchvision's Inception3 tensor names
 * and shapes, filled from a counter-based PRNG that tools/gen_golden.py reproduces
 * bit-for-bit with numpy (the PRNG and the distributions are specified in docs/golden.md).
 * Used by the golden tests and by the `inception-make-model` tool. Plain C11 + zlib; it
 * does not use the library.
 */
#ifndef INCEPTION_TESTMODEL_H
#define INCEPTION_TESTMODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct inc_testmodel_opts {
    uint64_t seed;            /* XORed into every tensor's key (default 0) */
    int32_t classes;          /* fc width (default 1000); 0: no fc and no aux head, a
                               * feature-extractor trunk */
    int32_t aux;              /* 1: include the AuxLogits.* tensors (default 1) */
    int32_t bn_gamma;         /* 0: omit every bn.weight, metadata inception.bn_gamma=false */
    int32_t f16;              /* 1: store the float tensors as F16 (default 0: F32) */
    int32_t standard_meta;    /* 1 (default): inception.synthetic/name/crc32 (+bn_gamma,
                               * + the architecture keys of a variant) */
    /* The variant (docs/model-format.md, "Architecture"): */
    int32_t stem;             /* 299 (default), 151 or 79: metadata inception.stem only */
    int32_t stem_conv;        /* 3 (default): three 3x3 convs; 7: one Conv2d_1a_7x7 */
    int32_t aux_bn;           /* 1: AuxLogits.fc_bn.* (BatchNorm1d on the aux fc's output) */
    /* NULL, or a BatchNorm statistics file (docs/golden.md) whose running_mean and
     * running_var replace the PRNG's for every BN of the model; a file that does not
     * match the model's BNs exactly makes the build fail. */
    const char *bn_stats;
    /* NULL or a NULL-terminated list of key, value, key, value, ... strings added to
     * __metadata__ after the standard keys (e.g. "inception.pool_include_pad", "false"). */
    const char *const *extra_meta;
} inc_testmodel_opts;

/* Fills *o with the defaults above. */
void inc_testmodel_opts_default(inc_testmodel_opts *o);

/* Builds the file. On success returns 0 and gives the caller a malloc'd buffer (free()
 * it) in *buf and its length in *size; on failure (bad option, out of memory) returns -1
 * and leaves *buf and *size untouched. */
int inc_testmodel_build(const inc_testmodel_opts *o, uint8_t **buf, size_t *size);

/* The float32 value stream of tensor `name` under `seed`, as stored in an F32 file:
 * `count` values with the distribution its name selects (see docs/golden.md). Returns -1
 * for a name that is not a float tensor of the model (its fan-in is unknown). */
int inc_testmodel_tensor(const char *name, uint64_t seed, float *out, size_t count);

/* A test input: count = n*c*h*w float32 values uniform in [-1, 1), the raw stream of
 * `name` (e.g. "input/main299"). Fill order is NCHW. */
void inc_testmodel_uniform(const char *name, uint64_t seed, float *out, size_t count);

/* The documented primitives, exposed so tests can check them against fixed vectors. */
uint64_t inc_testmodel_fnv1a64(const char *s);
uint64_t inc_testmodel_splitmix64(uint64_t key, uint64_t index);

/* Round a float32 to IEEE binary16 bits, round-to-nearest-even (numpy's astype). */
uint16_t inc_testmodel_f32_to_f16(float f);

#ifdef __cplusplus
}
#endif

#endif

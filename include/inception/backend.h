/*
 * The backend plug-in ABI: how a compute backend plugs into libinception.
 *
 * A backend is a table of kernels. The library builds the Inception-v3 graph, plans memory
 * and schedules work on its own threads; a backend only computes. Kernels never allocate,
 * never fail and never keep pointers: everything they need is in their arguments.
 *
 * Versioning: the table starts with abi_version and struct_size. The library accepts
 * abi_version in [INCEPTION_BACKEND_ABI_MIN, INCEPTION_BACKEND_ABI_VERSION], copies
 * struct_size bytes into a zeroed table of its own, and uses the `ref` kernels for every
 * member left NULL (or beyond struct_size). New members are only ever appended. The
 * descriptor structs below belong to the same ABI version as the table.
 *
 * Activations are NHWC float32 with a pixel stride: element (n, y, x, c) of a view is at
 * data[((n * h + y) * w + x) * pixel_stride + c]. A stride larger than c lets each branch
 * of an Inception block read or write its channel slice of a concatenated tensor.
 *
 * Work splitting: an op runs as `parts` calls with part = 0..parts-1, possibly at the same
 * time on different threads; together they must write every output element exactly once,
 * and no call may write outside its share. How the output is divided is the backend's
 * choice, but it must be a pure function of (descriptor, views, part, parts).
 */
#ifndef INCEPTION_BACKEND_H
#define INCEPTION_BACKEND_H

#include "inception/inception.h"

#ifdef __cplusplus
extern "C" {
#endif

#define INCEPTION_BACKEND_ABI_VERSION 1
#define INCEPTION_BACKEND_ABI_MIN 1

typedef struct inception_view {
    float *data;          /* read-only when the view is an input */
    int64_t n, h, w, c;
    int64_t pixel_stride; /* floats between neighbouring pixels, >= c */
} inception_view;

/* A convolution with BatchNorm folded in: out = act(conv(in, W) + bias). Padding is
 * symmetric (pad_h rows above and below, pad_w columns left and right) with zeros. */
typedef struct inception_conv_desc {
    int32_t in_channels, out_channels;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
    int32_t relu; /* 1: max(x, 0) after the bias; 0: identity (the fc layers) */
} inception_conv_desc;

typedef struct inception_pool_desc {
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
    int32_t count_include_pad; /* average pool: 1 divides by the full window */
} inception_pool_desc;

typedef struct inception_backend {
    uint32_t abi_version; /* INCEPTION_BACKEND_ABI_VERSION the backend was built with */
    uint32_t struct_size; /* sizeof(inception_backend) the backend was built with */
    const char *name;     /* unique; copied at registration */
    void *user;           /* passed back as the first argument of every member */

    /* > 0: usable, larger is preferred by "auto" (ref is 1); <= 0: cannot run here.
     * NULL means 1. Called once at registration and when "auto" chooses. */
    int32_t (*probe)(void *user);

    /* Convolution: conv_pack, conv_release and conv_run come as a set (all or none).
     * conv_pack receives weights as [out][kh][kw][in] float32 with BN folded in, and the
     * bias [out]; it returns the backend's own copy in *packed (the inputs are freed
     * after the call). Called once per conv at model load, possibly from several threads
     * for different convs. The fully connected layers are 1x1 convolutions on a 1x1 grid. */
    inception_status (*conv_pack)(void *user, const inception_conv_desc *desc,
                                  const float *weights, const float *bias, void **packed);
    void (*conv_release)(void *user, void *packed);
    /* Bytes of scratch each conv_run call needs (0 if none); NULL means 0. The scratch is
     * 64-byte aligned, private to the call, and its contents are undefined. */
    size_t (*conv_scratch)(void *user, const inception_conv_desc *desc, const void *packed,
                           const inception_view *in, const inception_view *out, int32_t parts);
    void (*conv_run)(void *user, const inception_conv_desc *desc, const void *packed,
                     const inception_view *in, const inception_view *out, int32_t part,
                     int32_t parts, void *scratch);

    /* Pools; padding never wins a max. */
    void (*max_pool)(void *user, const inception_pool_desc *desc, const inception_view *in,
                     const inception_view *out, int32_t part, int32_t parts);
    void (*avg_pool)(void *user, const inception_pool_desc *desc, const inception_view *in,
                     const inception_view *out, int32_t part, int32_t parts);
    /* Mean over h and w: out has h = w = 1. */
    void (*global_avg_pool)(void *user, const inception_view *in, const inception_view *out,
                            int32_t part, int32_t parts);
    /* Row-wise softmax of a [rows, cols] matrix (rows are contiguous). */
    void (*softmax)(void *user, const float *in, float *out, int64_t rows, int64_t cols);
} inception_backend;

/* Register a backend for the rest of the process (there is no unregister): its function
 * pointers and `user` must stay valid until exit. Errors: INVALID_ARGUMENT (NULL, empty
 * name), BACKEND (ABI version outside the accepted range, struct_size too small, partial
 * conv set, duplicate name). Thread-safe. */
INCEPTION_API inception_status inception_backend_register(const inception_backend *backend);

/* The table registered under `name` (after NULL members were filled from ref), borrowed
 * for the life of the process: lets a backend wrap another one. NOT_FOUND if unknown. */
INCEPTION_API inception_status inception_backend_get(const char *name,
                                                     const inception_backend **out);

#ifdef __cplusplus
}
#endif

#endif /* INCEPTION_BACKEND_H */

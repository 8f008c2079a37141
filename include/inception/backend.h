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

/* ---- Training ops (library 1.1) ----
 *
 * Backward kernels live in a second table, attached to a registered backend by name, so the
 * inference table above keeps its 1.0 layout. A backend without one (every 1.0 plug-in) still
 * loads and runs inference; training then uses ref's op for every member that is NULL or
 * beyond struct_size. The same rules as above hold: kernels never allocate or fail, views are
 * NHWC with a pixel stride, and an op runs as `parts` calls that together write every output
 * element exactly once (each call only its share, which must be a pure function of the
 * arguments). Versioning follows the inference table: abi_version in
 * [INCEPTION_BACKEND_TRAIN_ABI_MIN, INCEPTION_BACKEND_TRAIN_ABI_VERSION], members appended
 * only. */
#define INCEPTION_BACKEND_TRAIN_ABI_VERSION 1
#define INCEPTION_BACKEND_TRAIN_ABI_MIN 1

typedef struct inception_backend_train {
    uint32_t abi_version; /* INCEPTION_BACKEND_TRAIN_ABI_VERSION */
    uint32_t struct_size; /* sizeof(inception_backend_train) the backend was built with */
    void *user;           /* passed back as the first argument */

    /* Weights are the unpacked layout [out][kh][kw][in] float32 (no BN folded). dy is the
     * gradient of the convolution's raw output (BN/ReLU backward is the caller's); desc->relu
     * is ignored. dy has the convolution's output shape, dx its input shape. */

    /* dx (+)= transposed convolution of dy with W. accumulate = 0 overwrites dx, 1 adds
     * (a tensor read by several branches sums their gradients). Parts split dx. Scratch as
     * for conv_run: 64-byte aligned, private to the call; NULL means 0 bytes. */
    size_t (*conv_backward_data_scratch)(void *user, const inception_conv_desc *desc,
                                         const inception_view *dy, const inception_view *dx,
                                         int32_t parts);
    void (*conv_backward_data)(void *user, const inception_conv_desc *desc, const float *weights,
                               const inception_view *dy, const inception_view *dx,
                               int32_t accumulate, int32_t part, int32_t parts, void *scratch);

    /* dW[out][kh][kw][in] = sum over n, y, x of x * dy (overwrites). Parts split the output
     * channels, so every sum runs over all pixels in one fixed order: results do not depend
     * on the thread count. */
    size_t (*conv_backward_weights_scratch)(void *user, const inception_conv_desc *desc,
                                            const inception_view *x, const inception_view *dy,
                                            int32_t parts);
    void (*conv_backward_weights)(void *user, const inception_conv_desc *desc,
                                  const inception_view *x, const inception_view *dy,
                                  float *dweights, int32_t part, int32_t parts, void *scratch);

    /* Pools: dx (+)= ...; max routes each dy to the first maximum of its window in (ky, kx)
     * order (PyTorch's rule; padding never wins); avg honours count_include_pad. Parts
     * split dx. */
    void (*max_pool_backward)(void *user, const inception_pool_desc *desc,
                              const inception_view *x, const inception_view *dy,
                              const inception_view *dx, int32_t accumulate, int32_t part,
                              int32_t parts);
    void (*avg_pool_backward)(void *user, const inception_pool_desc *desc,
                              const inception_view *dy, const inception_view *dx,
                              int32_t accumulate, int32_t part, int32_t parts);

    /* Optional (NULL: the trainer calls conv_pack and conv_release after every optimizer
     * step): writes new weights and bias into `packed`, made by this backend's conv_pack
     * for the same descriptor, in place and without allocating. Never filled from ref's
     * (a backend's packed weights are its own). Errors: INVALID_ARGUMENT (another
     * descriptor). */
    inception_status (*conv_repack)(void *user, const inception_conv_desc *desc,
                                    const float *weights, const float *bias, void *packed);
} inception_backend_train;

/* Attach training ops to the registered backend `name` (copied, NULL members and members
 * beyond struct_size use ref's; the pointers and `user` must stay valid until exit). A
 * backend has at most one training table: the built-ins come with theirs. Errors:
 * INVALID_ARGUMENT (NULL name or ops), NOT_FOUND (no such backend), BACKEND (ABI version
 * outside the accepted range, struct_size smaller than the header, already attached).
 * Thread-safe. */
INCEPTION_API inception_status inception_backend_register_train(const char *name,
                                                                const inception_backend_train *ops);

#ifdef __cplusplus
}
#endif

#endif /* INCEPTION_BACKEND_H */

#include <string.h>

#include "api/handles.h"
#include "common/common.h"

inception_status inc_tensor_init(inception_tensor *t, inception_dtype dtype,
                                 inception_layout layout, const int64_t *dims, int32_t rank) {
    if (dtype != INCEPTION_DTYPE_F32)
        return inc_error(INCEPTION_ERR_DTYPE, "unsupported tensor dtype %d", (int)dtype);
    int32_t want;
    switch (layout) {
    case INCEPTION_LAYOUT_NCHW: case INCEPTION_LAYOUT_NHWC: want = 4; break;
    case INCEPTION_LAYOUT_NC: want = 2; break;
    default: return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "unknown tensor layout %d", (int)layout);
    }
    if (!dims) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "dims is NULL");
    if (rank != want)
        return inc_error(INCEPTION_ERR_SHAPE, "layout %d needs rank %d, got %d", (int)layout,
                         want, (int)rank);
    size_t bytes = sizeof(float);
    for (int32_t i = 0; i < rank; i++) {
        if (dims[i] < 1)
            return inc_error(INCEPTION_ERR_SHAPE, "dimension %d is %lld; must be >= 1", (int)i,
                             (long long)dims[i]);
        if ((uint64_t)dims[i] > SIZE_MAX || !inc_mul_size(bytes, (size_t)dims[i], &bytes))
            return inc_error(INCEPTION_ERR_SHAPE, "tensor size overflows");
    }
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->layout = layout;
    t->rank = rank;
    for (int32_t i = 0; i < rank; i++) t->dims[i] = dims[i];
    t->bytes = bytes;
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_tensor_create(inception_dtype dtype,
                                                       inception_layout layout,
                                                       const int64_t *dims, int32_t rank,
                                                       inception_tensor **out) {
    inc_error_clear();
    if (!out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "out is NULL");
    inception_tensor tmp;
    inception_status st = inc_tensor_init(&tmp, dtype, layout, dims, rank);
    if (st) return st;
    inception_tensor *t = inc_malloc(sizeof *t);
    void *data = inc_malloc_aligned(tmp.bytes);
    if (!t || !data) {
        inc_free(t);
        inc_free_aligned(data);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating a tensor of %zu bytes", tmp.bytes);
    }
    memset(data, 0, tmp.bytes);
    *t = tmp;
    t->data = data;
    t->owns = 1;
    *out = t;
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_tensor_wrap(inception_dtype dtype,
                                                     inception_layout layout,
                                                     const int64_t *dims, int32_t rank,
                                                     void *data, size_t bytes,
                                                     inception_tensor **out) {
    inc_error_clear();
    if (!out || !data) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "data and out are required");
    inception_tensor tmp;
    inception_status st = inc_tensor_init(&tmp, dtype, layout, dims, rank);
    if (st) return st;
    if (bytes != tmp.bytes)
        return inc_error(INCEPTION_ERR_SHAPE, "buffer has %zu bytes; the dims need %zu", bytes,
                         tmp.bytes);
    if ((uintptr_t)data % sizeof(float))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "data is not aligned to 4 bytes");
    inception_tensor *t = inc_malloc(sizeof *t);
    if (!t) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating a tensor");
    *t = tmp;
    t->data = data;
    *out = t;
    return INCEPTION_OK;
}

INCEPTION_API void inception_tensor_free(inception_tensor *t) {
    if (!t || t->borrowed) return;
    if (t->owns) inc_free_aligned(t->data);
    inc_free(t);
}

INCEPTION_API inception_dtype inception_tensor_dtype(const inception_tensor *t) {
    return t ? t->dtype : (inception_dtype)0;
}
INCEPTION_API inception_layout inception_tensor_layout(const inception_tensor *t) {
    return t ? t->layout : (inception_layout)0;
}
INCEPTION_API int32_t inception_tensor_rank(const inception_tensor *t) { return t ? t->rank : 0; }
INCEPTION_API int64_t inception_tensor_dim(const inception_tensor *t, int32_t i) {
    return t && i >= 0 && i < t->rank ? t->dims[i] : 0;
}
INCEPTION_API void *inception_tensor_data(const inception_tensor *t) { return t ? t->data : NULL; }
INCEPTION_API size_t inception_tensor_byte_size(const inception_tensor *t) { return t ? t->bytes : 0; }

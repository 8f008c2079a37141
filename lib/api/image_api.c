/* Public entry points over lib/image: decode, raw pixels, preprocess, labels. */
#include <stdio.h>
#include <string.h>

#include "api/handles.h"
#include "image/image.h"

INCEPTION_API inception_status inception_image_decode_memory(const void *data, size_t size,
                                                             const inception_options *options,
                                                             inception_image **out) {
    inc_error_clear();
    if (!data) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "data is NULL");
    if (!out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "out is NULL");
    inc_decode_opts o;
    inc_decode_opts_from(options, &o);
    return inc_decode_memory(data, size, &o, out);
}

INCEPTION_API inception_status inception_image_decode_file(const char *path,
                                                           const inception_options *options,
                                                           inception_image **out) {
    inc_error_clear();
    if (!path) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "path is NULL");
    if (!out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "out is NULL");
    inc_decode_opts o;
    inc_decode_opts_from(options, &o);
    inc_file_buf file;
    inception_status st = inc_file_read(path, &file);
    if (st != INCEPTION_OK) return st;
    st = inc_decode_memory(file.data, file.size, &o, out);
    inc_file_release(&file);
    if (st != INCEPTION_OK) {
        /* Prefix the file name so a batch of errors can be told apart. */
        char msg[INC_ERROR_MAX];
        snprintf(msg, sizeof msg, "%s", inc_error_message());
        return inc_error(st, "%s: %s", path, msg);
    }
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_image_from_pixels(const void *pixels, int32_t width,
                                                           int32_t height, size_t row_stride,
                                                           inception_pixel_format format,
                                                           const inception_options *options,
                                                           inception_image **out) {
    inc_error_clear();
    if (!pixels) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "pixels is NULL");
    if (!out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "out is NULL");
    if (width <= 0 || height <= 0)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "image size %dx%d is not positive",
                         (int)width, (int)height);
    size_t bpp;
    switch (format) {
    case INCEPTION_PIXEL_RGB: case INCEPTION_PIXEL_BGR: bpp = 3; break;
    case INCEPTION_PIXEL_RGBA: case INCEPTION_PIXEL_BGRA: bpp = 4; break;
    case INCEPTION_PIXEL_GRAY: bpp = 1; break;
    default:
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "unknown pixel format %d",
                         (int)format);
    }
    if (row_stride < (size_t)width * bpp)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         "row_stride %zu is below width*%zu = %zu", row_stride, bpp,
                         (size_t)width * bpp);
    inc_decode_opts o;
    inc_decode_opts_from(options, &o);
    inception_image *img = NULL;
    inception_status st = inc_image_new(width, height, o.max_pixels, &img);
    if (st != INCEPTION_OK) return st;
    int swap = format == INCEPTION_PIXEL_BGR || format == INCEPTION_PIXEL_BGRA;
    for (int32_t y = 0; y < height; y++) {
        const uint8_t *s = (const uint8_t *)pixels + (size_t)y * row_stride;
        uint8_t *d = img->pixels + (size_t)y * width * 3;
        for (int32_t x = 0; x < width; x++, s += bpp, d += 3) {
            if (bpp == 1) {
                d[0] = d[1] = d[2] = s[0];
            } else {
                d[0] = s[swap ? 2 : 0];
                d[1] = s[1];
                d[2] = s[swap ? 0 : 2];
            }
        }
    }
    *out = img;
    return INCEPTION_OK;
}

INCEPTION_API void inception_image_free(inception_image *image) { inc_image_destroy(image); }

INCEPTION_API int32_t inception_image_width(const inception_image *image) {
    return image ? image->width : 0;
}

INCEPTION_API int32_t inception_image_height(const inception_image *image) {
    return image ? image->height : 0;
}

INCEPTION_API const uint8_t *inception_image_pixels(const inception_image *image) {
    return image ? image->pixels : NULL;
}

INCEPTION_API inception_status inception_model_create_input(const inception_model *model,
                                                            int64_t batch,
                                                            inception_layout layout,
                                                            inception_tensor **out) {
    inc_error_clear();
    if (!model) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "model is NULL");
    if (!out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "out is NULL");
    if (batch < 1)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "batch %lld is below 1",
                         (long long)batch);
    int64_t h = model->cfg.input_h, w = model->cfg.input_w;
    int64_t dims[4];
    if (layout == INCEPTION_LAYOUT_NCHW) {
        dims[0] = batch; dims[1] = 3; dims[2] = h; dims[3] = w;
    } else if (layout == INCEPTION_LAYOUT_NHWC) {
        dims[0] = batch; dims[1] = h; dims[2] = w; dims[3] = 3;
    } else {
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         "layout %d is not NCHW or NHWC", (int)layout);
    }
    return inception_tensor_create(INCEPTION_DTYPE_F32, layout, dims, 4, out);
}

/* Checks shared by preprocess and classify; fills the output size. */
static inception_status check_batch(const inception_tensor *t, int64_t index, int32_t *oh,
                                    int32_t *ow) {
    if (t->dtype != INCEPTION_DTYPE_F32)
        return inc_error(INCEPTION_ERR_DTYPE, "batch tensor is not float32");
    if (t->rank != 4)
        return inc_error(INCEPTION_ERR_SHAPE, "batch tensor has rank %d, not 4", (int)t->rank);
    int64_t n = t->dims[0], c, h, w;
    if (t->layout == INCEPTION_LAYOUT_NCHW) {
        c = t->dims[1]; h = t->dims[2]; w = t->dims[3];
    } else if (t->layout == INCEPTION_LAYOUT_NHWC) {
        h = t->dims[1]; w = t->dims[2]; c = t->dims[3];
    } else {
        return inc_error(INCEPTION_ERR_SHAPE, "batch tensor layout is not NCHW or NHWC");
    }
    if (c != 3)
        return inc_error(INCEPTION_ERR_SHAPE, "batch tensor has %lld channels, not 3",
                         (long long)c);
    if (h < 1 || w < 1 || h > 65535 || w > 65535)
        return inc_error(INCEPTION_ERR_INPUT_SIZE, "batch tensor size %lldx%lld unsupported",
                         (long long)h, (long long)w);
    if (index < 0 || index >= n)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "index %lld outside batch of %lld",
                         (long long)index, (long long)n);
    if (!t->data) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "batch tensor has no data");
    *oh = (int32_t)h;
    *ow = (int32_t)w;
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_image_preprocess(const inception_model *model,
                                                          const inception_image *image,
                                                          inception_tensor *batch,
                                                          int64_t index) {
    inc_error_clear();
    if (!model) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "model is NULL");
    if (!image) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "image is NULL");
    if (!batch) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "batch is NULL");
    int32_t oh = 0, ow = 0;
    inception_status st = check_batch(batch, index, &oh, &ow);
    if (st != INCEPTION_OK) return st;
    const inc_config *cfg = &model->cfg;
    inc_preset preset = cfg->preset;
    if (preset != INC_PRESET_TORCHVISION && preset != INC_PRESET_TIMM &&
        preset != INC_PRESET_TF && preset != INC_PRESET_RESIZE && preset != INC_PRESET_UNIT)
        return inc_error(INCEPTION_ERR_UNSUPPORTED, "unknown preprocessing preset %d",
                         (int)preset);
    size_t n = (size_t)oh * ow;
    float *unit = inc_malloc(n * 3 * sizeof(float));
    if (!unit) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "preprocess buffer");
    st = inc_preprocess_unit(image, preset, oh, ow, unit);
    if (st != INCEPTION_OK) {
        inc_free(unit);
        return st;
    }
    float scale[3], shift[3];
    for (int c = 0; c < 3; c++) {
        scale[c] = 1.0f / cfg->std[c];
        shift[c] = cfg->mean[c];
    }
    float *data = (float *)batch->data;
    if (batch->layout == INCEPTION_LAYOUT_NCHW) {
        float *base = data + (size_t)index * 3 * n;
        for (int c = 0; c < 3; c++) {
            float *d = base + (size_t)c * n;
            for (size_t i = 0; i < n; i++) d[i] = (unit[3 * i + c] - shift[c]) * scale[c];
        }
    } else {
        float *d = data + (size_t)index * 3 * n;
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                d[3 * i + c] = (unit[3 * i + c] - shift[c]) * scale[c];
    }
    inc_free(unit);
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_model_label(const inception_model *model,
                                                     int64_t class_index, const char **out) {
    inc_error_clear();
    if (!model) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "model is NULL");
    if (!out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "out is NULL");
    const inc_config *cfg = &model->cfg;
    if (class_index < 0 || class_index >= cfg->classes)
        return inc_error(INCEPTION_ERR_NOT_FOUND, "class %lld outside [0, %lld)",
                         (long long)class_index, (long long)cfg->classes);
    if (cfg->labels && class_index < cfg->n_labels) {
        *out = cfg->labels[class_index];
        return INCEPTION_OK;
    }
    /* Built-in names only make sense for an ImageNet-1k head. */
    if (cfg->classes - cfg->label_offset != INC_IMAGENET_CLASSES)
        return inc_error(INCEPTION_ERR_NOT_FOUND,
                         "model has %lld classes and no labels in its metadata",
                         (long long)cfg->classes);
    if (class_index < cfg->label_offset) {
        *out = "background";
        return INCEPTION_OK;
    }
    *out = inc_imagenet_labels[class_index - cfg->label_offset];
    return INCEPTION_OK;
}

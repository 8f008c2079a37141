#include <string.h>

#include "api/options.h"
#include "common/common.h"
#include "model/model.h"
#include "model/quant.h"

static const inception_options defaults = {
    .backend = NULL,
    .threads = 0,
    .outputs = INC_DEFAULT_OUTPUTS,
    .pool_include_pad = -1,
    .label_offset = -1,
    .preset = NULL,
    .skip_checksum = 0,
    .profile = 0,
    .max_image_pixels = INC_DEFAULT_MAX_PIXELS,
    .exif_orientation = 1,
    .decode_min_side = 0,
    .crops = 1,
    .crop_average = 0,
    .crop_batch = 8,
    .max_decode_memory = INC_DEFAULT_MAX_DECODE_MEMORY,
    .max_jpeg_scans = INC_DEFAULT_MAX_JPEG_SCANS,
    .max_session_memory = INC_DEFAULT_MAX_SESSION_MEMORY,
    .train = INC_TRAIN_OPTS_DEFAULT,
    .stem = 0,
    .quant_bias_correction = 1,
};

const inception_options *inc_options_default(void) { return &defaults; }

void inc_decode_opts_from(const inception_options *opts, inc_decode_opts *out) {
    if (!opts) opts = inc_options_default();
    out->max_pixels = opts->max_image_pixels > 0 ? opts->max_image_pixels
                                                 : INC_DEFAULT_MAX_PIXELS;
    out->exif = opts->exif_orientation != 0;
    out->min_side = opts->decode_min_side > 0
                        ? (int32_t)(opts->decode_min_side > INT32_MAX ? INT32_MAX
                                                                      : opts->decode_min_side)
                        : 0;
    out->max_memory = opts->max_decode_memory > 0 ? opts->max_decode_memory
                                                  : INC_DEFAULT_MAX_DECODE_MEMORY;
    out->max_scans = opts->max_jpeg_scans > 0 && opts->max_jpeg_scans <= INC_MAX_JPEG_SCANS_LIMIT
                         ? (int32_t)opts->max_jpeg_scans
                         : INC_DEFAULT_MAX_JPEG_SCANS;
}

INCEPTION_API inception_status inception_options_create(inception_options **out) {
    inc_error_clear();
    if (!out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "out is NULL");
    inception_options *o = inc_malloc(sizeof *o);
    if (!o) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating options");
    *o = defaults;
    *out = o;
    return INCEPTION_OK;
}

INCEPTION_API void inception_options_free(inception_options *o) {
    if (!o) return;
    inc_free(o->backend);
    inc_free(o->preset);
    inc_free(o->labels_file);
    inc_free(o->mean);
    inc_free(o->std);
    inc_free(o->extra_outputs);
    inc_free(o->precision);
    inc_free(o->quant_calibration);
    inc_free(o->quant_method);
    inc_train_opts_free(&o->train);
    inc_free(o);
}

static inception_status range(int64_t v, int64_t lo, int64_t hi, const char *what) {
    if (v < lo || v > hi)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "%s must be in [%lld, %lld], got %lld",
                         what, (long long)lo, (long long)hi, (long long)v);
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_options_set_int(inception_options *o,
                                                         inception_option key, int64_t v) {
    inc_error_clear();
    if (!o) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "options is NULL");
    int64_t *slot = NULL;
    inception_status st = INCEPTION_OK;
    switch (key) {
    case INCEPTION_OPT_THREADS: st = range(v, 0, 1024, "THREADS"); slot = &o->threads; break;
    case INCEPTION_OPT_OUTPUTS: st = range(v, 1, 31, "OUTPUTS"); slot = &o->outputs; break;
    case INCEPTION_OPT_POOL_INCLUDE_PAD:
        st = range(v, 0, 1, "POOL_INCLUDE_PAD"); slot = &o->pool_include_pad; break;
    case INCEPTION_OPT_LABEL_OFFSET:
        st = range(v, 0, 1, "LABEL_OFFSET"); slot = &o->label_offset; break;
    case INCEPTION_OPT_SKIP_CHECKSUM:
        st = range(v, 0, 1, "SKIP_CHECKSUM"); slot = &o->skip_checksum; break;
    case INCEPTION_OPT_PROFILE: st = range(v, 0, 1, "PROFILE"); slot = &o->profile; break;
    case INCEPTION_OPT_MAX_IMAGE_PIXELS:
        st = range(v, 1, INT64_MAX, "MAX_IMAGE_PIXELS"); slot = &o->max_image_pixels; break;
    case INCEPTION_OPT_EXIF_ORIENTATION:
        st = range(v, 0, 1, "EXIF_ORIENTATION"); slot = &o->exif_orientation; break;
    case INCEPTION_OPT_DECODE_MIN_SIDE:
        st = range(v, 0, 1 << 30, "DECODE_MIN_SIDE"); slot = &o->decode_min_side; break;
    case INCEPTION_OPT_CROPS:
        if (v != 1 && v != 10 && v != 12 && v != 144)
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             "CROPS must be 1, 10, 12 or 144, got %lld", (long long)v);
        slot = &o->crops;
        break;
    case INCEPTION_OPT_CROP_AVERAGE:
        st = range(v, 0, 1, "CROP_AVERAGE"); slot = &o->crop_average; break;
    case INCEPTION_OPT_CROP_BATCH:
        st = range(v, 1, 144, "CROP_BATCH"); slot = &o->crop_batch; break;
    case INCEPTION_OPT_MAX_DECODE_MEMORY:
        st = range(v, 1, INT64_MAX, "MAX_DECODE_MEMORY"); slot = &o->max_decode_memory; break;
    case INCEPTION_OPT_MAX_JPEG_SCANS:
        st = range(v, 1, INC_MAX_JPEG_SCANS_LIMIT, "MAX_JPEG_SCANS");
        slot = &o->max_jpeg_scans;
        break;
    case INCEPTION_OPT_MAX_SESSION_MEMORY:
        st = range(v, 0, INT64_MAX, "MAX_SESSION_MEMORY"); slot = &o->max_session_memory; break;
    case INCEPTION_OPT_QUANT_BIAS_CORRECTION:
        st = range(v, 0, 1, "QUANT_BIAS_CORRECTION"); slot = &o->quant_bias_correction; break;
    case INCEPTION_OPT_STEM:
        if (v != 0 && v != 299 && v != 151 && v != 79)
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             "STEM must be 0 (from the file), 299, 151 or 79, got %lld",
                             (long long)v);
        slot = &o->stem;
        break;
    case INCEPTION_OPT_QUANT_WEIGHT_BITS:
        if (v != 7 && v != 8)
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             "QUANT_WEIGHT_BITS must be 7 or 8, got %lld", (long long)v);
        slot = &o->quant_weight_bits;
        break;
    case INCEPTION_OPT_BACKEND:
    case INCEPTION_OPT_PRESET:
    case INCEPTION_OPT_LABELS_FILE:
    case INCEPTION_OPT_MEAN:
    case INCEPTION_OPT_STD:
    case INCEPTION_OPT_EXTRA_OUTPUTS:
    case INCEPTION_OPT_PRECISION:
    case INCEPTION_OPT_QUANT_CALIBRATION:
    case INCEPTION_OPT_QUANT_METHOD:
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "option %d takes a string", (int)key);
    default:
        if (key >= 300 && key <= 399) return inc_train_opt_set_int(&o->train, key, v);
        return inc_error(INCEPTION_ERR_NOT_FOUND, "unknown option %d", (int)key);
    }
    if (st == INCEPTION_OK) *slot = v;
    return st;
}

INCEPTION_API inception_status inception_options_set_string(inception_options *o,
                                                            inception_option key,
                                                            const char *value) {
    inc_error_clear();
    if (!o || !value) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "options and value are required");
    char **slot;
    switch (key) {
    case INCEPTION_OPT_BACKEND: slot = &o->backend; break;
    case INCEPTION_OPT_PRESET:
        if (!inc_preset_known(value))
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "PRESET must be %s, got '%.64s'",
                             INC_PRESET_NAMES, value);
        slot = &o->preset;
        break;
    case INCEPTION_OPT_LABELS_FILE: slot = &o->labels_file; break;
    case INCEPTION_OPT_MEAN:
    case INCEPTION_OPT_STD: {
        /* the pair is checked together (a finite normalised range) at model load */
        float v[3];
        int is_std = key == INCEPTION_OPT_STD;
        if (!inc_parse_triple(value, v) || (is_std && !(v[0] > 0 && v[1] > 0 && v[2] > 0)))
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             "%s must be three finite%s numbers \"r,g,b\", got '%.64s'",
                             is_std ? "STD" : "MEAN", is_std ? " positive" : "", value);
        slot = key == INCEPTION_OPT_MEAN ? &o->mean : &o->std;
        break;
    }
    case INCEPTION_OPT_EXTRA_OUTPUTS: slot = &o->extra_outputs; break;
    case INCEPTION_OPT_PRECISION:
        if (strcmp(value, "float") && strcmp(value, "int8") && strcmp(value, "auto"))
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             "PRECISION must be float, int8 or auto, got '%.64s'", value);
        slot = &o->precision;
        break;
    case INCEPTION_OPT_QUANT_CALIBRATION: slot = &o->quant_calibration; break;
    case INCEPTION_OPT_QUANT_METHOD: {
        double p;
        if (inc_quant_method_parse(value, &p) != 0)
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             "QUANT_METHOD must be mse, minmax, percentile or percentile=P with P in "
                             "[50, 100], got '%.64s'", value);
        slot = &o->quant_method;
        break;
    }
    case INCEPTION_OPT_THREADS: case INCEPTION_OPT_OUTPUTS: case INCEPTION_OPT_POOL_INCLUDE_PAD:
    case INCEPTION_OPT_LABEL_OFFSET: case INCEPTION_OPT_SKIP_CHECKSUM: case INCEPTION_OPT_PROFILE:
    case INCEPTION_OPT_MAX_IMAGE_PIXELS: case INCEPTION_OPT_EXIF_ORIENTATION:
    case INCEPTION_OPT_CROPS: case INCEPTION_OPT_CROP_AVERAGE: case INCEPTION_OPT_CROP_BATCH:
    case INCEPTION_OPT_DECODE_MIN_SIDE: case INCEPTION_OPT_MAX_DECODE_MEMORY:
    case INCEPTION_OPT_MAX_JPEG_SCANS:
    case INCEPTION_OPT_MAX_SESSION_MEMORY:
    case INCEPTION_OPT_STEM:
    case INCEPTION_OPT_QUANT_BIAS_CORRECTION:
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "option %d takes an integer", (int)key);
    default:
        if (key >= 300 && key <= 399) return inc_train_opt_set_string(&o->train, key, value);
        return inc_error(INCEPTION_ERR_NOT_FOUND, "unknown option %d", (int)key);
    }
    if (!value[0]) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "empty value for option %d", (int)key);
    char *copy = inc_strdup(value);
    if (!copy) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "copying an option value");
    inc_free(*slot);
    *slot = copy;
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_options_set_double(inception_options *o,
                                                            inception_option key, double v) {
    inc_error_clear();
    if (!o) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "options is NULL");
    if (key >= 300 && key <= 399) return inc_train_opt_set_double(&o->train, key, v);
    return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "option %d does not take a number", (int)key);
}

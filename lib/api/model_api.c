#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/handles.h"
#include "backends/registry.h"
#include "graph/plan.h"

/* The metadata's input size must not force a session past the memory limit for a single
 * image (issue 9.7): plan it once, without allocating, and refuse the file if it does. */
static inception_status check_input_memory(const inception_model *m, const inception_options *opts) {
    if (opts->max_session_memory <= 0) return INCEPTION_OK;
    inc_plan plan;
    inception_status st = inc_plan_build(&plan, &m->net, m->backend, 1, m->cfg.input_h,
                                         m->cfg.input_w, 0, 1, 0, NULL);
    if (st) return st;
    size_t need = plan.arena_bytes + plan.scratch_bytes; /* both far below SIZE_MAX here */
    inc_plan_free(&plan);
    if (need > (uint64_t)opts->max_session_memory)
        return inc_error(INCEPTION_ERR_INPUT_SIZE,
                         "metadata inception.input_size %dx%d needs %zu bytes of session memory "
                         "per image, above INCEPTION_OPT_MAX_SESSION_MEMORY = %lld",
                         (int)m->cfg.input_h, (int)m->cfg.input_w, need,
                         (long long)opts->max_session_memory);
    return INCEPTION_OK;
}

typedef struct crc_job {
    const uint8_t *data;
    size_t size;
    uint32_t crc;
} crc_job;

static void *crc_main(void *p) {
    crc_job *j = p;
    j->crc = inc_crc32(j->data, j->size);
    return NULL;
}

/* PRECISION / QUANT_CALIBRATION / the file's record: NULL *calib = run float. */
static inception_status choose_precision(const inc_safetensors *file, const inception_options *opts,
                                         inc_calibration **calib) {
    *calib = NULL;
    const char *prec = opts->precision ? opts->precision : "auto";
    const char *meta = inc_st_meta_get(file, "inception.quant.calibration");
    if (strcmp(prec, "float") == 0) return INCEPTION_OK;
    if (!meta && !opts->quant_calibration) {
        if (strcmp(prec, "int8") == 0)
            return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                             "PRECISION int8: the file is not quantised (no "
                             "inception.quant.calibration) and no QUANT_CALIBRATION record was given");
        return INCEPTION_OK;
    }
    inc_calibration *c = inc_malloc(sizeof *c);
    if (!c) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating the calibration record");
    inception_status st;
    if (opts->quant_calibration) {
        inc_file_buf buf;
        st = inc_file_read(opts->quant_calibration, &buf);
        if (st == INCEPTION_OK) {
            st = inc_calibration_parse((const char *)buf.data, buf.size, opts->quant_calibration, c);
            inc_file_release(&buf);
        }
    } else {
        st = inc_calibration_parse(meta, strlen(meta), "inception.quant.calibration", c);
    }
    if (st) {
        inc_free(c); /* a failed parse holds no means */
        return st;
    }
    *calib = c;
    return INCEPTION_OK;
}

static inception_status load(const uint8_t *data, size_t size, const inception_options *opts,
                             inception_model **out) {
    if (!opts) opts = inc_options_default();
    const inception_backend *be = NULL;
    inception_status st = inc_backend_select(opts->backend, &be);
    if (st) return st;

    inc_safetensors file;
    st = inc_st_parse(data, size, &file);
    if (st) return st;
    inception_model *m = inc_calloc(1, sizeof *m);
    if (!m) {
        inc_st_free(&file);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "allocating the model");
    }
    st = inc_config_read(&file, opts, &m->cfg);
    if (st == INCEPTION_OK) {
        /* The CRC of the data section runs beside the weight packing. */
        crc_job crc = {file.data, file.data_size, 0};
        pthread_t tid;
        int threaded = pthread_create(&tid, NULL, crc_main, &crc) == 0;
        if (!threaded) crc_main(&crc);
        st = choose_precision(&file, opts, &m->calib);
        inc_quant q = {m->calib, getenv("INCEPTION_Q8_LEVEL"), getenv("INCEPTION_Q8_MIXED"),
                       (int32_t)opts->quant_weight_bits};
        if (st == INCEPTION_OK) st = inc_net_build_q(&m->net, &file, &m->cfg, be, m->calib ? &q : NULL);
        if (m->calib) inc_calibration_clear(m->calib); /* the means serve the packing only */
        if (threaded) pthread_join(tid, NULL);
        if (st == INCEPTION_OK) m->backend = be;
        if (st == INCEPTION_OK && ((st = inc_config_check_crc(&m->cfg, crc.crc)) ||
                                   (st = check_input_memory(m, opts))))
            inc_net_free(&m->net, be);
        if (st) inc_config_free(&m->cfg);
    }
    if (st == INCEPTION_OK) {
        const char *syn = inc_st_meta_get(&file, "inception.synthetic");
        m->synthetic = syn && strcmp(syn, "true") == 0;
    }
    inc_st_free(&file);
    if (st) {
        inc_free(m->calib);
        inc_free(m);
        return st;
    }
    m->backend = be;
    atomic_init(&m->refs, 1);
    *out = m;
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_model_load_memory(const void *data, size_t size,
                                                           const inception_options *options,
                                                           inception_model **out) {
    inc_error_clear();
    if (!data || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "data and out are required");
    return load(data, size, options, out);
}

INCEPTION_API inception_status inception_model_load_file(const char *path,
                                                         const inception_options *options,
                                                         inception_model **out) {
    inc_error_clear();
    if (!path || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "path and out are required");
    inc_file_buf buf;
    inception_status st = inc_file_read(path, &buf);
    if (st) return st;
    inception_model *m = NULL;
    st = load(buf.data, buf.size, options, &m);
    inc_file_release(&buf);
    if (st) return st;
    /* The path is only a hint for a later save (which checks the CRC), so a failure to
     * resolve or copy it leaves it unset rather than failing the load. */
    char *abs = realpath(path, NULL);
    if (abs) {
        m->source_path = inc_strdup(abs);
        free(abs);
    }
    *out = m;
    return INCEPTION_OK;
}

void inc_model_retain(const inception_model *model) {
    atomic_fetch_add(&((inception_model *)model)->refs, 1);
}

void inc_model_release(const inception_model *cm) {
    inception_model *m = (inception_model *)cm;
    if (atomic_fetch_sub(&m->refs, 1) != 1) return;
    inc_net_free(&m->net, m->backend);
    inc_config_free(&m->cfg);
    inc_free(m->source_path);
    inc_free(m->calib);
    inc_free(m);
}

INCEPTION_API void inception_model_free(inception_model *model) {
    if (model) inc_model_release(model);
}

INCEPTION_API inception_status inception_model_info_int(const inception_model *m,
                                                        inception_model_info key, int64_t *out) {
    inc_error_clear();
    if (!m || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "model and out are required");
    int64_t v;
    switch (key) {
    case INCEPTION_INFO_CLASSES: v = m->cfg.classes; break;
    case INCEPTION_INFO_LABEL_OFFSET: v = m->cfg.label_offset; break;
    case INCEPTION_INFO_INPUT_HEIGHT: v = m->cfg.input_h; break;
    case INCEPTION_INFO_INPUT_WIDTH: v = m->cfg.input_w; break;
    case INCEPTION_INFO_PARAMETERS: v = m->net.parameters; break;
    case INCEPTION_INFO_HAS_AUX: v = m->cfg.has_aux; break;
    case INCEPTION_INFO_FEATURES: v = 2048; break;
    case INCEPTION_INFO_POOL_INCLUDE_PAD: v = m->cfg.pool_include_pad; break;
    case INCEPTION_INFO_BN_HAS_GAMMA: v = m->cfg.bn_has_gamma; break;
    case INCEPTION_INFO_CRC32: v = m->cfg.crc32; break;
    case INCEPTION_INFO_HAS_LABELS: v = m->cfg.labels != NULL; break;
    case INCEPTION_INFO_MIN_INPUT_SIZE: v = m->net.min_input; break;
    case INCEPTION_INFO_SYNTHETIC: v = m->synthetic; break;
    case INCEPTION_INFO_HAS_FC: v = m->cfg.has_fc; break;
    case INCEPTION_INFO_PARAMETERS_WITH_AUX: v = m->net.parameters + m->net.parameters_aux; break;
    case INCEPTION_INFO_STEM: v = m->cfg.arch.stem; break;
    case INCEPTION_INFO_STEM_CONV: v = m->cfg.arch.stem_conv; break;
    case INCEPTION_INFO_AUX_BN: v = m->cfg.arch.aux == INC_AUX_BN; break;
    case INCEPTION_INFO_QUANTIZED: v = m->net.quantized; break;
    case INCEPTION_INFO_QUANTIZED_LAYERS: v = m->net.q8_layers; break;
    case INCEPTION_INFO_CALIBRATION_IMAGES: v = m->calib ? m->calib->images : 0; break;
    default: return inc_error(INCEPTION_ERR_NOT_FOUND, "unknown model info key %d", (int)key);
    }
    *out = v;
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_model_info_string(const inception_model *m,
                                                           inception_model_info_str key,
                                                           const char **out) {
    inc_error_clear();
    if (!m || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "model and out are required");
    switch (key) {
    case INCEPTION_INFO_BACKEND: *out = m->backend->name; break;
    case INCEPTION_INFO_PRESET: *out = inc_preset_name(m->cfg.preset); break;
    case INCEPTION_INFO_ISA: *out = inc_backend_isa(m->backend); break;
    case INCEPTION_INFO_NORMALIZATION: *out = m->cfg.normalization ? m->cfg.normalization : ""; break;
    case INCEPTION_INFO_NAME: *out = m->cfg.name ? m->cfg.name : ""; break;
    case INCEPTION_INFO_ARCHITECTURE: *out = m->cfg.arch.description; break;
    case INCEPTION_INFO_PRECISION: *out = m->net.quantized ? "int8" : "float"; break;
    case INCEPTION_INFO_CALIBRATION_METHOD: *out = m->calib ? m->calib->method : ""; break;
    case INCEPTION_INFO_INT8_LEVEL: *out = m->net.q8_level; break;
    default: return inc_error(INCEPTION_ERR_NOT_FOUND, "unknown model info key %d", (int)key);
    }
    return INCEPTION_OK;
}

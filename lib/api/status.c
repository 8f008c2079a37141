#include "common/common.h"
#include "model/model.h"

INCEPTION_API uint32_t inception_version_number(void) { return INCEPTION_VERSION_NUMBER; }

INCEPTION_API const char *inception_version_string(void) { return INCEPTION_VERSION_STRING; }

INCEPTION_API uint32_t inception_model_format_version(void) { return INC_MODEL_FORMAT_VERSION; }

INCEPTION_API const char *inception_status_string(inception_status status) {
    switch (status) {
    case INCEPTION_OK: return "ok";
    case INCEPTION_ERR_INVALID_ARGUMENT: return "invalid argument";
    case INCEPTION_ERR_OUT_OF_MEMORY: return "out of memory";
    case INCEPTION_ERR_IO: return "input/output error";
    case INCEPTION_ERR_FORMAT: return "malformed model file";
    case INCEPTION_ERR_MISSING_TENSOR: return "missing tensor";
    case INCEPTION_ERR_SHAPE: return "wrong shape";
    case INCEPTION_ERR_DTYPE: return "unsupported data type";
    case INCEPTION_ERR_CHECKSUM: return "checksum mismatch";
    case INCEPTION_ERR_UNSUPPORTED: return "unsupported";
    case INCEPTION_ERR_INPUT_SIZE: return "input size out of range";
    case INCEPTION_ERR_MODEL_MISMATCH: return "model mismatch";
    case INCEPTION_ERR_BACKEND: return "backend error";
    case INCEPTION_ERR_IMAGE: return "undecodable image";
    case INCEPTION_ERR_IMAGE_TOO_LARGE: return "image too large";
    case INCEPTION_ERR_NOT_FOUND: return "not found";
    case INCEPTION_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case INCEPTION_ERR_NOT_READY: return "not ready";
    case INCEPTION_ERR_INTERNAL: return "internal error";
    case INCEPTION_ERR_BUSY: return "session busy";
    case INCEPTION_ERR_NUMERIC: return "non-finite result";
    }
    return "unknown status";
}

INCEPTION_API const char *inception_last_error(void) { return inc_error_message(); }

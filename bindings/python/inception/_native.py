"""Finding and loading libinception, and the ctypes prototypes of its C API.

Runs on any Python 3.7+ with the standard library only. The library is a ctypes.CDLL (not
PyDLL), so ctypes releases the GIL for the duration of every foreign call: two Python threads
running two sessions really run in parallel.
"""
import ctypes
import ctypes.util
import os
import threading

# Major versions of the C ABI this package was written against.
SUPPORTED_MAJORS = (1,)

c_status = ctypes.c_int
c_handle = ctypes.c_void_p
c_handle_p = ctypes.POINTER(ctypes.c_void_p)
c_int64_p = ctypes.POINTER(ctypes.c_int64)
c_int32_p = ctypes.POINTER(ctypes.c_int32)
c_float_p = ctypes.POINTER(ctypes.c_float)
c_str_p = ctypes.POINTER(ctypes.c_char_p)

# name: (restype, argtypes)
_PROTOTYPES = {
    "inception_version_number": (ctypes.c_uint32, []),
    "inception_version_string": (ctypes.c_char_p, []),
    "inception_model_format_version": (ctypes.c_uint32, []),
    "inception_status_string": (ctypes.c_char_p, [ctypes.c_int]),
    "inception_last_error": (ctypes.c_char_p, []),
    "inception_options_create": (c_status, [c_handle_p]),
    "inception_options_free": (None, [c_handle]),
    "inception_options_set_int": (c_status, [c_handle, ctypes.c_int, ctypes.c_int64]),
    "inception_options_set_string": (c_status, [c_handle, ctypes.c_int, ctypes.c_char_p]),
    "inception_tensor_create": (c_status, [ctypes.c_int, ctypes.c_int, c_int64_p,
                                           ctypes.c_int32, c_handle_p]),
    "inception_tensor_wrap": (c_status, [ctypes.c_int, ctypes.c_int, c_int64_p, ctypes.c_int32,
                                         ctypes.c_void_p, ctypes.c_size_t, c_handle_p]),
    "inception_tensor_free": (None, [c_handle]),
    "inception_tensor_dtype": (ctypes.c_int, [c_handle]),
    "inception_tensor_layout": (ctypes.c_int, [c_handle]),
    "inception_tensor_rank": (ctypes.c_int32, [c_handle]),
    "inception_tensor_dim": (ctypes.c_int64, [c_handle, ctypes.c_int32]),
    "inception_tensor_data": (ctypes.c_void_p, [c_handle]),
    "inception_tensor_byte_size": (ctypes.c_size_t, [c_handle]),
    "inception_model_load_file": (c_status, [ctypes.c_char_p, c_handle, c_handle_p]),
    "inception_model_load_memory": (c_status, [ctypes.c_void_p, ctypes.c_size_t, c_handle,
                                               c_handle_p]),
    "inception_model_free": (None, [c_handle]),
    "inception_model_info_int": (c_status, [c_handle, ctypes.c_int, c_int64_p]),
    "inception_model_info_string": (c_status, [c_handle, ctypes.c_int, c_str_p]),
    "inception_model_label": (c_status, [c_handle, ctypes.c_int64, c_str_p]),
    "inception_session_create": (c_status, [c_handle, c_handle, c_handle_p]),
    "inception_session_free": (None, [c_handle]),
    "inception_session_last_error": (ctypes.c_char_p, [c_handle]),
    "inception_session_run": (c_status, [c_handle, c_handle]),
    "inception_session_output": (c_status, [c_handle, ctypes.c_int, c_handle_p]),
    "inception_session_memory": (c_status, [c_handle, c_int64_p]),
    "inception_session_profile": (c_status, [c_handle, ctypes.c_int32, c_str_p, c_str_p,
                                             c_int64_p, ctypes.POINTER(ctypes.c_double)]),
    "inception_image_decode_file": (c_status, [ctypes.c_char_p, c_handle, c_handle_p]),
    "inception_image_decode_memory": (c_status, [ctypes.c_void_p, ctypes.c_size_t, c_handle,
                                                 c_handle_p]),
    "inception_image_from_pixels": (c_status, [ctypes.c_void_p, ctypes.c_int32, ctypes.c_int32,
                                               ctypes.c_size_t, ctypes.c_int, c_handle,
                                               c_handle_p]),
    "inception_image_free": (None, [c_handle]),
    "inception_image_width": (ctypes.c_int32, [c_handle]),
    "inception_image_height": (ctypes.c_int32, [c_handle]),
    "inception_image_pixels": (ctypes.c_void_p, [c_handle]),
    "inception_model_create_input": (c_status, [c_handle, ctypes.c_int64, ctypes.c_int,
                                                c_handle_p]),
    "inception_image_preprocess": (c_status, [c_handle, c_handle, c_handle, ctypes.c_int64]),
    "inception_session_classify": (c_status, [c_handle, ctypes.c_void_p, ctypes.c_size_t,
                                              ctypes.c_int32, c_int32_p, c_float_p, c_int32_p]),
    "inception_session_classify_file": (c_status, [c_handle, ctypes.c_char_p, ctypes.c_int32,
                                                   c_int32_p, c_float_p, c_int32_p]),
    "inception_backend_count": (ctypes.c_int32, []),
    "inception_backend_name": (ctypes.c_char_p, [ctypes.c_int32]),
    "inception_backend_available": (ctypes.c_int32, [ctypes.c_char_p]),
}


class LibraryNotFound(ImportError):
    """libinception could not be found or is not a version this package supports."""


_lock = threading.Lock()
_lib = None
_load_error = None


def _candidates(path):
    if path:
        return [os.fspath(path)]
    env = os.environ.get("INCEPTION_LIBRARY")
    if env:
        return [env]
    names = []
    found = ctypes.util.find_library("inception")
    if found:
        names.append(found)
    names.append("libinception.so.1")
    return names


def _declare(lib):
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


def check_version(number, text, where):
    """Raise LibraryNotFound unless version `number` has a major this package supports."""
    major = number // 10000
    if major not in SUPPORTED_MAJORS:
        raise LibraryNotFound(
            "%s is libinception %s (major %d); this package supports major %s"
            % (where, text, major, ", ".join(map(str, SUPPORTED_MAJORS))))


def load_library(path=None):
    """Load libinception (once per process) and return the ctypes handle.

    Order: the explicit `path`, then the INCEPTION_LIBRARY environment variable, then the
    system loader (ctypes.util.find_library("inception"), then "libinception.so.1").
    Raises LibraryNotFound when nothing loads or the library's major version is not one
    this package supports. A later call with a different path replaces the library for
    objects created afterwards."""
    global _lib, _load_error
    with _lock:
        if _lib is not None and path is None:
            return _lib
        errors = []
        for cand in _candidates(path):
            try:
                lib = ctypes.CDLL(cand)
            except OSError as e:
                errors.append("%s: %s" % (cand, e))
                continue
            try:
                _declare(lib)
            except AttributeError as e:
                errors.append("%s: missing symbol (%s)" % (cand, e))
                continue
            check_version(lib.inception_version_number(),
                          lib.inception_version_string().decode(), cand)
            _lib = lib
            _load_error = None
            return lib
        _load_error = LibraryNotFound(
            "cannot load libinception; set INCEPTION_LIBRARY to the path of "
            "libinception.so.1 or call inception.load_library(path). Tried: "
            + "; ".join(errors))
        raise _load_error


def lib():
    """The loaded library, loading it with the default search on first use."""
    if _lib is not None:
        return _lib
    return load_library()

"""Finding and loading libinception, and the ctypes prototypes of its C API.

Runs on any Python 3.7+ with the standard library only. The library is a ctypes.CDLL (not
PyDLL), so ctypes releases the GIL for the duration of every foreign call: two Python threads
running two sessions really run in parallel.
"""
import ctypes
import os
import sysconfig
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


LIBRARY_FILE = "libinception.so.1"


def _known_prefix_dirs():
    """Where `meson install` puts the library by default, for when the loader cache has not
    been refreshed (no ldconfig) or the directory is not on the loader's path."""
    dirs = []
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        dirs.append(os.path.join("/usr/local/lib", multiarch))
    return dirs + ["/usr/local/lib64", "/usr/local/lib"]


def _candidates(path):
    """(description, what to dlopen) in search order; see load_library."""
    if path:
        return [("path given to load_library", os.fspath(path))]
    env = os.environ.get("INCEPTION_LIBRARY")
    if env:
        return [("INCEPTION_LIBRARY", env)]
    here = os.path.dirname(os.path.abspath(__file__))
    places = [("copy bundled with the package", os.path.join(here, LIBRARY_FILE)),
              ("system loader", LIBRARY_FILE)]
    places += [("known prefix", os.path.join(d, LIBRARY_FILE)) for d in _known_prefix_dirs()]
    return places


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

    With an explicit `path`, or with the INCEPTION_LIBRARY environment variable set, only
    that file is tried. Otherwise, in order: the copy bundled in the package directory (the
    wheel built by tools/build_wheel.sh), the system loader (dlopen of libinception.so.1:
    LD_LIBRARY_PATH, the ldconfig cache, /usr/lib), then the directories `meson install`
    uses by default (/usr/local/lib/<multiarch>, /usr/local/lib64, /usr/local/lib). The first library that loads and has a supported major version wins.
    Raises LibraryNotFound, listing each place tried once with why it failed. A later call
    with a different path replaces the library for objects created afterwards."""
    global _lib, _load_error
    with _lock:
        if _lib is not None and path is None:
            return _lib
        errors = []
        seen = set()
        for what, cand in _candidates(path):
            is_file = os.sep in cand
            key = os.path.realpath(cand) if is_file else cand
            if key in seen:
                continue
            seen.add(key)
            if is_file and not os.path.exists(cand):
                errors.append("%s %s: no such file" % (what, cand))
                continue
            try:
                lib = ctypes.CDLL(cand)
            except OSError as e:
                errors.append("%s %s: %s" % (what, cand, e))
                continue
            try:
                _declare(lib)
                check_version(lib.inception_version_number(),
                              lib.inception_version_string().decode(), cand)
            except AttributeError as e:
                errors.append("%s %s: missing symbol (%s)" % (what, cand, e))
                continue
            except LibraryNotFound as e:
                errors.append("%s %s: %s" % (what, cand, e))
                continue
            _lib = lib
            _load_error = None
            return lib
        _load_error = LibraryNotFound(
            "cannot load libinception; install it (meson install, then ldconfig), install "
            "the wheel that bundles it, or set INCEPTION_LIBRARY to the path of "
            "libinception.so.1. Tried:\n  " + "\n  ".join(errors))
        raise _load_error


def lib():
    """The loaded library, loading it with the default search on first use."""
    if _lib is not None:
        return _lib
    return load_library()

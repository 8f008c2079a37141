"""Shared test helpers. Runs on any Python 3.7+ (numpy optional).

Environment: INCEPTION_LIBRARY (libinception.so.1 to test), INCEPTION_TEST_MODEL (a model made
by tools/inception-make-model; model tests are skipped without it), INCEPTION_TEST_BACKEND
(default: "simd" if available, else "auto"), INCEPTION_TEST_IMAGES (a folder of photos; default
the repository's tests/image/data).
"""
import array
import ctypes
import os
import struct
import unittest
import zlib

import inception

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
MODEL_PATH = os.environ.get("INCEPTION_TEST_MODEL", "")

try:
    import numpy as np
    if not inception.HAVE_NUMPY:
        np = None
except ImportError:
    np = None


def backend():
    b = os.environ.get("INCEPTION_TEST_BACKEND")
    if b:
        return b
    return "simd" if inception.backend_available("simd") else "auto"


def needs_model(cls):
    return unittest.skipUnless(MODEL_PATH and os.path.exists(MODEL_PATH),
                               "set INCEPTION_TEST_MODEL to a model made by "
                               "inception-make-model")(cls)


needs_numpy = unittest.skipUnless(np is not None, "numpy not available")

_model = None


def shared_model():
    """One model for the whole test run (loading takes a fraction of a second)."""
    global _model
    if _model is None:
        _model = inception.Model(MODEL_PATH, backend=backend())
    return _model


def png_bytes(width, height, seed=0):
    """A deterministic RGB PNG made with zlib only."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes(((x * 7 + y * 3 + seed * 11) % 256, (x * y + seed) % 256,
                           (255 - x * 5 + y) % 256))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b""))


def photos():
    """Photo paths (JPEG and PNG) from INCEPTION_TEST_IMAGES or tests/image/data."""
    folder = os.environ.get("INCEPTION_TEST_IMAGES") or os.path.join(REPO, "tests", "image",
                                                                     "data")
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, f) for f in os.listdir(folder)
                  if f.lower().endswith((".jpg", ".jpeg", ".png")))


def pattern(n):
    """A deterministic float32 input: ((i*7919) % 1000) / 500 - 1 (same formula in Go)."""
    return array.array("f", (((i * 7919) % 1000) / 500.0 - 1.0 for i in range(n)))


# --- the C API called directly through ctypes, without the package, as a reference -------

class RawC:
    def __init__(self):
        path = os.environ.get("INCEPTION_LIBRARY") or "libinception.so.1"
        self.lib = lib = ctypes.CDLL(path)
        V, P = ctypes.c_void_p, ctypes.POINTER
        lib.inception_options_create.argtypes = [P(V)]
        lib.inception_options_set_string.argtypes = [V, ctypes.c_int, ctypes.c_char_p]
        lib.inception_options_set_int.argtypes = [V, ctypes.c_int, ctypes.c_int64]
        lib.inception_options_free.argtypes = [V]
        lib.inception_model_load_file.argtypes = [ctypes.c_char_p, V, P(V)]
        lib.inception_model_free.argtypes = [V]
        lib.inception_session_create.argtypes = [V, V, P(V)]
        lib.inception_session_free.argtypes = [V]
        lib.inception_session_classify_file.argtypes = [V, ctypes.c_char_p, ctypes.c_int32,
                                                        V, V, V]
        lib.inception_tensor_create.argtypes = [ctypes.c_int, ctypes.c_int, P(ctypes.c_int64),
                                                ctypes.c_int32, P(V)]
        lib.inception_tensor_data.argtypes = [V]
        lib.inception_tensor_data.restype = V
        lib.inception_tensor_free.argtypes = [V]
        lib.inception_session_run.argtypes = [V, V]
        lib.inception_session_output.argtypes = [V, ctypes.c_int, P(V)]
        lib.inception_tensor_byte_size.argtypes = [V]
        lib.inception_tensor_byte_size.restype = ctypes.c_size_t
        opts = V()
        assert lib.inception_options_create(ctypes.byref(opts)) == 0
        assert lib.inception_options_set_string(opts, 1, backend().encode()) == 0
        assert lib.inception_options_set_int(opts, 2, 1) == 0
        self.model, self.session = V(), V()
        assert lib.inception_model_load_file(MODEL_PATH.encode(), opts,
                                             ctypes.byref(self.model)) == 0
        assert lib.inception_session_create(self.model, opts, ctypes.byref(self.session)) == 0
        lib.inception_options_free(opts)

    def classify_file(self, path, k):
        c, p, n = (ctypes.c_int32 * k)(), (ctypes.c_float * k)(), ctypes.c_int32()
        st = self.lib.inception_session_classify_file(self.session, path.encode(), k, c, p,
                                                      ctypes.byref(n))
        assert st == 0, st
        return list(c[:n.value]), list(p[:n.value])

    def run(self, values, dims):
        """Outputs {mask: flat list} of one run on `values` (NCHW)."""
        lib = self.lib
        t = ctypes.c_void_p()
        d = (ctypes.c_int64 * 4)(*dims)
        assert lib.inception_tensor_create(1, 1, d, 4, ctypes.byref(t)) == 0
        ctypes.memmove(lib.inception_tensor_data(t), values.tobytes(), len(values) * 4)
        assert lib.inception_session_run(self.session, t) == 0
        lib.inception_tensor_free(t)
        out = {}
        for mask in (1, 2, 4):
            o = ctypes.c_void_p()
            assert lib.inception_session_output(self.session, mask, ctypes.byref(o)) == 0
            n = lib.inception_tensor_byte_size(o) // 4
            out[mask] = list((ctypes.c_float * n).from_address(lib.inception_tensor_data(o)))
        return out

    def close(self):
        self.lib.inception_session_free(self.session)
        self.lib.inception_model_free(self.model)


def flat(x):
    """Flatten an output (numpy array, or list of array('f') rows) into a list of floats."""
    if np is not None and isinstance(x, np.ndarray):
        return [float(v) for v in x.ravel()]
    if isinstance(x, list):
        return [float(v) for row in x for v in row]
    return [float(v) for v in x]


_few_class = {}


def few_class_model_bytes(classes=3, metadata=None):
    """The test model cut down to a `classes`-way head with no labels (the first rows of its
    fc layer, no aux head, no checksum; classes=0: no fc at all): a valid model the built-in ImageNet names do not
    fit. Only the header changes; the data section is reused, so this is cheap."""
    import json
    key = (classes, tuple(sorted((metadata or {}).items())))
    if key in _few_class:
        return _few_class[key]
    with open(MODEL_PATH, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = {k: v for k, v in header.pop("__metadata__", {}).items()
            if k not in ("inception.crc32", "inception.labels", "inception.classes")}
    meta.update(metadata or {})
    out = {"__metadata__": meta}
    for name, t in header.items():
        if name.startswith("AuxLogits."):
            continue  # a hole in the data section is allowed
        if name in ("fc.weight", "fc.bias"):
            if classes == 0:
                continue  # a trunk without fc: a feature extractor
            t = dict(t)
            row = 4 * (t["shape"][1] if len(t["shape"]) == 2 else 1)
            t["shape"] = [classes] + t["shape"][1:]
            t["data_offsets"] = [t["data_offsets"][0], t["data_offsets"][0] + classes * row]
        out[name] = t
    text = json.dumps(out).encode()
    text += b" " * (-len(text) % 8)
    blob = struct.pack("<Q", len(text)) + text + data
    _few_class[key] = blob
    return blob

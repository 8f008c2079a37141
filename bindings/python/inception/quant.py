"""int8 post-training quantisation (docs/int8.md): inception.quantize writes a quantised
model file, inception.calibrate only the calibration record (load the float model with
calibration=RECORD to run it int8)."""
import ctypes
import os
import threading

from . import core
from ._native import c_handle, c_status
from .errors import InvalidArgument

_PROTOTYPES = {
    "inception_quantize": (c_status, [c_handle, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t,
                                      c_handle, ctypes.c_char_p]),
    "inception_calibrate": (c_status, [c_handle, ctypes.POINTER(ctypes.c_char_p),
                                       ctypes.c_size_t, c_handle, ctypes.c_char_p]),
}
_declared = set()
_lock = threading.Lock()


def _declare(lib):
    with _lock:
        if id(lib) not in _declared:
            for name, (restype, argtypes) in _PROTOTYPES.items():
                fn = getattr(lib, name)
                fn.restype, fn.argtypes = restype, argtypes
            _declared.add(id(lib))
    return lib


def _call(fn_name, model, images, out, method, weight_bits=None, bias_correction=None):
    if not isinstance(model, core.Model):
        raise InvalidArgument("model must be an inception.Model")
    if isinstance(images, (str, bytes, os.PathLike)):
        raise InvalidArgument("images must be a list of paths, not one path")
    paths = [os.fsencode(p) for p in images]
    lib = _declare(model._lib)
    arr = (ctypes.c_char_p * max(1, len(paths)))(*paths)
    if bias_correction is not None:
        bias_correction = int(bias_correction)  # True/False as 1/0; other ints go to the library
    opts = core._options(lib, ints=[(core._OPT_QUANT_WEIGHT_BITS, weight_bits),
                                    (core._OPT_QUANT_BIAS_CORRECTION, bias_correction)],
                         strings=[(core._OPT_QUANT_METHOD, method)])
    st = getattr(lib, fn_name)(model._ptr(), arr, len(paths), core._optr(opts), os.fsencode(out))
    if st:
        core._raise(lib, st, paths=[out])


def quantize(model, images, out, method=None, weight_bits=None, bias_correction=None):
    """Calibrate the float `model` on the image files `images` and write a quantised model
    (int8 weights, safetensors) to `out`. method: "mse" (default), "minmax",
    "percentile" (99.99th) or "percentile=P". weight_bits: 8 (default) or 7 (weights in
    [-64, 64]: faster on AVX2, less accurate; docs/int8.md). bias_correction: True
    (default) corrects each int8 convolution's stored bias for the mean shift its weight
    rounding causes; False stores the plain folded bias. The model must have been loaded
    from a file."""
    _call("inception_quantize", model, images, out, method, weight_bits, bias_correction)


def calibrate(model, images, out, method=None, bias_correction=None):
    """Calibrate the float `model` on `images` and write the calibration record (JSON) to
    `out`; Model(path, calibration=out) then runs the float file int8 (its weight_bits=
    chooses the weight range there). bias_correction: True (default) writes a version 2
    record holding each convolution input's per-channel means, so quantising at load
    corrects the biases like quantize(); False writes version 1 (no means, no
    correction)."""
    _call("inception_calibrate", model, images, out, method, bias_correction=bias_correction)

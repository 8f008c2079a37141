"""Python objects over libinception's C API: Tensor, Image, Model, Session.

numpy is optional. With it, float32 C-contiguous arrays go in without a copy and outputs come
back as numpy arrays; without it (or with INCEPTION_NO_NUMPY=1 in the environment), any buffer
of float32 values (array.array('f'), memoryview, bytes) goes in and outputs come back as a
list of array.array('f') rows.
"""
from __future__ import annotations

import array
import collections
import ctypes
import os
import sys
import threading
from typing import (Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple,
                    Union)

from . import _native
from .errors import (InceptionError, InvalidArgument, DTypeError, ShapeError, NotFound,
                     IOFailure, FileNotFound, error_for)

if os.environ.get("INCEPTION_NO_NUMPY"):
    np = None
else:
    try:
        import numpy as np
    except ImportError:  # numpy is optional
        np = None

HAVE_NUMPY = np is not None

# What the annotations mean (strings, so nothing here needs numpy, PIL or torch):
PathLike = Union[str, os.PathLike]
# A float32 input: an inception.Tensor, a numpy array, an array-like (torch tensor, any
# object with __array__ or __dlpack__) or a buffer of float32 values.
ArrayInput = Any
# An image: a path, encoded bytes, an Image, a uint8 pixel array or array-like, a PIL image.
ImageSource = Any
# An output: a numpy float32 array with numpy, else a list of array('f') rows.
Output = Any

LAYOUTS = {"nchw": 1, "nhwc": 2, "nc": 3}
_LAYOUT_NAMES = {v: k for k, v in LAYOUTS.items()}
OUTPUTS = {"logits": 1, "probabilities": 2, "features": 4, "aux_logits": 8, "feature_map": 16}
DEFAULT_OUTPUTS = ("logits", "probabilities", "features")
PIXEL_FORMATS = {"rgb": (1, 3), "rgba": (2, 4), "bgr": (3, 3), "bgra": (4, 4), "gray": (5, 1)}

# inception_option keys
_OPT_BACKEND, _OPT_THREADS, _OPT_OUTPUTS = 1, 2, 3
_OPT_POOL_INCLUDE_PAD, _OPT_LABEL_OFFSET, _OPT_PRESET, _OPT_SKIP_CHECKSUM = 4, 5, 6, 7
_OPT_PROFILE = 8
_OPT_LABELS_FILE = 20  # INCEPTION_OPT_LABELS_FILE (string path), libinception 1.1
_OPT_MAX_IMAGE_PIXELS, _OPT_EXIF_ORIENTATION, _OPT_DECODE_MIN_SIDE = 100, 101, 102
_OPT_STEM = 40
_OPT_PRECISION, _OPT_QUANT_CALIBRATION, _OPT_QUANT_METHOD = 60, 61, 62  # 1.1, docs/int8.md
_OPT_QUANT_WEIGHT_BITS, _OPT_QUANT_BIAS_CORRECTION = 63, 65
# Python argument names of the option keys, for messages.
_OPTION_NAMES = {
    _OPT_BACKEND: "backend", _OPT_THREADS: "threads", _OPT_OUTPUTS: "outputs",
    _OPT_POOL_INCLUDE_PAD: "pool_include_pad", _OPT_LABEL_OFFSET: "label_offset",
    _OPT_PRESET: "preset", _OPT_SKIP_CHECKSUM: "skip_checksum", _OPT_PROFILE: "profile",
    _OPT_LABELS_FILE: "labels", _OPT_MAX_IMAGE_PIXELS: "max_pixels",
    _OPT_EXIF_ORIENTATION: "exif_orientation", _OPT_DECODE_MIN_SIDE: "min_side",
    _OPT_STEM: "stem", _OPT_PRECISION: "precision", _OPT_QUANT_CALIBRATION: "calibration",
    _OPT_QUANT_METHOD: "method", _OPT_QUANT_WEIGHT_BITS: "weight_bits",
    _OPT_QUANT_BIAS_CORRECTION: "bias_correction",
}

_INFO_INT = {
    "classes": 1, "label_offset": 2, "input_height": 3, "input_width": 4, "parameters": 5,
    "has_aux": 6, "features": 7, "pool_include_pad": 8, "bn_has_gamma": 9, "crc32": 10,
    "has_labels": 11, "min_input_size": 12, "synthetic": 13,
    "stem": 30, "stem_conv": 31, "aux_bn": 32,
    "quantized": 40, "quantized_layers": 41, "calibration_images": 42,
}
_INFO_BOOL = {"has_aux", "pool_include_pad", "bn_has_gamma", "has_labels", "synthetic", "aux_bn",
              "quantized"}
_INFO_STR = {"backend": 1, "preset": 2, "normalization": 3, "name": 4, "architecture": 10,
             "precision": 20, "calibration_method": 21, "int8_level": 22}

Prediction = collections.namedtuple("Prediction", "index label probability")
Prediction.__doc__ = ("One of the top-k classes: class index, label (None for a model "
                      "without labels), probability.")
Embedding = collections.namedtuple("Embedding", "index source features error")
Embedding.__doc__ = ("The features of one image from Session.iter_embed: its index among the "
                     "sources, the source, the features (a 2048-d row; None if it failed) "
                     "and the exception it failed with (None if it did not).")

# Images a batch holds by default in embed/iter_embed: about 16 x 8 MB of activations at
# 299x299 (a session's memory grows with the batch), with most of a large batch's speed.
DEFAULT_BATCH_SIZE = 16
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def _embed_sources(sources, recursive):
    """(iterator of sources, their number or None) for iter_embed: a folder's image files,
    one path, or the items of an iterable."""
    if _is_path(sources):
        if os.path.isdir(sources):
            files = _image_files(sources, recursive)
            return iter(files), len(files)
        return iter([sources]), 1
    if isinstance(sources, (bytes, bytearray, memoryview)) or _is_single_image(sources):
        return iter([sources]), 1
    try:
        total = len(sources)
    except TypeError:
        total = None
    return iter(sources), total


def _image_files(folder, recursive):
    out = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        out.extend(os.path.join(root, f) for f in sorted(files)
                   if f.lower().endswith(IMAGE_SUFFIXES))
        if not recursive:
            break
    return out


def _is_single_image(obj):
    return isinstance(obj, Image) or (np is not None and isinstance(obj, np.ndarray)) or \
        _is_pil_image(obj)


def _is_pil_image(obj):
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(obj, pil.Image)


def _raise(lib, status, session_ptr=None, paths=()):
    """Raise the exception for a non-OK status with the library's detail message. For an
    i/o failure on a call given `paths`, a path that does not exist makes it FileNotFound
    (the C status does not say which errno the open failed with, so ask the system)."""
    if session_ptr:
        msg = lib.inception_session_last_error(session_ptr)
    else:
        msg = lib.inception_last_error()
    name = lib.inception_status_string(status)
    text = (msg or b"").decode("utf-8", "replace")
    name = name.decode() if name else None
    if status == IOFailure.status:
        for path in paths:
            if path is not None and not os.path.lexists(path):
                raise FileNotFound(text, status, name, os.fspath(path))
    raise error_for(status, text, name)


class _Handle:
    """Owns one C handle; frees it once, on release() or when garbage collected. Objects that
    must outlive a Python wrapper's close() (numpy views of tensor memory, say) hold a
    reference to the handle rather than to the wrapper."""
    __slots__ = ("ptr", "_free", "keep", "__weakref__")

    def __init__(self, ptr, free, keep=None):
        self.ptr = ptr
        self._free = free
        self.keep = keep  # Python objects the C object points into

    def release(self):
        ptr, self.ptr = self.ptr, None
        if ptr:
            self._free(ptr)
        self.keep = None

    def __del__(self):
        try:
            self.release()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass


def _options(lib, ints=(), strings=()):
    """An options handle with the given (key, value) settings, or None if there are none."""
    ints = [(k, v) for k, v in ints if v is not None]
    strings = [(k, v) for k, v in strings if v is not None]
    if not ints and not strings:
        return None
    h = ctypes.c_void_p()
    st = lib.inception_options_create(ctypes.byref(h))
    if st:
        _raise(lib, st)
    handle = _Handle(h.value, lib.inception_options_free)
    for key, value in ints:
        st = lib.inception_options_set_int(handle.ptr, key, int(value))
        if st:
            _option_failed(lib, st, key)
    for key, value in strings:
        st = lib.inception_options_set_string(handle.ptr, key,
                                              _c_string(value, _OPTION_NAMES.get(key, "option")))
        if st:
            _option_failed(lib, st, key)
    return handle


def _option_failed(lib, st, key):
    # An older library refuses a key it does not know with NOT_FOUND: name the argument.
    if st == NotFound.status:
        raise NotFound("libinception %s does not know option %d (%s=)"
                       % (lib.inception_version_string().decode(), key,
                          _OPTION_NAMES.get(key, "?")), st)
    _raise(lib, st)


def _optr(handle):
    return handle.ptr if handle is not None else None


def _path_bytes(path):
    """A path as the bytes C gets. C strings end at the first NUL, so a path with one inside
    would silently name another file: refuse it."""
    b = os.fsencode(path)
    if b"\0" in b:
        raise InvalidArgument("path %r contains a NUL character" % (path,))
    return b


def _c_string(value, what):
    """A str (or os.PathLike) as a NUL-terminated UTF-8 C string; one with a NUL inside is
    refused rather than truncated."""
    b = os.fsencode(value) if isinstance(value, os.PathLike) else str(value).encode("utf-8")
    if b"\0" in b:
        raise InvalidArgument("%s %r contains a NUL character" % (what, value))
    return b


def _is_path(obj):
    return isinstance(obj, (str, os.PathLike))


def _readable_buffer(data):
    """(address, nbytes, keepalive) of a C-contiguous buffer, without copying.

    bytes are read in place (ctypes points into the bytes object); writable buffers are
    exported through ctypes.from_buffer, which also stops a bytearray from being resized
    while the export lives; other read-only buffers are copied."""
    if isinstance(data, bytes):
        return (ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value or 0), len(data), data
    try:
        mv = memoryview(data)
    except TypeError:
        raise InvalidArgument("expected a path, bytes or a buffer object, got %s"
                              % _type_name(data)) from None
    if not mv.c_contiguous:
        raise InvalidArgument("buffer is not C-contiguous")
    if mv.nbytes == 0:
        raise InvalidArgument("buffer is empty")
    if mv.readonly:
        buf = bytes(mv)
        return ctypes.cast(ctypes.c_char_p(buf), ctypes.c_void_p).value, len(buf), buf
    flat = mv.cast("B") if mv.format != "B" or mv.ndim != 1 else mv
    carr = (ctypes.c_char * flat.nbytes).from_buffer(flat)
    return ctypes.addressof(carr), flat.nbytes, (carr, flat)


def _layout_code(layout, shape):
    if layout is None:
        if len(shape) == 2:
            return 3
        if len(shape) == 4 and shape[1] != 3 and shape[3] == 3:
            return 2
        return 1
    if isinstance(layout, str):
        try:
            return LAYOUTS[layout.lower()]
        except KeyError:
            raise InvalidArgument("unknown layout %r; use 'nchw', 'nhwc' or 'nc'"
                                  % layout) from None
    return int(layout)


def _float32_input(data, shape):
    """(address, nbytes, keepalive, shape) for float32 input data, without copying where the
    buffer allows it."""
    if np is not None and isinstance(data, np.ndarray):
        if data.dtype != np.float32:
            raise DTypeError("input array has dtype %s; libinception needs float32 "
                             "(use array.astype(numpy.float32))" % data.dtype)
        if not data.flags.c_contiguous:
            raise InvalidArgument("input array is not C-contiguous "
                                  "(use numpy.ascontiguousarray(array))")
        if not data.flags.aligned:
            raise InvalidArgument("input array is not aligned to 4 bytes")
        if shape is None:
            shape = data.shape
        return data.ctypes.data, data.nbytes, data, tuple(shape)
    if _is_array_like(data):
        # Other array-likes (a torch tensor, say) through numpy's view of them.
        return _float32_input(_to_numpy(data), shape)
    try:
        mv = memoryview(data)
    except TypeError:
        raise InvalidArgument("input must be an inception.Tensor, a float32 array or "
                              "array-like, or a buffer, got %s" % _type_name(data)) from None
    fmt = mv.format.lstrip("@=<")
    if fmt not in ("f", "B", "b", "c"):
        raise DTypeError("input buffer has format %r; libinception needs float32 ('f') "
                         "values or raw bytes of them" % mv.format)
    if shape is None:
        if fmt == "f" and mv.ndim in (2, 3, 4):
            shape = mv.shape
        else:
            raise ShapeError("a flat buffer needs shape=(N, 3, H, W) or (N, H, W, 3)")
    if not mv.c_contiguous:
        raise InvalidArgument("input buffer is not C-contiguous")
    addr, nbytes, keep = _readable_buffer(data if isinstance(data, bytes) else mv)
    if addr % 4:
        buf = bytearray(mv.cast("B") if mv.format != "B" else mv)
        addr, nbytes, keep = _readable_buffer(buf)
    return addr, nbytes, keep, tuple(shape)


def _copy_out(lib, tptr):
    """Copy a (borrowed) output tensor into a numpy array, or a list of array('f') rows."""
    rank = lib.inception_tensor_rank(tptr)
    dims = tuple(lib.inception_tensor_dim(tptr, i) for i in range(rank))
    nbytes = lib.inception_tensor_byte_size(tptr)
    data = lib.inception_tensor_data(tptr)
    if np is not None:
        out = np.empty(dims, dtype=np.float32)
        ctypes.memmove(out.ctypes.data, data, nbytes)
        return out
    flat = array.array("f")
    flat.frombytes(ctypes.string_at(data, nbytes))
    if rank <= 1:
        return flat
    row = len(flat) // dims[0]
    return [flat[i * row:(i + 1) * row] for i in range(dims[0])]


def _top_k(row, k):
    """Indices of the k largest values, best first; ties keep the lower index (as C does)."""
    if np is not None and isinstance(row, np.ndarray):
        return [int(i) for i in np.argsort(-row, kind="stable")[:k]]
    return sorted(range(len(row)), key=lambda i: (-row[i], i))[:k]


class _Closable:
    def close(self) -> None:
        """Free the C object now (it is also freed when this object is garbage collected)."""
        h = self.__dict__.get("_h")
        if h is not None:
            h.release()

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        h = self.__dict__.get("_h")
        return h is None or not h.ptr

    def _ptr(self):
        h = self.__dict__.get("_h")
        if h is None or not h.ptr:
            raise InvalidArgument("%s is closed" % type(self).__name__)
        return h.ptr

    def __enter__(self):
        """Use the object in a with block; it is closed at the end."""
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ---------------------------------------------------------------------------------------


class Tensor(_Closable):
    """A float32 tensor: NCHW [N,3,H,W], NHWC [N,H,W,3] or NC [N,C].

    Tensor(shape, layout) owns zeroed, 64-byte aligned C memory; Tensor.wrap(buffer) wraps
    caller memory without copying and keeps the buffer alive as long as the tensor lives."""

    def __init__(self, shape: Sequence[int], layout: Optional[str] = None, *,
                 library: Any = None) -> None:
        """A zeroed tensor of `shape`; layout 'nchw', 'nhwc' or 'nc' (default: inferred
        from the shape)."""
        lib = library or _native.lib()
        shape = tuple(int(d) for d in shape)
        code = _layout_code(layout, shape)
        dims = (ctypes.c_int64 * len(shape))(*shape)
        h = ctypes.c_void_p()
        st = lib.inception_tensor_create(1, code, dims, len(shape), ctypes.byref(h))
        if st:
            _raise(lib, st)
        self._lib = lib
        self._h = _Handle(h.value, lib.inception_tensor_free)

    @classmethod
    def _adopt(cls, lib, ptr, keep=None):
        t = cls.__new__(cls)
        t._lib = lib
        t._h = _Handle(ptr, lib.inception_tensor_free, keep)
        return t

    @classmethod
    def wrap(cls, data: ArrayInput, shape: Optional[Sequence[int]] = None,
             layout: Optional[str] = None, *, library: Any = None) -> "Tensor":
        """A tensor over `data` without copying it: a float32 C-contiguous numpy array, or a
        buffer of float32 values (array.array('f'), memoryview, bytearray, bytes; `shape`
        needed for a flat one). A 3-d array is taken as one image (batch of 1). The tensor
        keeps `data` alive; do not change it while a run uses the tensor."""
        lib = library or _native.lib()
        addr, nbytes, keep, shape = _float32_input(data, shape)
        if len(shape) == 3:
            shape = (1,) + tuple(shape)
        code = _layout_code(layout, shape)
        dims = (ctypes.c_int64 * len(shape))(*shape)
        h = ctypes.c_void_p()
        st = lib.inception_tensor_wrap(1, code, dims, len(shape), addr, nbytes,
                                       ctypes.byref(h))
        if st:
            _raise(lib, st)
        return cls._adopt(lib, h.value, keep)

    @property
    def shape(self) -> Tuple[int, ...]:
        """The dimensions."""
        p = self._ptr()
        return tuple(self._lib.inception_tensor_dim(p, i)
                     for i in range(self._lib.inception_tensor_rank(p)))

    @property
    def layout(self) -> str:
        """'nchw', 'nhwc' or 'nc'."""
        return _LAYOUT_NAMES.get(self._lib.inception_tensor_layout(self._ptr()), "unknown")

    @property
    def dtype(self) -> str:
        """Always 'float32'."""
        return "float32"

    @property
    def nbytes(self) -> int:
        """Size of the data in bytes."""
        return self._lib.inception_tensor_byte_size(self._ptr())

    def close(self) -> None:
        """Drop this object's reference to the tensor. The C tensor is freed now, unless a
        view from numpy()/memoryview() still exists: then it is freed with the last view."""
        self._h = None

    def _carray(self):
        p = self._ptr()
        n = self.nbytes // 4
        carr = (ctypes.c_float * n).from_address(self._lib.inception_tensor_data(p))
        carr._owner = self._h  # the C memory lives as long as any view of it
        return carr

    def memoryview(self) -> memoryview:
        """A writable memoryview (format 'f', flat) of the tensor's memory, no copy. It keeps
        the memory alive even after close()."""
        return memoryview(self._carray()).cast("B").cast("f")

    def numpy(self) -> Any:
        """A numpy view of the tensor's memory (no copy), shaped like the tensor. Writing to
        it fills the tensor. It keeps the memory alive even after close()."""
        if np is None:
            raise ImportError("numpy is not available")
        return np.ctypeslib.as_array(self._carray()).reshape(self.shape)

    def tolist(self) -> array.array:
        """The values as a flat array.array('f') (a copy)."""
        out = array.array("f")
        out.frombytes(memoryview(self._carray()).cast("B"))
        return out

    def __repr__(self):
        if self.closed:
            return "<inception.Tensor closed>"
        return "<inception.Tensor %s %s float32>" % (self.layout, "x".join(map(str, self.shape)))


class Image(_Closable):
    """Decoded 8-bit RGB pixels (from a JPEG/PNG file or bytes, or from caller pixels)."""

    def __init__(self, source: Union[PathLike, bytes, bytearray, memoryview], *,
                 max_pixels: Optional[int] = None, exif_orientation: Optional[bool] = None,
                 min_side: Optional[int] = None, library: Any = None) -> None:
        """Decode `source`: a path (str or os.PathLike) or encoded bytes-like data.
        max_pixels refuses larger images before allocating; exif_orientation (default True)
        applies JPEG EXIF rotation; min_side lets the JPEG decoder downscale in the DCT
        domain to no less than this shortest side."""
        lib = library or _native.lib()
        opts = _options(lib, ints=[
            (_OPT_MAX_IMAGE_PIXELS, max_pixels),
            (_OPT_EXIF_ORIENTATION, None if exif_orientation is None else int(exif_orientation)),
            (_OPT_DECODE_MIN_SIDE, min_side)])
        h = ctypes.c_void_p()
        if _is_path(source):
            st = lib.inception_image_decode_file(_path_bytes(source), _optr(opts),
                                                 ctypes.byref(h))
        else:
            addr, n, keep = _readable_buffer(source)
            st = lib.inception_image_decode_memory(addr, n, _optr(opts), ctypes.byref(h))
        if st:
            _raise(lib, st, paths=[source] if _is_path(source) else ())
        self._lib = lib
        self._h = _Handle(h.value, lib.inception_image_free)

    @classmethod
    def open(cls, path: PathLike, **kw: Any) -> "Image":
        """Decode an image file (same options as Image())."""
        return cls(path, **kw)

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview], **kw: Any) -> "Image":
        """Decode encoded JPEG/PNG bytes (same options as Image())."""
        return cls(data, **kw)

    @classmethod
    def from_pixels(cls, pixels: Any, width: Optional[int] = None,
                    height: Optional[int] = None, format: Optional[str] = None,
                    stride: Optional[int] = None, *, max_pixels: Optional[int] = None,
                    library: Any = None) -> "Image":
        """Copy caller pixels into an image. `pixels`: a numpy uint8 array [H, W], [H, W, 3]
        or [H, W, 4] (rows may be strided, e.g. a crop), or any buffer with width, height
        and format ('rgb', 'rgba', 'bgr', 'bgra', 'gray') given. Alpha is dropped."""
        lib = library or _native.lib()
        keep = pixels
        if np is not None and isinstance(pixels, np.ndarray):
            if pixels.dtype != np.uint8:
                raise DTypeError("pixel array has dtype %s; need uint8" % pixels.dtype)
            if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] not in (3, 4)):
                raise ShapeError("pixel array must be [H, W], [H, W, 3] or [H, W, 4], got %s"
                                 % (pixels.shape,))
            ch = 1 if pixels.ndim == 2 else pixels.shape[2]
            if format is None:
                format = {1: "gray", 3: "rgb", 4: "rgba"}[ch]
            height, width = pixels.shape[:2]
            inner_ok = pixels.ndim == 2 and pixels.strides[1] == 1 or \
                pixels.ndim == 3 and pixels.strides[1:] == (ch, 1)
            if not inner_ok or pixels.strides[0] < width * ch:
                pixels = np.ascontiguousarray(pixels)
            stride = pixels.strides[0]
            # Rows may be apart by more than width*ch (a crop): point at the first pixel.
            addr, keep = pixels.ctypes.data, pixels
        else:
            if width is None or height is None:
                raise InvalidArgument("width and height are required for a pixel buffer")
            format = format or "rgb"
            addr, n, keep = _readable_buffer(pixels)
        fmt = PIXEL_FORMATS.get(str(format).lower())
        if fmt is None:
            raise InvalidArgument("unknown pixel format %r; use one of %s"
                                  % (format, ", ".join(PIXEL_FORMATS)))
        if stride is None:
            stride = int(width) * fmt[1]
        if not (np is not None and isinstance(pixels, np.ndarray)):
            need = (int(height) - 1) * int(stride) + int(width) * fmt[1]
            if int(height) > 0 and n < need:
                raise ShapeError("pixel buffer has %d bytes; %dx%d %s with stride %d needs %d"
                                 % (n, width, height, format, stride, need))
        opts = _options(lib, ints=[(_OPT_MAX_IMAGE_PIXELS, max_pixels)])
        h = ctypes.c_void_p()
        st = lib.inception_image_from_pixels(addr, int(width), int(height), int(stride), fmt[0],
                                             _optr(opts), ctypes.byref(h))
        del keep
        if st:
            _raise(lib, st)
        img = cls.__new__(cls)
        img._lib = lib
        img._h = _Handle(h.value, lib.inception_image_free)
        return img

    @property
    def width(self) -> int:
        """Width in pixels."""
        return self._lib.inception_image_width(self._ptr())

    @property
    def height(self) -> int:
        """Height in pixels."""
        return self._lib.inception_image_height(self._ptr())

    @property
    def size(self) -> Tuple[int, int]:
        """(width, height), as PIL says it."""
        return self.width, self.height

    def tobytes(self) -> bytes:
        """Packed RGB rows (width*3 bytes each), a copy."""
        p = self._ptr()
        n = self.width * self.height * 3
        return ctypes.string_at(self._lib.inception_image_pixels(p), n)

    def numpy(self) -> Any:
        """The pixels as a new uint8 array [H, W, 3]."""
        if np is None:
            raise ImportError("numpy is not available")
        return np.frombuffer(self.tobytes(), dtype=np.uint8).reshape(self.height, self.width, 3)

    def __repr__(self):
        return "<inception.Image closed>" if self.closed else \
            "<inception.Image %dx%d RGB>" % (self.width, self.height)


def _label(lib, model_ptr, index, classes):
    """The label of a class, or None for a class of a model without labels: the C call
    says NOT_FOUND for those as for an index out of range, so the range tells them apart."""
    v = ctypes.c_char_p()
    st = lib.inception_model_label(model_ptr, index, ctypes.byref(v))
    if st == NotFound.status and 0 <= index < classes:
        return None
    if st:
        _raise(lib, st)
    return v.value.decode("utf-8", "replace")


def _as_image(lib, source):
    """An Image for a classify/embed source (path, encoded bytes, uint8 pixel array or
    array-like, PIL image, or Image), and whether we made it (and so must close it)."""
    if isinstance(source, Image):
        return source, False
    if _is_pil_image(source):
        return _from_pil(lib, source), True
    if _is_array_like(source):
        source = _to_numpy(source)
    if np is not None and isinstance(source, np.ndarray):
        return Image.from_pixels(source, library=lib), True
    return Image(source, library=lib), True


def _from_pil(lib, im):
    """Pixels of a PIL image (8-bit RGB, RGBA or L as they are; other modes converted)."""
    fmt = {"RGB": "rgb", "RGBA": "rgba", "L": "gray"}.get(im.mode)
    if fmt is None:
        im, fmt = im.convert("RGB"), "rgb"
    return Image.from_pixels(im.tobytes(), im.width, im.height, fmt, library=lib)


def _type_name(obj):
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else "%s.%s" % (t.__module__, t.__qualname__)


def _is_array_like(obj):
    """An object numpy can view (a torch tensor, say), other than the types read directly."""
    if isinstance(obj, (Tensor, Image, bytes, bytearray, memoryview, array.array, str)) or \
            (np is not None and isinstance(obj, np.ndarray)):
        return False
    return any(hasattr(obj, a) for a in ("__array__", "__array_interface__", "__dlpack__"))


def _to_numpy(obj):
    """A numpy array over an array-like: DLPack first (no copy), else __array__."""
    if np is None:
        raise InvalidArgument("a %s needs numpy to be read; install numpy or pass a float32 "
                              "buffer (array.array('f'), memoryview, bytes)" % _type_name(obj))
    if hasattr(obj, "__dlpack__") and hasattr(np, "from_dlpack"):
        try:
            return np.from_dlpack(obj)
        except (TypeError, BufferError, RuntimeError, ValueError):
            if not (hasattr(obj, "__array__") or hasattr(obj, "__array_interface__")):
                raise
    return np.asarray(obj)


class Model(_Closable):
    """A loaded Inception-v3 model: immutable, shareable by any number of threads and
    sessions. Create one Session per thread to run it."""

    def __init__(self, source: Union[PathLike, bytes, bytearray, memoryview], *,
                 backend: Optional[str] = None, preset: Optional[str] = None,
                 pool_include_pad: Optional[bool] = None, label_offset: Optional[int] = None,
                 skip_checksum: Optional[bool] = None, labels: Optional[PathLike] = None,
                 stem: Optional[int] = None, precision: Optional[str] = None,
                 calibration: Optional[PathLike] = None, weight_bits: Optional[int] = None,
                 library: Any = None) -> None:
        """Load a safetensors model from a path (str or os.PathLike) or from bytes-like data.
        backend: "auto" (default), "ref", "simd" or another registered name. preset
        ("torchvision", "timm", "tf"), pool_include_pad, label_offset, skip_checksum and
        stem (299, 151 or 79: the paper's Table 2 stems) override what the file says.
        labels: path of a labels file (one label per line, or a JSON list of strings) used
        instead of the file's labels (needs libinception 1.1).
        precision: "float", "int8" or "auto" (default: int8 iff the file is quantised);
        calibration: path of a calibration record (inception.calibrate) that quantises a
        float model at load (docs/int8.md); weight_bits: 8 (default) or 7, the weight range
        of that quantisation at load (as inception.quantize's weight_bits).
        A model without labels still classifies: its Predictions have label None."""
        lib = library or _native.lib()
        opts = _options(lib, strings=[(_OPT_BACKEND, backend), (_OPT_PRESET, preset),
                                      (_OPT_LABELS_FILE, labels), (_OPT_PRECISION, precision),
                                      (_OPT_QUANT_CALIBRATION, calibration)], ints=[
            (_OPT_POOL_INCLUDE_PAD, None if pool_include_pad is None else int(pool_include_pad)),
            (_OPT_LABEL_OFFSET, label_offset),
            (_OPT_SKIP_CHECKSUM, None if skip_checksum is None else int(skip_checksum)),
            (_OPT_STEM, stem), (_OPT_QUANT_WEIGHT_BITS, weight_bits)])
        h = ctypes.c_void_p()
        if _is_path(source):
            st = lib.inception_model_load_file(_path_bytes(source), _optr(opts), ctypes.byref(h))
        else:
            addr, n, keep = _readable_buffer(source)
            st = lib.inception_model_load_memory(addr, n, _optr(opts), ctypes.byref(h))
            del keep
        if st:
            _raise(lib, st, paths=[source if _is_path(source) else None, labels])
        self._lib = lib
        self._h = _Handle(h.value, lib.inception_model_free)
        self._labels = None

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview], **kw: Any) -> "Model":
        """Load from bytes-like data (not kept after loading)."""
        if _is_path(data):
            raise InvalidArgument("from_bytes needs bytes-like data, not a path")
        return cls(data, **kw)

    def _int(self, name):
        v = ctypes.c_int64()
        st = self._lib.inception_model_info_int(self._ptr(), _INFO_INT[name], ctypes.byref(v))
        if st:
            _raise(self._lib, st)
        return bool(v.value) if name in _INFO_BOOL else v.value

    def _str(self, name):
        v = ctypes.c_char_p()
        st = self._lib.inception_model_info_string(self._ptr(), _INFO_STR[name],
                                                   ctypes.byref(v))
        if st:
            _raise(self._lib, st)
        return (v.value or b"").decode("utf-8", "replace")

    classes = property(lambda self: self._int("classes"), doc="Classifier width (1000/1001).")
    label_offset = property(lambda self: self._int("label_offset"),
                            doc="1 when class 0 is a background class.")
    input_height = property(lambda self: self._int("input_height"),
                            doc="Height of the input the preprocessing produces.")
    input_width = property(lambda self: self._int("input_width"),
                           doc="Width of the input the preprocessing produces.")
    input_size = property(lambda self: (self.input_height, self.input_width),
                          doc="(height, width) the preprocessing produces.")
    parameters = property(lambda self: self._int("parameters"),
                          doc="Parameters used for inference (BN counted).")
    has_aux = property(lambda self: self._int("has_aux"),
                       doc="True if the file carries the aux head.")
    feature_size = property(lambda self: self._int("features"), doc="2048.")
    pool_include_pad = property(lambda self: self._int("pool_include_pad"),
                                doc="True if average pools count padded zeros.")
    bn_has_gamma = property(lambda self: self._int("bn_has_gamma"),
                            doc="True if batch norms have a learned scale.")
    crc32 = property(lambda self: self._int("crc32"), doc="CRC-32 of the data section.")
    has_labels = property(lambda self: self._int("has_labels"),
                          doc="True if labels came from the file (or a labels file).")
    min_input_size = property(lambda self: self._int("min_input_size"),
                              doc="Smallest input side a run accepts (75).")
    synthetic = property(lambda self: self._int("synthetic"),
                         doc="True for generated weights, whose labels mean nothing.")
    quantized = property(lambda self: self._int("quantized"),
                         doc="True when the convolutions run int8 (docs/int8.md).")
    precision = property(lambda self: self._str("precision"), doc='"float" or "int8".')
    calibration_method = property(lambda self: self._str("calibration_method"),
                                  doc='e.g. "mse" or "percentile=99.99"; "" for a float model.')
    stem = property(lambda self: self._int("stem"),
                    doc="Receptive-field stem: 299, 151 or 79 (docs/paper.md, Table 2).")
    stem_conv = property(lambda self: self._int("stem_conv"),
                         doc="3: three 3x3 first convolutions (v3); 7: one 7x7 (v2).")
    aux_bn = property(lambda self: self._int("aux_bn"),
                      doc="True when the aux head's fc output is batch-normalised.")
    architecture = property(lambda self: self._str("architecture"),
                            doc='e.g. "stem=299 stem_conv=3x3 aux=plain".')
    backend = property(lambda self: self._str("backend"),
                       doc="Backend the weights were packed for.")
    preset = property(lambda self: self._str("preset"),
                      doc="Preprocessing preset: 'torchvision', 'timm', 'tf', ...")
    normalization = property(lambda self: self._str("normalization"),
                             doc="Mean and std, e.g. 'mean=0.5,0.5,0.5 std=0.5,0.5,0.5'.")
    name = property(lambda self: self._str("name"), doc="inception.name from the metadata.")

    def info(self) -> Dict[str, Any]:
        """Everything the model reports, as a dict."""
        d = {k: self._int(k) for k in _INFO_INT}
        d["feature_size"] = d.pop("features")
        d.update((k, self._str(k)) for k in _INFO_STR)
        return d

    def label(self, index: int) -> Optional[str]:
        """Label of a class index in [0, classes), or None if the model has no labels (its
        metadata has none, no labels file was given and it is not a 1000/1001-class
        ImageNet head). NotFound for an index outside [0, classes)."""
        return _label(self._lib, self._ptr(), int(index), self.classes)

    @property
    def labels(self) -> List[Optional[str]]:
        """All labels, a list indexed by class (entries are None for a model without
        labels)."""
        if self._labels is None:
            self._labels = [self.label(i) for i in range(self.classes)]
        return list(self._labels)

    def session(self, **kw: Any) -> "Session":
        """A new Session over this model (same arguments as Session)."""
        return Session(self, **kw)

    def create_input(self, batch: int = 1, layout: str = "nchw") -> Tensor:
        """A zeroed input Tensor of the model's input size for `batch` images."""
        h = ctypes.c_void_p()
        st = self._lib.inception_model_create_input(self._ptr(), int(batch),
                                                    _layout_code(layout, ()), ctypes.byref(h))
        if st:
            _raise(self._lib, st)
        return Tensor._adopt(self._lib, h.value)

    def preprocess(self, images: Union[ImageSource, Iterable[ImageSource]],
                   out: Optional[Tensor] = None, index: int = 0,
                   layout: str = "nchw") -> Tensor:
        """Resize, crop and normalise images with the model's preset into an input Tensor.

        `images`: one image source or a list of them (Image, path, encoded bytes, uint8 pixel
        array). With `out` (a Tensor) the images go into slots index, index+1, ... of it;
        otherwise a new Tensor of len(images) is returned."""
        single = isinstance(images, (Image, str, bytes, bytearray, memoryview, os.PathLike)) \
            or _is_single_image(images) or _is_array_like(images)
        items = [images] if single else list(images)
        if not items:
            raise InvalidArgument("no images given")
        if out is None:
            out = self.create_input(len(items), layout)
            index = 0
        for i, src in enumerate(items):
            img, mine = _as_image(self._lib, src)
            try:
                st = self._lib.inception_image_preprocess(self._ptr(), img._ptr(), out._ptr(),
                                                          int(index) + i)
                if st:
                    _raise(self._lib, st)
            finally:
                if mine:
                    img.close()
        return out

    def __repr__(self):
        if self.closed:
            return "<inception.Model closed>"
        return "<inception.Model %s, %d classes, backend %s>" % (
            self.name or "unnamed", self.classes, self.backend)


class Session(_Closable):
    """Runs a model: owns activation memory and worker threads. Use a session from one thread
    at a time (this object refuses concurrent use); create one per thread. Outputs are copied
    out of the session, so they stay valid after the next run."""

    def __init__(self, model: "Model", *, threads: Optional[int] = None,
                 outputs: Union[None, int, str, Sequence[str]] = None,
                 profile: bool = False) -> None:
        """threads: worker threads (0/None = online cores). outputs: names from 'logits',
        'probabilities', 'features', 'aux_logits' (default the first three) or a bitmask.
        profile: time every layer; read the figures with profile()."""
        if not isinstance(model, Model):
            raise InvalidArgument("Session needs a Model, got %s" % type(model).__name__)
        lib = model._lib
        mask = None
        if outputs is not None:
            if isinstance(outputs, int):
                mask = outputs
            else:
                if isinstance(outputs, str):
                    outputs = [outputs]
                mask = 0
                for name in outputs:
                    if name not in OUTPUTS:
                        raise InvalidArgument("unknown output %r; use %s"
                                              % (name, ", ".join(OUTPUTS)))
                    mask |= OUTPUTS[name]
        opts = _options(lib, ints=[(_OPT_THREADS, threads), (_OPT_OUTPUTS, mask),
                                   (_OPT_PROFILE, 1 if profile else None)])
        h = ctypes.c_void_p()
        st = lib.inception_session_create(model._ptr(), _optr(opts), ctypes.byref(h))
        if st:
            _raise(lib, st)
        self._lib = lib
        self._h = _Handle(h.value, lib.inception_session_free)
        # The session holds a C reference to the model, so this pointer stays valid for
        # labels even if the Model object is closed first.
        self._model_ptr = model._ptr()
        self._classes = model.classes
        self._features = model.feature_size
        self.model = model
        self.threads = threads or 0
        self._busy = threading.Lock()

    # One thread at a time: a second thread gets an error instead of corrupting the session.
    def _enter(self):
        if not self._busy.acquire(blocking=False):
            raise InvalidArgument("this Session is in use by another thread; "
                                  "create one Session per thread")
        try:
            return self._ptr()
        except BaseException:
            self._busy.release()
            raise

    def close(self) -> None:
        """Free the session now (waits for a call in another thread to finish)."""
        with self._busy:
            for h in self.__dict__.pop("_crop_sessions", {}).values():  # paper.py's helpers
                h.release()
            _Closable.close(self)

    def _check(self, st, ptr, paths=()):
        if st:
            _raise(self._lib, st, ptr, paths)

    def _run_ptr(self, ptr, tensor_ptr):
        self._check(self._lib.inception_session_run(ptr, tensor_ptr), ptr)

    def _output(self, ptr, name):
        o = ctypes.c_void_p()
        self._check(self._lib.inception_session_output(ptr, OUTPUTS[name], ctypes.byref(o)), ptr)
        return _copy_out(self._lib, o.value)

    def run(self, input: ArrayInput, shape: Optional[Sequence[int]] = None,
            layout: Optional[str] = None) -> Dict[str, Output]:
        """Run the network on `input` and return {output name: array} for every output the
        session keeps. `input`: a Tensor, a float32 C-contiguous numpy array [N,3,H,W],
        [N,H,W,3] or one image [3,H,W]/[H,W,3] (not copied), or a float32 buffer
        (array.array('f'), memoryview, bytes) with `shape`. Values already normalised (see
        Model.preprocess)."""
        ptr = self._enter()
        try:
            self._run_input(ptr, input, shape, layout)
            out = {}
            for name in OUTPUTS:
                o = ctypes.c_void_p()
                st = self._lib.inception_session_output(ptr, OUTPUTS[name], ctypes.byref(o))
                if st == 0:
                    out[name] = _copy_out(self._lib, o.value)
            return out
        finally:
            self._busy.release()

    def _run_input(self, ptr, input, shape, layout):
        if isinstance(input, Tensor):
            self._run_ptr(ptr, input._ptr())
            return
        tensor = Tensor.wrap(input, shape, layout, library=self._lib)
        try:
            self._run_ptr(ptr, tensor._ptr())
        finally:
            tensor.close()

    def _run_one(self, name, input, shape, layout):
        ptr = self._enter()
        try:
            self._run_input(ptr, input, shape, layout)
            return self._output(ptr, name)
        finally:
            self._busy.release()

    def logits(self, input: ArrayInput, shape: Optional[Sequence[int]] = None,
               layout: Optional[str] = None) -> Output:
        """Run and return the logits [N, classes]."""
        return self._run_one("logits", input, shape, layout)

    def probabilities(self, input: ArrayInput, shape: Optional[Sequence[int]] = None,
                      layout: Optional[str] = None) -> Output:
        """Run and return the softmax probabilities [N, classes]."""
        return self._run_one("probabilities", input, shape, layout)

    def features(self, input: ArrayInput, shape: Optional[Sequence[int]] = None,
                 layout: Optional[str] = None) -> Output:
        """Run and return the pooled 2048-d features [N, 2048]."""
        return self._run_one("features", input, shape, layout)

    def aux_logits(self, input: ArrayInput, shape: Optional[Sequence[int]] = None,
                   layout: Optional[str] = None) -> Output:
        """Run and return the aux head's logits (session made with outputs incl. aux_logits)."""
        return self._run_one("aux_logits", input, shape, layout)

    def output(self, name: str) -> Output:
        """An output of the last run, copied. NotReady before a run, NotFound if the session
        does not keep it."""
        if name not in OUTPUTS:
            raise InvalidArgument("unknown output %r; use %s" % (name, ", ".join(OUTPUTS)))
        ptr = self._enter()
        try:
            return self._output(ptr, name)
        finally:
            self._busy.release()

    def _clamp_k(self, k):
        # Clamped before anything is allocated: a huge k must not size the result arrays,
        # and C takes k as int32_t, which would wrap a k of 2**32 + 3 to 3.
        k = int(k)
        if k < 1:
            raise InvalidArgument("k = %d is below 1" % k)
        # A feature extractor (no fc: 0 classes) keeps k = 1, so C answers UNSUPPORTED.
        return min(k, max(self._classes, 1))

    def _predictions(self, classes, probs):
        lib, mp = self._lib, self._model_ptr
        return [Prediction(int(c), _label(lib, mp, int(c), self._classes), float(p))
                for c, p in zip(classes, probs)]

    def classify(self, source: Union[ImageSource, ArrayInput], k: int = 5,
                 crops: Optional[int] = None, average: Optional[str] = None) -> List[Prediction]:
        """Top-k Predictions (index, label, probability) for one image, best first.

        crops: 1, 10, 12 or 144 crops averaged (docs/paper.md; a path, bytes, Image or
        pixel array); average: "probabilities" (default) or "logits" over the crops.

        `source`: a path (str or os.PathLike) or encoded JPEG/PNG bytes (one C call, which
        lets the JPEG decoder downscale in the DCT domain), an Image or a uint8 pixel array
        [H, W, 3] (preprocess and run), or an input Tensor / float32 array (run)."""
        k = self._clamp_k(k)
        if crops is not None or average is not None:
            from . import paper
            return paper.session_classify_crops(self, source, k, crops or 1, average)
        if _is_path(source) or isinstance(source, (bytes, bytearray, memoryview)):
            classes = (ctypes.c_int32 * k)()
            probs = (ctypes.c_float * k)()
            n = ctypes.c_int32()
            path = _path_bytes(source) if _is_path(source) else None
            ptr = self._enter()
            try:
                if path is not None:
                    st = self._lib.inception_session_classify_file(ptr, path, k, classes, probs,
                                                                   ctypes.byref(n))
                else:
                    addr, size, keep = _readable_buffer(source)
                    st = self._lib.inception_session_classify(ptr, addr, size, k, classes,
                                                              probs, ctypes.byref(n))
                    del keep
                self._check(st, ptr, [source] if path is not None else ())
            finally:
                self._busy.release()
            return self._predictions(classes[:n.value], probs[:n.value])
        if _is_array_like(source) and not _is_pil_image(source):
            source = _to_numpy(source)
        if isinstance(source, Tensor) or (np is not None and isinstance(source, np.ndarray)
                                          and source.dtype == np.float32):
            rows = self._probabilities_of(source)
        else:
            rows = self._probabilities_of(self.model.preprocess([source]))
        return self._top(rows[0], k)

    def cam(self, class_index, image_index=0):
        """Class activation map [H', W'] of `class_index` for image `image_index` of the last
        run: sum_c w[class][c] * F[y][x][c]; its mean plus the fc bias is the logit. The
        session needs outputs including "feature_map"."""
        from . import paper
        return paper.session_cam(self, class_index, image_index)

    def _probabilities_of(self, input):
        ptr = self._enter()
        try:
            self._run_input(ptr, input, None, None)
            o = ctypes.c_void_p()
            st = self._lib.inception_session_output(ptr, OUTPUTS["probabilities"],
                                                    ctypes.byref(o))
            if st == 0:
                return _copy_out(self._lib, o.value)
            if st != NotFound.status:
                self._check(st, ptr)
            logits = self._output(ptr, "logits")
        finally:
            self._busy.release()
        return [_softmax(row) for row in logits]

    def _top(self, row, k):
        idx = _top_k(row, k)
        return self._predictions(idx, [row[i] for i in idx])

    def classify_batch(self, sources: Iterable[ImageSource],
                       k: int = 5) -> List[List[Prediction]]:
        """Top-k Predictions for each of several images, run as one batch. Each image is
        decoded at full size, so for JPEGs the figures may differ in the last digits from
        classify(path), which lets the decoder downscale in the DCT domain."""
        k = self._clamp_k(k)
        batch = self.model.preprocess(list(sources))
        try:
            rows = self._probabilities_of(batch)
        finally:
            batch.close()
        return [self._top(row, k) for row in rows]

    def iter_embed(self, sources: Union[PathLike, Iterable[ImageSource]], *,
                   batch_size: int = DEFAULT_BATCH_SIZE,
                   on_error: Union[str, Callable[["Embedding"], Any]] = "raise",
                   progress: Optional[Callable[[int, Optional[int]], Any]] = None,
                   recursive: bool = False) -> Iterator["Embedding"]:
        """Embed images batch by batch, yielding an Embedding(index, source, features, error)
        for each image in order as soon as its batch has run.

        `sources`: a folder (its .jpg/.jpeg/.png files in name order; with recursive=True
        also those of its subfolders), or any iterable of image sources (paths, encoded
        bytes, Images, uint8 pixel arrays, PIL images), consumed lazily. At most
        `batch_size` images are decoded and run at once, so memory stays bounded however
        many there are; each image is decoded, preprocessed into its slot and freed before
        the next. on_error="raise" (default) raises the first image's error; "skip" yields
        features None and the exception for an image that cannot be read or decoded, and
        goes on; a callable is called with that Embedding and then skips too. progress, if
        given, is called as progress(done, total) after each batch (total None when the
        number of sources is not known)."""
        batch_size = int(batch_size)
        if batch_size < 1:
            raise InvalidArgument("batch_size = %d is below 1" % batch_size)
        if not (on_error in ("raise", "skip") or callable(on_error)):
            raise InvalidArgument("on_error must be 'raise', 'skip' or a callable, not %r"
                                  % (on_error,))
        items, total = _embed_sources(sources, recursive)
        return self._iter_embed(items, total, batch_size, on_error, progress)

    def _iter_embed(self, items, total, batch_size, on_error, progress):
        # A generator apart from iter_embed, so bad arguments raise at the call, not at the
        # first next().
        done = 0
        chunk = []
        for item in items:
            chunk.append(item)
            if len(chunk) == batch_size:
                for e in self._embed_chunk(done, chunk, on_error):
                    yield e
                done += len(chunk)
                chunk = []
                if progress is not None:
                    progress(done, total)
        if chunk:
            for e in self._embed_chunk(done, chunk, on_error):
                yield e
            done += len(chunk)
            if progress is not None:
                progress(done, total)

    def embed(self, sources: Union[PathLike, Iterable[ImageSource]], *,
              batch_size: int = DEFAULT_BATCH_SIZE,
              on_error: Union[str, Callable[["Embedding"], Any]] = "raise",
              progress: Optional[Callable[[int, Optional[int]], Any]] = None,
              recursive: bool = False) -> Output:
        """The 2048-d features of images (a list, any iterable, or a folder; see iter_embed),
        run `batch_size` at a time: an array [N, 2048] (a list of array('f') rows without
        numpy), row i for source i. With on_error="skip" (or a callable, which is given each
        failed Embedding) the row of an image that failed is NaN."""
        rows = []
        for e in self.iter_embed(sources, batch_size=batch_size, on_error=on_error,
                                 progress=progress, recursive=recursive):
            if e.features is not None:
                rows.append(e.features)
            elif np is not None:
                rows.append(np.full(self._features, np.nan, dtype=np.float32))
            else:
                rows.append(array.array("f", [float("nan")]) * self._features)
        if np is not None:
            if not rows:
                return np.empty((0, self._features), dtype=np.float32)
            return np.stack(rows).astype(np.float32, copy=False)
        return rows

    def _embed_chunk(self, first, chunk, on_error):
        """Embeddings of one batch of sources (index first, first + 1, ...)."""
        self._ptr()  # a closed session may no longer hold the model: refuse before using it
        lib, mp = self._lib, self._model_ptr
        h = ctypes.c_void_p()
        st = lib.inception_model_create_input(mp, len(chunk), 1, ctypes.byref(h))
        if st:
            _raise(lib, st)
        batch = Tensor._adopt(lib, h.value)
        slots = []
        used = 0
        try:
            for i, src in enumerate(chunk):
                try:
                    img, mine = _as_image(lib, src)
                    try:
                        st = lib.inception_image_preprocess(mp, img._ptr(), batch._ptr(), used)
                        if st:
                            _raise(lib, st)
                    finally:
                        if mine:
                            img.close()
                except InceptionError as exc:
                    if on_error == "raise":
                        raise
                    slots.append(exc)
                    continue
                slots.append(used)
                used += 1
            feats = None
            if used == len(chunk):
                feats = self.features(batch)
            elif used:
                per = len(batch.memoryview()) // len(chunk)
                part = Tensor.wrap(batch.memoryview()[:used * per],
                                   shape=(used,) + batch.shape[1:], library=lib)
                try:
                    feats = self.features(part)
                finally:
                    part.close()
        finally:
            batch.close()
        out = []
        for i, slot in enumerate(slots):
            if isinstance(slot, int):
                out.append(Embedding(first + i, chunk[i], feats[slot], None))
                continue
            e = Embedding(first + i, chunk[i], None, slot)
            if callable(on_error):
                on_error(e)
            out.append(e)
        return out

    @property
    def memory(self) -> int:
        """Bytes of activation and scratch memory held for the last run's input shape."""
        v = ctypes.c_int64()
        ptr = self._ptr()
        self._check(self._lib.inception_session_memory(ptr, ctypes.byref(v)), ptr)
        return v.value

    @property
    def last_error(self) -> str:
        """The session's last failure message ("" if none)."""
        return (self._lib.inception_session_last_error(self._ptr()) or b"").decode(
            "utf-8", "replace")

    def profile(self) -> List[Dict[str, Any]]:
        """Per-layer figures of the last run (session made with profile=True): a list of
        dicts with name, kind, macs, milliseconds."""
        ptr = self._ptr()
        rows = []
        i = 0
        while True:
            name, kind = ctypes.c_char_p(), ctypes.c_char_p()
            macs, ms = ctypes.c_int64(), ctypes.c_double()
            st = self._lib.inception_session_profile(ptr, i, ctypes.byref(name),
                                                     ctypes.byref(kind), ctypes.byref(macs),
                                                     ctypes.byref(ms))
            if st == NotFound.status:
                return rows
            self._check(st, ptr)
            rows.append({"name": name.value.decode(), "kind": kind.value.decode(),
                         "macs": macs.value, "milliseconds": ms.value})
            i += 1

    def __repr__(self):
        return "<inception.Session closed>" if self.closed else \
            "<inception.Session threads=%d>" % self.threads


def _softmax(row):
    import math
    if np is not None and isinstance(row, np.ndarray):
        e = np.exp(row - row.max())
        return (e / e.sum()).astype(np.float32)
    mx = max(row)
    e = [math.exp(v - mx) for v in row]
    s = sum(e)
    return array.array("f", (v / s for v in e))


# ---------------------------------------------------------------------------------------


def version() -> str:
    """The library's version string, e.g. "1.0.0"."""
    return _native.lib().inception_version_string().decode()


def version_number() -> int:
    """The library's version as MAJOR*10000 + MINOR*100 + PATCH."""
    return _native.lib().inception_version_number()


def model_format_version() -> int:
    """Highest model-file format revision the library reads."""
    return _native.lib().inception_model_format_version()


def backends() -> List[Tuple[str, bool]]:
    """Registered backends: a list of (name, available on this machine)."""
    lib = _native.lib()
    names = [lib.inception_backend_name(i).decode() for i in range(lib.inception_backend_count())]
    return [(n, bool(lib.inception_backend_available(n.encode()))) for n in names]


def backend_available(name: str) -> bool:
    """True if the named backend can run on this machine."""
    return bool(_native.lib().inception_backend_available(_c_string(name, "backend name")))


def status_string(status: int) -> str:
    """The library's English name of a status code."""
    return _native.lib().inception_status_string(int(status)).decode()

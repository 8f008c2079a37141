"""The paper's evaluation protocols (docs/paper.md): multi-crop classify (Table 4),
ensembles (Table 5) and class activation maps. Session.classify(..., crops=N) and
Session.cam(...) call into this module; Ensemble is exported by the package."""
import ctypes
import threading

from . import core
from ._native import c_handle, c_handle_p, c_int32_p, c_float_p, c_status
from .errors import InvalidArgument, error_for

_OPT_CROPS, _OPT_CROP_AVERAGE, _OPT_CROP_BATCH = 50, 51, 52
CROPS = (1, 10, 12, 144)
AVERAGES = {"probabilities": 0, "logits": 1}

_PROTOTYPES = {
    "inception_session_classify_image": (c_status, [c_handle, c_handle, ctypes.c_int32,
                                                    c_int32_p, c_float_p, c_int32_p]),
    "inception_session_cam": (c_status, [c_handle, ctypes.c_int64, ctypes.c_int64, c_handle_p]),
    "inception_image_crops": (c_status, [c_handle, c_handle, ctypes.c_int32, c_handle_p]),
    "inception_ensemble_create": (c_status, [ctypes.POINTER(c_handle), ctypes.c_int32, c_handle,
                                             c_handle_p]),
    "inception_ensemble_free": (None, [c_handle]),
    "inception_ensemble_last_error": (ctypes.c_char_p, [c_handle]),
    "inception_ensemble_classify": (c_status, [c_handle, ctypes.c_void_p, ctypes.c_size_t,
                                               ctypes.c_int32, c_int32_p, c_float_p, c_int32_p]),
    "inception_ensemble_classify_file": (c_status, [c_handle, ctypes.c_char_p, ctypes.c_int32,
                                                    c_int32_p, c_float_p, c_int32_p]),
    "inception_ensemble_classify_image": (c_status, [c_handle, c_handle, ctypes.c_int32,
                                                     c_int32_p, c_float_p, c_int32_p]),
}
_declared = set()
_declare_lock = threading.Lock()


def _declare(lib):
    with _declare_lock:
        if id(lib) in _declared:
            return lib
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        _declared.add(id(lib))
    return lib


def _crop_ints(crops, average, crop_batch=None):
    if crops is not None and int(crops) not in CROPS:
        raise InvalidArgument("crops must be one of %s, got %r" % (CROPS, crops))
    if average is not None and average not in AVERAGES:
        raise InvalidArgument("average must be 'probabilities' or 'logits', got %r" % (average,))
    return [(_OPT_CROPS, crops), (_OPT_CROP_AVERAGE, AVERAGES.get(average)),
            (_OPT_CROP_BATCH, crop_batch)]


def _labelled(lib, model_ptr, classes, probs, n):
    res = []
    for c, p in zip(classes[:n], probs[:n]):
        v = ctypes.c_char_p()
        st = lib.inception_model_label(model_ptr, int(c), ctypes.byref(v))
        label = v.value.decode("utf-8", "replace") if st == 0 else None
        res.append(core.Prediction(int(c), label, float(p)))
    return res


def _call_classify(lib, fn_file, fn_bytes, fn_image, ptr, source, k):
    """Run one of the classify families on a path, encoded bytes, Image or uint8 pixels.
    Returns (status, classes, probs, count)."""
    k = int(k)
    classes = (ctypes.c_int32 * max(k, 1))()
    probs = (ctypes.c_float * max(k, 1))()
    n = ctypes.c_int32()
    if core._is_path(source):
        st = fn_file(ptr, core._path_bytes(source), k, classes, probs, ctypes.byref(n))
    elif isinstance(source, (bytes, bytearray, memoryview)):
        addr, size, keep = core._readable_buffer(source)
        st = fn_bytes(ptr, addr, size, k, classes, probs, ctypes.byref(n))
        del keep
    else:
        img, mine = core._as_image(lib, source)
        try:
            st = fn_image(ptr, img._ptr(), k, classes, probs, ctypes.byref(n))
        finally:
            if mine:
                img.close()
    return st, classes, probs, n.value


def session_classify_crops(session, source, k, crops, average, crop_batch=None):
    """Session.classify with crops: the crop options are session options in C, so one
    helper session per (crops, average) is made on the same model and kept."""
    lib = _declare(session._lib)
    key = (int(crops), average or "probabilities", crop_batch)
    helpers = session.__dict__.setdefault("_crop_sessions", {})
    h = helpers.get(key)
    if h is None:
        opts = core._options(lib, ints=[(core._OPT_THREADS, session.threads or None)] +
                             _crop_ints(crops, average, crop_batch))
        p = ctypes.c_void_p()
        st = lib.inception_session_create(session._model_ptr, core._optr(opts), ctypes.byref(p))
        if st:
            core._raise(lib, st)
        h = helpers[key] = core._Handle(p.value, lib.inception_session_free)
    session._enter()
    try:
        st, classes, probs, n = _call_classify(
            lib, lib.inception_session_classify_file, lib.inception_session_classify,
            lib.inception_session_classify_image, h.ptr, source, k)
        if st:
            core._raise(lib, st, h.ptr)
    finally:
        session._busy.release()
    return _labelled(lib, session._model_ptr, classes, probs, n)


def session_cam(session, class_index, image_index=0):
    """The class activation map [H', W'] of the last run (needs outputs with 'feature_map')."""
    lib = _declare(session._lib)
    ptr = session._enter()
    try:
        t = ctypes.c_void_p()
        st = lib.inception_session_cam(ptr, int(image_index), int(class_index), ctypes.byref(t))
        if st:
            core._raise(lib, st, ptr)
        try:
            out = core._copy_out(lib, t.value)
        finally:
            lib.inception_tensor_free(t.value)
    finally:
        session._busy.release()
    if core.np is not None:
        return out.reshape(out.shape[1], out.shape[2])
    return out


def image_crops(model, image, crops):
    """The crop batch [crops, 3, H, W] of an image (Image, path, bytes or pixels), as run by
    classify with crops=N, for running it yourself."""
    lib = _declare(model._lib)
    img, mine = core._as_image(lib, image)
    try:
        t = ctypes.c_void_p()
        st = lib.inception_image_crops(model._ptr(), img._ptr(), int(crops), ctypes.byref(t))
        if st:
            core._raise(lib, st)
    finally:
        if mine:
            img.close()
    return core.Tensor._adopt(lib, t.value)


class Ensemble(core._Closable):
    """Several models classifying together (paper Table 5): their probabilities, each
    averaged over its crops first, are averaged. Each model keeps its own preset and
    normalisation; all must share the class space (else ModelMismatch). One session per
    model inside: use an Ensemble from one thread at a time (this object refuses concurrent
    use); make one per thread (the Models can be shared)."""

    def __init__(self, models, *, threads=None, crops=None, average=None, crop_batch=None):
        models = list(models)
        if not models or not all(isinstance(m, core.Model) for m in models):
            raise InvalidArgument("Ensemble needs a non-empty list of Models")
        lib = _declare(models[0]._lib)
        opts = core._options(lib, ints=[(core._OPT_THREADS, threads)] +
                             _crop_ints(crops, average, crop_batch))
        arr = (c_handle * len(models))(*[m._ptr() for m in models])
        p = ctypes.c_void_p()
        st = lib.inception_ensemble_create(arr, len(models), core._optr(opts), ctypes.byref(p))
        if st:
            core._raise(lib, st)
        self._lib = lib
        self._h = core._Handle(p.value, lib.inception_ensemble_free)
        self._model_ptr = models[0]._ptr()  # the ensemble holds a C reference to it
        self.models = models
        self.crops = crops or 1
        self._busy = threading.Lock()

    def classify(self, source, k=5):
        """Top-k Predictions for one image: a path, encoded bytes, an Image or uint8 pixels."""
        if int(k) < 1:
            raise InvalidArgument("k = %d is below 1" % int(k))
        if not self._busy.acquire(blocking=False):
            raise InvalidArgument("this Ensemble is in use by another thread; "
                                  "create one Ensemble per thread")
        try:
            lib, ptr = self._lib, self._ptr()
            st, classes, probs, n = _call_classify(
                lib, lib.inception_ensemble_classify_file, lib.inception_ensemble_classify,
                lib.inception_ensemble_classify_image, ptr, source, k)
            if st:
                msg = lib.inception_ensemble_last_error(ptr) or b""
                name = lib.inception_status_string(st)
                raise error_for(st, msg.decode("utf-8", "replace"),
                                name.decode() if name else None)
        finally:
            self._busy.release()
        return _labelled(lib, self._model_ptr, classes, probs, n)

    def close(self):
        """Free the ensemble now (waits for a call in another thread to finish)."""
        with self._busy:
            core._Closable.close(self)

    def __repr__(self):
        return "<inception.Ensemble of %d models, crops=%d>" % (len(self.models), self.crops)

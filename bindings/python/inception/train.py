"""Training a new classifier head on Inception-v3's 2048-d features (libinception 1.1).

    import inception
    with inception.Model("base.safetensors") as model:
        with inception.Trainer(model, data="photos/", input_size=299) as trainer:
            for epoch in range(3):
                for _ in range(trainer.steps_per_epoch):
                    loss = trainer.step()
                print(epoch, trainer.evaluate_validation())
            trainer.save("mine.safetensors")

Trainer(model, classes=2).train(features, labels) trains on arrays you computed yourself:
float32 [N, 2048] features, or [N, 3, H, W] / [N, H, W, 3] preprocessed images, or a list
of image paths. See docs/training.md for the recipe and every setting.
"""
import ctypes
import os

from . import _native
from .core import _Closable, _Handle, _raise, _path_bytes, _c_string, Tensor
from .errors import InvalidArgument

c_status = ctypes.c_int
c_handle = ctypes.c_void_p
_PROTOTYPES = {
    "inception_options_set_double": (c_status, [c_handle, ctypes.c_int, ctypes.c_double]),
    "inception_trainer_create": (c_status, [c_handle, c_handle, ctypes.POINTER(c_handle)]),
    "inception_trainer_free": (None, [c_handle]),
    "inception_trainer_last_error": (ctypes.c_char_p, [c_handle]),
    "inception_trainer_train_batch": (c_status, [c_handle, c_handle, ctypes.POINTER(ctypes.c_int32),
                                                 ctypes.POINTER(ctypes.c_float)]),
    "inception_trainer_train_files": (c_status, [c_handle, ctypes.POINTER(ctypes.c_char_p),
                                                 ctypes.POINTER(ctypes.c_int32), ctypes.c_int64,
                                                 ctypes.POINTER(ctypes.c_float)]),
    "inception_trainer_step": (c_status, [c_handle, ctypes.POINTER(ctypes.c_float)]),
    "inception_trainer_evaluate": (c_status, [c_handle, c_handle, ctypes.POINTER(ctypes.c_int32)]),
    "inception_trainer_evaluate_files": (c_status, [c_handle, ctypes.POINTER(ctypes.c_char_p),
                                                    ctypes.POINTER(ctypes.c_int32), ctypes.c_int64]),
    "inception_trainer_evaluate_validation": (c_status, [c_handle]),
    "inception_trainer_eval_reset": (c_status, [c_handle]),
    "inception_trainer_confusion": (c_status, [c_handle, ctypes.POINTER(ctypes.c_int64), ctypes.c_size_t]),
    "inception_trainer_logits": (c_status, [c_handle, c_handle, ctypes.POINTER(ctypes.c_float),
                                            ctypes.c_size_t]),
    "inception_trainer_info_double": (c_status, [c_handle, ctypes.c_int, ctypes.POINTER(ctypes.c_double)]),
    "inception_trainer_label": (c_status, [c_handle, ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p)]),
    "inception_trainer_skipped": (c_status, [c_handle, ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p),
                                             ctypes.POINTER(ctypes.c_char_p)]),
    "inception_trainer_save": (c_status, [c_handle, ctypes.c_char_p]),
    "inception_trainer_checkpoint": (c_status, [c_handle, ctypes.c_char_p]),
    "inception_trainer_resume": (c_status, [c_handle, ctypes.c_char_p]),
}

# keyword -> (option key, kind) with kind "i" (int), "d" (number), "s" (string)
SETTINGS = {
    "classes": (300, "i"), "labels": (301, "s"), "seed": (302, "i"), "batch": (303, "i"),
    "optimizer": (304, "s"), "lr": (305, "d"), "schedule": (306, "s"), "lr_decay": (307, "d"),
    "lr_decay_epochs": (308, "d"), "epoch_size": (309, "i"), "momentum": (310, "d"),
    "rmsprop_decay": (311, "d"), "epsilon": (312, "d"), "epsilon_placement": (313, "s"),
    "weight_decay": (314, "d"), "clip_norm": (315, "d"), "ema_decay": (316, "d"),
    "label_smoothing": (317, "d"), "base_model": (318, "s"), "augment": (319, "s"),
    "crop_scale_min": (320, "d"), "crop_scale_max": (321, "d"), "crop_ratio_min": (322, "d"),
    "crop_ratio_max": (323, "d"), "views": (324, "i"), "val_fraction": (325, "d"),
    "cache_dir": (326, "s"), "data": (327, "s"), "val_data": (328, "s"), "input_size": (329, "i"),
    "scope": (330, "s"), "head_init": (335, "s"), "frozen_bn": (332, "i"), "bn_momentum": (333, "d"),
    "dropout": (334, "d"), "aux_weight": (331, "d"), "threads": (2, "i"),
}
_INFO = {"classes": 1, "steps_done": 2, "examples": 3, "epoch": 4, "lr": 5, "epoch_size": 6,
         "steps_per_epoch": 7, "train_size": 8, "val_size": 9, "skipped_count": 10,
         "eval_count": 11, "eval_loss": 12, "eval_top1": 13, "eval_top5": 14,
         "cache_hits": 15, "cache_misses": 16, "last_loss": 17, "grad_norm": 18,
         "scope_memory": 30, "trainable": 31, "aux_active": 32, "aux_loss": 33}
_INTEGRAL = {"classes", "steps_done", "examples", "epoch_size", "steps_per_epoch", "train_size",
             "val_size", "skipped_count", "eval_count", "cache_hits", "cache_misses", "scope_memory",
             "trainable", "aux_active"}
_declared = set()


def _lib_with_trainer(lib):
    if id(lib) not in _declared:
        for name, (res, args) in _PROTOTYPES.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args
        _declared.add(id(lib))
    return lib


def _paths(paths):
    enc = [_path_bytes(p) for p in paths]
    return (ctypes.c_char_p * len(enc))(*enc), enc


class Trainer(_Closable):
    """A new fc head on a loaded Model's frozen trunk (see the module docstring). Keyword
    settings are the TRAIN_* options of the C API in lower case (classes, labels, seed,
    batch, optimizer, lr, schedule, label_smoothing, clip_norm, ema_decay, augment, data,
    cache_dir, input_size, scope ("fc", "Mixed_7b", "all", "last:2": what is trained below
    the head), head_init ("torchvision" or "linear"), dropout, frozen_bn, bn_momentum, ...; `labels` may be a list). Use from one
    thread at a time."""

    def __init__(self, model, **settings):
        lib = _lib_with_trainer(model._lib)
        h = ctypes.c_void_p()
        if lib.inception_options_create(ctypes.byref(h)):
            _raise(lib, 2)
        opts = _Handle(h.value, lib.inception_options_free)
        for name, value in settings.items():
            if value is None:
                continue
            if name not in SETTINGS:
                raise InvalidArgument("unknown Trainer setting %r (known: %s)"
                                      % (name, ", ".join(sorted(SETTINGS))))
            key, kind = SETTINGS[name]
            if name == "labels" and not isinstance(value, str):
                value = "\n".join(value)
            if kind == "i":
                st = lib.inception_options_set_int(opts.ptr, key, int(value))
            elif kind == "d":
                st = lib.inception_options_set_double(opts.ptr, key, float(value))
            else:
                st = lib.inception_options_set_string(opts.ptr, key, _path_bytes(value)
                                                      if name in ("data", "val_data", "cache_dir", "base_model")
                                                      else _c_string(value, name))
            if st:
                _raise(lib, st)
        t = ctypes.c_void_p()
        st = lib.inception_trainer_create(model._ptr(), opts.ptr, ctypes.byref(t))
        opts.release()
        if st:
            _raise(lib, st)
        self._lib = lib
        self.model = model  # keeps the Python model alive (the C trainer holds its own reference)
        self._h = _Handle(t.value, lib.inception_trainer_free)

    def _check(self, st):
        if st:
            msg = self._lib.inception_trainer_last_error(self._ptr())
            from .errors import error_for
            name = self._lib.inception_status_string(st)
            raise error_for(st, (msg or b"").decode("utf-8", "replace"), name.decode() if name else None)

    def _tensor(self, data):
        if isinstance(data, Tensor):
            return data
        shape = None
        if not hasattr(data, "shape"):  # a flat float32 buffer: rows of 2048 features
            mv = memoryview(data)
            if mv.ndim == 1 and mv.format.lstrip("@=<") == "f" and len(mv) % 2048 == 0:
                shape = (len(mv) // 2048, 2048)
        return Tensor.wrap(data, shape, library=self._lib)

    @staticmethod
    def _labels(labels, n):
        labels = [int(y) for y in labels]
        if len(labels) != n:
            raise InvalidArgument("%d labels for %d examples" % (len(labels), n))
        return (ctypes.c_int32 * n)(*labels)

    def train(self, input, labels):
        """One optimizer step; returns the batch's mean loss. `input`: a list of image paths,
        or float32 features [N, 2048] / preprocessed images (array or Tensor)."""
        loss = ctypes.c_float()
        if isinstance(input, (list, tuple)) and input and isinstance(input[0], (str, bytes, os.PathLike)):
            arr, keep = _paths(input)
            self._check(self._lib.inception_trainer_train_files(
                self._ptr(), arr, self._labels(labels, len(input)), len(input), ctypes.byref(loss)))
            return loss.value
        t = self._tensor(input)
        n = self._lib.inception_tensor_dim(t._ptr(), 0)
        self._check(self._lib.inception_trainer_train_batch(self._ptr(), t._ptr(),
                                                            self._labels(labels, n), ctypes.byref(loss)))
        return loss.value

    def step(self):
        """One step on the next batch of the `data` setting's training split."""
        loss = ctypes.c_float()
        self._check(self._lib.inception_trainer_step(self._ptr(), ctypes.byref(loss)))
        return loss.value

    def _result(self):
        k = self.classes
        conf = (ctypes.c_int64 * (k * k))()
        self._check(self._lib.inception_trainer_confusion(self._ptr(), conf, k * k))
        return {"count": self._info("eval_count"), "loss": self._info("eval_loss"),
                "top1": self._info("eval_top1"), "top5": self._info("eval_top5"),
                "confusion": [list(conf[r * k:(r + 1) * k]) for r in range(k)]}

    def evaluate(self, input, labels):
        """Loss, top-1, top-5 and the confusion matrix of the averaged head on one batch."""
        self._check(self._lib.inception_trainer_eval_reset(self._ptr()))
        if isinstance(input, (list, tuple)) and input and isinstance(input[0], (str, bytes, os.PathLike)):
            arr, keep = _paths(input)
            self._check(self._lib.inception_trainer_evaluate_files(
                self._ptr(), arr, self._labels(labels, len(input)), len(input)))
        else:
            t = self._tensor(input)
            n = self._lib.inception_tensor_dim(t._ptr(), 0)
            self._check(self._lib.inception_trainer_evaluate(self._ptr(), t._ptr(), self._labels(labels, n)))
        return self._result()

    def evaluate_validation(self):
        """The same over the validation split of the `data` setting."""
        self._check(self._lib.inception_trainer_evaluate_validation(self._ptr()))
        return self._result()

    def logits(self, input):
        """Logits of the averaged head, a list of N rows of K floats."""
        t = self._tensor(input)
        n, k = self._lib.inception_tensor_dim(t._ptr(), 0), self.classes
        out = (ctypes.c_float * (n * k))()
        self._check(self._lib.inception_trainer_logits(self._ptr(), t._ptr(), out, n * k))
        return [list(out[i * k:(i + 1) * k]) for i in range(n)]

    def save(self, path):
        """The model with the new head (loads here and in torchvision's Inception3)."""
        self._check(self._lib.inception_trainer_save(self._ptr(), _path_bytes(path)))

    def checkpoint(self, path):
        """Write everything needed to continue training (parameters, EMA, optimizer state,
        counters, settings) to `path`, atomically (temporary file + rename)."""
        self._check(self._lib.inception_trainer_checkpoint(self._ptr(), _path_bytes(path)))

    def resume(self, path):
        """Continue from a checkpoint written by checkpoint() with the same settings (a
        differing setting is refused, naming it); results equal an uninterrupted run."""
        self._check(self._lib.inception_trainer_resume(self._ptr(), _path_bytes(path)))

    def _info(self, name):
        v = ctypes.c_double()
        self._check(self._lib.inception_trainer_info_double(self._ptr(), _INFO[name], ctypes.byref(v)))
        return int(v.value) if name in _INTEGRAL else v.value

    def __getattr__(self, name):
        if name in _INFO:
            return self._info(name)
        raise AttributeError(name)

    @property
    def labels(self):
        """The new head's class labels, in class order."""
        out = []
        for i in range(self.classes):
            s = ctypes.c_char_p()
            if self._lib.inception_trainer_label(self._ptr(), i, ctypes.byref(s)):
                return None
            out.append(s.value.decode("utf-8", "replace"))
        return out

    @property
    def skipped(self):
        """[(path, reason)] of the images skipped as unreadable."""
        out = []
        for i in range(self._info("skipped_count")):
            p, r = ctypes.c_char_p(), ctypes.c_char_p()
            self._check(self._lib.inception_trainer_skipped(self._ptr(), i, ctypes.byref(p), ctypes.byref(r)))
            out.append((os.fsdecode(p.value), r.value.decode("utf-8", "replace")))
        return out

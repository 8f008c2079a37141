"""libinception for Python: Inception-v3 classification and 2048-d embeddings on the CPU.

Pure Python over ctypes (standard library only; numpy optional). Runs on any Python 3.7+.

    import inception
    with inception.Model("inception_v3.safetensors") as model, model.session() as session:
        for p in session.classify("cat.jpg", k=5):
            print(f"{p.probability:.3f} {p.label}")

The shared library is found through inception.load_library(path), the INCEPTION_LIBRARY
environment variable, or the system loader (libinception.so.1). Importing this package loads
it if it can be found and checks that its major version is one this package supports.
"""
from ._native import load_library, LibraryNotFound, SUPPORTED_MAJORS
from .errors import (InceptionError, InvalidArgument, OutOfMemory, IOFailure, ModelFormatError,
                     MissingTensor, ShapeError, DTypeError, ChecksumError, Unsupported,
                     InputSizeError, ModelMismatch, BackendError, ImageError, ImageTooLarge,
                     NotFound, BufferTooSmall, NotReady, InternalError, Busy, NumericError, FileNotFound)
from .core import (Tensor, Image, Model, Session, Prediction, Embedding, DEFAULT_BATCH_SIZE,
                   IMAGE_SUFFIXES, HAVE_NUMPY, OUTPUTS, LAYOUTS,
                   PIXEL_FORMATS, version, version_number, model_format_version, backends,
                   backend_available, status_string)
from .paper import Ensemble, image_crops, CROPS

__version__ = "1.1.0"

__all__ = [
    "load_library", "LibraryNotFound", "SUPPORTED_MAJORS",
    "InceptionError", "InvalidArgument", "OutOfMemory", "IOFailure", "ModelFormatError",
    "MissingTensor", "ShapeError", "DTypeError", "ChecksumError", "Unsupported",
    "InputSizeError", "ModelMismatch", "BackendError", "ImageError", "ImageTooLarge",
    "NotFound", "BufferTooSmall", "NotReady", "InternalError", "Busy", "NumericError", "FileNotFound",
    "Tensor", "Image", "Model", "Session", "Prediction", "Embedding", "DEFAULT_BATCH_SIZE",
    "IMAGE_SUFFIXES", "HAVE_NUMPY", "OUTPUTS", "LAYOUTS",
    "PIXEL_FORMATS", "version", "version_number", "model_format_version", "backends",
    "backend_available", "status_string", "Ensemble", "image_crops", "CROPS",
]


def _load_at_import():
    # A library that is found but has an unsupported major version fails the import; one
    # that is not found yet may still be given later through load_library(path).
    try:
        load_library()
    except LibraryNotFound as e:
        if "supports major" in str(e):
            raise


_load_at_import()

from .train import Trainer  # noqa: E402  (1.1: head training, bindings/python/inception/train.py)
__all__.append("Trainer")
from .quant import quantize, calibrate  # noqa: E402  (1.1: int8, docs/int8.md)
__all__ += ["quantize", "calibrate"]

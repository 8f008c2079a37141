"""Exceptions: one class per inception_status, all under InceptionError.

Each carries .status (the C status value), .status_name (the library's English name for it)
and .message (the library's detail message, e.g. the offending tensor or file). Where a
built-in exception means the same thing it is a second base, so `except ValueError` also
catches InvalidArgument.
"""

import errno as _errno
import os as _os

OK = 0


class InceptionError(Exception):
    """A libinception call failed (base of every error this package raises)."""

    status = -1
    status_name = "error"

    def __init__(self, message="", status=None, status_name=None):
        if status is not None:
            self.status = status
        if status_name is not None:
            self.status_name = status_name
        self.message = message
        text = self.status_name + (": " + message if message else "")
        Exception.__init__(self, text)

    def __str__(self):
        return self.args[0] if self.args else self.status_name

    # OSError/MemoryError bases would otherwise treat args specially in pickling.
    def __reduce__(self):
        return (self.__class__, (self.message, self.status, self.status_name))


def _make(name, status, status_name, doc, *bases):
    cls = type(name, (InceptionError,) + bases,
               {"status": status, "status_name": status_name, "__doc__": doc,
                "__module__": __name__})
    if bases and bases[0] is OSError:
        # OSError's own __init__/__str__ would reinterpret the arguments.
        cls.__init__ = InceptionError.__init__
        cls.__str__ = InceptionError.__str__
    return cls


InvalidArgument = _make("InvalidArgument", 1, "invalid argument",
                        "A NULL/None, out-of-range value, bad enum or k < 1.", ValueError)
OutOfMemory = _make("OutOfMemory", 2, "out of memory", "An allocation failed.", MemoryError)
IOFailure = _make("IOFailure", 3, "i/o error", "A file cannot be opened or read.", OSError)
ModelFormatError = _make("ModelFormatError", 4, "model format error",
                         "The model file is malformed (header, JSON, offsets).")
MissingTensor = _make("MissingTensor", 5, "missing tensor", "A required weight is absent.")
ShapeError = _make("ShapeError", 6, "shape error",
                   "A weight or tensor has the wrong shape or rank.", ValueError)
DTypeError = _make("DTypeError", 7, "dtype error",
                   "Unsupported or wrong element type.", TypeError)
ChecksumError = _make("ChecksumError", 8, "checksum mismatch",
                      "inception.crc32 does not match the model data.")
Unsupported = _make("Unsupported", 9, "unsupported",
                    "A valid request this build or model cannot serve.")
InputSizeError = _make("InputSizeError", 10, "input size error",
                       "Image or tensor smaller than 75x75, or too large.", ValueError)
ModelMismatch = _make("ModelMismatch", 11, "model mismatch",
                      "An object made for one model was used with another.")
BackendError = _make("BackendError", 12, "backend error",
                     "Unknown backend, bad vtable or backend failure.")
ImageError = _make("ImageError", 13, "image error", "Corrupt or undecodable image bytes.")
ImageTooLarge = _make("ImageTooLarge", 14, "image too large",
                      "Image above the pixel limit (decompression bomb guard).")
# An image too large is also an image error to a caller that catches ImageError.
ImageTooLarge.__bases__ = (ImageError,)
NotFound = _make("NotFound", 15, "not found",
                 "No such label, output, option or backend name.", LookupError)
BufferTooSmall = _make("BufferTooSmall", 16, "buffer too small", "A buffer is too small.")
NotReady = _make("NotReady", 17, "not ready", "An output was asked for before a run.")
InternalError = _make("InternalError", 18, "internal error",
                      "A bug in libinception: please report it with the message.")



class FileNotFound(IOFailure, FileNotFoundError):
    """A file the call was given does not exist: an IOFailure (status 3) that is also a
    FileNotFoundError, with .errno (errno.ENOENT) and .filename set."""

    def __init__(self, message="", status=None, status_name=None, filename=None):
        InceptionError.__init__(self, message, status, status_name)
        self.errno = _errno.ENOENT
        self.strerror = _os.strerror(_errno.ENOENT)
        self.filename = filename

    def __reduce__(self):
        return (self.__class__, (self.message, self.status, self.status_name, self.filename))


BY_STATUS = {cls.status: cls for cls in (
    InvalidArgument, OutOfMemory, IOFailure, ModelFormatError, MissingTensor, ShapeError,
    DTypeError, ChecksumError, Unsupported, InputSizeError, ModelMismatch, BackendError,
    ImageError, ImageTooLarge, NotFound, BufferTooSmall, NotReady, InternalError)}


def error_for(status, message, status_name=None):
    """The exception object for a non-OK status (InceptionError for an unknown one)."""
    cls = BY_STATUS.get(status)
    if cls is None:
        return InceptionError(message, status, status_name or "status %d" % status)
    return cls(message, status, status_name)

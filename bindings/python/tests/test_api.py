"""Tests that need the library but no model. Any Python 3.7+; numpy optional."""
import array
import ctypes
import os
import pickle
import unittest

import inception
from inception import errors

from .support import np, needs_numpy, png_bytes


class TestLibrary(unittest.TestCase):
    def test_version(self):
        n = inception.version_number()
        self.assertIn(n // 10000, inception.SUPPORTED_MAJORS)
        major, minor, patch = (int(x) for x in inception.version().split(".")[:3])
        self.assertEqual(n, major * 10000 + minor * 100 + patch)
        self.assertGreaterEqual(inception.model_format_version(), 1)

    def test_backends(self):
        names = dict(inception.backends())
        self.assertIn("ref", names)
        self.assertTrue(names["ref"])
        self.assertTrue(inception.backend_available("ref"))
        self.assertFalse(inception.backend_available("no-such-backend"))

    def test_bad_library_path(self):
        with self.assertRaises(inception.LibraryNotFound):
            inception.load_library("/nonexistent/libinception.so.1")
        # The library loaded before stays in use.
        self.assertTrue(inception.version())

    def test_unsupported_major_refused(self):
        from inception import _native
        _native.check_version(10000, "1.0.0", "x")
        _native.check_version(19999, "1.99.99", "x")
        for number in (0, 9999, 20000, 30102):
            with self.assertRaises(inception.LibraryNotFound) as cm:
                _native.check_version(number, "v", "libfake.so")
            self.assertIn("libfake.so", str(cm.exception))


class TestErrors(unittest.TestCase):
    def test_hierarchy(self):
        for status, cls in errors.BY_STATUS.items():
            self.assertTrue(issubclass(cls, inception.InceptionError))
            self.assertEqual(cls.status, status)
            e = errors.error_for(status, "detail")
            self.assertIsInstance(e, cls)
            self.assertEqual(e.message, "detail")
            self.assertIn("detail", str(e))
            again = pickle.loads(pickle.dumps(e))
            self.assertEqual((type(again), again.status, again.message),
                             (cls, status, "detail"))
        self.assertEqual(len(errors.BY_STATUS), 20)
        self.assertTrue(issubclass(inception.InvalidArgument, ValueError))
        self.assertTrue(issubclass(inception.IOFailure, OSError))
        self.assertTrue(issubclass(inception.ImageTooLarge, inception.ImageError))
        self.assertTrue(issubclass(inception.NotFound, LookupError))
        unknown = errors.error_for(1234, "x")
        self.assertIs(type(unknown), inception.InceptionError)
        self.assertEqual(unknown.status, 1234)

    def test_status_names_match_library(self):
        for status, cls in errors.BY_STATUS.items():
            self.assertTrue(inception.status_string(status))
        # every status the library names has its own class (BUSY and NUMERIC included)
        for status in range(1, 64):
            if inception.status_string(status) != "unknown status":
                self.assertIn(status, errors.BY_STATUS, inception.status_string(status))
        self.assertTrue(issubclass(inception.Busy, RuntimeError))
        self.assertTrue(issubclass(inception.NumericError, ArithmeticError))

    def test_library_message_carried(self):
        with self.assertRaises(inception.IOFailure) as cm:
            inception.Model("/nonexistent/model.safetensors")
        self.assertEqual(cm.exception.status, 3)
        self.assertIn("/nonexistent/model.safetensors", cm.exception.message)

    def test_model_format_error(self):
        with self.assertRaises(inception.ModelFormatError) as cm:
            inception.Model.from_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
        self.assertEqual(cm.exception.status, 4)
        with self.assertRaises(inception.InceptionError):
            inception.Model(b"")

    def test_bad_backend(self):
        with self.assertRaises(inception.InceptionError) as cm:
            inception.Model(b"\x02\x00\x00\x00\x00\x00\x00\x00{}", backend="no-such-backend")
        self.assertIn(cm.exception.status, (4, 12, 15))


class TestTensor(unittest.TestCase):
    def test_create(self):
        with inception.Tensor((2, 3, 80, 90)) as t:
            self.assertEqual(t.shape, (2, 3, 80, 90))
            self.assertEqual(t.layout, "nchw")
            self.assertEqual(t.nbytes, 2 * 3 * 80 * 90 * 4)
            mv = t.memoryview()
            self.assertEqual(mv.format, "f")
            self.assertEqual(sum(mv), 0.0)
            mv[5] = 2.5
            self.assertEqual(t.tolist()[5], 2.5)
        self.assertTrue(t.closed)
        with self.assertRaises(inception.InvalidArgument):
            t.shape
        self.assertEqual(inception.Tensor((1, 80, 80, 3)).layout, "nhwc")

    def test_create_errors(self):
        with self.assertRaises(inception.InceptionError):
            inception.Tensor((1, 0, 3, 3))
        with self.assertRaises(inception.InvalidArgument):
            inception.Tensor((1, 3, 80, 80), layout="chwn")

    def test_wrap_array_no_copy(self):
        a = array.array("f", range(3 * 80 * 80))
        t = inception.Tensor.wrap(a, shape=(1, 3, 80, 80))
        self.assertEqual(t.shape, (1, 3, 80, 80))
        a[7] = -1.0  # the tensor sees the caller's memory
        self.assertEqual(t.tolist()[7], -1.0)
        with self.assertRaises(BufferError):
            a.append(0.0)  # the export pins the array while the tensor lives
        t.close()
        del t
        a.append(0.0)

    def test_wrap_bytes_and_memoryview(self):
        raw = array.array("f", [0.5] * (3 * 75 * 75)).tobytes()
        t = inception.Tensor.wrap(raw, shape=(1, 3, 75, 75))
        self.assertEqual(t.tolist()[0], 0.5)
        mv = memoryview(bytearray(raw)).cast("f", (1, 3, 75, 75))
        self.assertEqual(inception.Tensor.wrap(mv).shape, (1, 3, 75, 75))

    def test_wrap_errors(self):
        a = array.array("f", [0.0] * 100)
        with self.assertRaises(inception.ShapeError):
            inception.Tensor.wrap(a)  # flat buffer without a shape
        with self.assertRaises(inception.ShapeError):
            inception.Tensor.wrap(a, shape=(1, 3, 80, 80))  # size mismatch
        with self.assertRaises(inception.DTypeError):
            inception.Tensor.wrap(array.array("d", [0.0] * 100), shape=(1, 1, 10, 10))
        with self.assertRaises(inception.InvalidArgument):
            inception.Tensor.wrap(object(), shape=(1, 3, 80, 80))

    @needs_numpy
    def test_numpy_wrap_zero_copy(self):
        a = np.zeros((1, 3, 80, 80), np.float32)
        t = inception.Tensor.wrap(a)
        self.assertTrue(np.shares_memory(t.numpy(), a))
        v = inception.Tensor((1, 3, 80, 80)).numpy()  # view outlives its Tensor object
        v[...] = 1.0
        self.assertEqual(float(v.sum()), 3 * 80 * 80)

    @needs_numpy
    def test_numpy_errors(self):
        with self.assertRaises(inception.DTypeError):
            inception.Tensor.wrap(np.zeros((1, 3, 80, 80)))  # float64
        with self.assertRaises(inception.InvalidArgument):
            inception.Tensor.wrap(np.zeros((1, 3, 80, 160), np.float32)[..., ::2])
        with self.assertRaises(inception.InvalidArgument):
            inception.Tensor.wrap(np.zeros((1, 3, 80, 80), np.float32).T)


class TestImage(unittest.TestCase):
    def test_decode_png(self):
        data = png_bytes(40, 30)
        with inception.Image(data) as img:
            self.assertEqual(img.size, (40, 30))
            px = img.tobytes()
            self.assertEqual(len(px), 40 * 30 * 3)
            self.assertEqual(px[:3], bytes((0, 0, 255)))
            self.assertEqual(px[3:6], bytes((7, 0, 250)))

    def test_decode_errors(self):
        with self.assertRaises(inception.ImageError):
            inception.Image(b"definitely not an image")
        with self.assertRaises(inception.IOFailure):
            inception.Image.open("/nonexistent.png")
        with self.assertRaises(inception.ImageError):  # ImageTooLarge is an ImageError
            inception.Image(png_bytes(40, 30), max_pixels=100)

    def test_from_pixels(self):
        pixels = bytes(range(256)) * 3  # 16x16 RGB
        img = inception.Image.from_pixels(pixels, 16, 16, "rgb")
        self.assertEqual(img.tobytes(), pixels)
        bgr = inception.Image.from_pixels(pixels, 16, 16, "bgr")
        self.assertEqual(bgr.tobytes()[:3], pixels[:3][::-1])
        with self.assertRaises(inception.ShapeError):
            inception.Image.from_pixels(pixels, 17, 16)
        with self.assertRaises(inception.InvalidArgument):
            inception.Image.from_pixels(pixels, 16, 16, "cmyk")

    @needs_numpy
    def test_from_numpy_strided(self):
        full = np.arange(20 * 30 * 3, dtype=np.uint32).astype(np.uint8).reshape(20, 30, 3)
        crop = full[2:12, 5:25]  # rows apart by more than width*3: passed without a copy
        img = inception.Image.from_pixels(crop)
        self.assertEqual(img.size, (20, 10))
        np.testing.assert_array_equal(img.numpy(), crop)
        with self.assertRaises(inception.DTypeError):
            inception.Image.from_pixels(full.astype(np.float32))


if __name__ == "__main__":
    unittest.main()

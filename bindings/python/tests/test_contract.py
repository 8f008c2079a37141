"""Strings, k, models without labels, labels files and missing files (issues 9 and 10).
Any Python 3.7+; numpy optional. Most tests need INCEPTION_TEST_MODEL (see support.py)."""
import ctypes
import errno
import json
import os
import pathlib
import pickle
import tempfile
import unittest

import inception

from .support import (MODEL_PATH, RawC, backend, few_class_model_bytes, needs_model,
                      png_bytes, shared_model)


class TestNulInStrings(unittest.TestCase):
    # C strings end at the first NUL: 'photo.jpg\0.png' would open photo.jpg.
    def test_paths_refused_without_model(self):
        with self.assertRaises(inception.InvalidArgument) as cm:
            inception.Image("/nonexistent.png\0.jpg")
        self.assertIn("NUL", str(cm.exception))
        with self.assertRaises(inception.InvalidArgument):
            inception.Image(pathlib.Path("/tmp/x.png\0junk"))
        with self.assertRaises(inception.InvalidArgument):
            inception.Model("/nonexistent/model\0junk")
        with self.assertRaises(inception.InvalidArgument):
            inception.backend_available("ref\0junk")

    def test_existing_file_before_nul_not_used(self):
        with tempfile.TemporaryDirectory() as d:
            png = os.path.join(d, "photo.png")
            with open(png, "wb") as f:
                f.write(png_bytes(20, 20))
            self.assertEqual(inception.Image(png).size, (20, 20))
            with self.assertRaises(inception.InvalidArgument):
                inception.Image(png + "\0.jpg")

    @needs_model
    def test_model_session_paths_and_options(self):
        with self.assertRaises(inception.InvalidArgument):
            inception.Model(MODEL_PATH + "\0junk", backend=backend())
        for kw in ({"backend": "ref\0junk"}, {"preset": "tf\0x"}, {"labels": "/tmp/l\0x"}):
            with self.assertRaises(inception.InvalidArgument, msg=str(kw)):
                inception.Model(MODEL_PATH, **kw)
        with tempfile.TemporaryDirectory() as d:
            png = os.path.join(d, "photo.png")
            with open(png, "wb") as f:
                f.write(png_bytes(80, 80))
            with shared_model().session(threads=1) as s:
                with self.assertRaises(inception.InvalidArgument):
                    s.classify(png + "\0.jpg")
                with self.assertRaises(inception.InvalidArgument):
                    s.embed([png, png + "\0.jpg"])
                self.assertEqual(len(s.classify(png, k=1)), 1)  # not left busy


@needs_model
class TestK(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.png = png_bytes(90, 80, seed=2)

    def test_huge_k_clamped_before_allocating(self):
        with shared_model().session(threads=1) as s:
            want = s.classify(self.png, k=1000)
            for k in (1001, 2 ** 32 + 3, 10 ** 12):
                self.assertEqual(s.classify(self.png, k=k), want, k)
            k = 2 ** 32 + 3  # would wrap to 3 as an int32_t
            self.assertEqual(len(s.classify(inception.Image(self.png), k=k)), 1000)
            self.assertEqual(len(s.classify_batch([self.png], k=k)[0]), 1000)
            with self.assertRaises(inception.InvalidArgument):
                s.classify(self.png, k=0)
            with self.assertRaises(inception.InvalidArgument):
                s.classify(self.png, k=-(2 ** 40))

    def test_c_api_clamps_and_writes_no_more(self):
        # What the header says: a k above CLASSES is clamped; min(k, CLASSES) entries written.
        raw = RawC()
        try:
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "p.png")
                with open(path, "wb") as f:
                    f.write(self.png)
                guard = 64
                c = (ctypes.c_int32 * (1000 + guard))(*([-7] * (1000 + guard)))
                p = (ctypes.c_float * (1000 + guard))(*([-7.0] * (1000 + guard)))
                n = ctypes.c_int32()
                st = raw.lib.inception_session_classify_file(raw.session, path.encode(),
                                                             2 ** 31 - 1, c, p, ctypes.byref(n))
                self.assertEqual((st, n.value), (0, 1000))
                self.assertEqual(list(c[1000:]), [-7] * guard)
                self.assertEqual(list(p[1000:]), [-7.0] * guard)
                self.assertEqual(sorted(c[:1000]), list(range(1000)))
        finally:
            raw.close()


def labels_option_known():
    """Whether the library knows INCEPTION_OPT_LABELS_FILE (20): older ones say NOT_FOUND."""
    lib = ctypes.CDLL(os.environ.get("INCEPTION_LIBRARY") or "libinception.so.1")
    lib.inception_options_create.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    lib.inception_options_set_string.argtypes = [ctypes.c_void_p, ctypes.c_int,
                                                 ctypes.c_char_p]
    lib.inception_options_free.argtypes = [ctypes.c_void_p]
    o = ctypes.c_void_p()
    assert lib.inception_options_create(ctypes.byref(o)) == 0
    try:
        return lib.inception_options_set_string(o, 20, b"labels.txt") != 15
    finally:
        lib.inception_options_free(o)


@needs_model
class TestWithoutLabels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = inception.Model.from_bytes(few_class_model_bytes(3), backend=backend())
        cls.png = png_bytes(100, 90, seed=4)

    @classmethod
    def tearDownClass(cls):
        cls.model.close()

    def test_classify_without_labels(self):
        m = self.model
        self.assertEqual(m.classes, 3)
        self.assertFalse(m.has_labels)
        self.assertIsNone(m.label(2))
        self.assertEqual(m.labels, [None, None, None])
        with self.assertRaises(inception.NotFound):
            m.label(3)
        with m.session(threads=1) as s:
            got = s.classify(self.png, k=5)
            self.assertEqual(sorted(p.index for p in got), [0, 1, 2])
            self.assertTrue(all(p.label is None for p in got))
            self.assertAlmostEqual(sum(p.probability for p in got), 1.0, places=5)
            img = s.classify(inception.Image(self.png), k=2)
            self.assertEqual([p.index for p in img], [p.index for p in got[:2]])
            self.assertEqual(len(s.classify_batch([self.png, self.png], k=3)), 2)

    def test_feature_extractor_k(self):
        # No fc: 0 classes. Clamping k must not turn into "k = 0 is below 1".
        with inception.Model.from_bytes(few_class_model_bytes(0), backend=backend()) as m:
            self.assertEqual(m.classes, 0)
            with m.session(threads=1, outputs=["features"]) as s:
                for k in (1, 10 ** 12):
                    with self.assertRaises(inception.Unsupported):
                        s.classify(self.png, k=k)

    def test_metadata_labels_used(self):
        blob = few_class_model_bytes(3, {"inception.labels": "cat\ndog\nfox"})
        with inception.Model.from_bytes(blob, backend=backend()) as m:
            self.assertEqual(m.labels, ["cat", "dog", "fox"])
            with m.session(threads=1) as s:
                got = s.classify(self.png, k=3)
            self.assertEqual({p.label for p in got}, {"cat", "dog", "fox"})

    def test_labels_file(self):
        if not labels_option_known():
            self.skipTest("this libinception refuses INCEPTION_OPT_LABELS_FILE (20) with "
                          "NOT_FOUND: the C labels-file option has not landed yet")
        with tempfile.TemporaryDirectory() as d:
            lines = os.path.join(d, "labels.txt")
            with open(lines, "w") as f:
                f.write("red\ngreen\nblue\n")
            js = os.path.join(d, "labels.json")
            with open(js, "w") as f:
                json.dump(["one", "two", "three"], f)
            for path, want in ((lines, ["red", "green", "blue"]),
                               (pathlib.Path(js), ["one", "two", "three"])):
                with inception.Model.from_bytes(few_class_model_bytes(3), backend=backend(),
                                                labels=path) as m:
                    self.assertEqual(m.labels, want)
                    with m.session(threads=1) as s:
                        got = s.classify(self.png, k=3)
                    self.assertEqual(sorted(p.label for p in got), sorted(want))
            missing = os.path.join(d, "nope.txt")
            with self.assertRaises(FileNotFoundError) as cm:
                inception.Model.from_bytes(few_class_model_bytes(3), labels=missing)
            self.assertEqual(cm.exception.filename, missing)


class TestMissingFile(unittest.TestCase):
    def check(self, cm, path):
        e = cm.exception
        self.assertIsInstance(e, inception.IOFailure)
        self.assertIsInstance(e, FileNotFoundError)
        self.assertIsInstance(e, inception.FileNotFound)
        self.assertEqual(e.errno, errno.ENOENT)
        self.assertEqual(e.filename, os.fspath(path))
        self.assertEqual(e.status, 3)
        self.assertIn(os.fspath(path), str(e))
        again = pickle.loads(pickle.dumps(e))
        self.assertEqual((again.filename, again.errno, again.message),
                         (e.filename, e.errno, e.message))

    def test_model_and_image(self):
        with self.assertRaises(FileNotFoundError) as cm:
            inception.Model("/nonexistent/model.safetensors")
        self.check(cm, "/nonexistent/model.safetensors")
        with self.assertRaises(inception.IOFailure) as cm:
            inception.Image(pathlib.Path("/nonexistent/cat.png"))
        self.check(cm, "/nonexistent/cat.png")

    def test_other_io_errors_stay_iofailure(self):
        with tempfile.TemporaryDirectory() as d:  # a directory exists: not FileNotFound
            with self.assertRaises(inception.IOFailure) as cm:
                inception.Image(d)
            self.assertNotIsInstance(cm.exception, FileNotFoundError)

    @needs_model
    def test_classify(self):
        with shared_model().session(threads=1) as s:
            with self.assertRaises(FileNotFoundError) as cm:
                s.classify("/nonexistent/cat.jpg")
            self.check(cm, "/nonexistent/cat.jpg")


if __name__ == "__main__":
    unittest.main()

"""Model and session tests against the C API called directly. Any Python 3.7+; numpy
optional. Needs INCEPTION_TEST_MODEL (see support.py)."""
import math
import os
import pathlib
import tempfile
import threading
import unittest

import inception

from .support import (RawC, backend, flat, needs_model, needs_numpy, np, pattern, photos,
                      png_bytes, shared_model)

SIDE = 150  # small inputs keep the suite fast; any side >= 75 works


def close_lists(test, a, b, rel=1e-5):
    test.assertEqual(len(a), len(b))
    scale = max(1e-6, max(abs(v) for v in b))
    worst = max(abs(x - y) for x, y in zip(a, b))
    test.assertLessEqual(worst, rel * scale, "max difference %g (scale %g)" % (worst, scale))


@needs_model
class TestModel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = shared_model()
        cls.raw = RawC()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.png = os.path.join(cls.tmp.name, "pattern.png")
        with open(cls.png, "wb") as f:
            f.write(png_bytes(120, 90, seed=3))
        cls.images = photos() + [cls.png]

    @classmethod
    def tearDownClass(cls):
        cls.raw.close()
        cls.tmp.cleanup()

    def session(self, **kw):
        kw.setdefault("threads", 1)
        return self.model.session(**kw)

    def test_stem_option(self):
        # the paper's Table 2 stems share one set of tensors: the option picks one
        from .support import MODEL_PATH
        m = inception.Model(MODEL_PATH, stem=79, backend=backend())
        self.assertEqual((m.stem, m.min_input_size, m.input_size), (79, 21, (79, 79)))
        self.assertEqual(m.architecture, "stem=79 stem_conv=3x3 aux=plain")
        with self.assertRaises(inception.InvalidArgument):
            inception.Model(MODEL_PATH, stem=150)

    def test_info(self):
        m = self.model
        self.assertEqual(m.classes, 1000)
        self.assertEqual(m.feature_size, 2048)
        self.assertEqual(m.input_size, (299, 299))
        self.assertEqual(m.min_input_size, 75)
        self.assertEqual((m.stem, m.stem_conv, m.aux_bn), (299, 3, False))
        self.assertEqual(m.architecture, "stem=299 stem_conv=3x3 aux=plain")
        self.assertTrue(m.synthetic)
        self.assertGreater(m.parameters, 20000000)
        if backend() != "auto":
            self.assertEqual(m.backend, backend())
        self.assertIn(m.preset, ("torchvision", "timm", "tf"))
        info = m.info()
        self.assertEqual(info["classes"], 1000)
        self.assertEqual(info["feature_size"], 2048)
        self.assertEqual(info["backend"], m.backend)
        labels = m.labels
        self.assertEqual(len(labels), 1000)
        self.assertEqual(labels[207], m.label(207))
        for bad in (-1, 1000):
            with self.assertRaises(inception.InceptionError):
                m.label(bad)

    def test_load_from_bytes_and_pathlib(self):
        with open(os.environ["INCEPTION_TEST_MODEL"], "rb") as f:
            data = f.read()
        with inception.Model.from_bytes(data, backend=backend()) as m:
            self.assertEqual(m.crc32, self.model.crc32)
        with inception.Model(pathlib.Path(os.environ["INCEPTION_TEST_MODEL"]),
                             backend=backend(), skip_checksum=True) as m:
            self.assertEqual(m.classes, 1000)
        with self.assertRaises(inception.InceptionError):
            inception.Model.from_bytes(data[:len(data) // 2])

    def test_classify_equals_c(self):
        self.assertGreater(len(self.images), 0)
        with self.session() as s:
            for path in self.images:
                classes, probs = self.raw.classify_file(path, 5)
                got = s.classify(path, k=5)
                self.assertEqual([p.index for p in got], classes, path)
                self.assertEqual([p.probability for p in got], probs, path)
                self.assertEqual([p.label for p in got], [self.model.label(c) for c in classes])
                if path != self.images[0]:
                    continue
                with open(path, "rb") as f:
                    data = f.read()
                self.assertEqual(s.classify(data, k=5), got)
                self.assertEqual(s.classify(bytearray(data), k=5), got)
                self.assertEqual(s.classify(pathlib.Path(path), k=5), got)
            # PNGs decode the same way on every path, so pixels and Image agree with C too.
            expected = s.classify(self.png, k=3)
            img = inception.Image(self.png)
            for got in (s.classify(img, k=3),):
                self.assertEqual([p.index for p in got], [p.index for p in expected])
                close_lists(self, [p.probability for p in got],
                            [p.probability for p in expected])

    def test_classify_k(self):
        with self.session() as s:
            self.assertEqual(len(s.classify(self.png, k=1)), 1)
            self.assertEqual(len(s.classify(self.png, k=5000)), 1000)
            with self.assertRaises(inception.InvalidArgument):
                s.classify(self.png, k=0)
            with self.assertRaises(inception.InvalidArgument):
                s.classify(inception.Image(self.png), k=0)

    def test_run_equals_c(self):
        values = pattern(3 * SIDE * SIDE)
        ref = self.raw.run(values, (1, 3, SIDE, SIDE))
        with self.session() as s:
            out = s.run(values, shape=(1, 3, SIDE, SIDE))
            self.assertEqual(set(out), {"logits", "probabilities", "features"})
            close_lists(self, flat(out["logits"]), ref[1], 1e-6)
            close_lists(self, flat(out["probabilities"]), ref[2], 1e-6)
            close_lists(self, flat(out["features"]), ref[4], 1e-6)
            self.assertEqual(len(flat(s.features(values, shape=(1, 3, SIDE, SIDE)))), 2048)
            close_lists(self, flat(s.logits(values.tobytes(), shape=(1, 3, SIDE, SIDE))),
                        ref[1], 1e-6)
            probs = flat(s.probabilities(memoryview(values), shape=(1, 3, SIDE, SIDE)))
            self.assertAlmostEqual(sum(probs), 1.0, places=4)
            logits = ref[1]
            mx = max(logits)
            e = [math.exp(v - mx) for v in logits]
            close_lists(self, probs, [v / sum(e) for v in e], 1e-4)
            self.assertGreater(s.memory, 0)

    def test_nhwc_matches_nchw(self):
        c, h, w = 3, SIDE, SIDE
        nchw = pattern(c * h * w)
        nhwc = type(nchw)("f", [nchw[ch * h * w + y * w + x]
                                for y in range(h) for x in range(w) for ch in range(c)])
        with self.session() as s:
            a = flat(s.features(nchw, shape=(1, 3, h, w)))
            b = flat(s.features(nhwc, shape=(1, h, w, 3)))
            close_lists(self, b, a, 1e-4)

    def test_batch_matches_single(self):
        n = 3 * SIDE * SIDE
        two = pattern(2 * n)
        with self.session() as s:
            both = flat(s.logits(two, shape=(2, 3, SIDE, SIDE)))
            first = flat(s.logits(two[:n], shape=(1, 3, SIDE, SIDE)))
            second = flat(s.logits(two[n:], shape=(1, 3, SIDE, SIDE)))
            close_lists(self, both, first + second, 1e-4)
            # classify_batch / embed agree with one-at-a-time on PNGs
            pngs = [self.png] + [p for p in self.images if p.endswith(".png")][:1]
            batch = s.classify_batch(pngs, k=3)
            feats = flat(s.embed(pngs))
            for i, path in enumerate(pngs):
                single = s.classify(inception.Image(path), k=3)
                self.assertEqual([p.index for p in batch[i]], [p.index for p in single])
                close_lists(self, [p.probability for p in batch[i]],
                            [p.probability for p in single], 1e-4)
                one = flat(s.features(self.model.preprocess(path)))
                close_lists(self, feats[i * 2048:(i + 1) * 2048], one, 1e-4)

    def test_outputs_are_copies(self):
        with self.session() as s:
            a = s.features(pattern(3 * 80 * 80), shape=(1, 3, 80, 80))
            keep = flat(a)
            s.features(inception.Tensor((1, 3, 80, 80)))
            self.assertEqual(flat(a), keep)
            self.assertNotEqual(flat(s.output("features")), keep)

    def test_preprocess_into_slots(self):
        t = self.model.create_input(2, "nhwc")
        self.assertEqual(t.shape, (2, 299, 299, 3))
        self.model.preprocess(self.png, out=t, index=1)
        v = t.tolist()
        half = len(v) // 2
        self.assertTrue(all(x == 0.0 for x in v[:half]))
        self.assertTrue(any(x != 0.0 for x in v[half:]))
        with self.assertRaises(inception.InceptionError):
            self.model.preprocess(self.png, out=t, index=2)

    def test_session_errors(self):
        with self.session(outputs=["features"]) as s:
            with self.assertRaises(inception.NotReady):
                s.output("features")
            s.run(pattern(3 * 80 * 80), shape=(1, 3, 80, 80))
            with self.assertRaises(inception.NotFound) as cm:
                s.output("logits")
            self.assertEqual(cm.exception.status, 15)
            with self.assertRaises(inception.InvalidArgument):
                s.output("nonsense")
            with self.assertRaises(inception.Unsupported):
                s.classify(self.png)
        with self.session() as s:
            with self.assertRaises(inception.InputSizeError) as cm:
                s.run(pattern(3 * 10 * 10), shape=(1, 3, 10, 10))
            self.assertTrue(cm.exception.message)
            self.assertEqual(s.last_error, cm.exception.message)
            with self.assertRaises(inception.ImageError):
                s.classify(b"not an image at all")
            with self.assertRaises(inception.IOFailure):
                s.classify("/nonexistent/cat.jpg")
        with self.assertRaises(inception.InvalidArgument):
            s.classify(self.png)  # closed
        with self.assertRaises(inception.InvalidArgument):
            self.session(outputs=["nonsense"])
        with self.assertRaises(inception.InvalidArgument):
            self.session(threads=-1)

    def test_session_one_thread_at_a_time(self):
        with self.session() as s:
            s._busy.acquire()  # as if another thread were inside a call
            try:
                with self.assertRaises(inception.InvalidArgument) as cm:
                    s.classify(self.png)
                self.assertIn("another thread", cm.exception.message)
            finally:
                s._busy.release()
            self.assertEqual(len(s.classify(self.png, k=1)), 1)

    def test_model_closed_before_session(self):
        m = inception.Model(os.environ["INCEPTION_TEST_MODEL"], backend=backend())
        s = m.session(threads=1)
        m.close()
        with self.assertRaises(inception.InvalidArgument):
            m.classes
        got = s.classify(self.png, k=2)  # the session keeps the C model alive
        self.assertEqual(got, self.model.session(threads=1).classify(self.png, k=2))
        s.close()

    def test_profile(self):
        with self.session(profile=True) as s:
            s.run(pattern(3 * 80 * 80), shape=(1, 3, 80, 80))
            rows = s.profile()
        self.assertGreater(len(rows), 50)
        self.assertEqual(rows[0]["name"], "Conv2d_1a_3x3")
        self.assertTrue(all(r["macs"] >= 0 and r["milliseconds"] >= 0 for r in rows))

    @needs_numpy
    def test_numpy(self):
        values = np.frombuffer(pattern(3 * SIDE * SIDE).tobytes(), np.float32)
        values = values.reshape(1, 3, SIDE, SIDE)
        ref = self.raw.run(pattern(3 * SIDE * SIDE), (1, 3, SIDE, SIDE))
        with self.session() as s:
            out = s.run(values)
            for name in ("logits", "probabilities", "features"):
                self.assertIsInstance(out[name], np.ndarray)
                self.assertEqual(out[name].dtype, np.float32)
            self.assertEqual(out["features"].shape, (1, 2048))
            np.testing.assert_allclose(out["logits"].ravel(), ref[1], rtol=0, atol=1e-6)
            one = s.features(values[0])  # [3, H, W]: one image
            np.testing.assert_allclose(one, out["features"], rtol=0, atol=1e-6)
            nhwc = np.ascontiguousarray(values.transpose(0, 2, 3, 1))
            np.testing.assert_allclose(s.features(nhwc), out["features"], rtol=1e-4,
                                       atol=1e-4)
            with self.assertRaises(inception.DTypeError):
                s.features(values.astype(np.float64))
            with self.assertRaises(inception.InvalidArgument):
                s.features(nhwc.transpose(0, 3, 1, 2))  # a non-contiguous view
            # pixels as arrays, plain and cropped
            img = inception.Image(self.png)
            px = img.numpy()
            self.assertEqual(s.classify(px, k=3), s.classify(img, k=3))
            crop = px[5:80, 7:110]
            self.assertEqual(s.classify(crop, k=3), s.classify(np.ascontiguousarray(crop), k=3))
            t = self.model.preprocess([px, px])
            view = t.numpy()
            self.assertEqual(view.shape, (2, 3, 299, 299))
            np.testing.assert_array_equal(view[0], view[1])
            f = s.features(t)
            np.testing.assert_allclose(f[0], f[1], rtol=0, atol=1e-6)
            self.assertEqual(s.classify(view[:1], k=3)[0].index, s.classify(img, k=1)[0].index)


if __name__ == "__main__":
    unittest.main()

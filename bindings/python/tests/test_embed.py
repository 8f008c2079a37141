"""Batched embedding, bad files, the iterator form, and inputs from other libraries (PIL,
__array__, DLPack, torch). Any Python 3.7+; numpy optional (some tests need it).
Needs INCEPTION_TEST_MODEL (see support.py)."""
import math
import os
import tempfile
import unittest

import inception

from .support import flat, needs_model, needs_numpy, np, png_bytes, shared_model

try:
    from PIL import Image as PILImage
except ImportError:
    PILImage = None

try:
    import torch
except ImportError:
    torch = None


def close(test, a, b, tol=1e-4):
    a, b = list(a), list(b)
    test.assertEqual(len(a), len(b))
    scale = max(1e-6, max(abs(v) for v in b))
    test.assertLessEqual(max(abs(x - y) for x, y in zip(a, b)), tol * scale)


@needs_model
class TestEmbed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = shared_model()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.paths = []
        for i in range(4):
            p = os.path.join(cls.dir, "img%d.png" % i)
            with open(p, "wb") as f:
                f.write(png_bytes(60 + 7 * i, 50, seed=i))
            cls.paths.append(p)
        cls.bad = os.path.join(cls.dir, "img1b.png")  # sorts between img1 and img2
        with open(cls.bad, "wb") as f:
            f.write(png_bytes(60, 50)[:40])  # truncated
        with open(os.path.join(cls.dir, "notes.txt"), "w") as f:
            f.write("not an image")
        sub = os.path.join(cls.dir, "sub")
        os.mkdir(sub)
        cls.deep = os.path.join(sub, "deep.png")
        with open(cls.deep, "wb") as f:
            f.write(png_bytes(70, 70, seed=9))
        cls.session = cls.model.session(threads=1)
        cls.single = [flat(cls.session.features(cls.model.preprocess(p))) for p in cls.paths]

    @classmethod
    def tearDownClass(cls):
        cls.session.close()
        cls.tmp.cleanup()

    def rows(self, out):
        return [flat(r) for r in out]

    def test_batches_match_single_runs(self):
        calls = []
        out = self.session.embed(self.paths, batch_size=3,
                                 progress=lambda done, total: calls.append((done, total)))
        self.assertEqual(calls, [(3, 4), (4, 4)])
        rows = self.rows(out)
        self.assertEqual(len(rows), 4)
        for got, want in zip(rows, self.single):
            close(self, got, want)
        if np is not None:
            self.assertEqual(out.shape, (4, 2048))
            self.assertEqual(out.dtype, np.float32)

    def test_bad_file_raise_or_skip(self):
        sources = [self.paths[0], self.bad, self.paths[1], "/nonexistent/x.png"]
        with self.assertRaises(inception.ImageError):
            self.session.embed(sources, batch_size=2)
        seen = []
        out = self.rows(self.session.embed(sources, batch_size=2, on_error=seen.append))
        self.assertEqual([e.index for e in seen], [1, 3])
        self.assertIsInstance(seen[0].error, inception.ImageError)
        self.assertIsInstance(seen[1].error, FileNotFoundError)
        self.assertEqual(seen[1].source, "/nonexistent/x.png")
        self.assertTrue(all(math.isnan(v) for v in out[1]))
        self.assertTrue(all(math.isnan(v) for v in out[3]))
        close(self, out[0], self.single[0])
        close(self, out[2], self.single[1])
        got = list(self.session.iter_embed(sources, batch_size=3, on_error="skip"))
        self.assertEqual([e.index for e in got], [0, 1, 2, 3])
        self.assertEqual([e.source for e in got], sources)
        self.assertEqual([e.features is None for e in got], [False, True, False, True])
        self.assertEqual([e.error is None for e in got], [True, False, True, False])
        close(self, flat(got[2].features), self.single[1])
        with self.assertRaises(inception.InvalidArgument):
            self.session.embed(sources, on_error="ignore")
        with self.assertRaises(inception.InvalidArgument):
            self.session.embed(sources, batch_size=0)
        with self.assertRaises(inception.InvalidArgument):
            self.session.iter_embed(sources, on_error="ignore")  # at the call, not later

    def test_closed_session(self):
        s = self.model.session(threads=1)
        s.close()
        with self.assertRaises(inception.InvalidArgument):
            s.embed(self.paths[:1])

    def test_iterator_is_lazy(self):
        pulled = []

        def gen():
            for p in self.paths:
                pulled.append(p)
                yield p
        it = self.session.iter_embed(gen(), batch_size=2)
        first = next(it)
        self.assertEqual(first.index, 0)
        self.assertLessEqual(len(pulled), 2)  # one batch decoded, the rest not yet read
        close(self, flat(first.features), self.single[0])
        rest = list(it)
        self.assertEqual([e.index for e in rest], [1, 2, 3])
        totals = []
        list(self.session.iter_embed(iter(self.paths[:1]),
                                     progress=lambda d, t: totals.append((d, t))))
        self.assertEqual(totals, [(1, None)])

    def test_folder(self):
        from inception.core import _embed_sources
        items, total = _embed_sources(self.dir, False)  # what is read, without running it
        names = [os.path.basename(p) for p in items]
        self.assertEqual(names, ["img0.png", "img1.png", "img1b.png", "img2.png", "img3.png"])
        self.assertEqual(total, 5)
        got = list(self.session.iter_embed(self.dir, batch_size=8, on_error="skip",
                                           recursive=True))
        self.assertEqual([os.path.basename(e.source) for e in got], names + ["deep.png"])
        self.assertIsNotNone(got[2].error)
        close(self, flat(got[3].features), self.single[2])
        self.assertEqual(len(self.rows(self.session.embed([]))), 0)

    def test_default_batch_bounded(self):
        self.assertTrue(1 <= inception.DEFAULT_BATCH_SIZE <= 64)
        pulled = []

        def gen():
            for i in range(inception.DEFAULT_BATCH_SIZE + 5):
                pulled.append(i)
                yield b"not an image"
        it = self.session.iter_embed(gen(), on_error="skip")
        next(it)
        self.assertEqual(len(pulled), inception.DEFAULT_BATCH_SIZE)

    @unittest.skipUnless(PILImage is not None, "Pillow is not installed")
    def test_pil_image(self):
        img = inception.Image(self.paths[0])
        px = img.tobytes()
        pil = PILImage.frombytes("RGB", img.size, px)
        want = self.session.classify(img, k=3)
        self.assertEqual(self.session.classify(pil, k=3), want)
        self.assertEqual(self.session.classify(pil.convert("RGBA"), k=3), want)
        close(self, self.rows(self.session.embed([pil]))[0], self.single[0])

    @needs_numpy
    def test_array_likes(self):
        class OnlyArray:  # what a library without DLPack offers
            def __init__(self, a):
                self.a = a

            def __array__(self, dtype=None):
                return self.a if dtype is None else self.a.astype(dtype)

        class OnlyDLPack:  # what torch, jax and cupy offer
            def __init__(self, a):
                self.a = a

            def __dlpack__(self, stream=None):
                return self.a.__dlpack__()

            def __dlpack_device__(self):
                return self.a.__dlpack_device__()

        img = inception.Image(self.paths[0])
        px = img.numpy()
        want = self.session.classify(img, k=3)
        self.assertEqual(self.session.classify(OnlyArray(px), k=3), want)
        t = self.model.preprocess(self.paths[0])
        values = t.numpy().copy()
        want_f = flat(self.session.features(values))
        wrapped = [OnlyArray(values)]
        if hasattr(np, "from_dlpack"):
            wrapped.append(OnlyDLPack(values))
        for obj in wrapped:
            close(self, flat(self.session.features(obj)), want_f, 1e-6)
            self.assertEqual(self.session.classify(obj, k=2)[0].index,
                             self.session.classify(values, k=1)[0].index)

    @unittest.skipUnless(torch is not None, "torch is not installed for this Python")
    def test_torch_tensor(self):
        t = self.model.preprocess(self.paths[0])
        tt = torch.frombuffer(bytearray(t.tolist().tobytes()), dtype=torch.float32)
        tt = tt.reshape(1, 3, 299, 299)
        if not inception.HAVE_NUMPY:
            with self.assertRaises(inception.InvalidArgument) as cm:
                self.session.features(tt)
            self.assertIn("torch.Tensor needs numpy", str(cm.exception))
            return
        want = flat(self.session.features(t))
        close(self, flat(self.session.features(tt)), want, 1e-6)
        close(self, flat(self.session.features(tt[0].permute(1, 2, 0).contiguous())), want)
        px = torch.frombuffer(bytearray(inception.Image(self.paths[0]).tobytes()),
                              dtype=torch.uint8).reshape(50, 60, 3)
        self.assertEqual(self.session.classify(px, k=3),
                         self.session.classify(inception.Image(self.paths[0]), k=3))


class TestArrayWithoutNumpy(unittest.TestCase):
    @unittest.skipIf(inception.HAVE_NUMPY, "numpy is in use")
    def test_clear_message(self):
        class FakeTensor:
            def __array__(self):
                raise AssertionError("not called without numpy")
        FakeTensor.__module__ = "torch"
        FakeTensor.__qualname__ = "Tensor"
        with self.assertRaises(inception.InvalidArgument) as cm:
            inception.Tensor.wrap(FakeTensor())
        self.assertIn("torch.Tensor needs numpy", str(cm.exception))


if __name__ == "__main__":
    unittest.main()

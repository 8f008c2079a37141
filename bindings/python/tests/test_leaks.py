"""No memory growth over many load/run/free cycles (RSS from /proc/self/statm, with a
generous tolerance). Any Python 3.7+ on Linux. Needs INCEPTION_TEST_MODEL."""
import ctypes
import gc
import os
import unittest

import inception

from .support import MODEL_PATH, backend, needs_model, pattern, png_bytes

MB = 1 << 20

try:  # glibc: give freed memory back before each reading, so RSS shows what is live
    _libc = ctypes.CDLL(None)
    _malloc_trim = _libc.malloc_trim
    _malloc_trim.argtypes = [ctypes.c_size_t]
    _mallopt = _libc.mallopt
    _mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
except (OSError, AttributeError):
    _malloc_trim = _mallopt = None


def settle_allocator():
    """Pin glibc's mmap threshold (it otherwise rises after a large free, and later large
    blocks stay in the heap, so RSS depended on the order of earlier tests)."""
    if _mallopt is not None:
        _mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD


def rss():
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@unittest.skipUnless(os.path.exists("/proc/self/statm"), "needs /proc/self/statm")
@needs_model
class TestLeaks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        settle_allocator()

    def grows(self, cycle, warmup, rounds):
        for _ in range(warmup):
            cycle()
        gc.collect()
        before = rss()
        for _ in range(rounds):
            cycle()
        gc.collect()
        return rss() - before

    def test_model_session_cycles(self):
        with open(MODEL_PATH, "rb") as f:
            data = f.read()
        png = png_bytes(100, 80)
        values = pattern(3 * 75 * 75)

        def cycle():
            # Half the objects closed explicitly, half left to the garbage collector.
            m = inception.Model.from_bytes(data, backend=backend())
            s = m.session(threads=1)
            s.features(values, shape=(1, 3, 75, 75))
            s.classify(png, k=3)
            s.close()
            m.close()
            m2 = inception.Model(MODEL_PATH, backend=backend())
            s2 = m2.session(threads=1)
            s2.logits(values, shape=(1, 3, 75, 75))
            del s2, m2
        # A leaked model is ~100 MB a cycle.
        self.assertLess(self.grows(cycle, 2, 6), 60 * MB)

    def test_tensor_image_cycles(self):
        big = png_bytes(600, 400)  # 720 KB of pixels a decode
        m = inception.Model(MODEL_PATH, backend=backend())
        buf = pattern(3 * 299 * 299)  # 1 MB

        def cycle():
            for _ in range(50):
                t = inception.Tensor((1, 3, 299, 299))
                t.numpy() if inception.HAVE_NUMPY else t.memoryview()
                t.close()
                w = inception.Tensor.wrap(buf, shape=(1, 3, 299, 299))
                del w
                img = inception.Image(big)
                m.preprocess(img).close()
                img.close()
                try:
                    inception.Image(b"garbage")
                except inception.ImageError:
                    pass
        # 500 iterations: a leaked tensor or image would be 500-1000 MB.
        self.assertLess(self.grows(cycle, 1, 10), 60 * MB)
        m.close()


if __name__ == "__main__":
    unittest.main()

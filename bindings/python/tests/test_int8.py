"""int8 quantisation through the binding (docs/int8.md)."""
import glob
import os
import shutil
import tempfile
import unittest

import inception
from tests import support


@support.needs_model
class Int8Test(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        imgs = os.environ.get("INCEPTION_TEST_IMAGES", os.path.join(support.REPO, "tests", "image", "data"))
        self.images = sorted(glob.glob(os.path.join(imgs, "*.jpg")))[:2]

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_quantize_and_load(self):
        m = inception.Model(support.MODEL_PATH, backend=support.backend())
        self.assertFalse(m.quantized)
        self.assertEqual(m.precision, "float")
        out = os.path.join(self.dir, "q.safetensors")
        inception.quantize(m, self.images, out, method="minmax")
        q = inception.Model(out)
        self.assertTrue(q.quantized)
        self.assertEqual(q.precision, "int8")
        self.assertEqual(q.calibration_method, "minmax")
        out7 = os.path.join(self.dir, "q7.safetensors")
        inception.quantize(m, self.images, out7, weight_bits=7)
        self.assertTrue(inception.Model(out7).quantized)
        f = inception.Model(out, precision="float")
        self.assertFalse(f.quantized)
        rec = os.path.join(self.dir, "r.json")
        inception.calibrate(m, self.images, rec)
        c = inception.Model(support.MODEL_PATH, calibration=rec)
        self.assertTrue(c.quantized)
        self.assertEqual(c.calibration_method, "mse")  # the default method
        with c.session(threads=1) as s:
            self.assertEqual(len(s.classify(self.images[0], k=3)), 3)

    def test_errors(self):
        m = inception.Model(support.MODEL_PATH)
        with self.assertRaises(inception.InvalidArgument):
            inception.quantize(m, [], os.path.join(self.dir, "q.safetensors"))
        with self.assertRaises(inception.IOFailure):
            inception.quantize(m, ["/nonexistent/x.jpg"], os.path.join(self.dir, "q.safetensors"))
        with self.assertRaises(inception.InvalidArgument):
            inception.quantize(m, self.images, os.path.join(self.dir, "q.safetensors"), weight_bits=6)
        with self.assertRaises(inception.InvalidArgument):
            inception.Model(support.MODEL_PATH, precision="int4")
        with self.assertRaises(inception.InvalidArgument):
            inception.Model(support.MODEL_PATH, precision="int8")  # no record, not quantised
        self.assertFalse(os.path.exists(os.path.join(self.dir, "q.safetensors")))


if __name__ == "__main__":
    unittest.main()

"""int8 quantisation through the binding (docs/int8.md)."""
import glob
import json
import os
import struct
import shutil
import tempfile
import unittest

import inception
from tests import support


def _tensors(path):
    """{name: (dtype, bytes)} of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    n, = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    data = raw[8 + n:]
    return {k: (v["dtype"], data[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in header.items()}


_ABS_I8 = bytes(256 - b if b > 127 else b for b in range(256))  # int8 byte -> |value|


def _largest_weight(path):
    return max(max(d.translate(_ABS_I8)) for dt, d in _tensors(path).values() if dt == "I8")


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

    def test_weight_bits_and_bias_correction(self):
        m = inception.Model(support.MODEL_PATH, backend=support.backend())
        one = self.images[:1]
        q8, q7, nobc = (os.path.join(self.dir, n) for n in ("q8", "q7", "nobc"))
        inception.quantize(m, one, q8)
        inception.quantize(m, one, q7, weight_bits=7)
        inception.quantize(m, one, nobc, bias_correction=False)
        self.assertEqual(_largest_weight(q8), 127)
        self.assertEqual(_largest_weight(q7), 64)
        with_bc, without = _tensors(q8), _tensors(nobc)
        biases = [k for k in with_bc if k.endswith(".conv.bias") and k[:-4] + "qweight" in with_bc]
        self.assertTrue(biases)
        self.assertTrue(any(with_bc[k] != without[k] for k in biases),
                        "bias_correction=False stored the corrected biases")
        rec1, rec2 = os.path.join(self.dir, "r1.json"), os.path.join(self.dir, "r2.json")
        inception.calibrate(m, one, rec1, bias_correction=0)
        inception.calibrate(m, one, rec2, bias_correction=True)
        for rec, version in ((rec1, 1), (rec2, 2)):
            with open(rec) as f:
                r = json.load(f)
            self.assertEqual((r["version"], "means" in r), (version, version == 2))
        feats = []
        for bits in (None, 7):
            with inception.Model(support.MODEL_PATH, calibration=rec2, weight_bits=bits) as q:
                self.assertTrue(q.quantized)
                with q.session(threads=1) as s:
                    feats.append(list(s.features(q.preprocess(self.images[0]))[0]))
        self.assertNotEqual(feats[0], feats[1], "weight_bits=7 at load gave the 8-bit net")

    def test_bad_weight_bits_and_bias_correction(self):
        m = inception.Model(support.MODEL_PATH)
        out = os.path.join(self.dir, "q.safetensors")
        rec = os.path.join(self.dir, "r.json")
        for call, kw, msg in (
                (inception.quantize, {"weight_bits": 9}, "QUANT_WEIGHT_BITS must be 7 or 8, got 9"),
                (inception.quantize, {"bias_correction": 2}, "QUANT_BIAS_CORRECTION"),
                (inception.calibrate, {"bias_correction": 2}, "QUANT_BIAS_CORRECTION")):
            with self.assertRaises(inception.InvalidArgument) as cm:
                call(m, self.images[:1], rec if call is inception.calibrate else out, **kw)
            self.assertIn(msg, str(cm.exception))
        inception.calibrate(m, self.images[:1], rec)
        with self.assertRaises(inception.InvalidArgument) as cm:
            inception.Model(support.MODEL_PATH, calibration=rec, weight_bits=9)
        self.assertIn("QUANT_WEIGHT_BITS must be 7 or 8, got 9", str(cm.exception))
        self.assertFalse(os.path.exists(out))

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

#!/usr/bin/python3
# Runs with Debian's /usr/bin/python3 (numpy, torch 1.13, torchvision 0.14); the python3
# on PATH lacks them.
#
# Golden outputs of the whole Inception-v3 network for tests/golden/test_golden.c.
#
# Weights come from the counter-based PRNG that tools/testmodel.c implements in C
# (specification: docs/golden.md):
#   key   = FNV-1a-64(tensor name) XOR seed
#   x_i   = SplitMix64 output i for state key: finaliser of key + (i+1)*0x9E3779B97F4A7C15
#   k_i   = (int32)(x_i >> 40) - 2^23;  u_i = float32(k_i) * 2^-23  in [-1, 1), exact
#   value = offset + float32(u_i * scale)   (float32 ops; the add skipped when offset = 0)
#   conv.weight: scale float32(sqrt(6/fan_in)); bn.weight 1 +- 0.2; bn.bias +-0.1;
#   bn.running_mean +-0.2; bn.running_var 1 +- 0.5; fc.weight float32(sqrt(3/fan_in));
#   fc.bias +-0.1; num_batches_tracked = 0.  Inputs: the raw u stream of "input/<case>"
#
# Usage:
#   gen_golden.py [--out tests/golden/data] [--dump DIR]   write the expected outputs
#   gen_golden.py --check FILE.safetensors                 verify a file written by
#       inception-make-model equals this PRNG bit for bit (names, shapes, values, CRC)
# The reference runs in float64 (weights and inputs are the float32 values above), so the
# stored float32 outputs carry no error of their own.

import argparse
import json
import math
import os
import struct
import sys
import zlib

import numpy as np

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
M64 = 0xFFFFFFFFFFFFFFFF


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & M64
    return h


def splitmix64(key, count):
    with np.errstate(over="ignore"):
        z = np.uint64(key) + np.arange(1, count + 1, dtype=np.uint64) * GOLDEN_GAMMA
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def uniform(name, seed, count):
    x = splitmix64(fnv1a64(name) ^ seed, count)
    k = (x >> np.uint64(40)).astype(np.int32) - np.int32(1 << 23)
    return k.astype(np.float32) * np.float32(2.0 ** -23)


def dist(name, shape):
    """(offset, scale) as float32 for a float tensor of the model."""
    f32 = np.float32
    if name.endswith(".conv.weight"):
        fan_in = shape[1] * shape[2] * shape[3]
        return f32(0), f32(math.sqrt(6.0 / fan_in))
    if name.endswith(".bn.weight"):
        return f32(1), f32(0.2)
    if name.endswith(".bn.bias"):
        return f32(0), f32(0.1)
    if name.endswith(".bn.running_mean"):
        return f32(0), f32(0.2)
    if name.endswith(".bn.running_var"):
        return f32(1), f32(0.5)
    if name.endswith("fc.weight"):
        return f32(0), f32(math.sqrt(3.0 / shape[1]))
    if name.endswith("fc.bias"):
        return f32(0), f32(0.1)
    raise KeyError(name)


def tensor_values(name, shape, seed):
    offset, scale = dist(name, shape)
    v = uniform(name, seed, int(np.prod(shape))) * scale
    if offset != 0:
        v = offset + v
    assert v.dtype == np.float32
    return v.reshape(shape)


def reference_state(classes, aux, gamma):
    """{name: shape} of torchvision's Inception3 as a safetensors file would carry it."""
    import torchvision
    m = torchvision.models.inception_v3(weights=None, aux_logits=aux, transform_input=False,
                                        init_weights=False, num_classes=classes)
    out = {}
    for n, t in m.state_dict().items():
        if not gamma and n.endswith(".bn.weight"):
            continue
        out[n] = tuple(t.shape)
    return out


# --------------------------------------------------------------------------- check mode

def check_file(path):
    with open(path, "rb") as f:
        blob = f.read()
    (hlen,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + hlen])
    data = blob[8 + hlen:]
    meta = header.pop("__metadata__", {})
    seed = int(meta["inception.name"].split("seed ")[1].rstrip(")"))
    gamma = meta.get("inception.bn_gamma", "true") != "false"
    classes = header["fc.weight"]["shape"][0]
    aux = "AuxLogits.fc.weight" in header
    want = reference_state(classes, aux, gamma)
    errors = []
    if set(want) != set(header):
        errors.append("names differ: missing %s, extra %s" %
                      (sorted(set(want) - set(header))[:5], sorted(set(header) - set(want))[:5]))
    crc = "%08x" % (zlib.crc32(data) & 0xFFFFFFFF)
    if meta.get("inception.crc32") != crc:
        errors.append("crc32: metadata %s, data %s" % (meta.get("inception.crc32"), crc))
    if meta.get("inception.synthetic") != "true":
        errors.append("inception.synthetic is not true")
    checked = 0
    for name, info in sorted(header.items()):
        shape = tuple(info["shape"])
        if name in want and want[name] != shape:
            errors.append("%s: shape %s, torchvision %s" % (name, shape, want[name]))
            continue
        b, e = info["data_offsets"]
        raw = data[b:e]
        if name.endswith("num_batches_tracked"):
            ok = info["dtype"] == "I64" and shape == () and raw == bytes(8)
        else:
            v = tensor_values(name, shape, seed)
            if info["dtype"] == "F32":
                ok = raw == v.astype("<f4").tobytes()
            elif info["dtype"] == "F16":
                ok = raw == v.astype("<f2").tobytes()
            else:
                ok = False
        if not ok:
            errors.append("%s (%s %s): values differ from the numpy PRNG" %
                          (name, info["dtype"], shape))
        checked += 1
    for e in errors:
        print("MISMATCH", e)
    print("%s: %d tensors (seed %d, %d classes, aux %s, gamma %s, crc32 %s): %s" %
          (path, checked, seed, classes, aux, gamma, crc, "FAIL" if errors else "bit-identical"))
    return 1 if errors else 0


# --------------------------------------------------------------------------- golden mode

# name, model variant, batch, H, W, outputs, how the pool rule reaches the library.
# pool "include" = torchvision's count_include_pad=True; "exclude" = TF's rule.
CASES = [
    dict(name="main299", batch=2, h=299, w=299,
         outputs=["logits", "probabilities", "features", "aux_logits"]),
    dict(name="small75", batch=1, h=75, w=75, outputs=["logits", "probabilities", "features"]),
    dict(name="rect240x320", batch=1, h=240, w=320,
         outputs=["logits", "probabilities", "features"]),
    dict(name="expad_meta", batch=1, h=99, w=131, pool="exclude", pool_via="meta",
         outputs=["logits", "probabilities", "features"]),
    dict(name="expad_opt", batch=1, h=99, w=131, pool="exclude", pool_via="option",
         expected="expad_meta", outputs=["logits", "probabilities", "features"]),
    dict(name="classes1001", batch=1, h=75, w=75, classes=1001,
         outputs=["logits", "probabilities", "features"]),
    dict(name="nogamma", batch=1, h=96, w=80, gamma=0,
         outputs=["logits", "probabilities", "features"]),
    dict(name="f16", batch=1, h=75, w=75, f16=1, outputs=["logits", "probabilities", "features"]),
]
DEFAULTS = dict(seed=0, classes=1000, aux=1, gamma=1, f16=0, pool="include", pool_via="none")

_include_pad = True

# (tensor, shape, flat index) triples recorded in the manifest, one per distribution.
PROBES = [
    ("Conv2d_1a_3x3.conv.weight", (32, 3, 3, 3), 0),
    ("Mixed_7c.branch3x3dbl_2.conv.weight", (384, 448, 3, 3), 1234567),
    ("Mixed_6e.branch7x7dbl_5.bn.weight", (192,), 191),
    ("Mixed_5b.branch_pool.bn.bias", (32,), 7),
    ("AuxLogits.conv1.bn.running_mean", (768,), 500),
    ("Mixed_7a.branch3x3_2.bn.running_var", (320,), 319),
    ("fc.weight", (1000, 2048), 2047999),
    ("fc.bias", (1000,), 999),
    ("AuxLogits.fc.weight", (1000, 768), 5),
    ("input/main299", None, 536402),
]


def patch_avg_pool():
    """InceptionA/C/E call F.avg_pool2d(..., padding=1); make their border rule switchable
    (the aux head's pool has no padding, so the rule does not touch it)."""
    import torch
    import torchvision.models.inception as tvi

    class PoolRule:
        def __getattr__(self, name):
            return getattr(torch.nn.functional, name)

        @staticmethod
        def avg_pool2d(x, kernel_size, stride=None, padding=0, **kw):
            kw["count_include_pad"] = _include_pad
            return torch.nn.functional.avg_pool2d(x, kernel_size, stride, padding, **kw)

    tvi.F = PoolRule()


def build_torch_model(c):
    import torch
    import torchvision
    m = torchvision.models.inception_v3(weights=None, aux_logits=True, transform_input=False,
                                        init_weights=False, num_classes=c["classes"])
    state = {}
    for n, t in m.state_dict().items():
        shape = tuple(t.shape)
        if n.endswith("num_batches_tracked"):
            state[n] = torch.zeros((), dtype=torch.int64)
            continue
        if n.endswith(".bn.weight") and not c["gamma"]:
            state[n] = torch.ones(shape)  # what a BN without a learned scale computes
            continue
        v = tensor_values(n, shape, c["seed"])
        if c["f16"]:
            v = v.astype(np.float16).astype(np.float32)
        state[n] = torch.from_numpy(v.copy())
    m.load_state_dict(state)
    return m.eval().double()


def run_case(c, dump_dir=None):
    import torch
    global _include_pad
    _include_pad = c["pool"] == "include"
    m = build_torch_model(c)
    n = c["batch"] * 3 * c["h"] * c["w"]
    x32 = uniform(c["input"], c["seed"], n).reshape(c["batch"], 3, c["h"], c["w"])
    acts = {}

    def hook(name):
        def f(mod, inp, out):
            acts[name] = out
        return f
    for name, mod in m.named_children():
        if name not in ("AuxLogits", "dropout", "fc"):
            mod.register_forward_hook(hook(name))
    with torch.no_grad():
        logits = m(torch.from_numpy(x32).double())
        out = {"logits": logits, "probabilities": torch.softmax(logits, 1),
               "features": torch.flatten(acts["avgpool"], 1)}
        if "aux_logits" in c["outputs"]:
            out["aux_logits"] = m.AuxLogits(acts["Mixed_6e"])
        # How far plain float32 torch is from the float64 reference, for the report.
        m32 = build_torch_model(c).float()
        l32 = m32(torch.from_numpy(x32))
    f32err = float((l32.double() - logits).abs().max() / logits.abs().max())
    print("case %s: %s H=%d W=%d batch %d, pool %s (%s), classes %d, gamma %d, f16 %d" %
          (c["name"], "x".join(map(str, x32.shape)), c["h"], c["w"], c["batch"], c["pool"],
           c["pool_via"], c["classes"], c["gamma"], c["f16"]))
    for name, a in acts.items():
        if a.dim() == 4:
            print("  %-14s %-16s mean %7.3f std %7.3f max %7.3f" %
                  (name, "x".join(map(str, a.shape[1:])), a.mean(), a.std(), a.abs().max()))
    lg = out["logits"]
    print("  logits: std %s, range [%.3f, %.3f]; max probability %s; torch float32 vs float64 "
          "logits: %.2e of max|logit|" %
          (", ".join("%.3f" % s for s in lg.std(1)), lg.min(), lg.max(),
           ", ".join("%.4f" % p for p in out["probabilities"].max(1).values), f32err))
    if dump_dir:
        os.makedirs(dump_dir, exist_ok=True)
        for name, a in acts.items():
            # NHWC float32, the library's internal layout
            arr = a.float().numpy()
            if arr.ndim == 4:
                arr = arr.transpose(0, 2, 3, 1)
            arr.astype("<f4").tofile(os.path.join(dump_dir, "%s.%s.%s.f32" % (
                c["name"], name, "x".join(map(str, arr.shape)))))
    return {k: v.float().numpy() for k, v in out.items()}


def generate(out_dir, dump_dir, only):
    patch_avg_pool()
    os.makedirs(out_dir, exist_ok=True)
    lines = ["# Golden cases for tests/golden/test_golden.c, written by tools/gen_golden.py.",
             "# One case per line, key=value. Input: the PRNG stream named by input= (NCHW, "
             "[batch,3,h,w]).",
             "# Expected outputs: <expected>.<output>.f32, little-endian float32 "
             "[batch, classes] or [batch, 2048]."]
    for case in CASES:
        c = dict(DEFAULTS)
        c.update(case)
        c.setdefault("expected", c["name"])
        c["input"] = "input/" + c["expected"]  # a case reusing expected data reuses its input
        if only and c["name"] not in only:
            continue
        if c["expected"] == c["name"]:
            out = run_case(c, dump_dir)
            for k, v in out.items():
                v.astype("<f4").tofile(os.path.join(out_dir, "%s.%s.f32" % (c["name"], k)))
        keys = ["name", "seed", "classes", "aux", "gamma", "f16", "pool", "pool_via", "batch",
                "h", "w", "input", "expected"]
        lines.append(" ".join("%s=%s" % (k, c[k]) for k in keys) + " outputs=" +
                     ",".join(c["outputs"]))
    # Probe values: the C test checks tools/testmodel.c against these without PyTorch.
    for name, shape, idx in PROBES:
        if name.startswith("input/"):
            v = uniform(name, 0, idx + 1)[idx]
        else:
            v = tensor_values(name, shape, 0).reshape(-1)[idx]
        lines.append("probe tensor=%s index=%d bits=%08x value=%.9g" %
                     (name, idx, int(np.float32(v).view(np.uint32)), v))
    if not only:
        with open(os.path.join(out_dir, "manifest.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", metavar="FILE", nargs="+")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "tests", "golden", "data"))
    ap.add_argument("--dump", metavar="DIR", help="also write every block's output (NHWC)")
    ap.add_argument("--only", nargs="*", help="run these cases only (no manifest)")
    a = ap.parse_args()
    if a.check:
        return max(check_file(p) for p in a.check)
    import torch
    torch.set_num_threads(os.cpu_count() or 1)
    generate(os.path.normpath(a.out), a.dump, a.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())

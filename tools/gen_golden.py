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
# Variant cases (tools/variants.py: stems 151/79, the v2 7x7 first layer, BN-auxiliary) use
# 10 classes and data-dependent BatchNorm statistics: --calibrate runs the float64 reference
# on photos + noise and writes tests/golden/data/<variant>.bnstats, which both this script
# and tools/testmodel.c read (running_mean/var from the file, everything else the PRNG).
#
# Usage:
#   gen_golden.py [--out tests/golden/data] [--dump DIR]   write the expected outputs
#   gen_golden.py --calibrate [--only CASE...]             (re)write the .bnstats files first
#   gen_golden.py --check FILE.safetensors [--bn-stats F]  verify a file written by
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import variants  # noqa: E402  (tools/variants.py: reference modules of the variants)

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
    # AuxLogits.fc_bn (BN-auxiliary) is drawn like the convolutions' BatchNorms
    if name.endswith(".bn.weight") or name.endswith(".fc_bn.weight"):
        return f32(1), f32(0.2)
    if name.endswith(".bn.bias") or name.endswith(".fc_bn.bias"):
        return f32(0), f32(0.1)
    if name.endswith(".bn.running_mean") or name.endswith(".fc_bn.running_mean"):
        return f32(0), f32(0.2)
    if name.endswith(".bn.running_var") or name.endswith(".fc_bn.running_var"):
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


def is_gamma(name):
    return name.endswith(".bn.weight") or name.endswith(".fc_bn.weight")


def reference_state(classes, arch, gamma):
    """{name: shape} of the variant's module (torchvision's Inception3 for the default
    architecture) as a safetensors file would carry it."""
    m = variants.build(arch, classes)
    out = {}
    for n, t in m.state_dict().items():
        if not gamma and is_gamma(n):
            continue
        out[n] = tuple(t.shape)
    return out


# --------------------------------------------------------------------------- check mode

def check_file(path, bn_stats=None):
    with open(path, "rb") as f:
        blob = f.read()
    (hlen,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + hlen])
    data = blob[8 + hlen:]
    meta = header.pop("__metadata__", {})
    seed = int(meta["inception.name"].split("seed ")[1].rstrip(")"))
    gamma = meta.get("inception.bn_gamma", "true") != "false"
    classes = header["fc.weight"]["shape"][0]
    arch = variants.arch_of_file(meta, header)
    aux = arch["aux"] != "none"
    want = reference_state(classes, arch, gamma)
    stats = variants.read_bn_stats(bn_stats) if bn_stats else {}
    errors = []
    for k, v in variants.metadata(arch).items():
        if meta.get(k) != v:
            errors.append("metadata %s = %r, expected %r" % (k, meta.get(k), v))
    if stats and not set(stats) <= {n.rpartition(".")[0] for n in header}:
        errors.append("BN statistics name modules the file does not have")
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
            module, _, part = name.rpartition(".")
            if module in stats and part in ("running_mean", "running_var"):
                v = stats[module][0 if part == "running_mean" else 1].astype(np.float32)
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
    print("%s: %d tensors (seed %d, %d classes, %s, gamma %s, BN statistics %s, crc32 %s): %s" %
          (path, checked, seed, classes, " ".join("%s=%s" % kv for kv in arch.items()), gamma,
           bn_stats or "PRNG", crc, "FAIL" if errors else "bit-identical"))
    return 1 if errors else 0


# --------------------------------------------------------------------------- golden mode

# name, model variant, batch, H, W, outputs, how the pool rule reaches the library.
# pool "include" = torchvision's count_include_pad=True; "exclude" = TF's rule.
ALL = ["logits", "probabilities", "features", "aux_logits"]
NO_AUX = ["logits", "probabilities", "features"]
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
    # Variants (tools/variants.py), each at its intended input size and one other size,
    # with calibrated BatchNorm statistics and 10 classes to keep the data small.
    dict(name="v2_299", variant="v2", h=299, w=299, outputs=ALL),
    dict(name="v2_160x144", variant="v2", h=160, w=144, outputs=NO_AUX),
    dict(name="bnaux_299", variant="v3_bnaux", h=299, w=299, outputs=ALL),
    dict(name="bnaux_320x304", variant="v3_bnaux", h=320, w=304, outputs=ALL),
    dict(name="stem151", variant="stem151", h=151, w=151, outputs=ALL),
    dict(name="stem151_200x180", variant="stem151", h=200, w=180, outputs=ALL),
    dict(name="stem79", variant="stem79", h=79, w=79, outputs=ALL),
    dict(name="stem79_96x120", variant="stem79", h=96, w=120, outputs=ALL),
]
DEFAULTS = dict(seed=0, classes=1000, aux=1, gamma=1, f16=0, pool="include", pool_via="none",
                variant="v3")
VARIANT_DEFAULTS = dict(classes=10, batch=1)

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


def bn_stats_path(out_dir, variant):
    return os.path.join(out_dir, variant + ".bnstats")


def build_torch_model(c, stats=None):
    """The case's model in float64 with the PRNG weights; running statistics from `stats`
    ({BN module: (mean, var)}) when given."""
    import torch
    import torchvision
    if c["variant"] == "v3":
        m = torchvision.models.inception_v3(weights=None, aux_logits=True,
                                            transform_input=False, init_weights=False,
                                            num_classes=c["classes"])
    else:
        m = variants.build(c["variant"], c["classes"])
    state = {}
    for n, t in m.state_dict().items():
        shape = tuple(t.shape)
        if n.endswith("num_batches_tracked"):
            state[n] = torch.zeros((), dtype=torch.int64)
            continue
        if is_gamma(n) and not c["gamma"]:
            state[n] = torch.ones(shape)  # what a BN without a learned scale computes
            continue
        v = tensor_values(n, shape, c["seed"])
        if c["f16"]:
            v = v.astype(np.float16).astype(np.float32)
        state[n] = torch.from_numpy(v.copy())
    m.load_state_dict(state)
    m = m.eval().double()
    if stats is not None:
        variants.apply_bn_stats(m, stats)
    return m


def calibrate_variant(c, out_dir):
    """Writes <variant>.bnstats: statistics of the float64 reference on photos + noise at the
    variant's intended input size (tools/variants.py calibrate)."""
    import torch
    arch = variants.VARIANTS[c["variant"]]
    m = build_torch_model(c)
    s = arch["stem"]
    x = variants.calibration_inputs(s, s, lambda name, n: uniform(name, 0, n))
    stats = variants.calibrate(m, x)
    path = bn_stats_path(out_dir, c["variant"])
    variants.write_bn_stats(path, stats)
    # what calibrated statistics do: post-BN activations near (beta, gamma) on this data
    acts = {}
    hooks = [getattr(m, n).register_forward_hook(
        lambda mod, i, o, n=n: acts.__setitem__(n, o)) for n in ("Mixed_5d", "Mixed_6e",
                                                                  "Mixed_7c")]
    with torch.no_grad():
        logits = m(x)
    for h in hooks:
        h.remove()
    print("calibrated %s on %d inputs of %dx%d: %d BatchNorms -> %s (%d bytes); %s; logits "
          "std %.3f" % (c["variant"], x.shape[0], s, s, len(stats), path, os.path.getsize(path),
                        ", ".join("%s mean %.2f std %.2f" % (k, v.mean(), v.std())
                                  for k, v in acts.items()), logits.std()))


def run_case(c, dump_dir=None):
    import torch
    global _include_pad
    _include_pad = c["pool"] == "include"
    stats = variants.read_bn_stats(c["bn_stats_path"]) if c["bn_stats"] != "none" else None
    m = build_torch_model(c, stats)
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
        m32 = build_torch_model(c, stats).float()
        l32 = m32(torch.from_numpy(x32))
    f32err = float((l32.double() - logits).abs().max() / logits.abs().max())
    print("case %s: %s H=%d W=%d batch %d, pool %s (%s), classes %d, gamma %d, f16 %d, "
          "variant %s, BN statistics %s" %
          (c["name"], "x".join(map(str, x32.shape)), c["h"], c["w"], c["batch"], c["pool"],
           c["pool_via"], c["classes"], c["gamma"], c["f16"], c["variant"], c["bn_stats"]))
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


def case_config(case, out_dir):
    c = dict(DEFAULTS)
    if case.get("variant", "v3") != "v3":
        c.update(VARIANT_DEFAULTS)
    c.update(case)
    c.setdefault("expected", c["name"])
    c["input"] = "input/" + c["expected"]  # a case reusing expected data reuses its input
    arch = variants.VARIANTS[c["variant"]]
    c["stem"], c["stem_conv"] = arch["stem"], arch["stem_conv"]
    c["aux_bn"] = int(arch["aux"] == "bn")
    c["bn_stats"] = "none" if c["variant"] == "v3" else c["variant"] + ".bnstats"
    c["bn_stats_path"] = bn_stats_path(out_dir, c["variant"])
    return c


def generate(out_dir, dump_dir, only, calibrate):
    patch_avg_pool()
    os.makedirs(out_dir, exist_ok=True)
    if calibrate:
        done = set()
        for case in CASES:
            c = case_config(case, out_dir)
            if c["bn_stats"] == "none" or c["variant"] in done or (only and c["name"] not in only):
                continue
            done.add(c["variant"])
            calibrate_variant(c, out_dir)
    lines = ["# Golden cases for tests/golden/test_golden.c, written by tools/gen_golden.py.",
             "# One case per line, key=value. Input: the PRNG stream named by input= (NCHW, "
             "[batch,3,h,w]).",
             "# Expected outputs: <expected>.<output>.f32, little-endian float32 "
             "[batch, classes] or [batch, 2048]."]
    for case in CASES:
        c = case_config(case, out_dir)
        if c["expected"] == c["name"] and (not only or c["name"] in only):
            out = run_case(c, dump_dir)
            for k, v in out.items():
                v.astype("<f4").tofile(os.path.join(out_dir, "%s.%s.f32" % (c["name"], k)))
        keys = ["name", "seed", "classes", "aux", "gamma", "f16", "pool", "pool_via", "batch",
                "h", "w", "input", "expected", "stem", "stem_conv", "aux_bn", "bn_stats"]
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
    # every case is listed even with --only (their lines depend on CASES alone)
    with open(os.path.join(out_dir, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--check", metavar="FILE", nargs="+")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "tests", "golden", "data"))
    ap.add_argument("--dump", metavar="DIR", help="also write every block's output (NHWC)")
    ap.add_argument("--only", nargs="*", help="run these cases only (the manifest still "
                    "lists every case)")
    ap.add_argument("--calibrate", action="store_true",
                    help="first rewrite the variants' BatchNorm statistics files")
    ap.add_argument("--bn-stats", metavar="FILE", help="with --check: the statistics file "
                    "the model was made with (inception-make-model --bn-stats)")
    a = ap.parse_args()
    if a.check:
        return max(check_file(p, a.bn_stats) for p in a.check)
    import torch
    torch.set_num_threads(os.cpu_count() or 1)
    generate(os.path.normpath(a.out), a.dump, a.only, a.calibrate)
    return 0


if __name__ == "__main__":
    sys.exit(main())

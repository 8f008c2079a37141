#!/usr/bin/python3
# Debian's python3 with python3-numpy (no torch, no onnx needed); node with onnxruntime-node.
"""Agreement of ONNX Runtime (the QDQ and fp32 exports of tools/export_qdq_onnx.py) with our
int8 and float runs on the same preprocessed photos (benchmark tooling, not CI;
docs/int8.md "Against ONNX Runtime int8").

  qdq_check.py FLOAT.safetensors INT8.safetensors QDQ.onnx [F32.onnx] [--build build]
               [--images tests/image/data] [--optimized OPT.onnx] [--ort-config K=V]

Each photo is preprocessed by our library (the float model's preset, 299x299) and also
mirrored (the tensor flipped left-right). Prints per pair of engines the top-1 agreement
and the mean / min cosine of logits and of the 2048-d features, as RESULT lines.
--optimized keeps the graph ORT actually runs for QDQ.onnx (its fused nodes are counted).
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def cosines(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def ours(model_path, x, precision):
    import inception
    m = inception.Model(model_path, precision=precision)
    with m.session(threads=2) as s:
        out = s.run(x)
        return np.asarray(out["logits"]), np.asarray(out["features"]), m


def ort(model, x, tmp, tag, peers, optimized=None, config=()):
    inp = os.path.join(tmp, "input.f32")
    x.astype("<f4").tofile(inp)
    prefix = os.path.join(tmp, tag)
    cmd = ["node", os.path.join(HERE, "ort_run.js"), model, inp, str(x.shape[0]),
           str(x.shape[2]), str(x.shape[3]), prefix, "--threads", "2"]
    if optimized:
        cmd += ["--optimized", optimized]
    for c in config:
        cmd += ["--config", c]
    env = dict(os.environ, NODE_PATH=os.path.join(peers, "ort", "node_modules"))
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"ort_run.js failed: {r.stdout}{r.stderr}")
    n = x.shape[0]
    return (np.fromfile(prefix + ".logits.f32", "<f4").reshape(n, -1),
            np.fromfile(prefix + ".features.f32", "<f4").reshape(n, -1))


def compare(name_a, a, name_b, b):
    la, fa = a
    lb, fb = b
    top1 = int((la.argmax(1) == lb.argmax(1)).sum())
    cl, cf = cosines(la, lb), cosines(fa, fb)
    print(f"RESULT a={name_a} b={name_b} samples={len(la)} top1_agree={top1}/{len(la)} "
          f"logit_cos_mean={cl.mean():.6f} logit_cos_min={cl.min():.6f} "
          f"feature_cos_mean={cf.mean():.6f} feature_cos_min={cf.min():.6f}")


def count_ops(path):
    import collections
    try:
        import onnx
    except ImportError:
        return "onnx not installed"
    m = onnx.load(path)
    c = collections.Counter(n.op_type for n in m.graph.node)
    return " ".join(f"{k}={v}" for k, v in sorted(c.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("float_model")
    ap.add_argument("int8_model")
    ap.add_argument("qdq")
    ap.add_argument("f32", nargs="?")
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--images", default=os.path.join(REPO, "tests", "image", "data"))
    ap.add_argument("--peers", default=os.environ.get("PEERS", "/tmp/peers"))
    ap.add_argument("--optimized", help="save ORT's optimised QDQ graph here")
    ap.add_argument("--ort-config", action="append", default=[], metavar="KEY=VALUE",
                    help="ORT session config entry for the QDQ run (repeatable), e.g. "
                         "session.x64quantprecision=1")
    a = ap.parse_args()
    sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
    os.environ.setdefault("INCEPTION_LIBRARY", os.path.join(a.build, "lib", "libinception.so.1"))
    import inception

    paths = sorted(p for p in glob.glob(os.path.join(a.images, "*"))
                   if p.lower().endswith((".jpg", ".jpeg", ".png")))
    if not paths:
        sys.exit(f"no images in {a.images}")
    fm = inception.Model(a.float_model)
    if fm.input_size != (299, 299):
        sys.exit("the ONNX exports take 299x299 inputs")
    x = np.asarray(fm.preprocess(paths).numpy(), dtype=np.float32)
    x = np.ascontiguousarray(np.concatenate([x, x[:, :, :, ::-1]]))
    print(f"# {len(paths)} photos from {a.images} and their mirror images: {len(x)} samples, "
          f"299x299, preset of {os.path.basename(a.float_model)}")
    ol8, of8, qm = ours(a.int8_model, x, None)
    print(f"# ours int8: precision {qm.precision}, kernels {qm.info().get('int8_level', '?')}")
    ol32, of32, _ = ours(a.float_model, x, "float")
    with tempfile.TemporaryDirectory() as tmp:
        q = ort(a.qdq, x, tmp, "qdq", a.peers, a.optimized, a.ort_config)
        f = ort(a.f32, x, tmp, "f32", a.peers) if a.f32 else None
    compare("ort_int8", q, "ours_int8", (ol8, of8))
    compare("ours_int8", (ol8, of8), "ours_fp32", (ol32, of32))
    compare("ort_int8", q, "ours_fp32", (ol32, of32))
    if f is not None:
        compare("ort_fp32", f, "ours_fp32", (ol32, of32))
        compare("ort_int8", q, "ort_fp32", f)
    if a.optimized:
        print(f"# ORT's optimised QDQ graph ({a.optimized}): {count_ops(a.optimized)}")


if __name__ == "__main__":
    main()

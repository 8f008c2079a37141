#!/usr/bin/python3
"""A saved head loads into torchvision's Inception3 and gives this library's logits.

    INCEPTION_LIBRARY=build/lib/libinception.so.1 PYTHONPATH=bindings/python \\
        /usr/bin/python3 tools/check_train_torch.py BASE.safetensors [WORKDIR]

Trains a 4-class head for a few steps with inception.Trainer, saves it, loads the file with
load_state_dict(strict=True) into Inception3(num_classes=4, aux_logits=False,
init_weights=False), and compares PyTorch's eval-mode logits with the library's on the
same 75x75 input. Needs Debian's python3-torch and python3-torchvision. Exit 0 = agree.
"""
import json
import struct
import sys
import tempfile

import numpy as np
import torch
import torchvision

import inception


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    kinds = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64}
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=kinds[t["dtype"]]).reshape(t["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out, header.get("__metadata__", {})


def main():
    base = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp()
    out = work + "/head4.safetensors"
    rng = np.random.default_rng(0)
    with inception.Model(base) as model:
        with inception.Trainer(model, classes=4, labels=["a", "b", "c", "d"], input_size=75,
                               ema_decay=0.9) as tr:
            for _ in range(3):
                f = rng.random((8, 2048), dtype=np.float32)
                tr.train(f, rng.integers(0, 4, 8))
            tr.save(out)
    sd, meta = read_safetensors(out)
    net = torchvision.models.Inception3(num_classes=4, aux_logits=False, init_weights=False)
    missing = net.load_state_dict(sd, strict=True)
    print("load_state_dict(strict=True):", missing)
    net.eval()
    x = rng.uniform(-1, 1, (2, 3, 75, 75)).astype(np.float32)
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    with inception.Model(out) as m, m.session() as s:
        got = np.asarray(s.run(x)["logits"])
    err = np.abs(got - want).max() / np.abs(want).max()
    print("labels:", meta.get("inception.labels", "").split("\n"))
    print("max |library - torch| / max |torch| = %.3g" % err)
    return 0 if err < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())

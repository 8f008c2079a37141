#!/usr/bin/python3
"""A saved head loads into torchvision's Inception3 and gives this library's logits.

    INCEPTION_LIBRARY=build/lib/libinception.so.1 PYTHONPATH=bindings/python \\
        /usr/bin/python3 tools/check_train_torch.py BASE.safetensors [WORKDIR]

Trains a 4-class head for a few steps with inception.Trainer, saves it, loads the file with
load_state_dict(strict=True) into Inception3(num_classes=4, aux_logits=False,
init_weights=False), and compares PyTorch's eval-mode logits with the library's on the
same 75x75 input. Needs Debian's python3-torch and python3-torchvision. Exit 0 = agree.

    ... tools/check_train_torch.py --aux SAVED.safetensors
loads a file saved after training with the aux head (e.g. SCOPE_AUX_SAVE=FILE
build/tests/train/test_scope 299) into Inception3(num_classes=K, aux_logits=True) with
strict=True and compares the eval-mode logits and the aux head's logits (AuxLogits run on
Mixed_6e's output) with the library's at 299x299.
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


def check_aux(path):
    sd, meta = read_safetensors(path)
    k = sd["fc.weight"].shape[0]
    net = torchvision.models.Inception3(num_classes=k, aux_logits=True, init_weights=False)
    print("load_state_dict(strict=True):", net.load_state_dict(sd, strict=True))
    net.eval()
    x = np.random.default_rng(1).uniform(-1, 1, (2, 3, 299, 299)).astype(np.float32)
    seen = {}
    net.Mixed_6e.register_forward_hook(lambda mod, i, o: seen.update(m6e=o))
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
        want_aux = net.AuxLogits(seen["m6e"]).numpy()
    with inception.Model(path) as m, m.session(outputs=["logits", "aux_logits"]) as s:
        r = s.run(x)
        got, got_aux = np.asarray(r["logits"]), np.asarray(r["aux_logits"])
    err = np.abs(got - want).max() / np.abs(want).max()
    err_aux = np.abs(got_aux - want_aux).max() / np.abs(want_aux).max()
    print("%d classes; max |library - torch| / max |torch| = %.3g (logits), %.3g (aux logits)" % (k, err, err_aux))
    return 0 if err < 1e-4 and err_aux < 1e-4 else 1


def main():
    if sys.argv[1] == "--aux":
        return check_aux(sys.argv[2])
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

#!/usr/bin/python3
"""Reference data for training below the head (issue 13): tests/train/data/scope_ref.safetensors.

Run with Debian's interpreter (python3-torch, python3-torchvision, numpy):
    /usr/bin/python3 tools/gen_scope_ref.py [OUT.safetensors]

torchvision's Inception3 with the deterministic weights of tools/testmodel.c (seed 0, the
PRNG of tools/gen_golden.py), a new 3-class fc (stored: the C test copies it into the
trainer), one batch of 8 images at 75x75 (the PRNG stream "input/scope75", NCHW), labels
0,1,2,0,1,2,0,1. For each scope (fc, Mixed_7c, Mixed_6a, all) the modules of the scope run
in train mode (BatchNorm on batch statistics, momentum 0.1), the rest in eval mode and
frozen; dropout 0; label smoothing 0.1. PyTorch autograd in float64 gives the reference;
the same in float32 gives PyTorch's own error, per tensor:
    err32 = max|g32 - g64| / max|g64|   over the full tensor.
Stored per tensor as float32 (full tensors are too big to commit): "<scope>/<kind>/<name>" =
[max|ref|, err32, count, argmax index, ref at argmax, then ref at the 32 positions
floor((i + 0.5) * count / 32)], kinds: g = gradient after one step's backward, r = BN
running statistics after one step, p = parameters after STEPS steps of RMSProp as the
library's default (TF epsilon placement: ms from 1, eps 1 inside the sqrt, decay 0.9,
momentum 0, lr 0.045, weight decay 4e-5 on conv and fc weights, clipping at global norm
2.0), on the same batch each step. "<scope>/loss" = [loss64, |loss32 - loss64| / loss64].
The C test (tests/train/test_scope.c) reads this file and needs no Python.

With --299 (tests/train/data/scope299_ref.safetensors): the same at 299x299 (PRNG stream
"input/scope299", batch 8) with the auxiliary head on where the scope holds Mixed_6e
(Mixed_6a, all): loss = CE(main) + AUX_W * CE(aux), label smoothing on both, a new 3-class
AuxLogits.fc (stored as AW0, Ab0: torchvision's init for it, trunc_normal std 0.001 and
nn.Linear's bias) and AuxLogits.conv0/conv1 in train mode. Scopes fc and Mixed_7c run at
299 too (no aux: it reads Mixed_6e, below them). One step only (kinds g and r; ten steps
at 299 in float64 cost minutes); "<scope>/loss" = [loss64, err32, aux64, aux err32].
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_golden  # noqa: E402  (the model PRNG)

BIG = "--299" in sys.argv
if BIG:
    sys.argv.remove("--299")
K, N, SIZE, SMOOTH, STEPS = 3, 8, (299 if BIG else 75), 0.1, (1 if BIG else 10)
AUX_W = 0.4
LR, RHO, EPS, WD, CLIP = 0.045, 0.9, 1.0, 4e-5, 2.0
SAMPLES = 32
SCOPES = {"fc": [], "Mixed_7c": ["Mixed_7c"],
          "Mixed_6a": ["Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"],
          "all": None}
STEPS_FOR = {"fc": STEPS, "Mixed_7c": STEPS, "Mixed_6a": STEPS, "all": STEPS}

torch.manual_seed(20261201)
W0 = torch.empty(K, 2048)
torch.nn.init.trunc_normal_(W0, mean=0.0, std=0.1, a=-2, b=2)
b0 = torch.empty(K).uniform_(-1 / 2048 ** 0.5, 1 / 2048 ** 0.5)
# the aux fc of a new head as torchvision initialises it (drawn after W0, b0)
AW0 = torch.empty(K, 768)
torch.nn.init.trunc_normal_(AW0, mean=0.0, std=0.001, a=-2, b=2)
Ab0 = torch.empty(K).uniform_(-1 / 768 ** 0.5, 1 / 768 ** 0.5)
X = torch.from_numpy(gen_golden.uniform("input/scope%d" % SIZE, 0, N * 3 * SIZE * SIZE).reshape(N, 3, SIZE, SIZE).copy())
Y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])


def build(dtype):
    m = torchvision.models.inception_v3(weights=None, aux_logits=True, transform_input=False,
                                        init_weights=False, num_classes=1000, dropout=0.0)
    state = {}
    for n, t in m.state_dict().items():
        if n.endswith("num_batches_tracked"):
            state[n] = torch.zeros((), dtype=torch.int64)
            continue
        state[n] = torch.from_numpy(gen_golden.tensor_values(n, tuple(t.shape), 0).copy())
    m.load_state_dict(state)
    m.fc = torch.nn.Linear(2048, K)
    m.AuxLogits.fc = torch.nn.Linear(768, K)
    with torch.no_grad():
        m.fc.weight.copy_(W0)
        m.fc.bias.copy_(b0)
        m.AuxLogits.fc.weight.copy_(AW0)
        m.AuxLogits.fc.bias.copy_(Ab0)
    return m.to(dtype)


def aux_on(blocks):
    """The aux head trains with the scope when the scope holds its input, Mixed_6e (and
    the grid is big enough: 299 only)."""
    return BIG and (blocks is None or "Mixed_6e" in blocks)


def in_scope(name, blocks):
    if name.startswith("AuxLogits"):
        return aux_on(blocks)
    top = name.split(".")[0]
    return blocks is None or top == "fc" or top in blocks


def setup(m, blocks):
    m.eval()
    for name, mod in m.named_modules():
        if name and "." not in name and in_scope(name, blocks):
            mod.train()
    for name, p in m.named_parameters():
        p.requires_grad_(in_scope(name, blocks))


def run(dtype, blocks):
    m = build(dtype)
    setup(m, blocks)
    x = X.to(dtype)
    params = [(n, p) for n, p in m.named_parameters() if p.requires_grad]
    out = {"g": {}, "r": {}, "p": {}}
    ms = {n: torch.ones_like(p) for n, p in params}
    loss0 = aux0 = None
    for step in range(STEPS):
        if aux_on(blocks):
            logits, aux = forward(m, x)
            la = F.cross_entropy(aux, Y, label_smoothing=SMOOTH)
            loss = F.cross_entropy(logits, Y, label_smoothing=SMOOTH) + AUX_W * la
        else:
            loss = F.cross_entropy(forward(m, x)[0], Y, label_smoothing=SMOOTH)
            la = torch.zeros(())
        for _, p in params:
            p.grad = None
        loss.backward()
        if step == 0:
            loss0, aux0 = loss.item(), la.item()
            out["g"] = {n: p.grad.detach().clone() for n, p in params}
            out["r"] = {n: b.detach().clone() for n, b in m.named_buffers()
                        if in_scope(n, blocks) and (n.endswith("running_mean") or n.endswith("running_var"))}
        with torch.no_grad():
            g = {n: p.grad + (WD * p if n.endswith("conv.weight") or n == "fc.weight" else 0) for n, p in params}
            norm = torch.sqrt(sum((v.double() ** 2).sum() for v in g.values()))
            if norm > CLIP:
                g = {n: v * (CLIP / norm) for n, v in g.items()}
            for n, p in params:  # TF ApplyRMSProp, momentum 0
                ms[n] = ms[n] + (g[n] * g[n] - ms[n]) * (1 - RHO)
                p -= LR * g[n] / torch.sqrt(ms[n] + EPS)
    out["p"] = {n: p.detach().clone() for n, p in params}
    return (loss0, aux0), out


def forward(m, x):
    """Inception3._forward with the aux head run whenever it is in the scope (the model
    as a whole is in eval mode, so torchvision's own forward would skip it)."""
    for name in ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1",
                 "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a",
                 "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"]:
        x = getattr(m, name)(x)
    aux = m.AuxLogits(x) if m.AuxLogits.training else None
    for name in ["Mixed_7a", "Mixed_7b", "Mixed_7c", "avgpool", "dropout"]:
        x = getattr(m, name)(x)
    return m.fc(torch.flatten(x, 1)), aux


def record(ref, f32):
    r = ref.double().flatten()
    e = f32.double().flatten()
    mx = r.abs().max().item()
    err = (r - e).abs().max().item() / mx if mx > 0 else 0.0
    count = r.numel()
    am = int(r.abs().argmax().item())
    pos = [int((i + 0.5) * count / SAMPLES) for i in range(SAMPLES)]
    return [mx, err, float(count), float(am), r[am].item()] + [r[p].item() for p in pos]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "tests/train/data/scope%s_ref.safetensors" % ("299" if BIG else "")
    tensors = {"W0": W0.numpy().astype(np.float32), "b0": b0.numpy().astype(np.float32)}
    if BIG:
        tensors["AW0"] = AW0.numpy().astype(np.float32)
        tensors["Ab0"] = Ab0.numpy().astype(np.float32)
    for scope, blocks in SCOPES.items():
        (l64, a64), o64 = run(torch.float64, blocks)
        (l32, a32), o32 = run(torch.float32, blocks)
        rec = [l64, abs(l32 - l64) / l64]
        if BIG:
            rec += [a64, abs(a32 - a64) / a64 if a64 else 0.0]
        tensors[scope + "/loss"] = np.array(rec, dtype=np.float64)
        worst = 0.0
        for kind in ("g", "r") if BIG else ("g", "r", "p"):
            for n in sorted(o64[kind]):
                rec = record(o64[kind][n], o32[kind][n])
                worst = max(worst, rec[1]) if kind == "g" else worst
                tensors["%s/%s/%s" % (scope, kind, n)] = np.array(rec, dtype=np.float32)
        print("%-9s loss %.6f  float32 loss err %.1e  worst float32 gradient err %.1e  (%d tensors)"
              % (scope, l64, abs(l32 - l64) / l64, worst, len(o64["g"])))
    header, blobs, off = {"__metadata__": {"steps": str(STEPS), "samples": str(SAMPLES)}}, [], 0
    for name, a in tensors.items():
        b = a.tobytes()
        header[name] = {"dtype": "F64" if a.dtype == np.float64 else "F32", "shape": list(a.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()

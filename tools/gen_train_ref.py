#!/usr/bin/python3
"""Reference data for the trainer's numerics (tests/train/data/train_ref.safetensors).

Run with Debian's interpreter, which has python3-torch:
    /usr/bin/python3 tools/gen_train_ref.py [OUT.safetensors]

Everything is computed by PyTorch in float64 from float32 inputs and stored as float32:
  - a batch of 2048-d features (two batches, f1 and f2), labels y1 and y2, K = 3 classes;
  - an initial head W0, b0 drawn as torchvision initialises Inception3's fc;
  - loss (label smoothing 0.1 and 0) and the gradient of every head parameter
    (F.cross_entropy(label_smoothing=...) and autograd);
  - two steps of: RMSProp with TF's epsilon placement (sqrt(ms + eps), ms from 1, written
    out as TF's ApplyRMSProp), weight decay 4e-5 on the weight, clipping at global norm 2.0
    (TF's clip_by_global_norm), EMA 0.9999 with TF's num_updates warm-up;
  - two steps of torch.optim.RMSprop (PyTorch placement, momentum 0.9), same clipping;
  - two steps of torch.optim.SGD(momentum=0.9), no clipping, no weight decay.
The C test (tests/train/test_train.c) reads this file and needs no Python.
"""
import json
import struct
import sys

import torch
import torch.nn.functional as F

K, D, N = 3, 2048, 6
LR = 0.045
torch.manual_seed(20260101)
f1 = torch.rand(N, D).float() * 0.8          # pooled ReLU features are non-negative
f2 = torch.rand(N, D).float() * 0.8
y1 = torch.tensor([0, 1, 2, 1, 0, 2])
y2 = torch.tensor([2, 2, 0, 1, 1, 0])
W0 = torch.empty(K, D)
torch.nn.init.trunc_normal_(W0, mean=0.0, std=0.1, a=-2, b=2)   # torchvision Inception3
b0 = torch.empty(K).uniform_(-1 / D ** 0.5, 1 / D ** 0.5)       # nn.Linear's bias init

out = {"f1": f1, "f2": f2, "y1": y1.float(), "y2": y2.float(), "W0": W0, "b0": b0}


def head(W, b, f):
    return f.double() @ W.t() + b


# loss and gradients
for eps, tag in ((0.1, "s01"), (0.0, "s0")):
    W = W0.double().clone().requires_grad_(True)
    b = b0.double().clone().requires_grad_(True)
    loss = F.cross_entropy(head(W, b, f1), y1, label_smoothing=eps)
    loss.backward()
    out["loss_" + tag] = loss.detach().reshape(1)
    out["dW_" + tag] = W.grad
    out["db_" + tag] = b.grad
# eps = 0 against a plain log-softmax
z = head(W0.double(), b0.double(), f1)
out["loss_plain"] = (-torch.log_softmax(z, 1)[torch.arange(N), y1]).mean().reshape(1)


def grads(W, b, f, y, eps, wd, clip):
    W = W.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True)
    F.cross_entropy(head(W, b, f), y, label_smoothing=eps).backward()
    gW, gb = W.grad + wd * W.detach(), b.grad.clone()
    norm = torch.sqrt((gW ** 2).sum() + (gb ** 2).sum())
    if clip > 0 and norm > clip:
        gW, gb = gW * clip / norm, gb * clip / norm
    return gW, gb


def ema_update(shadow, value, decay, step):
    d = min(decay, (1 + step) / (10 + step))
    return shadow - (1 - d) * (shadow - value)


# RMSProp, TF placement (ApplyRMSProp), momentum 0
W, b = W0.double().clone(), b0.double().clone()
msW, msb = torch.ones_like(W), torch.ones_like(b)
eW, eb = W.clone(), b.clone()
for step, (f, y) in enumerate(((f1, y1), (f2, y2))):
    gW, gb = grads(W, b, f, y, 0.1, 4e-5, 2.0)
    msW = msW + (gW * gW - msW) * (1 - 0.9)
    msb = msb + (gb * gb - msb) * (1 - 0.9)
    W = W - LR * gW / torch.sqrt(msW + 1.0)
    b = b - LR * gb / torch.sqrt(msb + 1.0)
    eW, eb = ema_update(eW, W, 0.9999, step), ema_update(eb, b, 0.9999, step)
out.update(tf_W=W, tf_b=b, tf_msW=msW, tf_msb=msb, tf_eW=eW, tf_eb=eb)

# RMSProp, PyTorch placement, momentum 0.9: torch.optim.RMSprop itself
W = W0.double().clone().requires_grad_(True)
b = b0.double().clone().requires_grad_(True)
opt = torch.optim.RMSprop([W, b], lr=LR, alpha=0.9, eps=1.0, momentum=0.9)
for f, y in ((f1, y1), (f2, y2)):
    gW, gb = grads(W.detach(), b.detach(), f, y, 0.1, 4e-5, 2.0)
    W.grad, b.grad = gW, gb
    opt.step()
out.update(pt_W=W.detach(), pt_b=b.detach())

# SGD with momentum 0.9: torch.optim.SGD
W = W0.double().clone().requires_grad_(True)
b = b0.double().clone().requires_grad_(True)
opt = torch.optim.SGD([W, b], lr=LR, momentum=0.9)
for f, y in ((f1, y1), (f2, y2)):
    gW, gb = grads(W.detach(), b.detach(), f, y, 0.1, 0.0, 0.0)
    W.grad, b.grad = gW, gb
    opt.step()
out.update(sgd_W=W.detach(), sgd_b=b.detach())

# safetensors by hand (no safetensors package needed)
header, blobs, off = {"__metadata__": {"generator": "tools/gen_train_ref.py",
                                       "torch": torch.__version__}}, [], 0
for name in sorted(out):
    t = out[name].detach().to(torch.float32).contiguous()
    data = t.numpy().tobytes()
    header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
    blobs.append(data)
    off += len(data)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * (-len(h) % 8)
path = sys.argv[1] if len(sys.argv) > 1 else "tests/train/data/train_ref.safetensors"
with open(path, "wb") as fp:
    fp.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
print(f"wrote {path}: {8 + len(h) + off} bytes")

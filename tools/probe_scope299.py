#!/usr/bin/python3
"""Where the library's aux-head gradients at 299, scope Mixed_6a, part from float64 PyTorch
(docs/training.md, "Agreement with PyTorch"). Needs Debian's torch (/usr/bin/python3) and a
dump of the library's step from tests/train/probe_scope:

    ninja -C build tests/train/probe_scope
    mkdir -p /tmp/probe299 && build/tests/train/probe_scope Mixed_6a /tmp/probe299
    /usr/bin/python3 tools/probe_scope299.py /tmp/probe299

torchvision's Inception3 as tools/gen_scope_ref.py builds it (same weights, input, labels,
loss) runs in float64 and float32 on its own input, and in float64 from Mixed_6a on with the
library's scope input (the Mixed_5d output of its frozen session). Prints, as max|d|/max|ref|
over full tensors: the scope input's error, the aux head's intermediates, the aux gradients;
then the ReLU units of AuxLogits.conv0/conv1 whose sign differs from float64's and the
float64 gradients with exactly those units switched to the library's side (and the other way
round), which separates a bug (disagreement remains) from a ReLU kink (it goes away).
About 7 minutes of CPU (five float64/float32 runs at 299, one thread).
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

DIR = sys.argv[1] if len(sys.argv) > 1 else "/tmp/probe299"
sys.argv = [sys.argv[0], "--299"]  # gen_scope_ref's 299 setup (input, aux head)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_scope_ref as G  # noqa: E402

torch.set_num_threads(1)
BLOCKS = G.SCOPES["Mixed_6a"]
FROZEN = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1",
          "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d"]
SCOPE = ["Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"]
TOP = ["Mixed_7a", "Mixed_7b", "Mixed_7c", "avgpool", "dropout"]
INDEX = {}
for line in open(os.path.join(DIR, "idx.txt")):
    if not line.startswith("#"):
        name, dt, shape = line.split()
        INDEX[name] = (np.float64 if dt == "f8" else np.float32, [int(v) for v in shape.split(",")])


def ours(name):
    dt, shape = INDEX[name]
    return np.fromfile(os.path.join(DIR, name + ".bin"), dtype=dt).reshape(shape).astype(np.float64)


def rel(a, ref):
    return np.abs(a - ref).max() / np.abs(ref).max()


def nhwc(t):
    return t.detach().double().permute(0, 2, 3, 1).numpy()


def run(dtype, x5d=None, force=None):
    """One step's backward; x5d: scope input (NHWC) replacing the frozen part's output;
    force: {conv: [(b, c, y, x, on)]} ReLU units held on (linear) or off."""
    m = G.build(dtype)
    G.setup(m, BLOCKS)
    cap = {}
    for c in ("conv0", "conv1"):
        mod = getattr(m.AuxLogits, c)

        def keep_z(_m, _i, o, c=c):
            o.retain_grad()
            cap[c + ".z"] = o

        def keep_pre(_m, _i, o, c=c):
            cap[c + ".pre"] = o.detach().clone()  # BasicConv2d's ReLU is in place
            cap[c + ".prev"] = o.clone()

        def fix(_m, _i, o, c=c):
            units = (force or {}).get(c, [])
            if units:
                hold = torch.zeros_like(o)
                on = torch.zeros_like(o)
                for b, ch, y, x, state in units:
                    hold[b, ch, y, x] = 1
                    on[b, ch, y, x] = state
                o = o * (1 - hold) + cap[c + ".prev"] * on
            o.retain_grad()
            cap[c + ".out"] = o
            return o

        mod.conv.register_forward_hook(keep_z)
        mod.bn.register_forward_hook(keep_pre)
        mod.register_forward_hook(fix)
    with torch.no_grad():
        x = G.X.to(dtype)
        for n in FROZEN:
            x = getattr(m, n)(x)
    cap["x5d"] = nhwc(x)
    if x5d is not None:
        x = torch.from_numpy(x5d).permute(0, 3, 1, 2).to(dtype).contiguous()
    for n in SCOPE:
        x = getattr(m, n)(x)
    x.retain_grad()
    cap["m6e"] = x
    aux = m.AuxLogits(x)
    for n in TOP:
        x = getattr(m, n)(x)
    loss = (F.cross_entropy(m.fc(torch.flatten(x, 1)), G.Y, label_smoothing=G.SMOOTH)
            + G.AUX_W * F.cross_entropy(aux, G.Y, label_smoothing=G.SMOOTH))
    loss.backward()
    t = {"x5d": cap["x5d"], "m6e": nhwc(cap["m6e"]), "m6e_grad": nhwc(cap["m6e"].grad)}
    for c in ("conv0", "conv1"):
        z = cap[c + ".z"].detach().double()
        t[c + ".z"] = nhwc(z)
        t[c + ".pre"] = nhwc(cap[c + ".pre"])
        t[c + ".out"] = nhwc(cap[c + ".out"])
        t[c + ".dy"] = nhwc(cap[c + ".out"].grad)
        t[c + ".dz"] = nhwc(cap[c + ".z"].grad)
        t[c + ".mean"] = z.mean((0, 2, 3)).numpy()
        t[c + ".var"] = z.var((0, 2, 3), unbiased=False).numpy()
    g = {n: p.grad.detach().double().numpy() for n, p in m.named_parameters() if p.requires_grad}
    return loss.item(), t, g


def main():
    xin = ours("x_in").astype(np.float32)
    l64, r64, g64 = run(torch.float64)
    l32, r32, g32 = run(torch.float32)
    lo, ro, go = run(torch.float64, xin)
    x64 = r64["x5d"]
    rms = lambda a: np.sqrt(((a - x64) ** 2).mean() / (x64 ** 2).mean())  # noqa: E731
    print("scope input (Mixed_5d) vs float64: library %.3g (rms %.3g), float32 PyTorch %.3g (rms %.3g)"
          % (rel(xin, x64), rms(xin), rel(r32["x5d"], x64), rms(r32["x5d"])))
    print("loss: float64 %.10f, float32 %.10f, float64 on the library's scope input %.10f" % (l64, l32, lo))
    print("\n%-12s %9s %9s %14s %22s" % ("tensor", "library", "f32 torch", "f64 on ours", "library vs f64 on ours"))
    mine = {"m6e": ours("m6e"), "m6e_grad": ours("m6e_grad")}
    for c in ("conv0", "conv1"):
        for k in ("z", "out", "dy", "dz", "mean", "var"):
            mine[c + "." + k] = ours("AuxLogits.%s.%s" % (c, k))
    for k, v in mine.items():
        print("%-12s %9.3g %9.3g %14.3g %22.3g" % (k, rel(v, r64[k]), rel(r32[k], r64[k]), rel(ro[k], r64[k]), rel(v, ro[k])))
    # pre-activations (after BN, before ReLU): the library's from its z and batch statistics
    force_own, force_ours = {}, {}
    m = G.build(torch.float64)
    for c in ("conv0", "conv1"):
        bn = getattr(m.AuxLogits, c).bn
        gam, bet = bn.weight.detach().numpy(), bn.bias.detach().numpy()
        pre = (mine[c + ".z"] - mine[c + ".mean"]) / np.sqrt(mine[c + ".var"] + 1e-3) * gam + bet
        p64, p32 = r64[c + ".pre"], r32[c + ".pre"]
        a = np.abs(p64).ravel()
        print("\nAuxLogits.%s: %d pre-activations, max|pre64| %.3g; max|pre - pre64| library %.3g (rms %.3g), float32 PyTorch %.3g (rms %.3g)"
              % (c, a.size, a.max(), np.abs(pre - p64).max(), np.sqrt(((pre - p64) ** 2).mean()),
                 np.abs(p32 - p64).max(), np.sqrt(((p32 - p64) ** 2).mean())))
        print("  |pre64| below 1e-4: %d, below 3e-4: %d, below 1e-3: %d" % ((a < 1e-4).sum(), (a < 3e-4).sum(), (a < 1e-3).sum()))
        for who, p in (("library", pre), ("float32 PyTorch", p32)):
            for u in np.argwhere((p > 0) != (p64 > 0)):
                b, y, x, ch = (int(v) for v in u)
                print("  ReLU flip (%s): image %d, channel %d, pixel (%d, %d): float64 %.4g, %s %.4g"
                      % (who, b, ch, y, x, p64[b, y, x, ch], who, p[b, y, x, ch]))
                if who == "library":
                    force_own.setdefault(c, []).append((b, ch, y, x, 1 if p[b, y, x, ch] > 0 else 0))
                    force_ours.setdefault(c, []).append((b, ch, y, x, 1 if p64[b, y, x, ch] > 0 else 0))
    if not force_own:
        print("\nno ReLU flip in the aux head: the kink does not explain a disagreement")
        return
    _, _, g_off = run(torch.float64, None, force_own)   # float64, the flipped units on the library's side
    _, _, g_on = run(torch.float64, xin, force_ours)    # float64 on our input, the units on float64's side
    print("\n%-30s %9s %9s %18s %18s %18s" % ("gradient", "library", "f32 torch", "f64 flipped vs f64",
                                          "library vs f64 flipped", "f64-on-ours unflipped"))
    worst = {}
    for n in g64:
        mg = ours("g:" + n)
        worst[n] = rel(mg, g_off[n])
        if n.startswith("AuxLogits") or n == "fc.weight":
            print("%-30s %9.3g %9.3g %18.3g %18.3g %18.3g" % (n, rel(mg, g64[n]), rel(g32[n], g64[n]), rel(g_off[n], g64[n]),
                                                           worst[n], rel(g_on[n], g64[n])))
    aux = {n: v for n, v in worst.items() if n.startswith("AuxLogits")}
    print("worst library vs f64 flipped: aux head %.3g (%s); all %d gradients %.3g (%s; float32 PyTorch there %.3g)"
          % (max(aux.values()), max(aux, key=aux.get), len(worst), max(worst.values()), max(worst, key=worst.get),
             rel(g32[max(worst, key=worst.get)], g64[max(worst, key=worst.get)])))


if __name__ == "__main__":
    main()

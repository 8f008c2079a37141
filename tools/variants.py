#!/usr/bin/python3
# Runs with Debian's /usr/bin/python3 (numpy, torch 1.13, torchvision 0.14, PIL); the python3
# on PATH lacks them.
"""PyTorch reference modules for the network variants the library builds from a model file's
metadata (docs/model-format.md "Architecture", docs/paper.md), composed from torchvision's
Inception3 (no weights are downloaded):

  stem 299 | 151 | 79   paper section 9 / Table 2: the first convolution's stride is 2 (299)
                        or 1 (151, 79); 79 also drops the max pool after the third conv
  stem_conv 3x3 | 7x7   Table 3: Inception-v2's single 7x7 first layer (Conv2d_1a_7x7,
                        3 -> 64, stride 2 at stem 299, no padding) versus v3's three 3x3s
  aux plain | bn | none figure 8 / Table 3 "BN-auxiliary": BatchNorm1d (AuxLogits.fc_bn,
                        eps 0.001) on the aux fc's output

Also: calibration of the BatchNorm running statistics on real data (the BN statistics file
the C generator reads, format in docs/golden.md), and a MAC count per variant.

  variants.py --macs                      GMAC of every variant at its intended input size
"""

import argparse
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision.models.inception as tvi

# name -> architecture; the golden cases and docs/paper.md use these names.
VARIANTS = {
    "v3": dict(stem=299, stem_conv="3x3", aux="plain"),        # torchvision, Table 3 row 4
    "v3_bnaux": dict(stem=299, stem_conv="3x3", aux="bn"),     # Table 3 last row
    "v2": dict(stem=299, stem_conv="7x7", aux="plain"),        # Table 3 rows 1-3
    "stem151": dict(stem=151, stem_conv="3x3", aux="bn"),      # Table 2, 151x151
    "stem79": dict(stem=79, stem_conv="3x3", aux="bn"),        # Table 2, 79x79
}

STEM_LAYERS_3X3 = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3"]
TRUNK = ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
         "Mixed_6e"]
TOP = ["Mixed_7a", "Mixed_7b", "Mixed_7c"]


class BNAux(tvi.InceptionAux):
    """torchvision's aux head with its fully connected layer batch-normalised as the paper's
    convolutions are: BN on the layer's output (the aux logits), before any nonlinearity."""

    def __init__(self, in_channels, num_classes):
        super().__init__(in_channels, num_classes)
        self.fc_bn = nn.BatchNorm1d(num_classes, eps=0.001)

    def forward(self, x):
        return self.fc_bn(super().forward(x))


class InceptionVariant(tvi.Inception3):
    def __init__(self, num_classes=1000, stem=299, stem_conv="3x3", aux="plain"):
        super().__init__(num_classes=num_classes, aux_logits=aux != "none",
                         transform_input=False, init_weights=False)
        if stem not in (299, 151, 79) or stem_conv not in ("3x3", "7x7") or \
                aux not in ("plain", "bn", "none"):
            raise ValueError("unknown variant %r %r %r" % (stem, stem_conv, aux))
        self.arch = dict(stem=stem, stem_conv=stem_conv, aux=aux)
        stride = 2 if stem == 299 else 1
        if stem_conv == "7x7":
            for n in STEM_LAYERS_3X3:
                delattr(self, n)
            # no padding: the grid of the three 3x3s it replaces, at every input size
            self.Conv2d_1a_7x7 = tvi.BasicConv2d(3, 64, kernel_size=7, stride=stride)
        else:
            self.Conv2d_1a_3x3.conv.stride = (stride, stride)
        if stem == 79:
            self.maxpool1 = nn.Identity()
        if aux == "bn":
            self.AuxLogits = BNAux(768, num_classes)

    def stem_forward(self, x):
        if self.arch["stem_conv"] == "7x7":
            x = self.Conv2d_1a_7x7(x)
        else:
            for n in STEM_LAYERS_3X3:
                x = getattr(self, n)(x)
        x = self.maxpool1(x)
        x = self.Conv2d_3b_1x1(x)
        x = self.Conv2d_4a_3x3(x)
        return self.maxpool2(x)

    def _forward(self, x):
        x = self.stem_forward(x)
        for n in TRUNK:
            x = getattr(self, n)(x)
        aux = self.AuxLogits(x) if self.AuxLogits is not None and self.training else None
        for n in TOP:
            x = getattr(self, n)(x)
        x = torch.flatten(self.dropout(self.avgpool(x)), 1)
        return self.fc(x), aux


def build(name_or_arch, num_classes):
    arch = VARIANTS[name_or_arch] if isinstance(name_or_arch, str) else name_or_arch
    return InceptionVariant(num_classes=num_classes, **arch)


def metadata(arch):
    """The inception.* keys a file of this variant carries (tools/testmodel.c writes them)."""
    m = {}
    if arch["stem"] != 299:
        m["inception.stem"] = str(arch["stem"])
    if arch["stem_conv"] == "7x7":
        m["inception.stem_conv"] = "7x7"
    if arch["aux"] == "bn":
        m["inception.aux_head"] = "bn"
    return m


def arch_of_file(meta, names):
    """The variant a safetensors file describes, read as lib/model/arch.c reads it."""
    return dict(stem=int(meta.get("inception.stem", "299")),
                stem_conv="7x7" if "Conv2d_1a_7x7.conv.weight" in names else "3x3",
                aux="none" if "AuxLogits.fc.weight" not in names else
                "bn" if "AuxLogits.fc_bn.running_mean" in names else "plain")


# ------------------------------------------------------------------ BN statistics files

MAGIC = b"INCBNST1"


def write_bn_stats(path, stats):
    """stats: {bn module name: (mean, var)} in execution order, numpy float16 arrays."""
    out = [MAGIC, struct.pack("<I", len(stats))]
    for name, (mean, var) in stats.items():
        b = name.encode("utf-8")
        assert 0 < len(b) < 64 and mean.dtype == np.float16 and var.dtype == np.float16
        out += [struct.pack("<B", len(b)), b, struct.pack("<I", mean.size),
                mean.astype("<f2").tobytes(), var.astype("<f2").tobytes()]
    with open(path, "wb") as f:
        f.write(b"".join(out))


def read_bn_stats(path):
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] != MAGIC:
        raise ValueError("%s: not a BN statistics file" % path)
    (count,) = struct.unpack_from("<I", blob, 8)
    off, stats = 12, {}
    for _ in range(count):
        n = blob[off]
        name = blob[off + 1:off + 1 + n].decode("utf-8")
        off += 1 + n
        (c,) = struct.unpack_from("<I", blob, off)
        off += 4
        mean = np.frombuffer(blob, "<f2", c, off).astype(np.float16)
        var = np.frombuffer(blob, "<f2", c, off + 2 * c).astype(np.float16)
        off += 4 * c
        stats[name] = (mean, var)
    if off != len(blob):
        raise ValueError("%s: trailing bytes" % path)
    return stats


def bn_modules(model):
    return [(n, m) for n, m in model.named_modules()
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]


def apply_bn_stats(model, stats):
    """Loads running statistics into `model`; every BN must have an entry and vice versa."""
    mods = dict(bn_modules(model))
    if set(mods) != set(stats):
        raise ValueError("BN statistics do not match the model: missing %s, extra %s" % (
            sorted(set(mods) - set(stats))[:3], sorted(set(stats) - set(mods))[:3]))
    with torch.no_grad():
        for n, m in mods.items():
            mean, var = stats[n]
            m.running_mean.copy_(torch.from_numpy(mean.astype(np.float64)))
            m.running_var.copy_(torch.from_numpy(var.astype(np.float64)))


def calibrate(model, x):
    """Data-dependent running statistics, layer by layer in one pass: each BN, when the
    forward reaches it, takes its input's batch mean and (biased) variance over N, H, W,
    rounded to binary16 (the file's precision), and then normalises with exactly those
    values, so every later BN is calibrated on activations of the already-calibrated
    earlier layers. The aux head runs too (on Mixed_6e's output). `model` is float64, eval."""
    stats = {}
    hooks = []

    def pre(name):
        def f(mod, args):
            a = args[0]
            dims = [0, 2, 3] if a.dim() == 4 else [0]
            mean = a.mean(dims).float().numpy().astype(np.float16)
            var = a.var(dims, unbiased=False).float().numpy().astype(np.float16)
            if not (np.isfinite(mean).all() and np.isfinite(var).all()):
                raise ValueError("%s: statistics overflow binary16" % name)
            mod.running_mean.copy_(torch.from_numpy(mean.astype(np.float64)))
            mod.running_var.copy_(torch.from_numpy(var.astype(np.float64)))
            stats[name] = (mean, var)
        return f

    for n, m in bn_modules(model):
        hooks.append(m.register_forward_pre_hook(pre(n)))
    def run_aux(mod, inp, out):
        model.AuxLogits(out)  # eval mode skips the head; its BNs need statistics too

    if model.AuxLogits is not None:
        hooks.append(model.Mixed_6e.register_forward_hook(run_aux))
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    order = [n for n, _ in bn_modules(model)]
    missing = [n for n in order if n not in stats]
    if missing:
        raise ValueError("BNs the calibration did not reach: %s" % missing[:3])
    return stats


def calibration_inputs(h, w, noise):
    """The committed photos (tests/image/data), resized to h x w and scaled to [-1, 1] (the
    default normalisation), each also with uniform noise added, plus two inputs of pure
    noise. `noise(name, count)` gives deterministic uniform [-1, 1) values (the golden
    PRNG), so the batch is reproducible."""
    from PIL import Image
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "image",
                        "data")
    photos = ["matplotlib_grace_hopper.jpg", "skimage_chelsea_cat.png",
              "skimage_rocket_falcon9.jpg"]
    xs = []
    for p in photos:
        im = Image.open(os.path.join(root, p)).convert("RGB").resize((w, h), Image.BILINEAR)
        a = np.asarray(im, dtype=np.float64).transpose(2, 0, 1) / 127.5 - 1.0
        xs.append(a)
        xs.append(np.clip(a + 0.25 * noise("calibrate/" + p, a.size).reshape(a.shape), -1, 1))
    for k in range(2):
        xs.append(noise("calibrate/noise%d" % k, 3 * h * w).reshape(3, h, w).astype(np.float64))
    return torch.from_numpy(np.stack(xs))


# ------------------------------------------------------------------------ MAC counting

def count_macs(model, h, w, aux=False):
    """Multiply-accumulates of one image (convolutions and the fc; pools not counted)."""
    total = [0]

    def conv_hook(mod, inp, out):
        total[0] += out.numel() // out.shape[0] * (mod.in_channels // mod.groups) * \
            mod.kernel_size[0] * mod.kernel_size[1]

    def fc_hook(mod, inp, out):
        total[0] += mod.in_features * mod.out_features

    hooks = []
    for n, m in model.named_modules():
        if n.startswith("AuxLogits") and not aux:
            continue
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(fc_hook))
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, h, w))
    for hk in hooks:
        hk.remove()
    return total[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--macs", action="store_true", help="print each variant's GMAC")
    ap.add_argument("--classes", type=int, default=1000)
    a = ap.parse_args()
    if a.macs:
        for name, arch in VARIANTS.items():
            m = build(name, a.classes)
            s = arch["stem"]
            print("%-9s stem %3d %s aux %-5s input %3dx%-3d  %.3f GMAC (without the aux head)"
                  % (name, s, arch["stem_conv"], arch["aux"], s, s, count_macs(m, s, s) / 1e9))
        return 0
    ap.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())

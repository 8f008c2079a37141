#!/usr/bin/python3
# Needs Debian's /usr/bin/python3 with python3-pil and python3-numpy.
# An independent Pillow implementation of the multi-crop protocols (docs/paper.md,
# "Multi-crop evaluation"), written from the documentation rather than the C code. For two
# bundled photos it writes tests/image/data/refs/crops.tsv: per crop the CRC-32 and the
# per-channel sums of its 8-bit RGB pixels, in the library's crop order. The C test
# (tests/image/test_crops.c) de-normalises inception_image_crops' tensor and compares.
#   /usr/bin/python3 tools/gen_crop_refs.py
import os
import zlib

import numpy as np
from PIL import Image, ImageOps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "image", "data")
SIZE = 299  # the network input side


def round_half_even(x):
    return int(round(x))  # Python 3 round() is half to even, as torchvision's CenterCrop


def resize_shorter(im, s, flt):
    w, h = im.size
    if w <= h:
        return im.resize((s, max(s, int(s * h / w))), flt)
    return im.resize((max(s, int(s * w / h)), s), flt)


def preset_short_side(preset):
    # torchvision: round(299 * 256 / 224) = 342; timm: floor(299 / 0.875) = 341
    return int((SIZE * 342 * 2 + 299) // (2 * 299)) if preset == "torchvision" else SIZE * 8 // 7


def ten_crops(im, preset, flt):
    r = resize_shorter(im, preset_short_side(preset), flt)
    w, h = r.size
    cx, cy = round_half_even((w - SIZE) / 2), round_half_even((h - SIZE) / 2)
    boxes = [(0, 0), (w - SIZE, 0), (0, h - SIZE), (w - SIZE, h - SIZE), (cx, cy)]
    return [r.crop((x, y, x + SIZE, y + SIZE)) for x, y in boxes]


def six_crops(square, flt):
    s = square.size[0]
    c = round_half_even((s - SIZE) / 2)
    boxes = [(0, 0), (s - SIZE, 0), (0, s - SIZE), (s - SIZE, s - SIZE), (c, c)]
    out = [square.crop((x, y, x + SIZE, y + SIZE)) for x, y in boxes]
    out.append(square.resize((SIZE, SIZE), flt))
    return out


def squares(r):
    w, h = r.size
    s = min(w, h)
    extra = max(w, h) - s
    offs = [0, round_half_even(extra / 2), extra]
    if w <= h:
        return [r.crop((0, o, s, o + s)) for o in offs]
    return [r.crop((o, 0, o + s, s)) for o in offs]


def scales():
    return [int((SIZE * k * 2 + 224) // 448) for k in (256, 288, 320, 352)]


def protocol(im, preset, crops):
    flt = Image.BICUBIC if preset == "timm" else Image.BILINEAR
    if crops == 1:
        return [ten_crops(im, preset, flt)[4]]
    if crops == 10:
        geo = ten_crops(im, preset, flt)
    elif crops == 12:
        geo = six_crops(squares(resize_shorter(im, scales()[0], flt))[1], flt)
    else:
        geo = []
        for s in scales():
            for sq in squares(resize_shorter(im, s, flt)):
                geo += six_crops(sq, flt)
    out = []
    for g in geo:  # crop 2i, then its mirror 2i+1
        out += [g, g.transpose(Image.FLIP_LEFT_RIGHT)]
    return out


def main():
    rows = ["# photo\tpreset\tcrops\tindex\tcrc32\tsum_r\tsum_g\tsum_b"]
    for photo, preset in (("skimage_chelsea_cat.png", "timm"),
                          ("matplotlib_grace_hopper.jpg", "torchvision")):
        with Image.open(os.path.join(DATA, photo)) as f:
            im = ImageOps.exif_transpose(f).convert("RGB")
        for crops in (1, 10, 12, 144):
            for i, c in enumerate(protocol(im, preset, crops)):
                a = np.ascontiguousarray(np.asarray(c, dtype=np.uint8))
                assert a.shape == (SIZE, SIZE, 3)
                sums = a.reshape(-1, 3).sum(axis=0, dtype=np.int64)
                rows.append("%s\t%s\t%d\t%d\t%08x\t%d\t%d\t%d" % (
                    photo, preset, crops, i, zlib.crc32(a.tobytes()) & 0xFFFFFFFF, *sums))
    with open(os.path.join(DATA, "refs", "crops.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print("wrote %d crops" % (len(rows) - 1))


if __name__ == "__main__":
    main()

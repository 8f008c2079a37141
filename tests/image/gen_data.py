#!/usr/bin/python3
# Needs Debian's /usr/bin/python3 (PIL, numpy) and libjpeg-turbo-progs (cjpeg, djpeg,
# jpegtran). Regenerates tests/image/data/variants/ and its manifest.tsv: small JPEG and
# PNG variants of the committed photos, broken files, and for each the status and the
# CRC-32 of the RGB pixels a correct decoder returns (computed with PIL, the reference
# the presets were trained with, or with djpeg for DCT-scaled decodes).
#   /usr/bin/python3 tests/image/gen_data.py
import io
import os
import struct
import subprocess
import zlib

import numpy as np
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
OUT = os.path.join(DATA, "variants")
os.makedirs(OUT, exist_ok=True)
rows = []


def crc_of(arr):
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    return "%08x" % (zlib.crc32(arr.tobytes()) & 0xFFFFFFFF)


def add(name, status="OK", arr=None, opts="-"):
    if arr is None:
        rows.append((name, status, "0", "0", "-", opts))
    else:
        h, w = arr.shape[:2]
        rows.append((name, status, str(w), str(h), crc_of(arr), opts))


def pil_rgb(path):
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    return os.path.join(OUT, name)


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, stdout=subprocess.PIPE, check=True).stdout


# Small sources: keep the committed variants small.
rocket = Image.open(os.path.join(DATA, "skimage_rocket_falcon9.jpg")).convert("RGB")
rocket = rocket.resize((240, 160), Image.BICUBIC)
cat = Image.open(os.path.join(DATA, "skimage_chelsea_cat.png")).convert("RGB")
cat = cat.resize((225, 150), Image.BICUBIC)
ppm = io.BytesIO()
rocket.save(ppm, format="PPM")
ppm = ppm.getvalue()

# --- JPEG variants made with libjpeg-turbo's cjpeg.
jpegs = {
    "baseline_420.jpg": [],
    "progressive.jpg": ["-progressive"],
    "gray.jpg": ["-grayscale"],
    "restart.jpg": ["-restart", "1"],
    "s444.jpg": ["-sample", "1x1"],
    "s422.jpg": ["-sample", "2x1"],
    "optimized.jpg": ["-optimize"],
}
for name, flags in jpegs.items():
    path = write(name, run(["cjpeg", "-quality", "85"] + flags, ppm))
    add(name, arr=pil_rgb(path))

base = open(os.path.join(OUT, "baseline_420.jpg"), "rb").read()

# CMYK (PIL writes Adobe-inverted CMYK with an Adobe marker).
buf = io.BytesIO()
rocket.convert("CMYK").save(buf, format="JPEG", quality=90)
path = write("cmyk.jpg", buf.getvalue())
add("cmyk.jpg", arr=pil_rgb(path))


def exif_app1(orientation, big_endian=False):
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    # IFD0 with two entries (a resolution unit first, so the parser has to walk).
    ifd = struct.pack(e + "H", 2)
    ifd += struct.pack(e + "HHI", 0x0128, 3, 1) + struct.pack(e + "HH", 2, 0)
    ifd += struct.pack(e + "HHI", 0x0112, 3, 1) + struct.pack(e + "HH", orientation, 0)
    ifd += struct.pack(e + "I", 0)
    payload = b"Exif\0\0" + tiff + ifd
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


for o in range(1, 9):
    name = "exif_%d.jpg" % o
    path = write(name, base[:2] + exif_app1(o) + base[2:])
    add(name, arr=pil_rgb(path))
path = write("exif_6_be.jpg", base[:2] + exif_app1(6, True) + base[2:])
add("exif_6_be.jpg", arr=pil_rgb(path))
# Orientation ignored when the option says so.
with Image.open(os.path.join(OUT, "exif_6.jpg")) as im:
    add("exif_6.jpg", arr=np.asarray(im.convert("RGB")), opts="exif=0")

# DCT-domain scaling: a larger JPEG; the expected pixels are djpeg's at the same scale.
big = rocket.resize((1200, 800), Image.BICUBIC)
bppm = io.BytesIO()
big.save(bppm, format="PPM")
path = write("large_1200x800.jpg", run(["cjpeg", "-quality", "75"], bppm.getvalue()))
add("large_1200x800.jpg", arr=pil_rgb(path))
for min_side, scale in ((299, "3/8"), (100, "1/8"), (200, "2/8"), (400, "4/8"), (401, None)):
    if scale:
        out = run(["djpeg", "-scale", scale, "-ppm", path])
        arr = np.asarray(Image.open(io.BytesIO(out)).convert("RGB"))
    else:  # 401 needs more than half: full decode
        arr = pil_rgb(path)
    add("large_1200x800.jpg", arr=arr, opts="min_side=%d" % min_side)

# Broken JPEGs.
write("truncated.jpg", base[: len(base) // 2])
add("truncated.jpg", "IMAGE")
write("header_only.jpg", base[:200])
add("header_only.jpg", "IMAGE")


def patch_sof(data, w, h):
    i = 2
    while i < len(data):
        marker = data[i + 1]
        seglen = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            return data[:i + 5] + struct.pack(">HH", h, w) + data[i + 9:]
        i += 2 + seglen
    raise SystemExit("no SOF")


write("huge_dims.jpg", patch_sof(base, 65000, 65000))
add("huge_dims.jpg", "IMAGE_TOO_LARGE")
write("zero_height.jpg", patch_sof(base, 240, 0))
add("zero_height.jpg", "IMAGE")
write("limit.jpg", base)  # 240x160 = 38400 pixels, over a limit of 38399
add("limit.jpg", "IMAGE_TOO_LARGE", opts="max_pixels=38399")
add("limit.jpg", arr=pil_rgb(os.path.join(OUT, "limit.jpg")), opts="max_pixels=38400")


# --- PNG variants. PIL writes the common ones; a small writer of our own does 16-bit
# RGB(A) and Adam7 interlacing, which PIL cannot write.
def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_write(arr, color_type, depth, interlace=False):
    h, w = arr.shape[:2]
    chans = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    arr = arr.reshape(h, w, chans)
    dt = ">u2" if depth == 16 else "u1"

    def rows_of(sub):
        return b"".join(b"\0" + sub[y].astype(dt).tobytes() for y in range(sub.shape[0]))

    if not interlace:
        raw = rows_of(arr)
    else:
        raw = b""
        for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                               (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)):
            sub = arr[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += rows_of(sub)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
            png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


catarr = np.asarray(cat)
alpha = np.tile(np.linspace(0, 255, catarr.shape[1]).astype(np.uint8), (catarr.shape[0], 1))
pngs = {
    "rgb.png": cat,
    "rgba.png": Image.fromarray(np.dstack([catarr, alpha]), "RGBA"),
    "gray.png": cat.convert("L"),
    "gray_alpha.png": Image.merge("LA", (cat.convert("L"), Image.fromarray(alpha))),
    "palette.png": cat.convert("P", palette=Image.ADAPTIVE, colors=64),
}
for name, im in pngs.items():
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    path = write(name, buf.getvalue())
    add(name, arr=pil_rgb(path))
# Palette with transparency: dropped like any alpha.
pal = pngs["palette.png"].copy()
pal.info["transparency"] = 0
buf = io.BytesIO()
pal.save(buf, format="PNG", transparency=0)
path = write("palette_trns.png", buf.getvalue())
add("palette_trns.png", arr=pil_rgb(path))
# Grayscale 1/2/4-bit.
buf = io.BytesIO()
cat.convert("L").convert("1").save(buf, format="PNG")
path = write("bilevel.png", buf.getvalue())
add("bilevel.png", arr=pil_rgb(path))

rng = np.random.default_rng(1)
# 16-bit samples with random low bytes (so truncation and rounding differ), on a crop
# small enough to keep the incompressible noise small.
c16 = catarr[40:104, 60:156]
a16 = (c16.astype(np.uint16) * 256 + rng.integers(0, 256, c16.shape)).astype(np.uint16)
path = write("rgb16.png", png_write(a16, 2, 16))
add("rgb16.png", arr=pil_rgb(path))  # PIL keeps the high byte, as we do
a16a = np.dstack([a16, (alpha[40:104, 60:156].astype(np.uint16) * 257)])
write("rgba16.png", png_write(a16a, 6, 16))
add("rgba16.png", arr=(a16 >> 8))
g16 = a16[:, :, 1]
write("gray16.png", png_write(g16, 0, 16))
# PIL would clamp 16-bit gray to 255 in convert("RGB"); we scale by the high byte.
add("gray16.png", arr=np.dstack([g16 >> 8] * 3))
write("interlaced.png", png_write(catarr, 2, 8, interlace=True))
add("interlaced.png", arr=catarr)
path = write("interlaced_rgba16.png", png_write(a16a, 6, 16, interlace=True))
add("interlaced_rgba16.png", arr=(a16 >> 8))
# Odd sizes for interlacing: passes with empty rows/columns.
tiny = catarr[:5, :3]
write("interlaced_3x5.png", png_write(tiny, 2, 8, interlace=True))
add("interlaced_3x5.png", arr=tiny)

# Broken PNGs.
good = open(os.path.join(OUT, "rgb.png"), "rb").read()
write("truncated.png", good[: len(good) // 2])
add("truncated.png", "IMAGE")
bad = bytearray(good)
bad[good.index(b"IDAT") + 20] ^= 0xFF  # inside IDAT: CRC mismatch
write("bad_crc.png", bytes(bad))
add("bad_crc.png", "IMAGE")


def with_ihdr(w, h):
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
            png_chunk(b"IDAT", zlib.compress(b"\0" * 16)) + png_chunk(b"IEND", b""))


write("huge_dims.png", with_ihdr(100000, 100000))
add("huge_dims.png", "IMAGE_TOO_LARGE")
write("zero_width.png", with_ihdr(0, 10))
add("zero_width.png", "IMAGE")
write("signature_only.png", good[:8])
add("signature_only.png", "IMAGE")

# Not images at all.
write("empty.bin", b"")
add("empty.bin", "IMAGE")
write("text.txt", b"hello, this is not an image\n")
add("text.txt", "IMAGE")
write("one_byte.bin", b"\xff")
add("one_byte.bin", "IMAGE")
add(".", "IO")                    # the variants directory itself
add("does_not_exist.jpg", "IO")

with open(os.path.join(OUT, "manifest.tsv"), "w") as f:
    f.write("# file\tstatus\twidth\theight\tcrc32\toptions   (generated by gen_data.py)\n")
    for r in rows:
        f.write("\t".join(r) + "\n")
print("%d cases, %d bytes" % (len(rows), sum(os.path.getsize(os.path.join(OUT, n))
                                             for n in os.listdir(OUT))))

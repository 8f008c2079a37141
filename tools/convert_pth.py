#!/usr/bin/env python3
# Plain Python 3 (stdlib only: no torch, no numpy); any python3 works.
# Converts torchvision's published Inception-v3 checkpoint (inception_v3_google-*.pth) into
# a safetensors file libinception loads, with inception.* metadata. Both torch.save
# formats are read: the zip (data.pkl + data/<key> storage files, torch >= 1.6) and the
# legacy stream (magic, protocol, sys info, pickle, storage keys, raw storages) that
# older checkpoints use.
#   python3 tools/convert_pth.py inception_v3_google-0cc3c7bd.pth inception_v3.safetensors
# The pickle is read by a restricted Unpickler that only understands what a state_dict
# needs (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and the typed storage
# classes named in persistent ids); anything else is refused, so a hostile .pth cannot
# run code.
import argparse
import os
import io
import json
import pickle
import struct
import sys
import zipfile
import zlib
from collections import OrderedDict

# storage class -> (safetensors dtype, element size)
STORAGES = {
    "FloatStorage": ("F32", 4),
    "HalfStorage": ("F16", 2),
    "BFloat16Storage": ("BF16", 2),
    "DoubleStorage": ("F64", 8),
    "LongStorage": ("I64", 8),
    "IntStorage": ("I32", 4),
    "ShortStorage": ("I16", 2),
    "CharStorage": ("I8", 1),
    "ByteStorage": ("U8", 1),
    "BoolStorage": ("BOOL", 1),
}


class StorageType:
    def __init__(self, name):
        self.name = name


class Storage:
    def __init__(self, dtype, elem, data):
        self.dtype, self.elem, self.data = dtype, elem, data


class Tensor:
    """A view of a storage; materialised once the storages have been read (the legacy
    format stores them after the pickle)."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.dtype, self.shape, self._data = storage.dtype, list(size), None

    @property
    def data(self):
        if self._data is None:
            self._data = materialise(self.storage, self.offset, self.size, self.stride)
        return self._data


def rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None,
                      metadata=None):
    return Tensor(storage, offset, tuple(size), tuple(stride))


def materialise(storage, offset, size, stride):
    if storage.data is None:
        raise ValueError("storage data missing from the checkpoint")
    stride = tuple(stride)
    n = 1
    for s in size:
        n *= s
    e = storage.elem
    # Contiguous (row-major) strides: slice the bytes directly.
    want, acc = [], 1
    for s in reversed(size):
        want.append(acc)
        acc *= s
    want = tuple(reversed(want))
    if n == 0:
        return b""
    if all(st == w for st, w, sz in zip(stride, want, size) if sz != 1):
        begin = offset * e
        end = begin + n * e
        if end > len(storage.data):
            raise ValueError("tensor extends past its storage")
        return bytes(storage.data[begin:end])
    # Strided view: gather element by element (rare in checkpoints).
    out = bytearray(n * e)
    idx = [0] * len(size)
    for k in range(n):
        src = offset + sum(i * st for i, st in zip(idx, stride))
        out[k * e:(k + 1) * e] = storage.data[src * e:(src + 1) * e]
        for d in range(len(size) - 1, -1, -1):
            idx[d] += 1
            if idx[d] < size[d]:
                break
            idx[d] = 0
    return bytes(out)


class RestrictedUnpickler(pickle.Unpickler):
    """zf is the zip (new format) or None (legacy: storages are filled in later)."""

    def __init__(self, f, zf=None, prefix=""):
        super().__init__(f)
        self.zf, self.prefix, self.cache = zf, prefix, {}

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return rebuild_tensor_v2
        if module == "torch" and name in STORAGES:
            return StorageType(name)
        raise pickle.UnpicklingError("refusing to load %s.%s from the checkpoint" %
                                     (module, name))

    def persistent_load(self, pid):
        # zip: ('storage', type, key, location, numel)
        # legacy: ('storage', type, key, location, numel, view_metadata)
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage" and
                isinstance(pid[1], StorageType) and isinstance(pid[2], str)):
            raise pickle.UnpicklingError("unsupported persistent id %r" % (pid,))
        stype, key, numel = pid[1], pid[2], pid[4]
        if len(pid) == 6 and pid[5] is not None:
            raise pickle.UnpicklingError("storage views are not supported")
        if key not in self.cache:
            dtype, elem = STORAGES[stype.name]
            data = None
            if self.zf is not None:
                data = self.zf.read("%sdata/%s" % (self.prefix, key))
                if len(data) < numel * elem:
                    raise ValueError("storage %s is %d bytes, expected %d" %
                                     (key, len(data), numel * elem))
            self.cache[key] = Storage(dtype, elem, data)
        return self.cache[key]


class PlainUnpickler(pickle.Unpickler):
    """For the legacy header pickles: plain data only."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError("refusing to load %s.%s from the checkpoint" %
                                     (module, name))


LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def load_legacy(path):
    with open(path, "rb") as f:
        if PlainUnpickler(f).load() != LEGACY_MAGIC:
            raise ValueError("%s: neither a torch.save zip nor a legacy checkpoint" % path)
        if PlainUnpickler(f).load() != 1001:
            raise ValueError("%s: unsupported legacy protocol" % path)
        info = PlainUnpickler(f).load()
        if isinstance(info, dict) and not info.get("little_endian", True):
            raise ValueError("checkpoint is big-endian")
        up = RestrictedUnpickler(f)
        obj = up.load()
        keys = PlainUnpickler(f).load()
        for key in keys:
            st = up.cache.get(key)
            (numel,) = struct.unpack("<q", f.read(8))
            data = f.read(numel * (st.elem if st else 1))
            if st is None:
                continue
            if len(data) != numel * st.elem:
                raise ValueError("storage %s is truncated" % key)
            st.data = data
    return obj


def load_state_dict(path):
    if not zipfile.is_zipfile(path):
        obj = load_legacy(path)
        return check_state_dict(obj)
    zf = zipfile.ZipFile(path)
    pkl = [n for n in zf.namelist() if n.endswith("data.pkl")]
    if len(pkl) != 1:
        raise ValueError("%s: not a torch.save zip (no single data.pkl)" % path)
    prefix = pkl[0][: -len("data.pkl")]
    if sys.byteorder != "little":
        raise ValueError("big-endian hosts are not supported")
    bo = prefix + "byteorder"
    if bo in zf.namelist() and zf.read(bo).strip() != b"little":
        raise ValueError("checkpoint is big-endian")
    obj = RestrictedUnpickler(io.BytesIO(zf.read(pkl[0])), zf, prefix).load()
    return check_state_dict(obj)


def check_state_dict(obj):
    if isinstance(obj, dict) and "state_dict" in obj:
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ValueError("checkpoint does not hold a state_dict")
    for k, v in obj.items():
        if not isinstance(v, Tensor):
            raise ValueError("entry %s is not a tensor" % k)
    return obj


def read_labels(path):
    """One label per line, or a JSON list of strings; UTF-8, none empty or multi-line."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except UnicodeDecodeError as e:
        sys.exit("convert_pth: %s is not UTF-8 (%s)" % (path, e))
    except OSError as e:
        sys.exit("convert_pth: cannot read %s: %s" % (path, e.strerror))
    if text.lstrip().startswith("["):
        try:
            labels = json.loads(text)
        except ValueError as e:
            sys.exit("convert_pth: %s: %s" % (path, e))
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            sys.exit("convert_pth: %s must be a JSON list of strings" % path)
    else:
        labels = [line.rstrip("\r") for line in text.split("\n")]
        if labels and labels[-1] == "":
            labels.pop()
    for i, label in enumerate(labels):
        if not label or "\n" in label or "\r" in label:
            sys.exit("convert_pth: %s: label %d is empty or spans lines" % (path, i + 1))
    return labels


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        t = tensors[name]
        header[name] = {"dtype": t.dtype, "shape": t.shape,
                        "data_offsets": [offset, offset + len(t.data)]}
        blobs.append(t.data)
        offset += len(t.data)
    crc = 0
    for b in blobs:
        crc = zlib.crc32(b, crc)
    meta = dict(metadata)
    meta["inception.crc32"] = "%08x" % (crc & 0xFFFFFFFF)
    header["__metadata__"] = meta
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__ or "convert a .pth to safetensors")
    ap.add_argument("pth")
    ap.add_argument("out")
    ap.add_argument("--preset", default="torchvision",
                    choices=["torchvision", "timm", "tf", "resize", "unit"])
    ap.add_argument("--name", default=None,
                    help="inception.name (default: the input file's name without .pth)")
    ap.add_argument("--labels", metavar="FILE", default=None,
                    help="class labels, one per line or a JSON list of strings, stored as "
                         "inception.labels (one per fc row, or one fewer for 1001 classes)")
    ap.add_argument("--drop-aux", action="store_true",
                    help="leave out the AuxLogits.* tensors (kept by default)")
    a = ap.parse_args(argv)
    if a.name is None:
        base = os.path.basename(a.pth)
        a.name = base[:-4] if base.endswith(".pth") else base
    sd = load_state_dict(a.pth)
    tensors = {k: v for k, v in sd.items()
               if not k.endswith("num_batches_tracked") and
               not (a.drop_aux and k.startswith("AuxLogits."))}
    fc = tensors.get("fc.weight")
    meta = {"format": "pt", "inception.format_version": "1", "inception.preset": a.preset,
            "inception.name": a.name,
            # torchvision's Inception3 with transform_input=True turns ImageNet-normalised
            # input back into (x - 0.5) / 0.5, so the weights see [-1, 1] input.
            "inception.mean": "0.5,0.5,0.5", "inception.std": "0.5,0.5,0.5",
            "inception.pool_include_pad": "true"}
    if fc is not None:
        meta["inception.classes"] = str(fc.shape[0])
    if a.labels is not None:
        if fc is None:
            sys.exit("convert_pth: --labels given but the checkpoint has no fc.weight")
        labels = read_labels(a.labels)
        rows = fc.shape[0]
        if len(labels) not in (rows, rows - 1 if rows == 1001 else rows):
            sys.exit("convert_pth: %s has %d labels, expected %d (one per fc row)%s"
                     % (a.labels, len(labels), rows, " or 1000" if rows == 1001 else ""))
        meta["inception.labels"] = "\n".join(labels)
    write_safetensors(a.out, tensors, meta)
    total = sum(len(t.data) for t in tensors.values())
    print("wrote %s: %d tensors, %d bytes of data" % (a.out, len(tensors), total),
          file=sys.stderr)


if __name__ == "__main__":
    main()

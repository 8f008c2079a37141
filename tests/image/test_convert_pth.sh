#!/bin/sh
# tools/convert_pth.py against torch itself: /usr/bin/python3 (with torch) saves a small
# Inception-shaped state_dict as a .pth, the stdlib-only converter runs under a python3
# without torch, and /usr/bin/python3 checks the safetensors tensors equal the originals.
# Exits 77 (skipped) when torch is not importable by /usr/bin/python3.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TORCH_PY=/usr/bin/python3
PLAIN_PY=$(command -v python3)
"$TORCH_PY" -c "import torch" 2>/dev/null || { echo "SKIP: no torch in $TORCH_PY"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$TORCH_PY" - "$TMP" <<'PY' || exit 1
import sys, torch
from collections import OrderedDict
torch.manual_seed(0)
sd = OrderedDict()
sd["Conv2d_1a_3x3.conv.weight"] = torch.randn(32, 3, 3, 3)
sd["Conv2d_1a_3x3.bn.weight"] = torch.rand(32)
sd["Conv2d_1a_3x3.bn.running_var"] = torch.rand(32) + 0.5
sd["Conv2d_1a_3x3.bn.num_batches_tracked"] = torch.tensor(7)
sd["fc.weight"] = torch.randn(10, 6).t().contiguous().t()   # non-contiguous view
base = torch.randn(40)
sd["fc.bias"] = base[5:15]                                  # offset into a shared storage
sd["shared.half"] = torch.randn(3, 4).half()
sd["AuxLogits.fc.bias"] = torch.randn(10)
torch.save(sd, sys.argv[1] + "/small.pth")
torch.save(sd, sys.argv[1] + "/legacy.pth", _use_new_zipfile_serialization=False)
PY
# The converter must not need torch: run it with the plain python3 if it lacks torch.
if "$PLAIN_PY" -c "import torch" 2>/dev/null; then
    echo "note: $PLAIN_PY has torch; running the converter with -S to hide site packages"
    PLAIN_PY="$PLAIN_PY -S"
fi
$PLAIN_PY "$ROOT/tools/convert_pth.py" --name same "$TMP/small.pth" "$TMP/small.safetensors" || exit 1
$PLAIN_PY "$ROOT/tools/convert_pth.py" --drop-aux "$TMP/small.pth" "$TMP/noaux.safetensors" || exit 1
$PLAIN_PY "$ROOT/tools/convert_pth.py" --name same "$TMP/legacy.pth" "$TMP/legacy.safetensors" || exit 1
# --labels (lines and JSON) and a name taken from the input file (issue 10 point 8)
printf 'l0\nl1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nb\303\251te\n' > "$TMP/labels.txt"
printf '["l0","l1","l2","l3","l4","l5","l6","l7","l8","b\\u00e9te"]' > "$TMP/labels.json"
printf 'a\nb\n' > "$TMP/two.txt"
$PLAIN_PY "$ROOT/tools/convert_pth.py" --labels "$TMP/labels.txt" "$TMP/small.pth" "$TMP/lab.safetensors" || exit 1
$PLAIN_PY "$ROOT/tools/convert_pth.py" --labels "$TMP/labels.json" "$TMP/small.pth" "$TMP/labj.safetensors" || exit 1
if $PLAIN_PY "$ROOT/tools/convert_pth.py" --labels "$TMP/two.txt" "$TMP/small.pth" "$TMP/x.safetensors" 2>"$TMP/err"; then
    echo "FAIL: a 2-label file was accepted for 10 classes"; exit 1
fi
grep -q "has 2 labels, expected 10" "$TMP/err" || { echo "FAIL: count message"; cat "$TMP/err"; exit 1; }
cmp "$TMP/small.safetensors" "$TMP/legacy.safetensors" || { echo "FAIL: legacy != zip"; exit 1; }
# A pickle naming anything else must be refused.
"$TORCH_PY" - "$TMP" <<'PY' || exit 1
import sys, torch, os
class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))
torch.save({"x": Evil()}, sys.argv[1] + "/evil.pth")
PY
if $PLAIN_PY "$ROOT/tools/convert_pth.py" "$TMP/evil.pth" "$TMP/evil.safetensors" 2>"$TMP/err"; then
    echo "FAIL: evil.pth was converted"; exit 1
fi
grep -q "refusing" "$TMP/err" || { echo "FAIL: no refusal message"; cat "$TMP/err"; exit 1; }
"$TORCH_PY" - "$TMP" <<'PY'
import sys, json, struct, zlib, torch, numpy as np
d = sys.argv[1]
sd = torch.load(d + "/small.pth")
passed = failed = 0
def check(name, cond):
    global passed, failed
    if cond: passed += 1
    else:
        failed += 1; print("FAIL:", name)
for fname, aux in (("small", True), ("noaux", False)):
    raw = open("%s/%s.safetensors" % (d, fname), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n]); data = raw[8 + n:]
    meta = hdr.pop("__metadata__")
    check("preset", meta["inception.preset"] == "torchvision")
    check("crc", meta["inception.crc32"] == "%08x" % (zlib.crc32(data) & 0xffffffff))
    check("classes", meta.get("inception.classes") == "10")
    check("num_batches_tracked dropped", not any(k.endswith("num_batches_tracked") for k in hdr))
    check("aux %s" % fname, ("AuxLogits.fc.bias" in hdr) == aux)
    for k, v in sd.items():
        if k.endswith("num_batches_tracked") or (k.startswith("AuxLogits") and not aux):
            continue
        e = hdr[k]; b, end = e["data_offsets"]
        dt = {"F32": np.float32, "F16": np.float16}[e["dtype"]]
        arr = np.frombuffer(data[b:end], dtype=dt).reshape(e["shape"])
        check("%s %s" % (fname, k), np.array_equal(arr, v.contiguous().numpy()))
for fname in ("lab", "labj"):
    raw = open("%s/%s.safetensors" % (d, fname), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    meta = json.loads(raw[8:8 + n])["__metadata__"]
    check("%s labels" % fname, meta.get("inception.labels", "").split("\n")[-1] == "b\u00e9te")
    check("%s name" % fname, meta.get("inception.name") == "small")
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY

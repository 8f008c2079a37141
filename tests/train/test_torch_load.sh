#!/bin/sh
# A trained head saved by the library loads into torchvision's Inception3 with
# load_state_dict(strict=True) and gives the library's logits (tools/check_train_torch.py,
# through the Python binding). Exits 77 (skipped) without torch/torchvision in /usr/bin/python3.
# usage: test_torch_load.sh INCEPTION-MAKE-MODEL LIBINCEPTION.so
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
/usr/bin/python3 -c "import torch, torchvision, numpy" 2>/dev/null || { echo "SKIP: no torch/torchvision in /usr/bin/python3"; exit 77; }
# a sanitizer build cannot be dlopen'ed into an uninstrumented python
if ldd "$2" 2>/dev/null | grep -Eq 'lib(asan|tsan|ubsan)'; then echo "SKIP: sanitizer build"; exit 77; fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$1" "$TMP/base.safetensors" >/dev/null || exit 1
INCEPTION_LIBRARY="$2" PYTHONPATH="$ROOT/bindings/python" \
    /usr/bin/python3 "$ROOT/tools/check_train_torch.py" "$TMP/base.safetensors" "$TMP"

#!/bin/bash
# The main job: set up, build, and classify photos.
# Usage: tools/quickstart.sh [IMAGE...]     (default: the photos in tests/image/data)
# Uses the model in $INCEPTION_MODEL or the cache path if there is one. Otherwise it makes
# a deterministic *generated* model: the pipeline runs for real, but its labels are
# meaningless, and the output says so. See README.md for real weights.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=release
ninja -C build >/dev/null
model="${INCEPTION_MODEL:-${XDG_CACHE_HOME:-$HOME/.cache}/inception/inception_v3.safetensors}"
if [ ! -f "$model" ]; then
  model=build/generated-inception_v3.safetensors
  [ -f "$model" ] || ./build/tools/inception-make-model "$model"
  echo "No real weights found: using a generated model ($model); its labels are meaningless." >&2
fi
if [ $# -eq 0 ]; then set -- tests/image/data/*.jpg tests/image/data/*.png; fi
./build/tools/inception/inception classify --model "$model" --top 5 "$@"

#!/bin/bash
# The test command: install dependencies, build in ./build, run every test suite.
# Usage: tools/test.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=release
ninja -C build
meson test -C build --print-errorlogs --num-processes 2
bash tools/test_bindings.sh build

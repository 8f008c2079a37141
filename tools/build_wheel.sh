#!/bin/bash
# Build the Python wheel that bundles libinception.so.1 from a meson build directory, and
# the source distribution beside it. The wheel installs with `pip install --no-index FILE`
# and works with no C install and no environment variable (tagged for this platform; it
# needs the system's libjpeg, zlib and, unless built with -Dpng=disabled, libspng).
# Usage: tools/build_wheel.sh [BUILD_DIR [OUT_DIR]]   (defaults: build, BUILD_DIR/python-dist)
# Also `ninja -C BUILD_DIR wheel`. Prints the paths written. Python 3.7+, standard library only.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "no build dir: ${1:-build}" >&2; exit 2; }
OUT=${2:-$BUILD/python-dist}
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3
LIB=$BUILD/lib/libinception.so.1
[ -e "$LIB" ] || LIB=$(find "$BUILD" -name libinception.so.1 -path '*/lib/*' ! -path '*stage*' \
                       ! -path '*install-test*' -print -quit)
[ -n "$LIB" ] || { echo "no libinception.so.1 under $BUILD (run ninja -C $BUILD first)" >&2; exit 2; }
mkdir -p "$OUT"
rm -f "$OUT"/inception-*.whl "$OUT"/inception-*.tar.gz
backend=$SRC/bindings/python/build_backend/inception_backend.py
PYTHONDONTWRITEBYTECODE=1 "$PY" "$backend" wheel "$OUT" "$LIB"
PYTHONDONTWRITEBYTECODE=1 "$PY" "$backend" sdist "$OUT"

#!/bin/bash
# Test the Python (ctypes) and Go (cgo) bindings against a built tree.
# Usage: tools/test_bindings.sh [BUILD_DIR]        (default ./build, already built)
# Installs the build into BUILD_DIR/bindings-stage (meson install --destdir), so the bindings
# are tested against the installed header, library and inception.pc. Makes the generated
# test model if missing. Python tests run with /usr/bin/python3 (numpy used if installed),
# then again without numpy; Go tests run under the race detector with the module proxy off
# and GOCACHE/GOPATH inside the build dir (works as root in CI). Exits non-zero on failure.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "no build dir: ${1:-build}" >&2; exit 2; }
STAGE=$BUILD/bindings-stage
PY=/usr/bin/python3
declare -a SUMMARY=()
FAILED=0
note() { SUMMARY+=("$1"); echo "== $1"; }
result() { # name status
  if [ "$2" -eq 0 ]; then note "PASS $1"; else note "FAIL $1"; FAILED=1; fi
}

# --- stage install -----------------------------------------------------------------------
rm -rf "$STAGE"
if ! meson install -C "$BUILD" --destdir "$STAGE" --no-rebuild --quiet >/dev/null; then
  echo "meson install into $STAGE failed" >&2; exit 2
fi
LIB=$(find "$STAGE" -name 'libinception.so.1' -print -quit)
PC=$(find "$STAGE" -name 'inception.pc' -print -quit)
[ -n "$LIB" ] && [ -n "$PC" ] || { echo "staged install lacks libinception.so.1 or inception.pc" >&2; exit 2; }
LIBDIR=$(dirname "$LIB")

# --- test model ----------------------------------------------------------------------------
MODEL=$BUILD/generated-inception_v3.safetensors
if [ ! -f "$MODEL" ]; then
  "$BUILD/tools/inception-make-model" "$MODEL.tmp" >/dev/null && mv "$MODEL.tmp" "$MODEL" ||
    { echo "cannot make the test model" >&2; exit 2; }
fi
export INCEPTION_LIBRARY=$LIB INCEPTION_TEST_MODEL=$MODEL
export PYTHONDONTWRITEBYTECODE=1  # keep the source tree clean
export INCEPTION_TEST_IMAGES=${INCEPTION_TEST_IMAGES:-$SRC/tests/image/data}

# --- Python --------------------------------------------------------------------------------
py_tests() { # label, interpreter, extra env...
  local label=$1 py=$2; shift 2
  (cd "$SRC/bindings/python" && env "$@" "$py" -m unittest discover -s tests -t . 2>&1) |
    tail -n 25
  return "${PIPESTATUS[0]}"
}
if [ -x "$PY" ]; then
  numpy=$("$PY" -c 'import numpy; print("with numpy " + numpy.__version__)' 2>/dev/null ||
          echo "numpy not installed")
  py_tests "python" "$PY"; result "python: $PY ($numpy)" $?
  py_tests "python-nonumpy" "$PY" INCEPTION_NO_NUMPY=1; result "python: $PY (numpy disabled)" $?
  other=$(command -v python3 || true)
  if [ -n "$other" ] && [ "$(readlink -f "$other")" != "$(readlink -f "$PY")" ] &&
     "$other" -c 'import sys; sys.exit(sys.version_info < (3, 7))' 2>/dev/null; then
    py_tests "python-path" "$other"; result "python: $other (python3 on PATH)" $?
  fi
  # pip install, from a copy so the source tree stays clean (offline: the in-tree backend
  # needs nothing from an index).
  if "$PY" -m pip --version >/dev/null 2>&1; then
    rm -rf "$BUILD/bindings-pip" "$BUILD/bindings-pysrc"
    cp -r "$SRC/bindings/python" "$BUILD/bindings-pysrc"
    if "$PY" -m pip install -q --no-deps --no-index \
         --target "$BUILD/bindings-pip" "$BUILD/bindings-pysrc" >/dev/null 2>&1 &&
       (cd / && PYTHONPATH="$BUILD/bindings-pip" "$PY" -c \
         'import inception, sys; print(inception.__file__, inception.version())' |
         grep -q "$BUILD/bindings-pip"); then
      result "python: pip install --target" 0
    else
      result "python: pip install --target" 1
    fi
  else
    note "SKIP python: pip install (needs python3-pip)"
  fi
else
  note "FAIL python: $PY not found"; FAILED=1
fi

# --- Go ------------------------------------------------------------------------------------
if command -v go >/dev/null; then
  export PKG_CONFIG_PATH=$(dirname "$PC") PKG_CONFIG_SYSROOT_DIR=$STAGE
  export LD_LIBRARY_PATH=$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=1
  export GOCACHE=$BUILD/go-cache GOPATH=$BUILD/go-path
  (cd "$SRC/bindings/go" && go vet ./... && go test -race -count=1 ./...) 2>&1 | tail -n 25
  result "go: go test -race ($(go version | cut -d' ' -f3))" "${PIPESTATUS[0]}"
  (cd "$SRC/examples/go" && go vet ./... && go build -o "$BUILD/go-examples/" ./...) 2>&1 | tail -n 10
  result "go: examples build" "${PIPESTATUS[0]}"
else
  note "FAIL go: no go toolchain (tools/deps.sh installs golang-go)"; FAILED=1
fi

echo
echo "bindings summary ($BUILD):"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
exit $FAILED

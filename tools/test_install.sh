#!/bin/bash
# The install test (meson suite `install`): use an installed libinception the way each kind
# of user does, with no LD_LIBRARY_PATH and no INCEPTION_LIBRARY anywhere.
# Usage: tools/test_install.sh [BUILD_DIR]          (default ./build, already built)
#
# 1. `meson install --destdir` of BUILD_DIR into BUILD_DIR/install-test/root, a system-like
#    tree (the configured prefix, /usr/local by default, with its multiarch libdir), then:
#    the installed `inception` command (RUNPATH); a C program via pkg-config (shared, with
#    -Wl,-rpath); the same program linked with libinception.a via `pkg-config --static`, which
#    defines its own inc_error; a CMake project (find_package, inception::inception and
#    inception::inception_static); the wheel bundling libinception.so.1 in a fresh venv of
#    /usr/bin/python3 (`pip install --no-index`), after the plain source install offline;
#    Go through PKG_CONFIG_PATH with the rpath from CGO_LDFLAGS and from `#cgo LDFLAGS`.
# 2. A meson project with the repository as subprojects/libinception (-Ddefault_library=static
#    -Dprefer_static=true -Dlibinception:png=disabled), linking its program with -static
#    (built in the background while 1 runs), installed into BUILD_DIR/install-test/static-prefix; then a -static C
#    program via that prefix's `pkg-config --static`, and a static Go binary
#    (-tags inception_static, -extldflags -static).
# Every program classifies the same photo and must print the same top-1 class as the first.
# Tools that are missing (cmake, go, python venv) are reported as SKIP by name.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "no build dir: ${1:-build}" >&2; exit 2; }
T=$BUILD/install-test
PY=/usr/bin/python3
IMG=$SRC/tests/image/data/matplotlib_grace_hopper.jpg
PNG=$SRC/tests/image/data/skimage_chelsea_cat.png
unset LD_LIBRARY_PATH INCEPTION_LIBRARY PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR \
      CGO_LDFLAGS CGO_CFLAGS PYTHONPATH
export PYTHONDONTWRITEBYTECODE=1
rm -rf "$T" && mkdir -p "$T"
start=$(date +%s)

declare -a SUMMARY=()
FAILED=0
note() { SUMMARY+=("$1"); echo "== $1"; }
pass() { note "PASS $1"; }
fail() { note "FAIL $1"; FAILED=1; }
skip() { note "SKIP $1"; }
EXPECT=""
# check NAME OUTPUT-FILE: the program printed "top1 CLASS P" with the expected class.
check() {
  local name=$1 out=$2 got
  got=$(sed -n 's/^top1 \([0-9]*\) .*/\1/p' "$out" | head -1)
  if [ -z "$got" ]; then fail "$name (no result; output: $(head -c 400 "$out" | tr '\n' ' '))"
  elif [ -z "$EXPECT" ]; then EXPECT=$got; pass "$name (top-1 class $got)"
  elif [ "$got" = "$EXPECT" ]; then pass "$name"
  else fail "$name (top-1 class $got, expected $EXPECT)"; fi
}
# run NAME OUTPUT-FILE CMD...: run with stdout+stderr to the file, then check it.
run() {
  local name=$1 out=$2; shift 2
  if "$@" >"$out" 2>&1; then check "$name" "$out"
  else fail "$name (exit $?; $(head -c 400 "$out" | tr '\n' ' '))"; fi
}
no_dynamic() { LC_ALL=C readelf -d "$1" 2>&1 | grep -q "no dynamic section"; }

# --- 2 (background): meson subproject consumer, static, PNG disabled ----------------------
SUB=$T/subproject
mkdir -p "$SUB/subprojects"
cp "$SRC/tests/install/subproject/meson.build" "$SRC/tests/install/subproject/meson_options.txt" \
   "$SRC/tests/install/c/consumer.c" "$SUB/"
ln -s "$SRC" "$SUB/subprojects/libinception"
(
  meson setup "$SUB/build" "$SUB" --buildtype=release --prefix="$T/static-prefix" \
    -Ddefault_library=static -Dprefer_static=true -Dlibinception:png=disabled -Dstatic_exe=true &&
  ninja -C "$SUB/build" && meson install -C "$SUB/build"
) >"$T/subproject.log" 2>&1 &
sub_pid=$!

# --- 1: staged system-like install -------------------------------------------------------
ROOT=$T/root
if ! meson install -C "$BUILD" --destdir "$ROOT" --no-rebuild >"$T/install.log" 2>&1; then
  cat "$T/install.log" >&2; echo "meson install into $ROOT failed" >&2; kill $sub_pid; exit 1
fi
PC=$(find "$ROOT" -name inception.pc -print -quit)
CLI=$(find "$ROOT" -path '*/bin/inception' -print -quit)
MAKE_MODEL=$(find "$ROOT" -path '*/bin/inception-make-model' -print -quit)
[ -n "$PC" ] && [ -n "$CLI" ] && [ -n "$MAKE_MODEL" ] ||
  { echo "the install lacks inception.pc or the programs" >&2; kill $sub_pid; exit 1; }
PCDIR=$(dirname "$PC"); LIBDIR=$(dirname "$PCDIR"); PREFIX=$(dirname "$(dirname "$CLI")")
pkgc() { PKG_CONFIG_PATH=$PCDIR PKG_CONFIG_SYSROOT_DIR=$ROOT pkg-config "$@"; }
echo "installed into $PREFIX (libdir $LIBDIR)"

if [ -f "$ROOT$(sed -n 's/^prefix=//p' "$PC")/share/doc/libinception/LICENSE" ]; then
  pass "LICENSE installed with the docs"
else fail "LICENSE installed with the docs"; fi

# The install script's ldconfig decision (the real run would rewrite the system's cache).
ldc() { env -u DESTDIR MESON_INSTALL_DRY_RUN=1 sh "$SRC/tools/ldconfig.sh" "$1" 2>&1; }
sysdirs=$(ldconfig -v -N -X 2>/dev/null | sed -n 's/^\(\/[^:]*\):.*/\1/p')
sysdir=$(printf '%s\n' $sysdirs | grep -m1 -x -e /usr/local/lib -e /lib -e /usr/lib ||
         printf '%s\n' $sysdirs | head -1)
if [ "$(id -u)" -ne 0 ]; then
  case $(ldc "$T") in *"not root"*) pass "ldconfig script: skipped when not root" ;;
    *) fail "ldconfig script: not skipped when not root" ;; esac
elif case $(ldc "$T") in *"not on the loader's path"*) true ;; *) false ;; esac &&
     case $(ldc "$sysdir") in *"would update"*) true ;; *) false ;; esac &&
     case $(DESTDIR=$ROOT sh "$SRC/tools/ldconfig.sh" "$sysdir") in *skipped*) true ;; *) false ;; esac
then pass "ldconfig script: runs for $sysdir only (not for a private prefix or a DESTDIR)"
else fail "ldconfig script: wrong decision (private: $(ldc "$T"); $sysdir: $(ldc "$sysdir"))"; fi

MODEL=$BUILD/generated-inception_v3.safetensors
if [ ! -f "$MODEL" ]; then
  "$MAKE_MODEL" "$MODEL.tmp.$$" >/dev/null && mv "$MODEL.tmp.$$" "$MODEL" ||
    { echo "cannot make the test model" >&2; kill $sub_pid; exit 1; }
fi

# C, shared, pkg-config; a prefix outside the loader's path needs -Wl,-rpath (or ldconfig).
if cc "$SRC/tests/install/c/consumer.c" $(pkgc --cflags --libs inception) \
     -Wl,-rpath,"$LIBDIR" -o "$T/c-shared" 2>"$T/c-shared.log"; then
  run "C program via pkg-config (shared library)" "$T/c-shared.out" "$T/c-shared" "$MODEL" "$IMG"
else fail "C program via pkg-config: does not build ($(head -c 300 "$T/c-shared.log"))"; fi

# The installed command finds its library through its RUNPATH.
if "$CLI" classify --model "$MODEL" --top 1 --quiet "$IMG" >"$T/cli.out" 2>&1 &&
   [ -n "$EXPECT" ] && grep -q "($EXPECT)" "$T/cli.out"; then
  pass "installed inception command"
else fail "installed inception command ($(head -c 300 "$T/cli.out" | tr '\n' ' '))"; fi

# C, static archive + its private dependencies, with the user's own inc_error.
if cc "$SRC/tests/install/c/consumer.c" $(pkgc --cflags inception) "$LIBDIR/libinception.a" \
     $(pkgc --libs --static inception | sed 's/-linception//') -o "$T/c-static" \
     2>"$T/c-static.log"; then
  if LC_ALL=C readelf -d "$T/c-static" | grep -q 'libinception\.so'; then
    fail "C program with libinception.a and its own inc_error (linked the shared library)"
  else
    run "C program with libinception.a and its own inc_error" "$T/c-static.out" \
      "$T/c-static" "$MODEL" "$IMG"
  fi
else fail "C program with libinception.a and its own inc_error: link failed ($(head -c 300 "$T/c-static.log"))"; fi

# CMake: find_package(inception) through the generated package files.
if command -v cmake >/dev/null; then
  if cmake -S "$SRC/tests/install/cmake" -B "$T/cmake" -DCMAKE_PREFIX_PATH="$PREFIX" \
       -DCMAKE_BUILD_TYPE=Release >"$T/cmake.log" 2>&1 &&
     cmake --build "$T/cmake" >>"$T/cmake.log" 2>&1; then
    run "CMake project, inception::inception" "$T/cmake-shared.out" \
      "$T/cmake/consumer_shared" "$MODEL" "$IMG"
    run "CMake project, inception::inception_static" "$T/cmake-static.out" \
      "$T/cmake/consumer_static" "$MODEL" "$IMG"
  else fail "CMake project: configure/build failed ($(tail -c 400 "$T/cmake.log" | tr '\n' ' '))"; fi
else skip "CMake project (no cmake; tools/deps.sh installs it)"; fi

# Python: a fresh venv, no index. First the plain source package (no library bundled).
# The venv is made without pip when the system's pip can install into it (pip >= 22.3,
# --python): seeding pip into a venv takes most of this test's time on a loaded machine.
venv_pip() { "$VPY" -m pip "$@"; }
if [ -x "$PY" ] && "$PY" -m pip --python "$PY" --version >/dev/null 2>&1 &&
   "$PY" -m venv --without-pip "$T/venv" >"$T/venv.log" 2>&1; then
  VPY=$T/venv/bin/python
  venv_pip() { "$PY" -m pip --python "$VPY" "$@"; }
elif [ -x "$PY" ] && "$PY" -m venv "$T/venv" >"$T/venv.log" 2>&1; then
  VPY=$T/venv/bin/python
else VPY=""; fi
if [ -n "$VPY" ]; then
  cp -r "$SRC/bindings/python" "$T/pysrc"
  if venv_pip install -q --no-index --no-cache-dir "$T/pysrc" >"$T/pip-src.log" 2>&1; then
    pass "Python: pip install --no-index of the source package in a fresh venv"
    (cd / && "$VPY" -c 'import inception; inception.version()') >"$T/py-none.out" 2>&1
    if ldconfig -p 2>/dev/null | grep -q 'libinception\.so\.1' ||
       ls /usr/local/lib/*/libinception.so.1 /usr/local/lib/libinception.so.1 >/dev/null 2>&1; then
      skip "Python: error when no library is found (this machine has one installed)"
    elif grep -q "LibraryNotFound" "$T/py-none.out" && grep -q "bundled" "$T/py-none.out" &&
         [ "$(grep -c 'system loader' "$T/py-none.out")" = 1 ]; then
      pass "Python: no library found, each place tried listed once"
    else fail "Python: error when no library is found ($(tail -c 600 "$T/py-none.out" | tr '\n' ' '))"; fi
    (cd / && INCEPTION_LIBRARY=$LIBDIR/libinception.so.1 "$VPY" \
      "$SRC/tests/install/python/consumer.py" "$MODEL" "$IMG") >"$T/py-env.out" 2>&1
    check "Python: source package + INCEPTION_LIBRARY" "$T/py-env.out"
  else fail "Python: pip install --no-index of the source package ($(tail -c 400 "$T/pip-src.log"))"; fi
  if bash "$SRC/tools/build_wheel.sh" "$BUILD" "$T/dist" >"$T/wheel.log" 2>&1 &&
     venv_pip install -q --no-index --no-cache-dir --force-reinstall "$T"/dist/*.whl \
       >>"$T/wheel.log" 2>&1; then
    (cd / && "$VPY" "$SRC/tests/install/python/consumer.py" "$MODEL" "$IMG") >"$T/py-wheel.out" 2>&1
    if grep -q "library $T/venv/.*/site-packages/inception/libinception.so.1" "$T/py-wheel.out"; then
      check "Python: wheel with the bundled library, no environment" "$T/py-wheel.out"
    else fail "Python: wheel did not load its bundled library ($(tail -c 400 "$T/py-wheel.out"))"; fi
  else fail "Python: build or install the wheel ($(tail -c 400 "$T/wheel.log"))"; fi
else skip "Python venv ($PY -m venv unavailable; tools/deps.sh installs python3-venv)"; fi

# Go: PKG_CONFIG_PATH finds the prefix; the rpath comes from CGO_LDFLAGS or #cgo LDFLAGS.
gomod() { # DIR: a user module using the binding from this checkout
  mkdir -p "$1" && cp "$SRC/tests/install/go/main.go" "$1/" &&
  printf 'module example.com/consumer\n\ngo 1.19\n\nrequire github.com/libinception/go-inception v0.0.0\n\nreplace github.com/libinception/go-inception => %s\n' \
    "$SRC/bindings/go" >"$1/go.mod"
}
if command -v go >/dev/null; then
  export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=1
  export GOCACHE=$BUILD/go-cache GOPATH=$BUILD/go-path
  GO=$T/go; gomod "$GO"
  if (cd "$GO" && PKG_CONFIG_PATH=$PCDIR PKG_CONFIG_SYSROOT_DIR=$ROOT \
        CGO_LDFLAGS="-Wl,-rpath,$LIBDIR" go build -o "$GO/consumer-env" .) >"$GO/env.log" 2>&1; then
    run "Go: PKG_CONFIG_PATH + CGO_LDFLAGS=-Wl,-rpath" "$GO/env.out" "$GO/consumer-env" "$MODEL" "$IMG"
  else fail "Go: build with CGO_LDFLAGS rpath ($(tail -c 400 "$GO/env.log"))"; fi
  printf 'package main\n\n// #cgo LDFLAGS: -Wl,-rpath,%s\nimport "C"\n' "$LIBDIR" >"$GO/rpath.go"
  if (cd "$GO" && PKG_CONFIG_PATH=$PCDIR PKG_CONFIG_SYSROOT_DIR=$ROOT \
        go build -o "$GO/consumer-cgo" .) >"$GO/cgo.log" 2>&1; then
    run "Go: PKG_CONFIG_PATH + #cgo LDFLAGS: -Wl,-rpath" "$GO/cgo.out" "$GO/consumer-cgo" "$MODEL" "$IMG"
  else fail "Go: build with #cgo LDFLAGS rpath ($(tail -c 400 "$GO/cgo.log"))"; fi
else skip "Go (no go toolchain)"; fi

# --- 2: the subproject build -------------------------------------------------------------
if wait $sub_pid; then
  pass "meson subproject: dependency('inception', fallback: 'libinception') builds"
  if no_dynamic "$SUB/build/consumer"; then
    run "meson subproject: -static program with its own inc_error" "$T/sub.out" \
      "$SUB/build/consumer" "$MODEL" "$IMG"
  else fail "meson subproject: the program is not fully static"; fi
  leftovers=$(cd "$SUB/build/subprojects/libinception" && ls -d tools examples tests 2>/dev/null)
  installed=$(cd "$T/static-prefix" && find . \( -path './bin/*' -o -name '*.so*' \) | head -5)
  if [ -z "$leftovers$installed" ] && [ -f "$(find "$T/static-prefix" -name libinception.a -print -quit)" ]; then
    pass "meson subproject: only the static library built and installed (default_library=static)"
  else fail "meson subproject: built or installed more than the static library: $leftovers $installed"; fi
  if "$SUB/build/consumer" "$MODEL" "$PNG" >"$T/sub-png.out" 2>&1; then
    fail "png=disabled: a PNG was decoded"
  elif grep -q "Dpng=disabled" "$T/sub-png.out"; then pass "png=disabled: PNG input gives a clear error"
  else fail "png=disabled: unexpected error ($(head -c 300 "$T/sub-png.out"))"; fi

  SPC=$(dirname "$(find "$T/static-prefix" -name inception.pc -print -quit)")
  if grep -q spng "$SPC/inception.pc"; then fail "png=disabled: inception.pc still requires spng"; fi
  if cc -static "$SRC/tests/install/c/consumer.c" \
       $(PKG_CONFIG_PATH=$SPC pkg-config --static --cflags --libs inception) \
       -o "$T/c-fullstatic" >"$T/c-fullstatic.log" 2>&1 && no_dynamic "$T/c-fullstatic"; then
    run "C -static program via pkg-config --static" "$T/c-fullstatic.out" "$T/c-fullstatic" "$MODEL" "$IMG"
  else fail "C -static program via pkg-config --static ($(head -c 400 "$T/c-fullstatic.log"))"; fi

  if command -v go >/dev/null; then
    GS=$T/go-static; gomod "$GS"
    if (cd "$GS" && PKG_CONFIG_PATH=$SPC go build -tags inception_static \
          -ldflags '-linkmode external -extldflags -static' -o "$GS/consumer" .) \
          >"$GS/build.log" 2>&1 && no_dynamic "$GS/consumer"; then
      run "Go: static binary (-tags inception_static, -extldflags -static)" "$GS/run.out" \
        "$GS/consumer" "$MODEL" "$IMG"
    else fail "Go: static binary ($(tail -c 400 "$GS/build.log"))"; fi
  fi
else
  fail "meson subproject build ($(tail -n 15 "$T/subproject.log"))"
fi

echo
echo "install test summary ($T, $(( $(date +%s) - start )) s):"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
exit $FAILED

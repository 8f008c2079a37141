#!/bin/bash
# Build and test under sanitizers or valgrind, each in its own build directory.
#
# Usage: tools/sanitize.sh asan|tsan|valgrind [extra meson test args...]
#   asan      ASan+UBSan (-Db_sanitize=address,undefined, leak checking on), the whole
#             `meson test` suite except abi (programs built without the sanitizer).
#   tsan      ThreadSanitizer, the stress suite (threads sharing a model, concurrent loads).
#   valgrind  a plain debug build; the fast C suites (model, image, fuzz replays) under
#             valgrind --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect
# Environment: SANITIZE_BUILD_DIR (default build-<mode>), CC (default gcc). gcc links its
# sanitizer runtimes into the shared library too; clang does not, and lib/meson.build links
# libinception.so with -Wl,--no-undefined, so CC=clang needs that flag dropped for
# sanitized builds. Needs gcc's libasan/libubsan/libtsan and valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
shift || true
case "$mode" in
    asan|tsan|valgrind) ;;
    *) echo "usage: $0 asan|tsan|valgrind [meson test args...]" >&2; exit 2 ;;
esac
build=${SANITIZE_BUILD_DIR:-build-$mode}

# clang links sanitizer runtimes only into executables: shared objects need b_lundef=false
lundef=
case "${CC:-gcc}" in *clang*) lundef=-Db_lundef=false ;; esac

setup() {
    [ -f "$build/build.ninja" ] || meson setup "$build" "$@"
}

case "$mode" in
asan)
    # recover is off so any UBSan report fails the test
    CC=${CC:-gcc} CXX=${CXX:-g++} setup -Dbuildtype=debugoptimized \
        -Db_sanitize=address,undefined $lundef \
        -Dc_args=-fno-sanitize-recover=all -Dcpp_args=-fno-sanitize-recover=all
    ninja -C "$build"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}
    # Sanitizers make the network ~3-5x slower. The abi and install suites are left out: they link
    # programs built without -fsanitize against the installed (sanitized) library, which
    # the ASan runtime refuses to run under.
    meson test -C "$build" --print-errorlogs --num-processes 2 -t 4 --no-suite abi --no-suite install "$@"
    ;;
tsan)
    CC=${CC:-gcc} CXX=${CXX:-g++} setup -Dbuildtype=debugoptimized \
        -Db_sanitize=thread $lundef
    ninja -C "$build" tests/stress/test_stress
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:history_size=4}
    # one worker round is enough under TSan: it is the interleavings that matter
    INCEPTION_STRESS_ITERATIONS=${INCEPTION_STRESS_ITERATIONS:-1} \
        meson test -C "$build" --print-errorlogs --num-processes 1 -t 10 --suite stress "$@"
    ;;
valgrind)
    setup -Dbuildtype=debugoptimized
    ninja -C "$build"
    # The fast C programs only (the image suite's shell-script tests would put valgrind on
    # sh and python): valgrind is ~50x slower, and the suites that load the 100 MB model
    # many times (alloc, bad-inputs, stress, golden) get their leak checking from the asan
    # mode. CK_FORK=no: each Check program runs in one process, so valgrind's report at
    # exit covers every test. JSIMD_FORCENONE: libjpeg-turbo's SIMD row code reads the
    # padding of its own buffers, which memcheck reports as uninitialised (a known false
    # positive); the C paths decode the same pixels.
    CK_FORK=no JSIMD_FORCENONE=1 meson test -C "$build" --print-errorlogs --num-processes 2 -t 20 \
        --wrap='valgrind --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect' \
        model image fuzz-safetensors fuzz-model_load fuzz-jpeg fuzz-png fuzz-classify "$@"
    ;;
esac

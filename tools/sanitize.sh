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

# meson's --timeout-multiplier scales meson's own per-test timeouts; Check's per-test
# timeouts (CK_DEFAULT_TIMEOUT in tests/meson.build, tcase_set_timeout) only scale with
# CK_TIMEOUT_MULTIPLIER, so both get the same factor: a loaded machine under a slow
# sanitizer must not trip the inner timeout before the outer one.
case "$mode" in asan) mult=4 ;; tsan) mult=10 ;; valgrind) mult=20 ;; esac
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-$mult}

# clang links sanitizer runtimes only into executables: shared objects need b_lundef=false
lundef=
case "${CC:-gcc}" in *clang*) lundef=-Db_lundef=false ;; esac

setup() {
    [ -f "$build/build.ninja" ] || meson setup "$build" "$@"
}

case "$mode" in
asan)
    # recover is off so any UBSan report fails the test; float-cast-overflow is not part
    # of gcc's -fsanitize=undefined (it is of clang's), so it is named
    CC=${CC:-gcc} CXX=${CXX:-g++} setup -Dbuildtype=debugoptimized \
        -Db_sanitize=address,undefined $lundef \
        "-Dc_args=-fno-sanitize-recover=all -fsanitize=float-cast-overflow" \
        "-Dcpp_args=-fno-sanitize-recover=all -fsanitize=float-cast-overflow"
    ninja -C "$build"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}
    # Sanitizers make the network ~3-5x slower. The abi and install suites are left out: they link
    # programs built without -fsanitize against the installed (sanitized) library, which
    # the ASan runtime refuses to run under. train-299 (full training steps at 299x299) is
    # left out for time: the same code runs at 75x75 in the train suite. SCOPE_QUICK drops
    # train_scope's Mixed_6a and all gradient cases (the same scope code as its Mixed_7c case
    # over more layers; the release run of tools/test.sh has them): they took 9 of the run's
    # minutes under ASan. GOLDEN_QUICK runs the ref backend's golden cases only up to
    # 200x180 (the same loops as at 299; its 299 cases were 11 of the run's minutes).
    export SCOPE_QUICK=1 GOLDEN_QUICK=1
    meson test -C "$build" --print-errorlogs --num-processes 2 -t "$mult" --no-suite abi --no-suite install \
        --no-suite train-299 "$@"
    ;;
tsan)
    CC=${CC:-gcc} CXX=${CXX:-g++} setup -Dbuildtype=debugoptimized \
        -Db_sanitize=thread $lundef
    ninja -C "$build" tests/stress/test_stress tests/stress/test_busy
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:history_size=4}
    # one worker round is enough under TSan: it is the interleavings that matter
    INCEPTION_STRESS_ITERATIONS=${INCEPTION_STRESS_ITERATIONS:-1} \
        meson test -C "$build" --print-errorlogs --num-processes 1 -t "$mult" --suite stress "$@"
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
    CK_FORK=no JSIMD_FORCENONE=1 meson test -C "$build" --print-errorlogs --num-processes 2 -t "$mult" \
        --wrap='valgrind --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect' \
        model image fuzz-safetensors fuzz-model_load fuzz-jpeg fuzz-png fuzz-classify fuzz-prep "$@"
    ;;
esac

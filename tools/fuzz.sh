#!/bin/bash
# Run every libFuzzer target (tests/fuzz/fuzz_*.c) for a bounded time and print the
# executions of each. Needs clang with libFuzzer (Debian: clang-14, libclang-rt-14-dev).
#
# Usage: tools/fuzz.sh [SECONDS_PER_TARGET (default 60)] [TARGET...]
#   targets: safetensors model_load jpeg png classify prep (default: all)
# Environment: FUZZ_BUILD_DIR (default build-fuzz), CC (default clang).
#
# The build uses ASan+UBSan and libFuzzer coverage. New inputs go to
# $FUZZ_BUILD_DIR/fuzz-corpus/<target> (the committed seeds in tests/fuzz/corpus/ are
# read, never written); crashes go to $FUZZ_BUILD_DIR/fuzz-artifacts/<target>/. A crash
# makes the script exit 1: copy the reproducer into tests/fuzz/corpus/<target>/ when
# fixing the bug so `meson test` replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
all=(safetensors model_load jpeg png classify prep)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
build=${FUZZ_BUILD_DIR:-build-fuzz}

max_len() {
    case "$1" in
        model_load) echo 65536 ;;   # room for a real model's 58 KB header
        classify) echo 8192 ;;      # small images keep each run quick
        *) echo 16384 ;;
    esac
}

if [ ! -f "$build/build.ninja" ]; then
    CC=${CC:-clang} CXX=${CXX:-clang++} meson setup "$build" \
        -Dbuildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false \
        "-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fsanitize=float-cast-overflow" \
        "-Dcpp_args=-fsanitize=fuzzer-no-link"
fi
ninja -C "$build" $(for t in "${targets[@]}"; do echo "tests/fuzz/fuzz_$t"; done)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
summary=""
for t in "${targets[@]}"; do
    work="$build/fuzz-corpus/$t"
    art="$build/fuzz-artifacts/$t"
    mkdir -p "$work" "$art"
    log="$build/fuzz-$t.log"
    echo "== fuzz_$t: ${secs}s, max_len $(max_len "$t")"
    rc=0
    "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len="$(max_len "$t")" \
        -timeout=30 -rss_limit_mb=3072 -print_final_stats=1 \
        -artifact_prefix="$art/" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    line="fuzz_$t: ${execs:-?} executions in ${secs}s, coverage ${cov:-?}, corpus $(ls "$work" | wc -l) files"
    if [ $rc -ne 0 ]; then
        failed=1
        line="$line -- FAILED (exit $rc), see $log and $art/"
        grep -E 'ERROR|SUMMARY|contract broken|Test unit written' "$log" | head -5 || true
    fi
    echo "$line"
    summary="$summary$line"$'\n'
done
echo
echo "summary:"
printf '%s' "$summary"
exit $failed

#!/usr/bin/env bash
# Time libinception against ONNX Runtime and PyTorch on this machine, one after another in
# the same run (timings on shared machines drift by several percent between runs, so only
# ratios measured together mean anything), and print the ratios.
#
# Usage: tools/peers_compare.sh [BUILD_DIR] [RUNS]
#   BUILD_DIR  a configured meson build of this tree (default: build)
#   RUNS       timed runs per measurement (default 20)
# Environment:
#   PEERS       where ../shared/peers/setup.sh put the ONNX model and node modules (/tmp/peers)
#   PEERS_SRC   the peer scripts (default: /work/shared/peers)
#   MODEL       a .safetensors model for `inception bench` (default: a synthetic one made
#               with the build's inception-make-model; timing does not depend on weights)
#   CONFIGS     "THREADS:BATCH ..." (default "1:1 2:1 2:8")
#   SKIP_TORCH  set to skip PyTorch
# Our side, in order of preference: `inception bench` (the command-line tool) when the build
# has it and it prints a RESULT line with median_ms; else `bench_kernels model`, which times
# inception_session_run on the same model through the public API; else `bench_kernels net`,
# every conv and pool through the backend ABI without the executor (a lower bound). The
# `source` column says which one ran.
# Python: uses /usr/bin/python3 (Debian's, with torch) for the PyTorch peer.
set -euo pipefail

BUILD=${1:-build}
RUNS=${2:-20}
PEERS=${PEERS:-/tmp/peers}
PEERS_SRC=${PEERS_SRC:-/work/shared/peers}
CONFIGS=${CONFIGS:-"1:1 2:1 2:8"}
MAX_S=120

field() { # field NAME LINE -> value of NAME=... in LINE
    sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2" | head -n1
}

cli="$BUILD/tools/inception/inception"
kbench="$BUILD/tests/kernels/bench_kernels"
model=${MODEL:-}
if [[ -z "$model" && -x "$BUILD/tools/inception-make-model" ]]; then
    model=$(mktemp --suffix=.safetensors)
    trap 'rm -f "$model"' EXIT
    "$BUILD/tools/inception-make-model" "$model" >/dev/null
fi

ours() { # ours THREADS BATCH -> "ms_per_img source"
    local t=$1 b=$2 line=""
    if [[ -x "$cli" && -n "$model" ]]; then
        line=$("$cli" bench --model "$model" --threads "$t" --batch "$b" --runs "$RUNS" \
            2>/dev/null | grep -m1 'median_ms=' || true)
        if [[ -n "$line" ]]; then
            local ms; ms=$(field median_ms "$line")
            echo "$(awk -v m="$ms" -v b="$b" 'BEGIN{printf "%.2f", m/b}') inception-bench"
            return
        fi
    fi
    [[ -x "$kbench" ]] || { echo "no $cli and no $kbench: build the tree first" >&2; exit 1; }
    if [[ -n "$model" ]]; then
        line=$("$kbench" model "$model" simd "$t" "$b" "$RUNS" | grep -m1 RESULT || true)
        if [[ -n "$line" ]]; then
            echo "$(field ms_per_img "$line") session-run"
            return
        fi
    fi
    line=$("$kbench" net simd "$t" "$b" "$RUNS" | grep -m1 RESULT)
    echo "$(field ms_per_img "$line") kernels-only"
}

ort() {
    local line
    line=$(NODE_PATH="$PEERS/ort/node_modules" node "$PEERS_SRC/ort_bench.js" "$1" "$2" "$RUNS" \
        "$MAX_S" | grep -m1 RESULT)
    field ms_per_img "$line"
}

torch() {
    local variant=jit_cl line
    [[ $1 == 1 ]] && variant=ofi # Debian's torch sends 1x1 convs to slow BLAS at 1 thread
    line=$(/usr/bin/python3 "$PEERS_SRC/torch_bench.py" "$1" "$2" "$variant" "$RUNS" "$MAX_S" |
        grep -m1 RESULT || true)
    field ms_per_img "$line"
}

printf '%-8s %-6s %12s %12s %12s %10s %10s  %s\n' threads batch "ours ms/img" "ort ms/img" \
    "torch ms/img" ours/ort ours/torch source
for cfg in $CONFIGS; do
    t=${cfg%%:*} b=${cfg##*:}
    read -r o src < <(ours "$t" "$b")
    r=$(ort "$t" "$b")
    p="-"
    [[ -z ${SKIP_TORCH:-} ]] && p=$(torch "$t" "$b")
    [[ -z "$p" ]] && p="-"
    ratio() { [[ $2 == "-" ]] && echo "-" || awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; }
    printf '%-8s %-6s %12s %12s %12s %10s %10s  %s\n' "$t" "$b" "$o" "$r" "$p" \
        "$(ratio "$o" "$r")" "$(ratio "$o" "$p")" "$src"
done
echo "ratio < 1: libinception is faster (time per image; for batch 8 that is 1/throughput)"

#!/usr/bin/env bash
# Time libinception against ONNX Runtime as alternating pairs (ours, ORT, ours, ORT, ...) and
# print each pair's ratio and their median. On a shared machine load changes within seconds,
# so two long blocks one after the other measure the load as much as the engines; a pair's
# two samples are seconds apart, and the median of several pairs drops the pairs a burst of
# load hit on one side. This is a benchmark, not a test: it prints figures, asserts nothing.
#
# Usage: tools/peers_compare.sh [BUILD_DIR] [PAIRS] [RUNS]
#   BUILD_DIR  a configured meson build of this tree (default: build)
#   PAIRS      ours/ORT pairs per configuration (default 5, at least 5 for a quotable median)
#   RUNS       timed runs per sample, after each engine's own warm-up (default 5); a
#              sample is the median of its runs
# Environment:
#   PEERS       where ../shared/peers/setup.sh put the ONNX model and node modules (/tmp/peers);
#               nothing is downloaded here: run that setup once beforehand
#   PEERS_SRC   the peer scripts (default: /work/shared/peers)
#   MODEL       a .safetensors model for `inception bench` (default: a synthetic one made
#               with the build's inception-make-model; timing does not depend on weights)
#   CONFIGS     "THREADS:BATCH ..." (default "1:1 2:1 2:8")
#   BACKEND     our backend (default simd; INCEPTION_SIMD_LEVEL caps its ISA as usual)
#   TORCH=1     also time PyTorch once per configuration after the pairs (not paired)
# Size is 299x299 (the exported ONNX model's). Batch 8 ratios are time per image, so the
# throughput ratio is their inverse (printed too).
# Python: /usr/bin/python3 (Debian's, with torch) for the optional PyTorch peer.
set -euo pipefail

BUILD=${1:-build}
PAIRS=${2:-5}
RUNS=${3:-5}
PEERS=${PEERS:-/tmp/peers}
PEERS_SRC=${PEERS_SRC:-/work/shared/peers}
CONFIGS=${CONFIGS:-"1:1 2:1 2:8"}
BACKEND=${BACKEND:-simd}
SIZE=299x299
MAX_S=120

field() { # field NAME LINE -> value of NAME=... in LINE
    sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2" | head -n1
}
die() { echo "peers_compare: $*" >&2; exit 1; }

cli="$BUILD/tools/inception/inception"
kbench="$BUILD/tests/kernels/bench_kernels"
[[ -x "$cli" ]] || die "no $cli: build the tree first (ninja -C $BUILD)"
[[ -f "$PEERS/inception_v3.onnx" && -d "$PEERS/ort/node_modules/onnxruntime-node" ]] ||
    die "no ONNX Runtime peer in $PEERS: run 'bash $PEERS_SRC/setup.sh' once"
model=${MODEL:-}
if [[ -z "$model" ]]; then
    model=$(mktemp --suffix=.safetensors)
    trap 'rm -f "$model"' EXIT
    "$BUILD/tools/inception-make-model" "$model" >/dev/null
fi

ours() { # ours THREADS BATCH -> ms per image (median of RUNS after one warm-up run)
    local line
    line=$("$cli" bench --model "$model" --backend "$BACKEND" --size "$SIZE" --threads "$1" \
        --batch "$2" --runs "$RUNS" 2>/dev/null | grep -m1 'median_ms=') || die "inception bench failed"
    field ms_per_img "$line"
}

ort() { # ort THREADS BATCH -> ms per image (median of RUNS after 3 warm-up runs)
    local line
    line=$(NODE_PATH="$PEERS/ort/node_modules" node "$PEERS_SRC/ort_bench.js" "$1" "$2" "$RUNS" \
        "$MAX_S" | grep -m1 'ms_per_img=') || die "ort_bench.js failed"
    field ms_per_img "$line"
}

torch() {
    local variant=jit_cl line
    [[ $1 == 1 ]] && variant=ofi # Debian's torch sends 1x1 convs to slow BLAS at 1 thread
    line=$(/usr/bin/python3 "$PEERS_SRC/torch_bench.py" "$1" "$2" "$variant" "$RUNS" "$MAX_S" |
        grep -m1 'ms_per_img=' || true)
    field ms_per_img "$line"
}

median() { sort -g | awk '{a[NR]=$1} END{if (NR%2) printf "%.3f", a[(NR+1)/2];
    else printf "%.3f", (a[NR/2]+a[NR/2+1])/2}'; }

isa=$("$cli" info --model "$model" --backend "$BACKEND" 2>/dev/null |
    sed -n 's/^backend:.*isa \([^)]*\)).*/\1/p')
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
ort_version=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' \
    "$PEERS/ort/node_modules/onnxruntime-node/package.json" | head -n1)
echo "# cpu: $cpu; $(nproc) online cores; our backend $BACKEND, isa ${isa:-unknown}"
echo "# onnxruntime-node ${ort_version:-?} (CPU EP, optimisation 'all'); size $SIZE; $PAIRS pairs" \
    "of $RUNS runs per sample, alternating ours then ORT"
if [[ -x "$kbench" ]]; then
    "$kbench" peak | sed 's/^RESULT peak /# FMA peak, one core, best of 5 in thread CPU time: /'
fi
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

for cfg in $CONFIGS; do
    t=${cfg%%:*} b=${cfg##*:}
    ratios=() os=() rs=()
    for ((i = 1; i <= PAIRS; i++)); do
        o=$(ours "$t" "$b")
        r=$(ort "$t" "$b")
        q=$(awk -v a="$o" -v b="$r" 'BEGIN{printf "%.3f", a/b}')
        ratios+=("$q") os+=("$o") rs+=("$r")
        printf 'pair threads=%s batch=%s i=%d ours_ms_per_img=%s ort_ms_per_img=%s ratio=%s\n' \
            "$t" "$b" "$i" "$o" "$r" "$q"
    done
    mr=$(printf '%s\n' "${ratios[@]}" | median)
    mo=$(printf '%s\n' "${os[@]}" | median)
    mo_ort=$(printf '%s\n' "${rs[@]}" | median)
    tp=$(awk -v q="$mr" 'BEGIN{printf "%.2f", 1/q}')
    p=-
    [[ -n ${TORCH:-} ]] && { p=$(torch "$t" "$b"); [[ -z "$p" ]] && p=-; }
    line=$(printf 'RESULT isa=%s threads=%s batch=%s size=%s pairs=%d median_ratio=%s throughput_x=%s ours_median_ms_per_img=%s ort_median_ms_per_img=%s torch_ms_per_img=%s ratios=%s' \
        "${isa:-unknown}" "$t" "$b" "$SIZE" "$PAIRS" "$mr" "$tp" "$mo" "$mo_ort" "$p" \
        "$(IFS=,; echo "${ratios[*]}")")
    echo "$line"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# ratio = our time per image / ORT's (< 1: libinception faster); throughput_x = 1/ratio"

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
#   INT8=1      int8 mode (docs/int8.md "Against ONNX Runtime int8"): each round times, one
#               after the other, ours int8, ORT int8 (a QDQ export of the same quantised
#               network), ours fp32 and ORT fp32 (the fp32 export of the same float model),
#               and prints per round and as medians: ours int8 / ORT int8, ours int8 / ours
#               fp32, ORT int8 / ORT fp32, ours fp32 / ORT fp32. MODEL defaults here to the
#               realistic-BN model (10 classes, tests/golden/data/v3_bnaux.bnstats); it is
#               quantised with `inception quantize --calibrate $CALIBRATE` (default
#               tests/image/data) and exported with tools/export_qdq_onnx.py (needs Debian's
#               python3-torch, python3-torchvision, python3-onnx) into a temporary folder.
#   INT8_MODEL, QDQ_ONNX, FP32_ONNX  use these files instead of making them (all three)
#   LAST        Mixed_7c's output in the QDQ export: float (default, as ours) or uint8
#   STAT        what a sample is: median (default: the median of its RUNS runs) or min (the
#               fastest run, the least disturbed one on a loaded machine); per image either way
# Size is 299x299 (the exported ONNX model's). Batch 8 ratios are time per image, so the
# throughput ratio is their inverse (printed too).
# Python: /usr/bin/python3 (Debian's, with torch) for the optional PyTorch peer and INT8=1.
# Examples: bash tools/peers_compare.sh build 5 5
#           INT8=1 CONFIGS="1:1 2:1 2:8" bash tools/peers_compare.sh build 5 5
set -euo pipefail

BUILD=${1:-build}
PAIRS=${2:-5}
RUNS=${3:-5}
PEERS=${PEERS:-/tmp/peers}
PEERS_SRC=${PEERS_SRC:-/work/shared/peers}
CONFIGS=${CONFIGS:-"1:1 2:1 2:8"}
BACKEND=${BACKEND:-simd}
STAT=${STAT:-median}
[[ $STAT == median || $STAT == min ]] || { echo "peers_compare: STAT is median or min" >&2; exit 2; }
SIZE=299x299
MAX_S=120

field() { # field NAME LINE -> value of NAME=... in LINE
    sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2" | head -n1
}
per_img() { # per_img RESULT_LINE BATCH -> the sample's ms per image (STAT)
    if [[ $STAT == min ]]; then
        awk -v m="$(field min_ms "$1")" -v b="$2" 'BEGIN{printf "%.3f", m/b}'
    else
        field ms_per_img "$1"
    fi
}
die() { echo "peers_compare: $*" >&2; exit 1; }

cli="$BUILD/tools/inception/inception"
kbench="$BUILD/tests/kernels/bench_kernels"
[[ -x "$cli" ]] || die "no $cli: build the tree first (ninja -C $BUILD)"
[[ -f "$PEERS/inception_v3.onnx" && -d "$PEERS/ort/node_modules/onnxruntime-node" ]] ||
    die "no ONNX Runtime peer in $PEERS: run 'bash $PEERS_SRC/setup.sh' once"
model=${MODEL:-}
INT8=${INT8:-}
LAST=${LAST:-float}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -z "$model" ]]; then
    model=$tmp/float.safetensors
    if [[ -n "$INT8" ]]; then
        "$BUILD/tools/inception-make-model" "$model" --classes 10 --aux-bn \
            --bn-stats "$here/../tests/golden/data/v3_bnaux.bnstats" >/dev/null
    else
        "$BUILD/tools/inception-make-model" "$model" >/dev/null
    fi
fi
ort_model=$PEERS/inception_v3.onnx
if [[ -n "$INT8" ]]; then
    q8=${INT8_MODEL:-} qdq=${QDQ_ONNX:-} ort_model=${FP32_ONNX:-}
    if [[ -z "$q8" || -z "$qdq" || -z "$ort_model" ]]; then
        [[ -z "$q8$qdq${FP32_ONNX:-}" ]] || die "give all of INT8_MODEL, QDQ_ONNX, FP32_ONNX or none"
        q8=$tmp/int8.safetensors qdq=$tmp/qdq.onnx ort_model=$tmp/fp32.onnx
        "$cli" quantize -q "$model" --calibrate "${CALIBRATE:-$here/../tests/image/data}" \
            -o "$q8" >/dev/null || die "inception quantize failed"
        /usr/bin/python3 "$here/export_qdq_onnx.py" "$q8" -o "$qdq" --last "$LAST" \
            --float "$model" --float-out "$ort_model" 2>/dev/null | sed 's/^RESULT /# /' ||
            die "export_qdq_onnx.py failed"
    fi
fi

ours() { # ours THREADS BATCH [MODEL] -> ms per image (median of RUNS after one warm-up run)
    local line
    line=$("$cli" bench --model "${3:-$model}" --backend "$BACKEND" --size "$SIZE" --threads "$1" \
        --batch "$2" --runs "$RUNS" 2>/dev/null | grep -m1 'median_ms=') || die "inception bench failed"
    per_img "$line" "$2"
}

ort() { # ort THREADS BATCH [MODEL] -> ms per image (median of RUNS after 3 warm-up runs)
    local line
    line=$(NODE_PATH="$PEERS/ort/node_modules" node "$PEERS_SRC/ort_bench.js" "$1" "$2" "$RUNS" \
        "$MAX_S" "${3:-$ort_model}" | grep -m1 'ms_per_img=') || die "ort_bench.js failed"
    per_img "$line" "$2"
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
    "of $RUNS runs per sample (sample = $STAT run), alternating ours then ORT"
if [[ -x "$kbench" ]]; then
    "$kbench" peak | sed 's/^RESULT peak /# FMA peak, one core, best of 5 in thread CPU time: /'
fi
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; }

if [[ -n "$INT8" ]]; then
    q8_level=$("$cli" info "$q8" 2>/dev/null | sed -n 's/^precision: *//p')
    echo "# int8 mode: ours $q8 ($q8_level); ORT int8 $qdq (Mixed_7c output $LAST); ORT fp32" \
        "$ort_model; float model $model; each round: ours int8, ORT int8, ours fp32, ORT fp32"
    for cfg in $CONFIGS; do
        t=${cfg%%:*} b=${cfg##*:}
        oi=() ri=() of=() rf=() r1=() r2=() r3=() r4=()
        for ((i = 1; i <= PAIRS; i++)); do
            a=$(ours "$t" "$b" "$q8") c=$(ort "$t" "$b" "$qdq")
            d=$(ours "$t" "$b" "$model") e=$(ort "$t" "$b" "$ort_model")
            oi+=("$a") ri+=("$c") of+=("$d") rf+=("$e")
            r1+=("$(ratio "$a" "$c")") r2+=("$(ratio "$a" "$d")")
            r3+=("$(ratio "$c" "$e")") r4+=("$(ratio "$d" "$e")")
            printf 'round threads=%s batch=%s i=%d ours_int8=%s ort_int8=%s ours_fp32=%s ort_fp32=%s ours8/ort8=%s ours8/ours32=%s ort8/ort32=%s ours32/ort32=%s\n' \
                "$t" "$b" "$i" "$a" "$c" "$d" "$e" "${r1[-1]}" "${r2[-1]}" "${r3[-1]}" "${r4[-1]}"
        done
        med() { printf '%s\n' "$@" | median; }
        printf 'RESULT int8 isa=%s threads=%s batch=%s size=%s rounds=%d stat=%s ours8_over_ort8=%s ours8_over_ours32=%s ort8_over_ort32=%s ours32_over_ort32=%s ours_int8_ms_per_img=%s ort_int8_ms_per_img=%s ours_fp32_ms_per_img=%s ort_fp32_ms_per_img=%s load=%s\n' \
            "${isa:-unknown}" "$t" "$b" "$SIZE" "$PAIRS" "$STAT" "$(med "${r1[@]}")" "$(med "${r2[@]}")" \
            "$(med "${r3[@]}")" "$(med "${r4[@]}")" "$(med "${oi[@]}")" "$(med "${ri[@]}")" \
            "$(med "${of[@]}")" "$(med "${rf[@]}")" "$(cut -d' ' -f1 /proc/loadavg)"
    done
    echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# ratios are medians of the per-round ratios (time per image; < 1: the first is faster)"
    exit 0
fi

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

#!/bin/bash
# int8 vs fp32 latency of our library, as alternating pairs (benchmark, not CI; docs/int8.md).
# usage: tools/int8_bench.sh FLOAT.safetensors INT8.safetensors [PAIRS=5] [THREADS=2] [RUNS=5]
# Against ONNX Runtime int8 and fp32 in the same rounds: INT8=1 bash tools/peers_compare.sh.
set -euo pipefail
B=${INCEPTION_BIN:-build/tools/inception/inception}
F=$1 Q=$2 PAIRS=${3:-5} T=${4:-2} R=${5:-5}
f=() q=()
for i in $(seq "$PAIRS"); do
    f+=("$($B bench --model "$F" --threads "$T" --runs "$R" 2>/dev/null | sed -n 's/.* median_ms=\([0-9.]*\).*/\1/p')")
    q+=("$($B bench --model "$Q" --threads "$T" --runs "$R" 2>/dev/null | sed -n 's/.* median_ms=\([0-9.]*\).*/\1/p')")
    mem=$($B bench --model "$Q" --threads "$T" --runs 1 2>/dev/null | sed -n 's/.*memory_mib=\([0-9.]*\).*/\1/p')
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
ratios=()
for i in $(seq 0 $((PAIRS - 1))); do ratios+=("$(awk -v a="${q[$i]}" -v b="${f[$i]}" 'BEGIN{printf "%.3f", a/b}')"); done
isa=$($B info "$Q" 2>/dev/null | sed -n 's/^precision: *//p')
echo "fp32 medians (ms): ${f[*]}"
echo "int8 medians (ms): ${q[*]}"
echo "int8/fp32 per pair: ${ratios[*]}"
echo "RESULT threads=$T batch=1 fp32_ms=$(med "${f[@]}") int8_ms=$(med "${q[@]}") ratio_median=$(med "${ratios[@]}") int8_session_mib=$mem int8=[$isa]"

#!/bin/sh
# tools/fetch_weights.sh must fail fast and cleanly when the download cannot happen. The
# URL is pointed at a closed port on the loopback address so the test sends nothing off
# this machine.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0; failed=0
start=$(date +%s)
INCEPTION_WEIGHTS_URL=http://127.0.0.1:9/model.safetensors INCEPTION_FETCH_CONNECT_TIMEOUT=5 \
    sh "$ROOT/tools/fetch_weights.sh" -o "$TMP/w/model.safetensors" 2>"$TMP/err"
rc=$?
elapsed=$(( $(date +%s) - start ))
if [ $rc -eq 1 ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAIL: exit $rc, want 1"; fi
if grep -q "download failed" "$TMP/err"; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAIL: no clear message"; cat "$TMP/err"; fi
if [ -z "$(ls -A "$TMP/w" 2>/dev/null)" ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAIL: left files behind"; ls "$TMP/w"; fi
# Failing fast is a behaviour, not a benchmark: only a gross hang (> 60 s) counts.
if [ $elapsed -le 60 ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAIL: took ${elapsed}s"; fi
sh "$ROOT/tools/fetch_weights.sh" --variant nope >/dev/null 2>&1
if [ $? -eq 2 ]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAIL: bad variant not a usage error"; fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

#!/bin/sh
# End-to-end test of the `inception` command on a synthetic-weight model made with
# inception-make-model. Usage: test_cli.sh INCEPTION MAKE_MODEL DATA_DIR
# Exits 77 (skipped) when inception-make-model is not built.
INCEPTION=$1
MAKE_MODEL=$2
DATA=$3
if [ ! -x "$MAKE_MODEL" ]; then
    echo "SKIP: inception-make-model not found at $MAKE_MODEL; the CLI test needs it"
    exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
check() { # check NAME EXPECTED_EXIT COMMAND...
    name=$1; want=$2; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$name"; else
        fail "$name: exit $got, want $want"; sed 's/^/    /' "$TMP/err" | head -5; fi
}
has() { # has NAME FILE PATTERN
    if grep -q -- "$3" "$2"; then ok "$1"; else fail "$1: no '$3' in $2"; sed 's/^/    /' "$2" | head -5; fi
}

MODEL="$TMP/model.safetensors"
"$MAKE_MODEL" "$MODEL" >/dev/null || { echo "inception-make-model failed"; exit 1; }
JPG="$DATA/matplotlib_grace_hopper.jpg"
PNG="$DATA/skimage_chelsea_cat.png"

check "classify text" 0 "$INCEPTION" classify --model "$MODEL" --top 3 "$JPG" "$PNG"
has "classify: one line per image" "$TMP/out" "grace_hopper.jpg: "
[ "$(wc -l <"$TMP/out")" -eq 2 ] && ok "classify: two lines" || fail "classify: two lines"
has "classify: synthetic warning" "$TMP/err" "synthetic"
has "classify: throughput summary" "$TMP/err" "images/s"

check "classify json" 1 "$INCEPTION" classify --model "$MODEL" --json --top 2 "$JPG" \
    "$DATA/variants/text.txt" "$TMP/missing.jpg"
has "json: top array" "$TMP/out" '"top":\[{"class":[0-9]*,"label":"[^"]*","probability":'
has "json: synthetic field" "$TMP/out" '"synthetic":true'
has "json: image error" "$TMP/out" '"error":{"code":13,"status":'
has "json: io error" "$TMP/out" '"error":{"code":3,'
[ "$(wc -l <"$TMP/out")" -eq 3 ] && ok "json: one object per image" || fail "json: one object per image"

check "classify via INCEPTION_MODEL" 0 env INCEPTION_MODEL="$MODEL" "$INCEPTION" classify -q "$PNG"
check "no model anywhere" 3 env -u INCEPTION_MODEL XDG_CACHE_HOME="$TMP/nocache" \
    "$INCEPTION" classify "$PNG"
has "no model: says where it looked" "$TMP/err" "$TMP/nocache/inception/inception_v3.safetensors"
mkdir -p "$TMP/cache/inception" && cp "$MODEL" "$TMP/cache/inception/inception_v3.safetensors"
check "model from cache dir" 0 env -u INCEPTION_MODEL XDG_CACHE_HOME="$TMP/cache" \
    "$INCEPTION" classify -q "$PNG"
check "bad model file" 3 "$INCEPTION" classify --model "$PNG" "$PNG"
check "usage: no command" 2 "$INCEPTION"
check "usage: bad --top" 2 "$INCEPTION" classify --model "$MODEL" --top 0 "$PNG"
check "usage: unknown option" 2 "$INCEPTION" classify --frobnicate "$PNG"
check "usage: no images" 2 "$INCEPTION" classify --model "$MODEL"

check "features npy" 0 "$INCEPTION" features --model "$MODEL" -o "$TMP/f.npy" "$JPG" "$PNG"
size=$(wc -c <"$TMP/f.npy")
[ "$size" -eq $((128 + 2 * 2048 * 4)) ] && ok "npy: size" || fail "npy: size $size"
head -c 6 "$TMP/f.npy" | od -c | grep -q "N   U   M   P   Y" && ok "npy: magic" || fail "npy: magic"
has "npy: shape" "$TMP/f.npy" "'shape': (2, 2048)"
check "features csv with a failure" 1 "$INCEPTION" features --model "$MODEL" --format csv \
    "$PNG" "$DATA/variants/empty.bin"
[ "$(head -1 "$TMP/out" | tr ',' '\n' | wc -l)" -eq 2049 ] && ok "csv: 2048 columns" \
    || fail "csv: 2048 columns"
has "csv: NaN row for the failure" "$TMP/out" "empty.bin,nan"

check "info" 0 "$INCEPTION" info "$MODEL"
has "info: preset" "$TMP/out" "preset: *timm"
has "info: crc" "$TMP/out" "crc32: *[0-9a-f]\{8\}"
has "info: synthetic" "$TMP/out" "synthetic: *yes"
check "info: missing file" 3 "$INCEPTION" info "$TMP/none.safetensors"

check "bench" 0 "$INCEPTION" bench --model "$MODEL" --size 75x75 --runs 2 --threads 1 --profile
has "bench: latency" "$TMP/out" "latency median"
has "bench: images/s" "$TMP/out" "images/s"
has "bench: profile table" "$TMP/out" "GFLOP/s"
check "bench: bad size" 2 "$INCEPTION" bench --model "$MODEL" --size 75by75

# Issue 10: load options, models without labels or fc, 1001-class indices, info.
check "info (issue 10 fields)" 0 "$INCEPTION" info "$MODEL"
has "info: isa" "$TMP/out" "backend: *[a-z0-9-]* (isa [a-z0-9]*)"
has "info: both parameter counts" "$TMP/out" "parameters: *23834568 (27161264 with the aux head)"
has "info: fc" "$TMP/out" "classifier (fc): *yes"
has "info: library version" "$TMP/out" "library: *[0-9]"
"$MAKE_MODEL" "$TMP/five.safetensors" --classes 5 --no-aux >/dev/null
"$MAKE_MODEL" "$TMP/trunk.safetensors" --classes 0 >/dev/null
"$MAKE_MODEL" "$TMP/tf.safetensors" --classes 1001 --no-aux >/dev/null
printf 'cat\ndog\nfox\nowl\nbee\n' > "$TMP/five.txt"
check "info: 5 classes" 0 "$INCEPTION" info "$TMP/five.safetensors"
has "info: no ImageNet names for 5 classes" "$TMP/out" "labels: *no (results show class numbers"
check "info: --labels" 0 "$INCEPTION" info --labels "$TMP/five.txt" "$TMP/five.safetensors"
has "info: labels from --labels" "$TMP/out" "labels: *yes"
check "info: --preset --mean --std --pool-include-pad" 0 "$INCEPTION" info --preset resize \
    --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --pool-include-pad 0 "$MODEL"
has "info: preset resize" "$TMP/out" "preset: *resize"
has "info: mean/std" "$TMP/out" "normalization: *mean=0.485,0.456,0.406 std=0.229,0.224,0.225"
has "info: pool rule" "$TMP/out" "avgpool with pad: *no"
check "usage: bad --preset" 2 "$INCEPTION" info --preset keras "$MODEL"
has "bad --preset: names the choices" "$TMP/err" "resize or unit"
check "usage: bad --std" 2 "$INCEPTION" info --std 0,1,1 "$MODEL"
check "usage: bad --pool-include-pad" 2 "$INCEPTION" info --pool-include-pad 2 "$MODEL"
check "bad --labels count" 3 "$INCEPTION" info --labels "$TMP/five.txt" "$MODEL"
has "bad --labels: the counts" "$TMP/err" "has 5 labels, expected 1000"
check "info: trunk" 0 "$INCEPTION" info "$TMP/trunk.safetensors"
has "info: trunk has no fc" "$TMP/out" "classifier (fc): *no"
check "classify: 5 classes json" 0 "$INCEPTION" classify --model "$TMP/five.safetensors" --json --top 2 "$PNG"
has "json: label null without labels" "$TMP/out" '"top":\[{"class":[0-4],"label":null,"probability":'
check "classify: 5 classes text" 0 "$INCEPTION" classify --model "$TMP/five.safetensors" --top 2 "$PNG"
has "text: class N without labels" "$TMP/out" "class [0-4] ([0-4])"
check "classify: --labels" 0 "$INCEPTION" classify --model "$TMP/five.safetensors" --labels "$TMP/five.txt" --json "$PNG"
has "json: labels from the file" "$TMP/out" '"label":"\(cat\|dog\|fox\|owl\|bee\)"'
check "classify: 1001 classes json" 0 "$INCEPTION" classify --model "$TMP/tf.safetensors" --json --top 1001 "$PNG"
has "json: imagenet_class beside class" "$TMP/out" '{"class":1,"imagenet_class":0,"label":"tench"'
has "json: background has no imagenet_class" "$TMP/out" '{"class":0,"imagenet_class":null,"label":"background"'
check "classify: trunk" 1 "$INCEPTION" classify --model "$TMP/trunk.safetensors" "$PNG"
has "classify: trunk says no fc" "$TMP/err" "no fc layer"
check "features: trunk" 0 "$INCEPTION" features --model "$TMP/trunk.safetensors" --format csv "$PNG"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

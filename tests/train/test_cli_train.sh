#!/bin/sh
# `inception train` end to end on a few hundred generated PNGs (3 colour classes, one broken
# file): JSON lines, the summary above chance, the broken image reported, a second run
# served from the feature cache, --resume continuing from the checkpoint, --plot.
# usage: test_cli_train.sh INCEPTION INCEPTION-MAKE-MODEL
set -eu
CLI=$1
MAKE=$2
PY=$(command -v python3 || true)
[ -n "$PY" ] || { echo "SKIP: no python3 to draw the test images"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$MAKE" "$TMP/base.safetensors" >/dev/null
"$PY" - "$TMP/data" <<'PY'
import os, random, struct, sys, zlib
root = sys.argv[1]
def png(path, w, h, rgb):
    raw = b"".join(b"\0" + bytes(rgb(x, y)[c] for x in range(w) for c in range(3)) for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
r = random.Random(0)
for cls, name in ((2, "blue"), (1, "green"), (0, "red")):
    os.makedirs(os.path.join(root, name))
    for i in range(50):
        w, h = 30 + i % 7 * 5, 28 + i % 5 * 6
        def rgb(x, y, cls=cls):
            return [min(255, max(0, (170 if c == cls else 60) + r.randint(-32, 31))) for c in range(3)]
        png(os.path.join(root, name, "img%03d.png" % i), w, h, rgb)
open(os.path.join(root, "green", "broken.png"), "wb").write(b"not an image")
PY
OPTS="--model $TMP/base.safetensors --size 75x75 --batch 32 --optimizer sgd --lr 0.2 --val 0.2 --threads 2"
"$CLI" train "$TMP/data" $OPTS -o "$TMP/out.safetensors" --epochs 3 --plot "$TMP/curve.png" \
    >"$TMP/out.json" 2>"$TMP/err.txt" || { cat "$TMP/err.txt"; exit 1; }
cat "$TMP/out.json"
[ "$(grep -c '"epoch"' "$TMP/out.json")" -eq 3 ] || { echo "FAIL: expected 3 epoch lines"; exit 1; }
grep -q 'skipped .*broken.png' "$TMP/err.txt" || { echo "FAIL: broken image not reported"; cat "$TMP/err.txt"; exit 1; }
grep -q 'confusion matrix' "$TMP/err.txt" || { echo "FAIL: no confusion matrix"; exit 1; }
"$PY" - "$TMP/out.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
s = lines[-1]
assert s["summary"] and s["labels"] == ["blue", "green", "red"], s
assert s["val_top1"] > 0.5 > s["chance"], "validation top-1 %.3f is not above chance" % s["val_top1"]
assert sum(map(sum, s["confusion"])) > 0
print("top-1 %.3f, chance %.3f" % (s["val_top1"], s["chance"]))
PY
head -c 8 "$TMP/curve.png" | od -c | grep -q 'P   N   G' || { echo "FAIL: --plot did not write a PNG"; exit 1; }
# the saved model classifies with the new labels
"$CLI" classify --model "$TMP/out.safetensors" --top 3 --json "$TMP/data/red/img000.png" >"$TMP/cls.json"
for l in blue green red; do
    grep -q "\"label\": *\"$l\"" "$TMP/cls.json" || { echo "FAIL: label $l not in"; cat "$TMP/cls.json"; exit 1; }
done
# second run: every feature comes from the cache next to the output
"$CLI" train "$TMP/data" $OPTS -o "$TMP/out.safetensors" --epochs 1 -q >"$TMP/again.json" 2>/dev/null
grep -q '"cache_misses": 0' "$TMP/again.json" || { echo "FAIL: second run missed the cache"; cat "$TMP/again.json"; exit 1; }
# resume: epoch 3 continues from the checkpoint of a 2-epoch run
"$CLI" train "$TMP/data" $OPTS -o "$TMP/r.safetensors" --epochs 2 --resume "$TMP/r.ckpt" -q >/dev/null 2>&1
"$CLI" train "$TMP/data" $OPTS -o "$TMP/r.safetensors" --epochs 3 --resume "$TMP/r.ckpt" >"$TMP/r.json" 2>"$TMP/r.err"
grep -q 'resumed from' "$TMP/r.err" && grep -q '"epoch": 3' "$TMP/r.json" && ! grep -q '"epoch": 1' "$TMP/r.json" \
    || { echo "FAIL: resume"; cat "$TMP/r.err" "$TMP/r.json"; exit 1; }
# bad input: a folder with one class
mkdir -p "$TMP/one/only" && cp "$TMP/data/red/img000.png" "$TMP/one/only/"
if "$CLI" train "$TMP/one" $OPTS -o "$TMP/x.safetensors" 2>"$TMP/one.err"; then echo "FAIL: one class accepted"; exit 1; fi
grep -q 'at least 2' "$TMP/one.err" || { cat "$TMP/one.err"; exit 1; }
# --scope: Mixed_7c and the head trained end to end from the folder (no feature cache)
"$CLI" train "$TMP/data" $OPTS --scope Mixed_7c -o "$TMP/scope.safetensors" --epochs 1 \
    >"$TMP/scope.json" 2>"$TMP/scope.err" || { cat "$TMP/scope.err"; exit 1; }
[ "$(grep -c '"epoch"' "$TMP/scope.json")" -eq 1 ] || { echo "FAIL: --scope: expected 1 epoch line"; exit 1; }
head -c 100000 "$TMP/scope.safetensors" | grep -q '"inception.train.scope":"Mixed_7c"' || { echo "FAIL: --scope not recorded"; exit 1; }
if "$CLI" train "$TMP/data" $OPTS --scope Mixed_9 -o "$TMP/x.safetensors" 2>"$TMP/scope_bad.err"; then echo "FAIL: bad scope accepted"; exit 1; fi
grep -q 'valid scopes' "$TMP/scope_bad.err" || { cat "$TMP/scope_bad.err"; exit 1; }
# --epsilon / --epsilon-placement reach the trainer: a checkpoint made with them does not
# resume without them (the settings are compared), and a bad placement is named
"$CLI" train "$TMP/data" $OPTS -o "$TMP/e.safetensors" --epochs 1 --epsilon 1e-6 --epsilon-placement pytorch \
    --resume "$TMP/e.ckpt" -q >/dev/null 2>"$TMP/e.err" || { cat "$TMP/e.err"; exit 1; }
if "$CLI" train "$TMP/data" $OPTS -o "$TMP/e.safetensors" --epochs 2 --epsilon 1e-6 --resume "$TMP/e.ckpt" \
    -q >/dev/null 2>"$TMP/e2.err"; then echo "FAIL: placement not recorded"; exit 1; fi
grep -q 'TRAIN_EPSILON_PLACEMENT' "$TMP/e2.err" || { cat "$TMP/e2.err"; exit 1; }
if "$CLI" train "$TMP/data" $OPTS -o "$TMP/x.safetensors" --epsilon-placement keras 2>"$TMP/e3.err"; then
    echo "FAIL: bad placement accepted"; exit 1; fi
grep -q 'tf or pytorch' "$TMP/e3.err" || { cat "$TMP/e3.err"; exit 1; }
for bad in 0 abc; do
    rc=0
    "$CLI" train "$TMP/data" $OPTS -o "$TMP/x.safetensors" --epsilon "$bad" 2>"$TMP/e4.err" || rc=$?
    [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || { echo "FAIL: --epsilon $bad exited $rc"; cat "$TMP/e4.err"; exit 1; }
    grep -q -- "--epsilon: .*$bad" "$TMP/e4.err" || { cat "$TMP/e4.err"; exit 1; }
done
# bad --head-init: the library's message and a plain non-zero exit (not a signal), no file
rc=0
"$CLI" train "$TMP/data" $OPTS --head-init bogus -o "$TMP/init.safetensors" 2>"$TMP/init_bad.err" || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || { echo "FAIL: --head-init bogus exited $rc"; cat "$TMP/init_bad.err"; exit 1; }
grep -q "TRAIN_HEAD_INIT must be torchvision or linear, got 'bogus'" "$TMP/init_bad.err" || { cat "$TMP/init_bad.err"; exit 1; }
[ ! -e "$TMP/init.safetensors" ] || { echo "FAIL: --head-init bogus wrote a model"; exit 1; }
echo OK

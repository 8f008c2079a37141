#!/bin/sh
# The `inception` command's inputs, options, help, progress bar and version/info (issue 10
# points 12-15), on a 75x75 synthetic-weight model (inception-make-model) so each run is
# fast. POSIX sh; the pseudo-terminal checks use tests/cli/pty_run.py with the bare python3
# on PATH (skipped without it); the man page check uses groff when installed.
# Usage: test_cli.sh INCEPTION MAKE_MODEL DATA_DIR MAN_PAGE PTY_RUN CLASSIFY_REF
INCEPTION=$1
MAKE_MODEL=$2
DATA=$3
MAN=$4
PTY_RUN=$5
CLASSIFY_REF=$6
if [ ! -x "$MAKE_MODEL" ]; then
    echo "SKIP: inception-make-model not found at $MAKE_MODEL"
    exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
show() { sed 's/^/    /' "$1" | head -8; }
check() { # check NAME EXPECTED_EXIT COMMAND... (stdout in $TMP/out, stderr in $TMP/err)
    name=$1; want=$2; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$name"; else
        fail "$name: exit $got, want $want"; show "$TMP/err"; fi
}
has() { # has NAME FILE PATTERN (grep -e)
    if grep -q -e "$3" "$2"; then ok "$1"; else fail "$1: no '$3' in $2"; show "$2"; fi
}
hasnt() {
    if grep -q -e "$3" "$2"; then fail "$1: '$3' in $2"; show "$2"; else ok "$1"; fi
}
same() { # same NAME FILE1 FILE2 (byte for byte)
    if cmp -s "$2" "$3"; then ok "$1"; else fail "$1: $2 and $3 differ";
        diff "$2" "$3" | head -6 | sed 's/^/    /'; fi
}
equals() { # equals NAME GOT WANT
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi
}

M="$TMP/m75.safetensors"
"$MAKE_MODEL" "$M" --meta inception.input_size=75 >/dev/null || { echo "make-model failed"; exit 1; }
JPG="$DATA/matplotlib_grace_hopper.jpg"
PNG="$DATA/skimage_chelsea_cat.png"
JPG2="$DATA/skimage_rocket_falcon9.jpg"
BAD="$DATA/variants/truncated.jpg"
TXT="$DATA/variants/text.txt"
I="$INCEPTION"

# --- 13: help for every subcommand, help CMD, the man page -----------------------------
for cmd in classify features info bench; do
    check "$cmd --help" 0 "$I" "$cmd" --help
    has "$cmd --help: usage" "$TMP/out" "^usage: inception $cmd "
    has "$cmd --help: options" "$TMP/out" "^  --threads N"
    has "$cmd --help: example" "$TMP/out" "^  inception $cmd"
    cp "$TMP/out" "$TMP/help1"
    check "help $cmd" 0 "$I" help "$cmd"
    same "help $cmd = $cmd --help" "$TMP/out" "$TMP/help1"
    check "$cmd -h after other options" 0 "$I" "$cmd" --threads 1 -h
done
check "classify --help: defaults" 0 "$I" classify --help
has "classify --help: --top default" "$TMP/out" "classes to print per image (default: 5)"
has "classify --help: --batch default" "$TMP/out" "the run) (default: 1)"
check "inception --help" 0 "$I" --help
for cmd in classify features info bench help; do has "--help lists $cmd" "$TMP/out" "^  $cmd "; done
check "help of an unknown command" 2 "$I" help frobnicate
check "help --man" 0 "$I" help --man
for sec in classify features info bench; do
    has "man: section $sec" "$TMP/out" "^\.SS $sec$"; done
has "man: exit status" "$TMP/out" "^\.SH EXIT STATUS"
if [ -f "$MAN" ]; then
    same "man page in the build = help --man" "$MAN" "$TMP/out"
    if command -v groff >/dev/null 2>&1; then
        groff -man -Tutf8 -ww -z "$MAN" >"$TMP/groff" 2>&1
        if [ -s "$TMP/groff" ]; then fail "groff warns on the man page"; show "$TMP/groff"
        else ok "groff renders the man page without warnings"; fi
    fi
else
    fail "man page not built at $MAN"
fi

# --- 12: --opt=value, usage errors --------------------------------------------------------
check "--top=3" 0 "$I" classify -q --model="$M" --top=3 "$JPG"
equals "--top=3: three classes" "$(tr ',' '\n' <"$TMP/out" | wc -l | tr -d ' ')" 3
check "--top 3 = --top=3" 0 "$I" classify -q --model "$M" --top 3 "$JPG"
equals "--top 3: three classes" "$(tr ',' '\n' <"$TMP/out" | wc -l | tr -d ' ')" 3
check "--top=0 is a usage error" 2 "$I" classify --model "$M" --top=0 "$JPG"
has "--top=0: says the range" "$TMP/err" "bad value for --top: '0' (an integer from 1"
check "--json=1: flags take no value" 2 "$I" classify --model "$M" --json=1 "$JPG"
has "--json=1: message" "$TMP/err" "json takes no value"
check "--top without a value" 2 "$I" classify --model "$M" "$JPG" --top
check "an option of another command" 2 "$I" bench --top 3
has "another command's option: names it" "$TMP/err" "--top is not an option of bench"
check "unknown option" 2 "$I" classify --frobnicate "$JPG"
check "-oFILE and --output=FILE" 0 "$I" features -q --model "$M" -o"$TMP/o1.npy" "$PNG"
check "--output=FILE" 0 "$I" features -q --model "$M" --output="$TMP/o2.npy" "$PNG"
same "-oFILE = --output=FILE" "$TMP/o1.npy" "$TMP/o2.npy"
check "combined short flags -qr" 0 "$I" classify -qr --model "$M" "$PNG"
hasnt "-qr: quiet (no summary)" "$TMP/err" "images/s"
check "--format=xml" 2 "$I" features --format=xml "$JPG"
check "no images" 2 "$I" classify --model "$M"
check "-- ends the options" 1 "$I" classify -q --model "$M" -- --top
has "--: '--top' is a file" "$TMP/err" "'--top'"

# --- 12: stdin, /dev/stdin, pipes ---------------------------------------------------------
check "classify a file" 0 "$I" classify -q --model "$M" "$PNG"
sed 's/^[^:]*: //' "$TMP/out" >"$TMP/want"
check "classify - (stdin)" 0 sh -c '"$1" classify -q --model "$2" - <"$3"' sh "$I" "$M" "$PNG"
has "stdin: named -" "$TMP/out" "^-: "
sed 's/^[^:]*: //' "$TMP/out" >"$TMP/got"
same "stdin result = file result" "$TMP/got" "$TMP/want"
check "classify /dev/stdin from a pipe" 0 sh -c 'cat "$3" | "$1" classify -q --model "$2" /dev/stdin' \
    sh "$I" "$M" "$PNG"
sed 's/^[^:]*: //' "$TMP/out" >"$TMP/got"
same "pipe result = file result" "$TMP/got" "$TMP/want"
mkfifo "$TMP/fifo"
check "classify a named pipe (as process substitution gives)" 0 sh -c \
    'cat "$3" >"$4" & "$1" classify -q --model "$2" "$4"; rc=$?; wait; exit $rc' \
    sh "$I" "$M" "$PNG" "$TMP/fifo"
sed 's/^[^:]*: //' "$TMP/out" >"$TMP/got"
same "named pipe result = file result" "$TMP/got" "$TMP/want"
if command -v bash >/dev/null 2>&1; then
    check "classify <(cat IMAGE) (bash process substitution)" 0 bash -c \
        '"$1" classify -q --model "$2" <(cat "$3")' bash "$I" "$M" "$PNG"
    sed 's/^[^:]*: //' "$TMP/out" >"$TMP/got"
    same "process substitution result = file result" "$TMP/got" "$TMP/want"
fi
check "stdin over --max-stream-bytes" 1 sh -c \
    '"$1" classify -q --model "$2" --max-stream-bytes=1K - "$3" <"$3"' sh "$I" "$M" "$PNG"
has "stream limit: says so" "$TMP/err" "standard input: more than 1024 bytes"
[ "$(wc -l <"$TMP/out" | tr -d ' ')" -eq 1 ] && ok "stream limit: the other image still runs" \
    || fail "stream limit: the other image still runs"
check "bad --max-stream-bytes" 2 "$I" classify --max-stream-bytes=12Q "$PNG"
check "stdin twice is a usage error" 2 sh -c '"$1" classify --model "$2" - - <"$3"' sh "$I" "$M" "$PNG"
has "stdin twice: says why" "$TMP/err" "can be read only once"
check "features from stdin" 0 sh -c '"$1" features -q --model "$2" --format csv - <"$3"' \
    sh "$I" "$M" "$PNG"
has "features stdin: row named -" "$TMP/out" "^-,"

# --- 12: directories, -r, --files-from ---------------------------------------------------
mkdir -p "$TMP/tree/b_sub/deeper" "$TMP/tree/a_sub" "$TMP/empty"
cp "$PNG" "$TMP/tree/z.png"
cp "$JPG" "$TMP/tree/B.JPG"
cp "$JPG2" "$TMP/tree/a_sub/x.jpeg"
cp "$PNG" "$TMP/tree/b_sub/deeper/y.png"
cp "$TXT" "$TMP/tree/notes.txt"
cp "$TXT" "$TMP/tree/b_sub/fake.jpg"
check "a directory without -r fails, the rest go on" 1 "$I" classify -q --model "$M" \
    "$JPG" "$TMP/tree" "$PNG"
has "directory: says to give -r" "$TMP/err" "tree: is a directory (give -r"
equals "directory: the two images ran" "$(wc -l <"$TMP/out" | tr -d ' ')" 2
check "directory without -r in JSON" 1 "$I" classify -q --json --model "$M" "$TMP/tree"
has "directory: JSON error object" "$TMP/out" '"error":{"code":3,'
check "-r: fake.jpg fails, the others run" 1 "$I" classify -q -r --json --model "$M" "$TMP/tree"
sed 's/^{"file":"\([^"]*\)".*/\1/' "$TMP/out" >"$TMP/order"
printf '%s\n' "$TMP/tree/B.JPG" "$TMP/tree/a_sub/x.jpeg" "$TMP/tree/b_sub/deeper/y.png" \
    "$TMP/tree/b_sub/fake.jpg" "$TMP/tree/z.png" >"$TMP/order.want"
same "-r: sorted byte-wise, depth first, by extension (no notes.txt)" "$TMP/order" "$TMP/order.want"
has "-r: fake.jpg is an image error" "$TMP/out" 'fake.jpg","error":{"code":13'
check "-r on an empty directory" 1 "$I" classify -q -r --model "$M" "$TMP/empty"
has "-r empty: says so" "$TMP/err" "no \*.jpg, \*.jpeg or \*.png files"
printf '%s\n' "$PNG" "" "$JPG" >"$TMP/list"
check "--files-from LIST" 0 "$I" classify -q --model "$M" --files-from "$TMP/list"
equals "--files-from: two images (empty line skipped)" "$(wc -l <"$TMP/out" | tr -d ' ')" 2
check "--files-from - (stdin), after operands" 0 sh -c \
    'printf "%s\n" "$3" | "$1" classify -q --model "$2" --files-from=- "$4"' sh "$I" "$M" "$PNG" "$JPG"
sed 's/:.*//' "$TMP/out" >"$TMP/order"
printf '%s\n' "$JPG" "$PNG" >"$TMP/order.want"
same "--files-from -: operands first, then the list" "$TMP/order" "$TMP/order.want"
check "--files-from - with - as an image" 2 sh -c \
    'printf "%s\n" "$3" | "$1" classify --model "$2" --files-from - -' sh "$I" "$M" "$PNG"
check "--files-from a missing list" 2 "$I" classify --model "$M" --files-from "$TMP/nolist"

# --- 12: batches equal one at a time, bit for bit; a bad file among good ones --------------
set -- "$JPG" "$PNG" "$BAD" "$JPG2" "$TXT" "$DATA/variants/gray.jpg" "$TMP/missing.png" \
    "$DATA/variants/large_1200x800.jpg" "$DATA/variants/rgba.png"
for b in 1 3 8; do
    "$I" features -q --model "$M" --batch "$b" -o "$TMP/f$b.npy" "$@" 2>"$TMP/ferr$b"
    echo $? >"$TMP/frc$b"
    "$I" classify -q --json --model "$M" --batch="$b" "$@" >"$TMP/c$b.json" 2>/dev/null
    echo $? >"$TMP/crc$b"
done
equals "features with bad files: exit 1" "$(cat "$TMP/frc1")" 1
equals "classify with bad files: exit 1" "$(cat "$TMP/crc1")" 1
same "features --batch 3 = --batch 1 (bytes)" "$TMP/f3.npy" "$TMP/f1.npy"
same "features --batch 8 = --batch 1 (bytes)" "$TMP/f8.npy" "$TMP/f1.npy"
same "classify --batch 3 = --batch 1" "$TMP/c3.json" "$TMP/c1.json"
same "classify --batch 8 = --batch 1" "$TMP/c8.json" "$TMP/c1.json"
equals "npy: 9 rows" "$(wc -c <"$TMP/f1.npy" | tr -d ' ')" $((128 + 9 * 2048 * 4))
sed 's/^{"file":"\([^"]*\)".*/\1/' "$TMP/c1.json" >"$TMP/order"
printf '%s\n' "$@" >"$TMP/order.want"
same "classify: output order = input order" "$TMP/order" "$TMP/order.want"
# The library's classify_file, one image per run, gives the same classes and probabilities.
"$CLASSIFY_REF" "$M" 5 "$@" >"$TMP/ref.txt" 2>/dev/null
sed -e 's/^{"file":"\([^"]*\)","error".*/\1: error/' \
    -e 's/^{"file":"\([^"]*\)".*"top":\[/\1:/' \
    -e 's/{"class":\([0-9]*\),"label":"[^"]*","probability":\([^}]*\)},\{0,1\}/ \1 \2/g' \
    -e 's/\]}$//' "$TMP/c8.json" >"$TMP/c8.txt"
same "classify --batch 8 = the library's classify_file" "$TMP/c8.txt" "$TMP/ref.txt"
equals "classify_file: 6 images with 5 classes each" \
    "$(grep -c '^[^ ]*: [0-9]* [0-9.e-]* [0-9]* [0-9.e-]* [0-9]* [0-9.e-]* [0-9]* [0-9.e-]* [0-9]* [0-9.e-]*$' "$TMP/ref.txt")" 6
equals "classify: 3 errors" "$(grep -c '"error"' "$TMP/c8.json")" 3
has "bad file: its error names it" "$TMP/ferr8" "truncated.jpg"
"$I" features -q --model "$M" --format csv --batch 4 "$@" >"$TMP/f.csv" 2>/dev/null
equals "csv: NaN rows for the 3 failures" "$(grep -c ',nan,' "$TMP/f.csv")" 3
check "summary on stderr" 0 "$I" classify --model "$M" --batch 2 "$JPG" "$PNG" "$JPG2"
has "summary: images/s" "$TMP/err" "classified 3 of 3 images in .* images/s"

# --- 14: progress bar: on a terminal only, unless forced --------------------------------
check "piped stderr: no progress" 0 "$I" classify --model "$M" --batch 1 "$JPG" "$PNG" "$JPG2"
if grep -q "$(printf '\r')" "$TMP/err" || grep -q "ETA" "$TMP/err"; then
    fail "piped stderr: progress drawn"; else ok "piped stderr: nothing drawn"; fi
check "--progress forces it" 0 "$I" classify --progress --model "$M" --batch 1 "$JPG" "$PNG" "$JPG2"
has "--progress: rate and ETA" "$TMP/err" "3/3 .*images/s  ETA 0:00"
if command -v python3 >/dev/null 2>&1 && python3 -c 'import pty' 2>/dev/null; then
    python3 "$PTY_RUN" "$TMP/out" "$TMP/err" "$I" classify --model "$M" --batch 1 \
        "$JPG" "$PNG" "$JPG2"
    equals "tty: exit 0" "$?" 0
    has "tty: bar drawn" "$TMP/err" "\[=*  *\] [0-3]/3"
    has "tty: rate and ETA" "$TMP/err" "images/s  ETA [0-9]*:[0-9][0-9]"
    has "tty: results still on stdout" "$TMP/out" "grace_hopper.jpg: "
    hasnt "tty: no bar on stdout" "$TMP/out" "ETA"
    python3 "$PTY_RUN" "$TMP/out" "$TMP/err" "$I" classify --no-progress --model "$M" \
        "$JPG" "$PNG"
    hasnt "tty --no-progress: none" "$TMP/err" "ETA"
    python3 "$PTY_RUN" "$TMP/out" "$TMP/err" "$I" classify -q --model "$M" "$JPG" "$PNG"
    hasnt "tty -q: none" "$TMP/err" "ETA"
else
    echo "skip - pseudo-terminal checks (no python3 with pty)"
fi

# --- 13, 15: info with --model / $INCEPTION_MODEL / MODEL, --version ----------------------
check "info MODEL" 0 "$I" info "$M"
cp "$TMP/out" "$TMP/info1"
check "info --model M" 0 "$I" info --model "$M"
same "info --model = info MODEL" "$TMP/out" "$TMP/info1"
check "info with \$INCEPTION_MODEL" 0 env INCEPTION_MODEL="$M" "$I" info
same "info \$INCEPTION_MODEL = info MODEL" "$TMP/out" "$TMP/info1"
check "info --model=M --threads=3" 0 "$I" info --model="$M" --threads=3
has "info: threads" "$TMP/out" "^threads: *3$"
has "info: library version" "$TMP/out" "^library: *[0-9]"
has "info: backend and isa" "$TMP/out" "^backend: *[a-z0-9-]* (isa \(avx2\|avx512\|c\|unknown\))$"
check "info --backend ref" 0 "$I" info --model "$M" --backend ref
has "info --backend ref: backend and isa c" "$TMP/out" "^backend: *ref (isa c)$"
check "info --preset=tf (a library option row)" 0 "$I" info --model "$M" --preset=tf
has "--preset=tf: applied" "$TMP/out" "^preset: *tf$"
check "info --pool-include-pad 0" 0 "$I" info --model "$M" --pool-include-pad 0
has "--pool-include-pad 0: applied" "$TMP/out" "^avgpool with pad: *no$"
check "--pool-include-pad 2: out of range" 2 "$I" info --model "$M" --pool-include-pad 2
check "--preset=bogus: the library refuses it" 2 "$I" info --model "$M" --preset=bogus
has "--preset=bogus: says why" "$TMP/err" "bogus"
check "info with two models" 2 "$I" info --model "$M" "$M"
check "info, no model anywhere" 3 env -u INCEPTION_MODEL XDG_CACHE_HOME="$TMP/nocache" "$I" info
has "info no model: where it looked" "$TMP/err" "$TMP/nocache/inception/inception_v3.safetensors"
check "--version" 0 env -u INCEPTION_MODEL XDG_CACHE_HOME="$TMP/nocache" "$I" --version
has "--version: library version" "$TMP/out" "libinception [0-9][0-9.]*"
has "--version: threads" "$TMP/out" "^threads: [0-9]"
check "--version with a model" 0 env INCEPTION_MODEL="$M" "$I" --version
has "--version: backend and isa of the model" "$TMP/out" "^backend: [a-z0-9-]*, isa: \(avx2\|avx512\|c\) "

# --- multi-crop and ensembles (issue 11): the library's classify calls behind the CLI -----
M10="$TMP/m75c10.safetensors"
"$MAKE_MODEL" "$M10" --classes 10 --meta inception.input_size=75 >/dev/null ||
    { echo "make-model --classes 10 failed"; exit 1; }
check "classify --crops 10" 0 "$I" classify -q --model "$M" --crops 10 --json "$PNG"
cp "$TMP/out" "$TMP/crops10"
check "classify --crops 1" 0 "$I" classify -q --model "$M" --json "$PNG"
if cmp -s "$TMP/out" "$TMP/crops10"; then fail "--crops 10 equals one crop"; else
    ok "--crops 10 differs from one crop"; fi
check "ensemble of the same model twice, 10 crops" 0 "$I" classify -q --model "$M" \
    --model "$M" --crops 10 --json "$PNG"
same "an ensemble of two identical members = the member" "$TMP/out" "$TMP/crops10"
check "--crops 12 --crop-average 1" 0 "$I" classify -q --model "$M" --crops 12 \
    --crop-average 1 "$PNG" "$JPG"
check "--crops 7: usage error" 2 "$I" classify --model "$M" --crops 7 "$PNG"
has "--crops 7: says why" "$TMP/err" "1, 10, 12 or 144"
check "ensemble with a bad file among good ones" 1 "$I" classify -q --model "$M" --model "$M" \
    "$PNG" "$BAD" "$JPG"
has "ensemble: the good files still answer" "$TMP/out" "skimage_chelsea_cat.png:"
check "ensemble of models with other classes" 2 "$I" classify --model "$M" --model "$M10" "$PNG"
has "ensemble mismatch: says why" "$TMP/err" "class"
check "classify --crops reports images/s" 0 "$I" classify --no-progress --model "$M" \
    --crops 10 "$PNG"
has "--crops: images/s" "$TMP/err" "images/s"

# quantize (docs/int8.md)
mkdir "$TMP/cal" "$TMP/nocal"
cp "$JPG" "$PNG" "$TMP/cal/"
check "quantize" 0 "$I" quantize "$M" --calibrate "$TMP/cal" -o "$TMP/q.safetensors" --method minmax
has "quantize: summary" "$TMP/err" "calibrated on 2 images"
check "info of a quantised model" 0 "$I" info "$TMP/q.safetensors"
# 85 int8 convs on simd (8 run fp32 as mixed precision, docs/int8.md), 93 on other backends
if grep -q "^backend: *simd" "$TMP/out"; then nq=85; else nq=93; fi
has "info: precision int8" "$TMP/out" "precision: *int8 ($nq convolutions"
check "info of a quantised model on ref" 0 "$I" info --backend ref "$TMP/q.safetensors"
has "info: ref runs all 93 int8" "$TMP/out" "precision: *int8 (93 convolutions"
check "quantize --weight-bits 9 is a usage error" 2 "$I" quantize "$M" --calibrate "$TMP/cal" \
    -o "$TMP/q9.safetensors" --weight-bits 9
check "quantize --weight-bits 7" 0 "$I" quantize "$M" --calibrate "$TMP/cal" -o "$TMP/q7.safetensors" \
    --weight-bits 7
check "info of a 7-bit model" 0 "$I" info "$TMP/q7.safetensors"
has "info: 7-bit precision int8" "$TMP/out" "precision: *int8 ($nq convolutions"
check "info --precision float" 0 "$I" info --precision float "$TMP/q.safetensors"
has "info: precision float" "$TMP/out" "precision: *float"
check "classify a quantised model" 0 "$I" classify -q --model "$TMP/q.safetensors" "$PNG"
has "classify int8: answers" "$TMP/out" "skimage_chelsea_cat.png:"
check "quantize without images" 2 "$I" quantize "$M" --calibrate "$TMP/nocal" -o "$TMP/q2.safetensors"
has "quantize without images: says why" "$TMP/err" "no .jpg"
check "quantize without -o" 2 "$I" quantize "$M" --calibrate "$TMP/cal"
check "quantize --method bad" 2 "$I" quantize "$M" --calibrate "$TMP/cal" -o "$TMP/q3.safetensors" --method mean
check "quantize to an unwritable path" 4 "$I" quantize "$M" --calibrate "$TMP/cal" -o /nonexistent/q.safetensors
check "quantize --help" 0 "$I" quantize --help
has "quantize --help: --calibrate" "$TMP/out" "--calibrate DIR"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

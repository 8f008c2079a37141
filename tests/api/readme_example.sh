#!/bin/bash
# The README's C quick start compiles as shown, prints top-5 lines for a photo, and fails
# with a message and a non-zero exit when classify fails (issue 10 point 20).
set -euo pipefail
readme="$1"; src_inc="$2"; gen_inc="$3"; libdir="$4"; make_model="$5"; photo="$6"
# A sanitizer build's library cannot serve a program compiled without the sanitizer (the
# ASan runtime must come first), as the abi suite: skip there, by name.
syms=$(nm -D "$libdir/libinception.so" 2>/dev/null || true)
if grep -q '__asan_init\|__tsan_init' <<<"$syms"; then
  echo "SKIP: readme-example needs an unsanitized library ($libdir is a sanitizer build)"
  exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
awk '/^```c$/ {on=1; next} /^```$/ && on {exit} on' "$readme" > "$tmp/classify.c"
grep -q inception_session_classify_file "$tmp/classify.c"
cc -std=c11 -Wall -Werror -I"$src_inc" -I"$gen_inc" "$tmp/classify.c" -L"$libdir" -linception \
   -Wl,-rpath,"$libdir" -o "$tmp/classify"
"$make_model" "$tmp/m.safetensors" >/dev/null
"$tmp/classify" "$tmp/m.safetensors" "$photo" > "$tmp/out"
[ "$(wc -l < "$tmp/out")" -eq 5 ] || { echo "expected 5 lines:"; cat "$tmp/out"; exit 1; }
printf 'not an image' > "$tmp/bad.jpg"
if "$tmp/classify" "$tmp/m.safetensors" "$tmp/bad.jpg" > "$tmp/out2" 2> "$tmp/err"; then
  echo "README example exits 0 when classify fails"; exit 1
fi
grep -q "bad.jpg" "$tmp/err" || { echo "no error message:"; cat "$tmp/err"; exit 1; }
echo "README C example checks classify's status"

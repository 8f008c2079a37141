#!/bin/bash
# The shared library exports exactly the functions the version script lists, every one of
# them is declared INCEPTION_API in a public header, and the SONAME is the pinned one.
set -euo pipefail
lib="$1"; map="$2"; incdir="$3"
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBRW]/ {print $3}' | sed 's/@.*//' | grep -v '^INCEPTION_' | sort -u)
listed=$(grep -oE '^\s+inception_[a-z0-9_]+;' "$map" | tr -d ' ;' | sort -u)
declared=$(grep -hoE 'INCEPTION_API [^(]*\binception_[a-z0-9_]+\(' "$incdir"/*.h | grep -oE 'inception_[a-z0-9_]+\($' | tr -d '(' | sort -u)
status=0
if [ "$exported" != "$listed" ]; then
  echo "exported symbols differ from the version script:"; diff <(echo "$exported") <(echo "$listed") || true; status=1
fi
if [ "$listed" != "$declared" ]; then
  echo "version script differs from the INCEPTION_API declarations:"; diff <(echo "$listed") <(echo "$declared") || true; status=1
fi
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libinception.so.1" ] || { echo "SONAME is '$soname'"; status=1; }
echo "$(echo "$exported" | wc -l) exported symbols, SONAME $soname"
exit $status

#!/bin/bash
# Compare the built library with the committed ABI baseline (libabigail). Additions are
# fine; a change that breaks existing binaries fails. After a release that adds symbols,
# refresh the baseline with: tests/abi/abidiff.sh --update BUILD_LIB
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
if [ "${1:-}" = "--update" ]; then
  lib="$2"
  abidw --headers-dir "$src/include/inception" --no-corpus-path "$lib" > "$here/libinception.abi"
  exit $?
fi
lib="$1"
if ! command -v abidiff >/dev/null; then echo "abidiff not installed (Debian: abigail-tools)"; exit 77; fi
# Added symbols are filtered out; anything else abidiff reports fails. Its exit status is
# a bit field: 1 error, 2 usage, 4 an ABI change (a type's layout counts here, e.g. a
# member of the backend vtable or a descriptor moved), 8 an incompatible change.
abidiff --no-added-syms --headers-dir1 "$src/include/inception" \
  --headers-dir2 "$src/include/inception" "$here/libinception.abi" "$lib"
rc=$?
if [ $((rc & 3)) -ne 0 ]; then echo "abidiff failed to run (status $rc)"; exit 1; fi
if [ $rc -ne 0 ]; then echo "ABI change against tests/abi/libinception.abi (status $rc)"; exit 1; fi
echo "ABI compatible with tests/abi/libinception.abi"

#!/bin/sh
# Build libinception.a as ONE relocatable object whose only global symbols are the public
# inception_* ones: the internal inc_* functions become local, so a program that links the
# archive may define its own inc_error (or any other inc_* name).
# Usage (from meson): static_archive.sh LD OBJCOPY AR NM IN.a OUT.a WORKDIR
set -eu
ld=$1 objcopy=$2 ar=$3 nm=$4 in=$5 out=$6 work=$7
mkdir -p "$work"
obj=$work/libinception.o
"$ld" -r --whole-archive "$in" -o "$obj"
# Everything internal is compiled -fvisibility=hidden; hidden globals become locals.
"$objcopy" --localize-hidden "$obj"
leaked=$("$nm" -g --defined-only "$obj" | awk '$3 !~ /^inception_/ { print $3 }')
if [ -n "$leaked" ]; then
  echo "static_archive.sh: non-public global symbols left in $obj:" $leaked >&2
  exit 1
fi
rm -f "$out"
"$ar" rcs "$out" "$obj"

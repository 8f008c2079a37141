#!/bin/bash
# Install into a staging root and build a program outside the tree with pkg-config only,
# against the shared and then the static library.
set -euo pipefail
build="$1"; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >/dev/null
pcdir=$(dirname "$(find "$tmp/root" -name inception.pc | head -1)")
export PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
cat > "$tmp/prog.c" <<'C'
#include <inception/inception.h>
#include <stdio.h>
int main(void) {
    inception_options *o = NULL;
    if (inception_options_create(&o) != INCEPTION_OK) return 1;
    inception_options_free(o);
    printf("%s\n", inception_version_string());
    return inception_version_number() == INCEPTION_VERSION_NUMBER ? 0 : 1;
}
C
cc "$tmp/prog.c" $(pkg-config --cflags --libs inception) -o "$tmp/prog"
libdir=$(pkg-config --variable=libdir inception)  # sysroot already applied
LD_LIBRARY_PATH="$libdir" "$tmp/prog"
cc "$tmp/prog.c" $(pkg-config --cflags inception) -o "$tmp/prog-static" \
  "$libdir/libinception.a" $(pkg-config --libs --static inception | sed 's/-linception//')
"$tmp/prog-static" >/dev/null
echo "pkg-config: shared and static builds link and run"

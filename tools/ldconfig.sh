#!/bin/sh
# Meson install script: refresh the loader cache after installing into a directory the
# loader searches (meson >= 1.0 no longer does), so programs find libinception.so.1 at once.
# Usage (from meson): ldconfig.sh LIBDIR. Skipped for staged installs (DESTDIR), when not
# root, and when LIBDIR is not on the loader's path (executables carry a RUNPATH instead).
libdir=$1
if [ -n "${DESTDIR:-}" ]; then
  echo "ldconfig: skipped (staged install into DESTDIR=$DESTDIR)"; exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ldconfig: skipped (not root): run 'sudo ldconfig' if $libdir is a system library directory"
  exit 0
fi
LDCONFIG=$(command -v ldconfig || echo /sbin/ldconfig)
[ -x "$LDCONFIG" ] || { echo "ldconfig: not found, skipped"; exit 0; }
real=$(cd "$libdir" 2>/dev/null && pwd -P) || real=$libdir
# The directories the loader searches (ld.so.conf and the trusted ones); -N -X lists them
# without touching the cache or the links.
on_path=no
for d in $("$LDCONFIG" -v -N -X 2>/dev/null | sed -n 's/^\(\/[^:]*\):.*/\1/p'); do
  if [ "$d" = "$libdir" ] || [ "$(cd "$d" 2>/dev/null && pwd -P)" = "$real" ]; then
    on_path=yes; break
  fi
done
if [ $on_path = no ]; then
  echo "ldconfig: skipped ($libdir is not on the loader's path; the installed programs find it"
  echo "  through their RUNPATH; link your own with -Wl,-rpath,$libdir or set LD_LIBRARY_PATH)"
  exit 0
fi
if [ -n "${MESON_INSTALL_DRY_RUN:-}" ]; then  # meson install --dry-run (meson >= 1.1)
  echo "ldconfig: would update the loader cache for $libdir"; exit 0
fi
echo "ldconfig: updating the loader cache for $libdir"
exec "$LDCONFIG"

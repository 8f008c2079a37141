#!/bin/bash
# Install the Debian packages libinception needs to build and test. Needs root (or sudo).
# Idempotent: does nothing when everything is already installed.
set -euo pipefail
PKGS=(build-essential pkg-config meson ninja-build check libsubunit-dev zlib1g-dev
      libjpeg62-turbo-dev libspng-dev libjpeg-turbo-progs valgrind python3 python3-numpy
      python3-pip python3-venv golang-go abigail-tools clang libclang-rt-14-dev cmake)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

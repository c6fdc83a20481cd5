#!/usr/bin/env bash
# Runs the ANN benchmark of ../shared/BENCHMARKS.md section 1 for hnswlib and
# Quiver in the same job, on the same files, with the same parameters and
# thread count, then prints Quiver/hnswlib ratios (scripts/peers/compare.py).
#
# Usage: scripts/bench-ann-peers.sh DATA_DIR OUT_DIR
#   DATA_DIR holds base.fvecs, query.fvecs, groundtruth.ivecs (make bench-data).
#   Writes OUT_DIR/hnswlib-ann.json and OUT_DIR/quiver-ann.json.
# Environment:
#   THREADS      build and batch-query threads for both (default: all cores)
#   M, EF_CONSTRUCTION, EF   (default 16, 200, 10,20,40,80,120,200,400)
#   SKIP_QUIVER=1  run hnswlib only (no comparison)
#   QUIVER       the Quiver binary (default bin/quiver, from make build)
#
# hnswlib is compiled from source for this CPU (-march=native) into a venv in
# OUT_DIR/.venv-peers: a generic build (Debian's python3-hnswlib, or a wheel
# built elsewhere) has no AVX and would flatter Quiver. The script checks the
# built module with objdump for ymm registers and refuses to run without them.
set -euo pipefail

if [[ $# -ne 2 ]]; then
	sed -n '2,20p' "$0" >&2
	exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
data=$1
out=$2
mkdir -p "$out"
THREADS=${THREADS:-$(nproc)}
M=${M:-16}
EF_CONSTRUCTION=${EF_CONSTRUCTION:-200}
EF=${EF:-10,20,40,80,120,200,400}
QUIVER=${QUIVER:-$root/bin/quiver}
HNSWLIB_VERSION=0.8.0
venv=$out/.venv-peers
py=$venv/bin/python

step() { printf '==> %s\n' "$*" >&2; }

for f in base.fvecs query.fvecs groundtruth.ivecs; do
	[[ -s $data/$f ]] || { echo "bench-ann-peers: $data/$f missing (make bench-data)" >&2; exit 1; }
done
command -v objdump >/dev/null || { echo "bench-ann-peers: objdump missing (apt-get install binutils)" >&2; exit 1; }

hnswlib_so() { "$py" -c 'import hnswlib; print(hnswlib.__file__)' 2>/dev/null; }
ymm_count() { objdump -d --no-show-raw-insn "$1" | grep -c 'ymm' || true; }

so=""
if [[ -x $py ]]; then so=$(hnswlib_so || true); fi
if [[ -z $so || $(ymm_count "$so") -eq 0 ]]; then
	step "build hnswlib $HNSWLIB_VERSION from source with -O3 -march=native into $venv (about a minute)"
	[[ -x $py ]] || python3 -m venv "$venv"
	# No binary, no cache: the wheel must be compiled here, for this CPU.
	env -u HNSWLIB_NO_NATIVE CFLAGS="-O3 -march=native" CXXFLAGS="-O3 -march=native" \
		"$py" -m pip install --no-cache-dir --force-reinstall --no-binary hnswlib \
		"hnswlib==$HNSWLIB_VERSION" numpy
	so=$(hnswlib_so)
fi
n=$(ymm_count "$so")
if [[ $n -eq 0 ]]; then
	echo "bench-ann-peers: $so has no AVX (ymm) instructions: a generic build, refusing to compare" >&2
	exit 1
fi
step "hnswlib module $so: $n instructions on ymm registers, e.g.:"
{ objdump -d --no-show-raw-insn "$so" | grep -E 'v(fmadd|mul|add|sub)[a-z0-9]* .*ymm' | head -3 >&2; } || true

step "hnswlib: M=$M efConstruction=$EF_CONSTRUCTION ef=$EF threads=$THREADS"
"$py" "$root/scripts/peers/hnswlib_ann.py" --data "$data" --m "$M" --ef-construction "$EF_CONSTRUCTION" \
	--ef "$EF" --threads "$THREADS" --json "$out/hnswlib-ann.json"

if [[ ${SKIP_QUIVER:-0} == 1 ]]; then
	step "SKIP_QUIVER=1: hnswlib figures in $out/hnswlib-ann.json, no comparison"
	exit 0
fi

step "quiver: M=$M efConstruction=$EF_CONSTRUCTION ef=$EF threads=$THREADS"
"$QUIVER" bench ann --data "$data" --m "$M" --ef-construction "$EF_CONSTRUCTION" \
	--ef "$EF" --threads "$THREADS" --json "$out/quiver-ann.json"

step "compare"
python3 "$root/scripts/peers/compare.py" "$out/quiver-ann.json" "$out/hnswlib-ann.json"

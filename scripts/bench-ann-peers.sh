#!/usr/bin/env bash
# Runs the ANN benchmark of ../shared/BENCHMARKS.md section 1 for Quiver and
# its peers (hnswlib built for this CPU, faiss-cpu, usearch, ScaNN) in the same
# job, on the same files, with the same parameters and thread count, in turns
# A B A B (Quiver, every peer, Quiver, every peer), printing the load average
# at each step; then scripts/peers/compare.py prints QPS at recall@10 0.90 and
# 0.95 with Quiver's ratios, and `quiver bench plot` draws the chart.
#
# Usage: scripts/bench-ann-peers.sh DATA_DIR OUT_DIR
#   DATA_DIR holds base.fvecs, query.fvecs, groundtruth.ivecs (make bench-data).
#   Writes OUT_DIR/NAME-ENGINE-rROUND.json, NAME = DATA_DIR's base name.
# Environment:
#   PEERS        comma-separated peers (default hnswlib,faiss,usearch,scann: all that installed)
#   ROUNDS       turns of Quiver then every peer (default 2)
#   LIMIT        if set, first LIMIT base vectors only: OUT_DIR/NAME-LIMIT holds that subset
#                with its exact ground truth (quiver bench ann-subset), read by every engine
#   THREADS      build and batch-query threads for all (default: all cores); queries
#                one at a time always run on one thread
#   M, EF_CONSTRUCTION, EF   (default 16, 200, 10,20,40,80,120,200,400)
#   SCANN_LEAVES, SCANN_SWEEP  ScaNN's num_leaves and leaves:reorder pairs (scann_ann.py defaults)
#   PLOT         chart to draw from the last round (e.g. bench/ann-glove100.svg); TITLE its title
#   QUIVER       the Quiver binary (default bin/quiver, from make build)
#   QUIVER_INDEX hnsw (default) or ivf: which of Quiver's indexes runs as "quiver"
#   IVF_SWEEP    with QUIVER_INDEX=ivf, probe:reorder points (default: bench ann's)
#   RESUME=1     keep the result files already written (an interrupted job goes on)
#   USEARCH_QUERIES  time and score usearch on the first N queries only (default all): its
#                one-at-a-time path can be 10x slower than hnswlib's here
#
# hnswlib is compiled from source for this CPU (-march=native) into a venv in
# OUT_DIR/.venv-peers: a generic build (Debian's python3-hnswlib, or a wheel
# built elsewhere) has no AVX and would flatter Quiver. The script checks the
# built module with objdump for ymm registers and refuses to run without them.
# faiss-cpu, usearch and scann come from PyPI at pinned versions into the same
# venv; a peer that does not install is left out with the pip error shown.
set -euo pipefail

if [[ $# -ne 2 ]]; then
	sed -n '2,30p' "$0" >&2
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
ROUNDS=${ROUNDS:-2}
QUIVER=${QUIVER:-$root/bin/quiver}
HNSWLIB_VERSION=0.8.0
declare -A PIN=([faiss]="faiss-cpu==1.15.1" [usearch]="usearch==2.26.6" [scann]="scann==1.4.2")
declare -A MODULE=([hnswlib]=hnswlib [faiss]=faiss [usearch]=usearch [scann]=scann)
venv=$out/.venv-peers
py=$venv/bin/python

step() { printf '==> [%s, load average %s] %s\n' "$(date -u +%H:%M:%S)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$*" >&2; }

for f in base.fvecs query.fvecs groundtruth.ivecs; do
	[[ -s $data/$f ]] || { echo "bench-ann-peers: $data/$f missing (make bench-data)" >&2; exit 1; }
done
command -v objdump >/dev/null || { echo "bench-ann-peers: objdump missing (apt-get install binutils)" >&2; exit 1; }
name=$(basename "$data")

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

# The PyPI peers: install the pinned version unless it is already there.
for peer in faiss usearch scann; do
	want=${PIN[$peer]}
	# pip show fails for a package not installed yet: that is "have none".
	have=$({ "$py" -m pip show "${want%%==*}" 2>/dev/null || true; } | sed -n 's/^Version: //p')
	if [[ $have != "${want##*==}" ]]; then
		step "pip install $want"
		"$py" -m pip install -q "$want" >&2 || echo "bench-ann-peers: pip install $want failed (above); $peer is left out" >&2
	fi
done

peers=()
IFS=, read -r -a wanted <<<"${PEERS:-hnswlib,faiss,usearch,scann}"
for peer in "${wanted[@]}"; do
	[[ -n ${MODULE[$peer]:-} ]] || { echo "bench-ann-peers: unknown peer $peer (hnswlib, faiss, usearch, scann)" >&2; exit 2; }
	if err=$("$py" -c "import ${MODULE[$peer]}" 2>&1); then
		peers+=("$peer")
	else
		echo "bench-ann-peers: $peer does not import, left out: ${err##*$'\n'}" >&2
	fi
done
step "peers: ${peers[*]:-none}; M=$M efConstruction=$EF_CONSTRUCTION ef=$EF threads=$THREADS rounds=$ROUNDS"

if [[ -n ${LIMIT:-} ]]; then
	sub=$out/$name-$LIMIT
	if [[ ! -s $sub/groundtruth.ivecs ]]; then
		step "subset: first $LIMIT base vectors of $data with exact ground truth into $sub"
		"$QUIVER" bench ann-subset --data "$data" --limit "$LIMIT" --out "$sub"
	fi
	data=$sub
	name=$name-$LIMIT
fi

run_quiver() {
	if [[ ${QUIVER_INDEX:-hnsw} == ivf ]]; then
		"$QUIVER" bench ann --data "$data" --index ivf ${IVF_SWEEP:+--sweep "$IVF_SWEEP"} \
			--threads "$THREADS" --json "$1"
		return
	fi
	"$QUIVER" bench ann --data "$data" --m "$M" --ef-construction "$EF_CONSTRUCTION" \
		--ef "$EF" --threads "$THREADS" --json "$1"
}

run_peer() {
	local peer=$1 json=$2 script=$root/scripts/peers/$1_ann.py
	case $peer in
	scann)
		"$py" "$script" --data "$data" --threads "$THREADS" --json "$json" \
			${SCANN_LEAVES:+--num-leaves "$SCANN_LEAVES"} ${SCANN_SWEEP:+--sweep "$SCANN_SWEEP"} ;;
	*)
		"$py" "$script" --data "$data" --m "$M" --ef-construction "$EF_CONSTRUCTION" \
			--ef "$EF" --threads "$THREADS" --json "$json" \
			${USEARCH_QUERIES:+$([[ $peer == usearch ]] && echo --queries "$USEARCH_QUERIES")} ;;
	esac
}

quiver=quiver
[[ ${QUIVER_INDEX:-hnsw} == ivf ]] && quiver=quiver-ivf
results=()
last=()
for ((r = 1; r <= ROUNDS; r++)); do
	last=()
	qjson=$out/$name-$quiver-r$r.json
	if [[ ${RESUME:-0} == 1 && -s $qjson ]]; then
		step "round $r/$ROUNDS: $quiver: kept $qjson (RESUME=1)"
	else
		step "round $r/$ROUNDS: $quiver on $data"
		run_quiver "$qjson"
	fi
	last+=("$qjson")
	for peer in "${peers[@]}"; do
		if [[ ${RESUME:-0} == 1 && -s $out/$name-$peer-r$r.json ]]; then
			step "round $r/$ROUNDS: $peer: kept $out/$name-$peer-r$r.json (RESUME=1)"
		else
			step "round $r/$ROUNDS: $peer on $data"
			run_peer "$peer" "$out/$name-$peer-r$r.json"
		fi
		last+=("$out/$name-$peer-r$r.json")
	done
	results+=("${last[@]}")
done

step "compare (every round)"
python3 "$root/scripts/peers/compare.py" "${results[@]}"

if [[ -n ${PLOT:-} ]]; then
	step "chart of round $ROUNDS: $PLOT"
	"$QUIVER" bench plot --out "$PLOT" --title "${TITLE:-$name: recall@10 vs queries/s (round $ROUNDS of $ROUNDS)}" "${last[@]}"
fi
step "done"

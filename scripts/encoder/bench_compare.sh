#!/usr/bin/env bash
# bench_compare.sh runs `quiver bench encoder` and sentence-transformers on
# PyTorch CPU (bench_torch.py) one after the other in one job, on the same
# MovieLens titles, batch sizes and thread count, and prints the ratios.
#
# Usage: scripts/encoder/bench_compare.sh [MODEL_DIR] [MOVIES_CSV]
# MODEL_DIR defaults to $QUIVER_MODEL_DIR, else models/all-MiniLM-L6-v2.
# Env: PYTHON (a python with torch and sentence-transformers; default python3),
#      THREADS (default: nproc), TEXTS (default 512), QUIVER (default bin/quiver).
set -euo pipefail

model=${1:-${QUIVER_MODEL_DIR:-models/all-MiniLM-L6-v2}}
movies=${2:-../shared/data/ml-latest-small/movies.csv}
python=${PYTHON:-python3}
threads=${THREADS:-$(nproc)}
texts=${TEXTS:-512}
quiver=${QUIVER:-bin/quiver}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$quiver" bench encoder --model "$model" --data "$movies" --threads "$threads" --texts "$texts" --json "$out/quiver.json"
echo
"$python" "$(dirname "$0")/bench_torch.py" "$model" "$movies" --threads "$threads" --texts "$texts" --json "$out/torch.json" 2>/dev/null
echo
"$python" - "$out/quiver.json" "$out/torch.json" <<'PY'
import json, sys
q = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
tr = {r["batch"]: r for r in t["rows"]}
print("quiver / torch (%d threads; above 1 means quiver is faster)" % q["Threads"])
print("%6s %22s %26s" % ("batch", "sentences/s ratio", "sentences/CPU-s ratio"))
for r in q["Rows"]:
    o = tr.get(r["BatchSize"])
    if o:
        print("%6d %22.2f %26.2f" % (r["BatchSize"], r["SentencesPerSec"] / o["sentences_per_s"],
                                     r["SentencesPerCPUSecond"] / o["sentences_per_cpu_s"]))
PY

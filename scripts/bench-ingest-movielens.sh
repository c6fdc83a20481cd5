#!/usr/bin/env bash
# Ingests the MovieLens movies into a fresh `quiver serve` over HTTP as text
# documents (title, genres and the users' tags, encoded by the server with
# all-MiniLM-L6-v2) and reports documents/s and where the server's time
# went: the text encoder, graph inserts, synced commits, the rest.
#
# Usage: scripts/bench-ingest-movielens.sh [ML_DIR] [BATCH]
#   ML_DIR defaults to ../shared/data/ml-latest-small (GroupLens; see its
#   README for the licence). Needs bin/quiver and models/all-MiniLM-L6-v2.
set -euo pipefail
ml=${1:-../shared/data/ml-latest-small}
batch=${2:-64}
work=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# One JSON line per movie: id, title, genres, and its distinct tags.
python3 - "$ml" "$work/movies.jsonl" <<'PY'
import collections, csv, json, sys
ml, out = sys.argv[1], sys.argv[2]
tags = collections.defaultdict(list)
with open(f"{ml}/tags.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        t = r["tag"].strip()
        if t and t not in tags[r["movieId"]]:
            tags[r["movieId"]].append(t)
with open(f"{ml}/movies.csv", encoding="utf-8") as f, open(out, "w", encoding="utf-8") as w:
    for r in csv.DictReader(f):
        doc = {"id": int(r["movieId"]), "title": r["title"], "genres": r["genres"], "tags": ", ".join(tags[r["movieId"]])}
        w.write(json.dumps(doc) + "\n")
PY
echo "$(wc -l < "$work/movies.jsonl") movies, $(awk -F'"tags": "' '{n += ($2 != "\"}")} END {print n}' "$work/movies.jsonl") with tags"

addr=127.0.0.1:6399
bin/quiver serve --data "$work/data" --addr "$addr" 2> "$work/serve.log" &
pid=$!
for _ in $(seq 100); do
	curl -sf "http://$addr/readyz" > /dev/null && break
	sleep 0.1
done
bin/quiver ingest --url "http://$addr" --collection movies --create --model all-MiniLM-L6-v2 \
	--text title,genres,tags --lists genres --batch "$batch" "$work/movies.jsonl"

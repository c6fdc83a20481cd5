#!/usr/bin/env bash
# Runs the README's recommendation walk-through against a server on
# $QUIVER_URL (default localhost:6333, e.g. `make run`) and prints it as
# Markdown: each command, then what it printed. MOVIELENS is the folder of
# ml-latest-small (movies.csv, ratings.csv).
set -euo pipefail
url=${QUIVER_URL:-localhost:6333}
ml=${MOVIELENS:-../shared/data/ml-latest-small}
quiver=${QUIVER:-./bin/quiver}

# step TEXT CMD: prints TEXT, the command as a sh block, and its output.
step() {
	printf '%s\n\n```sh\n%s\n```\n\n```\n' "$1" "$2"
	bash -c "$2" 2>&1 | sed -e 's/"time":[0-9.e-]*/"time":…/'
	printf '```\n\n'
}
post() { echo "curl -s -X $1 $url$2 -H 'Content-Type: application/json' -d '$3'"; }

curl -s -X DELETE "$url/collections/movies" >/dev/null || true

step "Create a collection with two named vectors: \`text\`, filled by the text model, and \`cf\`, which training fills with the items' collaborative factors (64, searched by dot product)." \
	"$(post PUT /collections/movies '{"vectors": {"text": {"model": "all-MiniLM-L6-v2"}, "cf": {"size": 64, "distance": "Dot"}}}')"

step "Add the 9,742 MovieLens movies as text documents (title and genres, encoded by the server into \`text\`; progress on stderr, last lines shown)." \
	"$quiver ingest --url http://$url --collection movies --using text --id-column movieId --text title,genres --lists genres $ml/movies.csv 2>&1 | tail -n 3"

step "Add the 100,836 ratings as interactions (user, item, weight, timestamp; acknowledged batches are synced)." \
	"$quiver ingest --url http://$url --interactions --collection movies $ml/ratings.csv 2>&1 | tail -n 2"

step "Train implicit ALS in the background (defaults tuned on MovieLens: 64 factors, the size of \`cf\`; 15 iterations); \`quiver train\` does the same with a progress bar." \
	"$(post POST /collections/movies/train '{}') | head -c 200; echo"

step "Wait for it: the job reports each epoch's loss, and on finishing writes the item factors into \`cf\` (cold items, with no ratings, get factors mapped from their text vector)." \
	"until curl -s $url/collections/movies/train | grep -q '\"state\":\"done\"'; do sleep 0.2; done; curl -s $url/collections/movies/train | python3 -c 'import json,sys; j=json.load(sys.stdin)[\"result\"]; print({k: j[k] for k in (\"state\", \"users\", \"items\", \"interactions\", \"cold_items\")}, \"epochs:\", len(j[\"epochs\"]), \"seconds:\", round(sum(e[\"seconds\"] for e in j[\"epochs\"]), 2))'"

step "Recommend for user 1: their vector (folded in from their ratings as they are now) against every movie's \`cf\` vector, by dot product through HNSW. Movies they rated are left out; each result says which of their movies contributed most." \
	"$(post POST /collections/movies/points/query '{"query": {"recommend": {"user": 1}}, "limit": 3, "with_payload": ["title"], "with_explanation": true}')"

step "A user with no history gets the most popular movies (scored by their number of interactions)…" \
	"$(post POST /collections/movies/points/query '{"query": {"recommend": {"user": "newcomer"}}, "limit": 3, "with_payload": ["title"]}')"

step "…or, given a text, the movies nearest to it." \
	"$(post POST /collections/movies/points/query '{"query": {"recommend": {"user": "newcomer", "text": "space opera with robots"}}, "limit": 3, "with_payload": ["title"]}')"

step "One interaction, and their list changes at once: no retraining, the next query folds it in." \
	"$(post PUT '/collections/movies/interactions?wait=true' '{"interactions": [{"user": "newcomer", "item": 1, "weight": 5}]}'); echo; $(post POST /collections/movies/points/query '{"query": {"recommend": {"user": "newcomer"}}, "limit": 3, "with_payload": ["title"]}')"

step "More like Toy Story, by what people watched (item to item on \`cf\`)." \
	"$(post POST /collections/movies/points/query '{"query": {"nearest": 1}, "using": "cf", "limit": 3, "with_payload": ["title"]}')"

step "The user as the server sees them." \
	"curl -s '$url/collections/movies/users/newcomer'"

step "Forget the user: their interactions and their row of the saved model, durably." \
	"curl -s -X DELETE $url/collections/movies/users/newcomer; echo; curl -s '$url/collections/movies/users/newcomer'"

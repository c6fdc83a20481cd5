#!/usr/bin/env bash
# Schemathesis (PyPI) against a running `quiver serve` and its own
# /openapi.json, with every check: no 5xx, and the server and the spec
# agreeing (valid requests accepted, invalid ones refused, answers
# matching their schemas, Allow headers). Routes tagged "unsupported"
# answer 501 by design (docs/qdrant-routes.md) and are left out; they
# have their own test (TestUnsupportedRoutesAnswer501).
#
# SCHEMATHESIS_EXAMPLES sets the examples per operation (default 10, the
# short run of make test; make bench-reliability runs 200).
set -euo pipefail

cd "$(dirname "$0")/.."
QUIVER_MODEL_DIR=${QUIVER_MODEL_DIR:-models/all-MiniLM-L6-v2}
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-10}
VENV=.venv/st
if [ ! -x "$VENV/bin/schemathesis" ]; then
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q schemathesis==4.32.5
fi

go build -o bin/quiver ./cmd/quiver
DATA=$(mktemp -d)
LOG="$DATA.log"
PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
KEY="st-key-$RANDOM$RANDOM"
bin/quiver serve --addr "127.0.0.1:$PORT" --data "$DATA" --model "$QUIVER_MODEL_DIR" --api-key "$KEY" >"$LOG" 2>&1 &
SERVER=$!
cleanup() {
	kill "$SERVER" 2>/dev/null || true
	wait "$SERVER" 2>/dev/null || true
	rm -rf "$DATA" "$LOG" "$DATA.st"
}
trap cleanup EXIT
for _ in $(seq 1 300); do
	curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
	sleep 0.1
done

# The spec's example collection ("st"), so generated requests reach more
# than 404s: four points with payloads and an index.
api() { curl -sf -X "$1" -H "api-key: $KEY" -H 'Content-Type: application/json' "http://127.0.0.1:$PORT$2" -d "$3" >/dev/null; }
api PUT /collections/st '{"vectors": {"size": 4, "distance": "Cosine"}, "payload_schema": {"k": "keyword", "n": "integer"}}'
api PUT '/collections/st/points?wait=true' '{"points": [
 {"id": 1, "vector": [1, 0, 0, 0], "payload": {"k": "a", "n": 1}},
 {"id": 2, "vector": [0, 1, 0, 0], "payload": {"k": "b", "n": 2}},
 {"id": 3, "vector": [0, 0, 1, 0], "payload": {"k": "a", "n": 3}},
 {"id": 4, "vector": [1, 1, 1, 1], "payload": {"k": "c", "n": 4}}]}'

# POST /locks is left out too: a generated {"write": true} would lock
# every later write (TestWriteLock covers it).
status=0
# Schemathesis exits non-zero also for the operations it cannot generate
# requests for (its "Schema Error": the recursive Filter and Prefetch
# schemas); only a failed check fails this script.
OUT="$DATA.st"
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" \
	--checks all ${SCHEMATHESIS_EXCLUDE_CHECKS:+--exclude-checks "$SCHEMATHESIS_EXCLUDE_CHECKS"} --exclude-tag unsupported --exclude-path /locks -n "$EXAMPLES" --generation-deterministic \
	--suppress-health-check all -H "api-key: $KEY" --request-timeout 30 2>&1 | tee "$OUT" || true
if grep -Eq '^ *❌ ST[0-9]+' "$OUT"; then
	status=1
fi
if ! kill -0 "$SERVER" 2>/dev/null; then
	echo "schemathesis: the server died; its log:" >&2
	tail -n 40 "$LOG" >&2
	status=1
fi
if grep -q '"level":"ERROR"\|level=ERROR' "$LOG"; then
	echo "schemathesis: the server logged errors:" >&2
	grep 'ERROR' "$LOG" | head -20 >&2
fi
exit "$status"

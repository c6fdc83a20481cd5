#!/usr/bin/env bash
# End-to-end test with the official qdrant-client (REST) against a running
# `quiver serve`: builds bin/quiver, installs the client into a venv under
# .venv/e2e, starts the server on a free loopback port with a temporary data
# directory and API keys, runs tests/e2e with pytest, stops the server.
# Exits non-zero when anything fails. Needs python3 (3.9+) and the model
# from `make model`.
set -euo pipefail

cd "$(dirname "$0")/.."
QUIVER_MODEL_DIR=${QUIVER_MODEL_DIR:-models/all-MiniLM-L6-v2}
VENV=.venv/e2e
PY_DEPS=(qdrant-client==1.20.0 pytest==9.2.0)

if [ ! -f "$QUIVER_MODEL_DIR/model.safetensors" ]; then
	echo "e2e: no model in $QUIVER_MODEL_DIR; run make model" >&2
	exit 1
fi
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import qdrant_client, pytest' 2>/dev/null; then
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q "${PY_DEPS[@]}"
fi

go build -o bin/quiver ./cmd/quiver

DATA=$(mktemp -d)
LOG="$DATA.log"
PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export QUIVER_URL="http://127.0.0.1:$PORT"
export QUIVER_API_KEY="e2e-key-$RANDOM$RANDOM"
export QUIVER_READ_ONLY_API_KEY="e2e-reader-$RANDOM$RANDOM"
# The snapshot files, for recovery by file:// location.
export QUIVER_E2E_SNAPSHOT_DIR="$DATA/snapshots"

bin/quiver serve --addr "127.0.0.1:$PORT" --data "$DATA" --model "$QUIVER_MODEL_DIR" >"$LOG" 2>&1 &
SERVER=$!
cleanup() {
	kill "$SERVER" 2>/dev/null || true
	wait "$SERVER" 2>/dev/null || true
	rm -rf "$DATA"
}
trap cleanup EXIT

ready=0
for _ in $(seq 1 300); do
	if "$VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$QUIVER_URL/readyz" 2>/dev/null; then
		ready=1
		break
	fi
	if ! kill -0 "$SERVER" 2>/dev/null; then
		echo "e2e: quiver serve exited; its log:" >&2
		cat "$LOG" >&2
		exit 1
	fi
	sleep 0.1
done
if [ "$ready" -ne 1 ]; then
	echo "e2e: quiver serve not ready after 30s; its log:" >&2
	cat "$LOG" >&2
	exit 1
fi

status=0
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -W "ignore:Api key is used with an insecure connection" tests/e2e || status=$?

# A clean shutdown on SIGTERM is part of the test.
kill -TERM "$SERVER"
if ! wait "$SERVER"; then
	echo "e2e: quiver serve did not shut down cleanly" >&2
	status=1
fi
if ! grep -q "data directory closed" "$LOG"; then
	echo "e2e: the data directory was not closed" >&2
	status=1
fi
if [ "$status" -ne 0 ]; then
	echo "e2e: server log (last 40 lines):" >&2
	tail -n 40 "$LOG" >&2
fi
rm -f "$LOG"
exit "$status"

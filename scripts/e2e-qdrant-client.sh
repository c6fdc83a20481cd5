#!/usr/bin/env bash
# End-to-end tests with clients we did not write against a running
# `quiver serve`: builds bin/quiver, starts the server on a free loopback
# port with a temporary data directory and API keys, runs tests/e2e (the
# official qdrant-client, REST) from a venv under .venv/e2e, then
# tests/e2e-frameworks (LangChain's and LlamaIndex's Qdrant vector stores)
# from one under .venv/e2e-frameworks, and stops the server; then starts a
# 3-node cluster (no model) and runs tests/e2e-cluster against it. Each venv is
# installed once with pinned versions and reused while its pins hold.
# Exits non-zero when anything fails. Needs python3 (3.9+) and the model
# from `make model`.
set -euo pipefail

cd "$(dirname "$0")/.."
QUIVER_MODEL_DIR=${QUIVER_MODEL_DIR:-models/all-MiniLM-L6-v2}
VENV=.venv/e2e
PY_DEPS=(qdrant-client==1.20.0 pytest==9.2.0)
FW_VENV=.venv/e2e-frameworks
FW_DEPS=(
	qdrant-client==1.20.0 pytest==9.2.0
	langchain-qdrant==1.1.0 langchain-core==1.8.3
	llama-index-core==0.14.25 llama-index-vector-stores-qdrant==0.10.4
)

if [ ! -f "$QUIVER_MODEL_DIR/model.safetensors" ]; then
	echo "e2e: no model in $QUIVER_MODEL_DIR; run make model" >&2
	exit 1
fi
# venv DIR PINS... makes DIR a venv with exactly these pins installed, unless
# its stamp says it has them already.
venv() {
	local dir=$1
	shift
	if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.pins" 2>/dev/null)" = "$*" ]; then
		return
	fi
	python3 -m venv "$dir"
	"$dir/bin/pip" install -q "$@"
	echo "$*" >"$dir/.pins"
}
venv "$VENV" "${PY_DEPS[@]}"
venv "$FW_VENV" "${FW_DEPS[@]}"

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
for suite in "$VENV tests/e2e" "$FW_VENV tests/e2e-frameworks"; do
	read -r py dir <<<"$suite"
	"$py/bin/python" -m pytest -q -p no:cacheprovider -W "ignore:Api key is used with an insecure connection" "$dir" || status=1
done

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

# The same client against a 3-node cluster (tests/e2e-cluster).
CDIR=$(mktemp -d)
free_port() { "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -a HTTP RAFT NODES
PEERS=""
for i in 1 2 3; do
	HTTP[$i]=$(free_port)
	RAFT[$i]=$(free_port)
	PEERS="$PEERS${PEERS:+,}$i=127.0.0.1:${RAFT[$i]}=http://127.0.0.1:${HTTP[$i]}"
done
stop_cluster() {
	for pid in "${NODES[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${NODES[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$CDIR"
}
trap 'stop_cluster; cleanup' EXIT
URLS=""
for i in 1 2 3; do
	bin/quiver serve --addr "127.0.0.1:${HTTP[$i]}" --data "$CDIR/$i" --model "" --api-key "$QUIVER_API_KEY" \
		--node-id "$i" --peers "$PEERS" >"$CDIR/$i.log" 2>&1 &
	NODES[$i]=$!
	URLS="$URLS${URLS:+,}http://127.0.0.1:${HTTP[$i]}"
done
export QUIVER_CLUSTER_URLS=$URLS
cluster_ready=0
for _ in $(seq 1 300); do
	n=0
	for u in ${URLS//,/ }; do
		"$VENV/bin/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$u/readyz" 2>/dev/null && n=$((n + 1))
	done
	if [ "$n" -eq 3 ]; then
		cluster_ready=1
		break
	fi
	sleep 0.1
done
if [ "$cluster_ready" -ne 1 ]; then
	echo "e2e: the 3-node cluster was not ready after 30s" >&2
	status=1
elif ! "$VENV/bin/python" -m pytest -q -p no:cacheprovider -W "ignore:Api key is used with an insecure connection" tests/e2e-cluster; then
	status=1
fi
if [ "$status" -ne 0 ]; then
	for i in 1 2 3; do
		echo "e2e: cluster node $i log (last 20 lines):" >&2
		tail -n 20 "$CDIR/$i.log" >&2
	done
fi
exit "$status"

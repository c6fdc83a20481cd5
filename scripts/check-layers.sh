#!/usr/bin/env bash
# Checks that imports point down the layers (see query/doc.go): the API on
# the query engine, the engine on the index, the index on the graph and the
# store, and nothing below importing what is above it. make test runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=$(go list -m)
fail=0
# forbid PKG DEP...: PKG (with its dependencies) must not depend on DEP.
forbid() {
	local pkg=$1
	shift
	local deps
	deps=$(go list -deps "$mod/$pkg")
	for dep in "$@"; do
		if grep -qx -- "$dep" <<<"$deps" || grep -qx -- "$mod/$dep" <<<"$deps"; then
			echo "layers: $pkg depends on $dep" >&2
			fail=1
		fi
	done
}
# direct PKG DEP...: PKG must not import DEP itself (it may through a layer).
direct() {
	local pkg=$1
	shift
	local imports
	imports=$(go list -f '{{join .Imports "\n"}}' "$mod/$pkg")
	for dep in "$@"; do
		if grep -qx -- "$mod/$dep" <<<"$imports"; then
			echo "layers: $pkg imports $dep directly" >&2
			fail=1
		fi
	done
}
above_index=(query httpapi cmd/quiver)
for low in pointid filter hnsw ivf sparse bm25 storage encoder internal/progress internal/testseed; do
	forbid "$low" index "${above_index[@]}"
done
forbid index "${above_index[@]}"
# recommend is the maths on dense indices: it knows no collection or store.
forbid recommend index storage query httpapi cmd/quiver
# projection is the maths of the dashboard's map, on rows of floats.
forbid projection index storage query httpapi cmd/quiver
forbid query httpapi cmd/quiver
# cluster replicates the index's writes; the API sits on it, not under it.
forbid cluster query httpapi cmd/quiver
forbid index cluster
# clusterapi binds a node to the API; the API itself never links Raft.
forbid httpapi cluster github.com/hashicorp/raft
forbid clusterapi cmd/quiver
forbid trainer query httpapi cmd/quiver
forbid httpapi cmd/quiver
# The dashboard is static files: it imports nothing of Quiver.
forbid dashboard index storage query httpapi cmd/quiver
direct httpapi storage hnsw
forbid internal/apitest cmd/quiver
# The client and what runs on it link neither the server nor the store.
for light in client ingest; do
	forbid "$light" index storage httpapi query github.com/cockroachdb/pebble/v2 github.com/prometheus/client_golang/prometheus
done
exit $fail

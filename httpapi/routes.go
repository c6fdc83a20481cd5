package httpapi

import (
	_ "embed"
	"net/http"
	"time"
)

// openAPISpec is the OpenAPI 3 document served at /openapi.json; a test
// checks that its paths and the route table agree.
//
//go:embed openapi.json
var openAPISpec []byte

// routes is the route table. Paths use gorilla/mux patterns. The router
// tries them in order, so the query routes, the busiest, come first.
func (h *Handler) routes() []route {
	const c = "/collections/{collection}"
	return append([]route{
		{method: "POST", path: c + "/points/query", access: read, sharded: true, api: h.queryPoints},
		{method: "POST", path: c + "/points/query/batch", access: read, sharded: true, api: h.queryBatch},
		{method: "POST", path: c + "/points/search", access: read, sharded: true, api: h.searchPoints},
		{method: "POST", path: c + "/points/search/batch", access: read, sharded: true, api: h.searchBatch},
		{method: "POST", path: c + "/points/recommend", access: read, sharded: true, api: h.recommendPoints},
		{method: "POST", path: c + "/points/recommend/batch", access: read, sharded: true, api: h.recommendBatch},
		{method: "POST", path: c + "/points/query/groups", access: read, sharded: true, api: h.queryGroups},
		{method: "POST", path: c + "/points/search/groups", access: read, sharded: true, api: h.searchGroups},
		{method: "POST", path: c + "/points/recommend/groups", access: read, sharded: true, api: h.recommendGroups},
		{method: "POST", path: c + "/points/discover", access: read, sharded: true, api: h.discoverPoints},
		{method: "POST", path: c + "/points/discover/batch", access: read, sharded: true, api: h.discoverBatch},
		{method: "POST", path: c + "/facet", access: read, sharded: true, api: h.facet},
		{method: "POST", path: c + "/points/projection", access: read, sharded: true, api: h.projectPoints},

		{method: "GET", path: "/", access: public, raw: info},
		{method: "GET", path: "/healthz", access: public, probe: true, raw: h.healthz},
		{method: "GET", path: "/readyz", access: public, probe: true, raw: h.readyz},
		{method: "GET", path: "/livez", access: public, probe: true, raw: livez},
		{method: "GET", path: "/locks", access: read, api: h.getLocks},
		{method: "POST", path: "/locks", access: write, replication: nodeLocal, api: h.setLocks},
		{method: "GET", path: "/metrics", access: h.metricsAccess(), probe: true, raw: h.metrics.handler.ServeHTTP},
		{method: "GET", path: "/openapi.json", access: public, raw: h.serveSpec},

		{method: "GET", path: "/collections", access: read, api: h.listCollections},
		{method: "GET", path: c, access: read, sharded: true, api: h.getCollection},
		{method: "GET", path: c + "/exists", access: read, sharded: true, api: h.collectionExists},
		{method: "PUT", path: c, access: write, replication: replicated, sharded: true, api: h.createCollection},
		{method: "DELETE", path: c, access: write, replication: replicated, sharded: true, api: h.deleteCollection},
		{method: "PUT", path: c + "/index", access: write, replication: replicated, sharded: true, api: h.createIndex},
		{method: "DELETE", path: c + "/index/{field_name}", access: write, replication: replicated, sharded: true, api: h.deleteIndex},
		{method: "PATCH", path: c, access: write, replication: replicated, sharded: true, api: h.updateCollection},

		// "/collections/aliases" has no GET, PUT or DELETE, so the
		// {collection} routes above never take its POST.
		{method: "POST", path: "/collections/aliases", access: write, replication: replicated, api: h.updateAliases},
		{method: "GET", path: "/aliases", access: read, api: h.listAliases},
		{method: "GET", path: c + "/aliases", access: read, sharded: true, api: h.collectionAliases},

		{method: "POST", path: c + "/snapshots/upload", access: write, replication: replicated, sharded: true, snapshot: true, api: h.uploadSnapshot},
		{method: "PUT", path: c + "/snapshots/recover", access: write, replication: snapshotFile, sharded: true, snapshot: true, api: h.recoverSnapshot},
		{method: "POST", path: c + "/snapshots", access: write, snapshot: true, replication: nodeLocal, sharded: true, api: h.createSnapshot},
		{method: "GET", path: c + "/snapshots", access: read, sharded: true, api: h.listSnapshots},
		{method: "GET", path: c + "/snapshots/{snapshot_name}", access: read, snapshot: true, sharded: true, raw: h.downloadSnapshot},
		{method: "DELETE", path: c + "/snapshots/{snapshot_name}", access: write, replication: nodeLocal, sharded: true, api: h.deleteSnapshot},
		{method: "POST", path: "/snapshots", access: write, snapshot: true, replication: nodeLocal, api: h.createFullSnapshot},
		{method: "GET", path: "/snapshots", access: read, api: h.listFullSnapshots},
		{method: "GET", path: "/snapshots/{snapshot_name}", access: read, snapshot: true, raw: h.downloadSnapshot},
		{method: "DELETE", path: "/snapshots/{snapshot_name}", access: write, replication: nodeLocal, api: h.deleteSnapshot},

		{method: "GET", path: "/cluster", access: read, api: h.clusterStatus},
		{method: "POST", path: "/cluster/peer", access: write, replication: replicated, api: h.addPeer},
		{method: "DELETE", path: "/cluster/peer/{peer_id}", access: write, replication: replicated, api: h.removePeer},
		{method: "POST", path: "/cluster/leader/transfer", access: write, replication: replicated, api: h.transferLeader},
		{method: "GET", path: c + "/cluster", access: read, sharded: true, api: h.collectionCluster},
		{method: "POST", path: c + "/cluster", access: write, replication: replicated, sharded: true, api: h.updateCollectionCluster},
		{method: "GET", path: "/telemetry", access: read, api: h.telemetry},

		{method: "PUT", path: c + "/points", access: write, replication: pointWrites, sharded: true, api: h.upsertPoints},
		{method: "POST", path: c + "/points", access: read, sharded: true, api: h.retrievePoints},
		{method: "GET", path: c + "/points/{id}", access: read, sharded: true, api: h.getPoint},
		{method: "POST", path: c + "/points/delete", access: write, replication: pointWrites, sharded: true, api: h.deletePoints},
		{method: "POST", path: c + "/points/scroll", access: read, sharded: true, api: h.scrollPoints},
		{method: "POST", path: c + "/points/count", access: read, sharded: true, api: h.countPoints},

		{method: "POST", path: c + "/points/payload", access: write, replication: pointWrites, sharded: true, api: h.setPayload},
		{method: "PUT", path: c + "/points/payload", access: write, replication: pointWrites, sharded: true, api: h.overwritePayload},
		{method: "POST", path: c + "/points/payload/delete", access: write, replication: pointWrites, sharded: true, api: h.deletePayload},
		{method: "POST", path: c + "/points/payload/clear", access: write, replication: pointWrites, sharded: true, api: h.clearPayload},
		{method: "PUT", path: c + "/points/vectors", access: write, replication: pointWrites, sharded: true, api: h.updateVectors},
		{method: "POST", path: c + "/points/vectors/delete", access: write, replication: pointWrites, sharded: true, api: h.deleteVectors},
		{method: "POST", path: c + "/points/batch", access: write, replication: pointWrites, sharded: true, api: h.updateBatch},

		{method: "PUT", path: c + "/interactions", access: write, replication: replicated, sharded: true, users: true, api: h.putInteractions},
		{method: "GET", path: c + "/users/{user}", access: read, sharded: true, users: true, api: h.getUser},
		{method: "DELETE", path: c + "/users/{user}", access: write, replication: replicated, sharded: true, users: true, api: h.deleteUser},
		{method: "POST", path: c + "/train", access: write, replication: replicated, sharded: true, users: true, api: h.startTraining},
		{method: "GET", path: c + "/train", access: read, sharded: true, users: true, api: h.trainingStatus},
		{method: "POST", path: c + "/predict", access: read, sharded: true, users: true, api: h.predict},
	}, unsupportedRoutes()...)
}

// info answers GET / as Qdrant does, without the envelope: clients read
// the version from it.
func info(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"title": "quiver", "version": Version})
}

func (h *Handler) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 while the server takes requests, and 503 once it is
// draining for shutdown or, on a cluster node, until it has caught up.
func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	if h.draining.Load() {
		writeErrorStatus(w, time.Now(), http.StatusServiceUnavailable, "shutting down")
		return
	}
	if err := h.replicaReady(r.Context()); err != nil {
		writeErrorStatus(w, time.Now(), http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// metricsAccess is who may read /metrics: anyone with either key, or
// anyone at all with Config.PublicMetrics.
func (h *Handler) metricsAccess() access {
	if h.cfg.PublicMetrics {
		return public
	}
	return read
}

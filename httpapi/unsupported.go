package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"
)

// ErrNotSupported marks a Qdrant route or feature Quiver does not offer:
// 501, with a message naming the feature and why, so a client learns the
// gap at once rather than from a 404 or a 405 that suggests a typo.
var ErrNotSupported = errors.New("not supported")

// unsupported answers a Qdrant route Quiver lacks. The reasons are listed
// in docs/qdrant-routes.md.
func unsupported(feature, why string) func(*http.Request) (any, error) {
	return func(*http.Request) (any, error) {
		return nil, fmt.Errorf("%w: %s: %s", ErrNotSupported, feature, why)
	}
}

// unsupportedRoutes are Qdrant's routes that answer 501. Sharding and
// peers wait for the cluster (one node holds one shard of each
// collection); the issues report is Qdrant's own advice engine.
func unsupportedRoutes() []route {
	const c = "/collections/{collection}"
	const shards = "custom sharding (collections have one shard on this single node)"
	const cluster = "cluster operations (this server is a single node)"
	const shardSnap = "shard snapshots (a collection is one shard; use the collection's snapshots)"
	routes := []route{
		{method: "PUT", path: c + "/shards", access: write, api: unsupported("shard keys", shards)},
		{method: "POST", path: c + "/shards/delete", access: write, api: unsupported("shard keys", shards)},
		{method: "POST", path: "/cluster/recover", access: write, api: unsupported("cluster recover", cluster)},
		{method: "GET", path: "/issues", access: read, api: unsupported("issues report", "Quiver has no performance advisor")},
		{method: "DELETE", path: "/issues", access: write, api: unsupported("issues report", "Quiver has no performance advisor")},
		{method: "GET", path: c + "/shards/{shard_id}/snapshots", access: read, api: unsupported("shard snapshots", shardSnap)},
		{method: "POST", path: c + "/shards/{shard_id}/snapshots", access: write, api: unsupported("shard snapshots", shardSnap)},
		{method: "GET", path: c + "/shards/{shard_id}/snapshots/{snapshot_name}", access: read, api: unsupported("shard snapshots", shardSnap)},
		{method: "DELETE", path: c + "/shards/{shard_id}/snapshots/{snapshot_name}", access: write, api: unsupported("shard snapshots", shardSnap)},
		{method: "PUT", path: c + "/shards/{shard_id}/snapshots/recover", access: write, api: unsupported("shard snapshots", shardSnap)},
		{method: "POST", path: c + "/shards/{shard_id}/snapshots/upload", access: write, api: unsupported("shard snapshots", shardSnap)},
		{method: "POST", path: c + "/points/search/matrix/pairs", access: read, api: unsupported("distance matrix", "not built yet")},
		{method: "POST", path: c + "/points/search/matrix/offsets", access: read, api: unsupported("distance matrix", "not built yet")},
	}
	for i := range routes {
		routes[i].replication = nodeLocal // they write nothing: their own 501 stands
	}
	return routes
}

// writeLock is the state of POST /locks: while Write is set, every route
// that writes answers 403 with Message, as Qdrant's write lock does. It
// lives in memory, so a restart lifts it (Qdrant's does the same).
type writeLock struct {
	Write   bool   `json:"write"`
	Message string `json:"error_message,omitempty"`
}

// locked returns the write lock's error for a write route, nil otherwise.
func (h *Handler) locked(rt route) error {
	l := h.lock.Load()
	if l == nil || !l.Write || rt.access != write || rt.path == "/locks" {
		return nil
	}
	msg := l.Message
	if msg == "" {
		msg = "write operations are locked (POST /locks)"
	}
	return fmt.Errorf("%w: %s", ErrForbidden, msg)
}

func (h *Handler) getLocks(*http.Request) (any, error) {
	if l := h.lock.Load(); l != nil {
		return *l, nil
	}
	return writeLock{}, nil
}

// setLocks answers POST /locks with the previous lock options.
func (h *Handler) setLocks(r *http.Request) (any, error) {
	var req struct {
		Write   *bool  `json:"write"`
		Message string `json:"error_message"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.Write == nil {
		return nil, badRequest("write: required")
	}
	prev := h.lock.Swap(&writeLock{Write: *req.Write, Message: req.Message})
	if prev == nil {
		prev = &writeLock{}
	}
	return *prev, nil
}

// livez answers Kubernetes' liveness probe: the process serves requests.
func livez(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// deleteIndex answers DELETE /collections/{c}/index/{field_name}.
func (h *Handler) deleteIndex(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait", "ordering"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	field := mux.Vars(r)["field_name"]
	if err := h.writer.PayloadIndex(r.Context(), c.Name(), field, ""); err != nil {
		return nil, fmt.Errorf("delete payload index %q: %w", field, err)
	}
	return h.updated(), nil
}

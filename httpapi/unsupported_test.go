package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUnsupportedRoutesAnswer501 checks that Qdrant routes Quiver lacks
// answer 501 naming the feature, not 404 or 405.
func TestUnsupportedRoutesAnswer501(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	for _, rt := range unsupportedRoutes() {
		path := rt.path
		for from, to := range map[string]string{"{collection}": "c", "{shard_id}": "0", "{snapshot_name}": "s", "{peer_id}": "1"} {
			path = strings.ReplaceAll(path, from, to)
		}
		ts.fails(http.StatusNotImplemented, rt.method, path, nil, "not supported")
	}
	ts.fails(http.StatusNotImplemented, "PUT", "/collections/c/shards", nil, "shard keys")
	ts.ok("GET", "/livez", nil, nil)
}

// TestWriteLock checks POST /locks: writes answer 403 with the message
// while locked, reads go on, and unlocking restores writes.
func TestWriteLock(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	var prev writeLock
	ts.ok("POST", "/locks", map[string]any{"write": true, "error_message": "maintenance until noon"}, &prev)
	require.False(t, prev.Write)
	ts.fails(http.StatusForbidden, "PUT", "/collections/c/points", map[string]any{"points": []any{map[string]any{"id": 1, "vector": []float32{1, 2}}}}, "maintenance until noon")
	ts.fails(http.StatusForbidden, "PUT", "/collections/d", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, "maintenance")
	ts.ok("POST", "/collections/c/points/scroll", map[string]any{}, nil)
	var now writeLock
	ts.ok("GET", "/locks", nil, &now)
	require.Equal(t, writeLock{Write: true, Message: "maintenance until noon"}, now)
	ts.fails(http.StatusBadRequest, "POST", "/locks", map[string]any{}, "write")
	ts.ok("POST", "/locks", map[string]any{"write": false}, &prev)
	require.True(t, prev.Write)
	ts.ok("PUT", "/collections/c/points", map[string]any{"points": []any{map[string]any{"id": 1, "vector": []float32{1, 2}}}}, nil)
}

// TestDeletePayloadIndexRoute drops an index over HTTP: the collection no
// longer lists it, filters on the field still work, a second drop is 404.
func TestDeletePayloadIndexRoute(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}, "payload_schema": map[string]any{"k": "keyword"}}, nil)
	ts.ok("PUT", "/collections/c/points", map[string]any{"points": []any{
		map[string]any{"id": 1, "vector": []float32{1, 2}, "payload": map[string]any{"k": "a"}},
		map[string]any{"id": 2, "vector": []float32{2, 1}, "payload": map[string]any{"k": "b"}},
	}}, nil)
	ts.ok("DELETE", "/collections/c/index/k", nil, nil)
	var info struct {
		PayloadSchema map[string]any `json:"payload_schema"`
	}
	ts.ok("GET", "/collections/c", nil, &info)
	require.NotContains(t, info.PayloadSchema, "k")
	var count struct{ Count int }
	ts.ok("POST", "/collections/c/points/count", map[string]any{"filter": map[string]any{"must": []any{map[string]any{"key": "k", "match": map[string]any{"value": "b"}}}}}, &count)
	require.Equal(t, 1, count.Count)
	ts.fails(http.StatusNotFound, "DELETE", "/collections/c/index/k", nil, "k")
}

package httpapi

import (
	"encoding/json"
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

// TestSpecListsModels checks that /openapi.json names the server's text
// models where requests may carry one.
func TestSpecListsModels(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	resp, err := http.Get(ts.url + "/openapi.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	var spec map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&spec))
	enum := dig(spec, "components", "schemas", "Document", "properties", "model", "enum")
	require.Equal(t, []any{"fake", "Qdrant/bm25"}, enum)
	enum = dig(spec, "components", "schemas", "VectorParams", "properties", "model", "enum")
	require.Equal(t, []any{"fake"}, enum)
	without, err := specFor(nil)
	require.NoError(t, err)
	var bare map[string]any
	require.NoError(t, json.Unmarshal(without, &bare))
	require.Nil(t, dig(bare, "components", "schemas", "VectorParams", "properties", "model"), "no models, no model field")
}

// TestLiteralRoutesShadowVariables checks that a path naming a literal
// route answers 405 for a method only a route with a variable there has,
// rather than treating the literal as a name.
func TestLiteralRoutesShadowVariables(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	for _, tc := range []struct{ method, path, allow string }{
		{"GET", "/collections/c/snapshots/recover", "PUT"},
		{"DELETE", "/collections/c/snapshots/upload", "POST"},
		{"GET", "/collections/c/points/count", "POST"},
		{"GET", "/collections/aliases", "POST"},
	} {
		r := ts.do(tc.method, tc.path, nil)
		require.Equal(t, http.StatusMethodNotAllowed, r.Code, "%s %s: %s", tc.method, tc.path, r.Error)
		require.Equal(t, tc.allow, r.Header.Get("Allow"), "%s %s", tc.method, tc.path)
	}
	// Other names still reach the route with the variable.
	ts.fails(http.StatusBadRequest, "GET", "/collections/c/points/count2", nil, "point id")
}

package httpapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func matchFilter(key string, v any) map[string]any {
	return map[string]any{"must": []any{map[string]any{"key": key, "match": map[string]any{"value": v}}}}
}

// scrollIDs returns the ids of the points of collection c matching f.
func scrollIDs(ts *testServer, c string, f map[string]any) []any {
	ts.t.Helper()
	var page struct {
		Points []hit `json:"points"`
	}
	body := map[string]any{"limit": 100}
	if f != nil {
		body["filter"] = f
	}
	ts.ok("POST", "/collections/"+c+"/points/scroll", body, &page)
	return ids(page.Points)
}

func payloadOf(ts *testServer, c string, id int) map[string]any {
	ts.t.Helper()
	var recs []hit
	ts.ok("POST", "/collections/"+c+"/points", map[string]any{"ids": []int{id}, "with_payload": true}, &recs)
	require.Len(ts.t, recs, 1)
	return recs[0].Payload
}

func TestPayloadRoutes(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seed(ts, "c", 4)
	ts.ok("PUT", "/collections/c/index", map[string]any{"field_name": "tag", "field_schema": "keyword"}, nil)
	ts.ok("PUT", "/collections/c/index", map[string]any{"field_name": "n", "field_schema": "integer"}, nil)

	var upd updateResult
	ts.ok("POST", "/collections/c/points/payload?wait=true", map[string]any{"payload": map[string]any{"tag": "a", "n": 10}, "points": []int{1, 2}}, &upd)
	require.Equal(t, "completed", upd.Status)
	require.Equal(t, map[string]any{"n": float64(10), "even": false, "tag": "a"}, payloadOf(ts, "c", 1))
	require.Equal(t, []any{float64(1), float64(2)}, scrollIDs(ts, "c", matchFilter("tag", "a")))
	require.Empty(t, scrollIDs(ts, "c", matchFilter("n", 1)), "the indexed old value is gone")
	require.Equal(t, []any{float64(1), float64(2)}, scrollIDs(ts, "c", matchFilter("n", 10)))

	// A nested key, selected by filter.
	ts.ok("POST", "/collections/c/points/payload", map[string]any{"payload": map[string]any{"x": 1}, "key": "meta.inner", "filter": matchFilter("tag", "a")}, nil)
	require.Equal(t, map[string]any{"inner": map[string]any{"x": float64(1)}}, payloadOf(ts, "c", 2)["meta"])

	// Overwrite, then delete keys, then clear.
	ts.ok("PUT", "/collections/c/points/payload", map[string]any{"payload": map[string]any{"tag": "b"}, "points": []int{2}}, nil)
	require.Equal(t, map[string]any{"tag": "b"}, payloadOf(ts, "c", 2))
	require.Equal(t, []any{float64(1)}, scrollIDs(ts, "c", matchFilter("tag", "a")))
	ts.ok("POST", "/collections/c/points/payload/delete", map[string]any{"keys": []string{"meta.inner.x", "even"}, "points": []int{1}}, nil)
	require.Equal(t, map[string]any{"n": float64(10), "tag": "a", "meta": map[string]any{"inner": map[string]any{}}}, payloadOf(ts, "c", 1))
	ts.ok("POST", "/collections/c/points/payload/clear", map[string]any{"filter": matchFilter("tag", "a")}, nil)
	require.Equal(t, map[string]any{}, payloadOf(ts, "c", 1))
	require.Empty(t, scrollIDs(ts, "c", matchFilter("tag", "a")))
	ts.ok("POST", "/collections/c/points/payload/clear", map[string]any{"points": []int{2, 3}}, nil)
	require.Equal(t, map[string]any{}, payloadOf(ts, "c", 3))

	// The vectors stayed.
	var one hit
	ts.ok("GET", "/collections/c/points/1", nil, &one)
	require.Equal(t, []float32{1, 1, 0}, one.Vector)
}

func TestUpdateVectorsRoutes(t *testing.T) {
	ts := newNamedServer(t)
	var res struct {
		Points []namedHit `json:"points"`
	}
	// Point 2 gets a text vector and a new cf; its payload stays.
	ts.ok("PUT", "/collections/m/points/vectors?wait=true", map[string]any{"points": []any{
		map[string]any{"id": 2, "vector": map[string]any{"cf": []float32{0, 0, 5}, "text": map[string]any{"text": "quiet drama", "model": "fake"}}},
	}}, nil)
	ts.ok("POST", "/collections/m/points/query", map[string]any{"query": []float32{0, 0, 1}, "using": "cf", "limit": 1, "with_payload": true}, &res)
	require.Equal(t, float64(2), res.Points[0].ID)
	require.Equal(t, map[string]any{"g": "drama"}, res.Points[0].Payload)
	ts.ok("POST", "/collections/m/points/query", map[string]any{"query": map[string]any{"text": "quiet drama"}, "using": "text", "limit": 1}, &res)
	require.Equal(t, float64(2), res.Points[0].ID)

	// Deleting text from 1 and 2 by filter leaves point 3 alone on text.
	ts.ok("POST", "/collections/m/points/vectors/delete", map[string]any{"filter": map[string]any{"must_not": []any{map[string]any{"has_id": []int{3}}}}, "vector": []string{"text"}}, nil)
	ts.ok("POST", "/collections/m/points/query", map[string]any{"query": map[string]any{"text": "space"}, "using": "text", "limit": 10}, &res)
	require.Len(t, res.Points, 1)
	require.Equal(t, float64(3), res.Points[0].ID)
	var recs []namedHit
	ts.ok("POST", "/collections/m/points", map[string]any{"ids": []int{1}, "with_vector": true}, &recs)
	require.Equal(t, map[string][]float32{"cf": {1, 0, 0}}, recs[0].Vector)

	// The unnamed vector of a plain collection.
	seed(ts, "c", 2)
	ts.ok("PUT", "/collections/c/points/vectors", map[string]any{"points": []any{map[string]any{"id": 1, "vector": []float32{0, 0, 7}}}}, nil)
	var one hit
	ts.ok("GET", "/collections/c/points/1", nil, &one)
	require.Equal(t, []float32{0, 0, 7}, one.Vector)
	require.Equal(t, float64(1), one.Payload["n"])
}

func TestBatchRoute(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seed(ts, "c", 3)
	var out []updateResult
	ts.ok("POST", "/collections/c/points/batch?wait=true", map[string]any{"operations": []any{
		map[string]any{"upsert": map[string]any{"points": []any{map[string]any{"id": 4, "vector": []float32{4, 1, 0}, "payload": map[string]any{"n": 4}}}}},
		map[string]any{"set_payload": map[string]any{"payload": map[string]any{"t": "x"}, "points": []int{4, 1}}},
		map[string]any{"overwrite_payload": map[string]any{"payload": map[string]any{"t": "y"}, "points": []int{2}}},
		map[string]any{"delete_payload": map[string]any{"keys": []string{"n"}, "points": []int{4}}},
		map[string]any{"clear_payload": map[string]any{"points": []int{3}}},
		map[string]any{"delete": map[string]any{"points": []int{1}}},
		map[string]any{"update_vectors": map[string]any{"points": []any{map[string]any{"id": 2, "vector": []float32{0, 0, 9}}}}},
	}}, &out)
	require.Len(t, out, 7)
	for i, r := range out {
		require.Equal(t, "completed", r.Status)
		if i > 0 {
			require.Greater(t, r.OperationID, out[i-1].OperationID)
		}
	}
	require.Equal(t, []any{float64(2), float64(3), float64(4)}, scrollIDs(ts, "c", nil))
	require.Equal(t, map[string]any{"t": "x"}, payloadOf(ts, "c", 4))
	require.Equal(t, map[string]any{"t": "y"}, payloadOf(ts, "c", 2))
	require.Equal(t, map[string]any{}, payloadOf(ts, "c", 3))
	var one hit
	ts.ok("GET", "/collections/c/points/2", nil, &one)
	require.Equal(t, []float32{0, 0, 9}, one.Vector)

	// A bad operation anywhere writes nothing, and names itself.
	ts.fails(http.StatusBadRequest, "POST", "/collections/c/points/batch", map[string]any{"operations": []any{
		map[string]any{"upsert": map[string]any{"points": []any{map[string]any{"id": 9, "vector": []float32{9, 1, 0}}}}},
		map[string]any{"set_payload": map[string]any{"payload": map[string]any{}, "points": []int{9}, "key": "a..b"}},
	}}, "operations[1]: key", "a..b")
	ts.fails(http.StatusNotFound, "POST", "/collections/c/points/batch", map[string]any{"operations": []any{
		map[string]any{"upsert": map[string]any{"points": []any{map[string]any{"id": 9, "vector": []float32{9, 1, 0}}}}},
		map[string]any{"delete": map[string]any{"points": []int{2}}},
		map[string]any{"clear_payload": map[string]any{"points": []int{9, 2}}},
	}}, "operations[2]", "2")
	require.Equal(t, []any{float64(2), float64(3), float64(4)}, scrollIDs(ts, "c", nil))
}

func TestPointOpsBadInput(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.MaxBatch = 10 })
	seed(ts, "c", 3)
	ts.ok("PUT", "/collections/m", map[string]any{"vectors": map[string]any{"a": map[string]any{"size": 2, "distance": "Dot"}}}, nil)
	ts.ok("PUT", "/collections/m/points", map[string]any{"points": []any{map[string]any{"id": 1, "vector": map[string]any{"a": []float32{1, 0}}}}}, nil)
	upsert := map[string]any{"upsert": map[string]any{"points": []any{map[string]any{"id": 1, "vector": []float32{1, 1, 1}}}}}
	many := make([]any, 11)
	for i := range many {
		many[i] = upsert
	}
	cases := []struct {
		name, method, path string
		body               any
		code               int
		want               []string
	}{
		{"set both", "POST", "/c/points/payload", map[string]any{"payload": map[string]any{}, "points": []int{1}, "filter": map[string]any{}}, 400, []string{"points and filter", "not both"}},
		{"set neither", "POST", "/c/points/payload", map[string]any{"payload": map[string]any{}}, 400, []string{"points or filter"}},
		{"set no payload", "POST", "/c/points/payload", map[string]any{"points": []int{1}}, 400, []string{"payload"}},
		{"set payload not object", "POST", "/c/points/payload", map[string]any{"points": []int{1}, "payload": []int{1}}, 400, []string{"payload"}},
		{"set bad key", "POST", "/c/points/payload", map[string]any{"points": []int{1}, "payload": map[string]any{}, "key": "a[x]"}, 400, []string{"key", "a[x]"}},
		{"set empty key", "POST", "/c/points/payload", map[string]any{"points": []int{1}, "payload": map[string]any{}, "key": ""}, 400, []string{"key"}},
		{"set unknown field", "POST", "/c/points/payload", map[string]any{"points": []int{1}, "payload": map[string]any{}, "colour": 1}, 400, []string{"colour"}},
		{"set too many ids", "POST", "/c/points/payload", map[string]any{"points": []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, "payload": map[string]any{}}, 400, []string{"points", "limit 10"}},
		{"set missing point", "POST", "/c/points/payload", map[string]any{"points": []int{1, 77}, "payload": map[string]any{"z": 1}}, 404, []string{"77"}},
		{"set bad filter", "POST", "/c/points/payload", map[string]any{"filter": 3, "payload": map[string]any{}}, 400, []string{"filter"}},
		{"overwrite key", "PUT", "/c/points/payload", map[string]any{"points": []int{1}, "payload": map[string]any{}, "key": "a"}, 400, []string{"key"}},
		{"overwrite neither", "PUT", "/c/points/payload", map[string]any{"payload": map[string]any{}}, 400, []string{"points or filter"}},
		{"delete no keys", "POST", "/c/points/payload/delete", map[string]any{"points": []int{1}}, 400, []string{"keys"}},
		{"delete bad key", "POST", "/c/points/payload/delete", map[string]any{"points": []int{1}, "keys": []string{"ok", "a."}}, 400, []string{"keys[1]"}},
		{"delete both", "POST", "/c/points/payload/delete", map[string]any{"keys": []string{"n"}, "points": []int{1}, "filter": map[string]any{}}, 400, []string{"points and filter"}},
		{"clear neither", "POST", "/c/points/payload/clear", map[string]any{}, 400, []string{"points or filter"}},
		{"clear shard key", "POST", "/c/points/payload/clear", map[string]any{"points": []int{1}, "shard_key": "s"}, 400, []string{"shard_key"}},
		{"vectors unknown name", "PUT", "/m/points/vectors", map[string]any{"points": []any{map[string]any{"id": 1, "vector": map[string]any{"nope": []float32{1, 0}}}}}, 400, []string{"points[0]", `"nope"`}},
		{"vectors wrong size", "PUT", "/m/points/vectors", map[string]any{"points": []any{map[string]any{"id": 1, "vector": map[string]any{"a": []float32{1}}}}}, 400, []string{"points[0]", "size 1"}},
		{"vectors no id", "PUT", "/m/points/vectors", map[string]any{"points": []any{map[string]any{"vector": map[string]any{"a": []float32{1, 0}}}}}, 400, []string{"points[0].id"}},
		{"vectors no vector", "PUT", "/m/points/vectors", map[string]any{"points": []any{map[string]any{"id": 1}}}, 400, []string{"points[0].vector"}},
		{"vectors no points", "PUT", "/m/points/vectors", map[string]any{}, 400, []string{"points"}},
		{"vectors missing point", "PUT", "/m/points/vectors", map[string]any{"points": []any{map[string]any{"id": 5, "vector": map[string]any{"a": []float32{1, 0}}}}}, 404, []string{"5"}},
		{"vectors unnamed in named", "PUT", "/m/points/vectors", map[string]any{"points": []any{map[string]any{"id": 1, "vector": []float32{1, 0}}}}, 400, []string{"points[0]", "unnamed"}},
		{"delete vectors unknown name", "POST", "/m/points/vectors/delete", map[string]any{"points": []int{1}, "vector": []string{"a", "nope"}}, 400, []string{"vector[1]", `"nope"`}},
		{"delete vectors no names", "POST", "/m/points/vectors/delete", map[string]any{"points": []int{1}}, 400, []string{"vector"}},
		{"delete vectors both", "POST", "/m/points/vectors/delete", map[string]any{"points": []int{1}, "filter": map[string]any{}, "vector": []string{"a"}}, 400, []string{"points and filter"}},
		{"delete unnamed vector", "POST", "/c/points/vectors/delete", map[string]any{"points": []int{1}, "vector": []string{""}}, 400, []string{"vector[0]", "unnamed"}},
		{"batch no operations", "POST", "/c/points/batch", map[string]any{}, 400, []string{"operations"}},
		{"batch empty operation", "POST", "/c/points/batch", map[string]any{"operations": []any{map[string]any{}}}, 400, []string{"operations[0]", "exactly one"}},
		{"batch two in one", "POST", "/c/points/batch", map[string]any{"operations": []any{map[string]any{"delete": map[string]any{"points": []int{1}}, "clear_payload": map[string]any{"points": []int{1}}}}}, 400, []string{"operations[0]", "exactly one"}},
		{"batch unknown operation", "POST", "/c/points/batch", map[string]any{"operations": []any{map[string]any{"explode": map[string]any{}}}}, 400, []string{"explode"}},
		{"batch bad upsert", "POST", "/c/points/batch", map[string]any{"operations": []any{upsert, map[string]any{"upsert": map[string]any{"points": []any{map[string]any{"id": 1}}}}}}, 400, []string{"operations[1].upsert", "points[0].vector"}},
		{"batch bad vectors", "POST", "/c/points/batch", map[string]any{"operations": []any{map[string]any{"update_vectors": map[string]any{"points": []any{map[string]any{"id": 1, "vector": []float32{1}}}}}}}, 400, []string{"operations[0]", "size 1"}},
		{"batch bad delete_vectors", "POST", "/c/points/batch", map[string]any{"operations": []any{map[string]any{"delete_vectors": map[string]any{"points": []int{1}}}}}, 400, []string{"operations[0].delete_vectors", "vector"}},
		{"batch too many points", "POST", "/c/points/batch", map[string]any{"operations": many}, 400, []string{"operations", "limit 10"}},
		{"batch missing collection", "POST", "/nope/points/batch", map[string]any{"operations": []any{}}, 404, []string{"not found"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts.fails(c.code, c.method, "/collections"+c.path, c.body, c.want...)
		})
	}
	require.Equal(t, map[string]any{"n": float64(1), "even": false}, payloadOf(ts, "c", 1), "no bad request wrote")
	var one hit
	ts.ok("GET", "/collections/c/points/1", nil, &one)
	require.Equal(t, []float32{1, 1, 0}, one.Vector)
}

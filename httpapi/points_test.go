package httpapi

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

const uuidA = "6f1c2a3e-1111-4a2b-9c3d-123456789abc"

// seed creates collection c (Dot, size 3) with points 1..n whose vectors
// are (i, 1, 0) and payloads {"n": i, "even": i%2==0}.
func seed(ts *testServer, c string, n int) {
	ts.ok("PUT", "/collections/"+c, map[string]any{"vectors": map[string]any{"size": 3, "distance": "Dot"}}, nil)
	pts := make([]map[string]any, n)
	for i := range pts {
		pts[i] = map[string]any{"id": i + 1, "vector": []float32{float32(i + 1), 1, 0}, "payload": map[string]any{"n": i + 1, "even": (i+1)%2 == 0}}
	}
	ts.ok("PUT", "/collections/"+c+"/points?wait=true", map[string]any{"points": pts}, nil)
}

func TestUpsertRetrieveDelete(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seed(ts, "c", 5)

	var upd updateResult
	ts.ok("PUT", "/collections/c/points", map[string]any{"batch": map[string]any{
		"ids":      []any{6, uuidA},
		"vectors":  [][]float32{{6, 1, 0}, {0, 0, 1}},
		"payloads": []any{map[string]any{"n": 6}, nil},
	}}, &upd)
	require.Equal(t, "completed", upd.Status)

	var recs []hit
	ts.ok("POST", "/collections/c/points", map[string]any{"ids": []any{uuidA, 2, 99}, "with_vector": true}, &recs)
	require.Equal(t, []any{uuidA, float64(2)}, ids(recs), "missing ids are skipped, order kept")
	require.Equal(t, []float32{0, 0, 1}, recs[0].Vector)
	require.Equal(t, map[string]any{}, recs[0].Payload)
	require.Equal(t, map[string]any{"n": float64(2), "even": true}, recs[1].Payload)

	ts.ok("POST", "/collections/c/points", map[string]any{"ids": []any{2}, "with_payload": []string{"n"}}, &recs)
	require.Equal(t, map[string]any{"n": float64(2)}, recs[0].Payload)
	require.Nil(t, recs[0].Vector)
	ts.ok("POST", "/collections/c/points", map[string]any{"ids": []any{2}, "with_payload": map[string]any{"exclude": []string{"n"}}}, &recs)
	require.Equal(t, map[string]any{"even": true}, recs[0].Payload)
	ts.ok("POST", "/collections/c/points", map[string]any{"ids": []any{2}, "with_payload": false}, &recs)
	require.Nil(t, recs[0].Payload)

	var one hit
	ts.ok("GET", "/collections/c/points/"+uuidA, nil, &one)
	require.Equal(t, uuidA, one.ID)
	ts.ok("GET", "/collections/c/points/3", nil, &one)
	require.Equal(t, []float32{3, 1, 0}, one.Vector)
	ts.fails(http.StatusNotFound, "GET", "/collections/c/points/77", nil, "77")
	ts.fails(http.StatusBadRequest, "GET", "/collections/c/points/abc", nil, "abc")

	// Upsert replaces.
	ts.ok("PUT", "/collections/c/points", map[string]any{"points": []any{map[string]any{"id": 3, "vector": []float32{0, 3, 0}, "payload": map[string]any{"n": 33}}}}, nil)
	ts.ok("GET", "/collections/c/points/3", nil, &one)
	require.Equal(t, []float32{0, 3, 0}, one.Vector)
	require.Equal(t, float64(33), one.Payload["n"])

	var count struct{ Count int }
	ts.ok("POST", "/collections/c/points/count", map[string]any{"exact": true}, &count)
	require.Equal(t, 7, count.Count)

	ts.ok("POST", "/collections/c/points/delete?wait=true", map[string]any{"points": []any{1, uuidA, 1000}}, nil)
	ts.ok("POST", "/collections/c/points/count", nil, &count)
	require.Equal(t, 5, count.Count)
	ts.ok("POST", "/collections/c/points/delete", map[string]any{"filter": map[string]any{"must": []any{map[string]any{"key": "even", "match": map[string]any{"value": true}}}}}, nil)
	ts.ok("POST", "/collections/c/points/count", nil, &count)
	require.Equal(t, 3, count.Count, "left: 3 and 6 (no even field), 5 (odd)")
	ts.ok("POST", "/collections/c/points", map[string]any{"ids": []any{3, 5, 2, 4, 6}}, &recs)
	require.Equal(t, []any{float64(3), float64(5), float64(6)}, ids(recs))
}

func TestScrollVisitsEveryPointOnce(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seed(ts, "c", 23)
	ts.ok("PUT", "/collections/c/points", map[string]any{"points": []any{map[string]any{"id": uuidA, "vector": []float32{1, 1, 1}}}}, nil)

	seen := map[any]bool{}
	var offset any
	pages := 0
	for {
		var page struct {
			Points []hit `json:"points"`
			Next   any   `json:"next_page_offset"`
		}
		ts.ok("POST", "/collections/c/points/scroll", map[string]any{"limit": 5, "offset": offset, "with_payload": true}, &page)
		pages++
		for _, p := range page.Points {
			require.False(t, seen[p.ID], "point %v twice", p.ID)
			seen[p.ID] = true
		}
		if page.Next == nil {
			break
		}
		offset = page.Next
	}
	require.Len(t, seen, 24)
	require.Equal(t, 5, pages)
	require.True(t, seen[uuidA])

	var page struct {
		Points []hit `json:"points"`
	}
	ts.ok("POST", "/collections/c/points/scroll", map[string]any{"limit": 100, "filter": map[string]any{"must": map[string]any{"key": "n", "range": map[string]any{"gte": 20}}}}, &page)
	require.Equal(t, []any{float64(20), float64(21), float64(22), float64(23)}, ids(page.Points))
	require.Equal(t, float64(20), page.Points[0].Payload["n"], "scroll returns payloads by default")

	var count struct{ Count int }
	ts.ok("POST", "/collections/c/points/count", map[string]any{"filter": map[string]any{"must": []any{map[string]any{"key": "even", "match": map[string]any{"value": true}}}}}, &count)
	require.Equal(t, 11, count.Count)
}

func TestPointsBadInput(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.MaxBatch = 10; c.MaxLimit = 50 })
	seed(ts, "c", 3)
	pt := func(id, vec any) map[string]any { return map[string]any{"id": id, "vector": vec} }
	many := make([]any, 11)
	for i := range many {
		many[i] = pt(i+1, []float32{1, 1, 1})
	}
	cases := []struct {
		name, method, path string
		body               any
		code               int
		want               string
	}{
		{"wrong size", "PUT", "/points", map[string]any{"points": []any{pt(1, []float32{1, 2})}}, 400, "size 2"},
		{"nan", "PUT", "/points", `{"points":[{"id":1,"vector":[1,"NaN",1]}]}`, 400, "vector"},
		{"negative id", "PUT", "/points", `{"points":[{"id":-1,"vector":[1,1,1]}]}`, 400, "-1"},
		{"float id", "PUT", "/points", `{"points":[{"id":1.5,"vector":[1,1,1]}]}`, 400, "1.5"},
		{"bad uuid", "PUT", "/points", `{"points":[{"id":"not-a-uuid","vector":[1,1,1]}]}`, 400, "not-a-uuid"},
		{"missing id", "PUT", "/points", map[string]any{"points": []any{map[string]any{"vector": []float32{1, 1, 1}}}}, 400, "points[0].id"},
		{"missing vector", "PUT", "/points", map[string]any{"points": []any{map[string]any{"id": 1}}}, 400, "points[0].vector"},
		{"null vector", "PUT", "/points", `{"points":[{"id":1,"vector":null}]}`, 400, "vector"},
		{"id as vector", "PUT", "/points", map[string]any{"points": []any{pt(1, 5)}}, 400, "not a point id"},
		{"named vector", "PUT", "/points", map[string]any{"points": []any{pt(1, map[string]any{"img": []float32{1, 1, 1}})}}, 400, "named"},
		{"payload not object", "PUT", "/points", `{"points":[{"id":1,"vector":[1,1,1],"payload":[1]}]}`, 400, "payload"},
		{"unknown point field", "PUT", "/points", `{"points":[{"id":1,"vector":[1,1,1],"colour":1}]}`, 400, `"colour"`},
		{"both forms", "PUT", "/points", map[string]any{"points": []any{}, "batch": map[string]any{"ids": []int{}, "vectors": []any{}}}, 400, "exactly one"},
		{"neither form", "PUT", "/points", map[string]any{}, 400, "exactly one"},
		{"batch lengths", "PUT", "/points", map[string]any{"batch": map[string]any{"ids": []int{1, 2}, "vectors": [][]float32{{1, 1, 1}}}}, 400, "2 ids, 1 vectors"},
		{"too many points", "PUT", "/points", map[string]any{"points": many}, 400, "limit 10"},
		{"bad wait", "PUT", "/points?wait=maybe", map[string]any{"points": []any{pt(1, []float32{1, 1, 1})}}, 400, "wait"},
		{"unknown param", "PUT", "/points?colour=red", map[string]any{"points": []any{pt(1, []float32{1, 1, 1})}}, 400, "colour"},
		{"shard key", "PUT", "/points", map[string]any{"points": []any{pt(1, []float32{1, 1, 1})}, "shard_key": "a"}, 400, "shard_key"},
		{"doc without model", "PUT", "/points", map[string]any{"points": []any{pt(1, map[string]any{"text": "hi"})}}, 400, "no model"},
		{"doc unknown model", "PUT", "/points", map[string]any{"points": []any{pt(1, map[string]any{"text": "hi", "model": "zz"})}}, 400, "zz"},
		{"retrieve no ids", "POST", "/points", map[string]any{}, 400, "ids"},
		{"retrieve bad with_payload", "POST", "/points", map[string]any{"ids": []int{1}, "with_payload": 3}, 400, "with_payload"},
		{"retrieve named with_vector", "POST", "/points", map[string]any{"ids": []int{1}, "with_vector": []string{"img"}}, 400, "with_vector"},
		{"delete neither", "POST", "/points/delete", map[string]any{}, 400, "exactly one"},
		{"delete bad filter", "POST", "/points/delete", map[string]any{"filter": map[string]any{"must": []any{map[string]any{"key": "n", "near": 3}}}}, 400, "near"},
		{"scroll limit", "POST", "/points/scroll", map[string]any{"limit": 51}, 400, "limit 51"},
		{"scroll zero limit", "POST", "/points/scroll", map[string]any{"limit": 0}, 400, "limit 0"},
		{"scroll order_by", "POST", "/points/scroll", map[string]any{"order_by": "n"}, 400, "order_by"},
		{"scroll bad offset", "POST", "/points/scroll", map[string]any{"offset": "x"}, 400, `"x"`},
		{"count bad filter", "POST", "/points/count", map[string]any{"filter": 3}, 400, "filter"},
		{"missing collection", "POST", "/points/count", map[string]any{}, 404, "not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			col := "/collections/c"
			if c.code == 404 {
				col = "/collections/missing"
			}
			ts.fails(c.code, c.method, col+c.path, c.body, c.want)
		})
	}
	var count struct{ Count int }
	ts.ok("POST", "/collections/c/points/count", nil, &count)
	require.Equal(t, 3, count.Count, "no bad request wrote")
	var one hit
	ts.ok("GET", fmt.Sprintf("/collections/c/points/%d", 1), nil, &one)
	require.Equal(t, []float32{1, 1, 0}, one.Vector)
}

func TestParseVector(t *testing.T) {
	for in, want := range map[string][]float32{
		"[]":                  {},
		"[ ]":                 {},
		"[1]":                 {1},
		"[ 1 , -2.5e3,0.125]": {1, -2500, 0.125},
		"[\n3,\t4\n]":         {3, 4},
	} {
		got, err := parseVector([]byte(in))
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for in, msg := range map[string]string{
		`["1"]`:    `component 0: "1"`,
		"[null]":   "component 0: null",
		"[1,[2]]":  "component 1: [2",
		"[1e999]":  "out of float32 range",
		"[1,true]": "component 1: true",
	} {
		_, err := parseVector([]byte(in))
		require.ErrorContains(t, err, msg, in)
	}
}

func TestPayloadNumbersStayExact(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}, "payload_schema": map[string]any{"big": "integer"}}, nil)
	ts.ok("PUT", "/collections/c/points", `{"points":[{"id":1,"vector":[1,0],"payload":{"big":12345678901234567890,"f":0.1,"neg":-7}}]}`, nil)
	r := ts.do("GET", "/collections/c/points/1", nil)
	require.Equal(t, http.StatusOK, r.Code)
	require.Contains(t, string(r.Result), `"big":12345678901234567890`)
	require.Contains(t, string(r.Result), `"f":0.1`)
	var count struct{ Count int }
	ts.ok("POST", "/collections/c/points/count", `{"filter":{"must":[{"key":"neg","range":{"lt":0}}]}}`, &count)
	require.Equal(t, 1, count.Count, "json.Number payloads still filter as numbers")
	ts.ok("POST", "/collections/c/points/count", `{"filter":{"must":[{"key":"big","range":{"gt":1e19}}]}}`, &count)
	require.Equal(t, 1, count.Count, "and the payload index reads them")
}

// TestHugeVectorRefused: a vector whose scores would overflow float32 is
// refused with a 400 naming the point, and the collection keeps answering.
func TestHugeVectorRefused(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	require.Equal(t, 200, ts.do("PUT", "/collections/c", `{"vectors": {"size": 4, "distance": "Dot"}}`).Code)
	require.Equal(t, 200, ts.do("PUT", "/collections/c/points", `{"points": [{"id": 1, "vector": [1, 2, 3, 4]}]}`).Code)
	r := ts.do("PUT", "/collections/c/points", `{"points": [{"id": 7, "vector": [3e38, 3e38, 3e38, 3e38]}]}`)
	require.Equal(t, 400, r.Code)
	require.Contains(t, r.Error, "point 7")
	require.Contains(t, r.Error, "overflow")
	r = ts.do("POST", "/collections/c/points/query", `{"query": [3e38, 3e38, 3e38, 3e38]}`)
	require.Equal(t, 400, r.Code)
	require.Contains(t, r.Error, "overflow")
	require.Equal(t, 200, ts.do("POST", "/collections/c/points/query", `{"query": [1, 1, 1, 1]}`).Code)
}

// TestHNSWConfigBounded: an ef_construct past hnsw.MaxEf is refused with
// a 400 naming it.
func TestHNSWConfigBounded(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	r := ts.do("PUT", "/collections/c", `{"vectors": {"size": 4, "distance": "Dot"}, "hnsw_config": {"ef_construct": 100000000}}`)
	require.Equal(t, 400, r.Code)
	require.Contains(t, r.Error, "hnsw_config.ef_construct 100000000")
	require.Equal(t, 404, ts.do("GET", "/collections/c", nil).Code, "nothing created")
}

package httpapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// namedHit is a result or record of a collection with named vectors.
type namedHit struct {
	ID      any                  `json:"id"`
	Score   float32              `json:"score"`
	Payload map[string]any       `json:"payload"`
	Vector  map[string][]float32 `json:"vector"`
}

func newNamedServer(t *testing.T) *testServer {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/m", map[string]any{"vectors": map[string]any{
		"text": map[string]any{"model": "fake"},
		"cf":   map[string]any{"size": 3, "distance": "Dot"},
	}}, nil)
	ts.ok("PUT", "/collections/m/points", map[string]any{"points": []any{
		map[string]any{"id": 1, "vector": map[string]any{"text": map[string]any{"text": "space opera"}, "cf": []float32{1, 0, 0}}, "payload": map[string]any{"g": "scifi"}},
		map[string]any{"id": 2, "vector": map[string]any{"cf": []float32{0, 1, 0}}, "payload": map[string]any{"g": "drama"}},
		map[string]any{"id": 3, "vector": map[string]any{"text": map[string]any{"text": "space war", "model": "fake"}}, "payload": map[string]any{"g": "scifi"}},
	}}, nil)
	// The batch form: a map of names to one vector per id.
	ts.ok("PUT", "/collections/m/points", map[string]any{"batch": map[string]any{
		"ids":     []int{4, 5},
		"vectors": map[string]any{"cf": [][]float32{{0.9, 0.1, 0}, {0, 0, 1}}},
	}}, nil)
	return ts
}

func TestNamedCollectionInfo(t *testing.T) {
	ts := newNamedServer(t)
	var info struct {
		PointsCount         int `json:"points_count"`
		IndexedVectorsCount int `json:"indexed_vectors_count"`
		Config              struct {
			Params struct {
				Vectors map[string]struct {
					Size     int    `json:"size"`
					Distance string `json:"distance"`
					Model    string `json:"model"`
				} `json:"vectors"`
			} `json:"params"`
		} `json:"config"`
	}
	ts.ok("GET", "/collections/m", nil, &info)
	require.Equal(t, 5, info.PointsCount)
	require.Equal(t, 6, info.IndexedVectorsCount, "2 text + 4 cf")
	v := info.Config.Params.Vectors
	require.Len(t, v, 2)
	require.Equal(t, 64, v["text"].Size)
	require.Equal(t, "Cosine", v["text"].Distance)
	require.Equal(t, "fake", v["text"].Model)
	require.Equal(t, 3, v["cf"].Size)
	require.Equal(t, "Dot", v["cf"].Distance)
}

func TestNamedReadAndQuery(t *testing.T) {
	ts := newNamedServer(t)

	var recs []namedHit
	ts.ok("POST", "/collections/m/points", map[string]any{"ids": []int{1, 2, 3}, "with_vector": []string{"cf"}}, &recs)
	require.Len(t, recs, 3)
	require.Equal(t, map[string][]float32{"cf": {1, 0, 0}}, recs[0].Vector)
	require.Equal(t, map[string][]float32{"cf": {0, 1, 0}}, recs[1].Vector)
	require.Equal(t, map[string][]float32{}, recs[2].Vector, "point 3 lacks cf")

	var one namedHit
	ts.ok("GET", "/collections/m/points/1", nil, &one)
	require.Len(t, one.Vector["text"], 64)
	require.Equal(t, []float32{1, 0, 0}, one.Vector["cf"])

	var page struct {
		Points []namedHit `json:"points"`
	}
	ts.ok("POST", "/collections/m/points/scroll", map[string]any{"with_vector": true, "limit": 2}, &page)
	require.Len(t, page.Points, 2)
	require.Contains(t, page.Points[0].Vector, "text")

	// query with using: cf is Dot, so [1,0,0] ranks 1, 4, then the rest.
	var res struct {
		Points []namedHit `json:"points"`
	}
	ts.ok("POST", "/collections/m/points/query", map[string]any{"query": []float32{1, 0, 0}, "using": "cf", "limit": 2, "with_vector": []string{"cf"}}, &res)
	require.Equal(t, []any{float64(1), float64(4)}, []any{res.Points[0].ID, res.Points[1].ID})
	require.Equal(t, map[string][]float32{"cf": {0.9, 0.1, 0}}, res.Points[1].Vector)

	// A text query on "text" uses its model and finds only points with it.
	ts.ok("POST", "/collections/m/points/query", map[string]any{"query": map[string]any{"text": "space"}, "using": "text", "limit": 10}, &res)
	require.Len(t, res.Points, 2)

	// Filters work with using.
	ts.ok("POST", "/collections/m/points/query", map[string]any{"query": []float32{0, 1, 0}, "using": "cf",
		"filter": map[string]any{"must": []any{map[string]any{"key": "g", "match": map[string]any{"value": "scifi"}}}}}, &res)
	require.Len(t, res.Points, 1)
	require.Equal(t, float64(1), res.Points[0].ID)

	// Recommend by a point id on cf.
	ts.ok("POST", "/collections/m/points/query", map[string]any{"query": map[string]any{"recommend": map[string]any{"positive": []int{1}}}, "using": "cf", "limit": 1}, &res)
	require.Equal(t, float64(4), res.Points[0].ID)
	ts.ok("POST", "/collections/m/points/query", map[string]any{"query": 1, "using": "cf", "limit": 1,
		"lookup_from": map[string]any{"collection": "m", "vector": "cf"}}, &res)
	require.Equal(t, float64(1), res.Points[0].ID, "lookup_from does not exclude the example")

	// The legacy search's named form and legacy recommend's using.
	var hits []namedHit
	ts.ok("POST", "/collections/m/points/search", map[string]any{"vector": map[string]any{"name": "cf", "vector": []float32{0, 0, 1}}, "limit": 1, "with_vector": true}, &hits)
	require.Equal(t, float64(5), hits[0].ID)
	require.Equal(t, map[string][]float32{"cf": {0, 0, 1}}, hits[0].Vector)
	ts.ok("POST", "/collections/m/points/recommend", map[string]any{"positive": []int{2}, "using": "cf", "limit": 1}, &hits)
	require.Len(t, hits, 1)
	var lists [][]namedHit
	ts.ok("POST", "/collections/m/points/search/batch", map[string]any{"searches": []any{
		map[string]any{"vector": map[string]any{"name": "cf", "vector": []float32{1, 0, 0}}, "limit": 1, "with_vector": true},
	}}, &lists)
	require.Equal(t, []float32{1, 0, 0}, lists[0][0].Vector["cf"])
	require.Len(t, lists[0][0].Vector["text"], 64)
}

func TestNamedBadInput(t *testing.T) {
	ts := newNamedServer(t)
	q := []float32{1, 0, 0}
	cases := []struct {
		name, method, path string
		body               any
		want               []string
	}{
		{"unknown using", "POST", "/points/query", map[string]any{"query": q, "using": "x"}, []string{`using "x"`, "(it has: cf, text)"}},
		{"no using", "POST", "/points/query", map[string]any{"query": q}, []string{"no unnamed vector"}},
		{"wrong size for using", "POST", "/points/query", map[string]any{"query": []float32{1}, "using": "cf"}, []string{`vector "cf" of size 1`}},
		{"unknown lookup vector", "POST", "/points/query", map[string]any{"query": 1, "using": "cf", "lookup_from": map[string]any{"collection": "m", "vector": "y"}}, []string{`lookup_from.vector "y"`}},
		{"unknown with_vector", "POST", "/points", map[string]any{"ids": []int{1}, "with_vector": []string{"img"}}, []string{"with_vector", `"img"`}},
		{"unknown name upsert", "PUT", "/points", map[string]any{"points": []any{map[string]any{"id": 9, "vector": map[string]any{"img": q}}}}, []string{`"img"`}},
		{"unnamed upsert", "PUT", "/points", map[string]any{"points": []any{map[string]any{"id": 9, "vector": q}}}, []string{"named vectors (cf, text)"}},
		{"doc on cf", "PUT", "/points", map[string]any{"points": []any{map[string]any{"id": 9, "vector": map[string]any{"cf": map[string]any{"text": "x"}}}}}, []string{"points[0].vector.cf", "no model"}},
		{"batch lengths", "PUT", "/points", map[string]any{"batch": map[string]any{"ids": []int{1, 2}, "vectors": map[string]any{"cf": [][]float32{q}}}}, []string{`2 ids and 1 vectors named "cf"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts.fails(http.StatusBadRequest, c.method, "/collections/m"+c.path, c.body, c.want...)
		})
	}
	var count struct{ Count int }
	ts.ok("POST", "/collections/m/points/count", map[string]any{}, &count)
	require.Equal(t, 5, count.Count, "no bad request wrote")
}

package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sparseHit is a result of a collection with sparse vectors.
type sparseHit struct {
	ID      any                        `json:"id"`
	Score   float32                    `json:"score"`
	Payload map[string]any             `json:"payload"`
	Vector  map[string]json.RawMessage `json:"vector"`
}

func newSparseServer(t *testing.T) *testServer {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/s", map[string]any{
		"vectors":        map[string]any{"dense": map[string]any{"size": 2, "distance": "Dot"}},
		"sparse_vectors": map[string]any{"text-sparse": map[string]any{"modifier": "idf"}, "raw": map[string]any{}},
	}, nil)
	bm25 := func(text string) map[string]any { return map[string]any{"text": text, "model": "Qdrant/bm25"} }
	ts.ok("PUT", "/collections/s/points", map[string]any{"points": []any{
		map[string]any{"id": 1, "vector": map[string]any{"text-sparse": bm25("The quick brown fox jumps over the lazy dog"), "dense": []float32{1, 0}}, "payload": map[string]any{"g": "a"}},
		map[string]any{"id": 2, "vector": map[string]any{"text-sparse": bm25("Quick foxes are clever")}, "payload": map[string]any{"g": "b"}},
		map[string]any{"id": 3, "vector": map[string]any{"raw": map[string]any{"indices": []int{7, 3}, "values": []float32{0.5, 2}}}},
		map[string]any{"id": 4, "vector": map[string]any{"dense": []float32{0, 1}}},
	}}, nil)
	return ts
}

func TestSparseCollectionInfo(t *testing.T) {
	ts := newSparseServer(t)
	var info struct {
		PointsCount int `json:"points_count"`
		Config      struct {
			Params struct {
				Vectors       map[string]json.RawMessage   `json:"vectors"`
				SparseVectors map[string]map[string]string `json:"sparse_vectors"`
			} `json:"params"`
		} `json:"config"`
	}
	ts.ok("GET", "/collections/s", nil, &info)
	assert.Equal(t, 4, info.PointsCount)
	assert.Len(t, info.Config.Params.Vectors, 1)
	assert.Equal(t, map[string]map[string]string{"text-sparse": {"modifier": "idf"}, "raw": {}}, info.Config.Params.SparseVectors)

	// Sparse vectors alone, without "vectors".
	ts.ok("PUT", "/collections/only", map[string]any{"sparse_vectors": map[string]any{"bm25": map[string]any{"modifier": "idf", "index": map[string]any{"on_disk": false}}}}, nil)
	ts.ok("PUT", "/collections/only2", map[string]any{"vectors": map[string]any{}, "sparse_vectors": map[string]any{"bm25": map[string]any{}}}, nil)
	ts.fails(http.StatusBadRequest, "PUT", "/collections/bad", map[string]any{"sparse_vectors": map[string]any{"x": map[string]any{"modifier": "bm25"}}}, "sparse_vectors.x.modifier")
	ts.fails(http.StatusBadRequest, "PUT", "/collections/bad", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}, "sparse_vectors": map[string]any{"x": map[string]any{}}}, "unnamed dense vector")
}

func TestSparseQuery(t *testing.T) {
	ts := newSparseServer(t)
	var res struct {
		Points []sparseHit `json:"points"`
	}
	ts.ok("POST", "/collections/s/points/query", map[string]any{
		"query": map[string]any{"text": "quick fox", "model": "qdrant/bm25"}, "using": "text-sparse", "with_payload": true,
	}, &res)
	require.Len(t, res.Points, 2)
	assert.Equal(t, float64(2), res.Points[0].ID, "the shorter document first")
	assert.Equal(t, "b", res.Points[0].Payload["g"])

	ts.ok("POST", "/collections/s/points/query", map[string]any{
		"query": map[string]any{"nearest": map[string]any{"text": "quick fox", "model": "Qdrant/bm25", "options": map[string]any{"language": "english"}}},
		"using": "text-sparse", "filter": map[string]any{"must": []any{map[string]any{"key": "g", "match": map[string]any{"value": "a"}}}},
		"with_vector": true,
	}, &res)
	require.Len(t, res.Points, 1)
	assert.Equal(t, float64(1), res.Points[0].ID)
	assert.Contains(t, res.Points[0].Vector, "dense")
	var sv struct {
		Indices []uint32  `json:"indices"`
		Values  []float32 `json:"values"`
	}
	require.NoError(t, json.Unmarshal(res.Points[0].Vector["text-sparse"], &sv))
	assert.Len(t, sv.Indices, 6, "quick brown fox jump lazi dog")
	assert.Len(t, sv.Values, 6)

	ts.ok("POST", "/collections/s/points/query", map[string]any{
		"query": map[string]any{"indices": []int{3, 9}, "values": []float32{1, 1}}, "using": "raw", "with_vector": []string{"raw"},
	}, &res)
	require.Len(t, res.Points, 1)
	assert.JSONEq(t, `{"raw": {"indices": [3, 7], "values": [2, 0.5]}}`, mustJSON(t, res.Points[0].Vector))
	assert.InDelta(t, 2, res.Points[0].Score, 1e-6)

	// A point id stands for its sparse vector; the point is left out.
	ts.ok("POST", "/collections/s/points/query", map[string]any{"query": 2, "using": "text-sparse"}, &res)
	require.Len(t, res.Points, 1)
	assert.Equal(t, float64(1), res.Points[0].ID)
	ts.fails(http.StatusNotFound, "POST", "/collections/s/points/query", map[string]any{"query": 4, "using": "text-sparse"}, `no sparse vector "text-sparse"`)

	thr := float32(100)
	ts.ok("POST", "/collections/s/points/query", map[string]any{
		"query": map[string]any{"indices": []int{3}, "values": []float32{1}}, "using": "raw", "score_threshold": thr,
	}, &res)
	assert.Empty(t, res.Points)

	ts.fails(http.StatusBadRequest, "POST", "/collections/s/points/query", map[string]any{
		"query": map[string]any{"indices": []int{3, 3}, "values": []float32{1, 1}}, "using": "raw"}, "indices[1] repeats")
	ts.fails(http.StatusBadRequest, "POST", "/collections/s/points/query", map[string]any{
		"query": []float32{1, 0}, "using": "raw"}, `"raw" is a sparse vector`)
	ts.fails(http.StatusBadRequest, "POST", "/collections/s/points/query", map[string]any{
		"query": map[string]any{"indices": []int{3}, "values": []float32{1}}, "using": "dense"}, `"dense" is a dense vector`)
	ts.fails(http.StatusBadRequest, "POST", "/collections/s/points/query", map[string]any{
		"query": map[string]any{"text": "x", "model": "Qdrant/bm25", "options": map[string]any{"language": "elvish"}}, "using": "text-sparse"}, "options", "elvish")
	ts.fails(http.StatusBadRequest, "POST", "/collections/s/points/query", map[string]any{
		"query": map[string]any{"text": "x", "model": "Qdrant/bm25", "options": map[string]any{"stemmer": "none"}}, "using": "text-sparse"}, "stemmer")
}

func TestSparseUpsertErrors(t *testing.T) {
	ts := newSparseServer(t)
	put := func(vector any, want ...string) {
		t.Helper()
		ts.fails(http.StatusBadRequest, "PUT", "/collections/s/points", map[string]any{"points": []any{map[string]any{"id": 9, "vector": vector}}}, want...)
	}
	put(map[string]any{"raw": map[string]any{"indices": []int{1, 2}, "values": []float32{1}}}, "raw", "indices has 2 entries and values 1")
	put(map[string]any{"raw": map[string]any{"indices": []int{1, 1}, "values": []float32{1, 2}}}, "raw", "indices[1] repeats")
	put(map[string]any{"raw": map[string]any{"indices": []int{-1}, "values": []float32{1}}}, "raw")
	put(map[string]any{"raw": map[string]any{"indices": []int{1}}}, "raw", "both indices and values")
	put(map[string]any{"raw": []float32{1, 2}}, "points[0].vector.raw", "sparse vector")
	put(map[string]any{"nope": map[string]any{"indices": []int{1}, "values": []float32{1}}}, `no sparse vector named "nope"`)
	put(map[string]any{"indices": []int{1}, "values": []float32{1}}, "needs a name")
	put(map[string]any{"text-sparse": map[string]any{"text": "hello", "model": "fake"}}, "points[0].vector.text-sparse.model")
	put(map[string]any{"text-sparse": map[string]any{"text": "hello", "model": "Qdrant/bm25", "options": map[string]any{"k": -1}}}, "points[0].vector.text-sparse.options", "k -1")
	var n struct {
		Count int `json:"count"`
	}
	ts.ok("POST", "/collections/s/points/count", map[string]any{}, &n)
	assert.Equal(t, 4, n.Count)

	// A replace drops the old sparse vector; a delete drops the point.
	ts.ok("PUT", "/collections/s/points", map[string]any{"points": []any{map[string]any{"id": 3, "vector": map[string]any{"dense": []float32{1, 1}}}}}, nil)
	var res struct {
		Points []sparseHit `json:"points"`
	}
	ts.ok("POST", "/collections/s/points/query", map[string]any{"query": map[string]any{"indices": []int{3}, "values": []float32{1}}, "using": "raw"}, &res)
	assert.Empty(t, res.Points)
	ts.ok("POST", "/collections/s/points/delete", map[string]any{"points": []int{2}}, nil)
	ts.ok("POST", "/collections/s/points/query", map[string]any{"query": map[string]any{"text": "clever", "model": "Qdrant/bm25"}, "using": "text-sparse"}, &res)
	assert.Empty(t, res.Points)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return string(raw)
}

package httpapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bm25Query(text string) map[string]any {
	return map[string]any{"text": text, "model": "Qdrant/bm25"}
}

// hybridPrefetch is a BM25 prefetch and a dense one on newSparseServer's
// collection: the sparse list is [2, 1], the dense one [1, 4].
var hybridPrefetch = []any{
	map[string]any{"query": bm25Query("quick fox"), "using": "text-sparse"},
	map[string]any{"query": []float32{1, 0}, "using": "dense", "limit": 2},
}

func hitIDs(hits []sparseHit) []any {
	out := make([]any, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestQueryFusion(t *testing.T) {
	ts := newSparseServer(t)
	var res struct {
		Points []sparseHit `json:"points"`
	}
	ts.ok("POST", "/collections/s/points/query", map[string]any{
		"prefetch": hybridPrefetch, "query": map[string]any{"fusion": "rrf"}, "with_payload": true,
	}, &res)
	// k = 2: 1 is 1/3 + 1/2, 2 is 1/2, 4 is 1/3.
	require.Equal(t, []any{float64(1), float64(2), float64(4)}, hitIDs(res.Points))
	assert.InDelta(t, 1.0/3+1.0/2, res.Points[0].Score, 1e-6)
	assert.InDelta(t, 1.0/3, res.Points[2].Score, 1e-6)
	assert.Equal(t, "b", res.Points[1].Payload["g"])

	ts.ok("POST", "/collections/s/points/query", map[string]any{
		"prefetch": hybridPrefetch, "query": map[string]any{"rrf": map[string]any{"k": 60, "weights": []float32{1, 1}}}, "limit": 1,
	}, &res)
	require.Len(t, res.Points, 1)
	assert.InDelta(t, 1.0/61+1.0/60, res.Points[0].Score, 1e-6)

	ts.ok("POST", "/collections/s/points/query", map[string]any{
		"prefetch": hybridPrefetch, "query": map[string]any{"fusion": "dbsf"},
		"filter": map[string]any{"must": []any{map[string]any{"key": "g", "match": map[string]any{"value": "b"}}}},
	}, &res)
	assert.Equal(t, []any{float64(2)}, hitIDs(res.Points), "the outer filter reaches the prefetches")

	// One prefetch object, re-scored by a dense query: 2 has no dense vector.
	ts.ok("POST", "/collections/s/points/query", map[string]any{
		"prefetch": map[string]any{"query": bm25Query("quick fox"), "using": "text-sparse"},
		"query":    []float32{2, 0}, "using": "dense",
	}, &res)
	require.Equal(t, []any{float64(1)}, hitIDs(res.Points))
	assert.InDelta(t, 2, res.Points[0].Score, 1e-6, "the exact dot product")

	// Nested, and in a batch.
	var batch []struct {
		Points []sparseHit `json:"points"`
	}
	nested := map[string]any{"prefetch": []any{
		map[string]any{"prefetch": hybridPrefetch, "query": map[string]any{"fusion": "rrf"}, "limit": 2},
		map[string]any{"query": []float32{0, 1}, "using": "dense", "limit": 1},
	}, "query": map[string]any{"fusion": "rrf"}}
	ts.ok("POST", "/collections/s/points/query/batch",
		map[string]any{"searches": []any{nested, map[string]any{"query": []float32{0, 1}, "using": "dense"}}}, &batch)
	require.Len(t, batch, 2)
	// [1, 2] and [4]: 1 and 4 tie at 1/2, then 2 at 1/3.
	assert.Equal(t, []any{float64(1), float64(4), float64(2)}, hitIDs(batch[0].Points))
	assert.Equal(t, float64(4), batch[1].Points[0].ID)
}

func TestQueryMMR(t *testing.T) {
	ts := newSparseServer(t)
	var res struct {
		Points []sparseHit `json:"points"`
	}
	ts.ok("POST", "/collections/s/points/query", map[string]any{
		"query": map[string]any{"nearest": []float32{1, 0.1}, "mmr": map[string]any{"diversity": 0.5, "candidates_limit": 10}}, "using": "dense",
	}, &res)
	require.Equal(t, []any{float64(1), float64(4)}, hitIDs(res.Points))
	assert.InDelta(t, 1, res.Points[0].Score, 1e-6, "the query score, not the MMR score")
	assert.InDelta(t, 0.1, res.Points[1].Score, 1e-6)

	ts.ok("POST", "/collections/s/points/query", map[string]any{
		"query": map[string]any{"nearest": bm25Query("quick fox"), "mmr": map[string]any{}}, "using": "text-sparse",
	}, &res)
	assert.Equal(t, []any{float64(2), float64(1)}, hitIDs(res.Points), "MMR on a sparse vector")
}

func TestQueryPrefetchBadInput(t *testing.T) {
	ts := newSparseServer(t)
	dense := map[string]any{"query": []float32{1, 0}, "using": "dense"}
	deep := map[string]any{"query": []float32{1, 0}, "using": "dense"}
	for range 9 {
		deep = map[string]any{"query": []float32{1, 0}, "using": "dense", "prefetch": deep}
	}
	rrf := map[string]any{"fusion": "rrf"}
	for _, c := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"not an object", map[string]any{"prefetch": "x", "query": rrf}, "prefetch: want an object"},
		{"unknown field", map[string]any{"prefetch": []any{dense, map[string]any{"query": []float32{1, 0}, "lim": 3}}, "query": rrf}, `prefetch[1]: unknown field "lim"`},
		{"offset", map[string]any{"prefetch": map[string]any{"query": []float32{1, 0}, "offset": 3}, "query": rrf}, `prefetch: unknown field "offset"`},
		{"bad query kind", map[string]any{"prefetch": []any{map[string]any{"query": map[string]any{"formula": "x"}}}, "query": rrf}, `prefetch[0].query: "formula" queries are not supported`},
		{"bad query size", map[string]any{"prefetch": []any{map[string]any{"query": []float32{1}, "using": "dense"}}, "query": rrf}, "prefetch[0]"},
		{"zero limit", map[string]any{"prefetch": []any{map[string]any{"query": []float32{1, 0}, "using": "dense", "limit": 0}}, "query": rrf}, "prefetch[0].limit 0"},
		{"nested field", map[string]any{"prefetch": []any{map[string]any{"prefetch": []any{dense, map[string]any{"query": map[string]any{"nearest": nil}}}, "query": rrf}}, "query": rrf}, "prefetch[0].prefetch[1].query.nearest"},
		{"too deep", map[string]any{"prefetch": deep, "query": rrf}, "deeper than 8"},
		{"too many candidates", map[string]any{"prefetch": []any{
			map[string]any{"query": []float32{1, 0}, "using": "dense", "limit": 6000},
			map[string]any{"query": []float32{1, 0}, "using": "dense", "limit": 6000},
		}, "query": rrf}, "12000 candidates"},
		{"fusion alone", map[string]any{"query": rrf}, "query.fusion: needs prefetch"},
		{"bad fusion", map[string]any{"prefetch": dense, "query": map[string]any{"fusion": "mean"}}, `query.fusion "mean"`},
		{"rrf k", map[string]any{"prefetch": dense, "query": map[string]any{"rrf": map[string]any{"k": 0}}}, "query.rrf.k 0"},
		{"rrf weights", map[string]any{"prefetch": dense, "query": map[string]any{"rrf": map[string]any{"weights": []float32{1, 2}}}}, "2 weights for 1"},
		{"rrf unknown", map[string]any{"prefetch": dense, "query": map[string]any{"rrf": map[string]any{"kk": 1}}}, `"kk"`},
		{"mmr diversity", map[string]any{"query": map[string]any{"nearest": []float32{1, 0}, "mmr": map[string]any{"diversity": 2}}, "using": "dense"}, "query.mmr.diversity 2"},
		{"mmr candidates", map[string]any{"query": map[string]any{"nearest": []float32{1, 0}, "mmr": map[string]any{"candidates_limit": 0}}, "using": "dense"}, "query.mmr.candidates_limit 0"},
		{"two prefetches, no query", map[string]any{"prefetch": hybridPrefetch}, "query: required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts.fails(http.StatusBadRequest, "POST", "/collections/s/points/query", c.body, c.want)
		})
	}
}

package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vectorsParams decodes config.params.vectors of GET /collections/{c}.
func vectorsParams(ts *testServer, name string) json.RawMessage {
	var info struct {
		Config struct {
			Params struct {
				Vectors json.RawMessage `json:"vectors"`
			} `json:"params"`
		} `json:"config"`
	}
	ts.ok("GET", "/collections/"+name, nil, &info)
	return info.Config.Params.Vectors
}

// A dense vector named "" alone is the unnamed vector, as in Qdrant, where
// "" is the default vector's name; LangChain creates its collections so.
func TestDefaultVectorNameAlone(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/d", map[string]any{"vectors": map[string]any{"": map[string]any{"size": 2, "distance": "Dot"}}}, nil)
	assert.JSONEq(t, `{"size":2,"distance":"Dot"}`, string(vectorsParams(ts, "d")))
	ts.ok("PUT", "/collections/d/points", map[string]any{"points": []any{
		map[string]any{"id": 1, "vector": map[string]any{"": []float32{1, 0}}},
		map[string]any{"id": 2, "vector": []float32{0, 1}},
	}}, nil)
	var res struct{ Points []hit }
	ts.ok("POST", "/collections/d/points/query", map[string]any{"query": []float32{1, 0.1}, "using": "", "with_vector": true}, &res)
	require.Len(t, res.Points, 2)
	assert.Equal(t, float64(1), res.Points[0].ID)
	assert.Equal(t, []float32{1, 0}, res.Points[0].Vector)

	// A document under "" in a collection with a model.
	ts.ok("PUT", "/collections/t", map[string]any{"vectors": map[string]any{"": map[string]any{"model": "fake"}}}, nil)
	ts.ok("PUT", "/collections/t/points", map[string]any{"points": []any{
		map[string]any{"id": 1, "vector": map[string]any{"": map[string]any{"text": "space opera"}}},
	}}, nil)
	ts.ok("POST", "/collections/t/points/query", map[string]any{"query": map[string]any{"text": "space opera"}, "with_vector": true}, &res)
	require.Len(t, res.Points, 1)
	assert.Len(t, res.Points[0].Vector, ts.model.Dim())
}

// Beside sparse vectors, "" names a dense vector like any other name: the
// shape of LangChain's hybrid collections.
func TestDefaultVectorNameBesideSparse(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/h", map[string]any{
		"vectors":        map[string]any{"": map[string]any{"size": 2, "distance": "Dot"}},
		"sparse_vectors": map[string]any{"sp": map[string]any{}},
	}, nil)
	assert.JSONEq(t, `{"":{"size":2,"distance":"Dot"}}`, string(vectorsParams(ts, "h")))
	sp := func(i int) map[string]any { return map[string]any{"indices": []int{i}, "values": []float32{1}} }
	ts.ok("PUT", "/collections/h/points", map[string]any{"points": []any{
		map[string]any{"id": 1, "vector": map[string]any{"": []float32{1, 0}, "sp": sp(7)}},
		map[string]any{"id": 2, "vector": []float32{0, 1}}, // a bare vector fills ""
		map[string]any{"id": 3, "vector": map[string]any{"sp": sp(7)}},
	}}, nil)

	var res struct{ Points []sparseHit }
	ts.ok("POST", "/collections/h/points/query", map[string]any{"query": []float32{0.1, 1}, "using": "", "with_vector": true}, &res)
	require.Len(t, res.Points, 2, "point 3 has no dense vector")
	assert.Equal(t, float64(2), res.Points[0].ID)
	assert.JSONEq(t, `[0,1]`, string(res.Points[0].Vector[""]))
	assert.Equal(t, float64(1), res.Points[1].ID)
	assert.Contains(t, res.Points[1].Vector, "sp")

	ts.ok("POST", "/collections/h/points/query", map[string]any{"query": sp(7), "using": "sp"}, &res)
	require.Len(t, res.Points, 2)
	assert.ElementsMatch(t, []any{float64(1), float64(3)}, []any{res.Points[0].ID, res.Points[1].ID})

	// Fusion of the two, as LangChain's hybrid search sends it.
	ts.ok("POST", "/collections/h/points/query", map[string]any{
		"prefetch": []any{
			map[string]any{"query": []float32{1, 0}, "using": "", "limit": 2},
			map[string]any{"query": sp(7), "using": "sp", "limit": 2},
		},
		"query": map[string]any{"fusion": "rrf"}, "limit": 3,
	}, &res)
	require.Len(t, res.Points, 3)
	assert.Equal(t, float64(1), res.Points[0].ID, "first in both lists")

	ts.fails(http.StatusNotFound, "POST", "/collections/h/points/query", map[string]any{"query": 3, "using": ""}, `has no vector ""`)
	ts.fails(http.StatusBadRequest, "PUT", "/collections/x", map[string]any{
		"vectors": map[string]any{"": map[string]any{"size": 2, "distance": "Dot"}}, "sparse_vectors": map[string]any{"": map[string]any{}},
	}, `sparse vector name ""`)
}

package httpapi

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// upsertRandomPoints writes n random points of dim components, ids 1..n,
// under vector name ("" for the unnamed one).
func upsertRandomPoints(ts *testServer, coll string, n, dim int, name string) {
	rng := rand.New(rand.NewPCG(3, uint64(n)))
	points := make([]map[string]any, n)
	for i := range points {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		var vec any = v
		if name != "" {
			vec = map[string]any{name: v}
		}
		points[i] = map[string]any{"id": i + 1, "vector": vec}
	}
	ts.ok("PUT", "/collections/"+coll+"/points?wait=true", map[string]any{"points": points}, nil)
}

// TestQuantizedCollectionAPI: create with Qdrant's scalar config, see it in
// the collection info, and search, query and recommend with
// params.quantization; re-scored results match the float search.
func TestQuantizedCollectionAPI(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/q", map[string]any{
		"vectors":             map[string]any{"size": 8, "distance": "Cosine"},
		"quantization_config": map[string]any{"scalar": map[string]any{"type": "int8", "quantile": 0.99, "always_ram": true}},
	}, nil)
	upsertRandomPoints(ts, "q", 400, 8, "")
	var info struct {
		Config struct {
			Quantization map[string]map[string]any `json:"quantization_config"`
		} `json:"config"`
	}
	ts.ok("GET", "/collections/q", nil, &info)
	assert.Equal(t, map[string]map[string]any{"scalar": {"type": "int8", "quantile": 0.99, "always_ram": true}}, info.Config.Quantization)

	query := []float32{1, 0.5, -0.2, 0, 0.3, 0.1, -1, 0.4}
	var floats, rescored, estimates []hit
	ts.ok("POST", "/collections/q/points/search", map[string]any{"vector": query, "limit": 5,
		"params": map[string]any{"hnsw_ef": 128, "quantization": map[string]any{"ignore": true}}}, &floats)
	ts.ok("POST", "/collections/q/points/search", map[string]any{"vector": query, "limit": 5,
		"params": map[string]any{"hnsw_ef": 128, "quantization": map[string]any{"rescore": true, "oversampling": 2.0}}}, &rescored)
	ts.ok("POST", "/collections/q/points/search", map[string]any{"vector": query, "limit": 5,
		"params": map[string]any{"hnsw_ef": 128, "quantization": map[string]any{"rescore": false}}}, &estimates)
	require.Len(t, floats, 5)
	assert.Equal(t, ids(floats), ids(rescored))
	assert.Equal(t, floats[0].Score, rescored[0].Score, "re-scored with the float vectors")
	assert.InDelta(t, floats[0].Score, estimates[0].Score, 0.05)

	var q struct {
		Points []hit `json:"points"`
	}
	ts.ok("POST", "/collections/q/points/query", map[string]any{"query": query, "limit": 5,
		"params": map[string]any{"hnsw_ef": 128, "quantization": map[string]any{"oversampling": 3}}}, &q)
	assert.Equal(t, ids(floats), ids(q.Points))
	var rec []hit
	ts.ok("POST", "/collections/q/points/recommend", map[string]any{"positive": []int{1}, "limit": 3,
		"params": map[string]any{"quantization": map[string]any{"ignore": false, "oversampling": 1.5}}}, &rec)
	assert.Len(t, rec, 3)

	for _, bad := range []struct {
		params any
		want   string
	}{
		{map[string]any{"quantization": map[string]any{"oversampling": 0.5}}, "params.quantization.oversampling"},
		{map[string]any{"quantization": map[string]any{"oversampling": 1000}}, "params.quantization.oversampling"},
		{map[string]any{"quantization": map[string]any{"rescor": true}}, "rescor"},
		{map[string]any{"quantization": map[string]any{"ignore": "yes"}}, "ignore"},
	} {
		ts.fails(http.StatusBadRequest, "POST", "/collections/q/points/search", map[string]any{"vector": query, "params": bad.params}, bad.want)
		ts.fails(http.StatusBadRequest, "POST", "/collections/q/points/query", map[string]any{"query": query, "params": bad.params}, bad.want)
	}
}

// TestQuantizeCollectionByPatch: PATCH quantizes an existing collection,
// per named vector or for the whole collection, and "Disabled" removes it.
func TestQuantizeCollectionByPatch(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/n", map[string]any{"vectors": map[string]any{
		"a": map[string]any{"size": 4, "distance": "Dot"},
		"b": map[string]any{"size": 4, "distance": "Euclid"},
	}}, nil)
	upsertRandomPoints(ts, "n", 300, 4, "a")
	type vectorOut struct {
		Quantization map[string]map[string]any `json:"quantization_config"`
	}
	var info struct {
		Config struct {
			Params struct {
				Vectors map[string]vectorOut `json:"vectors"`
			} `json:"params"`
			Quantization map[string]map[string]any `json:"quantization_config"`
		} `json:"config"`
	}
	scalar := map[string]map[string]any{"scalar": {"type": "int8"}}
	ts.ok("PATCH", "/collections/n", map[string]any{"vectors": map[string]any{"a": map[string]any{"quantization_config": scalar}}}, nil)
	ts.ok("GET", "/collections/n", nil, &info)
	assert.Equal(t, scalar, info.Config.Params.Vectors["a"].Quantization)
	assert.Nil(t, info.Config.Params.Vectors["b"].Quantization)
	assert.Nil(t, info.Config.Quantization)
	c, err := ts.db.Collection("n")
	require.NoError(t, err)
	vc, err := c.VectorConfig("a")
	require.NoError(t, err)
	require.NotNil(t, vc.Quantization)

	ts.ok("PATCH", "/collections/n", map[string]any{"quantization_config": map[string]any{"scalar": map[string]any{"type": "int8", "quantile": 0.95}}}, nil)
	ts.ok("GET", "/collections/n", nil, &info)
	assert.Equal(t, map[string]map[string]any{"scalar": {"type": "int8", "quantile": 0.95}}, info.Config.Quantization)
	var hits []hit
	ts.ok("POST", "/collections/n/points/search", map[string]any{"vector": map[string]any{"name": "a", "vector": []float32{1, 2, 3, 4}}, "limit": 3}, &hits)
	assert.Len(t, hits, 3)

	ts.ok("PATCH", "/collections/n", map[string]any{"quantization_config": "Disabled", "vectors": map[string]any{"a": map[string]any{"quantization_config": "Disabled"}}}, nil)
	ts.ok("GET", "/collections/n", nil, &info)
	assert.Nil(t, info.Config.Quantization)
	assert.Nil(t, info.Config.Params.Vectors["a"].Quantization)
	vc, err = c.VectorConfig("a")
	require.NoError(t, err)
	require.True(t, vc.Quantization.Disabled)
}

// TestBadQuantizationConfigAPI: each bad quantization_config is a 400
// naming the field, on create and on PATCH, and creates nothing.
func TestBadQuantizationConfigAPI(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	vectors := map[string]any{"size": 3, "distance": "Dot"}
	for i, bad := range []struct {
		quant any
		want  string
	}{
		{map[string]any{"binary": map[string]any{"always_ram": true}}, "quantization_config.binary: not supported"},
		{map[string]any{"product": map[string]any{"compression": "x16"}}, "quantization_config.product: not supported"},
		{map[string]any{"scalar": map[string]any{"type": "int4"}}, "quantization_config.scalar.type"},
		{map[string]any{"scalar": map[string]any{"type": "int8", "quantile": 0.1}}, "quantization_config.scalar.quantile"},
		{map[string]any{"scalar": map[string]any{"type": "int8", "quantiel": 0.9}}, `quantization_config.scalar: unknown field "quantiel"`},
		{map[string]any{}, "quantization_config"},
		{"Disabled", "quantization_config"},
		{42, "quantization_config"},
	} {
		ts.fails(http.StatusBadRequest, "PUT", fmt.Sprintf("/collections/bad%d", i), map[string]any{"vectors": vectors, "quantization_config": bad.quant}, bad.want)
		named := map[string]any{"v": map[string]any{"size": 3, "distance": "Dot", "quantization_config": bad.quant}}
		ts.fails(http.StatusBadRequest, "PUT", fmt.Sprintf("/collections/bad%d", i), map[string]any{"vectors": named}, "vectors.v."+bad.want)
	}
	var list struct {
		Collections []any `json:"collections"`
	}
	ts.ok("GET", "/collections", nil, &list)
	require.Empty(t, list.Collections)

	ts.ok("PUT", "/collections/c", map[string]any{"vectors": vectors}, nil)
	ts.fails(http.StatusBadRequest, "PATCH", "/collections/c", map[string]any{"quantization_config": map[string]any{"binary": map[string]any{}}}, "quantization_config.binary: not supported")
	ts.fails(http.StatusBadRequest, "PATCH", "/collections/c", map[string]any{"quantization_config": "Enabled"}, "quantization_config")
	ts.fails(http.StatusBadRequest, "PATCH", "/collections/c", map[string]any{"vectors": map[string]any{"x": map[string]any{"quantization_config": map[string]any{"scalar": map[string]any{"type": "int8"}}}}}, `no vector named "x"`)
}

package httpapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCollectionLifecycle(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)

	ts.ok("PUT", "/collections/c1", map[string]any{"vectors": map[string]any{"size": 4, "distance": "Dot"}, "hnsw_config": map[string]any{"m": 8}}, nil)
	ts.fails(http.StatusConflict, "PUT", "/collections/c1", map[string]any{"vectors": map[string]any{"size": 4, "distance": "Dot"}}, "already exists")
	ts.ok("PUT", "/collections/c0?timeout=5", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Euclid"}}, nil)

	var list struct {
		Collections []struct{ Name string } `json:"collections"`
	}
	ts.ok("GET", "/collections", nil, &list)
	require.Len(t, list.Collections, 2)
	require.Equal(t, "c0", list.Collections[0].Name)
	require.Equal(t, "c1", list.Collections[1].Name)

	var info collectionInfo
	ts.ok("GET", "/collections/c1", nil, &info)
	require.Equal(t, "green", info.Status)
	require.Equal(t, 4, info.Config.Params.Vectors.Size)
	require.EqualValues(t, "Dot", info.Config.Params.Vectors.Distance)
	require.Equal(t, 8, info.Config.HNSW.M)
	require.Equal(t, 0, info.PointsCount)

	var exists struct{ Exists bool }
	ts.ok("GET", "/collections/c1/exists", nil, &exists)
	require.True(t, exists.Exists)
	ts.ok("GET", "/collections/nope/exists", nil, &exists)
	require.False(t, exists.Exists)

	var dropped bool
	ts.ok("DELETE", "/collections/c1", nil, &dropped)
	require.True(t, dropped)
	ts.ok("DELETE", "/collections/c1", nil, &dropped)
	require.False(t, dropped, "dropping a missing collection is false, as in Qdrant")
	ts.fails(http.StatusNotFound, "GET", "/collections/c1", nil, "not found")
	ts.ok("GET", "/collections/c1/exists", nil, &exists)
	require.False(t, exists.Exists)
}

func TestCreateCollectionWithModel(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/docs", map[string]any{"vectors": map[string]any{"model": "fake"}}, nil)
	var info collectionInfo
	ts.ok("GET", "/collections/docs", nil, &info)
	require.Equal(t, 64, info.Config.Params.Vectors.Size, "size comes from the model")
	require.EqualValues(t, "Cosine", info.Config.Params.Vectors.Distance)
	require.Equal(t, "fake", info.Config.Params.Vectors.Model)

	ts.fails(http.StatusBadRequest, "PUT", "/collections/d2", map[string]any{"vectors": map[string]any{"model": "fake", "size": 3}}, "size 3", "64")
	ts.fails(http.StatusBadRequest, "PUT", "/collections/d3", map[string]any{"vectors": map[string]any{"model": "gpt-9"}}, "gpt-9", "fake")
}

func TestCreateCollectionBadInput(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	cases := []struct {
		name, path string
		body       any
		want       string
	}{
		{"no vectors", "/collections/a", map[string]any{}, "vectors"},
		{"no size", "/collections/a", map[string]any{"vectors": map[string]any{"distance": "Dot"}}, "vectors.size"},
		{"no distance", "/collections/a", map[string]any{"vectors": map[string]any{"size": 3}}, "vectors.distance"},
		{"bad distance", "/collections/a", map[string]any{"vectors": map[string]any{"size": 3, "distance": "Hamming"}}, "Hamming"},
		{"huge size", "/collections/a", map[string]any{"vectors": map[string]any{"size": 1 << 30, "distance": "Dot"}}, "vector size"},
		{"negative size", "/collections/a", map[string]any{"vectors": map[string]any{"size": -1, "distance": "Dot"}}, "vector size"},
		{"unknown top field", "/collections/a", map[string]any{"vectors": map[string]any{"size": 3, "distance": "Dot"}, "colour": 1}, `"colour"`},
		{"unknown vectors field", "/collections/a", map[string]any{"vectors": map[string]any{"size": 3, "distance": "Dot", "sise": 3}}, `"sise"`},
		{"named vector without distance", "/collections/a", map[string]any{"vectors": map[string]any{"image": map[string]any{"size": 3}}}, "vectors.image.distance"},
		{"named vector unknown field", "/collections/a", map[string]any{"vectors": map[string]any{"image": map[string]any{"size": 3, "distance": "Dot", "sise": 1}}}, `"sise"`},
		{"empty named vectors", "/collections/a", map[string]any{"vectors": map[string]any{}}, "vectors"},
		{"size as string", "/collections/a", map[string]any{"vectors": map[string]any{"size": "3", "distance": "Dot"}}, "vectors.size"},
		{"quantization", "/collections/a", map[string]any{"vectors": map[string]any{"size": 3, "distance": "Dot"}, "quantization_config": map[string]any{"scalar": map[string]any{}}}, "quantization_config"},
		{"shards", "/collections/a", map[string]any{"vectors": map[string]any{"size": 3, "distance": "Dot"}, "shard_number": 3}, "shard_number"},
		{"bad name", "/collections/a%20b", map[string]any{"vectors": map[string]any{"size": 3, "distance": "Dot"}}, "collection name"},
		{"bad payload schema", "/collections/a", map[string]any{"vectors": map[string]any{"size": 3, "distance": "Dot"}, "payload_schema": map[string]any{"x": "geo"}}, "geo"},
		{"not json", "/collections/a", "{vectors", "not valid JSON"},
		{"trailing data", "/collections/a", `{"vectors":{"size":3,"distance":"Dot"}} {}`, "after the JSON value"},
		{"array body", "/collections/a", `[1,2]`, "(root)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts.fails(http.StatusBadRequest, "PUT", c.path, c.body, c.want)
		})
	}
	var list struct {
		Collections []any `json:"collections"`
	}
	ts.ok("GET", "/collections", nil, &list)
	require.Empty(t, list.Collections, "no bad request created a collection")
}

func TestPayloadIndexRoute(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}, "payload_schema": map[string]any{"city": "keyword"}}, nil)
	var info collectionInfo
	ts.ok("GET", "/collections/c", nil, &info)
	require.EqualValues(t, "keyword", info.PayloadSchema["city"].DataType)

	ts.ok("PUT", "/collections/c/index?wait=true", map[string]any{"field_name": "city", "field_schema": "keyword"}, nil)
	ts.ok("PUT", "/collections/c/index", map[string]any{"field_name": "city", "field_schema": map[string]any{"type": "keyword"}}, nil)
	ts.fails(http.StatusBadRequest, "PUT", "/collections/c/index", map[string]any{"field_name": "city", "field_schema": "integer"}, "already has a keyword index")
	ts.fails(http.StatusBadRequest, "PUT", "/collections/c/index", map[string]any{"field_schema": "integer"}, "field_name")
	ts.fails(http.StatusBadRequest, "PUT", "/collections/c/index", map[string]any{"field_name": "loc", "field_schema": "geo"}, "geo")
	ts.fails(http.StatusBadRequest, "PUT", "/collections/c/index", map[string]any{"field_name": "loc", "field_schema": 3}, "field_schema")

	// An index the collection lacks is built on the live collection, and a
	// filter on its field still selects the right points.
	ts.ok("PUT", "/collections/c/points?wait=true", map[string]any{"points": []any{
		map[string]any{"id": 1, "vector": []float32{1, 0}, "payload": map[string]any{"year": 1995}},
		map[string]any{"id": 2, "vector": []float32{0, 1}, "payload": map[string]any{"year": 2003}},
	}}, nil)
	ts.ok("PUT", "/collections/c/index", map[string]any{"field_name": "year", "field_schema": "integer"}, nil)
	ts.ok("GET", "/collections/c", nil, &info)
	require.EqualValues(t, "integer", info.PayloadSchema["year"].DataType)
	var count struct {
		Count int `json:"count"`
	}
	ts.ok("POST", "/collections/c/points/count", map[string]any{"filter": map[string]any{"must": []any{
		map[string]any{"key": "year", "range": map[string]any{"gte": 2000}}}}}, &count)
	require.Equal(t, 1, count.Count)
	ts.fails(http.StatusBadRequest, "PUT", "/collections/c/index", map[string]any{"field_name": "year", "field_schema": "keyword"}, "already has a integer index")
	ts.fails(http.StatusNotFound, "PUT", "/collections/zz/index", map[string]any{"field_name": "city", "field_schema": "keyword"}, "not found")
}

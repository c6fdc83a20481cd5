package httpapi

import (
	"math"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type projectionOut struct {
	Points []struct {
		ID    float64 `json:"id"`
		X, Y  float64
		Value any `json:"value"`
	} `json:"points"`
	ExplainedVariance [2]float64 `json:"explained_variance"`
	Sample            int        `json:"sample"`
}

// TestProjectionOfALine maps points on the line (t, t, 0): all the
// variance on the first axis, the points at (t-2)·√2 along it in id
// order, and each point's colour value.
func TestProjectionOfALine(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/m", map[string]any{"vectors": map[string]any{"size": 3, "distance": "Euclid"}}, nil)
	var points []map[string]any
	for i := range 5 {
		points = append(points, map[string]any{"id": i + 1, "vector": []float32{float32(i), float32(i), 0},
			"payload": map[string]any{"tags": []string{[]string{"even", "odd"}[i%2], "x"}, "n": i}})
	}
	ts.ok("PUT", "/collections/m/points?wait=true", map[string]any{"points": points}, nil)

	var got projectionOut
	ts.ok("POST", "/collections/m/points/projection", map[string]any{"color_by": "tags"}, &got)
	require.Len(t, got.Points, 5)
	assert.Equal(t, 500, got.Sample)
	assert.InDelta(t, 1, got.ExplainedVariance[0], 1e-6)
	assert.InDelta(t, 0, got.ExplainedVariance[1], 1e-6)
	for i, p := range got.Points {
		assert.Equal(t, float64(i+1), p.ID)
		assert.InDelta(t, float64(i-2)*math.Sqrt2, p.X, 1e-5)
		assert.InDelta(t, 0, p.Y, 1e-5)
		assert.Equal(t, []string{"even", "odd"}[i%2], p.Value, "the first value of an array")
	}

	// A filter and a limit bound the sample; no color_by, no values.
	ts.ok("POST", "/collections/m/points/projection", map[string]any{
		"limit": 2, "filter": map[string]any{"must": []any{map[string]any{"key": "n", "range": map[string]any{"gte": 1}}}},
	}, &got)
	require.Len(t, got.Points, 2)
	assert.Equal(t, []float64{2, 3}, []float64{got.Points[0].ID, got.Points[1].ID})
	assert.Nil(t, got.Points[0].Value)
	assert.InDelta(t, -math.Sqrt2/2, got.Points[0].X, 1e-5, "centred on the sample")
}

func TestProjectionRefusesBadInput(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/m", map[string]any{"vectors": map[string]any{"size": 3, "distance": "Cosine"}}, nil)
	ts.ok("PUT", "/collections/named", map[string]any{"vectors": map[string]any{"a": map[string]any{"size": 2, "distance": "Dot"}}}, nil)
	const path = "/collections/m/points/projection"
	for _, limit := range []int{0, -1, 1001, math.MaxInt32} {
		ts.fails(http.StatusBadRequest, "POST", path, map[string]any{"limit": limit}, "limit")
	}
	ts.fails(http.StatusBadRequest, "POST", path, `{"limt": 3}`, `unknown field "limt"`)
	ts.fails(http.StatusBadRequest, "POST", path, `{"limit": "many"}`, "limit")
	ts.fails(http.StatusBadRequest, "POST", path, `{"filter": {"must": [{"key": "n", "rang": {}}]}}`, "rang")
	ts.fails(http.StatusBadRequest, "POST", path, map[string]any{"using": "b"}, `using "b"`)
	ts.fails(http.StatusBadRequest, "POST", "/collections/named/points/projection", map[string]any{}, `using ""`)
	ts.fails(http.StatusNotFound, "POST", "/collections/nope/points/projection", map[string]any{}, "nope")
}

// TestProjectionNamedAndWide maps a named vector, leaving out the points
// without it, and takes fewer points of wide vectors.
func TestProjectionNamedAndWide(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/named", map[string]any{"vectors": map[string]any{
		"a": map[string]any{"size": 2, "distance": "Dot"}, "b": map[string]any{"size": 2, "distance": "Dot"}}}, nil)
	ts.ok("PUT", "/collections/named/points?wait=true", map[string]any{"points": []any{
		map[string]any{"id": 1, "vector": map[string]any{"a": []float32{1, 0}}},
		map[string]any{"id": 2, "vector": map[string]any{"b": []float32{1, 0}}},
		map[string]any{"id": 3, "vector": map[string]any{"a": []float32{0, 1}, "b": []float32{1, 1}}},
	}}, nil)
	var got projectionOut
	ts.ok("POST", "/collections/named/points/projection", map[string]any{"using": "a"}, &got)
	require.Len(t, got.Points, 2)
	assert.Equal(t, []float64{1, 3}, []float64{got.Points[0].ID, got.Points[1].ID})

	ts.ok("PUT", "/collections/wide", map[string]any{"vectors": map[string]any{"size": 8192, "distance": "Euclid"}}, nil)
	ts.ok("POST", "/collections/wide/points/projection", map[string]any{"limit": 1000}, &got)
	assert.Equal(t, 128, got.Sample, "2^20 numbers of 8192 each")
	assert.Empty(t, got.Points)
}

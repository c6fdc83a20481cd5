package httpapi

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/encoder"
)

func TestTextDocumentsAreBatched(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/docs", map[string]any{"vectors": map[string]any{"model": "fake"}}, nil)
	doc := func(text string) map[string]any { return map[string]any{"text": text, "model": "fake"} }
	before := ts.model.calls.Load()
	ts.ok("PUT", "/collections/docs/points", map[string]any{"points": []any{
		map[string]any{"id": 1, "vector": doc("red apple pie"), "payload": map[string]any{"kind": "food"}},
		map[string]any{"id": 2, "vector": doc("green apple tree"), "payload": map[string]any{"kind": "plant"}},
		map[string]any{"id": 3, "vector": map[string]any{"text": "fast red car"}, "payload": map[string]any{"kind": "car"}},
		map[string]any{"id": 4, "vector": doc("blue ocean wave")},
	}}, nil)
	require.Equal(t, int64(1), ts.model.calls.Load()-before, "four documents, one Encode call")

	// The stored vector is the model's vector for the text.
	want, err := ts.model.Encode(context.Background(), []string{"green apple tree"})
	require.NoError(t, err)
	var one hit
	ts.ok("GET", "/collections/docs/points/2", nil, &one)
	require.Equal(t, want[0], one.Vector)

	var res queryResult
	ts.ok("POST", "/collections/docs/points/query", map[string]any{"query": doc("red apple pie"), "limit": 1}, &res)
	require.Equal(t, []int{1}, asInts(res.Points))
	require.InDelta(t, 1, res.Points[0].Score, 1e-5)
	ts.ok("POST", "/collections/docs/points/query", map[string]any{"query": map[string]any{"nearest": map[string]any{"text": "fast car"}}, "limit": 1}, &res)
	require.Equal(t, []int{3}, asInts(res.Points), "model defaults to the collection's")

	before = ts.model.calls.Load()
	ts.ok("POST", "/collections/docs/points/query", map[string]any{"query": map[string]any{"recommend": map[string]any{
		"positive": []any{doc("red apple pie"), doc("pie")}, "negative": []any{doc("tree")}, "strategy": "best_score",
	}}, "limit": 2}, &res)
	require.Equal(t, int64(1), ts.model.calls.Load()-before, "three examples, one Encode call")
	require.Equal(t, 1, asInts(res.Points)[0])

	var batch []queryResult
	before = ts.model.calls.Load()
	ts.ok("POST", "/collections/docs/points/query/batch", map[string]any{"searches": []any{
		map[string]any{"query": doc("ocean"), "limit": 1},
		map[string]any{"query": doc("car"), "limit": 1},
	}}, &batch)
	require.Equal(t, int64(1), ts.model.calls.Load()-before, "a batch's documents share one Encode call")
	require.Equal(t, []int{4}, asInts(batch[0].Points))
	require.Equal(t, []int{3}, asInts(batch[1].Points))

	var legacy []hit
	ts.ok("POST", "/collections/docs/points/search", map[string]any{"vector": doc("blue wave"), "limit": 1}, &legacy)
	require.Equal(t, []int{4}, asInts(legacy))
}

func TestTextDocumentLimits(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.MaxTexts = 2 })
	ts.ok("PUT", "/collections/docs", map[string]any{"vectors": map[string]any{"model": "fake"}}, nil)
	pts := []any{}
	for i := range 3 {
		pts = append(pts, map[string]any{"id": i, "vector": map[string]any{"text": "word"}})
	}
	ts.fails(400, "PUT", "/collections/docs/points", map[string]any{"points": pts}, "more than 2 text documents")
	ts.fails(400, "PUT", "/collections/docs/points", map[string]any{"points": []any{map[string]any{"id": 1, "vector": map[string]any{"text": "  "}}}}, "empty")
	ts.fails(400, "PUT", "/collections/docs/points", map[string]any{"points": []any{map[string]any{"id": 1, "vector": map[string]any{"text": "a", "options": map[string]any{"x": 1}}}}}, "options")
}

// TestRealModel runs text documents through the real encoder when `make
// model` has fetched it.
func TestRealModel(t *testing.T) {
	dir := filepath.Join("..", "models", "all-MiniLM-L6-v2")
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err != nil {
		t.Skip("no model; run make model")
	}
	enc, err := encoder.Load(dir, encoder.Options{Threads: 1})
	require.NoError(t, err)
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.Models = map[string]Embedder{enc.Name(): enc} })
	ts.ok("PUT", "/collections/docs", map[string]any{"vectors": map[string]any{"model": "all-MiniLM-L6-v2"}}, nil)
	texts := []string{"The cat sleeps on the sofa", "Interest rates rose again this quarter", "A recipe for tomato soup"}
	pts := []any{}
	for i, text := range texts {
		pts = append(pts, map[string]any{"id": i + 1, "vector": map[string]any{"text": text, "model": "all-MiniLM-L6-v2"}, "payload": map[string]any{"text": text}})
	}
	ts.ok("PUT", "/collections/docs/points", map[string]any{"points": pts}, nil)
	for q, want := range map[string]int{"a kitten napping": 1, "the central bank and inflation": 2, "how to cook vegetables": 3} {
		var res queryResult
		ts.ok("POST", "/collections/docs/points/query", map[string]any{"query": map[string]any{"text": q, "model": "all-MiniLM-L6-v2"}, "limit": 1}, &res)
		require.Equal(t, []int{want}, asInts(res.Points), q)
	}
}

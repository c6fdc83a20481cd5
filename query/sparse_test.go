package query

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/bm25"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

func TestSparseBM25(t *testing.T) {
	ctx := context.Background()
	db, err := index.Open(ctx, t.TempDir(), index.Options{})
	require.NoError(t, err)
	defer db.Close()
	c, err := db.Create(ctx, "docs", index.Config{
		Vectors:       map[string]index.VectorConfig{"dense": {Size: 2, Distance: index.Dot}},
		SparseVectors: map[string]index.SparseVectorConfig{"bm25": {Modifier: index.ModifierIDF}},
	})
	require.NoError(t, err)
	e, err := New(Config{})
	require.NoError(t, err)
	texts := []string{
		"The quick brown fox jumps over the lazy dog",
		"Foxes are quick and clever animals",
		"A lazy afternoon in the sun",
		"Dogs and cats living together",
	}
	docs := make([]Document, len(texts))
	for i, s := range texts {
		docs[i] = Document{Text: s, Model: "qdrant/bm25"}
	}
	vecs, err := e.EncodeSparse(docs, func(i int) string { return "doc" })
	require.NoError(t, err)
	var pts []index.Point
	for i, v := range vecs {
		pts = append(pts, index.Point{ID: pointid.FromNum(uint64(i)), Sparse: map[string]sparse.Vector{"bm25": v}, Payload: map[string]any{"i": i}})
	}
	pts = append(pts, index.Point{ID: pointid.FromNum(9), Vectors: map[string][]float32{"dense": {1, 0}}})
	require.NoError(t, c.Upsert(ctx, pts))

	run := func(req Request) []index.ScoredPoint {
		t.Helper()
		res, err := e.Run(ctx, c, []Request{req})
		require.NoError(t, err)
		return res[0]
	}
	res := run(Request{Using: "bm25", Query: &Nearest{To: Input{Doc: &Document{Text: "quick foxes", Model: bm25.Model}}}})
	require.Len(t, res, 2, "only documents sharing a term")
	ids := []pointid.ID{res[0].ID, res[1].ID}
	assert.ElementsMatch(t, []pointid.ID{pointid.FromNum(0), pointid.FromNum(1)}, ids)
	// The shorter document wins: same terms, higher BM25 weights.
	assert.Equal(t, pointid.FromNum(1), res[0].ID)

	thr := res[0].Score
	assert.Len(t, run(Request{Using: "bm25", ScoreThreshold: &thr, Query: &Nearest{To: Input{Doc: &Document{Text: "quick foxes", Model: bm25.Model}}}}), 1)
	assert.Len(t, run(Request{Using: "bm25", Offset: 1, Query: &Nearest{To: Input{Doc: &Document{Text: "quick foxes", Model: bm25.Model}}}}), 1)
	f := mustFilter(t, `{"must": [{"key": "i", "match": {"value": 0}}]}`)
	res = run(Request{Using: "bm25", Filter: f, Query: &Nearest{To: Input{Doc: &Document{Text: "quick foxes", Model: bm25.Model}}},
		ReadOptions: index.ReadOptions{WithVector: true}})
	require.Len(t, res, 1)
	assert.Equal(t, vecs[0], res[0].Sparse["bm25"])

	q := sparse.Vector{Indices: []uint32{bm25.TokenID("lazi")}, Values: []float32{1}}
	res = run(Request{Using: "bm25", Query: &Nearest{To: Input{Sparse: &q}}})
	assert.Len(t, res, 2)

	// A point id stands for its sparse vector and is left out.
	res = run(Request{Using: "bm25", Query: &Nearest{To: Input{ID: ptr(pointid.FromNum(1))}}})
	require.NotEmpty(t, res)
	assert.Equal(t, pointid.FromNum(0), res[0].ID, "the other fox")
	for _, r := range res {
		assert.NotEqual(t, pointid.FromNum(1), r.ID)
	}
	_, err = e.Run(ctx, c, []Request{{Using: "bm25", Query: &Nearest{To: Input{ID: ptr(pointid.FromNum(9))}}}})
	require.ErrorIs(t, err, index.ErrNotFound, "point 9 has no bm25 vector")

	for _, bad := range []Request{
		{Using: "bm25", Query: &Nearest{To: Input{Vector: []float32{1, 0}}}},
		{Using: "bm25", Query: &Nearest{To: Input{Doc: &Document{Text: "x", Model: "fake"}}}},
		{Using: "bm25", Query: &Recommend{Positive: []Input{{Sparse: &q}}}},
		{Using: "dense", Query: &Nearest{To: Input{Sparse: &q}}},
		{Using: "bm25", Query: &Nearest{To: Input{Doc: &Document{Text: "x", Model: bm25.Model, Options: bm25.Options{Language: "elvish"}}}}},
	} {
		_, err := e.Run(ctx, c, []Request{bad})
		require.ErrorIs(t, err, index.ErrBadRequest)
	}
}

func ptr[T any](v T) *T { return &v }

package query

import (
	"context"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
)

// namedFixture is a collection with a text vector (model "fake", Cosine,
// 6 dimensions) and a cf vector (Dot, 4); odd points lack text.
func namedFixture(t *testing.T) (*index.DB, *index.Collection, map[pointid.ID][]float32) {
	t.Helper()
	r := testseed.New(t)
	db, err := index.Open(context.Background(), t.TempDir(), index.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	c, err := db.Create(context.Background(), "m", index.Config{Vectors: map[string]index.VectorConfig{
		"text": {Size: 6, Distance: index.Cosine, Model: "fake"},
		"cf":   {Size: 4, Distance: index.Dot},
	}})
	require.NoError(t, err)
	cf := map[pointid.ID][]float32{}
	var pts []index.Point
	for i := range 200 {
		p := index.Point{ID: pointid.FromNum(uint64(i)), Vectors: map[string][]float32{}, Payload: map[string]any{"even": i%2 == 0}}
		v := make([]float32, 4)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		p.Vectors["cf"], cf[p.ID] = v, v
		if i%2 == 0 {
			t := make([]float32, 6)
			for j := range t {
				t[j] = float32(r.NormFloat64())
			}
			p.Vectors["text"] = t
		}
		pts = append(pts, p)
	}
	require.NoError(t, c.Upsert(context.Background(), pts))
	return db, c, cf
}

func TestNamedUsing(t *testing.T) {
	ctx := context.Background()
	db, c, cf := namedFixture(t)
	emb := &fakeEmbedder{dim: 6}
	e, err := New(Config{Models: map[string]Embedder{"fake": emb}, Lookup: func(name string) (Collection, error) { return db.Collection(name) }})
	require.NoError(t, err)

	// A text query on "text" uses that vector's model and finds only
	// points carrying it.
	res, err := e.Run(ctx, c, []Request{{Using: "text", Query: &Nearest{To: Input{Doc: &Document{Text: "hello"}}}, Limit: 20}})
	require.NoError(t, err)
	require.Len(t, res[0], 20)
	for _, r := range res[0] {
		n, _ := r.ID.Num()
		require.Zero(t, n%2, "point %s lacks text", r.ID)
	}
	require.Len(t, emb.calls, 1)

	// Recommending by cf from a point id ranks by exact dot products.
	id := pointid.FromNum(3)
	for _, strategy := range []Strategy{AverageVector, BestScore, SumScores} {
		res, err = e.Run(ctx, c, []Request{{Using: "cf", Exact: true, Limit: 5,
			Query: &Recommend{Positive: []Input{{ID: &id}}, Strategy: strategy}}})
		require.NoError(t, err, strategy)
		var want []pointid.ID
		for other := range cf {
			if other != id {
				want = append(want, other)
			}
		}
		dot := func(o pointid.ID) float64 { return similarity64(index.Dot, cf[id], cf[o]) }
		sort.Slice(want, func(i, j int) bool { return dot(want[i]) > dot(want[j]) })
		got := make([]pointid.ID, len(res[0]))
		for i, r := range res[0] {
			got[i] = r.ID
		}
		require.Equal(t, want[:5], got, strategy)
	}

	// lookup_from with a vector name reads that vector.
	res, err = e.Run(ctx, c, []Request{{Using: "cf", Exact: true, Limit: 1, LookupFrom: "m", LookupVector: "cf",
		Query: &Nearest{To: Input{ID: &id}}}})
	require.NoError(t, err)
	require.Len(t, res[0], 1)

	// Errors name the field.
	_, err = e.Run(ctx, c, []Request{{Using: "x", Query: &Nearest{To: Input{Vector: []float32{1}}}}})
	require.ErrorIs(t, err, index.ErrBadRequest)
	require.ErrorContains(t, err, `using "x": `)
	require.ErrorContains(t, err, `collection "m" has no vector named "x" (it has: cf, text)`)
	_, err = e.Run(ctx, c, []Request{{Using: "cf", LookupFrom: "m", LookupVector: "y", Query: &Nearest{To: Input{ID: &id}}}})
	require.ErrorContains(t, err, `lookup_from.vector "y": `)
	_, err = e.Run(ctx, c, []Request{{Using: "cf", Query: &Nearest{To: Input{Doc: &Document{Text: "hi"}}}}})
	require.ErrorContains(t, err, `vector "cf" of collection "m" has no model`)
	_, err = e.Run(ctx, c, []Request{{Using: "text", Query: &Nearest{To: Input{ID: &id}}}})
	require.ErrorIs(t, err, index.ErrNotFound, "point 3 lacks text")

	// Writes encode each document with its vector's model.
	vecs, err := e.EncodeNamed(ctx, c, []NamedDocument{{Using: "text", Document: Document{Text: "a"}}},
		func(int) string { return "doc" })
	require.NoError(t, err)
	require.Len(t, vecs[0], 6)
	_, err = e.EncodeNamed(ctx, c, []NamedDocument{{Using: "nope", Document: Document{Text: "a"}}},
		func(int) string { return "doc" })
	require.ErrorContains(t, err, `has no vector named "nope"`)
}

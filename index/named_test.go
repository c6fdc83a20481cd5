package index

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/stretchr/testify/require"
)

var namedConfig = Config{
	Vectors: map[string]VectorConfig{
		"text": {Size: 8, Distance: Cosine},
		"cf":   {Size: 5, Distance: Dot, HNSW: HNSWConfig{M: 8}},
	},
	PayloadIndexes: map[string]FieldType{"genre": Keyword},
}

// namedModel is what a named collection should hold.
type namedModel map[pointid.ID]Point

// randNamedPoint gives a point text, cf, both or (rarely) neither.
func randNamedPoint(r *rand.Rand, id pointid.ID) Point {
	p := Point{ID: id, Vectors: map[string][]float32{}, Payload: map[string]any{"genre": []string{"a", "b", "c"}[r.IntN(3)]}}
	switch k := r.IntN(10); {
	case k < 4:
		p.Vectors["text"], p.Vectors["cf"] = randVec(r, 8), randVec(r, 5)
	case k < 7:
		p.Vectors["text"] = randVec(r, 8)
	case k < 9:
		p.Vectors["cf"] = randVec(r, 5)
	}
	return p
}

// checkNamedSearch compares graph search on each vector with exact search
// and with the model: exact results hold only points carrying the vector
// and matching the filter, and the graph finds nearly all of them.
func checkNamedSearch(t *testing.T, c *Collection, r *rand.Rand, m namedModel) {
	t.Helper()
	ctx := context.Background()
	dims := map[string]int{"text": 8, "cf": 5}
	for _, using := range []string{"text", "cf"} {
		hits, total := 0, 0
		for q := range 20 {
			var f *filter.Filter
			if q%2 == 1 {
				f = &filter.Filter{Must: []filter.Condition{{Field: &filter.FieldCondition{Key: "genre", Match: filter.NewMatchValue("a")}}}}
			}
			want := 0
			for _, p := range m {
				if _, ok := p.Vectors[using]; ok && (f == nil || p.Payload["genre"] == "a") {
					want++
				}
			}
			vec := randVec(r, dims[using])
			exact, err := c.Search(ctx, SearchRequest{Using: using, Vector: vec, Limit: 10, Filter: f, Exact: true})
			require.NoError(t, err)
			require.Len(t, exact, min(10, want), "using %s q %d: %v", using, q, err)
			for _, e := range exact {
				p := m[e.ID]
				require.Contains(t, p.Vectors, using, "point %s lacks %q", e.ID, using)
				if f != nil {
					require.Equal(t, "a", p.Payload["genre"])
				}
			}
			got, err := c.Search(ctx, SearchRequest{Using: using, Vector: vec, Limit: 10, Filter: f, Ef: 100})
			require.NoError(t, err)
			for _, e := range exact {
				total++
				if slices.ContainsFunc(got, func(g ScoredPoint) bool { return g.ID == e.ID }) {
					hits++
				}
			}
		}
		require.GreaterOrEqual(t, float64(hits), 0.95*float64(total), "recall of %q: %d/%d", using, hits, total)
	}
}

func TestNamedVectors(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	fs := vfs.NewMem()
	db := openTest(t, fs)
	c, err := db.Create(ctx, "movies", namedConfig)
	require.NoError(t, err)
	require.Equal(t, uint8(1), c.Config().Vectors["cf"].Space)
	require.Equal(t, uint8(2), c.Config().Vectors["text"].Space)

	m := namedModel{}
	var pts []Point
	for i := range 600 {
		p := randNamedPoint(r, pointid.FromNum(uint64(i)))
		pts, m[p.ID] = append(pts, p), p
	}
	require.NoError(t, c.Upsert(ctx, pts))
	checkNamedSearch(t, c, r, m)
	require.NoError(t, c.saveGraph())

	// After the snapshot: replace points (changing which vectors they
	// carry) and delete some, so the reopen below replays the log.
	for i := range 150 {
		id := pointid.FromNum(uint64(r.IntN(700)))
		if i%3 == 0 {
			_, err := c.Delete(ctx, []pointid.ID{id})
			require.NoError(t, err)
			delete(m, id)
			continue
		}
		p := randNamedPoint(r, id)
		require.NoError(t, c.Upsert(ctx, []Point{p}))
		m[p.ID] = p
	}
	checkNamedSearch(t, c, r, m)
	require.Empty(t, c.checkGraph())

	// A crash: no graph saved at close.
	require.NoError(t, c.close(false))
	require.NoError(t, db.store.Close())
	db = openTest(t, fs)
	c, err = db.Collection("movies")
	require.NoError(t, err)
	require.Empty(t, c.checkGraph())
	checkNamedSearch(t, c, r, m)
	info, err := c.Info()
	require.NoError(t, err)
	carrying := func(name string) int {
		n := 0
		for _, p := range m {
			if _, ok := p.Vectors[name]; ok {
				n++
			}
		}
		return n
	}
	require.Equal(t, map[string]int{"text": carrying("text"), "cf": carrying("cf")}, info.VectorNodes)

	// A clean restart loads both graphs from their snapshots.
	require.NoError(t, db.Close())
	db = openTest(t, fs)
	defer db.Close()
	c, err = db.Collection("movies")
	require.NoError(t, err)
	require.Empty(t, c.checkGraph())
	checkNamedSearch(t, c, r, m)

	// Reads return the vectors asked for that a point carries.
	for id, p := range m {
		recs, err := c.Get(ctx, []pointid.ID{id}, ReadOptions{WithVector: true})
		require.NoError(t, err)
		require.Equal(t, p.Vectors, recs[0].Vectors)
		require.Nil(t, recs[0].Vector)
		recs, err = c.Get(ctx, []pointid.ID{id}, ReadOptions{VectorNames: []string{"cf"}})
		require.NoError(t, err)
		want := map[string][]float32{}
		if v, ok := p.Vectors["cf"]; ok {
			want["cf"] = v
		}
		require.Equal(t, want, recs[0].Vectors)
		vecs, err := c.Vectors(ctx, "cf", []pointid.ID{id})
		if _, ok := p.Vectors["cf"]; ok {
			require.NoError(t, err)
			require.Len(t, vecs[0], 5)
		} else {
			require.ErrorIs(t, err, ErrNotFound)
		}
	}

	// Rank scores on the vector asked for, among the points carrying it.
	res, err := c.Rank(ctx, RankRequest{Using: "cf", Limit: 1000, Score: func(v []float32) float32 { return v[0] }})
	require.NoError(t, err)
	require.Len(t, res, carrying("cf"))
}

func TestNamedVectorErrors(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	c, err := db.Create(ctx, "c", namedConfig)
	require.NoError(t, err)
	for _, bad := range []Point{
		{ID: pointid.FromNum(1), Vector: []float32{1, 2, 3, 4, 5}},
		{ID: pointid.FromNum(1), Vectors: map[string][]float32{"nope": {1}}},
		{ID: pointid.FromNum(1), Vectors: map[string][]float32{"cf": {1}}},
		{ID: pointid.FromNum(1), Vectors: map[string][]float32{"text": make([]float32, 8)}},
	} {
		require.ErrorIs(t, c.Upsert(ctx, []Point{bad}), ErrBadRequest, "%+v", bad)
	}
	n, err := c.Count(ctx, nil)
	require.NoError(t, err)
	require.Zero(t, n)

	_, err = c.Search(ctx, SearchRequest{Using: "x", Vector: []float32{1}})
	require.ErrorIs(t, err, ErrBadRequest)
	require.ErrorContains(t, err, `collection "c" has no vector named "x" (it has: cf, text)`)
	_, err = c.Search(ctx, SearchRequest{Vector: []float32{1}})
	require.ErrorContains(t, err, `collection "c" has no unnamed vector (it has: cf, text)`)
	_, err = c.Get(ctx, nil, ReadOptions{VectorNames: []string{"x"}})
	require.ErrorIs(t, err, ErrBadRequest)

	for _, cfg := range []Config{
		{VectorSize: 4, Distance: Dot, Vectors: map[string]VectorConfig{"a": {Size: 4, Distance: Dot}}},
		{Vectors: map[string]VectorConfig{"a": {Size: 0, Distance: Dot}}},
		{Vectors: map[string]VectorConfig{"a/b": {Size: 4, Distance: Dot}}},
		{Vectors: map[string]VectorConfig{"a": {Size: 4, Distance: Dot, Space: 3}, "b": {Size: 4, Distance: Dot, Space: 3}}},
	} {
		_, err := db.Create(ctx, "bad", cfg)
		require.ErrorIs(t, err, ErrBadRequest, "%+v", cfg)
	}

	// The unnamed collection answers with the unnamed vector as before,
	// and rejects names.
	u, err := db.Create(ctx, "u", Config{VectorSize: 2, Distance: Dot})
	require.NoError(t, err)
	require.NoError(t, u.Upsert(ctx, []Point{{ID: pointid.FromNum(1), Vectors: map[string][]float32{"": {1, 2}}}}))
	recs, err := u.Get(ctx, []pointid.ID{pointid.FromNum(1)}, ReadOptions{WithVector: true})
	require.NoError(t, err)
	require.Equal(t, []float32{1, 2}, recs[0].Vector)
	require.Nil(t, recs[0].Vectors)
	_, err = u.Search(ctx, SearchRequest{Using: "cf", Vector: []float32{1, 2}})
	require.ErrorContains(t, err, `collection "u" has no vector named "cf" (it has only the unnamed vector)`)
}

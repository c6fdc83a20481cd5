package index

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sparseConfig = Config{
	Vectors: map[string]VectorConfig{"dense": {Size: 4, Distance: Dot}},
	SparseVectors: map[string]SparseVectorConfig{
		"text":  {Modifier: ModifierIDF},
		"plain": {},
	},
	PayloadIndexes: map[string]FieldType{"genre": Keyword},
}

func randSparse(r *rand.Rand) sparse.Vector {
	var v sparse.Vector
	seen := map[uint32]bool{}
	for range 1 + r.IntN(6) {
		t := uint32(r.IntN(40))
		if !seen[t] {
			seen[t] = true
			v.Indices, v.Values = append(v.Indices, t), append(v.Values, 0.1+r.Float32())
		}
	}
	return v
}

// randSparsePoint carries dense, text, plain, any mix of them, or none.
func randSparsePoint(r *rand.Rand, id pointid.ID) Point {
	p := Point{ID: id, Vectors: map[string][]float32{}, Sparse: map[string]sparse.Vector{},
		Payload: map[string]any{"genre": []string{"a", "b"}[r.IntN(2)]}}
	if r.IntN(2) == 0 {
		p.Vectors["dense"] = randVec(r, 4)
	}
	if r.IntN(4) > 0 {
		p.Sparse["text"] = randSparse(r)
	}
	if r.IntN(3) == 0 {
		p.Sparse["plain"] = randSparse(r)
	}
	return p
}

// checkSparse compares SearchSparse on both sparse vectors, with and
// without a filter, with a brute-force answer from the model.
func checkSparse(t *testing.T, c *Collection, r *rand.Rand, m map[pointid.ID]Point) {
	t.Helper()
	ctx := context.Background()
	info, err := c.Info()
	require.NoError(t, err)
	for _, using := range []string{"text", "plain"} {
		n, df := 0, map[uint32]int{}
		for _, p := range m {
			if v, ok := p.Sparse[using]; ok {
				n++
				for _, t := range v.Indices {
					df[t]++
				}
			}
		}
		require.Equal(t, n, info.SparseNodes[using], using)
		for i := range 10 {
			q := randSparse(r)
			var f *filter.Filter
			if i%2 == 1 {
				f = &filter.Filter{Must: []filter.Condition{{Field: &filter.FieldCondition{Key: "genre", Match: filter.NewMatchValue("a")}}}}
			}
			want := map[pointid.ID]float32{}
			for id, p := range m {
				v, ok := p.Sparse[using]
				if !ok || (f != nil && p.Payload["genre"] != "a") {
					continue
				}
				var s float32
				shared := false
				for qi, t := range q.Indices {
					if j := slices.Index(v.Indices, t); j >= 0 {
						w := q.Values[qi]
						if using == "text" {
							w *= sparse.IDF(df[t], n)
						}
						s += w * v.Values[j]
						shared = true
					}
				}
				if shared {
					want[id] = s
				}
			}
			got, err := c.SearchSparse(ctx, SparseSearchRequest{Using: using, Vector: q, Limit: 5, Filter: f})
			require.NoError(t, err)
			require.Len(t, got, min(5, len(want)))
			scores := make([]float64, 0, len(want))
			for _, s := range want {
				scores = append(scores, float64(s))
			}
			slices.Sort(scores)
			slices.Reverse(scores)
			for k, g := range got {
				s, ok := want[g.ID]
				require.True(t, ok, "%s: point %s is not a match", using, g.ID)
				assert.InDelta(t, s, g.Score, 1e-4)
				assert.InDelta(t, scores[k], g.Score, 1e-4, "%s: rank %d", using, k)
			}
		}
	}
}

func TestSparseWriteSearchRestart(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	fs := vfs.NewMem()
	db := openTest(t, fs)
	c, err := db.Create(ctx, "docs", sparseConfig)
	require.NoError(t, err)
	m := map[pointid.ID]Point{}
	var pts []Point
	for i := range 400 {
		p := randSparsePoint(r, pointid.FromNum(uint64(i)))
		pts, m[p.ID] = append(pts, p), p
	}
	require.NoError(t, c.Upsert(ctx, pts))
	checkSparse(t, c, r, m)
	require.NoError(t, c.saveGraph())
	for i := range 150 {
		id := pointid.FromNum(uint64(r.IntN(450)))
		if i%3 == 0 {
			_, err := c.Delete(ctx, []pointid.ID{id})
			require.NoError(t, err)
			delete(m, id)
			continue
		}
		p := randSparsePoint(r, id)
		require.NoError(t, c.Upsert(ctx, []Point{p}))
		m[p.ID] = p
	}
	checkSparse(t, c, r, m)

	// A crash, then a clean restart: the indexes come back from the store.
	require.NoError(t, c.close(false))
	require.NoError(t, db.store.Close())
	db = openTest(t, fs)
	c, err = db.Collection("docs")
	require.NoError(t, err)
	checkSparse(t, c, r, m)
	require.NoError(t, db.Close())
	db = openTest(t, fs)
	defer db.Close()
	c, err = db.Collection("docs")
	require.NoError(t, err)
	checkSparse(t, c, r, m)
	require.Empty(t, c.checkGraph())

	// Reads return the sparse vectors sorted by index, and only those asked for.
	for id, p := range m {
		recs, err := c.Get(ctx, []pointid.ID{id}, ReadOptions{WithVector: true})
		require.NoError(t, err)
		for name, v := range p.Sparse {
			assert.Equal(t, v.Sorted(), recs[0].Sparse[name])
		}
		assert.Len(t, recs[0].Sparse, len(p.Sparse))
		recs, err = c.Get(ctx, []pointid.ID{id}, ReadOptions{VectorNames: []string{"plain"}})
		require.NoError(t, err)
		assert.Empty(t, recs[0].Vectors)
		_, carries := p.Sparse["plain"]
		assert.Equal(t, carries, recs[0].Sparse["plain"].Len() > 0)
		break
	}
}

func TestSparseOnlyCollection(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openTest(t, fs)
	c, err := db.Create(ctx, "bm25", Config{SparseVectors: map[string]SparseVectorConfig{"bm25": {Modifier: ModifierIDF}}})
	require.NoError(t, err)
	require.NoError(t, c.Upsert(ctx, []Point{
		{ID: pointid.FromNum(1), Sparse: map[string]sparse.Vector{"bm25": {Indices: []uint32{1, 2}, Values: []float32{1, 1}}}},
		{ID: pointid.FromNum(2), Sparse: map[string]sparse.Vector{"bm25": {Indices: []uint32{2}, Values: []float32{1}}}},
		{ID: pointid.FromNum(3)},
	}))
	res, err := c.SearchSparse(ctx, SparseSearchRequest{Using: "bm25", Vector: sparse.Vector{Indices: []uint32{1, 2}, Values: []float32{1, 1}}})
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, pointid.FromNum(1), res[0].ID)
	// idf of term 1 (N 2, n 1: ln(1.5/1.5 + 1)) plus that of term 2 (n 2).
	assert.InDelta(t, math.Log(2)+math.Log(0.5/2.5+1), res[0].Score, 1e-6)
	require.NoError(t, db.Close())
	db = openTest(t, fs)
	defer db.Close()
	c, err = db.Collection("bm25")
	require.NoError(t, err)
	again, err := c.SearchSparse(ctx, SparseSearchRequest{Using: "bm25", Vector: sparse.Vector{Indices: []uint32{1, 2}, Values: []float32{1, 1}}})
	require.NoError(t, err)
	assert.Equal(t, res, again)
}

func TestSparseBadInput(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	c, err := db.Create(ctx, "s", sparseConfig)
	require.NoError(t, err)
	for _, p := range []Point{
		{ID: pointid.FromNum(1), Sparse: map[string]sparse.Vector{"text": {Indices: []uint32{1, 1}, Values: []float32{1, 2}}}},
		{ID: pointid.FromNum(1), Sparse: map[string]sparse.Vector{"text": {Indices: []uint32{1}, Values: nil}}},
		{ID: pointid.FromNum(1), Sparse: map[string]sparse.Vector{"nope": {}}},
	} {
		err := c.Upsert(ctx, []Point{p})
		require.ErrorIs(t, err, ErrBadRequest)
	}
	err = c.Upsert(ctx, []Point{{ID: pointid.FromNum(1), Sparse: map[string]sparse.Vector{"text": {Indices: []uint32{1, 1}, Values: []float32{1, 2}}}}})
	assert.ErrorContains(t, err, `vector "text"`)
	n, err := c.Count(ctx, nil)
	require.NoError(t, err)
	assert.Zero(t, n)
	_, err = c.SearchSparse(ctx, SparseSearchRequest{Using: "dense"})
	assert.ErrorContains(t, err, `no sparse vector named "dense"`)

	_, err = db.Create(ctx, "bad", Config{VectorSize: 3, Distance: Dot, SparseVectors: map[string]SparseVectorConfig{"x": {Modifier: "bm25"}}})
	require.ErrorIs(t, err, ErrBadRequest)
	assert.ErrorContains(t, err, "unnamed dense vector")
	assert.ErrorContains(t, err, `modifier "bm25"`)
	_, err = db.Create(ctx, "clash", Config{Vectors: map[string]VectorConfig{"x": {Size: 2, Distance: Dot}}, SparseVectors: map[string]SparseVectorConfig{"x": {}}})
	assert.ErrorContains(t, err, "same name")
}

func TestSparseNamesInErrors(t *testing.T) {
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	c, err := db.Create(context.Background(), "s", sparseConfig)
	require.NoError(t, err)
	_, err = c.VectorConfig("nope")
	assert.ErrorContains(t, err, "(it has: dense; sparse: plain, text)")
	only, err := db.Create(context.Background(), "only", Config{SparseVectors: map[string]SparseVectorConfig{"bm25": {}}})
	require.NoError(t, err)
	_, err = only.VectorConfig("")
	assert.ErrorContains(t, err, "(it has: sparse: bm25)")
}

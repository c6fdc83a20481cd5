package sparse

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/quiver-db/quiver/internal/heap"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomVector draws up to n nonzeros from a vocabulary of vocab terms,
// skewed towards small ids so some posting lists are long, as in text.
func randomVector(r *rand.Rand, vocab, n int, negative bool) Vector {
	seen := map[uint32]bool{}
	var v Vector
	for range 1 + r.IntN(n) {
		t := uint32(math.Pow(r.Float64(), 2) * float64(vocab))
		if seen[t] {
			continue
		}
		seen[t] = true
		w := r.Float32() * 3
		if negative && r.IntN(5) == 0 {
			w = -w
		}
		v.Indices, v.Values = append(v.Indices, t), append(v.Values, w)
	}
	return v
}

// bruteForce scores every node that shares a nonzero query term.
func bruteForce(docs map[uint32]Vector, q Vector, k int, opts SearchOptions) []Result {
	qs := q.Sorted()
	df := map[uint32]int{}
	for _, d := range docs {
		for _, t := range d.Indices {
			df[t]++
		}
	}
	if opts.IDF {
		for i, t := range qs.Indices {
			qs.Values[i] *= IDF(df[t], len(docs))
		}
	}
	var out []Result
	for node, d := range docs {
		shared := false
		for i, t := range qs.Indices {
			shared = shared || (qs.Values[i] != 0 && slices.Contains(d.Indices, t))
		}
		if shared && (opts.Filter == nil || opts.Filter(node)) {
			out = append(out, Result{Node: node, Score: Dot(qs, d.Sorted())})
		}
	}
	slices.SortFunc(out, func(a, b Result) int {
		if worse(a, b) {
			return 1
		}
		return -1
	})
	return out[:min(k, len(out))]
}

// assertSameTop checks that got holds k results scoring as want's do, each
// with its true score: ids may differ only where scores tie.
func assertSameTop(t *testing.T, docs map[uint32]Vector, q Vector, opts SearchOptions, want, got []Result) {
	t.Helper()
	require.Len(t, got, len(want))
	all := bruteForce(docs, q, len(docs), opts)
	truth := map[uint32]float32{}
	for _, r := range all {
		truth[r.Node] = r.Score
	}
	for i := range want {
		assert.InDelta(t, want[i].Score, got[i].Score, 1e-3, "rank %d", i)
		s, ok := truth[got[i].Node]
		require.True(t, ok, "node %d is not a candidate", got[i].Node)
		assert.InDelta(t, s, got[i].Score, 1e-3, "node %d", got[i].Node)
	}
}

func TestSearchMatchesBruteForce(t *testing.T) {
	r := testseed.New(t)
	ix := New()
	docs := map[uint32]Vector{}
	for node := range uint32(3000) {
		v := randomVector(r, 500, 30, true)
		ix.Set(node, v)
		docs[node] = v
	}
	// Replace and delete some, so postings see inserts in the middle and
	// bounds are recomputed.
	for range 500 {
		node := uint32(r.IntN(3000))
		if r.IntN(2) == 0 {
			ix.Delete(node)
			delete(docs, node)
			continue
		}
		v := randomVector(r, 500, 30, true)
		ix.Set(node, v)
		docs[node] = v
	}
	require.Equal(t, len(docs), ix.Len())
	ctx := context.Background()
	for i := range 200 {
		q := randomVector(r, 500, 8, i%3 == 0)
		opts := SearchOptions{IDF: i%2 == 0, Exhaustive: i%5 == 2}
		if i%4 == 1 {
			opts.Filter = func(n uint32) bool { return n%7 == 3 }
		}
		k := 1 + r.IntN(20)
		got, err := ix.Search(ctx, q, k, opts)
		require.NoError(t, err)
		assertSameTop(t, docs, q, opts, bruteForce(docs, q, k, opts), got)
	}
}

func TestSearchNoSharedTerm(t *testing.T) {
	ix := New()
	ix.Set(1, Vector{Indices: []uint32{1, 2}, Values: []float32{1, 1}})
	ix.Set(2, Vector{Indices: []uint32{3}, Values: []float32{1}})
	got, err := ix.Search(context.Background(), Vector{Indices: []uint32{2, 9}, Values: []float32{0.5, 1}}, 10, SearchOptions{})
	require.NoError(t, err)
	assert.Equal(t, []Result{{Node: 1, Score: 0.5}}, got)
}

func TestSetReplaceDelete(t *testing.T) {
	ix := New()
	ix.Set(5, Vector{Indices: []uint32{7, 3}, Values: []float32{2, 1}})
	v, ok := ix.Vector(5)
	require.True(t, ok)
	assert.Equal(t, Vector{Indices: []uint32{3, 7}, Values: []float32{1, 2}}, v)
	ix.Set(5, Vector{Indices: []uint32{4}, Values: []float32{1}})
	assert.Equal(t, 0, ix.DocFreq(7))
	assert.Equal(t, 1, ix.DocFreq(4))
	assert.True(t, ix.Delete(5))
	assert.False(t, ix.Delete(5))
	assert.Equal(t, 0, ix.Len())
	assert.Equal(t, 0, ix.DocFreq(4))
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		v    Vector
		want string
	}{
		{Vector{Indices: []uint32{1}, Values: nil}, "same"},
		{Vector{Indices: []uint32{1, 1}, Values: []float32{1, 2}}, "indices[1] repeats"},
		{Vector{Indices: []uint32{1}, Values: []float32{float32(math.NaN())}}, "values[0]"},
		{Vector{Indices: make([]uint32, MaxNonzeros+1), Values: make([]float32, MaxNonzeros+1)}, "at most"},
	} {
		err := c.v.Validate()
		require.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), c.want)
	}
	require.NoError(t, Vector{}.Validate())
}

func TestIDF(t *testing.T) {
	// Qdrant's formula: a term in every one of 10 documents still counts a little.
	assert.InDelta(t, math.Log(0.5/10.5+1), IDF(10, 10), 1e-6)
	assert.InDelta(t, math.Log(9.5/1.5+1), IDF(1, 10), 1e-6)
}

func TestConcurrentReadWrite(t *testing.T) {
	r := testseed.New(t)
	ix := New()
	for node := range uint32(500) {
		ix.Set(node, randomVector(r, 100, 10, false))
	}
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			rw := rand.New(rand.NewPCG(uint64(w), 1))
			for range 300 {
				node := uint32(rw.IntN(600))
				if rw.IntN(3) == 0 {
					ix.Delete(node)
				} else {
					ix.Set(node, randomVector(rw, 100, 10, false))
				}
			}
		})
		wg.Go(func() {
			rq := rand.New(rand.NewPCG(uint64(w), 2))
			for range 300 {
				res, err := ix.Search(context.Background(), randomVector(rq, 100, 5, false), 10, SearchOptions{IDF: true})
				assert.NoError(t, err)
				assert.LessOrEqual(t, len(res), 10)
			}
		})
	}
	wg.Wait()
}

// exhaustive is the baseline MaxScore must beat: every posting of every
// query term scored into an accumulator, then the best k picked.
func exhaustive(ix *Index, q Vector, k int, acc []float32, hit []bool) []Result {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	clear(acc)
	clear(hit)
	n := len(ix.mu.docs)
	for i, t := range q.Indices {
		p := ix.mu.lists[t]
		if p == nil {
			continue
		}
		w := q.Values[i] * IDF(len(p.nodes), n)
		for j, node := range p.nodes {
			acc[node] += w * p.weights[j]
			hit[node] = true
		}
	}
	top := make([]Result, 0, k)
	for node, ok := range hit {
		r := Result{Node: uint32(node), Score: acc[node]}
		switch {
		case !ok:
		case len(top) < k:
			heap.Push(&top, r, worse)
		case worse(top[0], r):
			heap.ReplaceTop(top, r, worse)
		}
	}
	return top
}

// BenchmarkSearch runs 6-term queries over 100k documents of up to 60
// terms from a skewed 30k vocabulary. maxscore is Search with k 10;
// exhaustive scores every posting of the query's terms (the work MaxScore
// avoids); k=all is Search keeping every candidate, so nothing is pruned.
func BenchmarkSearch(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	ix := New()
	for node := range uint32(100_000) {
		ix.Set(node, randomVector(r, 30_000, 60, false))
	}
	queries := make([]Vector, 64)
	for i := range queries {
		queries[i] = randomVector(r, 30_000, 6, false)
	}
	ctx := context.Background()
	b.Run("exhaustive", func(b *testing.B) {
		acc, hit := make([]float32, 100_000), make([]bool, 100_000)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			exhaustive(ix, queries[i%len(queries)], 10, acc, hit)
		}
	})
	for _, k := range []struct {
		name string
		k    int
	}{{"maxscore", 10}, {"k=all", 100_000}} {
		b.Run(k.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := ix.Search(ctx, queries[i%len(queries)], k.k, SearchOptions{IDF: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestExhaustiveBaseline(t *testing.T) {
	r := testseed.New(t)
	ix := New()
	for node := range uint32(500) {
		ix.Set(node, randomVector(r, 80, 10, false))
	}
	acc, hit := make([]float32, 500), make([]bool, 500)
	for range 20 {
		q := randomVector(r, 80, 4, false)
		got, err := ix.Search(context.Background(), q, 5, SearchOptions{IDF: true})
		require.NoError(t, err)
		base := exhaustive(ix, q, 5, acc, hit)
		require.Len(t, base, len(got))
		slices.SortFunc(base, func(a, b Result) int {
			if worse(a, b) {
				return 1
			}
			return -1
		})
		for i := range got {
			assert.InDelta(t, base[i].Score, got[i].Score, 1e-4)
		}
	}
}

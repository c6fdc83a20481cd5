package hnsw

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/bitset"
	"github.com/quiver-db/quiver/internal/testseed"
)

// randomMembers returns a seeded set holding about share of nodes 0..n-1.
func randomMembers(seed uint64, n int, share float64) bitset.Set {
	rng := testseed.Stream(seed, 1)
	s := bitset.New(n)
	for i := range n {
		if rng.Float64() < share {
			s.Add(uint32(i))
		}
	}
	return s
}

// filteredRecall is recall@k of the two-hop walk against brute force over
// the live vectors that set admits; it also checks every result matches,
// is live and comes best first.
func filteredRecall(t *testing.T, g *Graph, live map[uint32][]float32, set bitset.Set, queries [][]float32, k, ef int) float64 {
	t.Helper()
	matching := map[uint32][]float32{}
	for n, v := range live {
		if set.Has(n) {
			matching[n] = v
		}
	}
	hits, want := 0, 0
	for _, q := range queries {
		exact := exactTopK(g.opts.Metric, matching, q, k)
		got, err := g.Search(context.Background(), q, k, SearchOptions{Ef: ef, Within: set})
		require.NoError(t, err)
		seen := map[uint32]bool{}
		for i, r := range got {
			require.True(t, set.Has(r.Node), "node %d does not match the filter", r.Node)
			require.Contains(t, live, r.Node, "node %d is not live", r.Node)
			if i > 0 {
				require.GreaterOrEqual(t, got[i-1].Score, r.Score, "results out of order")
			}
			seen[r.Node] = true
		}
		for _, n := range exact {
			if seen[n] {
				hits++
			}
		}
		want += len(exact)
	}
	return float64(hits) / float64(want)
}

func TestTwoHopFindsFilteredTopK(t *testing.T) {
	seed := seedFor(t)
	data := dataset(seed, 4060, 16, true)
	g := mustGraph(t, 16, Options{Seed: seed})
	live := build(t, g, data[:4000])
	queries := data[4000:]
	// Below a few percent the matches of a clustered set stop being
	// connected through two hops; the index scans those exactly.
	for _, share := range []float64{0.5, 0.25, 0.1, 0.05} {
		set := randomMembers(uint64(seed), 4000, share)
		recall := filteredRecall(t, g, live, set, queries, 10, 64)
		t.Logf("share %.2f (%d matches): recall@10 %.3f", share, set.Count(), recall)
		require.GreaterOrEqual(t, recall, 0.95, "share %.2f", share)
	}
}

// The walk returns only live matches even when most of its surroundings
// are deleted, and nothing when nothing matches.
func TestTwoHopSkipsDeletedAndRejected(t *testing.T) {
	seed := seedFor(t)
	data := dataset(seed, 3000, 8, false)
	g := mustGraph(t, 8, Options{M: 8, Seed: seed})
	live := build(t, g, data)
	set := randomMembers(uint64(seed), 3000, 0.2)
	for n := range uint32(3000) {
		if n%3 != 0 {
			require.NoError(t, g.Delete(n))
			delete(live, n)
		}
	}
	require.GreaterOrEqual(t, filteredRecall(t, g, live, set, data[:50], 10, 64), 0.9)
	res, err := g.Search(context.Background(), data[0], 10, SearchOptions{Within: bitset.New(3000)})
	require.NoError(t, err)
	require.Empty(t, res)
}

// Filtered two-hop searches while other goroutines insert, delete and
// clean up; run under -race. Every result must match and come best first,
// and afterwards the graph keeps its invariants and the walk its recall.
func TestTwoHopConcurrentWithWrites(t *testing.T) {
	seed := seedFor(t)
	data := dataset(seed, 5000, 16, true)
	g := mustGraph(t, 16, Options{M: 8, EfConstruction: 64, Seed: seed})
	for _, v := range data[:2000] {
		_, err := g.Insert(v)
		require.NoError(t, err)
	}
	match := func(n uint32) bool { return n%7 < 2 }
	within := bitset.New(8192) // beyond any slot the writers use
	for n := range uint32(8192) {
		if match(n) {
			within.Add(n)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, v := range data[2000:4000] {
			_, err := g.Insert(v)
			assert.NoError(t, err)
		}
	})
	wg.Go(func() {
		for n := uint32(0); n < 2000; n += 4 {
			assert.NoError(t, g.Delete(n))
			if n%200 == 0 {
				g.Cleanup()
			}
		}
	})
	for w := range 2 {
		wg.Go(func() {
			dst := make([]Result, 0, 10)
			for i := range 400 {
				var err error
				dst, err = g.SearchInto(context.Background(), dst[:0], data[4000+(2*i+w)%1000], 10, SearchOptions{Ef: 32, Within: within})
				if !assert.NoError(t, err) {
					return
				}
				for j, r := range dst {
					assert.True(t, match(r.Node), "node %d does not match", r.Node)
					if j > 0 {
						assert.GreaterOrEqual(t, dst[j-1].Score, r.Score)
					}
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, checkGraph(g))
	live := map[uint32][]float32{}
	for n := range uint32(g.usedSlots()) {
		if v, err := g.Vector(n); err == nil {
			live[n] = v
		}
	}
	require.Equal(t, 3500, len(live))
	set := bitset.Set{}
	for n := range live {
		if match(n) {
			set.Add(n)
		}
	}
	require.GreaterOrEqual(t, filteredRecall(t, g, live, set, data[4000:4100], 10, 64), 0.95)
}

// The layer walk allocates nothing once its scratch has grown. It runs on
// a scratch held by the test, since under -race the pool drops some of what
// it is given back.
func TestTwoHopAllocatesNothing(t *testing.T) {
	seed := seedFor(t)
	data := dataset(seed, 3000, 16, false)
	g := mustGraph(t, 16, Options{Seed: seed})
	build(t, g, data[:2000])
	set := randomMembers(uint64(seed), 2000, 0.1)
	s := g.getScratch()
	ctx := context.Background()
	walk := func(q []float32) {
		g.mu.RLock()
		defer g.mu.RUnlock()
		ep, _, _ := g.entryPoint()
		s.sc.useFloats(q)
		require.NoError(t, g.searchLayerTwoHop(ctx, s, candidate{g.nodeDistance(&s.sc, ep), ep}, 100, set))
	}
	for _, q := range data[2000:] {
		walk(q)
	}
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		walk(data[2000+i%1000])
		i++
	})
	require.Zero(t, allocs)
	require.NotEmpty(t, s.results)
}

// On a quantized graph the two-hop walk scores codes and the results are
// re-scored, as the plain walk does.
func TestTwoHopOnCodes(t *testing.T) {
	seed := seedFor(t)
	data := dataset(seed, 3050, 16, true)
	g := mustGraph(t, 16, Options{Seed: seed})
	live := build(t, g, data[:3000])
	require.NoError(t, g.Quantize(context.Background(), 1, nil))
	set := randomMembers(uint64(seed), 3000, 0.1)
	var stats SearchStats
	_, err := g.Search(context.Background(), data[3000], 10, SearchOptions{Within: set, Stats: &stats})
	require.NoError(t, err)
	require.True(t, stats.Quantized)
	require.Positive(t, stats.Rescored)
	require.GreaterOrEqual(t, filteredRecall(t, g, live, set, data[3000:], 10, 64), 0.95)
}

package hnsw

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

// dataset makes n seeded vectors of dimension dim: Gaussian noise, or points
// scattered around a few centres when clustered.
func dataset(seed int64, n, dim int, clustered bool) [][]float32 {
	rng := testseed.Stream(uint64(seed), 0)
	var centres [][]float32
	if clustered {
		for range 12 {
			c := make([]float32, dim)
			for i := range c {
				c[i] = float32(rng.NormFloat64() * 4)
			}
			centres = append(centres, c)
		}
	}
	out := make([][]float32, n)
	for i := range out {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
			if clustered {
				v[j] = v[j]*0.5 + centres[i%len(centres)][j]
			}
		}
		out[i] = v
	}
	return out
}

// exactTopK is brute force over the live vectors, keyed by node id.
func exactTopK(m Metric, vecs map[uint32][]float32, q []float32, k int) []uint32 {
	type hit struct {
		node uint32
		d    float64
	}
	qn := q
	if m == Cosine {
		qn = unit(q)
	}
	hits := make([]hit, 0, len(vecs))
	for n, v := range vecs {
		var d float64
		switch m {
		case Cosine:
			d = -plainDot(qn, unit(v))
		case Dot:
			d = -plainDot(q, v)
		default:
			d = plainL2(q, v)
		}
		hits = append(hits, hit{n, d})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].d != hits[j].d {
			return hits[i].d < hits[j].d
		}
		return hits[i].node < hits[j].node
	})
	out := make([]uint32, 0, k)
	for _, h := range hits[:min(k, len(hits))] {
		out = append(out, h.node)
	}
	return out
}

func unit(v []float32) []float32 {
	out := make([]float32, len(v))
	if err := normalizeInto(out, v); err != nil {
		panic(err)
	}
	return out
}

// recallAt measures recall@k of g over queries against brute force.
func recallAt(t *testing.T, g *Graph, vecs map[uint32][]float32, queries [][]float32, k, ef int) float64 {
	t.Helper()
	hits := 0
	for _, q := range queries {
		want := exactTopK(g.opts.Metric, vecs, q, k)
		got, err := g.Search(context.Background(), q, k, SearchOptions{Ef: ef})
		require.NoError(t, err)
		set := map[uint32]bool{}
		for _, r := range got {
			_, live := vecs[r.Node]
			require.True(t, live, "search returned node %d that is not live", r.Node)
			set[r.Node] = true
		}
		for _, n := range want {
			if set[n] {
				hits++
			}
		}
	}
	return float64(hits) / float64(k*len(queries))
}

// checkGraph verifies the invariants of doc.go; call it with no operation
// running.
func checkGraph(g *Graph) error {
	g.Cleanup()
	g.mu.Lock()
	defer g.mu.Unlock()
	used := g.usedSlots()
	live := 0
	for n := uint32(0); n < used; n++ {
		switch g.state[n] {
		case nodeFree:
			continue
		case nodeDeleted:
			return fmt.Errorf("node %d still a tombstone after cleanup", n)
		}
		live++
		for l := 0; l <= int(g.levels[n]); l++ {
			links := g.linksOf(n, l)
			cnt := int(links[0])
			if cnt > g.maxLinks(l) {
				return fmt.Errorf("node %d level %d: %d links, bound %d", n, l, cnt, g.maxLinks(l))
			}
			seen := map[uint32]bool{}
			for _, x := range links[1 : 1+cnt] {
				switch {
				case x == n:
					return fmt.Errorf("node %d level %d links to itself", n, l)
				case seen[x]:
					return fmt.Errorf("node %d level %d links twice to %d", n, l, x)
				case x >= used || g.state[x] != nodeLive:
					return fmt.Errorf("node %d level %d links to non-live %d", n, l, x)
				case int(g.levels[x]) < l:
					return fmt.Errorf("node %d level %d links to %d of level %d", n, l, x, g.levels[x])
				}
				seen[x] = true
			}
		}
	}
	if live != g.Len() {
		return fmt.Errorf("%d live nodes, Len says %d", live, g.Len())
	}
	ep, epLevel, ok := g.entryPoint()
	if live == 0 {
		if ok {
			return fmt.Errorf("empty graph has entry point %d", ep)
		}
		return nil
	}
	if !ok || g.state[ep] != nodeLive {
		return fmt.Errorf("entry point %d (ok=%v) is not live", ep, ok)
	}
	for n := uint32(0); n < used; n++ {
		if g.state[n] == nodeLive && int(g.levels[n]) > epLevel {
			return fmt.Errorf("node %d has level %d above the entry point's %d", n, g.levels[n], epLevel)
		}
	}
	reached := map[uint32]bool{ep: true}
	queue := []uint32{ep}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for l := 0; l <= int(g.levels[n]); l++ {
			links := g.linksOf(n, l)
			for _, x := range links[1 : 1+links[0]] {
				if !reached[x] {
					reached[x] = true
					queue = append(queue, x)
				}
			}
		}
	}
	if len(reached) != live {
		return fmt.Errorf("%d of %d live nodes reachable from the entry point", len(reached), live)
	}
	return nil
}

func mustGraph(t *testing.T, dim int, opts Options) *Graph {
	t.Helper()
	g, err := New(dim, opts)
	require.NoError(t, err)
	return g
}

// seedFor returns the test's seed (logged; QUIVER_SEED replays it) as the
// non-negative int64 that Options.Seed and dataset take.
func seedFor(t testing.TB) int64 { return int64(testseed.Seed(t) >> 1) }

package hnsw

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSearchNodesIsExact(t *testing.T) {
	seed := seedFor(t)
	data := dataset(seed, 600, 10, false)
	for _, m := range []Metric{Cosine, Dot, L2} {
		g := mustGraph(t, 10, Options{Metric: m, Seed: seed})
		live := build(t, g, data[:500])
		require.NoError(t, g.Delete(7))
		delete(live, 7)
		odd := map[uint32][]float32{}
		for n, v := range live {
			if n%2 == 1 {
				odd[n] = v
			}
		}
		nodes := func(yield func(uint32) bool) {
			for n := uint32(1); n < 520; n += 2 { // 7 is deleted, 501… never existed
				if !yield(n) {
					return
				}
			}
		}
		for _, q := range data[500:520] {
			got, err := g.SearchNodes(context.Background(), q, 10, nodes)
			require.NoError(t, err)
			ids := make([]uint32, len(got))
			for i, r := range got {
				ids[i] = r.Node
			}
			require.Equal(t, exactTopK(m, odd, q, 10), ids, "metric %v", m)
			require.True(t, slices.IsSortedFunc(got, func(a, b Result) int {
				if m.HigherIsBetter() {
					return cmpFloat(b.Score, a.Score)
				}
				return cmpFloat(a.Score, b.Score)
			}))
		}
	}
}

func cmpFloat(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

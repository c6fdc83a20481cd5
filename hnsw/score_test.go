package hnsw

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

func TestScoreIsWhatSearchReports(t *testing.T) {
	r := testseed.New(t)
	for _, m := range []Metric{Cosine, Dot, L2} {
		g := mustGraph(t, 8, Options{Metric: m})
		vecs := make([][]float32, 50)
		for i := range vecs {
			vecs[i] = randVector(r, 8)
			_, err := g.Insert(vecs[i])
			require.NoError(t, err)
		}
		q := randVector(r, 8)
		res, err := g.SearchNodes(context.Background(), q, 5, slices.Values([]uint32{0, 1, 2, 3, 4, 5, 6, 7}))
		require.NoError(t, err)
		for _, x := range res {
			want := m.Score(m.Prepare(q), m.Prepare(vecs[x.Node]))
			require.InDelta(t, want, x.Score, 1e-5, "%v node %d", m, x.Node)
		}
		if m == L2 {
			d := 0.0
			for i := range q {
				d += float64(q[i]-vecs[0][i]) * float64(q[i]-vecs[0][i])
			}
			require.InDelta(t, math.Sqrt(d), m.Score(q, vecs[0]), 1e-5)
			require.InDelta(t, -math.Sqrt(d), m.Similarity(q, vecs[0]), 1e-5)
		}
	}
}

func TestPrepare(t *testing.T) {
	require.Equal(t, []float32{0.6, 0.8}, Cosine.Prepare([]float32{3, 4}))
	require.Equal(t, []float32{3, 4}, Dot.Prepare([]float32{3, 4}))
	require.Equal(t, []float32{0, 0}, Cosine.Prepare([]float32{0, 0}))
}

func TestRankNodes(t *testing.T) {
	g := mustGraph(t, 2, Options{Metric: Dot})
	for i := range 20 {
		_, err := g.Insert([]float32{float32(i), 1})
		require.NoError(t, err)
	}
	require.NoError(t, g.Delete(19))
	// Score by closeness of the first component to 10: the best are 10,
	// then 9 and 11; the deleted node never appears.
	score := func(v []float32) float32 { return -float32(math.Abs(float64(v[0] - 10))) }
	all := func(yield func(uint32) bool) {
		for n := uint32(0); n < 20; n++ {
			if !yield(n) {
				return
			}
		}
	}
	res, err := g.RankNodes(context.Background(), 3, all, score)
	require.NoError(t, err)
	require.Len(t, res, 3)
	require.Equal(t, uint32(10), res[0].Node)
	require.Equal(t, float32(0), res[0].Score)
	require.ElementsMatch(t, []uint32{9, 11}, []uint32{res[1].Node, res[2].Node})
	require.Equal(t, float32(-1), res[2].Score)
	near19 := func(v []float32) float32 { return -float32(math.Abs(float64(v[0] - 19))) }
	res, err = g.RankNodes(context.Background(), 1, all, near19)
	require.NoError(t, err)
	require.Equal(t, uint32(18), res[0].Node)
}

func randVector(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

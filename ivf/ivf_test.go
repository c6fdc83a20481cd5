package ivf

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/simd"
)

// clustered returns n rows of dim around a few random centres, the shape
// real embeddings have and k-means relies on.
func clustered(rng *rand.Rand, n, dim int) []float32 {
	centres := make([]float32, 20*dim)
	for i := range centres {
		centres[i] = float32(rng.NormFloat64())
	}
	x := make([]float32, n*dim)
	for i := range n {
		c := rng.IntN(20)
		for j := range dim {
			x[i*dim+j] = centres[c*dim+j] + 0.5*float32(rng.NormFloat64())
		}
	}
	return x
}

// exact is the brute-force top k by the metric's score.
func exact(x []float32, dim int, q []float32, k int, m Metric) []uint32 {
	qq := slices.Clone(q)
	if m == Cosine {
		normalize(qq)
	}
	type pair struct {
		s  float32
		id uint32
	}
	var all []pair
	for i := 0; i*dim < len(x); i++ {
		v := slices.Clone(x[i*dim : (i+1)*dim])
		if m == Cosine {
			normalize(v)
		}
		all = append(all, pair{simd.Dot(qq, v), uint32(i)})
	}
	slices.SortFunc(all, func(a, b pair) int {
		if a.s > b.s {
			return -1
		}
		if a.s < b.s {
			return 1
		}
		return int(a.id) - int(b.id)
	})
	out := make([]uint32, k)
	for i := range out {
		out[i] = all[i].id
	}
	return out
}

func recall(got []Result, want []uint32) float64 {
	hit := 0
	for _, r := range got {
		if slices.Contains(want, r.ID) {
			hit++
		}
	}
	return float64(hit) / float64(len(want))
}

func TestSearchEverythingIsExact(t *testing.T) {
	for _, m := range []Metric{Cosine, Dot} {
		for _, spill := range []int{1, 2} {
			t.Run(fmt.Sprintf("metric %d spill %d", m, spill), func(t *testing.T) { everythingIsExact(t, m, spill) })
		}
	}
}

func everythingIsExact(t *testing.T, m Metric, spill int) {
	{
		rng := rand.New(rand.NewPCG(7, uint64(m)))
		const n, dim = 3000, 37 // odd dimension: a padded last sub-space and half a column
		x := clustered(rng, n, dim)
		ix, err := Build(context.Background(), x, dim, Options{Metric: m, Cells: 40, Seed: 1, Precision: Float32, Spill: spill})
		require.NoError(t, err)
		require.Equal(t, n, ix.Len())
		for range 20 {
			q := clustered(rng, 1, dim)
			got, err := ix.Search(context.Background(), q, 10, SearchOptions{Probe: ix.Cells(), Reorder: n})
			require.NoError(t, err)
			want := exact(x, dim, q, 10, m)
			ids := make([]uint32, len(got))
			for i, r := range got {
				ids[i] = r.ID
			}
			assert.Equal(t, want, ids, "metric %d", m)
		}
	}
}

// With half-precision vectors the order can differ only where two scores
// are closer than half precision tells apart.
func TestSearchEverythingWithHalves(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	const n, dim = 3000, 40
	x := clustered(rng, n, dim)
	ix, err := Build(context.Background(), x, dim, Options{Cells: 30, Seed: 1})
	require.NoError(t, err)
	total := 0.0
	for range 20 {
		q := clustered(rng, 1, dim)
		got, err := ix.Search(context.Background(), q, 10, SearchOptions{Probe: ix.Cells(), Reorder: n})
		require.NoError(t, err)
		total += recall(got, exact(x, dim, q, 10, Cosine))
	}
	assert.GreaterOrEqual(t, total/20, 0.99)
}

func TestSearchRecallAtSmallProbe(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n, dim = 20000, 64
	x := clustered(rng, n, dim)
	ix, err := Build(context.Background(), x, dim, Options{Seed: 2})
	require.NoError(t, err)
	total := 0.0
	const queries = 100
	for range queries {
		q := clustered(rng, 1, dim)
		got, err := ix.Search(context.Background(), q, 10, SearchOptions{Probe: 40, Reorder: 200})
		require.NoError(t, err)
		require.Len(t, got, 10)
		require.True(t, slices.IsSortedFunc(got, func(a, b Result) int {
			switch {
			case a.Score > b.Score:
				return -1
			case a.Score < b.Score:
				return 1
			}
			return 0
		}))
		total += recall(got, exact(x, dim, q, 10, Cosine))
	}
	// 40 of about 424 cells, 200 re-scored: the codes must rank well
	// enough that the true top 10 is nearly always among the 200.
	assert.Greater(t, total/queries, 0.9)
}

func TestBuildAndSearchRefuseBadInput(t *testing.T) {
	ctx := context.Background()
	_, err := Build(ctx, make([]float32, 10), 3, Options{})
	require.ErrorIs(t, err, ErrBadOption)
	_, err = Build(ctx, []float32{1, 2, float32(nan())}, 3, Options{})
	require.ErrorIs(t, err, ErrBadOption)
	_, err = Build(ctx, make([]float32, 300), 300, Options{SubDim: 1}) // 150 code bytes
	require.ErrorIs(t, err, ErrBadOption)
	_, err = Build(ctx, make([]float32, 800), 8, Options{Cells: 50, TrainPoints: 10})
	require.ErrorIs(t, err, ErrBadOption)
	ix, err := Build(ctx, clustered(rand.New(rand.NewPCG(1, 1)), 50, 8), 8, Options{})
	require.NoError(t, err)
	_, err = ix.Search(ctx, make([]float32, 7), 1, SearchOptions{})
	require.Error(t, err)
	_, err = ix.Search(ctx, make([]float32, 8), 0, SearchOptions{})
	require.Error(t, err)
	_, err = ix.Search(ctx, make([]float32, 8), 1, SearchOptions{Reorder: MaxReorder + 1})
	require.Error(t, err)
	got, err := ix.Search(ctx, make([]float32, 8), 100, SearchOptions{Probe: ix.Cells()})
	require.NoError(t, err)
	require.Len(t, got, 50, "k above the points returns them all")
}

func nan() float64 { var z float64; return z / z }

func TestKeepBestLeavesTheTopN(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, size := range []int{2, 3, 10, 100, 1000} {
		for range 20 {
			c := make([]scored, size)
			for i := range c {
				c[i] = scored{float32(rng.IntN(size/2 + 1)), uint32(i)} // ties on purpose
			}
			n := 1 + rng.IntN(size-1)
			all := slices.Clone(c)
			slices.SortFunc(all, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
			floor := keepBest(c, n)
			kept := slices.Clone(c[:n])
			slices.SortFunc(kept, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
			for i := range kept {
				require.Equal(t, all[i].score, kept[i].score, "size %d n %d rank %d", size, n, i)
			}
			require.Equal(t, all[n-1].score, floor)
		}
	}
}

func TestSearchIntoAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	const n, dim = 5000, 32
	ix, err := Build(context.Background(), clustered(rng, n, dim), dim, Options{Seed: 3})
	require.NoError(t, err)
	q := clustered(rng, 1, dim)
	dst := make([]Result, 0, 10)
	so := SearchOptions{Probe: 10, Reorder: 50}
	for range 3 { // grow the pooled scratch first
		_, err = ix.SearchInto(context.Background(), dst[:0], q, 10, so)
		require.NoError(t, err)
	}
	allocs := testing.AllocsPerRun(50, func() {
		dst, _ = ix.SearchInto(context.Background(), dst[:0], q, 10, so)
	})
	assert.Zero(t, allocs)
	assert.Len(t, dst, 10)
}

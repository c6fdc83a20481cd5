package ivf

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Points added after Build are found as if Build had been given them: all
// cells probed and everything re-scored, the results are exact over both.
func TestAddedPointsAreSearched(t *testing.T) {
	for _, m := range []Metric{Cosine, Dot} {
		rng := rand.New(rand.NewPCG(21, uint64(m)))
		const n, dim = 2000, 37
		x := clustered(rng, n, dim)
		ix, err := Build(context.Background(), x[:n/2*dim], dim, Options{Metric: m, Cells: 30, Seed: 1, Precision: Float32})
		require.NoError(t, err)
		q := clustered(rng, 1, dim)
		// A query before the adds grows the pooled scratch for n/2 points.
		_, err = ix.Search(context.Background(), q, 10, SearchOptions{Probe: ix.Cells(), Reorder: n})
		require.NoError(t, err)
		for i := n / 2; i < n; i++ {
			id, err := ix.Add(x[i*dim : (i+1)*dim])
			require.NoError(t, err)
			require.Equal(t, uint32(i), id)
		}
		require.Equal(t, n, ix.Len())
		for range 10 {
			q := clustered(rng, 1, dim)
			got, err := ix.Search(context.Background(), q, 10, SearchOptions{Probe: ix.Cells(), Reorder: n})
			require.NoError(t, err)
			ids := make([]uint32, len(got))
			for i, r := range got {
				ids[i] = r.ID
			}
			assert.Equal(t, exact(x, dim, q, 10, m), ids, "metric %d", m)
		}
	}
}

// An index built on a third of the points and given the rest by Add keeps
// most of the recall of one built on all of them at the same probe.
func TestAddKeepsRecall(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const n, dim, k = 6000, 24, 10
	x := clustered(rng, n, dim)
	full, err := Build(context.Background(), x, dim, Options{Seed: 2})
	require.NoError(t, err)
	grown, err := Build(context.Background(), x[:n/3*dim], dim, Options{Seed: 2, Cells: full.Cells()})
	require.NoError(t, err)
	for i := n / 3; i < n; i++ {
		_, err := grown.Add(x[i*dim : (i+1)*dim])
		require.NoError(t, err)
	}
	var rFull, rGrown float64
	const queries = 50
	so := SearchOptions{Probe: full.Cells() / 8, Reorder: 100}
	for range queries {
		q := clustered(rng, 1, dim)
		want := exact(x, dim, q, k, Cosine)
		a, err := full.Search(context.Background(), q, k, so)
		require.NoError(t, err)
		b, err := grown.Search(context.Background(), q, k, so)
		require.NoError(t, err)
		rFull += recall(a, want)
		rGrown += recall(b, want)
	}
	assert.Greater(t, rGrown/queries, rFull/queries-0.05, "full %.3f grown %.3f", rFull/queries, rGrown/queries)
}

func TestAddRefusesBadVectors(t *testing.T) {
	ix, err := Build(context.Background(), clustered(rand.New(rand.NewPCG(1, 2)), 100, 8), 8, Options{})
	require.NoError(t, err)
	_, err = ix.Add(make([]float32, 7))
	require.Error(t, err)
	_, err = ix.Add([]float32{1, 2, 3, 4, 5, 6, 7, float32(nan())})
	require.Error(t, err)
	require.Equal(t, 100, ix.Len())
}

package bench

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

// unitVectors returns n random unit vectors of dimension dim, flattened.
func unitVectors(rng *rand.Rand, n, dim int) []float32 {
	out := make([]float32, n*dim)
	for i := range n {
		v := out[i*dim : (i+1)*dim]
		var norm float64
		for j := range v {
			v[j] = float32(rng.NormFloat64())
			norm += float64(v[j]) * float64(v[j])
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(norm))
		}
	}
	return out
}

// TestRunHTTP runs the HTTP benchmark end to end on a small data set: a
// real server on loopback, every pass, the floor and a second run that
// reuses the kept data directory.
func TestRunHTTP(t *testing.T) {
	const n, nq, dim = 2000, 60, 16
	rng := testseed.New(t)
	base, queries := unitVectors(rng, n, dim), unitVectors(rng, nq, dim)
	truth, err := ExactTopK(context.Background(), base, queries, dim, GroundTruthConfig{K: 10})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, WriteFvecs(filepath.Join(dir, "base.fvecs"), base, dim))
	require.NoError(t, WriteFvecs(filepath.Join(dir, "query.fvecs"), queries, dim))
	require.NoError(t, WriteIvecs(filepath.Join(dir, "groundtruth.ivecs"), truth))

	cfg := HTTPConfig{Dir: dir, Ef: 64, Clients: 2, Batch: 500, Block: 25, DataDir: t.TempDir()}
	for run := range 2 {
		res, err := RunHTTP(context.Background(), cfg)
		require.NoError(t, err)
		require.Equal(t, n, res.Vectors)
		if run == 0 {
			require.Positive(t, res.IngestSecs)
		} else {
			require.Zero(t, res.IngestSecs, "the second run reuses the kept collection")
		}
		require.Len(t, res.Serial, 4)
		require.Len(t, res.Load, 3)
		for _, passes := range [][]PassLatency{res.Serial, res.Load} {
			for i, p := range passes {
				require.Greater(t, p.Recall, 0.9, p.Name)
				require.Positive(t, p.QPS, p.Name)
				require.GreaterOrEqual(t, p.P99Micros, p.P50Micros, p.Name)
				if i == 1 || i == 2 {
					require.Positive(t, p.ServerP50Micros, p.Name)
					require.Positive(t, p.SearchP50Micros, p.Name)
					require.LessOrEqual(t, p.SearchP50Micros, p.ServerP50Micros, p.Name)
				}
			}
		}
		require.Positive(t, res.Floor.P50Micros, "the floor pass ran")
	}
}

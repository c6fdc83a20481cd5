package bench

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/hnsw"
)

// TestRunANNQuantized runs the quantized sweep on a small inner-product set: each
// ef is measured float, int8, float, int8, the int8 recall stays close to
// the float one, and the memory with codes is reported apart.
func TestRunANNQuantized(t *testing.T) {
	const n, nq, dim = 2000, 50, 24
	rng := rand.New(rand.NewPCG(5, 6))
	gen := func(rows int) []float32 {
		out := make([]float32, rows*dim)
		for i := range out {
			out[i] = float32(rng.NormFloat64())
		}
		return out
	}
	base, queries := gen(n), gen(nq)
	truth, err := ExactTopK(context.Background(), base, queries, dim, GroundTruthConfig{K: 10})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, WriteFvecs(filepath.Join(dir, "base.fvecs"), base, dim))
	require.NoError(t, WriteFvecs(filepath.Join(dir, "query.fvecs"), queries, dim))
	require.NoError(t, WriteIvecs(filepath.Join(dir, "groundtruth.ivecs"), truth))

	res, err := RunANN(context.Background(), ANNConfig{Dir: dir, M: 8, EfConstruction: 40, Efs: []int{20, 80}, Threads: 1,
		Metric: hnsw.Dot, Quantization: "int8", Oversampling: 2})
	require.NoError(t, err)
	require.NotNil(t, res.Quantized)
	assert.Equal(t, 2.0, res.Quantized.Oversampling)
	assert.Greater(t, res.Quantized.IndexBytes, res.IndexBytes)
	require.Len(t, res.Runs, 8)
	for i, r := range res.Runs {
		assert.Equal(t, []string{"float", "int8"}[i%2], r.Walk)
		assert.Greater(t, r.RecallAt10, 0.5, "ef %d %s", r.Ef, r.Walk)
		if i%2 == 1 {
			assert.InDelta(t, res.Runs[i-1].RecallAt10, r.RecallAt10, 0.05, "ef %d", r.Ef)
		}
	}
	_, err = RunANN(context.Background(), ANNConfig{Dir: dir, Efs: []int{10}, Threads: 1, Quantization: "int4"})
	require.ErrorContains(t, err, "int4")
}

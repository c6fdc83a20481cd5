package bench

import (
	"context"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

// naiveTopK is the reference: score every pair, sort by score descending then
// id ascending, keep k.
func naiveTopK(base, queries []float32, dim, k int) [][]int32 {
	nb := len(base) / dim
	out := make([][]int32, len(queries)/dim)
	for q := range out {
		ids := make([]int32, nb)
		scores := make([]float64, nb)
		for b := range nb {
			ids[b] = int32(b)
			for j := range dim {
				scores[b] += float64(queries[q*dim+j]) * float64(base[b*dim+j])
			}
		}
		sort.SliceStable(ids, func(i, j int) bool { return scores[ids[i]] > scores[ids[j]] })
		out[q] = ids[:min(k, nb)]
	}
	return out
}

func TestExactTopKMatchesNaive(t *testing.T) {
	seed := testseed.Seed(t)
	rng := testseed.Stream(seed, 7)
	// Shapes chosen to hit every tail of the 4×2 kernel and of both blocks.
	for _, tc := range []struct{ nb, nq, dim, k int }{
		{1, 1, 1, 1},
		{7, 3, 5, 10},
		{300, 67, 17, 25},
		{gtBaseBlock*2 + 3, gtQueryBlock + 5, 100, 100},
		{500, 130, 8, 1},
	} {
		base := randVecs(rng, tc.nb, tc.dim)
		queries := randVecs(rng, tc.nq, tc.dim)
		want := naiveTopK(base, queries, tc.dim, tc.k)
		for _, threads := range []int{1, 3} {
			got, err := ExactTopK(context.Background(), base, queries, tc.dim, GroundTruthConfig{K: tc.k, Threads: threads})
			require.NoError(t, err)
			require.Equal(t, want, got, "nb=%d nq=%d dim=%d k=%d threads=%d", tc.nb, tc.nq, tc.dim, tc.k, threads)
		}
	}
}

// TestExactTopKTies uses few distinct small-integer values so that many
// scores are exactly equal: the smaller id must win every tie.
func TestExactTopKTies(t *testing.T) {
	seed := testseed.Seed(t)
	rng := testseed.Stream(seed, 11)
	const nb, nq, dim, k = 400, 70, 3, 30
	base := make([]float32, nb*dim)
	for i := range base {
		base[i] = float32(rng.IntN(3) - 1)
	}
	// Exact duplicates of row 5 at later ids, and a row equal to an earlier one.
	for _, r := range []int{200, 399} {
		copy(base[r*dim:(r+1)*dim], base[5*dim:6*dim])
	}
	queries := make([]float32, nq*dim)
	for i := range queries {
		queries[i] = float32(rng.IntN(5) - 2)
	}
	want := naiveTopK(base, queries, dim, k)
	got, err := ExactTopK(context.Background(), base, queries, dim, GroundTruthConfig{K: k, Threads: 2})
	require.NoError(t, err)
	require.Equal(t, want, got)

	// All scores equal: the answer is ids 0..k-1.
	got, err = ExactTopK(context.Background(), make([]float32, nb*dim), queries[:dim], dim, GroundTruthConfig{K: k})
	require.NoError(t, err)
	for i, id := range got[0] {
		require.Equal(t, int32(i), id)
	}
}

func TestExactTopKErrors(t *testing.T) {
	_, err := ExactTopK(context.Background(), make([]float32, 5), make([]float32, 4), 2, GroundTruthConfig{})
	require.Error(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = ExactTopK(ctx, make([]float32, 4), make([]float32, 4), 2, GroundTruthConfig{})
	require.ErrorIs(t, err, context.Canceled)
}

func randVecs(rng *rand.Rand, n, dim int) []float32 {
	v := make([]float32, n*dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func BenchmarkExactTopK(b *testing.B) {
	// A fixed seed: the benchmark's data, the same every run so runs compare.
	rng := rand.New(rand.NewPCG(1, 2))
	const dim = 100
	base, queries := randVecs(rng, 20000, dim), randVecs(rng, 256, dim)
	b.ResetTimer()
	for b.Loop() {
		if _, err := ExactTopK(context.Background(), base, queries, dim, GroundTruthConfig{Threads: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(20000*256*dim), "ns/madd")
}

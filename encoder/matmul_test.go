package encoder

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/quiver-db/quiver/internal/testseed"
)

// naiveMatmulT is the plain-Go reference of matmulT, in float64.
func naiveMatmulT(a, b, bias []float32, m, k, n int) []float32 {
	c := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				s += float64(a[i*k+p]) * float64(b[j*k+p])
			}
			if bias != nil {
				s += float64(bias[j])
			}
			c[i*n+j] = float32(s)
		}
	}
	return c
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// TestMatmulT checks the blocked, parallel kernel against plain Go over
// awkward sizes: a relative tolerance of 1e-5 of Σ|a·b|.
func TestMatmulT(t *testing.T) {
	seed := testseed.Seed(t)
	r := testseed.Stream(seed, 1)
	sizes := []int{1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 384, 777}
	for _, m := range []int{1, 3, 5, 17, 70} {
		for _, k := range sizes {
			for _, n := range []int{1, 4, 5, 13, 64, 65, 130} {
				a, b, bias := randSlice(r, m*k), randSlice(r, n*k), randSlice(r, n)
				if n == 13 {
					bias = nil
				}
				want := naiveMatmulT(a, b, bias, m, k, n)
				for _, threads := range []int{1, 2, 3} {
					got := make([]float32, m*n)
					matmulT(got, a, b, bias, m, k, n, threads, actNone)
					tol := 1e-5 * 4 * math.Sqrt(float64(k))
					for i := range got {
						if d := math.Abs(float64(got[i] - want[i])); d > tol {
							t.Fatalf("m=%d k=%d n=%d threads=%d: c[%d] = %g, want %g", m, k, n, threads, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// BenchmarkMatmulT reports GFLOP/s on the shapes of all-MiniLM-L6-v2 with
// 512 tokens in a batch.
func BenchmarkMatmulT(b *testing.B) {
	// A fixed seed: the benchmark's data, the same every run so runs compare.
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct{ m, k, n, threads int }{
		{512, 384, 1152, 1}, {512, 384, 1536, 1}, {512, 1536, 384, 1},
		{512, 384, 1152, 2}, {512, 384, 1536, 2}, {512, 1536, 384, 2},
		{12, 384, 1536, 2},
	} {
		b.Run(fmt.Sprintf("%dx%dx%d/threads=%d", s.m, s.k, s.n, s.threads), func(b *testing.B) {
			a, w, bias := randSlice(r, s.m*s.k), randSlice(r, s.n*s.k), randSlice(r, s.n)
			c := make([]float32, s.m*s.n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				matmulT(c, a, w, bias, s.m, s.k, s.n, s.threads, actNone)
			}
			b.ReportMetric(2*float64(s.m*s.k*s.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

package encoder

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/quiver-db/quiver/internal/testseed"
)

// TestLinear checks the packed kernels against plain Go over awkward row
// counts and inner sizes, with n a multiple of 16 (packed) and not (raw).
func TestLinear(t *testing.T) {
	seed := testseed.Seed(t)
	r := testseed.Stream(seed, 2)
	for _, m := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 49, 100} {
		for _, k := range []int{1, 7, 8, 9, 31, 33, 100, 384, 777} {
			for _, n := range []int{16, 48, 112, 13} {
				a, w, bias := randSlice(r, m*k), randSlice(r, n*k), randSlice(r, n)
				want := naiveMatmulT(a, w, bias, m, k, n)
				lw := newLinearW(w, n, k)
				if useGemm && n%16 == 0 && lw.packed == nil {
					t.Fatal("not packed")
				}
				for _, threads := range []int{1, 2} {
					got := make([]float32, m*n)
					for i := range got {
						got[i] = float32(math.NaN()) // the kernel must overwrite
					}
					linear(got, a, &lw, bias, m, threads, actNone)
					tol := 1e-5 * 4 * math.Sqrt(float64(k))
					for i := range got {
						if d := math.Abs(float64(got[i] - want[i])); !(d <= tol) {
							t.Fatalf("m=%d k=%d n=%d threads=%d: c[%d] = %g, want %g", m, k, n, threads, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// BenchmarkLinear reports GFLOP/s of the packed kernels on the shapes of
// all-MiniLM-L6-v2 with 512 tokens in a batch.
func BenchmarkLinear(b *testing.B) {
	// A fixed seed: the benchmark's data, the same every run so runs compare.
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct{ m, k, n, threads int }{
		{512, 384, 1152, 1}, {512, 384, 1536, 1}, {512, 1536, 384, 1},
		{512, 384, 1536, 2}, {12, 384, 1536, 2},
	} {
		b.Run(fmt.Sprintf("%dx%dx%d/threads=%d", s.m, s.k, s.n, s.threads), func(b *testing.B) {
			a, w, bias := randSlice(r, s.m*s.k), randSlice(r, s.n*s.k), randSlice(r, s.n)
			lw := newLinearW(w, s.n, s.k)
			c := make([]float32, s.m*s.n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				linear(c, a, &lw, bias, s.m, s.threads, actNone)
			}
			b.ReportMetric(2*float64(s.m*s.k*s.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

package simd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDotsBlocked8MatchesDots(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, dim := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 100, 384} {
		for _, blocks := range []int{0, 1, 3} {
			q := make([]float32, dim)
			for i := range q {
				q[i] = rng.Float32()*2 - 1
			}
			vecs := make([][]float32, blocks*8)
			ct := make([]float32, blocks*8*dim)
			for v := range vecs {
				vecs[v] = make([]float32, dim)
				for j := range vecs[v] {
					x := rng.Float32()*2 - 1
					vecs[v][j] = x
					ct[(v/8*dim+j)*8+v%8] = x
				}
			}
			for _, k := range available() {
				out := make([]float32, blocks*8)
				k.dots8(q, ct, out)
				for v := range vecs {
					var want float64
					for j := range q {
						want += float64(q[j]) * float64(vecs[v][j])
					}
					assert.InDelta(t, want, float64(out[v]), 1e-5*math.Max(1, float64(dim)), "set %s dim %d vector %d", k.name, dim, v)
				}
			}
		}
	}
	require.Panics(t, func() { DotsBlocked8(make([]float32, 2), make([]float32, 14), make([]float32, 7)) })
	require.Panics(t, func() { DotsBlocked8(make([]float32, 2), make([]float32, 15), make([]float32, 8)) })
}

func BenchmarkCentroidScores(b *testing.B) {
	const dim, n = 100, 952
	q, ct, out := make([]float32, dim), make([]float32, n*dim), make([]float32, n)
	for i := range ct {
		ct[i] = float32(i%7) - 3
	}
	b.Run("blocked8", func(b *testing.B) {
		for b.Loop() {
			DotsBlocked8(q, ct, out)
		}
	})
	b.Run("dot-each", func(b *testing.B) {
		for b.Loop() {
			for c := range n {
				out[c] = Dot(q, ct[c*dim:])
			}
		}
	})
}

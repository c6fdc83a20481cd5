package hnsw

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

func plainDot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func plainL2(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

// The SIMD kernels agree with plain Go over lengths that exercise the vector
// body, the scalar tail and both together.
func TestKernelsMatchPlainGo(t *testing.T) {
	rng := testseed.New(t)
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 384, 777} {
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		tol := 1e-5 * math.Sqrt(float64(n)) * 4
		require.InDelta(t, 1-plainDot(a, b), float64(distance(Cosine, a, b)), tol, "cosine n=%d", n)
		require.InDelta(t, -plainDot(a, b), float64(distance(Dot, a, b)), tol, "dot n=%d", n)
		l2 := plainL2(a, b)
		require.InDelta(t, l2*l2, float64(distance(L2, a, b)), tol*l2, "squared l2 n=%d", n)
		require.InDelta(t, l2, float64(L2.Score(a, b)), tol, "l2 score n=%d", n)
	}
}

func TestNormalizeAndCheck(t *testing.T) {
	dst := make([]float32, 2)
	require.NoError(t, normalizeInto(dst, []float32{3, 4}))
	require.InDelta(t, 0.6, dst[0], 1e-7)
	require.InDelta(t, 0.8, dst[1], 1e-7)
	require.ErrorIs(t, normalizeInto(dst, []float32{0, 0}), ErrZero)
	require.ErrorIs(t, checkVector([]float32{1}, 2), ErrDimension)
	require.ErrorIs(t, checkVector([]float32{1, float32(math.NaN())}, 2), ErrValue)
	require.ErrorIs(t, checkVector([]float32{float32(math.Inf(-1)), 1}, 2), ErrValue)
	require.NoError(t, checkVector([]float32{1, 2}, 2))
}

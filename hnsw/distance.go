package hnsw

import (
	"fmt"
	"math"

	"github.com/viterin/vek/vek32"
)

// distance returns a distance where lower means closer: 1 − dot for Cosine
// (vectors are unit length), −dot for Dot and the Euclidean distance for L2
// (monotone in the squared distance, so rankings and the neighbour heuristic
// are the same). A switch rather than a function value keeps the call to the
// SIMD kernel direct on the hot path.
func distance(m Metric, a, b []float32) float32 {
	switch m {
	case Cosine:
		return 1 - vek32.Dot(a, b)
	case Dot:
		return -vek32.Dot(a, b)
	default:
		return vek32.Distance(a, b)
	}
}

// score turns an internal distance into the score users see.
func (m Metric) score(d float32) float32 {
	switch m {
	case Cosine:
		return 1 - d
	case Dot:
		return -d
	default:
		return d * d
	}
}

// checkVector validates a vector at the boundary.
func checkVector(v []float32, dim int) error {
	if len(v) != dim {
		return fmt.Errorf("%w: got %d, want %d", ErrDimension, len(v), dim)
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("%w: component %d is %v", ErrValue, i, x)
		}
	}
	return nil
}

// normalizeInto writes v / |v| into dst, computing the norm in float64.
func normalizeInto(dst, v []float32) error {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return ErrZero
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range v {
		dst[i] = float32(float64(x) * inv)
	}
	return nil
}

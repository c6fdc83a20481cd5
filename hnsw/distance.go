package hnsw

import (
	"fmt"
	"math"

	"github.com/quiver-db/quiver/internal/simd"
)

// distance returns a distance where lower means closer: 1 − dot for Cosine
// (vectors are unit length), −dot for Dot and the squared Euclidean
// distance for L2. The graph only compares distances, and squaring is
// monotone, so rankings and the neighbour heuristic are those of the
// Euclidean distance without a square root per comparison; score takes the
// root for users. A switch rather than a function value keeps the call to
// the kernel direct on the hot path.
func distance(m Metric, a, b []float32) float32 {
	switch m {
	case Cosine:
		return 1 - simd.Dot(a, b)
	case Dot:
		return -simd.Dot(a, b)
	default:
		return simd.SquaredL2(a, b)
	}
}

// score turns an internal distance into the score users see: the cosine
// similarity, the dot product, or the Euclidean distance.
func (m Metric) score(d float32) float32 {
	switch m {
	case Cosine:
		return 1 - d
	case Dot:
		return -d
	default:
		return float32(math.Sqrt(float64(d)))
	}
}

// Score is the score users see between a query and a stored vector, both
// as Prepare leaves them: the cosine similarity or dot product (higher is
// better), or the Euclidean distance (lower is better). It is the one
// definition of each metric's score; searches report the same numbers.
func (m Metric) Score(a, b []float32) float32 { return m.score(distance(m, a, b)) }

// Similarity is Score oriented so that higher always means closer: the
// Euclidean distance negated. Recommendation strategies that add or compare
// scores of several examples use it.
func (m Metric) Similarity(a, b []float32) float32 {
	if m == L2 {
		return -m.Score(a, b)
	}
	return m.Score(a, b)
}

// Prepare returns v as the graph stores and compares it: unit length for
// Cosine (a copy; a zero vector is returned as it is), v itself otherwise.
func (m Metric) Prepare(v []float32) []float32 {
	if m != Cosine {
		return v
	}
	out := make([]float32, len(v))
	if normalizeInto(out, v) != nil {
		return v
	}
	return out
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

package sparse

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// MaxNonzeros bounds the nonzeros of one vector (a document's distinct
// terms, a query's).
const MaxNonzeros = 65536

// ErrInvalid marks a vector that Validate rejects.
var ErrInvalid = errors.New("sparse: invalid vector")

// Vector is a sparse vector: Values[i] is the weight of term Indices[i].
type Vector struct {
	Indices []uint32
	Values  []float32
}

// Len returns the number of nonzeros.
func (v Vector) Len() int { return len(v.Indices) }

// Validate reports the first problem that makes v unusable: lengths that
// differ, too many nonzeros, a repeated index, or a NaN or infinite value.
// Errors wrap ErrInvalid and name the field ("indices", "values").
func (v Vector) Validate() error {
	if len(v.Indices) != len(v.Values) {
		return fmt.Errorf("%w: indices has %d entries and values %d, want the same", ErrInvalid, len(v.Indices), len(v.Values))
	}
	if len(v.Indices) > MaxNonzeros {
		return fmt.Errorf("%w: indices has %d entries, want at most %d", ErrInvalid, len(v.Indices), MaxNonzeros)
	}
	for i, x := range v.Values {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("%w: values[%d] is %v, want a finite number", ErrInvalid, i, x)
		}
	}
	seen := make(map[uint32]struct{}, len(v.Indices))
	for i, t := range v.Indices {
		if _, dup := seen[t]; dup {
			return fmt.Errorf("%w: indices[%d] repeats index %d, want unique indices", ErrInvalid, i, t)
		}
		seen[t] = struct{}{}
	}
	return nil
}

// Sorted returns a copy of v ordered by index, the form the store keeps
// and answers show.
func (v Vector) Sorted() Vector {
	order := make([]int, len(v.Indices))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case v.Indices[a] < v.Indices[b]:
			return -1
		case v.Indices[a] > v.Indices[b]:
			return 1
		}
		return 0
	})
	out := Vector{Indices: make([]uint32, len(order)), Values: make([]float32, len(order))}
	for i, j := range order {
		out.Indices[i], out.Values[i] = v.Indices[j], v.Values[j]
	}
	return out
}

// Dot returns the dot product of two vectors sorted by index.
func Dot(a, b Vector) float32 {
	var s float32
	i, j := 0, 0
	for i < len(a.Indices) && j < len(b.Indices) {
		switch {
		case a.Indices[i] < b.Indices[j]:
			i++
		case a.Indices[i] > b.Indices[j]:
			j++
		default:
			s += a.Values[i] * b.Values[j]
			i++
			j++
		}
	}
	return s
}

package ivf

import (
	"fmt"
	"math"

	"github.com/quiver-db/quiver/internal/simd"
)

// Add appends v as point Len() and returns its id. It places v in its
// cells with the trained centroids and code book, as Build placed the
// points it was given; the cells are not retrained, so a collection that
// grows far past what the index was trained on is better served by a new
// Build. Add must not run concurrently with Search or another Add: the
// caller serializes them (invariant 1).
func (ix *Index) Add(v []float32) (uint32, error) {
	if len(v) != ix.dim {
		return 0, fmt.Errorf("ivf add: vector of dimension %d, index has %d", len(v), ix.dim)
	}
	if ix.n == math.MaxUint32 {
		return 0, fmt.Errorf("ivf add: index full at %d points", ix.n)
	}
	for j, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return 0, fmt.Errorf("ivf add: component %d is %v", j, x)
		}
	}
	x := append([]float32(nil), v...)
	if ix.opts.Metric == Cosine {
		normalize(x)
	}
	id := uint32(ix.n)
	cs := make([]int32, ix.opts.Spill)
	soarAssign(x, ix.cents, ix.dim, ix.opts.Metric == Cosine, cs)
	res := make([]float32, ix.padDim)
	code := make([]byte, ix.cols)
	for _, c := range cs {
		if c < 0 {
			break
		}
		ix.residual(x, int(c), res)
		ix.cb.encode(res, code)
		ix.cells[c].append(id, code)
	}
	if ix.halves != nil {
		at := len(ix.halves)
		ix.halves = append(ix.halves, make([]uint16, ix.halfStride)...)
		simd.ToF16(ix.halves[at:at+ix.dim], x)
	} else {
		ix.vectors = append(ix.vectors, x...)
	}
	ix.n++
	return id, nil
}

// append adds point id with the given code bytes at the cell's next
// position, starting a zeroed block when the last one is full.
func (cl *cell) append(id uint32, code []byte) {
	j := len(cl.ids)
	cols := len(code)
	if j%simd.PQ4Block == 0 {
		cl.codes = append(cl.codes, make([]byte, cols*simd.PQ4Block)...)
	}
	blk := cl.codes[j/simd.PQ4Block*cols*simd.PQ4Block:]
	for c, b := range code {
		blk[c*simd.PQ4Block+j%simd.PQ4Block] = b
	}
	cl.ids = append(cl.ids, id)
}

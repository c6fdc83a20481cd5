package storage

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/quiver-db/quiver/sparse"
)

// SpaceSparse is a sparse vector in one sparse space (1..255; sparse
// spaces are numbered apart from dense ones).
type SpaceSparse struct {
	Space  uint8
	Vector sparse.Vector
}

func (c *Collection) sparseKey(space uint8, node uint32) []byte {
	return binary.BigEndian.AppendUint32(append(c.key(secSparse, 5), space), node)
}

// encodeSparse writes the count, then the indices, then the values, all
// little-endian 4-byte words.
func encodeSparse(v sparse.Vector) []byte {
	out := make([]byte, 0, 4+8*v.Len())
	out = binary.LittleEndian.AppendUint32(out, uint32(v.Len()))
	for _, t := range v.Indices {
		out = binary.LittleEndian.AppendUint32(out, t)
	}
	for _, x := range v.Values {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
	}
	return out
}

func decodeSparse(b []byte) (sparse.Vector, error) {
	if len(b) < 4 {
		return sparse.Vector{}, fmt.Errorf("%w: sparse vector of %d bytes", ErrCorrupt, len(b))
	}
	n := int(binary.LittleEndian.Uint32(b))
	if len(b) != 4+8*n {
		return sparse.Vector{}, fmt.Errorf("%w: sparse vector of %d nonzeros in %d bytes", ErrCorrupt, n, len(b))
	}
	v := sparse.Vector{Indices: make([]uint32, n), Values: make([]float32, n)}
	for i := range n {
		v.Indices[i] = binary.LittleEndian.Uint32(b[4+4*i:])
		v.Values[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4+4*(n+i):]))
	}
	return v, nil
}

// SparseVector returns a live node's vector in a sparse space, or
// ErrNotFound.
func (c *Collection) SparseVector(space uint8, node uint32) (sparse.Vector, error) {
	v, err := c.store.get(c.sparseKey(space, node))
	if err != nil {
		return sparse.Vector{}, err
	}
	return decodeSparse(v)
}

// ScanSparse calls fn for every vector in a sparse space, in node order.
func (c *Collection) ScanSparse(ctx context.Context, space uint8, fn func(node uint32, v sparse.Vector) error) error {
	lo, _ := c.bounds(secSparse)
	lo, hi := append(lo, space), append(lo[:len(lo):len(lo)], space+1)
	return c.iterate(ctx, lo, hi, func(k, val []byte) (bool, error) {
		if len(k) != len(lo)+4 {
			return false, fmt.Errorf("%w: sparse key %x", ErrCorrupt, k)
		}
		v, err := decodeSparse(val)
		if err != nil {
			return false, err
		}
		return true, fn(binary.BigEndian.Uint32(k[len(lo):]), v)
	})
}

package storage

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
	"github.com/stretchr/testify/require"
)

func TestSparseSpaces(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	s := openMem(t, fs)
	c, err := s.CreateCollection("s", []byte(`{}`))
	require.NoError(t, err)
	sp := []uint8{1, 2}
	v1 := sparse.Vector{Indices: []uint32{3, 70000}, Values: []float32{0.5, -2}}
	require.NoError(t, c.Write(ctx, []Op{
		{Seq: 1, Kind: OpUpsert, ID: pointid.FromNum(1), Node: 0, SparseSpaces: sp,
			Sparse: []SpaceSparse{{Space: 1, Vector: v1}, {Space: 2, Vector: sparse.Vector{}}}},
		{Seq: 2, Kind: OpUpsert, ID: pointid.FromNum(2), Node: 1, SparseSpaces: sp,
			Named: []SpaceVector{{Space: 1, Vector: []float32{1}}}, Spaces: []uint8{1}},
	}))
	got, err := c.SparseVector(1, 0)
	require.NoError(t, err)
	require.Equal(t, v1, got)
	empty, err := c.SparseVector(2, 0)
	require.NoError(t, err)
	require.Equal(t, 0, empty.Len())
	_, err = c.SparseVector(1, 1)
	require.ErrorIs(t, err, ErrNotFound)

	nodesOf := func(space uint8) []uint32 {
		var out []uint32
		require.NoError(t, c.ScanSparse(ctx, space, func(n uint32, _ sparse.Vector) error {
			out = append(out, n)
			return nil
		}))
		return out
	}
	require.Equal(t, []uint32{0}, nodesOf(1))
	// A replace moves the point and drops the old node's sparse keys; a
	// delete drops them too.
	require.NoError(t, c.Write(ctx, []Op{
		{Seq: 3, Kind: OpUpsert, ID: pointid.FromNum(1), Node: 2, Replaced: true, Prev: 0, SparseSpaces: sp,
			Sparse: []SpaceSparse{{Space: 2, Vector: v1}}},
	}))
	require.Empty(t, nodesOf(1))
	require.Equal(t, []uint32{2}, nodesOf(2))
	require.NoError(t, c.Write(ctx, []Op{{Seq: 4, Kind: OpDelete, ID: pointid.FromNum(1), Node: 2, SparseSpaces: sp}}))
	require.Empty(t, nodesOf(2))
	require.Error(t, c.Write(ctx, []Op{{Seq: 5, Kind: OpUpsert, ID: pointid.FromNum(9), Node: 9,
		Sparse: []SpaceSparse{{Space: 0, Vector: v1}}}}), "space 0 is not a sparse space")
}

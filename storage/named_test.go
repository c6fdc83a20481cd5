package storage

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/pointid"
	"github.com/stretchr/testify/require"
)

func TestNamedSpaces(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	s := openMem(t, fs)
	c, err := s.CreateCollection("n", []byte(`{}`))
	require.NoError(t, err)
	spaces := []uint8{1, 2}
	require.NoError(t, c.Write(ctx, []Op{
		{Seq: 1, Kind: OpUpsert, ID: pointid.FromNum(1), Node: 0, Spaces: spaces,
			Named: []SpaceVector{{Space: 1, Vector: []float32{1, 0}}, {Space: 2, Vector: []float32{1, 2, 3}}}},
		{Seq: 2, Kind: OpUpsert, ID: pointid.FromNum(2), Node: 1, Spaces: spaces,
			Named: []SpaceVector{{Space: 2, Vector: []float32{4, 5, 6}}}},
		{Seq: 3, Kind: OpUpsert, ID: pointid.FromNum(3), Node: 2, Spaces: spaces},
	}))
	nodesOf := func(space uint8) []uint32 {
		var out []uint32
		require.NoError(t, c.ScanVectors(ctx, space, func(n uint32, _ []float32) error {
			out = append(out, n)
			return nil
		}))
		return out
	}
	require.Empty(t, nodesOf(0))
	require.Equal(t, []uint32{0}, nodesOf(1))
	require.Equal(t, []uint32{0, 1}, nodesOf(2))
	var keys []uint32
	require.NoError(t, c.ScanVectorNodes(ctx, 2, func(n uint32) error {
		keys = append(keys, n)
		return nil
	}))
	require.Equal(t, []uint32{0, 1}, keys)
	v, err := c.Vector(2, 1)
	require.NoError(t, err)
	require.Equal(t, []float32{4, 5, 6}, v)
	_, err = c.Vector(1, 1)
	require.ErrorIs(t, err, ErrNotFound)

	// Replacing point 1 by one with only space 1, and deleting point 2,
	// remove every space's vector of the old nodes.
	require.NoError(t, c.Write(ctx, []Op{
		{Seq: 4, Kind: OpUpsert, ID: pointid.FromNum(1), Node: 3, Replaced: true, Prev: 0, Spaces: spaces,
			Named: []SpaceVector{{Space: 1, Vector: []float32{0, 1}}}},
		{Seq: 5, Kind: OpDelete, ID: pointid.FromNum(2), Node: 1, Spaces: spaces},
	}))
	require.Equal(t, []uint32{3}, nodesOf(1))
	require.Empty(t, nodesOf(2))

	require.Error(t, c.Write(ctx, []Op{{Seq: 6, Kind: OpUpsert, ID: pointid.FromNum(9), Node: 9,
		Named: []SpaceVector{{Space: 0, Vector: []float32{1}}}}}), "space 0 is not a named space")
}

func TestSaveGraphsTogether(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	s := openMem(t, fs)
	c, err := s.CreateCollection("n", []byte(`{}`))
	require.NoError(t, err)
	for seq := uint64(1); seq <= 3; seq++ {
		require.NoError(t, c.Write(ctx, []Op{{Seq: seq, Kind: OpUpsert, ID: pointid.FromNum(seq), Node: uint32(seq),
			Spaces: []uint8{1, 2}, Named: []SpaceVector{{Space: 1, Vector: []float32{1}}}}}))
	}
	big := make([]byte, 3*graphChunk+5)
	big[len(big)-1] = 7
	require.NoError(t, c.SaveGraphs(2, []SpaceGraph{{Space: 1, Data: []byte("one")}, {Space: 2, Data: big}}))
	require.NoError(t, s.Close())
	s = openMem(t, fs)
	defer s.Close()
	_, cols, err := s.Collections()
	require.NoError(t, err)
	c = cols[0]
	seq, data, err := c.LoadGraph(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, uint64(2), seq)
	require.Equal(t, "one", string(data))
	seq, data, err = c.LoadGraph(ctx, 2)
	require.NoError(t, err)
	require.Equal(t, uint64(2), seq)
	require.Equal(t, big, data)
	_, _, err = c.LoadGraph(ctx, 0)
	require.ErrorIs(t, err, ErrNotFound)
	last, err := c.LastSeq(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(3), last)
	var logged []uint64
	require.NoError(t, c.LogAfter(ctx, 0, func(e LogEntry) error {
		logged = append(logged, e.Seq)
		return nil
	}))
	require.Equal(t, []uint64{3}, logged)
	require.NoError(t, c.SaveGraphs(3, []SpaceGraph{{Space: 1, Data: []byte("x")}}))
	last, err = c.LastSeq(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(3), last, "an empty log falls back to the snapshots' seq")
}

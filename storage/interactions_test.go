package storage

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

func TestInteractionsWriteReadForget(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	s := openMem(t, fs)
	c, err := s.CreateCollection("c", nil)
	require.NoError(t, err)
	alice, _ := userid.Parse("alice")
	n7 := userid.FromNum(7)
	op := func(u userid.ID, item uint64, w float32, ts int64) Op {
		return Op{Kind: OpInteract, User: u, ID: pointid.FromNum(item), Weight: w, Time: ts}
	}
	require.NoError(t, c.Write(ctx, []Op{
		{Seq: 1, Kind: OpUpsert, ID: pointid.FromNum(1), Node: 0, Vector: []float32{1}},
		op(alice, 3, 4.5, 100), op(alice, 1, 1, 101), op(n7, 1, -1, 102), op(alice, 3, 2, 103), // the last (alice, 3) wins
	}))
	var got []Interaction
	require.NoError(t, c.UserInteractions(ctx, alice, nil, func(it Interaction) (bool, error) {
		got = append(got, it)
		return true, nil
	}))
	require.Equal(t, []Interaction{{alice, pointid.FromNum(1), 1, 101}, {alice, pointid.FromNum(3), 2, 103}}, got)
	from := pointid.FromNum(2)
	got = nil
	require.NoError(t, c.UserInteractions(ctx, alice, &from, func(it Interaction) (bool, error) {
		got = append(got, it)
		return true, nil
	}))
	require.Len(t, got, 1)

	// Interactions take no log entry: the point log still ends at seq 1.
	last, err := c.LastSeq(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(1), last)

	require.NoError(t, c.Write(ctx, []Op{{Kind: OpForgetUser, User: alice}}))
	require.NoError(t, s.Close())
	s = openMem(t, fs)
	defer s.Close()
	_, cols, err := s.Collections()
	require.NoError(t, err)
	require.Len(t, cols, 1)
	c = cols[0]
	var all []Interaction
	require.NoError(t, c.ScanInteractions(ctx, func(it Interaction) error { all = append(all, it); return nil }))
	require.Equal(t, []Interaction{{n7, pointid.FromNum(1), -1, 102}}, all, "alice is forgotten across a reopen, user 7 kept")
}

func TestModelSaveLoad(t *testing.T) {
	ctx := context.Background()
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	c, err := s.CreateCollection("c", nil)
	require.NoError(t, err)
	_, err = c.LoadModel(ctx)
	require.ErrorIs(t, err, ErrNotFound)
	big := make([]byte, graphChunk*2+5)
	for i := range big {
		big[i] = byte(i * 7)
	}
	require.NoError(t, c.SaveModel(big))
	got, err := c.LoadModel(ctx)
	require.NoError(t, err)
	require.Equal(t, big, got)
	require.NoError(t, c.SaveModel([]byte("small")), "a smaller model replaces every chunk")
	got, err = c.LoadModel(ctx)
	require.NoError(t, err)
	require.Equal(t, []byte("small"), got)
}

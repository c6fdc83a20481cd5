package cluster

import (
	"io"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
)

func applyAll(t *testing.T, f *fsm, cmds []Command) []any {
	t.Helper()
	var resps []any
	for i, c := range cmds {
		data, err := c.encode()
		require.NoError(t, err)
		resps = append(resps, f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: data}))
	}
	return resps
}

// conditionalCmds is a history whose tail, replayed over the state after
// it, gives another state: "set c=1 where b=1" matches nothing the first
// time and p1 the second.
func conditionalCmds() []Command {
	return []Command{
		createCmd("c"),
		upsertCmd("c", 1, 2),
		setPayloadCmd("c", index.Selector{Filter: matchFilter("b", 1.0)}, map[string]any{"c": 1}),
		setPayloadCmd("c", index.Selector{IDs: ids(1)}, map[string]any{"b": 1}),
	}
}

func TestFSMResponsesAndSnapshotRestore(t *testing.T) {
	src := newFSM(t)
	resps := applyAll(t, src, append(conditionalCmds(),
		Command{Drop: &DropCollection{Name: "missing"}}, // the command's own error is the response
		createCmd("other"),
		upsertCmd("other", 5),
	))
	require.ErrorIs(t, resps[4].(error), index.ErrNotFound)
	for i, r := range resps {
		if i != 4 {
			require.Nil(t, r, "entry %d", i+1)
		}
	}
	want := dump(t, src.db)
	require.Contains(t, want["c"], `{"b":1,"id":1}`)
	require.NotContains(t, want["c"], `"c":1`)

	// Persist into a snapshot store and restore into a DB that holds a
	// collection the snapshot lacks and another "c".
	rc := persist(t, src, 7)

	dst := newFSM(t)
	applyAll(t, dst, []Command{createCmd("stale"), upsertCmd("stale", 1), createCmd("c"), upsertCmd("c", 3)})
	require.NoError(t, dst.Restore(rc))
	require.Equal(t, want, dump(t, dst.db))
	require.Equal(t, uint64(7), dst.applied.Load(), "the snapshot's last command")
	require.Equal(t, []string{"c", "other"}, dst.db.List())
}

// TestReplayOverLaterStateDiverges shows why a node rebuilds its DB
// rather than replaying committed entries over the state it has
// (doc.go, invariant 4).
func TestReplayOverLaterStateDiverges(t *testing.T) {
	f := newFSM(t)
	cmds := conditionalCmds()
	applyAll(t, f, cmds)
	before := dump(t, f.db)
	applyAll(t, f, cmds[2:])
	require.NotEqual(t, before, dump(t, f.db))
	require.Contains(t, dump(t, f.db)["c"], `"c":1`)
}

// persist takes src's snapshot, as of entry index, into a snapshot store
// and opens it for a restore.
func persist(t *testing.T, src *fsm, index uint64) io.ReadCloser {
	t.Helper()
	snap, err := src.Snapshot()
	require.NoError(t, err)
	store := raft.NewInmemSnapshotStore()
	sink, err := store.Create(raft.SnapshotVersionMax, index, 1, raft.Configuration{}, 1, nil)
	require.NoError(t, err)
	require.NoError(t, snap.Persist(sink))
	snap.Release()
	_, rc, err := store.Open(sink.ID())
	require.NoError(t, err)
	return rc
}

package cluster

import (
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
)

// TestChangeReplicas: group 0's FSM records a transfer, refuses a second
// one and the bad ones (deterministically, as every replica would), ends
// it with the shard's new replicas, and keeps all of it across a
// snapshot.
func TestChangeReplicas(t *testing.T) {
	f := newFSM(t)
	obs := &placementLog{}
	f.observer = obs
	a, b, c := Peer{"a", "a:1"}, Peer{"b", "b:1"}, Peer{"c", "c:1"}
	// Shards 0 and 2 on a, shard 1 on b; created at index 1.
	change := func(s int, begin *Transfer, replicas []Peer, abort bool) Command {
		return Command{Replicas: &ChangeReplicas{Collection: "s", Created: 1, Shard: s, Begin: begin, Replicas: replicas, Abort: abort}}
	}
	move := Transfer{Shard: 0, Kind: TransferMove, From: a, To: c}
	resps := applyAll(t, f, []Command{
		shardedCmd(t, "s"),
		change(0, &move, nil, false),
		change(0, &Transfer{Shard: 0, Kind: TransferReplicate, From: a, To: b}, nil, false), // 3: one at a time
		change(5, &move, nil, false), // 4: no shard 5
		change(1, &Transfer{Shard: 1, Kind: TransferMove, From: a, To: c}, nil, false),      // 5: a keeps no shard 1
		change(1, &Transfer{Shard: 1, Kind: TransferReplicate, From: b, To: b}, nil, false), // 6: b keeps it
		change(1, &Transfer{Shard: 1, Kind: TransferDrop, From: b}, nil, false),             // 7: the last replica
		change(1, nil, []Peer{c}, false),                                                    // 8: no transfer to end
		change(0, nil, nil, false),                                                          // 9: nothing set
	})
	require.Nil(t, resps[0])
	require.Nil(t, resps[1])
	for i, want := range map[int]error{2: index.ErrExists, 3: index.ErrNotFound, 4: index.ErrBadRequest, 5: index.ErrExists, 6: index.ErrBadRequest, 7: index.ErrNotFound, 8: index.ErrBadRequest} {
		require.ErrorIs(t, resps[i].(error), want, "entry %d", i+1)
	}
	p, _ := f.placement("s")
	require.True(t, p.Keeps(0, "c"), "the target runs the group")
	require.False(t, p.Holds(0, "c"), "and is not a replica yet")
	require.True(t, p.Bootstraps(0))
	require.Equal(t, []Peer{c}, move.Replicas(p.Replicas[0]))
	require.Equal(t, []Peer{a, c}, Transfer{Kind: TransferReplicate, From: a, To: c}.Replicas([]Peer{a}))
	require.Equal(t, []Peer{c}, Transfer{Kind: TransferDrop, From: a}.Replicas([]Peer{a, c}))

	data, err := change(0, nil, []Peer{c}, false).encode()
	require.NoError(t, err)
	cmd, err := decodeCommand(data)
	require.NoError(t, err)
	require.Equal(t, []Peer{c}, cmd.Replicas.Replicas)
	require.NoError(t, f.checkCommand(cmd))
	require.Nil(t, f.Apply(logEntry(10, data)))
	p, _ = f.placement("s")
	require.Empty(t, p.Transfers)
	require.Equal(t, []Peer{c}, p.Replicas[0])
	require.False(t, p.Keeps(0, "a"))
	require.False(t, p.Bootstraps(0), "a changed shard's replicas wait to be added")
	require.Equal(t, []string{"placed s", "placed s", "placed s"}, obs.events)

	rc := persist(t, f, 10)
	dst := newFSM(t)
	require.NoError(t, dst.Restore(rc))
	got, _ := dst.placement("s")
	require.Equal(t, p, got)
}

func logEntry(i uint64, data []byte) *raft.Log {
	return &raft.Log{Index: i, Type: raft.LogCommand, Data: data}
}

package cluster

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/userid"
)

// testCluster runs nodes in one process over raft.InmemTransport. Node i
// is "n<i>"; its ID and address are the same string.
type testCluster struct {
	t     *testing.T
	cfg   Config // template: timeouts and snapshot settings
	dirs  map[string]string
	nodes map[string]*Node // the running ones
	trans map[string]*raft.InmemTransport
}

// testConfig has timeouts short enough for tests and long enough for a
// loaded 2-core machine under -race.
func testConfig() Config {
	return Config{
		HeartbeatTimeout:   200 * time.Millisecond,
		ElectionTimeout:    200 * time.Millisecond,
		LeaderLeaseTimeout: 100 * time.Millisecond,
		Logger:             quietLogger(),
	}
}

// newCluster starts size nodes bootstrapped as one cluster.
func newCluster(t *testing.T, size int, cfg Config) *testCluster {
	c := &testCluster{t: t, cfg: cfg, dirs: map[string]string{}, nodes: map[string]*Node{}, trans: map[string]*raft.InmemTransport{}}
	var peers []Peer
	for i := 1; i <= size; i++ {
		id := nodeName(i)
		c.dirs[id] = t.TempDir()
		peers = append(peers, Peer{ID: id, Addr: id})
	}
	for _, p := range peers {
		c.start(p.ID, peers)
	}
	t.Cleanup(func() {
		for id := range c.nodes {
			c.stop(id)
		}
	})
	return c
}

func nodeName(i int) string { return "n" + string(rune('0'+i)) }

// start opens node id from its directory (a new one for a new id),
// connected to every running node.
func (c *testCluster) start(id string, peers []Peer) *Node {
	if c.dirs[id] == "" {
		c.dirs[id] = c.t.TempDir()
	}
	_, tr := raft.NewInmemTransport(raft.ServerAddress(id))
	for other, otr := range c.trans {
		tr.Connect(raft.ServerAddress(other), otr)
		otr.Connect(raft.ServerAddress(id), tr)
	}
	cfg := c.cfg
	cfg.NodeID, cfg.RaftAddr, cfg.Dir, cfg.Peers, cfg.Transport = id, id, c.dirs[id], peers, tr
	n, err := Open(context.Background(), cfg)
	require.NoError(c.t, err)
	c.nodes[id], c.trans[id] = n, tr
	return n
}

// stop closes node id, as a crash would leave its directories, and cuts
// it off.
func (c *testCluster) stop(id string) {
	require.NoError(c.t, c.nodes[id].Close())
	delete(c.nodes, id)
	for other, otr := range c.trans {
		if other != id {
			otr.Disconnect(raft.ServerAddress(id))
		}
	}
	c.trans[id].Close()
	delete(c.trans, id)
}

// leader waits for a running node to be the leader and returns its id.
func (c *testCluster) leader() string {
	var id string
	require.Eventually(c.t, func() bool {
		for nid, n := range c.nodes {
			if n.IsLeader() {
				id = nid
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "no leader")
	return id
}

func (c *testCluster) followers() []string {
	lead := c.leader()
	var out []string
	for id := range c.nodes {
		if id != lead {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// write applies cmd through the leader, retrying while leadership moves
// (the test's commands are idempotent, but for a create that an attempt
// of unknown outcome may have made), and fails the test unless the write
// is acknowledged within 10 s.
func (c *testCluster) write(cmd Command) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	unknown := false
	for {
		err := c.nodes[c.leader()].Apply(ctx, cmd)
		if unknown && cmd.Create != nil && errors.Is(err, index.ErrExists) {
			return
		}
		unknown = unknown || errors.Is(err, ErrUnknownOutcome)
		if !errors.Is(err, ErrNotLeader) && !errors.Is(err, ErrUnknownOutcome) || ctx.Err() != nil {
			require.NoError(c.t, err)
			return
		}
	}
}

// proposeUnchecked puts cmd in the log without the leader's check, as
// happens to a command checked against a state that entries ahead of it
// in the log then change; it returns the command's error.
func (c *testCluster) proposeUnchecked(cmd Command) error {
	c.t.Helper()
	data, err := cmd.encode()
	require.NoError(c.t, err)
	fut := c.nodes[c.leader()].raft.Apply(data, 5*time.Second)
	require.NoError(c.t, fut.Error())
	err, _ = fut.Response().(error)
	return err
}

// converged waits until every running node holds what the leader holds
// after a barrier, and returns that.
func (c *testCluster) converged() map[string]string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var lead *Node
	for {
		lead = c.nodes[c.leader()]
		err := lead.Barrier(ctx)
		if err == nil {
			break
		}
		require.NoError(c.t, ctx.Err(), "barrier: %v", err)
	}
	want := dump(c.t, lead.DB())
	for id, n := range c.nodes {
		require.Eventually(c.t, func() bool { return n.AppliedIndex() >= lead.AppliedIndex() }, 10*time.Second, 10*time.Millisecond, "%s lags", id)
		require.Equal(c.t, want, dump(c.t, n.DB()), id)
	}
	return want
}

// count is the number of points in collection col on node n.
func count(t *testing.T, n *Node, col string) int {
	c, err := n.DB().Collection(col)
	require.NoError(t, err)
	k, err := c.Count(context.Background(), nil)
	require.NoError(t, err)
	return k
}

func batch(from, to uint64) []uint64 {
	var out []uint64
	for id := from; id < to; id++ {
		out = append(out, id)
	}
	return out
}

func TestReplicatesThroughLeader(t *testing.T) {
	c := newCluster(t, 3, testConfig())
	ctx := context.Background()
	c.write(createCmd("c"))
	for b := uint64(0); b < 5; b++ {
		c.write(upsertCmd("c", batch(b*10, b*10+10)...))
	}
	got := c.converged()
	require.Len(t, got, 1)
	for _, n := range c.nodes {
		require.Equal(t, 50, count(t, n, "c"))
	}

	// A bad command is refused on the leader and never enters the log.
	lead := c.nodes[c.leader()]
	// (The refusals are confirmed after a barrier, which is in the log
	// but not a command: the applied command index stays.)
	last := lead.AppliedIndex()
	bad := Command{Apply: &ApplyOperations{Collection: "c", Ops: []index.Operation{{Upsert: []index.Point{{ID: ids(1)[0], Vector: []float32{1}}}}}}}
	require.ErrorIs(t, lead.Apply(ctx, bad), index.ErrBadRequest)
	require.ErrorIs(t, lead.Apply(ctx, createCmd("c")), index.ErrExists)
	require.ErrorIs(t, lead.Apply(ctx, upsertCmd("nope", 1)), index.ErrNotFound)
	require.NoError(t, lead.Barrier(ctx))
	require.Equal(t, last, lead.AppliedIndex())

	// A follower refuses writes and names the leader.
	f := c.nodes[c.followers()[0]]
	err := f.Apply(ctx, upsertCmd("c", 99))
	require.ErrorIs(t, err, ErrNotLeader)
	require.Contains(t, err.Error(), c.leader())
	require.ErrorIs(t, f.Barrier(ctx), ErrNotLeader)

	c.write(Command{Drop: &DropCollection{Name: "c"}})
	require.Empty(t, c.converged())
}

func TestLeaderFailover(t *testing.T) {
	c := newCluster(t, 3, testConfig())
	c.write(createCmd("c"))
	c.write(upsertCmd("c", batch(0, 20)...))
	old := c.leader()
	c.stop(old)
	require.NotEqual(t, old, c.leader())
	c.write(upsertCmd("c", batch(20, 40)...))
	c.write(setPayloadCmd("c", index.Selector{IDs: ids(3)}, map[string]any{"after": "failover"}))
	c.converged()
	for id, n := range c.nodes {
		require.Equal(t, 40, count(t, n, "c"), id)
	}
}

// TestMinorityAcknowledgesNothing: with one node of three alive no write
// is acknowledged. The refused write may still commit once the majority
// returns (it may be in the lone leader's log); what must hold is that
// every acknowledged write survives and the replicas agree.
func TestMinorityAcknowledgesNothing(t *testing.T) {
	c := newCluster(t, 3, testConfig())
	c.write(createCmd("c"))
	c.write(upsertCmd("c", batch(0, 10)...))
	lead := c.leader()
	for _, id := range c.followers() {
		c.stop(id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	err := c.nodes[lead].Apply(ctx, upsertCmd("c", 100))
	cancel()
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrUnknownOutcome) || errors.Is(err, ErrNotLeader), "%v", err)
	require.Eventually(t, func() bool { return !c.nodes[lead].IsLeader() }, 5*time.Second, 10*time.Millisecond, "a leader without a majority steps down")

	for _, id := range []string{"n1", "n2", "n3"} {
		if c.nodes[id] == nil {
			c.start(id, nil)
		}
	}
	c.write(upsertCmd("c", batch(10, 20)...))
	got := c.converged()
	for id, n := range c.nodes {
		k := count(t, n, "c")
		require.True(t, k == 20 || k == 21, "%s has %d points: acknowledged 20, maybe the refused one", id, k)
	}
	require.Len(t, got, 1)
}

// TestRestartCatchesUp restarts a follower that has a snapshot (it
// restores it and replays the log after it) and one that has none (it
// replays the whole log). The history holds entries that a replay over
// the state the node had would misapply (doc.go, invariant 4): a
// conditional update, and a batch refused for a missing point that
// exists by the end.
func TestRestartCatchesUp(t *testing.T) {
	c := newCluster(t, 3, testConfig())
	c.write(createCmd("c"))
	c.write(upsertCmd("c", batch(0, 10)...))
	fs := c.followers()
	withSnap, without := fs[0], fs[1]
	c.converged()
	require.NoError(t, c.nodes[withSnap].Snapshot(context.Background()))
	for _, cmd := range conditionalCmds()[1:] {
		c.write(cmd)
	}
	c.converged()

	c.stop(withSnap)
	c.write(upsertCmd("c", batch(10, 20)...))
	c.write(Command{Apply: &ApplyOperations{Collection: "c", Ops: []index.Operation{{Delete: &index.Selector{IDs: ids(4, 5)}}}}})
	c.start(withSnap, nil)
	c.converged()
	require.NotEqual(t, "0", c.nodes[withSnap].Stats()["last_snapshot_index"])

	refused := Command{Apply: &ApplyOperations{Collection: "c", Ops: []index.Operation{
		{Payload: &index.PayloadUpdate{Kind: index.PayloadSet, Points: index.Selector{IDs: ids(30)}, Payload: map[string]any{"x": 1}}},
		{Upsert: []index.Point{{ID: ids(60)[0], Vector: []float32{6, 0}}}},
	}}}
	require.ErrorIs(t, c.proposeUnchecked(refused), index.ErrNotFound)
	c.write(upsertCmd("c", 30))
	c.converged()
	c.stop(without)
	c.write(upsertCmd("c", 31))
	c.start(without, nil)
	require.Equal(t, "0", c.nodes[without].Stats()["last_snapshot_index"])
	got := c.converged()
	require.Equal(t, 20, count(t, c.nodes[without], "c"))
	require.Contains(t, got["c"], `{"b":1,"id":1}`)
	require.NotContains(t, got["c"], `"c":1`, "an entry applied twice")
	require.NotContains(t, got["c"], `"ID":60`, "a refused batch applied on replay")
}

// newCompactingCluster starts 3 nodes that snapshot and compact their
// logs often, so a node added later catches up from a snapshot.
func newCompactingCluster(t *testing.T) *testCluster {
	cfg := testConfig()
	cfg.SnapshotThreshold, cfg.TrailingLogs = 4, 1
	return newCluster(t, 3, cfg)
}

func TestAddVoterBySnapshot(t *testing.T) {
	c := newCompactingCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.write(createCmd("c"))
	for b := uint64(0); b < 6; b++ {
		c.write(upsertCmd("c", batch(b*10, b*10+10)...))
	}
	lead := c.nodes[c.leader()]
	require.NoError(t, lead.Snapshot(ctx))
	c.write(upsertCmd("c", 1000))

	n4 := c.start("n4", nil)
	voter, err := n4.IsVoter(ctx)
	require.NoError(t, err)
	require.False(t, voter, "n4 waits to be added")
	require.NoError(t, lead.AddVoter(ctx, "n4", "n4"))
	c.converged()
	voter, err = n4.IsVoter(ctx)
	require.NoError(t, err)
	require.True(t, voter)
	require.Equal(t, 61, count(t, n4, "c"))
	require.NotEqual(t, "0", n4.Stats()["last_snapshot_index"], "n4 caught up by installing a snapshot")
	require.Contains(t, lead.Stats()["latest_configuration"], "n4")
}

func TestTransferLeadershipAndRemoveServer(t *testing.T) {
	c := newCluster(t, 3, testConfig())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.write(createCmd("c"))
	old := c.leader()
	require.NoError(t, c.nodes[old].TransferLeadership(ctx))
	require.Eventually(t, func() bool { return c.leader() != old }, 5*time.Second, 10*time.Millisecond)
	require.ErrorIs(t, c.nodes[old].TransferLeadership(ctx), ErrNotLeader)

	gone := c.followers()[0]
	require.NoError(t, c.nodes[c.leader()].RemoveServer(ctx, gone))
	c.stop(gone)
	conf := c.nodes[c.leader()].Stats()["latest_configuration"]
	require.Contains(t, conf, "ID:"+c.leader()+" ")
	require.NotContains(t, conf, "ID:"+gone+" ")
	c.write(upsertCmd("c", 1, 2, 3))
	c.converged()
	for id, n := range c.nodes {
		require.Equal(t, 3, count(t, n, "c"), id)
	}
}

// Payload indexes and config updates are commands like the point writes:
// on every replica, refused on the leader when bad.
func TestReplicatesPayloadIndexesAndConfig(t *testing.T) {
	c := newCluster(t, 3, testConfig())
	ctx := context.Background()
	c.write(createCmd("c"))
	c.write(upsertCmd("c", batch(0, 20)...))
	c.write(Command{PayloadIndex: &SetPayloadIndex{Collection: "c", Key: "id", Type: index.Integer}})
	ef := 99
	c.write(Command{Config: &UpdateConfig{Collection: "c", Update: index.ConfigUpdate{HNSW: &index.HNSWUpdate{Ef: &ef}}}})
	c.converged()
	for id, n := range c.nodes {
		col, err := n.DB().Collection("c")
		require.NoError(t, err)
		cfg := col.Config()
		require.Equal(t, map[string]index.FieldType{"id": index.Integer}, cfg.PayloadIndexes, "node %s", id)
		require.Equal(t, 99, cfg.HNSW.Ef, "node %s", id)
	}
	lead := c.nodes[c.leader()]
	require.ErrorIs(t, lead.Apply(ctx, Command{PayloadIndex: &SetPayloadIndex{Collection: "c", Key: "nope"}}), index.ErrNotFound)
	require.ErrorIs(t, lead.Apply(ctx, Command{PayloadIndex: &SetPayloadIndex{Collection: "c", Key: "x", Type: "geo"}}), index.ErrBadRequest)
	m := 3
	require.ErrorIs(t, lead.Apply(ctx, Command{Config: &UpdateConfig{Collection: "c", Update: index.ConfigUpdate{HNSW: &index.HNSWUpdate{M: &m}}}}), index.ErrBadRequest)
	c.write(Command{PayloadIndex: &SetPayloadIndex{Collection: "c", Key: "id"}})
	c.converged()
	for id, n := range c.nodes {
		col, err := n.DB().Collection("c")
		require.NoError(t, err)
		require.Empty(t, col.Config().PayloadIndexes, "node %s", id)
	}
}

// Interactions are commands too, stamped by the proposer: every replica
// stores the same ones with the same times.
func TestReplicatesInteractions(t *testing.T) {
	c := newCluster(t, 3, testConfig())
	ctx := context.Background()
	c.write(createCmd("c"))
	c.write(upsertCmd("c", batch(0, 5)...))
	at := time.Unix(1_796_000_000, 0).UTC()
	c.write(Command{Interact: &RecordInteractions{Collection: "c", Interactions: []index.Interaction{
		{User: userid.FromNum(1), Item: ids(2)[0], Weight: 3, Time: at},
		{User: mustUser("b"), Item: ids(4)[0], Time: at},
	}}})
	lead := c.nodes[c.leader()]
	bad := Command{Interact: &RecordInteractions{Collection: "c", Interactions: []index.Interaction{{User: userid.FromNum(1), Item: ids(99)[0], Time: at}}}}
	require.ErrorIs(t, lead.Apply(ctx, bad), index.ErrBadRequest)
	c.converged()
	for id, n := range c.nodes {
		col, err := n.DB().Collection("c")
		require.NoError(t, err)
		var got []index.Interaction
		require.NoError(t, col.ScanInteractions(ctx, func(it index.Interaction) error {
			got = append(got, it)
			return nil
		}))
		require.ElementsMatch(t, []index.Interaction{
			{User: userid.FromNum(1), Item: ids(2)[0], Weight: 3, Time: at},
			{User: mustUser("b"), Item: ids(4)[0], Weight: 1, Time: at},
		}, got, "node %s", id)
	}
}

// TestReadIndexWritesNothing: a read index on the leader sees every
// acknowledged write and adds no entry to the log (after the barrier of
// its term's first call); a follower refuses it.
func TestReadIndexWritesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := newCluster(t, 3, testConfig())
	c.write(createCmd("c"))
	lead := c.nodes[c.leader()]
	require.NoError(t, lead.ReadIndex(ctx)) // the term's barrier, if not yet run
	last := lead.raft.LastIndex()
	for i := range 20 {
		c.write(upsertCmd("c", uint64(100+i)))
		require.NoError(t, lead.ReadIndex(ctx))
		require.Equal(t, i+1, count(t, lead, "c"))
	}
	require.Equal(t, last+20, lead.raft.LastIndex(), "one entry per write, none per read")
	f := c.nodes[c.followers()[0]]
	require.ErrorIs(t, f.ReadIndex(ctx), ErrNotLeader)
}

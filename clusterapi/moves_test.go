package clusterapi

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
)

// writer upserts batches of new points through group 0's leader until
// stopped, each batch retried until acknowledged (upserts are
// idempotent), and into ref once acknowledged.
type moveWriter struct {
	tn    *testNodes
	ref   *index.Collection
	mu    sync.Mutex
	acked []uint64 // protected by mu
	stop  chan struct{}
	done  chan struct{}
}

func startWriter(ctx context.Context, tn *testNodes, ref *index.Collection, from uint64) *moveWriter {
	w := &moveWriter{tn: tn, ref: ref, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for next := from; ; next += 10 {
			select {
			case <-w.stop:
				return
			default:
			}
			ps, ids := points(next, next+10)
			for {
				err := tn.leader().Apply(ctx, "s", []index.Operation{{Upsert: ps}})
				if err == nil {
					break
				}
				if !errors.Is(err, httpapi.ErrUnavailable) || ctx.Err() != nil {
					tn.t.Errorf("upsert %d: %v", next, err)
					return
				}
			}
			if err := ref.Upsert(ctx, ps); err != nil {
				tn.t.Errorf("reference: %v", err)
				return
			}
			w.mu.Lock()
			w.acked = append(w.acked, ids...)
			w.mu.Unlock()
		}
	}()
	return w
}

// finish stops the writer and returns every id it wrote.
func (w *moveWriter) finish() []uint64 {
	close(w.stop)
	<-w.done
	return slices.Clone(w.acked)
}

// waitReplicas waits until every node's placement gives shard s the
// replicas want, with no transfer left, and returns the placement.
func (tn *testNodes) waitReplicas(name string, s int, want ...string) cluster.Placement {
	tn.t.Helper()
	var p cluster.Placement
	require.Eventually(tn.t, func() bool {
		for _, n := range tn.nodes {
			var ok bool
			if p, ok = n.rep.Load().node.Placement(name); !ok || len(p.Transfers) > 0 {
				return false
			}
			var got []string
			for _, q := range p.Replicas[s] {
				got = append(got, q.ID)
			}
			if !slices.Equal(got, want) {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "shard %d never ended on replicas %v", s, want)
	return p
}

// TestMoveShardUnderWrites: 3 shards of 1 replica on 3 nodes; shard 0
// moves from node 1 to node 3 while a writer upserts; afterwards node 3
// holds every acknowledged point of it, node 1 no directory, and every
// node's router answers as one collection holding every point. Then the
// shard is replicated to 3 nodes and a replica dropped; the refusals.
func TestMoveShardUnderWrites(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	// Shard groups keep 16 entries behind a snapshot: the target of the
	// move is sent the shard's snapshot, not the whole log.
	tn := startTuned(t, 3, func(c *Config) { c.ShardTrailingLogs = 16 })
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error {
		return r.CreateSharded(ctx, "s", shardedConfig, httpapi.Sharding{Shards: 3, Replicas: 1})
	}))
	p := tn.placement("s")
	require.Equal(t, "1", p.Replicas[0][0].ID)
	ref := reference(t)
	w := startWriter(ctx, tn, ref, 0)
	require.Eventually(t, func() bool { w.mu.Lock(); defer w.mu.Unlock(); return len(w.acked) >= 300 }, 30*time.Second, 10*time.Millisecond)

	source, ok := tn.nodes[0].rep.Load().host.Group("s", p, 0)
	require.True(t, ok)
	require.NoError(t, source.Snapshot(ctx))
	snapped := source.Stats()["last_snapshot_index"]
	start := time.Now()
	move := httpapi.ShardOperation{Kind: httpapi.MoveShard, Shard: 0, From: "1", To: "3"}
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error { return r.UpdateShards(ctx, "s", move) }))
	info, err := tn.nodes[1].rep.Load().ShardInfo(ctx, "s")
	require.NoError(t, err)
	if ts := info.(collectionClusterInfo).ShardTransfers; len(ts) > 0 { // else done already
		require.Equal(t, shardTransferInfo{ShardID: 0, From: 1, To: 3, Method: "snapshot"}, ts[0])
	}
	moved := tn.waitReplicas("s", 0, "3")
	t.Logf("move of shard 0 took %v", time.Since(start))
	target, ok := tn.nodes[2].rep.Load().host.Group("s", moved, 0)
	require.True(t, ok)
	got, err := strconv.ParseUint(target.Stats()["last_snapshot_index"], 10, 64)
	require.NoError(t, err)
	want, err := strconv.ParseUint(snapped, 10, 64)
	require.NoError(t, err)
	require.GreaterOrEqual(t, got, want, "the target installed the source's snapshot")
	w.mu.Lock()
	before := len(w.acked)
	w.mu.Unlock()
	require.Eventually(t, func() bool { w.mu.Lock(); defer w.mu.Unlock(); return len(w.acked) >= before+100 }, 30*time.Second, 10*time.Millisecond, "writes after the move")
	acked := w.finish()
	require.NotEmpty(t, acked)
	tn.waitShards("s", moved, acked)
	dir := filepath.Join(tn.nodes[0].dir, "shards", "s", strconv.FormatUint(p.Created, 10), "0")
	require.NoDirExists(t, dir)
	for i := range tn.nodes {
		tn.sameAnswers(i, ref)
	}

	// Refusals.
	lead := tn.leader()
	for _, c := range []struct {
		op   httpapi.ShardOperation
		want error
		msg  string
	}{
		{httpapi.ShardOperation{Kind: httpapi.MoveShard, Shard: 7, From: "3", To: "1"}, index.ErrNotFound, "shard_id 7"},
		{httpapi.ShardOperation{Kind: httpapi.MoveShard, Shard: 0, From: "1", To: "2"}, index.ErrBadRequest, "from_peer_id 1: not a replica"},
		{httpapi.ShardOperation{Kind: httpapi.ReplicateShard, Shard: 1, From: "2", To: "2"}, index.ErrExists, "to_peer_id 2: a replica"},
		{httpapi.ShardOperation{Kind: httpapi.ReplicateShard, Shard: 1, From: "2", To: "9"}, index.ErrNotFound, "to_peer_id 9"},
		{httpapi.ShardOperation{Kind: httpapi.DropReplica, Shard: 1, From: "2"}, index.ErrBadRequest, "last replica"},
		{httpapi.ShardOperation{Kind: httpapi.AbortTransfer, Shard: 1, From: "2", To: "3"}, index.ErrNotFound, "no transfer"},
	} {
		err := lead.UpdateShards(ctx, "s", c.op)
		require.ErrorIs(t, err, c.want, "%+v", c.op)
		require.ErrorContains(t, err, c.msg)
	}

	// Replicate shard 0 to nodes 1 and 2: one transfer a shard at a time.
	w = startWriter(ctx, tn, ref, 100000)
	require.NoError(t, lead.UpdateShards(ctx, "s", httpapi.ShardOperation{Kind: httpapi.ReplicateShard, Shard: 0, From: "3", To: "1"}))
	err = lead.UpdateShards(ctx, "s", httpapi.ShardOperation{Kind: httpapi.ReplicateShard, Shard: 0, From: "3", To: "2"})
	require.ErrorIs(t, err, index.ErrExists)
	require.ErrorContains(t, err, "running")
	tn.waitReplicas("s", 0, "1", "3")
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error {
		return r.UpdateShards(ctx, "s", httpapi.ShardOperation{Kind: httpapi.ReplicateShard, Shard: 0, From: "3", To: "2"})
	}))
	three := tn.waitReplicas("s", 0, "1", "2", "3")
	acked = append(acked, w.finish()...)
	tn.waitShards("s", three, acked)

	// Drop node 3's replica (the shard's leader, likely: it was alone).
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error {
		return r.UpdateShards(ctx, "s", httpapi.ShardOperation{Kind: httpapi.DropReplica, Shard: 0, From: "3"})
	}))
	two := tn.waitReplicas("s", 0, "1", "2")
	tn.waitShards("s", two, acked)
	g, ok := tn.nodes[0].rep.Load().host.Group("s", two, 0)
	require.True(t, ok)
	members, err := g.Members(ctx)
	require.NoError(t, err)
	require.Len(t, members, 2, "the group's configuration is the placement's")
	for i := range tn.nodes {
		tn.sameAnswers(i, ref)
	}

	// An abort of a replicate leaves the shard as it was, or, if the
	// transfer was done first, finds none running.
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error {
		return r.UpdateShards(ctx, "s", httpapi.ShardOperation{Kind: httpapi.ReplicateShard, Shard: 1, From: "2", To: "3"})
	}))
	err = tn.leader().UpdateShards(ctx, "s", httpapi.ShardOperation{Kind: httpapi.AbortTransfer, Shard: 1, From: "2", To: "3"})
	if err == nil {
		tn.waitReplicas("s", 1, "2")
	} else {
		require.ErrorIs(t, err, index.ErrNotFound)
		tn.waitReplicas("s", 1, "2", "3")
	}
	final, _ := tn.nodes[0].rep.Load().node.Placement("s")
	tn.waitShards("s", final, acked)
}

// TestTransferResumesAfterLeaderRestart: group 0's leader, which drives
// a move, is closed right after recording it; the next leader runs the
// move from its first step, and the restarted node ends with the new
// placement and no group of the shard it does not keep.
func TestTransferResumesAfterLeaderRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tn, p, acked := shardedNodes(ctx, t, httpapi.Sharding{Shards: 3, Replicas: 1})
	lead := tn.leader()

	// Move a shard between the two other nodes.
	li := slices.IndexFunc(tn.nodes, func(n *testNode) bool { return n.rep.Load() == lead })
	var others []string
	for i, n := range tn.nodes {
		if i != li {
			others = append(others, n.id)
		}
	}
	s := slices.IndexFunc(p.Replicas, func(r []cluster.Peer) bool { return r[0].ID == others[0] })
	require.NoError(t, lead.UpdateShards(ctx, "s", httpapi.ShardOperation{Kind: httpapi.MoveShard, Shard: s, From: others[0], To: others[1]}))
	tn.close(li)
	tn.open(li)
	moved := tn.waitReplicas("s", s, others[1])
	ps, ids := points(200, 260)
	tn.upsert(ctx, "s", ps)
	tn.waitShards("s", moved, append(acked, ids...))
	from := slices.IndexFunc(tn.nodes, func(n *testNode) bool { return n.id == others[0] })
	require.NoDirExists(t, filepath.Join(tn.nodes[from].dir, "shards", "s", strconv.FormatUint(p.Created, 10), strconv.Itoa(s)))
}

// TestMoveWhileSourceRestarts: the source of a move of a shard of 2
// replicas is closed right after the move is recorded and opened again;
// the move finishes, and the source, replaying group 0, ends with no
// group and no directory of the shard, and writes go on.
func TestMoveWhileSourceRestarts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tn, p, acked := shardedNodes(ctx, t, httpapi.Sharding{Shards: 3, Replicas: 2})

	// Shard 0 is on nodes 1 and 2; node 1's replica moves to node 3.
	require.Equal(t, []string{"1", "2"}, []string{p.Replicas[0][0].ID, p.Replicas[0][1].ID})
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error {
		return r.UpdateShards(ctx, "s", httpapi.ShardOperation{Kind: httpapi.MoveShard, Shard: 0, From: "1", To: "3"})
	}))
	tn.close(0)
	tn.open(0)
	moved := tn.waitReplicas("s", 0, "2", "3")
	ps, ids := points(200, 260)
	tn.upsert(ctx, "s", ps)
	tn.waitShards("s", moved, append(acked, ids...))
	require.NoDirExists(t, filepath.Join(tn.nodes[0].dir, "shards", "s", strconv.FormatUint(p.Created, 10), "0"))
}

// shardedNodes starts 3 nodes with collection "s" sharded as sh and
// points 0-199 in it.
func shardedNodes(ctx context.Context, t *testing.T, sh httpapi.Sharding) (*testNodes, cluster.Placement, []uint64) {
	tn := startNodes(t, 3)
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error { return r.CreateSharded(ctx, "s", shardedConfig, sh) }))
	p := tn.placement("s")
	ps, acked := points(0, 200)
	tn.upsert(ctx, "s", ps)
	tn.waitShards("s", p, acked)
	return tn, p, acked
}

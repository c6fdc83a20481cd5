package clusterapi

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/shard"
)

// A linearizable read of a sharded collection reads each shard on its
// leader: locally where this node leads the shard (after a barrier),
// else by asking the leader over the RPC, which a follower replica
// refuses. Every write acknowledged before it is seen, through any node.
func TestLinearizableShardReadsGoToEachShardsLeader(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tn := startNodes(t, 3)
	require.NoError(t, tn.onLeader(ctx, func(r *Replica) error {
		return r.CreateSharded(ctx, "s", shardedConfig, httpapi.Sharding{Shards: 3, Replicas: 2})
	}))
	p := tn.placement("s")

	var acked int
	for round := range 6 {
		ps, _ := points(uint64(round*50), uint64(round*50+50))
		tn.upsert(ctx, "s", ps)
		acked += len(ps)
		for i, n := range tn.nodes {
			rep := n.rep.Load()
			// The shards node i leads; a local read of the others (those of
			// which it keeps a follower replica) could miss the write just
			// acknowledged.
			led := 0
			for s := range p.Shards() {
				if g, ok := rep.host.Group("s", p, s); ok && g.IsLeader() {
					led++
				}
			}
			var before int64
			for _, m := range tn.nodes {
				before += m.rep.Load().leaderReadsServed.Load()
			}
			router, ok, err := rep.Router("s", httpapi.ReadLinearizable)
			require.NoError(t, err)
			require.True(t, ok)
			got, err := router.Count(ctx, nil)
			require.NoError(t, err)
			require.Equal(t, acked, got, "round %d, node %d", round, i)
			var after int64
			for _, m := range tn.nodes {
				after += m.rep.Load().leaderReadsServed.Load()
			}
			// One leader read per shard not led here, plus the refusals of
			// followers asked while the leader heard of was stale.
			require.GreaterOrEqual(t, after-before, int64(p.Shards()-led), "node %d leads %d shards", i, led)
		}
	}

	for _, n := range tn.nodes {
		require.Zero(t, n.httpReads.Load(), "node %s: the shard reads cross the Raft port, not HTTP", n.id)
	}

	// A follower replica refuses a leader's read; the leader serves it.
	for s := range p.Shards() {
		for _, q := range p.Replicas[s] {
			rep := tn.nodes[slices.IndexFunc(tn.nodes, func(n *testNode) bool { return n.id == q.ID })].rep.Load()
			g, ok := rep.host.Group("s", p, s)
			require.True(t, ok)
			c, err := rep.leaderShard(ctx, "s", s)
			if g.IsLeader() {
				require.NoError(t, err)
				_, isCollection := c.(*index.Collection)
				require.True(t, isCollection)
				continue
			}
			require.ErrorIs(t, err, shard.ErrUnavailable)
			require.ErrorContains(t, err, "does not lead")
		}
	}
}

package httpapi

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
)

// fakeMover is a fakeSharder that records the shard operations it is
// asked for.
type fakeMover struct {
	*fakeSharder
	mu  sync.Mutex
	ops []ShardOperation // protected by mu
}

var _ ShardMover = (*fakeMover)(nil)

func (f *fakeMover) UpdateShards(_ context.Context, collection string, op ShardOperation) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, op)
	return nil
}

// TestUpdateCollectionCluster: POST /collections/{c}/cluster reads
// Qdrant's operations (peer ids as numbers or node ids) and refuses,
// naming the field, what it cannot act on.
func TestUpdateCollectionCluster(t *testing.T) {
	var m *fakeMover
	ts := newTestServer(t, t.TempDir(), func(c *Config) {
		m = &fakeMover{fakeSharder: newFakeSharder(t, c.DB.(*index.DB))}
		c.Replica = m
	})
	vectors := map[string]any{"size": 2, "distance": "Dot"}
	ts.ok("PUT", "/collections/s", map[string]any{"vectors": vectors, "shard_number": 2}, nil)
	ts.ok("PUT", "/collections/whole", map[string]any{"vectors": vectors}, nil)

	var done bool
	ts.ok("POST", "/collections/s/cluster", `{"move_shard": {"shard_id": 1, "from_peer_id": 1, "to_peer_id": "node-3", "method": "snapshot"}}`, &done)
	require.True(t, done)
	ts.ok("POST", "/collections/s/cluster", `{"replicate_shard": {"shard_id": 0, "from_peer_id": 2, "to_peer_id": 3}}`, nil)
	ts.ok("POST", "/collections/s/cluster", `{"drop_replica": {"shard_id": 0, "peer_id": 2}}`, nil)
	ts.ok("POST", "/collections/s/cluster", `{"abort_transfer": {"shard_id": 0, "from_peer_id": 2, "to_peer_id": 3}}`, nil)
	require.Equal(t, []ShardOperation{
		{Kind: MoveShard, Shard: 1, From: "1", To: "node-3"},
		{Kind: ReplicateShard, Shard: 0, From: "2", To: "3"},
		{Kind: DropReplica, Shard: 0, From: "2"},
		{Kind: AbortTransfer, Shard: 0, From: "2", To: "3"},
	}, m.ops)

	for _, c := range []struct {
		body string
		want string
	}{
		{`{}`, "exactly one"},
		{`{"move_shard": {"shard_id": 1, "from_peer_id": 1, "to_peer_id": 2}, "drop_replica": {"shard_id": 0, "peer_id": 2}}`, "exactly one"},
		{`{"move_shard": {"from_peer_id": 1, "to_peer_id": 2}}`, "move_shard.shard_id: required"},
		{`{"move_shard": {"shard_id": 1, "to_peer_id": 2}}`, "move_shard.from_peer_id: required"},
		{`{"replicate_shard": {"shard_id": 1, "from_peer_id": 1, "to_peer_id": true}}`, "replicate_shard.to_peer_id: want a peer id"},
		{`{"move_shard": {"shard_id": 1, "from_peer_id": 2, "to_peer_id": 2}}`, "move_shard.to_peer_id: the same peer"},
		{`{"move_shard": {"shard_id": 1, "from_peer_id": 1, "to_peer_id": 2, "method": "wal_delta"}}`, "move_shard.method"},
		{`{"drop_replica": {"shard_id": 1}}`, "drop_replica.peer_id: required"},
		{`{"split_shard": {}}`, "unknown field"},
	} {
		ts.fails(http.StatusBadRequest, "POST", "/collections/s/cluster", c.body, c.want)
	}
	ts.fails(http.StatusBadRequest, "POST", "/collections/whole/cluster", `{"drop_replica": {"shard_id": 0, "peer_id": 1}}`, "not sharded")
	ts.fails(http.StatusNotFound, "POST", "/collections/missing/cluster", `{"drop_replica": {"shard_id": 0, "peer_id": 1}}`)
	require.Len(t, m.ops, 4, "no refused request reached the mover")

	// A node that shards but does not move replicas, and a single node.
	sharder, _ := newShardedServer(t)
	sharder.ok("PUT", "/collections/s", map[string]any{"vectors": vectors, "shard_number": 2}, nil)
	sharder.fails(http.StatusNotImplemented, "POST", "/collections/s/cluster", `{"drop_replica": {"shard_id": 0, "peer_id": 1}}`, "does not move shards")
	single := newTestServer(t, t.TempDir(), nil)
	single.ok("PUT", "/collections/c", map[string]any{"vectors": vectors}, nil)
	single.fails(http.StatusBadRequest, "POST", "/collections/c/cluster", `{"drop_replica": {"shard_id": 0, "peer_id": 1}}`, "distributed mode disabled")
}

package cluster

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/pointid"
)

// TestShardedCollection: 3 nodes, a collection of 3 shards with 2
// replicas each, written through every node; every node answers reads
// alike, and with one node SIGKILLed the shard whose two replicas
// survive still takes writes, and every node left still reads it all.
func TestShardedCollection(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	nodes := startCluster(t, 3)
	lead := leader(t, nodes, []int{0, 1, 2})
	follower := (lead + 1) % 3
	code, raw, err := call(ctx, "PUT", nodes[follower].url()+"/collections/c", map[string]any{
		"vectors": map[string]any{"size": 4, "distance": "Cosine"}, "shard_number": 3, "replication_factor": 2,
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "create through a follower: %s", raw)

	// Three clients, one a node, upsert 20 points each.
	var acked []uint64
	for i, n := range nodes {
		w := &writer{nodes: []*node{n}}
		for b := range uint64(4) {
			ids := make([]uint64, 5)
			for j := range ids {
				ids[j] = uint64(i)*1000 + b*5 + uint64(j) + 1
			}
			require.NoError(t, w.upsert(ctx, "c", ids), "through node %s", n.id)
		}
		acked = append(acked, w.acked...)
	}
	sameEverywhere(ctx, t, nodes, []int{0, 1, 2}, acked)

	// The collection's cluster info: node 1 keeps shards 0 and 2.
	code, raw, err = call(ctx, "GET", nodes[0].url()+"/collections/c/cluster", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "%s", raw)
	var info struct {
		Result struct {
			PeerID      uint64 `json:"peer_id"`
			ShardCount  int    `json:"shard_count"`
			LocalShards []struct {
				ShardID     int    `json:"shard_id"`
				PointsCount int    `json:"points_count"`
				State       string `json:"state"`
			} `json:"local_shards"`
			RemoteShards []struct {
				ShardID int    `json:"shard_id"`
				PeerID  uint64 `json:"peer_id"`
			} `json:"remote_shards"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(raw, &info))
	require.Equal(t, uint64(1), info.Result.PeerID)
	require.Equal(t, 3, info.Result.ShardCount)
	require.Len(t, info.Result.LocalShards, 2)
	require.Equal(t, []int{0, 2}, []int{info.Result.LocalShards[0].ShardID, info.Result.LocalShards[1].ShardID})
	require.Len(t, info.Result.RemoteShards, 4)

	// Node 3 dies: shard 0 (nodes 1 and 2) keeps its majority and takes
	// writes; the others keep a replica each, which serves reads.
	nodes[2].kill()
	var shard0 []uint64
	for id := uint64(5000); len(shard0) < 5; id++ {
		if pointid.FromNum(id).Shard(3) == 0 {
			shard0 = append(shard0, id)
		}
	}
	w := &writer{nodes: []*node{nodes[0], nodes[1]}}
	require.NoError(t, w.upsert(ctx, "c", shard0))
	acked = append(acked, shard0...)
	sameEverywhere(ctx, t, nodes, []int{0, 1}, acked)
}

// sameEverywhere waits until every node of alive holds exactly acked
// (retrieve, count), then checks their searches answer alike.
func sameEverywhere(ctx context.Context, t *testing.T, nodes []*node, alive []int, acked []uint64) {
	t.Helper()
	var records [3][]json.RawMessage
	require.Eventually(t, func() bool {
		for _, i := range alive {
			var err error
			if records[i], err = retrieve(ctx, nodes[i], acked); err != nil || len(records[i]) != len(acked) {
				return false
			}
			if n, err := count(ctx, nodes[i]); err != nil || n != len(acked) {
				return false
			}
		}
		return true
	}, 20*time.Second, 50*time.Millisecond, "a node misses acknowledged points or counts others")
	var first []uint64
	var firstPage json.RawMessage
	for _, i := range alive {
		require.Equal(t, records[alive[0]], records[i], "node %s holds other points than node %s", nodes[i].id, nodes[alive[0]].id)
		code, page, err := call(ctx, "POST", nodes[i].url()+"/collections/c/points/scroll", map[string]any{"limit": 25, "with_payload": true})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code, "%s", page)
		var out struct {
			Result json.RawMessage `json:"result"`
		}
		require.NoError(t, json.Unmarshal(page, &out))
		if firstPage == nil {
			firstPage = out.Result
		}
		require.JSONEq(t, string(firstPage), string(out.Result), "node %s scrolls unlike node %s", nodes[i].id, nodes[alive[0]].id)
		ids, err := search(ctx, nodes[i], vectorOf(4242))
		require.NoError(t, err)
		require.Len(t, ids, 10)
		if first == nil {
			first = ids
		}
		require.Equal(t, first, ids, "node %s searches unlike node %s", nodes[i].id, nodes[alive[0]].id)
	}
}

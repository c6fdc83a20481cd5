package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMoveShard: 3 processes, a collection of 3 shards of 1 replica;
// shard 0 moves from node 1 to node 3 (asked through node 2, which
// forwards to the leader) while a client upserts. Afterwards every node
// answers alike with every acknowledged point, node 3 keeps shard 0 and
// node 1 no directory of it. QUIVER_MOVE_POINTS sets how many points are
// written before the move (default 3,000, about a third in shard 0).
func TestMoveShard(t *testing.T) {
	total := 3000
	if v := os.Getenv("QUIVER_MOVE_POINTS"); v != "" {
		var err error
		total, err = strconv.Atoi(v)
		require.NoError(t, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	nodes := startCluster(t, 3)
	code, raw, err := call(ctx, "PUT", nodes[1].url()+"/collections/c", map[string]any{
		"vectors": map[string]any{"size": 4, "distance": "Cosine"}, "shard_number": 3, "replication_factor": 1,
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "%s", raw)
	w := &writer{nodes: nodes}
	for b := 0; b < total; b += 100 {
		ids := make([]uint64, min(100, total-b))
		for j := range ids {
			ids[j] = uint64(b + j + 1)
		}
		require.NoError(t, w.upsert(ctx, "c", ids))
	}

	// A second client writes during the move.
	during := &writer{nodes: nodes}
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for id := uint64(1_000_000); ; id += 10 {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			ids := []uint64{id, id + 1, id + 2, id + 3, id + 4, id + 5, id + 6, id + 7, id + 8, id + 9}
			if err := during.upsert(ctx, "c", ids); err != nil {
				done <- err
				return
			}
		}
	}()
	start := time.Now()
	code, raw, err = call(ctx, "POST", nodes[1].url()+"/collections/c/cluster", map[string]any{
		"move_shard": map[string]any{"shard_id": 0, "from_peer_id": 1, "to_peer_id": 3},
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "%s", raw)
	require.Eventually(t, func() bool {
		for i, n := range nodes {
			info, err := shardsOf(ctx, n)
			if err != nil || len(info.Transfers) > 0 || slices.Contains(info.Local, 0) != (i == 2) {
				return false
			}
		}
		return true
	}, 60*time.Second, 20*time.Millisecond, "shard 0 never moved to node 3")
	t.Logf("moved shard 0 (%d points written before the move, %d during) in %v", total, during.ackedN.Load(), time.Since(start))
	close(stop)
	require.NoError(t, <-done)
	require.Eventually(t, func() bool {
		dirs, err := filepath.Glob(filepath.Join(nodes[0].dir, "shards", "c", "*", "0"))
		return err == nil && len(dirs) == 0
	}, 10*time.Second, 20*time.Millisecond, "node 1 keeps a directory of the shard it moved away")
	sameEverywhere(ctx, t, nodes, []int{0, 1, 2}, append(w.acked, during.acked...))
}

type shardsInfo struct {
	Local     []int
	Transfers []json.RawMessage
}

// shardsOf reads GET /collections/c/cluster on n.
func shardsOf(ctx context.Context, n *node) (shardsInfo, error) {
	code, raw, err := call(ctx, "GET", n.url()+"/collections/c/cluster", nil)
	if err != nil || code != http.StatusOK {
		return shardsInfo{}, errors.Join(err, fmt.Errorf("cluster info on %s: %d %s", n.id, code, raw))
	}
	var out struct {
		Result struct {
			LocalShards []struct {
				ShardID int `json:"shard_id"`
			} `json:"local_shards"`
			Transfers []json.RawMessage `json:"shard_transfers"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return shardsInfo{}, err
	}
	info := shardsInfo{Transfers: out.Result.Transfers}
	for _, s := range out.Result.LocalShards {
		info.Local = append(info.Local, s.ShardID)
	}
	return info, nil
}

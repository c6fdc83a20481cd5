package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/jsonhttp"
	"github.com/quiver-db/quiver/internal/testbin"
)

// quiverBin is the binary TestMain builds once.
var quiverBin string

func TestMain(m *testing.M) { testbin.Main(m, &quiverBin) }

// node is one `quiver serve --node-id` process and what restarts it.
type node struct {
	id, addr, dir string
	args          []string
	cmd           *exec.Cmd
	log           *testbin.Log
}

func (n *node) url() string { return "http://" + n.addr }

// freeAddrs returns n loopback addresses free a moment ago, all distinct:
// each listener stays open until all are taken, since a port closed can
// be the next one handed out (a node once got another's HTTP port, and
// its readiness check reached that node).
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		out[i] = l.Addr().String()
	}
	return out
}

// startCluster starts n nodes that bootstrap one cluster.
func startCluster(t *testing.T, n int) []*node {
	nodes := make([]*node, n)
	var peers []string
	addrs := freeAddrs(t, 2*n)
	for i := range nodes {
		nodes[i] = &node{id: fmt.Sprint(i + 1), addr: addrs[2*i], dir: t.TempDir()}
		peers = append(peers, fmt.Sprintf("%s=%s=http://%s", nodes[i].id, addrs[2*i+1], nodes[i].addr))
	}
	for _, nd := range nodes {
		nd.args = []string{"serve", "--addr", nd.addr, "--data", nd.dir, "--model", "", "--node-id", nd.id, "--peers", strings.Join(peers, ",")}
		nd.start(t)
	}
	t.Cleanup(func() {
		for _, nd := range nodes {
			nd.kill()
			if t.Failed() {
				t.Logf("node %s log:\n%s", nd.id, nd.log)
			}
		}
	})
	for _, nd := range nodes {
		nd.waitReady(t)
	}
	return nodes
}

func (n *node) start(t *testing.T) {
	t.Helper()
	n.log = &testbin.Log{}
	n.cmd = exec.Command(quiverBin, n.args...)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	require.NoError(t, n.cmd.Start())
}

// kill sends SIGKILL and waits for the process.
func (n *node) kill() {
	if n.cmd != nil && n.cmd.ProcessState == nil {
		_ = n.cmd.Process.Kill()
		_ = n.cmd.Wait()
	}
}

func (n *node) waitReady(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		code, _, err := call(context.Background(), "GET", n.url()+"/readyz", nil)
		return err == nil && code == http.StatusOK
	}, 20*time.Second, 20*time.Millisecond, "node %s not ready; log:\n%s", n.id, n.log)
}

// call sends a JSON request and returns the status and the body.
func call(ctx context.Context, method, url string, body any) (int, []byte, error) {
	return jsonhttp.Call(ctx, http.DefaultClient, method, url, body, 10*time.Second)
}

// raftInfo is what the test reads of GET /cluster.
type raftInfo struct {
	Leader *uint64 `json:"leader"`
	Role   string  `json:"role"`
	Term   uint64  `json:"term"`
}

func clusterInfo(n *node) (raftInfo, error) {
	code, raw, err := call(context.Background(), "GET", n.url()+"/cluster", nil)
	if err != nil || code != http.StatusOK {
		return raftInfo{}, fmt.Errorf("GET /cluster: %d %s: %v", code, raw, err)
	}
	var out struct {
		Result struct {
			Status   string   `json:"status"`
			RaftInfo raftInfo `json:"raft_info"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return raftInfo{}, err
	}
	if out.Result.Status != "enabled" {
		return raftInfo{}, fmt.Errorf("cluster status %q", out.Result.Status)
	}
	return out.Result.RaftInfo, nil
}

// leader waits until every node of alive names the same leader and one of
// them is it, and returns its index in nodes.
func leader(t *testing.T, nodes []*node, alive []int) int {
	t.Helper()
	found := -1
	require.Eventually(t, func() bool {
		var lead *uint64
		for _, i := range alive {
			info, err := clusterInfo(nodes[i])
			if err != nil || info.Leader == nil || lead != nil && *lead != *info.Leader {
				return false
			}
			lead = info.Leader
			if info.Role == "Leader" {
				found = i
			}
		}
		return found >= 0 && fmt.Sprint(*lead) == nodes[found].id
	}, 20*time.Second, 50*time.Millisecond, "no agreed leader")
	return found
}

// writer is a client that writes through its nodes in turn, retrying a
// write until one acknowledges it, and records what was acknowledged.
type writer struct {
	nodes []*node
	next  int
	acked []uint64
	// ackedN is len(acked), for the test to read while the client runs.
	ackedN atomic.Int64
	// retried counts answers that asked for a retry (503, 504, a dropped
	// connection).
	retried int
}

// upsert writes points ids until a node acknowledges them; a refusal
// other than "retry later" fails the test.
func (w *writer) upsert(ctx context.Context, collection string, ids []uint64) error {
	points := make([]any, len(ids))
	for i, id := range ids {
		points[i] = map[string]any{"id": id, "vector": vectorOf(id), "payload": map[string]any{"w": id % 7}}
	}
	for ctx.Err() == nil {
		n := w.nodes[w.next%len(w.nodes)]
		code, raw, err := call(ctx, "PUT", n.url()+"/collections/"+collection+"/points", map[string]any{"points": points})
		switch {
		case err == nil && code == http.StatusOK:
			w.acked = append(w.acked, ids...)
			w.ackedN.Add(int64(len(ids)))
			return nil
		case err == nil && code != http.StatusServiceUnavailable && code != http.StatusGatewayTimeout:
			return fmt.Errorf("node %s refused the write: %d %s", n.id, code, raw)
		}
		// Unavailable, outcome unknown or the node is down: try the
		// next node after a pause; upserts are idempotent.
		w.retried++
		w.next++
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	return fmt.Errorf("points %v not acknowledged: %w", ids, ctx.Err())
}

// vectorOf is point id's vector: pseudo-random, so no two score the same.
func vectorOf(id uint64) []float32 {
	r := rand.New(rand.NewPCG(id, 7))
	v := make([]float32, 4)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
}

// TestKillLeaderMidWrites: 3 nodes, 2 clients writing through different
// nodes, the leader SIGKILLed midway and restarted; every acknowledged
// point ends on every node, and the nodes answer a search alike.
func TestKillLeaderMidWrites(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	nodes := startCluster(t, 3)
	lead := leader(t, nodes, []int{0, 1, 2})
	follower := (lead + 1) % 3
	code, raw, err := call(ctx, "PUT", nodes[follower].url()+"/collections/c", map[string]any{"vectors": map[string]any{"size": 4, "distance": "Cosine"}})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "create through a follower: %s", raw)

	const batches, size = 60, 5
	var progress sync.WaitGroup // each client's first third
	progress.Add(2)
	clients := []*writer{
		{nodes: []*node{nodes[follower], nodes[(follower+1)%3], nodes[lead]}},
		{nodes: []*node{nodes[lead], nodes[(lead+2)%3], nodes[follower]}},
	}
	errs := make([]error, len(clients))
	var wg sync.WaitGroup
	for c, w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range uint64(batches) {
				if b == batches/3 {
					progress.Done()
				}
				ids := make([]uint64, size)
				for i := range ids {
					ids[i] = uint64(c)*1_000_000 + b*size + uint64(i) + 1
				}
				if errs[c] = w.upsert(ctx, "c", ids); errs[c] != nil {
					if b < batches/3 {
						progress.Done()
					}
					return
				}
			}
		}()
	}
	progress.Wait()
	nodes[lead].kill()
	atKill := clients[0].ackedN.Load() + clients[1].ackedN.Load()
	survivors := []int{(lead + 1) % 3, (lead + 2) % 3}
	newLead := leader(t, nodes, survivors)
	t.Logf("leader %s killed; %s leads now", nodes[lead].id, nodes[newLead].id)
	wg.Wait()
	for c, err := range errs {
		require.NoError(t, err, "client %d", c)
	}
	require.Less(t, atKill, int64(2*batches*size), "writes went on after the kill")

	nodes[lead].start(t)
	nodes[lead].waitReady(t)
	leader(t, nodes, []int{0, 1, 2})

	var acked []uint64
	for c, w := range clients {
		t.Logf("client %d: %d points acknowledged, %d retries", c, len(w.acked), w.retried)
		acked = append(acked, w.acked...)
	}
	require.Len(t, acked, 2*batches*size, "every batch was acknowledged in the end")
	retries := clients[0].retried + clients[1].retried
	require.Positive(t, retries, "some writes met the leader's death")

	// Every node holds every acknowledged point, read locally; the nodes
	// agree on the count (unacknowledged writes that committed included).
	var counts [3]int
	var records [3][]json.RawMessage
	require.Eventually(t, func() bool {
		for i, n := range nodes {
			var err error
			if records[i], err = retrieve(ctx, n, acked); err != nil || len(records[i]) != len(acked) {
				return false
			}
			if counts[i], err = count(ctx, n); err != nil {
				return false
			}
		}
		return counts[0] == counts[1] && counts[1] == counts[2]
	}, 20*time.Second, 100*time.Millisecond, "acknowledged points missing on a node, or counts differ: %v", counts)
	for i := 1; i < 3; i++ {
		require.Equal(t, records[0], records[i], "node %s holds other vectors or payloads than node %s", nodes[i].id, nodes[0].id)
	}

	// A search answers the same ids on every node.
	var first []uint64
	for i, n := range nodes {
		ids, err := search(ctx, n, vectorOf(424242))
		require.NoError(t, err, "node %s", n.id)
		require.Len(t, ids, 10)
		if i == 0 {
			first = ids
			continue
		}
		require.Equal(t, first, ids, "node %s answers unlike node %s", n.id, nodes[0].id)
	}
	// A majority read through a node that was dead sees the same.
	code, raw, err = call(ctx, "POST", nodes[lead].url()+"/collections/c/points/count?consistency=majority", map[string]any{})
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, code, "count takes no consistency: %s", raw)
	ids, err := searchWith(ctx, nodes[lead], vectorOf(424242), "?consistency=majority")
	require.NoError(t, err)
	require.Equal(t, first, ids)
}

// retrieve reads ids, with vectors and payloads, on n alone
// (consistency 1: its own replica), in the order of ids, 5,000 a request
// (the API takes 10,000 at most).
func retrieve(ctx context.Context, n *node, ids []uint64) ([]json.RawMessage, error) {
	var all []json.RawMessage
	for part := range slices.Chunk(ids, 5000) {
		code, raw, err := call(ctx, "POST", n.url()+"/collections/c/points?consistency=1", map[string]any{"ids": part, "with_vector": true, "with_payload": true})
		if err != nil || code != http.StatusOK {
			return nil, errors.Join(err, fmt.Errorf("retrieve on %s: %d %s", n.id, code, raw))
		}
		var out struct {
			Result []json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Result...)
	}
	return all, nil
}

func count(ctx context.Context, n *node) (int, error) {
	code, raw, err := call(ctx, "POST", n.url()+"/collections/c/points/count", map[string]any{"exact": true})
	if err != nil || code != http.StatusOK {
		return 0, errors.Join(err, fmt.Errorf("count on %s: %d %s", n.id, code, raw))
	}
	var out struct {
		Result struct {
			Count int `json:"count"`
		} `json:"result"`
	}
	return out.Result.Count, json.Unmarshal(raw, &out)
}

func search(ctx context.Context, n *node, vector []float32) ([]uint64, error) {
	return searchWith(ctx, n, vector, "")
}

// searchWith runs an exact search (so replicas' HNSW graphs, whose random
// levels differ, cannot differ in the answer) and returns the ids.
func searchWith(ctx context.Context, n *node, vector []float32, params string) ([]uint64, error) {
	code, raw, err := call(ctx, "POST", n.url()+"/collections/c/points/search"+params,
		map[string]any{"vector": vector, "limit": 10, "params": map[string]any{"exact": true}})
	if err != nil || code != http.StatusOK {
		return nil, errors.Join(err, fmt.Errorf("search on %s: %d %s", n.id, code, raw))
	}
	ids, err := jsonhttp.SearchIDs(raw)
	return slices.Clip(ids), err
}

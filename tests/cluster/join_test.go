package cluster

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestJoinByFlagAndRemoveTheLeader: a fourth `quiver serve --join`
// process joins a running cluster and is ready only with every point;
// it survives a restart, takes the leadership (the others forward to it
// by the URL the log recorded), and removed while it leads, it refuses
// writes as the others go on.
func TestJoinByFlagAndRemoveTheLeader(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	nodes := startCluster(t, 3)
	leader(t, nodes, []int{0, 1, 2})
	mustOK := func(method, url string, body any) {
		t.Helper()
		require.Eventually(t, func() bool {
			code, _, err := call(ctx, method, url, body)
			return err == nil && code == http.StatusOK
		}, 20*time.Second, 20*time.Millisecond, "%s %s", method, url)
	}
	mustOK("PUT", nodes[0].url()+"/collections/c", map[string]any{"vectors": map[string]any{"size": 4, "distance": "Cosine"}})
	w := &writer{nodes: nodes}
	for b := range uint64(10) {
		require.NoError(t, w.upsert(ctx, "c", []uint64{3*b + 1, 3*b + 2, 3*b + 3}))
	}

	addrs := freeAddrs(t, 2)
	n4 := &node{id: "4", addr: addrs[0], dir: t.TempDir()}
	n4.args = []string{"serve", "--addr", n4.addr, "--data", n4.dir, "--model", "", "--node-id", "4",
		"--raft-addr", addrs[1], "--url", n4.url(), "--join", nodes[1].url()}
	n4.start(t)
	t.Cleanup(func() {
		n4.kill()
		if t.Failed() {
			t.Logf("node 4 log:\n%s", n4.log)
		}
	})
	n4.waitReady(t)
	got, err := count(ctx, n4)
	require.NoError(t, err)
	require.Equal(t, 30, got, "ready, so caught up")
	code, raw, err := call(ctx, "GET", nodes[0].url()+"/cluster", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(raw), `"4":{"uri":"`+n4.url()+`"}`)

	n4.kill()
	n4.start(t) // the same flags: a voter already, it does not join again
	n4.waitReady(t)
	require.Contains(t, n4.log.String(), "this node is a voter")

	mustOK("POST", nodes[2].url()+"/cluster/leader/transfer", map[string]any{"to": 4})
	all := append(append([]*node{}, nodes...), n4)
	require.Equal(t, 3, leader(t, all, []int{0, 1, 2, 3}), "node 4 leads")
	require.NoError(t, w.upsert(ctx, "c", []uint64{100}), "forwarded to node 4")

	mustOK("DELETE", nodes[0].url()+"/cluster/peer/4", nil)
	leader(t, nodes, []int{0, 1, 2})
	require.NoError(t, w.upsert(ctx, "c", []uint64{101}))
	require.Eventually(t, func() bool {
		code, raw, err := call(ctx, "PUT", n4.url()+"/collections/c/points", map[string]any{"points": []any{map[string]any{"id": 200, "vector": vectorOf(200)}}})
		return err == nil && code == http.StatusServiceUnavailable && strings.Contains(string(raw), "not a voter")
	}, 10*time.Second, 20*time.Millisecond, "removed node 4 takes writes")
	for _, n := range nodes {
		require.Eventually(t, func() bool { got, err := count(ctx, n); return err == nil && got == 32 }, 10*time.Second, 20*time.Millisecond, "node %s", n.id)
	}
	code, raw, err = call(ctx, "GET", nodes[1].url()+"/cluster", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	require.NotContains(t, string(raw), `"4":`, "node 4 left the configuration")
}

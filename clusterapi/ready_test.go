package clusterapi

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
)

// TestReadyAfterRestart: a restarted node answers /readyz 503 while it
// cannot know it has caught up (no leader: its peers are down), and its
// first 200 comes only once it holds every acknowledged write.
func TestReadyAfterRestart(t *testing.T) {
	peers, lns := reservePeers(t, 3)
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	start := func(i int, ln net.Listener) *httpNode {
		if ln == nil {
			var err error
			ln, err = net.Listen("tcp", strings.TrimPrefix(peers[i].URL, "http://"))
			require.NoError(t, err)
		}
		return serveReplica(t, ln, Config{NodeID: peers[i].ID, Peers: peers, Dir: dirs[i]})
	}
	stop := func(n *httpNode) {
		require.NoError(t, n.srv.Close())
		require.NoError(t, n.rep.Close())
	}
	nodes := []*httpNode{start(0, lns[0]), start(1, lns[1]), start(2, lns[2])}
	leaderOf(t, nodes)
	for _, n := range nodes {
		waitReady(t, n) // knows the leader, to forward to
	}
	mustCall(t, "PUT", nodes[0].url+"/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	const batches = 100
	for b := range batches {
		mustCall(t, "PUT", nodes[b%3].url+"/collections/c/points", fmt.Sprintf(`{"points":[{"id":%d,"vector":[1,%d]}]}`, b, b))
	}

	for _, n := range nodes {
		stop(n)
	}
	n1 := start(0, nil)
	for range 5 {
		code, _, raw := call(t, "GET", n1.url+"/readyz", "")
		require.Equal(t, http.StatusServiceUnavailable, code, raw)
		require.Contains(t, raw, "no leader known")
		time.Sleep(50 * time.Millisecond) // readiness must hold, not just start, at 503
	}
	n2 := start(1, nil)
	// Poll n1 as fast as it answers: its first 200 must find every point.
	for deadline := time.Now().Add(20 * time.Second); ; {
		require.True(t, time.Now().Before(deadline), "node 1 never ready")
		if code, _, _ := call(t, "GET", n1.url+"/readyz", ""); code == http.StatusOK {
			break
		}
	}
	require.Equal(t, batches, pointCount(t, n1, "c"), "ready before caught up")
	waitReady(t, n2)
	require.Equal(t, batches, pointCount(t, n2, "c"))
}

// TestLastVoterStays: the last voter cannot be removed.
func TestLastVoterStays(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := Open(ctx, Config{NodeID: "1", Peers: []Peer{{"1", freeAddr(t), "http://127.0.0.1:1"}}, Dir: t.TempDir(), Logger: quietLogger()})
	require.NoError(t, err)
	defer rep.Close()
	require.Eventually(t, func() bool { self, _ := rep.Leader(); return self }, 10*time.Second, 10*time.Millisecond)
	require.ErrorIs(t, rep.RemovePeer(ctx, "1", true), index.ErrBadRequest)
	require.ErrorIs(t, rep.RemovePeer(ctx, "2", false), index.ErrNotFound)
	require.NoError(t, rep.Ready(ctx), "a lone leader is ready after its barrier")
	require.NoError(t, rep.Member())
}

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

	"github.com/quiver-db/quiver/httpapi"
)

// serveSharding is serveReplica with the internal routes in front of the
// API, as quiver serve mounts them, so the nodes' shards reach each other.
func serveSharding(t *testing.T, ln net.Listener, cfg Config) *httpNode {
	t.Helper()
	cfg.APIKey, cfg.Logger = testKey, quietLogger()
	rep, err := Open(context.Background(), cfg)
	require.NoError(t, err)
	h, err := httpapi.NewHandler(httpapi.Config{DB: rep.DB(), Replica: rep, Trainer: rep.Trainer(), APIKey: testKey, Logger: quietLogger()})
	require.NoError(t, err)
	n := &httpNode{id: cfg.NodeID, url: "http://" + ln.Addr().String(), rep: rep, srv: &http.Server{Handler: rep.Internal(h)}}
	go n.srv.Serve(ln)
	return n
}

// TestReadyWaitsForTheShards: a node restarted after its shards' groups
// went on without it answers /readyz 200 only once every shard replica
// it keeps holds every acknowledged write, not when group 0 alone has
// caught up (group 0 saw no write meanwhile).
func TestReadyWaitsForTheShards(t *testing.T) {
	peers, lns := reservePeers(t, 3)
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	nodes := make([]*httpNode, 3)
	for i := range nodes {
		nodes[i] = serveSharding(t, lns[i], Config{NodeID: peers[i].ID, Peers: peers, Dir: dirs[i]})
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.srv.Close()
			n.rep.Close()
		}
	})
	lead := leaderOf(t, nodes)
	mustCall(t, "PUT", lead.url+"/collections/s", `{"vectors":{"size":2,"distance":"Dot"},"shard_number":3,"replication_factor":3}`)
	for _, n := range nodes {
		waitReady(t, n)
	}
	// Stop a node that is not group 0's leader; write through the others.
	down := 0
	if nodes[0] == lead {
		down = 1
	}
	require.NoError(t, nodes[down].srv.Close())
	require.NoError(t, nodes[down].rep.Close())
	const batches, per = 40, 10
	up := []*httpNode{}
	for i, n := range nodes {
		if i != down {
			up = append(up, n)
		}
	}
	for b := range batches {
		var pts []string
		for j := range per {
			id := b*per + j + 1
			pts = append(pts, fmt.Sprintf(`{"id":%d,"vector":[1,%d]}`, id, id))
		}
		require.Eventually(t, func() bool {
			code, _, _ := call(t, "PUT", up[b%2].url+"/collections/s/points", `{"points":[`+strings.Join(pts, ",")+`]}`)
			return code == http.StatusOK
		}, 20*time.Second, 20*time.Millisecond)
	}

	ln, err := net.Listen("tcp", strings.TrimPrefix(peers[down].URL, "http://"))
	require.NoError(t, err)
	nodes[down] = serveSharding(t, ln, Config{NodeID: peers[down].ID, Peers: peers, Dir: dirs[down]})
	// Poll as fast as it answers: its first 200 must find every point in
	// its own replicas.
	for deadline := time.Now().Add(30 * time.Second); ; {
		require.True(t, time.Now().Before(deadline), "never ready")
		if code, _, _ := call(t, "GET", nodes[down].url+"/readyz", ""); code == http.StatusOK {
			break
		}
	}
	rep := nodes[down].rep
	p, ok := rep.node.Placement("s")
	require.True(t, ok)
	total := 0
	for s := range p.Shards() {
		g, ok := rep.host.Group("s", p, s)
		require.True(t, ok, "shard %d open", s)
		c, err := g.DB().Collection("s")
		require.NoError(t, err)
		n, err := c.Count(context.Background(), nil)
		require.NoError(t, err)
		total += n
	}
	require.Equal(t, batches*per, total, "ready before its shards caught up")
}

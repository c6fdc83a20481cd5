package clusterapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
)

const testKey = "k3y"

// httpNode is a cluster node behind its API on a loopback port.
type httpNode struct {
	id  string
	url string
	rep *Replica
	srv *http.Server
	cfg Config // as serveReplica was given it, to restart the node
}

// reserve returns a listener and its URL, so a node's URL is known
// before it starts.
func reserve(t *testing.T) (net.Listener, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln, "http://" + ln.Addr().String()
}

// startHTTPNodes starts a cluster of n nodes behind their APIs and
// waits for each to be ready.
func startHTTPNodes(t *testing.T, n int) ([]Peer, []*httpNode) {
	peers, lns := reservePeers(t, n)
	var nodes []*httpNode
	for i, p := range peers {
		nodes = append(nodes, serveReplica(t, lns[i], Config{NodeID: p.ID, Peers: peers, Dir: t.TempDir()}))
	}
	leaderOf(t, nodes)
	for _, n := range nodes {
		waitReady(t, n)
	}
	return peers, nodes
}

// restart closes the node and serves it again on the same address and
// data directory.
func restart(t *testing.T, n *httpNode) *httpNode {
	t.Helper()
	require.NoError(t, n.srv.Close())
	require.NoError(t, n.rep.Close())
	ln, err := net.Listen("tcp", strings.TrimPrefix(n.url, "http://"))
	require.NoError(t, err)
	return serveReplica(t, ln, n.cfg)
}

// reservePeers reserves the addresses of n nodes "1".."n".
func reservePeers(t *testing.T, n int) ([]Peer, []net.Listener) {
	var peers []Peer
	var lns []net.Listener
	for i := 1; i <= n; i++ {
		ln, url := reserve(t)
		lns = append(lns, ln)
		peers = append(peers, Peer{ID: fmt.Sprint(i), RaftAddr: freeAddr(t), URL: url})
	}
	return peers, lns
}

func serveReplica(t *testing.T, ln net.Listener, cfg Config) *httpNode {
	t.Helper()
	cfg.APIKey, cfg.Logger = testKey, quietLogger()
	rep, err := Open(context.Background(), cfg)
	require.NoError(t, err)
	h, err := httpapi.NewHandler(httpapi.Config{DB: rep.DB(), Replica: rep, Trainer: rep.Trainer(), APIKey: testKey, Logger: quietLogger()})
	require.NoError(t, err)
	n := &httpNode{id: cfg.NodeID, url: "http://" + ln.Addr().String(), rep: rep, srv: &http.Server{Handler: rep.Internal(h)}, cfg: cfg}
	go n.srv.Serve(ln)
	t.Cleanup(func() {
		n.srv.Close()
		n.rep.Close()
	})
	return n
}

// call sends a request with the api-key and decodes the answer's result.
func call(t *testing.T, method, url, body string) (int, any, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("api-key", testKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out struct {
		Result any `json:"result"`
		Status any `json:"status"`
	}
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out.Result, string(raw)
}

func mustCall(t *testing.T, method, url, body string) any {
	t.Helper()
	code, result, raw := call(t, method, url, body)
	require.Equal(t, http.StatusOK, code, "%s %s: %s", method, url, raw)
	return result
}

func pointCount(t *testing.T, n *httpNode, col string) int {
	c, err := n.rep.DB().Collection(col)
	if err != nil {
		return -1
	}
	k, err := c.Count(context.Background(), nil)
	require.NoError(t, err)
	return k
}

func leaderOf(t *testing.T, nodes []*httpNode) *httpNode {
	t.Helper()
	var lead *httpNode
	require.Eventually(t, func() bool {
		for _, n := range nodes {
			if self, _ := n.rep.Leader(); self {
				lead = n
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)
	return lead
}

// TestJoinRemoveAndTransferOverHTTP: a 4th node joins a running 3-node
// cluster by POST /cluster/peer, a 5th by --join; they catch up (points,
// aliases, a trained model); leadership moves to a joined node, whose
// URL the others learned from the log; removed nodes refuse writes.
func TestJoinRemoveAndTransferOverHTTP(t *testing.T) {
	peers, nodes := startHTTPNodes(t, 3)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	mustCall(t, "PUT", n2.url+"/collections/m", `{"vectors":{"content":{"size":4,"distance":"Cosine"},"cf":{"size":8,"distance":"Dot"}}}`)
	var pts, its []string
	for i := range 40 {
		pts = append(pts, fmt.Sprintf(`{"id":%d,"vector":{"content":[%d,%d,0.1,0.2]}}`, i, 1-i%2, i%2))
	}
	for u := range 30 {
		for k := range 4 {
			its = append(its, fmt.Sprintf(`{"user":%d,"item":%d,"timestamp":%d}`, u, (u*3+k*2)%36/2*2+u%2, 1000+k))
		}
	}
	mustCall(t, "PUT", n3.url+"/collections/m/points", `{"points":[`+strings.Join(pts, ",")+`]}`)
	mustCall(t, "PUT", n1.url+"/collections/m/interactions", `{"interactions":[`+strings.Join(its, ",")+`]}`)
	mustCall(t, "POST", n3.url+"/collections/aliases", `{"actions":[{"create_alias":{"collection_name":"m","alias_name":"movies"}}]}`)
	code, _, raw := call(t, "POST", n2.url+"/collections/aliases", `{"actions":[{"delete_alias":{"alias_name":"nope"}}]}`)
	require.Equal(t, 404, code, raw)
	mustCall(t, "POST", n2.url+"/collections/movies/train", `{"iterations":3,"seed":1}`)
	require.Eventually(t, func() bool {
		job := mustCall(t, "GET", n3.url+"/collections/m/train?consistency=majority", "").(map[string]any)
		return job["state"] == "done"
	}, 20*time.Second, 20*time.Millisecond, "the leader's job, read through a follower")
	mustCall(t, "DELETE", n1.url+"/collections/movies/users/5", "")

	// Node 4 starts without peers: not a voter, it refuses writes and is
	// not ready. Adding it through a follower reaches the leader.
	ln4, url4 := reserve(t)
	raft4 := freeAddr(t)
	n4 := serveReplica(t, ln4, Config{NodeID: "4", RaftAddr: raft4, Dir: t.TempDir()})
	code, _, raw = call(t, "GET", n4.url+"/readyz", "")
	require.Equal(t, 503, code, raw)
	require.Contains(t, raw, "not a voter")
	code, _, raw = call(t, "PUT", n4.url+"/collections/m/points", `{"points":[{"id":1,"vector":{"content":[1,0,0,0]}}]}`)
	require.Equal(t, 503, code, raw)
	follower := n1
	if self, _ := n1.rep.Leader(); self {
		follower = n2
	}
	code, _, raw = call(t, "POST", follower.url+"/cluster/peer", `{"id":"4","raft_addr":"`+peers[0].RaftAddr+`","url":"`+url4+`"}`)
	require.Equal(t, 409, code, "node 1's raft address: %s", raw)
	mustCall(t, "POST", follower.url+"/cluster/peer", `{"id":"4","raft_addr":"`+raft4+`","url":"`+url4+`"}`)
	mustCall(t, "POST", follower.url+"/cluster/peer", `{"id":"4","raft_addr":"`+raft4+`","url":"`+url4+`"}`) // again: no change

	// Node 5 joins by itself, through node 3.
	ln5, url5 := reserve(t)
	n5 := serveReplica(t, ln5, Config{NodeID: "5", RaftAddr: freeAddr(t), URL: url5, Join: n3.url, Dir: t.TempDir()})
	nodes = append(nodes, n4, n5)
	lead := leaderOf(t, nodes)
	model := func(n *httpNode) []byte {
		c, err := n.rep.DB().Collection("m")
		if err != nil {
			return nil
		}
		b, _ := c.LoadModel(context.Background())
		return b
	}
	for _, n := range []*httpNode{n4, n5} {
		waitReady(t, n)
		require.Equal(t, 40, pointCount(t, n, "m"), "node %s was ready before it caught up", n.id)
		aliases, err := n.rep.DB().Aliases("")
		require.NoError(t, err)
		require.Equal(t, []index.Alias{{Name: "movies", Collection: "m"}}, aliases, n.id)
		require.NotEmpty(t, model(n), n.id)
		require.Equal(t, model(lead), model(n), "node %s: the leader's model, without user 5", n.id)
	}
	status := mustCall(t, "GET", n1.url+"/cluster", "").(map[string]any)
	require.Equal(t, map[string]any{"uri": url4}, status["peers"].(map[string]any)["4"])
	require.Equal(t, map[string]any{"uri": url5}, status["peers"].(map[string]any)["5"])
	require.Len(t, status["peers"], 5)

	// Leadership to node 5; node 1 forwards to it by its replicated URL.
	mustCall(t, "POST", n2.url+"/cluster/leader/transfer", `{"to":5}`)
	require.Eventually(t, func() bool { self, _ := n5.rep.Leader(); return self }, 10*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { _, url := n1.rep.Leader(); return url == url5 }, 10*time.Second, 10*time.Millisecond)
	mustCall(t, "PUT", n1.url+"/collections/m/points", `{"points":[{"id":100,"vector":{"content":[1,0,0,0]}}]}`)

	// Remove node 3 by its peer id and node 4 by its node id, through
	// other nodes; they refuse writes from then on.
	code, _, raw = call(t, "DELETE", n1.url+"/cluster/peer/77", "")
	require.Equal(t, 404, code, raw)
	mustCall(t, "DELETE", n1.url+"/cluster/peer/3?force=true", "")
	mustCall(t, "DELETE", n5.url+"/cluster/peer/4", "")
	for _, gone := range []*httpNode{n3, n4} {
		require.Eventually(t, func() bool {
			code, _, _ := call(t, "PUT", gone.url+"/collections/m/points", `{"points":[{"id":200,"vector":{"content":[1,0,0,0]}}]}`)
			return code == 503
		}, 10*time.Second, 20*time.Millisecond, "node %s still takes writes", gone.id)
		_, _, raw := call(t, "PUT", gone.url+"/collections/m/points", `{"points":[{"id":200,"vector":{"content":[1,0,0,0]}}]}`)
		require.Contains(t, raw, "not a voter", gone.id)
		code, _, raw = call(t, "GET", gone.url+"/readyz", "")
		require.Equal(t, 503, code, "a removed node is not ready: %s", raw)
	}
	status = mustCall(t, "GET", n5.url+"/cluster", "").(map[string]any)
	require.Len(t, status["peers"], 3)
	mustCall(t, "PUT", n2.url+"/collections/m/points", `{"points":[{"id":101,"vector":{"content":[1,0,0,0]}}]}`)
	for _, n := range []*httpNode{n1, n2, n5} {
		require.Eventually(t, func() bool { return pointCount(t, n, "m") == 42 }, 10*time.Second, 10*time.Millisecond, n.id)
	}
	require.Less(t, pointCount(t, n3, "m"), 42, "removed, node 3 does not get point 101")
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
}

// waitReady polls the node's /readyz until it answers 200.
func waitReady(t *testing.T, n *httpNode) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		code, _, raw := call(t, "GET", n.url+"/readyz", "")
		if code == http.StatusOK {
			return
		}
		last = raw
	}
	t.Fatalf("node %s never ready: %s", n.id, last)
}

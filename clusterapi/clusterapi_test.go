package clusterapi

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

func TestParsePeers(t *testing.T) {
	peers, err := ParsePeers("1=127.0.0.1:7001=http://127.0.0.1:6333/, b=h:7002=https://h:6334")
	require.NoError(t, err)
	require.Equal(t, []Peer{{"1", "127.0.0.1:7001", "http://127.0.0.1:6333"}, {"b", "h:7002", "https://h:6334"}}, peers)

	_, err = ParsePeers("1=h:1=http://a:1,1=h:2=http://y:2,2=nohost=http://x:1,3=h:1=ftp://x,=h:3=http://z:3,4=h:4")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "peers[0]")
	for _, want := range []string{"peers[1]", "twice", "peers[2]", "raft address", "peers[3]", "url", "peers[4]", "empty id", "peers[5]", "want ID=RAFTADDR=URL"} {
		require.Contains(t, err.Error(), want)
	}
	require.Equal(t, uint64(42), peerID("42"))
	require.NotEqual(t, peerID("a"), peerID("b"))
}

// handedOut are the addresses freeAddr returned: a port closed can be
// the next one the kernel hands out, and two nodes of a test must not
// get the same.
var handedOut sync.Map

func freeAddr(t testing.TB) string {
	t.Helper()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		if _, taken := handedOut.LoadOrStore(addr, true); !taken {
			return addr
		}
	}
}

// TestSingleVoterReplica runs a cluster of one node behind the API:
// writes go through Raft, GET /cluster answers in Qdrant's shape.
func TestSingleVoterReplica(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addr := freeAddr(t)
	_, err := Open(ctx, Config{NodeID: "7", Peers: []Peer{{"1", addr, "http://x:1"}}, Dir: t.TempDir()})
	require.ErrorContains(t, err, `"7" is not in the peers`)
	_, err = Open(ctx, Config{NodeID: "1", RaftAddr: "127.0.0.1:1", Peers: []Peer{{"1", addr, "http://x:1"}}, Dir: t.TempDir()})
	require.ErrorContains(t, err, "differs")

	rep, err := Open(ctx, Config{NodeID: "1", Peers: []Peer{{"1", addr, "http://127.0.0.1:1"}}, Dir: t.TempDir()})
	require.NoError(t, err)
	defer func() { require.NoError(t, rep.Close()) }()
	require.Eventually(t, func() bool { self, _ := rep.Leader(); return self }, 10*time.Second, 10*time.Millisecond)

	h, err := httpapi.NewHandler(httpapi.Config{DB: rep.DB(), Replica: rep})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	do := func(method, path, body string) (int, map[string]any) {
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	code, _ := do("PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	require.Equal(t, 200, code)
	code, _ = do("PUT", "/collections/c/points", `{"points":[{"id":1,"vector":[1,0]},{"id":2,"vector":[0,1]}]}`)
	require.Equal(t, 200, code)
	code, body := do("PUT", "/collections/c/points", `{"points":[{"id":1,"vector":[1]}]}`)
	require.Equal(t, 400, code, "the leader's check refuses it before proposing")
	require.Contains(t, body["status"].(map[string]any)["error"], "size 1")
	code, _ = do("POST", "/collections/c/points/delete?consistency=majority", `{"points":[2]}`)
	require.Equal(t, 400, code, "consistency is a read's parameter")
	c, err := rep.DB().Collection("c")
	require.NoError(t, err)
	recs, err := c.Get(ctx, []pointid.ID{pointid.FromNum(1), pointid.FromNum(2)}, index.ReadOptions{})
	require.NoError(t, err)
	require.Len(t, recs, 2, "the writes reached the DB through the FSM")

	code, body = do("GET", "/cluster", "")
	require.Equal(t, 200, code)
	st := body["result"].(map[string]any)
	require.Equal(t, "enabled", st["status"])
	require.Equal(t, float64(1), st["peer_id"])
	require.Equal(t, map[string]any{"1": map[string]any{"uri": "http://127.0.0.1:1"}}, st["peers"])
	raft := st["raft_info"].(map[string]any)
	require.Equal(t, "Leader", raft["role"])
	require.Equal(t, float64(1), raft["leader"])
	require.Equal(t, true, raft["is_voter"])
	require.GreaterOrEqual(t, raft["commit"], float64(3))
	require.GreaterOrEqual(t, raft["term"], float64(1))

	require.NoError(t, rep.Drop(ctx, "c"))
	require.ErrorIs(t, rep.Drop(ctx, "c"), index.ErrNotFound)

	// A node that is not the leader (here: stopped) proposes nothing and
	// says to retry: the API's 503.
	require.NoError(t, rep.Close())
	err = rep.Create(ctx, "d", index.Config{VectorSize: 2, Distance: index.Dot})
	require.ErrorIs(t, err, httpapi.ErrUnavailable)
	require.ErrorIs(t, err, cluster.ErrNotLeader)
	require.ErrorIs(t, rep.Barrier(ctx), httpapi.ErrUnavailable)
	self, url := rep.Leader()
	require.False(t, self)
	require.Empty(t, url)
}

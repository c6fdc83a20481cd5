package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// memberReplica is a fakeReplica with membership: it records the calls.
type memberReplica struct{ *fakeReplica }

func (m memberReplica) AddPeer(_ context.Context, p PeerRequest) error {
	m.record(fmt.Sprintf("add %s %s %s", p.ID, p.RaftAddr, p.URL), nil)
	return nil
}

func (m memberReplica) RemovePeer(_ context.Context, peer string, force bool) error {
	m.record(fmt.Sprintf("remove %s %v", peer, force), nil)
	return nil
}

func (m memberReplica) TransferLeadership(_ context.Context, to string) error {
	m.record("transfer "+to, nil)
	return nil
}

func TestMembershipRoutes(t *testing.T) {
	single := newTestServer(t, t.TempDir(), nil)
	plain, _ := newReplicaServer(t, true, "")
	for ts, code := range map[*testServer]int{single: http.StatusBadRequest, plain: http.StatusNotImplemented} {
		ts.fails(code, "POST", "/cluster/peer", map[string]any{"id": "4"}, "membership")
		ts.fails(code, "DELETE", "/cluster/peer/4", nil, "membership")
		ts.fails(code, "POST", "/cluster/leader/transfer", nil, "membership")
	}

	rep := &fakeReplica{recordingWriter: &recordingWriter{}, self: true}
	ts, _ := newWriterServer(t, func(c *Config) {
		rep.db = c.Writer.(*recordingWriter).db
		c.Writer, c.Replica = nil, memberReplica{rep}
	})
	for _, c := range []struct {
		method, path string
		body         any
		want         string
	}{
		{"POST", "/cluster/peer", map[string]any{"id": "4", "raft_addr": "h:7", "url": "http://h:6"}, "add 4 h:7 http://h:6"},
		{"DELETE", "/cluster/peer/12", nil, "remove 12 false"},
		{"DELETE", "/cluster/peer/n3?force=true", nil, "remove n3 true"},
		{"POST", "/cluster/leader/transfer", nil, "transfer "},
		{"POST", "/cluster/leader/transfer", map[string]any{"to": 5}, "transfer 5"},
		{"POST", "/cluster/leader/transfer", map[string]any{"to": "n2"}, "transfer n2"},
	} {
		ts.ok(c.method, c.path, c.body, nil)
		call, _ := rep.last()
		require.Equal(t, c.want, call)
	}
	ts.fails(http.StatusBadRequest, "DELETE", "/cluster/peer/1?force=maybe", nil, "force")
	ts.fails(http.StatusBadRequest, "POST", "/cluster/leader/transfer", map[string]any{"to": []int{1}}, "to")
	ts.fails(http.StatusBadRequest, "POST", "/cluster/peer", map[string]any{"id": "4", "addr": "x"}, "addr")
}

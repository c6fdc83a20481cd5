package cluster

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"
)

// TestSingleNodeTCP runs the default transport: a one-voter cluster on
// loopback, closed and reopened from its directory.
func TestSingleNodeTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	cfg := testConfig()
	cfg.NodeID, cfg.RaftAddr, cfg.Dir = "solo", addr, t.TempDir()
	cfg.Peers = []Peer{{ID: "solo", Addr: addr}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for round := range 2 {
		n, err := Open(ctx, cfg)
		require.NoError(t, err)
		require.Eventually(t, n.IsLeader, 5*time.Second, 10*time.Millisecond)
		if round == 0 {
			require.NoError(t, n.Apply(ctx, createCmd("c")))
		}
		require.NoError(t, n.Apply(ctx, upsertCmd("c", uint64(round))))
		require.NoError(t, n.Barrier(ctx))
		require.Equal(t, round+1, count(t, n, "c"))
		id, leaderAddr := n.Leader()
		require.Equal(t, [2]string{"solo", addr}, [2]string{id, leaderAddr})
		require.NoError(t, n.Close())
		require.NoError(t, n.Close())
	}
}

func TestConfigValidate(t *testing.T) {
	err := (&Config{Peers: []Peer{{ID: "a", Addr: "x"}, {ID: "a"}}}).Validate()
	for _, want := range []string{"node id", "dir", "raft address", `peer "a" at ""`, "do not include"} {
		require.ErrorContains(t, err, want)
	}
	require.NoError(t, (&Config{NodeID: "a", Dir: "d", RaftAddr: "x"}).Validate())
}

func TestHclogToSlog(t *testing.T) {
	var buf bytes.Buffer
	hl := newHclogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	hl.Named("raft").Named("fsm").With("k", 1).Warn("elected", "term", 2)
	hl.Debug("hidden")
	hl.StandardLogger(nil).Print("from log")
	out := buf.String()
	for _, want := range []string{"level=WARN", "msg=elected", "logger=raft.fsm", "k=1", "term=2", "from log"} {
		require.Contains(t, out, want)
	}
	require.NotContains(t, out, "hidden")
	require.Equal(t, hclog.Info, hl.GetLevel())
	require.False(t, hl.IsDebug())
	require.True(t, hl.IsWarn())
}

package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

func TestMuxRoutesByGroup(t *testing.T) {
	m, err := ListenMux("127.0.0.1:0", quietLogger())
	require.NoError(t, err)
	defer m.Close()
	addr := raft.ServerAddress(m.Addr().String())
	a, err := m.Layer("a")
	require.NoError(t, err)
	b, err := m.Layer("b")
	require.NoError(t, err)
	_, err = m.Layer("a")
	require.ErrorContains(t, err, "twice")
	_, err = m.Layer(string(make([]byte, MaxGroupName+1)))
	require.ErrorContains(t, err, "bytes")

	// Each layer gets the connections dialled to it, with the bytes sent.
	for _, l := range []raft.StreamLayer{a, b, a} {
		conn, err := l.Dial(addr, time.Second)
		require.NoError(t, err)
		_, err = conn.Write([]byte("hi"))
		require.NoError(t, err)
		got, err := l.Accept()
		require.NoError(t, err)
		buf := make([]byte, 2)
		_, err = io.ReadFull(got, buf)
		require.NoError(t, err)
		require.Equal(t, "hi", string(buf))
		conn.Close()
		got.Close()
	}

	// Unknown groups and bad headers are closed by the acceptor.
	other, err := ListenMux("127.0.0.1:0", quietLogger())
	require.NoError(t, err)
	c, err := other.Layer("nope")
	require.NoError(t, err)
	require.NoError(t, other.Close())
	for _, dial := range []func() (net.Conn, error){
		func() (net.Conn, error) { return c.Dial(addr, time.Second) },
		func() (net.Conn, error) {
			conn, err := net.Dial("tcp", string(addr))
			if err == nil {
				_, err = conn.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
			}
			return conn, err
		},
	} {
		conn, err := dial()
		require.NoError(t, err)
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		require.Error(t, err)
		var ne net.Error
		require.False(t, errors.As(err, &ne) && ne.Timeout(), "closed by the mux (EOF or reset), not timed out: %v", err)
		conn.Close()
	}

	// A closed layer accepts nothing and frees its name.
	require.NoError(t, a.Close())
	_, err = a.Accept()
	require.ErrorIs(t, err, ErrMuxClosed)
	_, err = m.Layer("a")
	require.NoError(t, err)
}

// TestMuxRaftGroups runs two Raft groups of three nodes each, every node's
// groups sharing one loopback port, and writes to both.
func TestMuxRaftGroups(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	muxes := make([]*Mux, 3)
	var peers []Peer
	for i := range muxes {
		m, err := ListenMux("127.0.0.1:0", quietLogger())
		require.NoError(t, err)
		t.Cleanup(func() { m.Close() })
		muxes[i] = m
		peers = append(peers, Peer{ID: fmt.Sprint(i), Addr: m.Addr().String()})
	}
	groups := map[string][]*Node{}
	for _, g := range []string{"g0", "g1"} {
		for i, m := range muxes {
			tr, err := m.Transport(g, quietLogger())
			require.NoError(t, err)
			cfg := testConfig()
			cfg.NodeID, cfg.RaftAddr, cfg.Dir, cfg.Peers, cfg.Transport, cfg.OwnTransport = peers[i].ID, peers[i].Addr, t.TempDir(), peers, tr, true
			n, err := Open(ctx, cfg)
			require.NoError(t, err)
			t.Cleanup(func() { n.Close() })
			groups[g] = append(groups[g], n)
		}
	}
	for g, nodes := range groups {
		lead := waitLeader(t, nodes)
		require.NoError(t, lead.Apply(ctx, createCmd(g)))
		require.NoError(t, lead.Apply(ctx, upsertCmd(g, 1, 2, 3)))
		for _, n := range nodes {
			require.Eventually(t, func() bool {
				c, err := n.DB().Collection(g)
				if err != nil {
					return false
				}
				cnt, err := c.Count(ctx, nil)
				return err == nil && cnt == 3
			}, 10*time.Second, 10*time.Millisecond)
			require.NotContains(t, n.DB().List(), map[string]string{"g0": "g1", "g1": "g0"}[g], "groups stay apart")
		}
	}
}

func waitLeader(t *testing.T, nodes []*Node) *Node {
	t.Helper()
	var lead *Node
	require.Eventually(t, func() bool {
		for _, n := range nodes {
			if n.IsLeader() {
				lead = n
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "no leader")
	return lead
}

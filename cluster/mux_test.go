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
	m, err := ListenMux("127.0.0.1:0", MuxOptions{}, quietLogger())
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
		requireCarries(t, conn, func() net.Conn {
			got, err := l.Accept()
			require.NoError(t, err)
			return got
		})
	}

	// Unknown groups and bad headers are closed by the acceptor.
	other, err := ListenMux("127.0.0.1:0", MuxOptions{}, quietLogger())
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
		m, err := ListenMux("127.0.0.1:0", MuxOptions{}, quietLogger())
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

// TestMuxAuthenticatesWithTheClusterKey: with a key, a connection reaches
// its group only when both ends hold the same key; a peer with another
// key, with none, or a node without a key dialled by one with a key, is
// refused before the group sees a byte.
func TestMuxAuthenticatesWithTheClusterKey(t *testing.T) {
	listen := func(key string) *Mux {
		m, err := ListenMux("127.0.0.1:0", MuxOptions{Key: []byte(key)}, quietLogger())
		require.NoError(t, err)
		t.Cleanup(func() { m.Close() })
		return m
	}
	layer := func(m *Mux, group string) raft.StreamLayer {
		l, err := m.Layer(group)
		require.NoError(t, err)
		return l
	}
	server := listen("s3cret")
	accepted := make(chan net.Conn, 4)
	go func() {
		l := layer(server, "g")
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	addr := raft.ServerAddress(server.Addr().String())

	conn, err := layer(listen("s3cret"), "g").Dial(addr, time.Second)
	require.NoError(t, err, "the same key")
	requireCarries(t, conn, func() net.Conn { return <-accepted })

	_, err = layer(listen("other"), "g").Dial(addr, time.Second)
	require.ErrorIs(t, err, errMuxAuth, "another key")

	conn, err = layer(listen(""), "g").Dial(addr, time.Second)
	require.NoError(t, err, "a node without a key writes its header and sends on")
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	_, err = conn.Read(make([]byte, 1))
	require.Error(t, err)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "closed by the keyed node, not timed out: %v", err)
	conn.Close()

	plain := listen("")
	layer(plain, "g")
	_, err = layer(listen("s3cret"), "g").Dial(raft.ServerAddress(plain.Addr().String()), time.Second)
	require.ErrorIs(t, err, errMuxAuth, "a node without a key is not taken for a peer")

	select {
	case c := <-accepted:
		t.Fatalf("a refused connection reached the group: %v", c.RemoteAddr())
	case <-time.After(100 * time.Millisecond):
	}
}

// requireCarries writes on the dialled conn and checks that the
// connection accept returns reads it; it closes both.
func requireCarries(t *testing.T, conn net.Conn, accept func() net.Conn) {
	t.Helper()
	_, err := conn.Write([]byte("hi"))
	require.NoError(t, err)
	got := accept()
	buf := make([]byte, 2)
	_, err = io.ReadFull(got, buf)
	require.NoError(t, err)
	require.Equal(t, "hi", string(buf))
	conn.Close()
	got.Close()
}

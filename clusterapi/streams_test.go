package clusterapi

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A node's Raft address comes from the bootstrap peers, and, for a node
// they do not name (one that joined), from group 0's configuration.
func TestRaftAddrsFromPeersAndConfiguration(t *testing.T) {
	tn := startNodes(t, 1)
	rep := tn.leader()
	want := tn.peers[0].RaftAddr
	require.Equal(t, want, newRaftAddrs(rep.node, tn.peers).of("1"))
	fromConfig := newRaftAddrs(rep.node, nil)
	require.Equal(t, want, fromConfig.of("1"), "looked up in the configuration")
	require.Empty(t, fromConfig.of("nobody"), "no such member: the caller uses HTTP")
}

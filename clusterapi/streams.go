package clusterapi

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/shard"
)

// The shards' reads between nodes cross the Raft port (cluster.Mux,
// authenticated by the cluster key) in the shard RPC's stream form,
// rather than the HTTP API: a scatter makes a call per remote shard per
// search, and HTTP/1.1's headers, routing and goroutine hand-offs cost
// more than the call's own bytes. Writes, moves and read indexes stay
// on HTTP: they are rarer, and forwarded as the API forwards them.

// streamDialTimeout bounds dialling a peer's Mux and its handshake when
// the call's context allows longer.
const streamDialTimeout = 5 * time.Second

// startStreams serves the shard RPC's stream form on the Mux, with the
// handler the HTTP route uses, and returns the Streams this node's
// Clients call other nodes with; stop closes both.
func startStreams(mux *cluster.Mux, reads *shard.Handler) (streams *shard.Streams, stop func(), err error) {
	layer, err := mux.Layer(shard.StreamGroup)
	if err != nil {
		return nil, nil, fmt.Errorf("cluster: shard streams: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = reads.ServeStream(layer) // ends when the layer closes
	}()
	streams = shard.NewStreams(func(ctx context.Context, addr string) (net.Conn, error) {
		timeout := streamDialTimeout
		if d, ok := ctx.Deadline(); ok {
			timeout = min(timeout, max(time.Until(d), time.Millisecond))
		}
		return layer.Dial(raft.ServerAddress(addr), timeout)
	})
	return streams, func() {
		streams.Close()
		layer.Close()
		<-done
	}, nil
}

// raftAddrs are the nodes' Raft addresses, by id: the bootstrap peers'
// at first, then group 0's configuration, looked up again when a node's
// entry is older than addrTTL (a node removed and added again at
// another address is dialled there within it).
type raftAddrs struct {
	node *cluster.Node
	mu   struct {
		sync.Mutex
		addrs   map[string]string // protected by mu
		fetched time.Time         // of addrs from the configuration; protected by mu
	}
}

const addrTTL = 30 * time.Second

func newRaftAddrs(node *cluster.Node, peers []Peer) *raftAddrs {
	a := &raftAddrs{node: node}
	a.mu.addrs = map[string]string{}
	for _, p := range peers {
		a.mu.addrs[p.ID] = p.RaftAddr
	}
	return a
}

// of returns node id's Raft address, "" when group 0's configuration
// does not name it (the caller uses HTTP then).
func (a *raftAddrs) of(id string) string {
	a.mu.Lock()
	addr := a.mu.addrs[id]
	if time.Since(a.mu.fetched) < addrTTL {
		a.mu.Unlock()
		return addr
	}
	// One lookup a TTL: the others read the old entries meanwhile, and a
	// failed lookup waits its TTL too rather than cost every read.
	a.mu.fetched = time.Now()
	a.mu.Unlock()
	// The configuration is this node's own copy: no round trip.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	members, err := a.node.Members(ctx)
	if err != nil {
		return addr
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range members {
		a.mu.addrs[m.ID] = m.Addr
	}
	return a.mu.addrs[id]
}

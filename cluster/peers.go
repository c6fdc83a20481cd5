package cluster

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/quiver-db/quiver/index"
)

// peerURLs are the nodes' HTTP URLs as SetPeer commands left them. They
// are part of the replicated state (in every snapshot), so a node that
// joined later, or restored a snapshot, knows them all.
type peerURLs struct {
	mu struct {
		sync.RWMutex
		urls map[string]string // node id → URL; protected by mu
	}
}

func (p *peerURLs) set(id, url string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mu.urls == nil {
		p.mu.urls = map[string]string{}
	}
	if url == "" {
		delete(p.mu.urls, id)
		return
	}
	p.mu.urls[id] = url
}

func (p *peerURLs) all() map[string]string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return maps.Clone(p.mu.urls)
}

func (p *peerURLs) replace(urls map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mu.urls = urls
}

// Member is a server of the newest Raft configuration this node knows.
type Member struct {
	ID    string
	Addr  string
	Voter bool
	// URL is the node's HTTP URL from a SetPeer command, "" when none was
	// replicated (a node of the bootstrap list: its URL is in every
	// node's flags).
	URL string
}

// PeerURLs returns the HTTP URLs the SetPeer commands applied here have
// recorded, by node id.
func (n *Node) PeerURLs() map[string]string { return n.fsm.peers.all() }

// Members returns the servers of the newest configuration this node
// knows (committed or not), with their replicated URLs.
func (n *Node) Members(ctx context.Context) ([]Member, error) {
	fut := n.raft.GetConfiguration()
	if err := wait(ctx, fut); err != nil {
		return nil, fmt.Errorf("cluster: configuration: %w", err)
	}
	urls := n.fsm.peers.all()
	var out []Member
	for _, s := range fut.Configuration().Servers {
		id := string(s.ID)
		out = append(out, Member{ID: id, Addr: string(s.Address), Voter: s.Suffrage == raft.Voter, URL: urls[id]})
	}
	return out, nil
}

// TransferLeadershipTo hands leadership to the voter id and returns once
// it has it; on the leader only.
func (n *Node) TransferLeadershipTo(ctx context.Context, id string) error {
	members, err := n.Members(ctx)
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.ID == id && m.Voter {
			if err := wait(ctx, n.raft.LeadershipTransferToServer(raft.ServerID(id), raft.ServerAddress(m.Addr))); err != nil {
				return fmt.Errorf("cluster: leadership transfer to %q: %w", id, n.proposeError(err))
			}
			return nil
		}
	}
	return fmt.Errorf("cluster: leadership transfer: voter %q: %w", id, index.ErrNotFound)
}

// PeerURL returns node id's replicated HTTP URL, "" when none.
func (n *Node) PeerURL(id string) string {
	n.fsm.peers.mu.RLock()
	defer n.fsm.peers.mu.RUnlock()
	return n.fsm.peers.mu.urls[id]
}

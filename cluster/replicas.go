package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/raft"

	"github.com/quiver-db/quiver/index"
)

// TransferKind is what a shard transfer does to the shard's replicas.
type TransferKind string

// Transfer kinds (doc.go, "Moving replicas").
const (
	// TransferMove adds To and then removes From.
	TransferMove TransferKind = "move"
	// TransferReplicate adds To; From, a replica, stays.
	TransferReplicate TransferKind = "replicate"
	// TransferDrop removes From.
	TransferDrop TransferKind = "drop"
)

// Transfer is a change of one shard's replicas in progress, as group 0
// records it between ChangeReplicas Begin and its end.
type Transfer struct {
	Shard int
	Kind  TransferKind
	// From is the replica that leaves (move, drop), or the source named
	// by a replicate (which stays).
	From Peer
	// To is the node that gains a replica (move, replicate).
	To Peer
}

// Replicas returns the shard's replicas once t is done, sorted by id.
func (t Transfer) Replicas(before []Peer) []Peer {
	out := slices.DeleteFunc(slices.Clone(before), func(q Peer) bool { return t.Kind != TransferReplicate && q.ID == t.From.ID })
	if t.Kind != TransferDrop && !slices.ContainsFunc(out, func(q Peer) bool { return q.ID == t.To.ID }) {
		out = append(out, t.To)
	}
	slices.SortFunc(out, func(a, b Peer) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// ChangeReplicas is group 0's command that changes one shard's
// replicas of the incarnation Created of Collection: Begin records a
// transfer; Replicas, set, become the shard's replicas and end its
// transfer; Abort ends the transfer with the replicas unchanged. Exactly
// one of the three is set. The shard group's Raft configuration is
// changed between Begin and the end, by whoever drives the transfer
// (clusterapi), never by the FSM.
type ChangeReplicas struct {
	Collection string
	Created    uint64
	Shard      int
	Begin      *Transfer `json:",omitempty"`
	Replicas   []Peer    `json:",omitempty"`
	Abort      bool      `json:",omitempty"`
}

// kindReplicas is ChangeReplicas's kind in the envelope.
const kindReplicas = "shard_replicas"

// Transfer returns shard s's transfer in progress, if any.
func (p Placement) Transfer(s int) (Transfer, bool) {
	i := slices.IndexFunc(p.Transfers, func(t Transfer) bool { return t.Shard == s })
	if i < 0 {
		return Transfer{}, false
	}
	return p.Transfers[i], true
}

// Keeps reports whether node id runs shard s's group: a replica, or the
// target of a transfer in progress, which catches up before it becomes
// one.
func (p Placement) Keeps(s int, id string) bool {
	if p.Holds(s, id) {
		return true
	}
	t, ok := p.Transfer(s)
	return ok && t.Kind != TransferDrop && t.To.ID == id
}

// Bootstraps reports whether shard s's group still has the replicas it
// was created with: a replica without state bootstraps it then, and
// otherwise waits for the group's leader to add it.
func (p Placement) Bootstraps(s int) bool { return !slices.Contains(p.Changed, s) }

// checkReplicas validates a ChangeReplicas against the placements.
func (f *fsm) checkReplicas(c *ChangeReplicas) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	_, err := f.changedLocked(c)
	return err
}

// changeReplicas applies a ChangeReplicas and tells the observer of the
// new placement.
func (f *fsm) changeReplicas(c *ChangeReplicas) error {
	f.mu.Lock()
	p, err := f.changedLocked(c)
	if err == nil {
		f.mu.placements[c.Collection] = p
	}
	f.mu.Unlock()
	if err == nil && f.observer != nil {
		f.observer.Placed(c.Collection, p)
	}
	return err
}

// changedLocked returns the placement c leaves, or why c is refused;
// the same on every replica (it reads the placements only). f.mu held.
func (f *fsm) changedLocked(c *ChangeReplicas) (Placement, error) {
	p, ok := f.mu.placements[c.Collection]
	if !ok || p.Created != c.Created {
		return p, fmt.Errorf("collection %q (created at %d) is not sharded: %w", c.Collection, c.Created, index.ErrNotFound)
	}
	if c.Shard < 0 || c.Shard >= p.Shards() {
		return p, fmt.Errorf("shard_id %d: collection %q has %d shards: %w", c.Shard, c.Collection, p.Shards(), index.ErrNotFound)
	}
	set := 0
	for _, b := range []bool{c.Begin != nil, c.Replicas != nil, c.Abort} {
		if b {
			set++
		}
	}
	if set != 1 {
		return p, fmt.Errorf("%w: shard_replicas: want one of begin, replicas, abort, got %d", index.ErrBadRequest, set)
	}
	cur, running := p.Transfer(c.Shard)
	out := p
	out.Transfers = slices.DeleteFunc(slices.Clone(p.Transfers), func(t Transfer) bool { return t.Shard == c.Shard })
	if len(out.Transfers) == 0 {
		out.Transfers = nil // as a snapshot restores it
	}
	switch {
	case c.Begin != nil:
		if running {
			return p, fmt.Errorf("shard_id %d: a %s transfer is running already: %w", c.Shard, cur.Kind, index.ErrExists)
		}
		if err := checkTransfer(p, *c.Begin); err != nil {
			return p, err
		}
		out.Transfers = append(out.Transfers, *c.Begin)
	case c.Abort:
		if !running {
			return p, fmt.Errorf("shard_id %d: no transfer running: %w", c.Shard, index.ErrNotFound)
		}
	default:
		if !running {
			return p, fmt.Errorf("shard_id %d: no transfer running to end: %w", c.Shard, index.ErrNotFound)
		}
		if err := checkPeers(c.Replicas); err != nil {
			return p, fmt.Errorf("%w: shard %d: %w", index.ErrBadRequest, c.Shard, err)
		}
		out.Replicas = slices.Clone(p.Replicas)
		out.Replicas[c.Shard] = slices.Clone(c.Replicas)
		if !slices.Contains(p.Changed, c.Shard) {
			out.Changed = append(slices.Clone(p.Changed), c.Shard)
		}
	}
	return out, nil
}

// checkTransfer reports what is wrong with starting t on p.
func checkTransfer(p Placement, t Transfer) error {
	s := t.Shard
	switch t.Kind {
	case TransferMove, TransferReplicate:
		if !p.Holds(s, t.From.ID) {
			return fmt.Errorf("%w: from_peer_id: node %s is not a replica of shard %d", index.ErrBadRequest, t.From.ID, s)
		}
		if t.To.ID == "" || t.To.Addr == "" {
			return fmt.Errorf("%w: to_peer_id: want a node with an id and an address", index.ErrBadRequest)
		}
		if p.Holds(s, t.To.ID) {
			return fmt.Errorf("to_peer_id: node %s is a replica of shard %d already: %w", t.To.ID, s, index.ErrExists)
		}
	case TransferDrop:
		if !p.Holds(s, t.From.ID) {
			return fmt.Errorf("%w: peer_id: node %s is not a replica of shard %d", index.ErrBadRequest, t.From.ID, s)
		}
		if len(p.Replicas[s]) == 1 {
			return fmt.Errorf("%w: peer_id: node %s is the last replica of shard %d; dropping it would lose the shard", index.ErrBadRequest, t.From.ID, s)
		}
	default:
		return fmt.Errorf("%w: transfer kind %q", index.ErrBadRequest, t.Kind)
	}
	return nil
}

func checkPeers(peers []Peer) error {
	if len(peers) == 0 {
		return fmt.Errorf("no replicas")
	}
	seen := map[string]bool{}
	for _, q := range peers {
		if q.ID == "" || q.Addr == "" || seen[q.ID] {
			return fmt.Errorf("replica %q at %q: want a unique id and an address", q.ID, q.Addr)
		}
		seen[q.ID] = true
	}
	return nil
}

// AddNonvoter adds a server that receives the log but does not vote;
// on the leader only. AddVoter later promotes it. A voter stays a voter.
func (n *Node) AddNonvoter(ctx context.Context, id, addr string) error {
	if err := wait(ctx, n.raft.AddNonvoter(raft.ServerID(id), raft.ServerAddress(addr), 0, timeout(ctx))); err != nil {
		return fmt.Errorf("cluster: add nonvoter %q: %w", id, n.proposeError(err))
	}
	return nil
}

// CommitIndex is the commit index as Raft reports it on this node.
func (n *Node) CommitIndex() uint64 {
	var c uint64
	fmt.Sscan(n.raft.Stats()["commit_index"], &c)
	return c
}

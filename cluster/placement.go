package cluster

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/quiver-db/quiver/index"
)

// Placement is where a sharded collection's shards live, as group 0
// holds it (doc.go, "Shards").
type Placement struct {
	// Config is the collection's config at creation: each shard group's
	// collection starts from it (later updates are in the group's log).
	Config index.Config
	// Replicas[s] are the voters that keep shard s, sorted by id; a
	// point is in shard id.Shard(len(Replicas)).
	Replicas [][]Peer
	// Created is the Raft index of group 0's entry that created the
	// collection, the same on every node: it names the shard groups, so
	// a collection dropped and created again never meets the old groups.
	Created uint64
	// Transfers are the changes of replicas in progress, one a shard at
	// most (ChangeReplicas).
	Transfers []Transfer `json:",omitempty"`
	// Changed are the shards whose replicas changed since creation.
	Changed []int `json:",omitempty"`
}

// Shards is the collection's shard_number.
func (p Placement) Shards() int { return len(p.Replicas) }

// ReplicationFactor is the collection's replication_factor.
func (p Placement) ReplicationFactor() int {
	if len(p.Replicas) == 0 {
		return 0
	}
	return len(p.Replicas[0])
}

// Holds reports whether node id keeps shard s.
func (p Placement) Holds(s int, id string) bool {
	return slices.ContainsFunc(p.Replicas[s], func(q Peer) bool { return q.ID == id })
}

// Group is the name of shard s's Raft group on the Mux.
func (p Placement) Group(s int) string { return fmt.Sprintf("shard/%d/%d", p.Created, s) }

// Place spreads shards shards of replicationFactor replicas each over
// voters: shard s is kept by the voters (sorted by id) s, s+1, ...,
// s+replicationFactor-1, modulo their number, so each node keeps about
// as many shards as the others.
func Place(voters []Peer, cfg index.Config, shards, replicationFactor int) (Placement, error) {
	var errs []error
	if shards < 1 {
		errs = append(errs, fmt.Errorf("shard_number %d: want at least 1", shards))
	}
	if replicationFactor < 1 || replicationFactor > len(voters) {
		errs = append(errs, fmt.Errorf("replication_factor %d: want 1 to the %d voters of the cluster", replicationFactor, len(voters)))
	}
	if err := errors.Join(errs...); err != nil {
		return Placement{}, fmt.Errorf("%w: %w", index.ErrBadRequest, err)
	}
	sorted := slices.Clone(voters)
	slices.SortFunc(sorted, func(a, b Peer) int { return strings.Compare(a.ID, b.ID) })
	p := Placement{Config: cfg, Replicas: make([][]Peer, shards)}
	for s := range shards {
		for j := range replicationFactor {
			p.Replicas[s] = append(p.Replicas[s], sorted[(s+j)%len(sorted)])
		}
		slices.SortFunc(p.Replicas[s], func(a, b Peer) int { return strings.Compare(a.ID, b.ID) })
	}
	return p, nil
}

// check reports what is wrong with a placement a command carries.
func (p Placement) check() error {
	if len(p.Replicas) == 0 {
		return fmt.Errorf("%w: placement without shards", index.ErrBadRequest)
	}
	rf := len(p.Replicas[0])
	for s, reps := range p.Replicas {
		seen := map[string]bool{}
		for _, q := range reps {
			if q.ID == "" || q.Addr == "" || seen[q.ID] {
				return fmt.Errorf("%w: placement of shard %d: replica %q at %q: want a unique id and an address", index.ErrBadRequest, s, q.ID, q.Addr)
			}
			seen[q.ID] = true
		}
		if len(reps) != rf || rf == 0 {
			return fmt.Errorf("%w: placement of shard %d: %d replicas, shard 0 has %d", index.ErrBadRequest, s, len(reps), rf)
		}
	}
	return nil
}

// PlacementObserver hears of the sharded collections group 0 creates,
// drops and restores (clusterapi's shard host starts and stops their
// groups). Its methods are called from the FSM's goroutine, in log
// order, and must return quickly: they queue the work.
type PlacementObserver interface {
	// Placed: collection was created sharded (or replayed at a start).
	Placed(collection string, p Placement)
	// Unplaced: collection, placed as p, was dropped.
	Unplaced(collection string, p Placement)
	// Restored: a snapshot replaced the state; all are the sharded
	// collections at index upTo. A collection created at or before upTo
	// and not in all was dropped by then; one created later may still
	// come from the log.
	Restored(all map[string]Placement, upTo uint64)
}

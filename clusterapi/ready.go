package clusterapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/httpapi"
)

// Ready implements the API's readiness check (/readyz): nil once this
// node has applied every command the cluster had committed when it
// asked, in group 0 and in every shard group it keeps
// (shardsCaughtUp), then nil for as long as it is a voter. A restarted node rebuilds its DB from a
// snapshot and the log (cluster/doc.go, invariant 4), and a joined one
// catches up from the leader's; until then its local reads see an older
// state. The leader's word is needed, since only the leader knows the
// commit index: the leader itself runs a barrier, a follower asks the
// leader's read index and waits to have applied up to it (readIndex,
// cluster.Node.CaughtUp).
func (r *Replica) Ready(ctx context.Context) error {
	if err := r.Member(); err != nil {
		return err // not joined yet, or removed: no reads here either
	}
	if r.ready.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := r.readIndex(ctx); err != nil {
		return err
	}
	if err := r.shardsCaughtUp(ctx); err != nil {
		return err
	}
	r.ready.Store(true)
	return nil
}

// shardsCaughtUp returns nil once every shard group this node keeps, by
// the placements it has applied, is open and has caught up as group 0
// has: its leader runs a barrier, a follower waits to have applied up to
// the commit index the group's leader reports (GET .../state).
func (r *Replica) shardsCaughtUp(ctx context.Context) error {
	for name, p := range r.node.Placements() {
		for s := range p.Shards() {
			if !p.Holds(s, r.self) {
				continue
			}
			if err := r.shardCaughtUp(ctx, name, p, s); err != nil {
				return fmt.Errorf("%w: shard %d of %q: %w", httpapi.ErrUnavailable, s, name, err)
			}
		}
	}
	return nil
}

func (r *Replica) shardCaughtUp(ctx context.Context, name string, p cluster.Placement, s int) error {
	g, ok := r.host.Group(name, p, s)
	if !ok {
		return errors.New("its group is not open yet")
	}
	if g.IsLeader() {
		if err := g.ReadIndex(ctx); err != nil {
			return fmt.Errorf("the leader's read index: %w", err)
		}
		return nil
	}
	id, _ := g.Leader()
	if id == "" {
		return errors.New("no leader known")
	}
	st, err := r.shards.state(ctx, id, name, s)
	if err != nil {
		return fmt.Errorf("the leader's commit index: %w", err)
	}
	if st.Role != "Leader" {
		return fmt.Errorf("node %s is not the leader (%s)", id, st.Role)
	}
	caughtUp, err := awaitCaughtUp(ctx, g, st.Commit)
	if err != nil {
		return err
	}
	if !caughtUp {
		return fmt.Errorf("catching up: applied %d of the leader's commit index %d", g.AppliedIndex(), st.Commit)
	}
	return nil
}

// awaitCaughtUp waits, until ctx ends, for g to catch up with target, a
// commit index its leader reported. Asking the leader again at every
// probe would never end while writes or linearizable reads (a barrier
// each) keep coming: by the time a follower applies one commit index the
// leader has a higher one.
func awaitCaughtUp(ctx context.Context, g *cluster.Node, target uint64) (bool, error) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := g.CaughtUp(target)
		if ok || err != nil {
			return ok, err
		}
		select {
		case <-ctx.Done():
			return false, nil
		case <-tick.C:
		}
	}
}

// leaderCommit is n's LeaderCommitIndex within a second: a leader that
// cannot commit in that time (cut off from its majority) is unavailable.
func leaderCommit(ctx context.Context, n *cluster.Node) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := n.LeaderCommitIndex(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: the leader's commit index: %w", httpapi.ErrUnavailable, err)
	}
	return c, nil
}

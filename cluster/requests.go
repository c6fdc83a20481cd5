package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// Apply validates cmd against this node's DB, proposes it, and returns
// once a majority has committed it and this node has applied it: nil, or
// the command's own error, the same on every replica. A command the
// validation refuses (the index's ErrBadRequest, ErrNotFound, ...) never
// enters the log. ErrNotLeader means nothing was proposed;
// ErrUnknownOutcome that the entry may commit later.
func (n *Node) Apply(ctx context.Context, cmd Command) error {
	data, err := cmd.encode()
	if err != nil {
		return err
	}
	if n.raft.State() != raft.Leader {
		return n.notLeader()
	}
	// Check what the replicas will decode, not what the caller built.
	decoded, err := decodeCommand(data)
	if err != nil {
		return err
	}
	if err := n.check(ctx, decoded); err != nil {
		return err
	}
	fut := n.raft.Apply(data, timeout(ctx))
	if err := wait(ctx, fut); err != nil {
		return n.proposeError(err)
	}
	if err, ok := fut.Response().(error); ok && err != nil {
		return err
	}
	return nil
}

// check validates cmd against the DB. A refusal is confirmed after a
// barrier: a leader just elected may not have applied the entries that
// earlier leaders committed (a restarted node rebuilds its DB from the
// log), and its DB would refuse what they made valid. So only bad
// requests pay the round trip.
func (n *Node) check(ctx context.Context, cmd Command) error {
	err := n.fsm.checkCommand(cmd)
	if err == nil {
		return nil
	}
	if berr := n.Barrier(ctx); berr != nil {
		// Nothing was proposed, whatever the barrier's outcome; the
		// refusal is not wrapped, since it is not confirmed.
		if ctx.Err() != nil {
			return fmt.Errorf("cluster: refusal (%v) not confirmed: %w", err, ctx.Err())
		}
		return fmt.Errorf("%w: refusal (%v) not confirmed: %v", ErrNotLeader, err, berr)
	}
	return n.fsm.checkCommand(cmd)
}

// Barrier returns once every entry committed before it is applied on
// this node, which must be the leader: a read of Node.DB after it sees
// every write acknowledged before Barrier was called.
func (n *Node) Barrier(ctx context.Context) error {
	if err := wait(ctx, n.raft.Barrier(timeout(ctx))); err != nil {
		return fmt.Errorf("cluster: barrier: %w", n.proposeError(err))
	}
	return nil
}

// IsLeader reports whether this node believes it is the leader.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Leader returns the ID and address of the leader as this node knows it;
// empty when it knows none.
func (n *Node) Leader() (id, addr string) {
	a, i := n.raft.LeaderWithID()
	return string(i), string(a)
}

// AppliedIndex is the Raft index of the last command applied to the DB
// (or restored with a snapshot): a read of Node.DB sees every write up
// to it. Wait for it to reach the index of a write on the leader to read
// that write on a follower.
func (n *Node) AppliedIndex() uint64 { return n.fsm.applied.Load() }

// IsVoter reports whether this node is a voter in the newest
// configuration Raft knows (committed or not).
func (n *Node) IsVoter(ctx context.Context) (bool, error) {
	fut := n.raft.GetConfiguration()
	if err := wait(ctx, fut); err != nil {
		return false, fmt.Errorf("cluster: configuration: %w", err)
	}
	for _, s := range fut.Configuration().Servers {
		if string(s.ID) == n.id {
			return s.Suffrage == raft.Voter, nil
		}
	}
	return false, nil
}

// AddVoter adds a voter, or updates its address; on the leader only. The
// new node catches up from a snapshot and the log.
func (n *Node) AddVoter(ctx context.Context, id, addr string) error {
	if err := wait(ctx, n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, timeout(ctx))); err != nil {
		return fmt.Errorf("cluster: add voter %q: %w", id, n.proposeError(err))
	}
	return nil
}

// RemoveServer removes a server from the cluster; on the leader only.
func (n *Node) RemoveServer(ctx context.Context, id string) error {
	if err := wait(ctx, n.raft.RemoveServer(raft.ServerID(id), 0, timeout(ctx))); err != nil {
		return fmt.Errorf("cluster: remove server %q: %w", id, n.proposeError(err))
	}
	return nil
}

// TransferLeadership hands leadership to the most up-to-date follower
// and returns once it has it; on the leader only.
func (n *Node) TransferLeadership(ctx context.Context) error {
	if err := wait(ctx, n.raft.LeadershipTransfer()); err != nil {
		return fmt.Errorf("cluster: leadership transfer: %w", n.proposeError(err))
	}
	return nil
}

// Snapshot makes raft take a snapshot now and compact its log.
func (n *Node) Snapshot(ctx context.Context) error {
	if err := wait(ctx, n.raft.Snapshot()); err != nil {
		return fmt.Errorf("cluster: snapshot: %w", err)
	}
	return nil
}

// Stats is raft's view of the node: state, term, indexes, peers.
func (n *Node) Stats() map[string]string { return n.raft.Stats() }

// notLeader is ErrNotLeader naming the leader, when one is known.
func (n *Node) notLeader() error {
	if id, addr := n.Leader(); id != "" {
		return fmt.Errorf("%w: leader is %s at %s", ErrNotLeader, id, addr)
	}
	return fmt.Errorf("%w: no leader known", ErrNotLeader)
}

// proposeError maps raft's errors after a proposal to ours: whether the
// entry is surely not in the log (ErrNotLeader) or may commit yet.
func (n *Node) proposeError(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w (%w)", n.notLeader(), err)
	case errors.Is(err, raft.ErrLeadershipLost), errors.Is(err, raft.ErrRaftShutdown),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
	}
	return err
}

// timeout is the time left before ctx's deadline, for raft's enqueue
// timeouts; zero (no bound) without one.
func timeout(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return max(time.Until(d), time.Millisecond)
}

// wait waits for fut or ctx, whichever is first. Raft's futures take no
// context; after ctx ends, the goroutine lives until raft resolves the
// future, which it does by shutdown at the latest.
func wait(ctx context.Context, fut raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- fut.Error() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

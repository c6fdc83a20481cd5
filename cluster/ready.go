package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// maxTailScan bounds how many entries past the FSM's last command one
// CaughtUp call reads. Non-command entries (a leader's no-op,
// configuration changes, and barriers: one per linearizable read) can run
// to many thousands after the last write, so the scan goes on where the
// previous call stopped (tailScan) rather than starting over.
const maxTailScan = 4096

// tailScan is how far CaughtUp has found only non-command entries after
// the FSM's command at applied.
type tailScan struct {
	mu      sync.Mutex
	applied uint64
	clean   uint64 // entries applied+1..clean hold no command
}

// CaughtUp reports whether this node has applied every command up to
// target, a commit index the leader reported: Raft has handed it every
// entry up to target (so its log matches the leader's up to there), and
// none of the entries after the FSM's last command is a command, in
// flight to the FSM. The entries Raft never gives the FSM (no-ops,
// configurations, barriers) are why the FSM's own index can stay below
// a commit index it has caught up with. A long tail of them takes a few
// calls to read (maxTailScan each): until then CaughtUp says false.
func (n *Node) CaughtUp(target uint64) (bool, error) {
	if n.raft.AppliedIndex() < target {
		return false, nil
	}
	applied := n.fsm.applied.Load()
	if applied >= target {
		return true, nil
	}
	n.tail.mu.Lock()
	defer n.tail.mu.Unlock()
	if n.tail.applied != applied {
		n.tail.applied, n.tail.clean = applied, applied
	}
	end := min(target, n.tail.clean+maxTailScan)
	for i := n.tail.clean + 1; i <= end; i++ {
		var l raft.Log
		err := n.store.GetLog(i, &l)
		if errors.Is(err, raft.ErrLogNotFound) {
			n.tail.clean = i
			continue // compacted into a snapshot, which the FSM restored
		}
		if err != nil {
			return false, fmt.Errorf("cluster: caught up: entry %d: %w", i, err)
		}
		if l.Type == raft.LogCommand {
			return false, nil // in flight to the FSM; applied will move
		}
		n.tail.clean = i
	}
	return n.tail.clean >= target, nil
}

// LeaderCommitIndex is the commit index of this node, the leader, once it
// has committed an entry of its own term. Until then a new leader's
// commit index can be far below what the cluster committed (Raft learns
// it only by committing in its term), and a follower that waited for it
// would call itself caught up too soon. The first call of a term runs a
// barrier; later ones read the index.
func (n *Node) LeaderCommitIndex(ctx context.Context) (uint64, error) {
	term := n.raft.CurrentTerm()
	if n.raft.State() != raft.Leader {
		return 0, n.notLeader()
	}
	if n.confirmedTerm.Load() != term {
		if err := n.Barrier(ctx); err != nil {
			return 0, err
		}
		n.confirmedTerm.Store(term)
	}
	return n.CommitIndex(), nil
}

// ReadIndex returns once this node, the leader, has applied every entry
// committed before the call, without writing to the log (Raft's read
// index, §6.4 of Ongaro's thesis): the commit index, after one barrier a
// term (LeaderCommitIndex); then a round of heartbeats a majority
// answers (raft's VerifyLeader), so no other leader can have committed
// anything meanwhile; then the FSM catching up with the index. A read of
// Node.DB after it sees every write acknowledged before it, as after
// Barrier, which costs an entry synced on a majority for each read.
func (n *Node) ReadIndex(ctx context.Context) error {
	commit, err := n.VerifiedCommitIndex(ctx)
	if err != nil {
		return err
	}
	for pause := 20 * time.Microsecond; ; pause = min(2*pause, 5*time.Millisecond) {
		ok, err := n.CaughtUp(commit)
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: read index %d: %w", commit, ctx.Err())
		case <-time.After(pause):
		}
	}
}

// VerifiedCommitIndex is LeaderCommitIndex confirmed by a round of
// heartbeats a majority answers (raft's VerifyLeader): the read index,
// which a follower waits to have applied for a linearizable read. A
// leader cut off from its majority cannot give it, even before its lease
// runs out.
func (n *Node) VerifiedCommitIndex(ctx context.Context) (uint64, error) {
	commit, err := n.LeaderCommitIndex(ctx)
	if err != nil {
		return 0, err
	}
	if err := wait(ctx, n.raft.VerifyLeader()); err != nil {
		return 0, fmt.Errorf("cluster: read index: %w", n.proposeError(err))
	}
	return commit, nil
}

package cluster

import (
	"errors"
	"fmt"

	"github.com/hashicorp/raft"
)

// maxNonCommandTail bounds how many entries past the FSM's last command
// CaughtUp reads: non-command entries (a leader's no-op, configuration
// changes, barriers) come a few at a time, so a longer tail is commands
// still to apply.
const maxNonCommandTail = 1024

// CaughtUp reports whether this node has applied every command up to
// target, a commit index the leader reported: Raft has handed it every
// entry up to target (so its log matches the leader's up to there), and
// none of the entries after the FSM's last command is a command, in
// flight to the FSM. The entries Raft never gives the FSM (no-ops,
// configurations, barriers) are why the FSM's own index can stay below
// a commit index it has caught up with.
func (n *Node) CaughtUp(target uint64) (bool, error) {
	if n.raft.AppliedIndex() < target {
		return false, nil
	}
	applied := n.fsm.applied.Load()
	if applied >= target {
		return true, nil
	}
	if target-applied > maxNonCommandTail {
		return false, nil
	}
	for i := applied + 1; i <= target; i++ {
		var l raft.Log
		err := n.store.GetLog(i, &l)
		if errors.Is(err, raft.ErrLogNotFound) {
			continue // compacted into a snapshot, which the FSM restored
		}
		if err != nil {
			return false, fmt.Errorf("cluster: caught up: entry %d: %w", i, err)
		}
		if l.Type == raft.LogCommand {
			return false, nil
		}
	}
	return true, nil
}

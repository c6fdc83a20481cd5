package clusterapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/httpapi"
)

// A follower's linearizable read of group 0 (a sharded collection's
// users) needs the leader's commit index and then to have applied up to
// it. A follower learns that an entry is committed from the leader's
// next message, which raft sends, when no write follows, only after its
// CommitTimeout (50-100 ms). So the leader that answers a read index
// also queues a barrier: its entry goes to the followers at once, with
// the commit index they wait for.

// readIndexRoute is the internal route of group 0's read index.
const readIndexRoute = "/internal/cluster/read-index"

// serveReadIndex answers group 0's read index (its leader's commit
// index, confirmed by a majority's heartbeats), on its leader only (421
// with the leader elsewhere), and queues a barrier.
func (r *Replica) serveReadIndex(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	ctx, cancel := context.WithTimeout(req.Context(), time.Second)
	defer cancel()
	commit, err := r.node.VerifiedCommitIndex(ctx)
	if err != nil {
		ans := shardAnswer{Kind: kindUnknown, Error: err.Error()}
		status := http.StatusServiceUnavailable
		if errors.Is(err, cluster.ErrNotLeader) {
			ans.Kind, status = kindNotLeader, http.StatusMisdirectedRequest
			ans.Leader, _ = r.node.Leader()
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(ans)
		return
	}
	r.nudge()
	json.NewEncoder(w).Encode(shardAnswer{Commit: commit})
}

// nudge queues a barrier on group 0: at most one waits beside the one
// running, which is enough, since the waiting one is proposed after
// every read index answered so far.
func (r *Replica) nudge() {
	select {
	case r.nudges <- struct{}{}:
	default:
	}
}

// startNudges runs the queued barriers until the returned stop is
// called.
func (r *Replica) startNudges() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-r.nudges:
				bctx, cancelB := context.WithTimeout(ctx, 2*time.Second)
				_ = r.node.Barrier(bctx) // a lost leadership or a timeout: the reader waits longer, no more
				cancelB()
			}
		}
	}()
	return func() { cancel(); <-done }
}

// readIndex returns nil once this node has applied every command group
// 0 had committed when it asked: its leader takes its own read index; a
// follower asks the leader's and waits to have applied up to it.
func (r *Replica) readIndex(ctx context.Context) error {
	if r.node.IsLeader() {
		if err := r.node.ReadIndex(ctx); err != nil {
			return fmt.Errorf("%w: the leader's read index: %w", httpapi.ErrUnavailable, err)
		}
		return nil
	}
	id, _ := r.node.Leader()
	url := ""
	if id != "" {
		url = r.urlOf(id)
	}
	if url == "" {
		return fmt.Errorf("%w: no leader known (or not its URL)", httpapi.ErrUnavailable)
	}
	status, raw, err := r.call(ctx, http.MethodPost, url+readIndexRoute, nil)
	if err != nil {
		return fmt.Errorf("%w: group 0's read index: %w", httpapi.ErrUnavailable, err)
	}
	var ans shardAnswer
	if err := json.Unmarshal(raw, &ans); err != nil || status != http.StatusOK {
		return fmt.Errorf("%w: group 0's read index from node %s: %d %.200s", httpapi.ErrUnavailable, id, status, raw)
	}
	caughtUp, err := awaitCaughtUp(ctx, r.node, ans.Commit)
	if err != nil {
		return err
	}
	if !caughtUp {
		return fmt.Errorf("%w: catching up: applied %d of the leader's commit index %d", httpapi.ErrUnavailable, r.node.AppliedIndex(), ans.Commit)
	}
	return nil
}

package clusterapi

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
)

// Timing of the transfer driver: how often it looks for transfers group
// 0 records that no goroutine here runs (after a failover, a restart),
// how long a step may take before it is tried again, and the pause
// between tries.
const (
	transferScan  = 500 * time.Millisecond
	transferStep  = 2 * time.Minute
	transferPause = 500 * time.Millisecond
)

// transferDriver runs, on group 0's leader, the transfers group 0
// records: one goroutine a shard. Every step is idempotent, so a leader
// that finds a transfer started by another (or by itself before a
// restart) runs it again from the start (cluster/doc.go, "Moving
// replicas"). It is safe for concurrent use.
type transferDriver struct {
	wakeCh chan struct{}
	wg     sync.WaitGroup
	mu     struct {
		sync.Mutex
		// running are the shards whose transfer a goroutine runs (or an
		// abort holds), with what stops it; protected by mu.
		running map[transferKey]*transferRun
	}
}

type transferKey struct {
	collection string
	created    uint64
	shard      int
}

type transferRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func newTransferDriver() *transferDriver {
	d := &transferDriver{wakeCh: make(chan struct{}, 1)}
	d.mu.running = map[transferKey]*transferRun{}
	return d
}

func (d *transferDriver) wake() {
	select {
	case d.wakeCh <- struct{}{}:
	default:
	}
}

// claim marks key as run by the caller; false when it runs already.
func (d *transferDriver) claim(ctx context.Context, key transferKey) (context.Context, *transferRun, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.mu.running[key]; ok {
		return nil, nil, false
	}
	ctx, cancel := context.WithCancel(ctx)
	run := &transferRun{cancel: cancel, done: make(chan struct{})}
	d.mu.running[key] = run
	return ctx, run, true
}

func (d *transferDriver) release(key transferKey, run *transferRun) {
	d.mu.Lock()
	if d.mu.running[key] == run {
		delete(d.mu.running, key)
	}
	d.mu.Unlock()
	run.cancel()
	close(run.done)
}

// takeOver stops the goroutine running key, if any, waits for it, and
// claims key for the caller (an abort).
func (d *transferDriver) takeOver(ctx context.Context, key transferKey) (context.Context, *transferRun, error) {
	for {
		if ctx2, run, ok := d.claim(ctx, key); ok {
			return ctx2, run, nil
		}
		d.mu.Lock()
		run := d.mu.running[key]
		d.mu.Unlock()
		if run == nil {
			continue
		}
		run.cancel()
		select {
		case <-run.done:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// driveTransfers starts a goroutine for each recorded transfer that none
// runs, while this node leads group 0, until ctx ends.
func (r *Replica) driveTransfers(ctx context.Context) {
	tick := time.NewTicker(transferScan)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-r.transfers.wakeCh:
		}
		if !r.node.IsLeader() {
			continue
		}
		for name, p := range r.node.Placements() {
			for _, t := range p.Transfers {
				key := transferKey{name, p.Created, t.Shard}
				runCtx, run, ok := r.transfers.claim(ctx, key)
				if !ok {
					continue
				}
				r.transfers.wg.Go(func() {
					defer r.transfers.release(key, run)
					r.runTransfer(runCtx, key, t)
				})
			}
		}
	}
}

// runTransfer runs t until it has ended (here or elsewhere), this node
// no longer leads group 0, or ctx ends; a failed run is tried again.
func (r *Replica) runTransfer(ctx context.Context, key transferKey, t cluster.Transfer) {
	log := r.log.With("collection", key.collection, "shard", t.Shard, "kind", t.Kind, "from", t.From.ID, "to", t.To.ID)
	start := time.Now()
	for ctx.Err() == nil && r.node.IsLeader() {
		p, ok := r.node.Placement(key.collection)
		if cur, running := p.Transfer(t.Shard); !ok || p.Created != key.created || !running || cur != t {
			return
		}
		stepCtx, cancel := context.WithTimeout(ctx, transferStep)
		err := r.transfer(stepCtx, key.collection, p, t)
		cancel()
		if err == nil {
			log.Info("cluster: shard transfer done", "took", time.Since(start))
			return
		}
		log.Warn("cluster: shard transfer step failed; trying again", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(transferPause):
		}
	}
}

// transfer takes t through its steps, each one idempotent: the target
// runs the group (its Host opened it, waiting to be added, when it
// applied the Begin), the shard's leader adds it as a nonvoter (Raft
// sends it the shard's snapshot, then the log), it catches up with the
// leader's commit index, the leader makes it a voter; then the leaving
// replica is removed (its leadership handed on first), and group 0
// records the shard's new replicas, which stops the leaving replica's
// group wherever it runs. Add before remove: the group keeps its
// majority, and so its writes, throughout.
func (r *Replica) transfer(ctx context.Context, collection string, p cluster.Placement, t cluster.Transfer) error {
	s := t.Shard
	if t.Kind != cluster.TransferDrop {
		if err := r.waitShard(ctx, t.To.ID, collection, p, s, 0); err != nil {
			return fmt.Errorf("target %s runs no group of the shard: %w", t.To.ID, err)
		}
		ans, err := r.members(ctx, collection, p, t, memberOp{Op: opAddNonvoter, ID: t.To.ID, Addr: t.To.Addr})
		if err != nil {
			return err
		}
		if err := r.waitShard(ctx, t.To.ID, collection, p, s, ans.Commit); err != nil {
			return fmt.Errorf("target %s never caught up with commit index %d: %w", t.To.ID, ans.Commit, err)
		}
		if _, err := r.members(ctx, collection, p, t, memberOp{Op: opAddVoter, ID: t.To.ID, Addr: t.To.Addr}); err != nil {
			return err
		}
	}
	if t.Kind != cluster.TransferReplicate {
		if _, err := r.members(ctx, collection, p, t, memberOp{Op: opRemove, ID: t.From.ID, Prefer: t.To.ID}); err != nil {
			return err
		}
	}
	end := cluster.ChangeReplicas{Collection: collection, Created: p.Created, Shard: s, Replicas: t.Replicas(p.Replicas[s])}
	return r.apply(ctx, cluster.Command{Replicas: &end})
}

// members runs op on the shard group's leader.
func (r *Replica) members(ctx context.Context, collection string, p cluster.Placement, t cluster.Transfer, op memberOp) (shardAnswer, error) {
	body, err := jsonBytes(op)
	if err != nil {
		return shardAnswer{}, err
	}
	var also []string
	if t.To.ID != "" {
		also = []string{t.To.ID}
	}
	return r.shards.onLeader(ctx, collection, p, t.Shard, shardCall{route: "members", body: body, also: also,
		local: func(n *cluster.Node) (shardAnswer, error) { return runMemberOp(ctx, n, op) }})
}

// waitShard polls node id until it runs the shard's group and, with
// commit above 0, has caught up with it.
func (r *Replica) waitShard(ctx context.Context, id, collection string, p cluster.Placement, s int, commit uint64) error {
	for {
		st, err := r.shardStateOf(ctx, id, collection, p, s, commit)
		if err == nil && (commit == 0 || st.CaughtUp) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// abortTransfer ends the shard's transfer with its replicas unchanged:
// the driver's goroutine stops, the target leaves the shard's group
// (refused once a move has removed its source: the move finishes
// instead), and group 0 ends the record, which stops the target's group.
func (r *Replica) abortTransfer(ctx context.Context, collection string, p cluster.Placement, op httpapi.ShardOperation) error {
	t, running := p.Transfer(op.Shard)
	if !running {
		return fmt.Errorf("abort_transfer.shard_id %d: no transfer of this shard is running: %w", op.Shard, index.ErrNotFound)
	}
	if t.Kind == cluster.TransferDrop {
		return fmt.Errorf("%w: abort_transfer.shard_id %d: a drop_replica is not a transfer; it finishes", index.ErrBadRequest, op.Shard)
	}
	from, err := r.peerOf(ctx, "abort_transfer.from_peer_id", op.From)
	if err != nil {
		return err
	}
	to, err := r.peerOf(ctx, "abort_transfer.to_peer_id", op.To)
	if err != nil {
		return err
	}
	if from.ID != t.From.ID || to.ID != t.To.ID {
		return fmt.Errorf("abort_transfer: the running transfer of shard %d is from %d to %d: %w", op.Shard, peerID(t.From.ID), peerID(t.To.ID), index.ErrNotFound)
	}
	key := transferKey{collection, p.Created, op.Shard}
	runCtx, run, err := r.transfers.takeOver(ctx, key)
	if err != nil {
		return unavailable(err)
	}
	defer r.transfers.release(key, run)
	defer r.transfers.wake() // a refused abort: the transfer goes on
	keep := t.From.ID
	if _, err := r.members(runCtx, collection, p, t, memberOp{Op: opRemove, ID: t.To.ID, Prefer: keep, Require: keep}); err != nil {
		return err
	}
	cmd := cluster.ChangeReplicas{Collection: collection, Created: p.Created, Shard: op.Shard, Abort: true}
	return r.apply(runCtx, cluster.Command{Replicas: &cmd})
}

// startTransfers runs the driver until the returned function is called,
// which waits for it and its goroutines.
func (r *Replica) startTransfers() func() {
	r.transfers = newTransferDriver()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.driveTransfers(ctx)
	}()
	return func() {
		cancel()
		<-done
		r.transfers.wg.Wait()
	}
}

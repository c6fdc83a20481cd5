package clusterapi

import (
	"context"
	"fmt"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
)

var _ httpapi.ShardMover = (*Replica)(nil)

// UpdateShards implements httpapi.ShardMover: on group 0's leader it
// checks op against the placement and the members, records the transfer
// in group 0 (ChangeReplicas Begin) and wakes the driver, which moves the
// replica in the background (transfers.go). An abort ends the record
// once the target is out of the shard's group again.
func (r *Replica) UpdateShards(ctx context.Context, collection string, op httpapi.ShardOperation) error {
	if !r.node.IsLeader() {
		return unavailable(fmt.Errorf("%w: change a shard's replicas", cluster.ErrNotLeader))
	}
	p, ok := r.node.Placement(collection)
	if !ok {
		return fmt.Errorf("%w: collection %q is not sharded", index.ErrBadRequest, collection)
	}
	if op.Shard < 0 || op.Shard >= p.Shards() {
		return fmt.Errorf("%s.shard_id %d: collection %q has shards 0 to %d: %w", op.Kind, op.Shard, collection, p.Shards()-1, index.ErrNotFound)
	}
	if op.Kind == httpapi.AbortTransfer {
		return r.abortTransfer(ctx, collection, p, op)
	}
	if t, running := p.Transfer(op.Shard); running {
		return fmt.Errorf("%s.shard_id %d: a %s transfer of this shard is running (GET /collections/%s/cluster): %w", op.Kind, op.Shard, t.Kind, collection, index.ErrExists)
	}
	field := op.Kind + ".from_peer_id"
	if op.Kind == httpapi.DropReplica {
		field = op.Kind + ".peer_id"
	}
	from, err := r.peerOf(ctx, field, op.From)
	if err != nil {
		return err
	}
	if !p.Holds(op.Shard, from.ID) {
		return fmt.Errorf("%w: %s %s: not a replica of shard %d", index.ErrBadRequest, field, op.From, op.Shard)
	}
	t := cluster.Transfer{Shard: op.Shard, From: from}
	switch op.Kind {
	case httpapi.DropReplica:
		t.Kind = cluster.TransferDrop
		if len(p.Replicas[op.Shard]) == 1 {
			return fmt.Errorf("%w: %s %s: the last replica of shard %d; dropping it would lose the shard", index.ErrBadRequest, field, op.From, op.Shard)
		}
	case httpapi.MoveShard, httpapi.ReplicateShard:
		t.Kind = cluster.TransferMove
		if op.Kind == httpapi.ReplicateShard {
			t.Kind = cluster.TransferReplicate
		}
		if t.To, err = r.peerOf(ctx, op.Kind+".to_peer_id", op.To); err != nil {
			return err
		}
		if p.Holds(op.Shard, t.To.ID) {
			return fmt.Errorf("%s.to_peer_id %s: a replica of shard %d already: %w", op.Kind, op.To, op.Shard, index.ErrExists)
		}
	default:
		return fmt.Errorf("%w: operation %q", index.ErrBadRequest, op.Kind)
	}
	cmd := cluster.ChangeReplicas{Collection: collection, Created: p.Created, Shard: op.Shard, Begin: &t}
	if err := r.apply(ctx, cluster.Command{Replicas: &cmd}); err != nil {
		return err
	}
	r.transfers.wake()
	return nil
}

// peerOf resolves a peer named in a request (its peer id or node id) to
// a voter of group 0, whose Raft address every group of the node shares.
func (r *Replica) peerOf(ctx context.Context, field, peer string) (cluster.Peer, error) {
	m, _, err := r.member(ctx, peer)
	if err != nil {
		return cluster.Peer{}, fmt.Errorf("%s %s: %w", field, peer, err)
	}
	if !m.Voter {
		return cluster.Peer{}, fmt.Errorf("%w: %s %s: not a voter of the cluster", index.ErrBadRequest, field, peer)
	}
	return cluster.Peer{ID: m.ID, Addr: m.Addr}, nil
}

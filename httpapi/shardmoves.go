package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"
)

// ShardMover is a Sharder that changes a sharded collection's replicas:
// POST /collections/{c}/cluster. Its method is called on the leader (the
// route is forwarded there like a replicated write).
type ShardMover interface {
	// UpdateShards starts op on the collection and returns once the
	// cluster has recorded it; the transfer runs in the background and
	// is listed in GET /collections/{c}/cluster's shard_transfers until
	// it is done.
	UpdateShards(ctx context.Context, collection string, op ShardOperation) error
}

// Kinds of ShardOperation, as Qdrant names them.
const (
	MoveShard      = "move_shard"
	ReplicateShard = "replicate_shard"
	DropReplica    = "drop_replica"
	AbortTransfer  = "abort_transfer"
)

// ShardOperation is one operation of POST /collections/{c}/cluster.
type ShardOperation struct {
	// Kind is MoveShard, ReplicateShard, DropReplica or AbortTransfer.
	Kind  string
	Shard int
	// From and To are peers as sent, a peer id or a node id; a
	// drop_replica's peer_id is From.
	From, To string
}

// shardTransferRequest is Qdrant's MoveShard (and ReplicateShard,
// AbortTransfer).
type shardTransferRequest struct {
	ShardID *int   `json:"shard_id"`
	From    any    `json:"from_peer_id"`
	To      any    `json:"to_peer_id"`
	Method  string `json:"method"`
}

type dropReplicaRequest struct {
	ShardID *int `json:"shard_id"`
	PeerID  any  `json:"peer_id"`
}

// updateCollectionCluster answers POST /collections/{c}/cluster.
func (h *Handler) updateCollectionCluster(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "timeout"); err != nil {
		return nil, err
	}
	name := mux.Vars(r)["collection"]
	if h.cfg.Replica == nil {
		return nil, badRequest("collection cluster update: distributed mode disabled (this server is a single node, which keeps every collection whole)")
	}
	mover, ok := h.cfg.Replica.(ShardMover)
	if !ok {
		return nil, fmt.Errorf("%w: collection cluster update: this node's replica does not move shards", ErrNotSupported)
	}
	real, _, sharded := h.sharded(name)
	if !sharded {
		if _, err := h.db.Collection(name); err != nil {
			return nil, err
		}
		return nil, badRequest("collection %q is not sharded: every node keeps it whole, there is no replica to move", name)
	}
	var req struct {
		Move      *shardTransferRequest `json:"move_shard"`
		Replicate *shardTransferRequest `json:"replicate_shard"`
		Abort     *shardTransferRequest `json:"abort_transfer"`
		Drop      *dropReplicaRequest   `json:"drop_replica"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	op, err := shardOperation(req.Move, req.Replicate, req.Abort, req.Drop)
	if err != nil {
		return nil, err
	}
	if err := mover.UpdateShards(r.Context(), real, op); err != nil {
		return nil, err
	}
	return true, nil
}

// shardOperation reads the one operation of the request.
func shardOperation(move, replicate, abort *shardTransferRequest, drop *dropReplicaRequest) (ShardOperation, error) {
	var op ShardOperation
	var t *shardTransferRequest
	set := 0
	for kind, v := range map[string]*shardTransferRequest{MoveShard: move, ReplicateShard: replicate, AbortTransfer: abort} {
		if v != nil {
			op.Kind, t = kind, v
			set++
		}
	}
	if drop != nil {
		op.Kind = DropReplica
		set++
	}
	if set != 1 {
		return op, badRequest("want exactly one of move_shard, replicate_shard, drop_replica, abort_transfer; got %d", set)
	}
	var err error
	if drop != nil {
		if drop.ShardID == nil {
			return op, badRequest("drop_replica.shard_id: required")
		}
		op.Shard = *drop.ShardID
		op.From, err = peerArg(DropReplica+".peer_id", drop.PeerID)
		return op, err
	}
	if t.ShardID == nil {
		return op, badRequest("%s.shard_id: required", op.Kind)
	}
	if t.Method != "" && t.Method != "snapshot" {
		return op, badRequest("%s.method %q: Quiver transfers a shard's Raft snapshot and log only (\"snapshot\")", op.Kind, t.Method)
	}
	op.Shard = *t.ShardID
	if op.From, err = peerArg(op.Kind+".from_peer_id", t.From); err != nil {
		return op, err
	}
	if op.To, err = peerArg(op.Kind+".to_peer_id", t.To); err != nil {
		return op, err
	}
	if op.From == op.To {
		return op, badRequest("%s.to_peer_id: the same peer as from_peer_id", op.Kind)
	}
	return op, nil
}

// peerArg reads a peer: a peer id (a number) or a node id (a string).
func peerArg(field string, v any) (string, error) {
	switch v := v.(type) {
	case json.Number:
		return v.String(), nil
	case string:
		if v != "" {
			return v, nil
		}
	case nil:
		return "", badRequest("%s: required", field)
	}
	return "", badRequest("%s: want a peer id or a node id", field)
}

package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
)

// Membership is a Replica whose cluster takes and drops members over
// HTTP (package clusterapi's). Its methods are called on the leader: the
// routes are forwarded there like replicated writes.
type Membership interface {
	// AddPeer makes a node a voter, recording its HTTP URL cluster-wide.
	AddPeer(ctx context.Context, p PeerRequest) error
	// RemovePeer removes a voter, named by its peer id (a number) or its
	// node id; refused for the last voter.
	RemovePeer(ctx context.Context, peer string, force bool) error
	// TransferLeadership hands leadership to the voter to (peer or node
	// id), or with to "" to the most up-to-date follower.
	TransferLeadership(ctx context.Context, to string) error
}

// memberChecker is a Replica that knows whether this node is a voter: a
// node that is not (removed, or not joined yet) refuses writes rather
// than forwarding them, since its view of the leader may be stale.
type memberChecker interface {
	// Member returns nil on a voter, else an error wrapping
	// ErrUnavailable that says why.
	Member() error
}

// readyChecker is a Replica that knows whether this node has caught up
// with the cluster: /readyz answers 503 until it has.
type readyChecker interface {
	// Ready returns nil once the node has applied what the cluster had
	// committed, else an error that says how far it is.
	Ready(ctx context.Context) error
}

// PeerRequest is the body of POST /cluster/peer: the joining node.
type PeerRequest struct {
	// ID is the node's id, as its --node-id.
	ID string `json:"id"`
	// RaftAddr is the host:port its Raft transport listens on.
	RaftAddr string `json:"raft_addr"`
	// URL is the base URL of its HTTP API.
	URL string `json:"url"`
}

// membership returns the Replica's Membership: a single node refuses
// the request as Qdrant does with distributed mode off (400), a replica
// without membership over HTTP answers 501.
func (h *Handler) membership() (Membership, error) {
	if h.cfg.Replica == nil {
		return nil, badRequest("cluster membership: distributed mode disabled (this server is a single node)")
	}
	m, ok := h.cfg.Replica.(Membership)
	if !ok {
		return nil, fmt.Errorf("%w: cluster membership: this node's replica has no membership over HTTP", ErrNotSupported)
	}
	return m, nil
}

// addPeer answers POST /cluster/peer (Quiver's; Qdrant adds peers over
// its internal gRPC): quiver serve --join sends it.
func (h *Handler) addPeer(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "timeout"); err != nil {
		return nil, err
	}
	m, err := h.membership()
	if err != nil {
		return nil, err
	}
	var req PeerRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := m.AddPeer(r.Context(), req); err != nil {
		return nil, err
	}
	return true, nil
}

// removePeer answers DELETE /cluster/peer/{peer_id}, as Qdrant's.
func (h *Handler) removePeer(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "force", "timeout"); err != nil {
		return nil, err
	}
	m, err := h.membership()
	if err != nil {
		return nil, err
	}
	force := false
	if v := r.URL.Query().Get("force"); v != "" {
		if force, err = strconv.ParseBool(v); err != nil {
			return nil, badRequest("query parameter force=%q: want true or false", v)
		}
	}
	if err := m.RemovePeer(r.Context(), mux.Vars(r)["peer_id"], force); err != nil {
		return nil, err
	}
	return true, nil
}

// transferLeader answers POST /cluster/leader/transfer (Quiver's), with
// an optional body {"to": PEER}.
func (h *Handler) transferLeader(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "timeout"); err != nil {
		return nil, err
	}
	m, err := h.membership()
	if err != nil {
		return nil, err
	}
	var req struct {
		To any `json:"to"`
	}
	if err := decodeJSON(r, &req); err != nil { // an empty body is {}
		return nil, err
	}
	to := ""
	switch v := req.To.(type) {
	case nil:
	case string:
		to = v
	case json.Number:
		to = v.String()
	default:
		return nil, badRequest("to: want a peer id or a node id")
	}
	if err := m.TransferLeadership(r.Context(), to); err != nil {
		return nil, err
	}
	return true, nil
}

// refuseNonMember answers a write on a node that is not a voter; it
// returns true when it answered.
func (h *Handler) refuseNonMember(w http.ResponseWriter, start time.Time) bool {
	mc, ok := h.cfg.Replica.(memberChecker)
	if !ok {
		return false
	}
	if err := mc.Member(); err != nil {
		writeError(w, start, err)
		return true
	}
	return false
}

// replicaReady reports the Replica's readiness, nil for a single node.
func (h *Handler) replicaReady(ctx context.Context) error {
	rc, ok := h.cfg.Replica.(readyChecker)
	if !ok {
		return nil
	}
	return rc.Ready(ctx)
}

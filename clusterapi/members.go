package clusterapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/jsonhttp"
)

var _ httpapi.Membership = (*Replica)(nil)

// newReplica wraps a started node.
func newReplica(node *cluster.Node, cfg Config) *Replica {
	r := &Replica{node: node, self: cfg.NodeID, peers: cfg.Peers,
		client: &http.Client{Transport: keyTransport{cfg.APIKey}}, stop: func() {}, joined: make(chan struct{})}
	close(r.joined)
	return r
}

// openJoining starts a node without a bootstrap list: it waits to be
// added, and with cfg.Join asks that node, in the background, to add it
// (POST /cluster/peer, which any node forwards to the leader). The node
// then catches up from the leader's snapshot and log; /readyz answers 503
// until it has (Ready).
func openJoining(ctx context.Context, cfg Config) (*Replica, error) {
	if cfg.NodeID == "" || cfg.RaftAddr == "" {
		return nil, errors.New("cluster: a node without --peers needs its node id and --raft-addr")
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	if cfg.Join != "" {
		if err := (Peer{ID: cfg.NodeID, RaftAddr: cfg.RaftAddr, URL: cfg.URL}).check(); err != nil {
			return nil, fmt.Errorf("cluster: joining node: %w", err)
		}
	}
	node, err := cluster.Open(ctx, cluster.Config{
		NodeID: cfg.NodeID, RaftAddr: cfg.RaftAddr, Dir: filepath.Join(cfg.Dir, "cluster"),
		Index: cfg.Index, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	r := newReplica(node, cfg)
	if cfg.Join == "" {
		return r, nil
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	loopCtx, stop := context.WithCancel(context.Background())
	r.stop, r.joined = stop, make(chan struct{})
	go func() {
		defer close(r.joined)
		r.joinLoop(loopCtx, strings.TrimRight(cfg.Join, "/"), httpapi.PeerRequest{ID: cfg.NodeID, RaftAddr: cfg.RaftAddr, URL: cfg.URL}, log)
	}()
	return r, nil
}

// joinLoop asks the node at base to add this one until it has (or is a
// voter already, after a restart), retrying what may pass later (no
// leader, a node down) every second; a refusal (a bad key, an id taken)
// is logged and ends it.
func (r *Replica) joinLoop(ctx context.Context, base string, req httpapi.PeerRequest, log *slog.Logger) {
	for {
		if voter, err := r.node.IsVoter(ctx); err == nil && voter {
			log.Info("cluster: this node is a voter", "node", r.self)
			return
		}
		status, msg, err := r.call(ctx, http.MethodPost, base+"/cluster/peer", req)
		switch {
		case err == nil && status == http.StatusOK:
			log.Info("cluster: joined", "node", r.self, "via", base)
			return
		case err == nil && status >= 400 && status < 500 && status != http.StatusTooManyRequests:
			log.Error("cluster: join refused; not retrying", "via", base, "status", status, "answer", string(msg))
			return
		}
		log.Warn("cluster: join failed; retrying", "via", base, "status", status, "answer", string(msg), "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// call sends body (JSON, none when nil) to another node and returns the
// status and the body; the api-key goes in the client's transport.
func (r *Replica) call(ctx context.Context, method, url string, body any) (int, []byte, error) {
	return jsonhttp.Call(ctx, r.client, method, url, body, 10*time.Second)
}

// keyTransport adds the api-key header to every request.
type keyTransport struct{ key string }

func (k keyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if k.key != "" {
		req = req.Clone(req.Context())
		req.Header.Set("api-key", k.key)
	}
	return http.DefaultTransport.RoundTrip(req)
}

// urlOf returns node id's HTTP URL: the replicated one, else --peers'.
func (r *Replica) urlOf(id string) string {
	if u := r.node.PeerURL(id); u != "" {
		return u
	}
	for _, p := range r.peers {
		if p.ID == id {
			return p.URL
		}
	}
	return ""
}

// AddPeer implements httpapi.Membership: it records the node's URL in
// the log (and the bootstrap nodes' URLs, the first time), then adds it
// as a voter, so every node can forward to it by the time it can lead,
// and it can forward to every other. Adding a voter again at the same address
// succeeds and changes nothing.
func (r *Replica) AddPeer(ctx context.Context, req httpapi.PeerRequest) error {
	p := Peer{ID: req.ID, RaftAddr: req.RaftAddr, URL: strings.TrimRight(req.URL, "/")}
	if err := p.check(); err != nil {
		return fmt.Errorf("%w: peer: %w", index.ErrBadRequest, err)
	}
	members, err := r.node.Members(ctx)
	if err != nil {
		return r.unavailable(err)
	}
	for _, m := range members {
		switch {
		case m.ID == p.ID && m.Addr == p.RaftAddr:
			if r.urlOf(m.ID) == p.URL {
				return nil
			}
		case m.ID == p.ID:
			return fmt.Errorf("peer %q: a member has that id, at %s: %w", p.ID, m.Addr, index.ErrExists)
		case m.Addr == p.RaftAddr:
			return fmt.Errorf("peer %q: member %q has raft address %s: %w", p.ID, m.ID, m.Addr, index.ErrExists)
		case peerID(m.ID) == peerID(p.ID):
			return fmt.Errorf("peer %q: member %q has the same peer id %d: %w", p.ID, m.ID, peerID(p.ID), index.ErrExists)
		}
	}
	// A joined node has no --peers: the bootstrap nodes' URLs go in the
	// log too, before the first node joins.
	for _, sp := range r.peers {
		if r.node.PeerURL(sp.ID) == "" {
			if err := r.apply(ctx, cluster.Command{Peer: &cluster.SetPeer{ID: sp.ID, URL: sp.URL}}); err != nil {
				return err
			}
		}
	}
	if err := r.apply(ctx, cluster.Command{Peer: &cluster.SetPeer{ID: p.ID, URL: p.URL}}); err != nil {
		return err
	}
	return r.unavailable(r.node.AddVoter(ctx, p.ID, p.RaftAddr))
}

// RemovePeer implements httpapi.Membership. force is accepted, as
// Qdrant's, and changes nothing: every node holds every collection, so
// no peer holds data that its removal would lose.
func (r *Replica) RemovePeer(ctx context.Context, peer string, _ bool) error {
	m, voters, err := r.member(ctx, peer)
	if err != nil {
		return err
	}
	if m.Voter && voters == 1 {
		return fmt.Errorf("%w: peer %s is the last voter; removing it would leave no cluster", index.ErrBadRequest, peer)
	}
	if err := r.node.RemoveServer(ctx, m.ID); err != nil {
		return r.unavailable(err)
	}
	// Best effort: a URL left behind names no member, and is replaced
	// if the node joins again. The leader that removed itself is not
	// the leader any more.
	if err := r.apply(ctx, cluster.Command{Peer: &cluster.SetPeer{ID: m.ID}}); err != nil {
		slog.Warn("cluster: removed peer's URL not forgotten", "peer", m.ID, "err", err)
	}
	return nil
}

// TransferLeadership implements httpapi.Membership.
func (r *Replica) TransferLeadership(ctx context.Context, to string) error {
	if to == "" {
		return r.unavailable(r.node.TransferLeadership(ctx))
	}
	m, _, err := r.member(ctx, to)
	if err != nil {
		return err
	}
	return r.unavailable(r.node.TransferLeadershipTo(ctx, m.ID))
}

// member finds the member called peer (its peer id or its node id) and
// counts the voters.
func (r *Replica) member(ctx context.Context, peer string) (cluster.Member, int, error) {
	members, err := r.node.Members(ctx)
	if err != nil {
		return cluster.Member{}, 0, r.unavailable(err)
	}
	voters := 0
	var found *cluster.Member
	for i, m := range members {
		if m.Voter {
			voters++
		}
		if m.ID == peer || strconv.FormatUint(peerID(m.ID), 10) == peer {
			found = &members[i]
		}
	}
	if found == nil {
		return cluster.Member{}, 0, fmt.Errorf("peer %s: %w", peer, index.ErrNotFound)
	}
	return *found, voters, nil
}

// Member implements the API's check that this node is a voter.
func (r *Replica) Member() error {
	voter, err := r.node.IsVoter(context.Background())
	if err != nil {
		return r.unavailable(err)
	}
	if !voter {
		return fmt.Errorf("%w: node %q is not a voter of the cluster (not joined yet, or removed)", httpapi.ErrUnavailable, r.self)
	}
	return nil
}

// unavailable marks not being the leader and an unknown outcome as the
// API's ErrUnavailable.
func (r *Replica) unavailable(err error) error {
	if errors.Is(err, cluster.ErrNotLeader) || errors.Is(err, cluster.ErrUnknownOutcome) {
		return fmt.Errorf("%w: %w", httpapi.ErrUnavailable, err)
	}
	return err
}

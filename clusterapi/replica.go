package clusterapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
)

// Config configures Open.
type Config struct {
	// NodeID is this node's id; it must be one of Peers.
	NodeID string
	// RaftAddr is the address Raft listens on; empty means this node's
	// address in Peers, which it must equal when set.
	RaftAddr string
	// Peers are every voter of the cluster, this node included; every
	// node gets the same list.
	Peers []Peer
	// Dir is the server's data directory; the node keeps its state in
	// Dir/cluster (cluster.Config.Dir), apart from a single node's DB.
	Dir string
	// Index are the DB's options (cluster.Config.Index).
	Index index.Options
	// Logger receives the node's logs; nil means slog.Default().
	Logger *slog.Logger
	// Join, instead of Peers, is the base URL of any node of a running
	// cluster, which this node asks to add it (members.go); URL is then
	// this node's own HTTP base URL, and RaftAddr its Raft address.
	Join string
	URL  string
	// APIKey is sent, as the api-key header, on the requests this node
	// makes to others: joining, and asking the leader's commit index.
	APIKey string
}

// Replica is a cluster.Node as the HTTP API uses it. It is safe for
// concurrent use.
type Replica struct {
	node  *cluster.Node
	self  string
	peers []Peer
	// client makes the requests to other nodes, with the api-key.
	client *http.Client
	// ready latches once the node has caught up (Ready).
	ready atomic.Bool
	// stop ends the join loop, if any; joined is closed when it is over.
	stop   context.CancelFunc
	joined chan struct{}
}

var _ httpapi.Replica = (*Replica)(nil)

// Open starts the node (bootstrapping the cluster of cfg.Peers on first
// start; without Peers, waiting to be added, and with Join asking to be)
// and returns its replica.
func Open(ctx context.Context, cfg Config) (*Replica, error) {
	if cfg.Join != "" || len(cfg.Peers) == 0 {
		return openJoining(ctx, cfg)
	}
	var self *Peer
	for i := range cfg.Peers {
		if cfg.Peers[i].ID == cfg.NodeID {
			self = &cfg.Peers[i]
		}
	}
	if self == nil {
		return nil, fmt.Errorf("cluster: node id %q is not in the peers", cfg.NodeID)
	}
	if cfg.RaftAddr == "" {
		cfg.RaftAddr = self.RaftAddr
	}
	if cfg.RaftAddr != self.RaftAddr {
		return nil, fmt.Errorf("cluster: raft address %q differs from this node's in the peers, %q", cfg.RaftAddr, self.RaftAddr)
	}
	voters := make([]cluster.Peer, len(cfg.Peers))
	for i, p := range cfg.Peers {
		voters[i] = cluster.Peer{ID: p.ID, Addr: p.RaftAddr}
	}
	node, err := cluster.Open(ctx, cluster.Config{
		NodeID: cfg.NodeID, RaftAddr: cfg.RaftAddr, Dir: filepath.Join(cfg.Dir, "cluster"),
		Peers: voters, Index: cfg.Index, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	return newReplica(node, cfg), nil
}

// DB is the node's database, for the API's reads.
func (r *Replica) DB() *index.DB { return r.node.DB() }

// Close stops the join loop, if any, then the node.
func (r *Replica) Close() error {
	r.stop()
	<-r.joined
	return r.node.Close()
}

func (r *Replica) Create(ctx context.Context, name string, cfg index.Config) error {
	return r.apply(ctx, cluster.Command{Create: &cluster.CreateCollection{Name: name, Config: cfg}})
}

func (r *Replica) Drop(ctx context.Context, name string) error {
	return r.apply(ctx, cluster.Command{Drop: &cluster.DropCollection{Name: name}})
}

func (r *Replica) Apply(ctx context.Context, collection string, ops []index.Operation) error {
	return r.apply(ctx, cluster.Command{Apply: &cluster.ApplyOperations{Collection: collection, Ops: ops}})
}

func (r *Replica) PayloadIndex(ctx context.Context, collection, key string, typ index.FieldType) error {
	return r.apply(ctx, cluster.Command{PayloadIndex: &cluster.SetPayloadIndex{Collection: collection, Key: key, Type: typ}})
}

func (r *Replica) UpdateConfig(ctx context.Context, collection string, u index.ConfigUpdate) error {
	return r.apply(ctx, cluster.Command{Config: &cluster.UpdateConfig{Collection: collection, Update: u}})
}

// Interact stamps the interactions without a time with the leader's
// clock before proposing them, so every replica stores the same time.
func (r *Replica) Interact(ctx context.Context, collection string, its []index.Interaction) error {
	now := time.Now()
	stamped := make([]index.Interaction, len(its))
	for i, it := range its {
		if it.Time.IsZero() {
			it.Time = now
		}
		stamped[i] = it
	}
	return r.apply(ctx, cluster.Command{Interact: &cluster.RecordInteractions{Collection: collection, Interactions: stamped}})
}

// apply proposes cmd. Not being the leader (any more) and an unknown
// outcome are the API's ErrUnavailable: retry, idempotently.
func (r *Replica) apply(ctx context.Context, cmd cluster.Command) error {
	return r.unavailable(r.node.Apply(ctx, cmd))
}

// Leader implements httpapi.Replica.
func (r *Replica) Leader() (bool, string) {
	if r.node.IsLeader() {
		return true, ""
	}
	id, _ := r.node.Leader()
	if id == "" {
		return false, ""
	}
	return false, r.urlOf(id)
}

// Barrier implements httpapi.Replica.
func (r *Replica) Barrier(ctx context.Context) error {
	return r.unavailable(r.node.Barrier(ctx))
}

// status is Qdrant's ClusterStatus when clustering is enabled.
type status struct {
	Status          string              `json:"status"`
	PeerID          uint64              `json:"peer_id"`
	Peers           map[string]peerInfo `json:"peers"`
	RaftInfo        raftInfo            `json:"raft_info"`
	ConsensusThread consensusThread     `json:"consensus_thread_status"`
	SendFailures    map[string]any      `json:"message_send_failures"`
}

type peerInfo struct {
	URI string `json:"uri"`
}

type raftInfo struct {
	Term              uint64  `json:"term"`
	Commit            uint64  `json:"commit"`
	PendingOperations int     `json:"pending_operations"`
	Leader            *uint64 `json:"leader"`
	Role              string  `json:"role"`
	IsVoter           bool    `json:"is_voter"`
}

type consensusThread struct {
	Status     string `json:"consensus_thread_status"`
	LastUpdate string `json:"last_update"`
}

// Status implements httpapi.Replica: GET /cluster, in Qdrant's shape.
// Peer ids are the node ids when they are numbers (peerID).
func (r *Replica) Status(ctx context.Context) (any, error) {
	voter, err := r.node.IsVoter(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", httpapi.ErrUnavailable, err)
	}
	stats := r.node.Stats()
	num := func(key string) uint64 {
		n, _ := strconv.ParseUint(stats[key], 10, 64)
		return n
	}
	out := status{
		Status: "enabled", PeerID: peerID(r.self), Peers: map[string]peerInfo{},
		RaftInfo: raftInfo{
			Term: num("term"), Commit: num("commit_index"),
			PendingOperations: int(num("commit_index") - min(num("applied_index"), num("commit_index"))),
			Role:              stats["state"], IsVoter: voter,
		},
		ConsensusThread: consensusThread{Status: "working", LastUpdate: time.Now().UTC().Format(time.RFC3339Nano)},
		SendFailures:    map[string]any{},
	}
	members, err := r.node.Members(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", httpapi.ErrUnavailable, err)
	}
	for _, m := range members {
		out.Peers[strconv.FormatUint(peerID(m.ID), 10)] = peerInfo{URI: r.urlOf(m.ID)}
	}
	if id, _ := r.node.Leader(); id != "" {
		l := peerID(id)
		out.RaftInfo.Leader = &l
	}
	return out, nil
}

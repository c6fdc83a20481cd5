package clusterapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/shard"
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
	// makes to others: joining, asking the leader's commit index, and the
	// shards' writes and reads.
	APIKey string
	// ClusterKey authenticates the nodes' Raft connections to each other
	// (cluster.MuxOptions.Key); empty means APIKey, and without either
	// the connections are not authenticated.
	ClusterKey string
	// HeartbeatTimeout, ElectionTimeout and LeaderLeaseTimeout are every
	// Raft group's (cluster.Config); zero takes raft's defaults.
	HeartbeatTimeout, ElectionTimeout, LeaderLeaseTimeout time.Duration
	// ShardTrailingLogs is how many entries a shard group's snapshot
	// leaves in its log (cluster.Config.TrailingLogs); zero takes raft's
	// default. A replica added later that lags by more is sent the
	// shard's snapshot.
	ShardTrailingLogs uint64
}

// Replica is a cluster.Node as the HTTP API uses it. It is safe for
// concurrent use.
type Replica struct {
	node  *cluster.Node // group 0
	mux   *cluster.Mux
	host  *cluster.Host
	self  string
	peers []Peer
	log   *slog.Logger
	// shards sends sharded collections' writes to their shards' leaders.
	shards *shardWriter
	// client makes the requests to other nodes, with the api-key.
	client *http.Client
	// ready latches once the node has caught up (Ready).
	ready atomic.Bool
	// transfers runs the shard transfers group 0 records, on its leader
	// (transfers.go); stopTransfers stops it.
	transfers     *transferDriver
	stopTransfers func()
	// nudges queues barriers that tell group 0's followers its commit
	// index at once (readindex.go); stopNudges stops their loop.
	nudges     chan struct{}
	stopNudges func()
	// reads serves the shards' reads to other nodes, over HTTP and in
	// the stream form on the Mux; streams calls other nodes' in that
	// form, at addrs; stopStreams closes both (streams.go).
	reads       *shard.Handler
	streams     *shard.Streams
	addrs       *raftAddrs
	stopStreams func()
	// leaderReadsServed counts the leader's reads other nodes asked of
	// this one's replicas (shard.ClientConfig.Leader), for tests.
	leaderReadsServed atomic.Int64
	// stop ends the join loop, if any; joined is closed when it is over.
	stop   context.CancelFunc
	joined chan struct{}
}

var (
	_ httpapi.Replica = (*Replica)(nil)
	_ httpapi.Sharder = (*Replica)(nil)
)

// metaGroup is group 0's name on the Mux.
const metaGroup = "meta"

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
	return start(ctx, cfg, voters)
}

// start opens group 0 on a Mux at cfg.RaftAddr, bootstrapping voters
// when there are any, with the Host of the shard groups as its
// placements' observer.
func start(ctx context.Context, cfg Config, voters []cluster.Peer) (*Replica, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	mux, err := cluster.ListenMux(cfg.RaftAddr, cluster.MuxOptions{Key: []byte(cmp.Or(cfg.ClusterKey, cfg.APIKey))}, cfg.Logger)
	if err != nil {
		return nil, err
	}
	tr, err := mux.Transport(metaGroup, cfg.Logger)
	if err != nil {
		return nil, errors.Join(err, mux.Close())
	}
	template := cluster.Config{
		Index: cfg.Index, Logger: cfg.Logger,
		HeartbeatTimeout: cfg.HeartbeatTimeout, ElectionTimeout: cfg.ElectionTimeout, LeaderLeaseTimeout: cfg.LeaderLeaseTimeout,
	}
	shardGroups := template
	shardGroups.TrailingLogs = cfg.ShardTrailingLogs
	// One ballast per node, group 0's: the shard groups' DBs share its
	// disk, and a ballast each would take 1 GiB per shard kept.
	shardGroups.Index.Storage.BallastBytes = -1
	host := cluster.NewHost(cluster.HostConfig{NodeID: cfg.NodeID, Dir: filepath.Join(cfg.Dir, "shards"), Mux: mux, Group: shardGroups})
	meta := template
	meta.NodeID, meta.RaftAddr, meta.Dir, meta.Peers = cfg.NodeID, cfg.RaftAddr, filepath.Join(cfg.Dir, "cluster"), voters
	meta.Transport, meta.OwnTransport, meta.Observer = tr, true, host
	// Collection snapshots outlive restarts: in --snapshot-dir when
	// given, else beside the node's state (not in its DB, rebuilt at
	// every start).
	meta.SnapshotFiles = cmp.Or(cfg.Index.SnapshotDir, filepath.Join(cfg.Dir, "cluster", "snapshot-files"))
	node, err := cluster.Open(ctx, meta)
	if err != nil {
		return nil, errors.Join(err, host.Close(), mux.Close())
	}
	r := newReplica(node, cfg)
	r.mux, r.host, r.log = mux, host, cfg.Logger
	leaderRead := func(ctx context.Context, collection string, s int) (shard.Shard, error) {
		r.leaderReadsServed.Add(1)
		return r.leaderShard(ctx, collection, s)
	}
	r.reads, err = shard.NewHandler(shard.HandlerConfig{Shards: r.Shards, Leader: leaderRead, Logger: r.log})
	if err != nil {
		return nil, errors.Join(err, node.Close(), host.Close(), mux.Close())
	}
	if r.streams, r.stopStreams, err = startStreams(mux, r.reads); err != nil {
		return nil, errors.Join(err, node.Close(), host.Close(), mux.Close())
	}
	r.addrs = newRaftAddrs(node, cfg.Peers)
	// Keep connections to every peer: a search asks one per remote shard.
	pool := http.DefaultTransport.(*http.Transport).Clone()
	pool.MaxIdleConnsPerHost = 64
	// Internal answers are small and on a LAN: gzip costs more CPU than
	// it saves (measured: about a tenth of a remote shard's search).
	pool.DisableCompression = true
	r.shards = &shardWriter{self: cfg.NodeID, url: r.urlOf, host: host, apiKey: cfg.APIKey, client: &http.Client{Timeout: time.Minute, Transport: pool}}
	r.shards.mu.leaders = map[string]string{}
	r.stopTransfers = r.startTransfers()
	r.nudges = make(chan struct{}, 1)
	r.stopNudges = r.startNudges()
	node.Trainer().SetPublisher(r.publishModel)
	return r, nil
}

// DB is the node's database, for the API's reads: group 0's, which
// holds the unsharded collections whole and the sharded ones' schema.
func (r *Replica) DB() *index.DB { return r.node.DB() }

// Close stops the join loop, if any, then group 0, the shard groups and
// the Mux.
func (r *Replica) Close() error {
	r.stop()
	<-r.joined
	r.stopTransfers()
	r.stopNudges()
	r.stopStreams()
	return errors.Join(r.node.Close(), r.host.Close(), r.mux.Close())
}

func (r *Replica) Create(ctx context.Context, name string, cfg index.Config) error {
	return r.apply(ctx, cluster.Command{Create: &cluster.CreateCollection{Name: name, Config: cfg}})
}

func (r *Replica) Drop(ctx context.Context, name string) error {
	return r.apply(ctx, cluster.Command{Drop: &cluster.DropCollection{Name: name}})
}

// Apply implements httpapi.Writer; a sharded collection's operations
// are split by shard (applySharded).
func (r *Replica) Apply(ctx context.Context, collection string, ops []index.Operation) error {
	if p, ok := r.node.Placement(collection); ok {
		return r.applySharded(ctx, collection, p, ops)
	}
	return r.apply(ctx, cluster.Command{Apply: &cluster.ApplyOperations{Collection: collection, Ops: ops}})
}

// PayloadIndex implements httpapi.Writer; a sharded collection's goes
// to its schema, then to every shard.
func (r *Replica) PayloadIndex(ctx context.Context, collection, key string, typ index.FieldType) error {
	return r.everywhere(ctx, collection, cluster.Command{PayloadIndex: &cluster.SetPayloadIndex{Collection: collection, Key: key, Type: typ}})
}

// UpdateConfig implements httpapi.Writer, as PayloadIndex.
func (r *Replica) UpdateConfig(ctx context.Context, collection string, u index.ConfigUpdate) error {
	return r.everywhere(ctx, collection, cluster.Command{Config: &cluster.UpdateConfig{Collection: collection, Update: u}})
}

// everywhere applies cmd to group 0 and, for a sharded collection, to
// every shard group: group 0 first, which refuses a bad command before
// any shard sees it.
func (r *Replica) everywhere(ctx context.Context, collection string, cmd cluster.Command) error {
	if err := r.apply(ctx, cmd); err != nil {
		return err
	}
	p, ok := r.node.Placement(collection)
	if !ok {
		return nil
	}
	cmds := make([]*cluster.Command, p.Shards())
	for s := range cmds {
		cmds[s] = &cmd
	}
	return r.toShards(ctx, collection, p, cmds)
}

// CreateSharded implements httpapi.Sharder: the leader places the
// shards over the voters it knows (cluster.Place) and proposes the
// collection with its placement to group 0.
func (r *Replica) CreateSharded(ctx context.Context, name string, cfg index.Config, s httpapi.Sharding) error {
	if !r.node.IsLeader() {
		return unavailable(fmt.Errorf("%w: create a sharded collection", cluster.ErrNotLeader))
	}
	voters, err := r.node.Voters(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", httpapi.ErrUnavailable, err)
	}
	p, err := cluster.Place(voters, cfg, s.Shards, s.Replicas)
	if err != nil {
		return err
	}
	if err := r.apply(ctx, cluster.Command{CreateSharded: &cluster.CreateShardedCollection{Name: name, Placement: p}}); err != nil {
		return err
	}
	r.waitActive(ctx, name)
	return nil
}

// waitActive waits, up to shardRetryFor, for a replica of each of the
// collection's shards to know its group's leader, so that the reads
// and writes right after a create find the shards up. A shard still
// electing then is no error: its reads and writes wait or answer 503.
func (r *Replica) waitActive(ctx context.Context, name string) {
	ctx, cancel := context.WithTimeout(ctx, shardRetryFor)
	defer cancel()
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 100*time.Millisecond) {
		info, err := r.ShardInfo(ctx, name)
		if err == nil && allActive(info.(collectionClusterInfo)) {
			return
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return
		}
	}
}

func allActive(info collectionClusterInfo) bool {
	active := make([]bool, info.ShardCount)
	for _, s := range info.LocalShards {
		active[s.ShardID] = active[s.ShardID] || s.State == stateActive
	}
	for _, s := range info.RemoteShards {
		active[s.ShardID] = active[s.ShardID] || s.State == stateActive
	}
	return !slices.Contains(active, false)
}

// apply proposes cmd. Not being the leader (any more) and an unknown
// outcome are the API's ErrUnavailable: retry, idempotently.
func (r *Replica) apply(ctx context.Context, cmd cluster.Command) error {
	return unavailable(r.node.Apply(ctx, cmd))
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

// Barrier implements httpapi.Replica with group 0's read index
// (cluster.Node.ReadIndex): every entry committed before the call is
// applied here when it returns, and nothing is written to the log.
func (r *Replica) Barrier(ctx context.Context) error {
	return unavailable(r.node.ReadIndex(ctx))
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
	if stats["state"] == "Leader" {
		// Followers wait for the commit index a leader reports here
		// (Ready): it must be the cluster's, not a new leader's first guess.
		commit, err := leaderCommit(ctx, r.node)
		if err != nil {
			return nil, err
		}
		stats["commit_index"] = strconv.FormatUint(commit, 10)
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

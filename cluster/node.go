package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/quiver-db/quiver/cluster/raftstore"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/trainer"
)

// Errors returned by Node, wrapped with context.
var (
	// ErrNotLeader marks a request refused because this node is not the
	// leader; nothing entered the log, and it may be sent to the leader.
	ErrNotLeader = errors.New("cluster: not the leader")
	// ErrUnknownOutcome marks an entry (a write, a membership change)
	// proposed but not known to be committed (leadership lost, the
	// deadline passed, the node shut down): it may still commit, or not.
	// A retried write must be idempotent.
	ErrUnknownOutcome = errors.New("cluster: outcome unknown, the entry may yet commit")
)

// Peer is a voter of the cluster's initial configuration.
type Peer struct {
	ID   string
	Addr string
}

// Config configures Open. Zero durations and counts take raft's defaults.
type Config struct {
	// NodeID is this node's Raft server ID, unique in the cluster.
	NodeID string
	// RaftAddr is the address the TCP transport listens on and that peers
	// reach this node at; with Transport set it must be its address.
	RaftAddr string
	// Dir holds the node's state: raft/ (log, term, vote), snapshots/
	// (Raft's snapshots) and index/ (the DB, rebuilt at every Open).
	Dir string
	// Peers, on a node without Raft state, bootstraps a cluster of these
	// voters, which include this node; every node of a new cluster gets
	// the same list. Empty: the node waits to be added by AddVoter.
	Peers []Peer
	// Transport, when set, replaces the TCP transport (tests pass
	// raft.InmemTransport, a Mux's transport). Close leaves it open
	// unless OwnTransport.
	Transport    raft.Transport
	OwnTransport bool
	// SnapshotThreshold is how many entries after the last snapshot make
	// raft take another (default 8192); SnapshotInterval how often raft
	// checks (default 120 s); TrailingLogs how many entries a snapshot
	// leaves in the log for followers that lag a little (default 10240).
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64
	// HeartbeatTimeout and ElectionTimeout (default 1 s each) bound how
	// soon a lost leader is noticed; LeaderLeaseTimeout (default 500 ms)
	// how soon a leader cut off from a majority steps down.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	// Index are the DB's options; every node must use the same limits.
	// SnapshotDir is set by Open (SnapshotFiles).
	Index index.Options
	// SnapshotFiles is the directory of the DB's snapshot files: the
	// collection snapshots users create and download, and the FSM's own
	// while Raft persists them. Empty means one inside the DB's
	// directory, which every open clears (a shard group's, whose
	// snapshot files are the FSM's only).
	SnapshotFiles string
	// Logger receives the node's and raft's logs; nil is slog.Default().
	Logger *slog.Logger
	// Init, when set, runs on the new, empty DB before Raft restores and
	// replays into it: a shard group creates its collection there, since
	// its log holds only the shard's writes. It must be deterministic.
	Init func(ctx context.Context, db *index.DB) error
	// Observer hears of the sharded collections the log creates and
	// drops (group 0's); nil: nobody listens.
	Observer PlacementObserver
	// Trainer, when set, is the node's trainer, which the FSM installs
	// trained models into and the API serves them from; nil means a new
	// one (Node.Trainer). Open makes it publish its models to the log.
	Trainer *trainer.Trainer
}

// Validate reports every problem with c.
func (c *Config) Validate() error {
	var errs []error
	if c.NodeID == "" {
		errs = append(errs, errors.New("node id is empty"))
	}
	if c.Dir == "" {
		errs = append(errs, errors.New("dir is empty"))
	}
	if c.RaftAddr == "" {
		errs = append(errs, errors.New("raft address is empty"))
	}
	seen := map[string]bool{}
	self := false
	for _, p := range c.Peers {
		if p.ID == "" || p.Addr == "" || seen[p.ID] {
			errs = append(errs, fmt.Errorf("peer %q at %q: want a unique id and an address", p.ID, p.Addr))
		}
		seen[p.ID] = true
		self = self || p.ID == c.NodeID
	}
	if len(c.Peers) > 0 && !self {
		errs = append(errs, fmt.Errorf("peers do not include this node %q", c.NodeID))
	}
	return errors.Join(errs...)
}

// Node is one member of a replicated Quiver: a Raft server whose FSM is
// an index.DB. It is safe for concurrent use.
type Node struct {
	id        string
	raft      *raft.Raft
	fsm       *fsm
	db        *index.DB
	store     *raftstore.Store
	transport raft.Transport
	// ownTransport says Close closes the transport: Open made it.
	ownTransport bool
	log          *slog.Logger

	tail tailScan // CaughtUp's progress
	// confirmedTerm is the last term in which this node, leading, ran a
	// barrier (LeaderCommitIndex).
	confirmedTerm atomic.Uint64

	closeOnce sync.Once
	closeErr  error // set by closeOnce
}

// Open starts a node from cfg.Dir, bootstrapping the cluster of cfg.Peers
// if the node has no Raft state yet. The DB starts empty and Raft
// rebuilds it from the newest snapshot and the log (doc.go, invariant 4);
// ctx bounds opening the DB.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cluster config: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	n := &Node{id: cfg.NodeID, log: cfg.Logger.With("node", cfg.NodeID)}
	if err := n.open(ctx, cfg); err != nil {
		return nil, errors.Join(err, n.closeParts())
	}
	return n, nil
}

func (n *Node) open(ctx context.Context, cfg Config) error {
	indexDir := filepath.Join(cfg.Dir, "index")
	if err := os.RemoveAll(indexDir); err != nil {
		return fmt.Errorf("cluster: clear %s: %w", indexDir, err)
	}
	opts := cfg.Index
	opts.SnapshotDir = cfg.SnapshotFiles
	if opts.SnapshotDir == "" {
		opts.SnapshotDir = filepath.Join(indexDir, "snapshots")
	}
	// The DB is rebuilt from the Raft log at every open (invariant 4), and
	// the log syncs every append: a sync per applied command would only
	// slow the apply loop, and with it every replay after a restart.
	opts.Storage.NoSync = true
	if opts.Logger == nil {
		opts.Logger = n.log
	}
	var err error
	if n.db, err = index.Open(ctx, indexDir, opts); err != nil {
		return fmt.Errorf("cluster: open index: %w", err)
	}
	if cfg.Init != nil {
		if err := cfg.Init(ctx, n.db); err != nil {
			return fmt.Errorf("cluster: init the index: %w", err)
		}
	}
	if n.store, err = raftstore.Open(filepath.Join(cfg.Dir, "raft"), raftstore.Options{}); err != nil {
		return err
	}
	hl := newHclogger(n.log)
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, 2, hl)
	if err != nil {
		return fmt.Errorf("cluster: snapshot store: %w", err)
	}
	n.transport, n.ownTransport = cfg.Transport, cfg.OwnTransport
	if n.transport == nil {
		if n.transport, err = raft.NewTCPTransportWithLogger(cfg.RaftAddr, nil, 3, 10*time.Second, hl); err != nil {
			return fmt.Errorf("cluster: transport: %w", err)
		}
		n.ownTransport = true
	}
	rc := raftConfig(cfg, hl)
	if err := n.bootstrap(cfg, rc, snaps); err != nil {
		return err
	}
	n.fsm = &fsm{db: n.db, snapDir: opts.SnapshotDir, log: n.log, trainer: cfg.Trainer, observer: cfg.Observer}
	if n.fsm.trainer == nil {
		n.fsm.trainer = trainer.New(n.log)
	}
	n.fsm.trainer.SetPublisher(n.publishModel)
	if n.raft, err = raft.NewRaft(rc, n.fsm, n.store, n.store, snaps, n.transport); err != nil {
		return fmt.Errorf("cluster: start raft: %w", err)
	}
	return nil
}

func raftConfig(cfg Config, hl *hclogger) *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.Logger = hl
	set := func(dst *time.Duration, v time.Duration) {
		if v != 0 {
			*dst = v
		}
	}
	set(&rc.HeartbeatTimeout, cfg.HeartbeatTimeout)
	set(&rc.ElectionTimeout, cfg.ElectionTimeout)
	set(&rc.LeaderLeaseTimeout, cfg.LeaderLeaseTimeout)
	set(&rc.SnapshotInterval, cfg.SnapshotInterval)
	if cfg.SnapshotThreshold != 0 {
		rc.SnapshotThreshold = cfg.SnapshotThreshold
	}
	if cfg.TrailingLogs != 0 {
		rc.TrailingLogs = cfg.TrailingLogs
	}
	return rc
}

// bootstrap writes the initial configuration on a node without state.
func (n *Node) bootstrap(cfg Config, rc *raft.Config, snaps raft.SnapshotStore) error {
	if len(cfg.Peers) == 0 {
		return nil
	}
	has, err := raft.HasExistingState(n.store, n.store, snaps)
	if err != nil || has {
		return err
	}
	var conf raft.Configuration
	for _, p := range cfg.Peers {
		conf.Servers = append(conf.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Addr)})
	}
	if err := raft.BootstrapCluster(rc, n.store, n.store, snaps, n.transport, conf); err != nil {
		return fmt.Errorf("cluster: bootstrap: %w", err)
	}
	return nil
}

// Trainer is the node's trainer: models the FSM installed, and
// trainings that publish their model to the log (on the leader).
func (n *Node) Trainer() *trainer.Trainer { return n.fsm.trainer }

// publishModel proposes a model trained here; every replica installs it.
func (n *Node) publishModel(ctx context.Context, c *index.Collection, m trainer.Trained) error {
	return n.Apply(ctx, Command{Model: &InstallModel{Collection: c.Name(), Model: m}})
}

// DB is the node's database, for reads only (doc.go, invariant 1).
func (n *Node) DB() *index.DB { return n.db }

// Close stops Raft, then closes the log store and the DB, and the
// transport if Open made it. Later calls return the first's error.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		var err error
		if n.raft != nil {
			err = n.raft.Shutdown().Error()
		}
		n.closeErr = errors.Join(err, n.closeParts())
	})
	return n.closeErr
}

// closeParts closes what open opened, in reverse; Raft must be stopped.
func (n *Node) closeParts() error {
	var errs []error
	if c, ok := n.transport.(raft.WithClose); ok && n.ownTransport {
		errs = append(errs, c.Close())
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
	}
	if n.db != nil {
		errs = append(errs, n.db.Close())
	}
	return errors.Join(errs...)
}

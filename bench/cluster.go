package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The fault run (issue 14): N `quiver serve` processes on loopback (or
// each in its own network namespace, for partitions), clients
// writing, deleting and reading through different nodes, and faults
// injected in seeded cycles. The history it records is judged afterwards
// by CheckHistory against every replica's final state.

// ClusterConfig configures RunCluster. Zero fields take the defaults named.
type ClusterConfig struct {
	Binary   string // the quiver binary, run as `Binary serve ...`
	Nodes    int    // 3 or 5 (default 3)
	Cycles   int    // faults injected (default 24)
	Clients  int    // concurrent clients (default 4)
	Points   int    // point ids the clients write, 1..Points (default 100)
	Seed     uint64 // picks faults, victims and operations (default 1)
	Dir      string // parent of the nodes' data directories (default a temporary one, removed)
	Progress io.Writer
	// Hold is how long a killed node stays down (default 2s); Pause how
	// long a leader stays stopped, longer than the 1s election timeout
	// (default 3s).
	Hold, Pause time.Duration
	// OpTimeout bounds each client request (default 2s); a write that
	// times out has an unknown outcome.
	OpTimeout time.Duration
	// Kinds are the faults to inject, in shuffled rounds (default
	// ProcessFaults, with PartitionFaults too under Netns).
	Kinds []string
	// Netns runs each node in its own network namespace (needs root), for
	// the partitions and slow-link.
	Netns bool
	// Partition is how long a partition or a slowed link or disk lasts
	// (default 4s): past the election timeout, so the majority side elects.
	Partition time.Duration
	// Shards, above 1, makes the collection sharded: shard_number Shards,
	// a replica of every shard on every node (replication_factor Nodes),
	// so each shard's Raft group takes the faults group 0 takes, and the
	// per-replica checks still read every point on every node.
	Shards int
}

// FaultEvent is one injected fault: its victims, when it began and when
// every victim was back, and how long from its start until the first
// acknowledged write sent after every victim was stopped (-1: none). Times are since the run's start.
type FaultEvent struct {
	Kind    string        `json:"kind"`
	Victims []string      `json:"victims"`
	At      time.Duration `json:"at"`
	// Down is when every victim was stopped or cut off (At plus the
	// kills' or the routes' time): a majority loss starts there.
	Down   time.Duration `json:"down"`
	Healed time.Duration `json:"healed"`
	// Ready is how long after the heal every node answered /readyz 200
	// (a restarted node once it has caught up).
	Ready time.Duration `json:"ready"`
	// Settled is when, after the heal, every node was ready, a leader
	// agreed and a write acknowledged: the calm until the next fault
	// starts there.
	Settled time.Duration `json:"settled"`
	Recover time.Duration `json:"recover"`
	// Minority are the nodes a partition left reaching less than a
	// majority: writes sent to them after Down and answered before
	// Healed must not be acknowledged.
	Minority []string `json:"minority,omitempty"`
	// LeaderCut is set when a partition left the leader in the minority.
	// Then StepDown is how long after Down it stopped saying it leads,
	// Elected how long until the other side agreed on a new leader (-1:
	// not within the partition, or not such a partition).
	LeaderCut bool          `json:"leader_cut,omitempty"`
	StepDown  time.Duration `json:"step_down"`
	Elected   time.Duration `json:"elected"`
	// During is the writes sent after Down and answered before Healed:
	// how many were acknowledged and their latency.
	During WriteWindow `json:"during"`
	// Lag is how many entries the least advanced node's commit index was
	// behind the furthest one's when the fault began.
	Lag uint64 `json:"lag"`
	// Violations counts writes acknowledged that the fault forbade: while
	// a majority was down, or by a minority-side node.
	Violations int `json:"violations"`
}

// WriteWindow is the writes of a time window: acknowledged, per second,
// and the acknowledged ones' latency.
type WriteWindow struct {
	Acked  int           `json:"acked"`
	PerSec float64       `json:"per_sec"`
	P50    time.Duration `json:"p50"`
	P99    time.Duration `json:"p99"`
}

// writeWindow summarises the writes sent after and answered within one
// of the windows (from, to pairs).
func writeWindow(ops []ClusterOp, windows ...[2]time.Duration) WriteWindow {
	var lat []time.Duration
	var span time.Duration
	for _, win := range windows {
		span += win[1] - win[0]
		for _, o := range ops {
			if o.isWrite() && o.Outcome == Acked && o.Start > win[0] && o.End < win[1] {
				lat = append(lat, o.End-o.Start)
			}
		}
	}
	w := WriteWindow{Acked: len(lat)}
	if span > 0 {
		w.PerSec = float64(len(lat)) / span.Seconds()
	}
	if len(lat) > 0 {
		w.P50, w.P99 = percentile(lat, 0.5), percentile(lat, 0.99)
	}
	return w
}

// ClusterResult is a fault run's history, faults and verdicts.
type ClusterResult struct {
	Nodes, Clients, Points int
	Seed                   uint64
	Duration               time.Duration
	Ops                    []ClusterOp
	Faults                 []FaultEvent
	Check                  HistoryCheck
	// Violations are writes acknowledged while a majority was down (sent
	// after the last victim's kill, answered before the restart), or by a
	// node a partition left in a minority.
	Violations []string
	// MajorityLossWrites counts the writes sent and answered while a
	// majority was down, MinorityWrites those sent to and answered by a
	// minority-side node during a partition: each must fail or have an
	// unknown outcome.
	MajorityLossWrites int
	MinorityWrites     int
	// Kinds are the fault kinds drawn from; Notes say what the machine
	// lacked (tc netem for a fixed delay, ...).
	Kinds []string
	Notes []string
	// ReplicasDiffer names replicas whose points (ids, vectors, payloads)
	// differ from the first's; SearchMismatches counts searches that
	// answered other ids on some node.
	ReplicasDiffer   []string
	SearchMismatches int
	// Interactions is the verdict on the users' interactions.
	Interactions InteractionCheck
	Searches     int
	FinalPoints  int
	// Calm is the writes outside every fault (from the start to the
	// first, between a heal's recovery and the next), for comparison with
	// each fault's During.
	Calm         WriteWindow
	LoadAvgStart string
	LoadAvgEnd   string
}

func (c *ClusterConfig) defaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Nodes, 3)
	def(&c.Cycles, 24)
	def(&c.Clients, 4)
	def(&c.Points, 100)
	if c.Seed == 0 {
		c.Seed = 1
	}
	for _, d := range []struct {
		v *time.Duration
		d time.Duration
	}{{&c.Hold, 2 * time.Second}, {&c.Pause, 3 * time.Second}, {&c.OpTimeout, 2 * time.Second}, {&c.Partition, 4 * time.Second}} {
		if *d.v == 0 {
			*d.v = d.d
		}
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	if len(c.Kinds) == 0 {
		c.Kinds = slices.Clone(ProcessFaults)
		if c.Netns {
			c.Kinds = append(c.Kinds, PartitionFaults...)
		}
	}
}

// validate refuses kinds this configuration cannot inject, naming why.
func (c *ClusterConfig) validate() error {
	var errs []error
	if c.Nodes != 3 && c.Nodes != 5 {
		errs = append(errs, fmt.Errorf("cluster of %d nodes: 3 or 5", c.Nodes))
	}
	for _, k := range c.Kinds {
		if !slices.Contains(AllFaults, k) {
			errs = append(errs, fmt.Errorf("unknown fault kind %q", k))
		} else if needsNetns(k) && !c.Netns {
			errs = append(errs, fmt.Errorf("fault kind %s cuts or slows links between nodes: it needs --netns (each node in its own network namespace, as root)", k))
		}
	}
	return errors.Join(errs...)
}

// faultRun is one RunCluster's state.
type faultRun struct {
	cfg     ClusterConfig
	nodes   []*clusterNode
	lab     *netLab       // under Netns
	disk    *diskThrottle // when slow-disk is among the kinds
	t0      time.Time
	version atomic.Int64
	ops     [][]ClusterOp // per client; each client appends to its own
	counts  struct{ acked, unknown, failed atomic.Int64 }
	// lastWrite is when (since t0) the latest acknowledged write ended.
	lastWrite atomic.Int64
}

func (r *faultRun) since() time.Duration { return time.Since(r.t0) }

// RunCluster starts the cluster, runs the clients through cfg.Cycles
// faults, heals everything, and checks the history against the replicas.
func RunCluster(ctx context.Context, cfg ClusterConfig) (*ClusterResult, error) {
	cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	root := cfg.Dir
	if root != "" {
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, err
		}
	} else {
		dir, err := os.MkdirTemp("", "quiver-bench-cluster-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		root = dir
	}
	res := &ClusterResult{Nodes: cfg.Nodes, Clients: cfg.Clients, Points: cfg.Points, Seed: cfg.Seed, LoadAvgStart: loadAverage(), Kinds: cfg.Kinds}
	r := &faultRun{cfg: cfg, ops: make([][]ClusterOp, cfg.Clients)}
	place := loopbackPlace
	if cfg.Netns {
		lab, notes, err := openFaultNetwork(cfg)
		if err != nil {
			return nil, err
		}
		defer lab.close()
		r.lab, res.Notes = lab, notes
		place = func(i int) (string, string, string, error) { return lab.httpAddr(i), lab.raftAddr(i), lab.ns(i), nil }
	}
	if slices.Contains(cfg.Kinds, FaultSlowDisk) {
		disk, err := openDiskThrottle(root)
		if err != nil {
			return nil, fmt.Errorf("fault kind %s: %w", FaultSlowDisk, err)
		}
		defer disk.close()
		r.disk = disk
	}
	for _, n := range res.Notes {
		fmt.Fprintf(cfg.Progress, "note: %s\n", n)
	}
	nodes, err := startNodesAt(ctx, cfg.Binary, root, cfg.Nodes, place)
	if err != nil {
		return nil, err
	}
	defer stopNodes(nodes)
	r.nodes = nodes
	if _, err := leaderOf(ctx, nodes, 30*time.Second); err != nil {
		return nil, err
	}
	if err := createClusterCollection(ctx, nodes[len(nodes)-1], r.cfg); err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Progress, "cluster: %d nodes, %d clients over %d points, %d faults of %s, seed %d (node logs under %s)\n", cfg.Nodes, cfg.Clients, cfg.Points, cfg.Cycles, strings.Join(cfg.Kinds, ","), cfg.Seed, root)

	r.t0 = time.Now()
	cctx, stopClients := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for c := range cfg.Clients {
		wg.Add(1)
		go func() { defer wg.Done(); r.client(cctx, c) }()
	}
	faultErr := r.faults(ctx, res)
	stopClients()
	wg.Wait()
	res.Duration = r.since()
	if faultErr != nil {
		return nil, faultErr
	}
	for _, ops := range r.ops {
		res.Ops = append(res.Ops, ops...)
	}
	if err := r.verify(ctx, res); err != nil {
		return nil, err
	}
	res.LoadAvgEnd = loadAverage()
	return res, nil
}

func createClusterCollection(ctx context.Context, n *clusterNode, cfg ClusterConfig) error {
	body := map[string]any{"vectors": map[string]any{"size": 4, "distance": "Euclid"}}
	if cfg.Shards > 1 {
		body["shard_number"], body["replication_factor"] = cfg.Shards, cfg.Nodes
	}
	code, raw, err := httpCall(ctx, "PUT", n.url()+"/collections/c", body, 10*time.Second)
	if err != nil || code != http.StatusOK {
		return errors.Join(err, fmt.Errorf("create the collection through node %s: %d %s", n.id, code, raw))
	}
	return createUsersCollection(ctx, n, body)
}

// versionVector is the vector an upsert of version v writes, so replicas
// that hold the same version hold the same vector.
func versionVector(v int64) []float32 {
	rng := rand.New(rand.NewPCG(uint64(v), 11))
	out := make([]float32, 4)
	for i := range out {
		out[i] = rng.Float32()*2 - 1
	}
	return out
}

// client sends operations until ctx ends: 5% interactions (of the users'
// collection), 40% upserts, 15% deletes, 20% majority reads of one point,
// 20% local searches, starting at its own
// node and moving to the next after any answer but 200.
func (r *faultRun) client(ctx context.Context, c int) {
	rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(c)+1))
	at := c
	for ctx.Err() == nil {
		n := r.nodes[at%len(r.nodes)]
		o := ClusterOp{Client: c, Node: at % len(r.nodes), Point: uint64(rng.IntN(r.cfg.Points) + 1)}
		p := rng.IntN(100)
		o.Start = r.since()
		switch {
		case p < 5:
			o.Kind, o.Value, o.Point = OpInteract, r.version.Add(1), uint64(rng.IntN(userItems)+1)
			o.Outcome = writeOutcome(httpCall(ctx, "PUT", n.url()+"/collections/"+usersCollection+"/interactions", interaction(o), r.cfg.OpTimeout))
		case p < 45:
			o.Kind, o.Value = OpUpsert, r.version.Add(1)
			pt := map[string]any{"id": o.Point, "vector": versionVector(o.Value), "payload": map[string]any{"v": o.Value}}
			o.Outcome = writeOutcome(httpCall(ctx, "PUT", n.url()+"/collections/c/points", map[string]any{"points": []any{pt}}, r.cfg.OpTimeout))
		case p < 60:
			o.Kind = OpDelete
			o.Outcome = writeOutcome(httpCall(ctx, "POST", n.url()+"/collections/c/points/delete", map[string]any{"points": []uint64{o.Point}}, r.cfg.OpTimeout))
		case p < 80:
			o.Kind = OpRead
			o.Value, o.Outcome = readPoint(ctx, n, o.Point, r.cfg.OpTimeout)
		default:
			o.Kind = OpSearch
			code, _, err := httpCall(ctx, "POST", n.url()+"/collections/c/points/search",
				map[string]any{"vector": versionVector(rng.Int64()), "limit": 5}, r.cfg.OpTimeout)
			o.Outcome = Failed
			if err == nil && code == http.StatusOK {
				o.Outcome = Acked
			}
		}
		o.End = r.since()
		if ctx.Err() != nil && o.Outcome != Acked {
			// The run's end cut the request short: its outcome is
			// unknown, whatever the error says.
			if o.isWrite() {
				o.Outcome = Unknown
			} else {
				return
			}
		}
		r.ops[c] = append(r.ops[c], o)
		switch o.Outcome {
		case Acked:
			r.counts.acked.Add(1)
			if o.isWrite() {
				r.lastWrite.Store(int64(o.End))
			}
		case Unknown:
			r.counts.unknown.Add(1)
		default:
			r.counts.failed.Add(1)
		}
		if o.Outcome != Acked {
			at++
			select {
			case <-time.After(20 * time.Millisecond):
			case <-ctx.Done():
			}
		}
	}
}

// writeOutcome classes a write's answer: 200 acknowledged; refused
// connections, 4xx and "no leader known" (nothing proposed) failed;
// anything else (503 after proposing or a forward that broke, timeouts)
// unknown.
func writeOutcome(code int, body []byte, err error) Outcome {
	switch {
	case err != nil && errors.Is(err, syscall.ECONNREFUSED):
		return Failed
	case err != nil:
		return Unknown
	case code == http.StatusOK:
		return Acked
	case code >= 400 && code < 500:
		return Failed
	case code == http.StatusServiceUnavailable && strings.Contains(string(body), "no leader known"):
		return Failed
	}
	return Unknown
}

// readPoint retrieves point id through n with consistency=majority and
// returns its version (0: absent).
func readPoint(ctx context.Context, n *clusterNode, id uint64, timeout time.Duration) (int64, Outcome) {
	code, raw, err := httpCall(ctx, "POST", n.url()+"/collections/c/points?consistency=majority", map[string]any{"ids": []uint64{id}, "with_payload": true}, timeout)
	if err != nil || code != http.StatusOK {
		return 0, Failed
	}
	var out struct {
		Result []struct {
			Payload struct {
				V int64 `json:"v"`
			} `json:"payload"`
		} `json:"result"`
	}
	if json.Unmarshal(raw, &out) != nil || len(out.Result) > 1 {
		return 0, Failed
	}
	if len(out.Result) == 0 {
		return 0, Acked
	}
	return out.Result[0].Payload.V, Acked
}

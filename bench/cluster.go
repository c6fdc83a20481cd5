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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The fault run (issue 14): N `quiver serve` processes on loopback, clients
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
}

// Fault kinds.
const (
	FaultKillLeader   = "kill-leader"
	FaultKillFollower = "kill-follower"
	FaultKillMajority = "kill-majority"
	FaultPauseLeader  = "pause-leader"
)

var faultKinds = []string{FaultKillLeader, FaultKillFollower, FaultKillMajority, FaultPauseLeader}

// FaultEvent is one injected fault: its victims, when it began and when
// every victim was back, and how long from its start until the first
// acknowledged write sent after every victim was stopped (-1: none). Times are since the run's start.
type FaultEvent struct {
	Kind    string        `json:"kind"`
	Victims []string      `json:"victims"`
	At      time.Duration `json:"at"`
	// Down is when every victim was stopped (At plus the kills' time):
	// a majority loss starts there.
	Down    time.Duration `json:"down"`
	Healed  time.Duration `json:"healed"`
	Recover time.Duration `json:"recover"`
}

// ClusterResult is a fault run's history, faults and verdicts.
type ClusterResult struct {
	Nodes, Clients, Points int
	Seed                   uint64
	Duration               time.Duration
	Ops                    []ClusterOp
	Faults                 []FaultEvent
	Check                  HistoryCheck
	// Violations are writes acknowledged while a majority was down
	// (sent after the last victim's kill, answered before the restart).
	Violations []string
	// MajorityLossWrites counts the writes sent and answered while a
	// majority was down: each must fail or have an unknown outcome.
	MajorityLossWrites int
	// ReplicasDiffer names replicas whose points (ids, vectors, payloads)
	// differ from the first's; SearchMismatches counts searches that
	// answered other ids on some node.
	ReplicasDiffer   []string
	SearchMismatches int
	Searches         int
	FinalPoints      int
	LoadAvgStart     string
	LoadAvgEnd       string
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
	}{{&c.Hold, 2 * time.Second}, {&c.Pause, 3 * time.Second}, {&c.OpTimeout, 2 * time.Second}} {
		if *d.v == 0 {
			*d.v = d.d
		}
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
}

// faultRun is one RunCluster's state.
type faultRun struct {
	cfg     ClusterConfig
	nodes   []*clusterNode
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
	if cfg.Nodes != 3 && cfg.Nodes != 5 {
		return nil, fmt.Errorf("cluster of %d nodes: 3 or 5", cfg.Nodes)
	}
	root := cfg.Dir
	if root == "" {
		dir, err := os.MkdirTemp("", "quiver-bench-cluster-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		root = dir
	}
	res := &ClusterResult{Nodes: cfg.Nodes, Clients: cfg.Clients, Points: cfg.Points, Seed: cfg.Seed, LoadAvgStart: loadAverage()}
	nodes, err := startNodes(ctx, cfg.Binary, root, cfg.Nodes)
	if err != nil {
		return nil, err
	}
	defer stopNodes(nodes)
	r := &faultRun{cfg: cfg, nodes: nodes, ops: make([][]ClusterOp, cfg.Clients)}
	if _, err := leaderOf(ctx, nodes, 30*time.Second); err != nil {
		return nil, err
	}
	if err := createClusterCollection(ctx, nodes[len(nodes)-1]); err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Progress, "cluster: %d nodes, %d clients over %d points, %d faults, seed %d (node logs under %s)\n", cfg.Nodes, cfg.Clients, cfg.Points, cfg.Cycles, cfg.Seed, root)

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

func createClusterCollection(ctx context.Context, n *clusterNode) error {
	code, raw, err := httpCall(ctx, "PUT", n.url()+"/collections/c", map[string]any{"vectors": map[string]any{"size": 4, "distance": "Euclid"}}, 10*time.Second)
	if err != nil || code != http.StatusOK {
		return errors.Join(err, fmt.Errorf("create the collection through node %s: %d %s", n.id, code, raw))
	}
	return nil
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

// client sends operations until ctx ends: 45% upserts, 15% deletes, 20%
// majority reads of one point, 20% local searches, starting at its own
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

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"
)

// The latency side of issue 14: the same points and requests through a
// 3-node cluster and through a single node, one request at a time, with
// each node's CPU seconds per phase so the cost of replication per write
// and per search can be projected to machines where the nodes do not
// share two cores.

// ClusterLatencyConfig configures RunClusterLatency.
type ClusterLatencyConfig struct {
	Binary  string
	Points  int // loaded in 100-point upserts first (default 10000)
	Dim     int // random vectors' dimension (default 64)
	Samples int // requests timed per single-point measure (default 1000)
	Seed    uint64
	// Shards, when above 0, measures the cost of scatter-gather instead:
	// a collection of this shard_number in a 1-node cluster beside the
	// same in a 3-node cluster, whose replication_factor is Replicas
	// (default 1: each node keeps a third of the shards, and a search
	// asks the other two nodes for the rest).
	Shards, Replicas int
	Progress         io.Writer
}

// LatencySetup is one setup's figures. Requests go to the nodes in turn,
// so on the cluster two in three writes are forwarded by a follower.
type LatencySetup struct {
	Name  string
	Nodes int
	// Latency quantiles per measure: "upsert 1", "upsert 100",
	// "search local", "search majority".
	P50, P99 map[string]time.Duration
	// CPU is each node's CPU seconds per measure; Requests the requests
	// the measure sent.
	CPU      map[string][]float64
	Requests map[string]int
	// Throughput is searches a second with throughputClients clients at
	// once, sent to the nodes in turn (measure "search ×N" in CPU).
	Throughput float64
}

// ClusterLatencyResult is both setups and the machine's load.
type ClusterLatencyResult struct {
	Setups                   []LatencySetup
	Points, Dim, Samples     int
	Shards                   int
	LoadAvgStart, LoadAvgEnd string
	Cores                    int
}

var latencyMeasures = []string{"upsert 1", "upsert 100", "search local", "search majority"}

// RunClusterLatency measures a single node, then a 3-node cluster; with
// Shards, a 1-node cluster, then a 3-node one.
func RunClusterLatency(ctx context.Context, cfg ClusterLatencyConfig) (*ClusterLatencyResult, error) {
	if cfg.Points == 0 {
		cfg.Points = 10000
	}
	if cfg.Dim == 0 {
		cfg.Dim = 64
	}
	if cfg.Samples == 0 {
		cfg.Samples = 1000
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	res := &ClusterLatencyResult{Points: cfg.Points, Dim: cfg.Dim, Samples: cfg.Samples, Shards: cfg.Shards, LoadAvgStart: loadAverage(), Cores: runtime.NumCPU()}
	if cfg.Shards > 0 {
		if err := measureSharded(ctx, cfg, res); err != nil {
			return nil, err
		}
		res.LoadAvgEnd = loadAverage()
		return res, nil
	}
	for _, n := range []int{0, 3} {
		s, err := measureSetup(ctx, cfg, n)
		if err != nil {
			return nil, err
		}
		res.Setups = append(res.Setups, *s)
	}
	res.LoadAvgEnd = loadAverage()
	return res, nil
}

// latencyRun is one setup's processes with its collection loaded.
type latencyRun struct {
	cfg   ClusterLatencyConfig
	s     *LatencySetup
	nodes []*clusterNode
	dir   string
	rng   *rand.Rand
	// The throughput measure's blocks so far (measureThroughput).
	throughputTime time.Duration
	throughputLat  []time.Duration
}

// openSetup starts n nodes (0: a single node), creates the collection
// and measures the writes that load it.
func openSetup(ctx context.Context, cfg ClusterLatencyConfig, n int) (_ *latencyRun, err error) {
	dir, err := os.MkdirTemp("", "quiver-bench-cluster-latency-")
	if err != nil {
		return nil, err
	}
	run := &latencyRun{cfg: cfg, dir: dir, rng: rand.New(rand.NewPCG(cfg.Seed, 99))}
	defer func() {
		if err != nil {
			run.close()
		}
	}()
	if run.nodes, err = startNodes(ctx, cfg.Binary, dir, n); err != nil {
		return nil, err
	}
	s := &LatencySetup{Name: "single node", Nodes: len(run.nodes), P50: map[string]time.Duration{}, P99: map[string]time.Duration{},
		CPU: map[string][]float64{}, Requests: map[string]int{}}
	run.s = s
	create := map[string]any{"vectors": map[string]any{"size": cfg.Dim, "distance": "Cosine"}}
	if n > 0 {
		s.Name = fmt.Sprintf("%d-node cluster", n)
		if _, err := leaderOf(ctx, run.nodes, 30*time.Second); err != nil {
			return nil, err
		}
	}
	if cfg.Shards > 0 {
		rf := min(cfg.Replicas, n)
		s.Name = fmt.Sprintf("%d-node, %d shards, rf %d", n, cfg.Shards, rf)
		create["shard_number"], create["replication_factor"] = cfg.Shards, rf
	}
	code, raw, err := httpCall(ctx, "PUT", run.nodes[0].url()+"/collections/c", create, 10*time.Second)
	if err != nil || code != http.StatusOK {
		return nil, errors.Join(err, fmt.Errorf("create: %d %s", code, raw))
	}
	point := func(id int) map[string]any {
		return map[string]any{"id": id, "vector": run.vec(), "payload": map[string]any{"n": id % 10}}
	}
	batches := cfg.Points / 100
	if err := run.measure(ctx, "upsert 100", batches, -1, func(b int) (string, string, any) {
		pts := make([]any, 100)
		for i := range pts {
			pts[i] = point(b*100 + i + 1)
		}
		return "PUT", "/collections/c/points", map[string]any{"points": pts}
	}); err != nil {
		return nil, err
	}
	if err := run.measure(ctx, "upsert 1", cfg.Samples, -1, func(i int) (string, string, any) {
		return "PUT", "/collections/c/points", map[string]any{"points": []any{point(run.rng.IntN(cfg.Points) + 1)}}
	}); err != nil {
		return nil, err
	}
	return run, nil
}

func (run *latencyRun) close() {
	stopNodes(run.nodes)
	os.RemoveAll(run.dir)
}

// vec is a random query or point vector.
func (run *latencyRun) vec() []float32 {
	v := make([]float32, run.cfg.Dim)
	for i := range v {
		v[i] = run.rng.Float32()*2 - 1
	}
	return v
}

// measure sends count requests one at a time, to the nodes in turn or,
// with entry not negative, all to that node, and records their latency
// and each node's CPU as measure name.
func (run *latencyRun) measure(ctx context.Context, name string, count, entry int, req func(i int) (string, string, any)) error {
	fmt.Fprintf(run.cfg.Progress, "%s: %s, %d requests\n", run.s.Name, name, count)
	cpu := run.cpu()
	lat := make([]time.Duration, count)
	for i := range count {
		var err error
		if lat[i], err = run.send(ctx, name, i, entry, req); err != nil {
			return err
		}
	}
	run.record(name, lat, cpu)
	return nil
}

// send sends request i, to node i mod n or to entry.
func (run *latencyRun) send(ctx context.Context, name string, i, entry int, req func(i int) (string, string, any)) (time.Duration, error) {
	method, path, body := req(i)
	nd := run.nodes[i%len(run.nodes)]
	if entry >= 0 {
		nd = run.nodes[entry]
	}
	t := time.Now()
	code, raw, err := httpCall(ctx, method, nd.url()+path, body, 30*time.Second)
	took := time.Since(t)
	if err != nil || code != http.StatusOK {
		return 0, errors.Join(err, fmt.Errorf("%s: %s %s on node %s: %d %s", run.s.Name, name, path, nd.id, code, raw))
	}
	return took, nil
}

// cpu is each node's CPU seconds so far.
func (run *latencyRun) cpu() []float64 {
	out := make([]float64, len(run.nodes))
	for i, nd := range run.nodes {
		out[i] = nd.cpu()
	}
	return out
}

// record keeps measure name's latencies and each node's CPU since before.
func (run *latencyRun) record(name string, lat []time.Duration, before []float64) {
	for i, c := range run.cpu() {
		run.s.CPU[name] = append(run.s.CPU[name], c-before[i])
	}
	run.s.P50[name], run.s.P99[name] = percentile(lat, 0.5), percentile(lat, 0.99)
	run.s.Requests[name] = len(lat)
}

func measureSetup(ctx context.Context, cfg ClusterLatencyConfig, n int) (*LatencySetup, error) {
	run, err := openSetup(ctx, cfg, n)
	if err != nil {
		return nil, err
	}
	defer run.close()
	for _, c := range []struct{ name, params string }{{"search local", ""}, {"search majority", "?consistency=majority"}} {
		if err := run.measure(ctx, c.name, cfg.Samples, -1, func(int) (string, string, any) {
			return "POST", "/collections/c/points/search" + c.params, map[string]any{"vector": run.vec(), "limit": 10}
		}); err != nil {
			return nil, err
		}
	}
	return run.s, nil
}

// Report prints the latency table and the CPU table.
func (r *ClusterLatencyResult) Report() string {
	var sb strings.Builder
	if r.Shards > 0 {
		fmt.Fprintf(&sb, "latency: a collection of %d shards on a 1-node and a 3-node cluster running at once; %d points of dim %d loaded in 100-point upserts, then %d single-point upserts, into each in turn; then %d untimed searches and %d searches (limit 10), one request at a time, each query sent to both setups (A B, then B A), to the nodes in turn; %d more all through node 1; then %d clients at once in blocks A B A B (a write is split by the node it reaches, which sends each shard's part to that shard's leader; a search reads the node's own replicas and asks other nodes for the shards it lacks)\n",
			r.Shards, r.Points, r.Dim, r.Samples, r.Samples/2, r.Samples, r.Samples, throughputClients)
	} else {
		fmt.Fprintf(&sb, "latency: %d points of dim %d loaded in 100-point upserts, then %d single-point upserts, %d local and %d majority searches (limit 10), one request at a time, sent to the nodes in turn (on the cluster 2 in 3 reach a follower, which forwards writes and majority reads to the leader)\n",
			r.Points, r.Dim, r.Samples, r.Samples, r.Samples)
	}
	fmt.Fprintf(&sb, "SIMULATION: every node runs on this one %d-core machine (load average %s at start, %s at end), so the cluster's nodes share the cores the single node has alone; latency includes that contention, and CPU seconds per request are the figures to project from\n",
		r.Cores, r.LoadAvgStart, r.LoadAvgEnd)
	measures := latencyMeasures
	if r.Shards > 0 {
		measures = append(measures[:3:3], "search node 1", throughputMeasure)
	}
	fmt.Fprintf(&sb, "%-24s", "setup")
	for _, m := range measures {
		fmt.Fprintf(&sb, " %22s", m+" p50/p99")
	}
	sb.WriteString("\n")
	for _, s := range r.Setups {
		fmt.Fprintf(&sb, "%-24s", s.Name)
		for _, m := range measures {
			cell := "-"
			if s.Requests[m] > 0 {
				cell = fmt.Sprintf("%.2f/%.2f ms", millis(s.P50[m]), millis(s.P99[m]))
			}
			fmt.Fprintf(&sb, " %22s", cell)
		}
		sb.WriteString("\n")
	}
	if r.Shards > 0 && len(r.Setups) == 2 {
		one, three := r.Setups[0].P50["search local"], r.Setups[1].P50["search local"]
		fmt.Fprintf(&sb, "scatter-gather overhead of search p50: %+.1f%% (%.2f against %.2f ms)\n", 100*(millis(three)/millis(one)-1), millis(three), millis(one))
		if cpu := r.Setups[1].CPU["search node 1"]; len(cpu) == 3 && r.Setups[1].Requests["search node 1"] > 0 {
			n := float64(r.Setups[1].Requests["search node 1"])
			single := r.Setups[0].CPU["search node 1"][0] / float64(r.Setups[0].Requests["search node 1"])
			fmt.Fprintf(&sb, "CPU ms per search through node 1: entry role %.3f, peer roles %.3f and %.3f; single node %.3f (separate machines run the roles at once)\n",
				cpu[0]*1000/n, cpu[1]*1000/n, cpu[2]*1000/n, single*1000)
		}
	}
	if r.Shards > 0 && len(r.Setups) == 2 && r.Setups[0].Throughput > 0 {
		one, three := r.Setups[0], r.Setups[1]
		p1, p3 := projectedThroughput(one, r.Cores), projectedThroughput(three, r.Cores)
		fmt.Fprintf(&sb, "search throughput, %d clients: %s %.0f/s, %s %.0f/s on this machine (the nodes share its %d cores); projected with %d cores a node, by the busiest node's CPU per search: %.0f/s and %.0f/s (x%.2f)\n",
			throughputClients, one.Name, one.Throughput, three.Name, three.Throughput, r.Cores, r.Cores, p1, p3, p3/p1)
	}
	sb.WriteString("CPU seconds per 1000 requests (per node, then the sum; upsert 100 is per 1000 100-point requests):\n")
	for _, s := range r.Setups {
		for _, m := range measures {
			if s.Requests[m] == 0 {
				continue
			}
			var per []string
			sum := 0.0
			for _, c := range s.CPU[m] {
				v := c * 1000 / float64(s.Requests[m])
				sum += v
				per = append(per, fmt.Sprintf("%.2f", v))
			}
			fmt.Fprintf(&sb, "  %-24s %-16s nodes [%s] sum %.2f s\n", s.Name, m, strings.Join(per, " "), sum)
		}
	}
	return sb.String()
}

func millis(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/internal/progress"
	"github.com/quiver-db/quiver/recommend/eval"
	"github.com/quiver-db/quiver/trainer"
	"github.com/quiver-db/quiver/userid"
)

// The recommendation side of issue 14: bench rec --http's flow (movies as
// text, the train ratings as interactions, an iALS training, then
// recommendations scored on the test part) through a cluster of real
// `quiver serve` processes holding a sharded collection, beside the same
// flow through one single-node process of the same binary, on the same
// data, split and seed, in one job.

// RecClusterConfig configures RunRecCluster.
type RecClusterConfig struct {
	// Binary is the quiver executable the nodes run. Required.
	Binary string
	// Dir holds movies.csv and ratings.csv. Required.
	Dir string
	// ModelDir is the text model's directory, each node's --model.
	// Required.
	ModelDir string
	// Nodes is the cluster's size. Zero means 3.
	Nodes int
	// Shards is the collection's shard_number. Zero means Nodes.
	Shards int
	// Replicas is its replication_factor. Zero means 2, at most Nodes.
	Replicas int
	// Requests is the recommendations timed through each node. Zero
	// means 1000.
	Requests int
	// NewUsers is the users who arrive with no history (NewUsersAcross).
	// Zero means 200.
	NewUsers int
	// Limit, Batch, Factors and Seed are as in RecHTTPConfig (zero: 10,
	// 256, 64, 1).
	Limit, Batch, Factors int
	Seed                  uint64
	// ClusterFirst runs the cluster first, then the single node (B A
	// rather than A B), to tell drift in the machine's load from the
	// setups.
	ClusterFirst bool
	// Progress receives progress lines; nil means none.
	Progress io.Writer
}

func (c *RecClusterConfig) ensureDefaults() {
	if c.Nodes == 0 {
		c.Nodes = 3
	}
	if c.Shards == 0 {
		c.Shards = c.Nodes
	}
	if c.Replicas == 0 {
		c.Replicas = 2
	}
	c.Replicas = min(c.Replicas, c.Nodes)
	if c.Requests == 0 {
		c.Requests = 1000
	}
	if c.NewUsers == 0 {
		c.NewUsers = 200
	}
	h := RecHTTPConfig{Limit: c.Limit, Batch: c.Batch, Factors: c.Factors, Seed: c.Seed}
	h.ensureDefaults()
	c.Limit, c.Batch, c.Factors, c.Seed = h.Limit, h.Batch, h.Factors, h.Seed
}

// RecSetup is one setup's figures: a single node, or the cluster.
type RecSetup struct {
	Name     string `json:"name"`
	Nodes    int    `json:"nodes"`
	Shards   int    `json:"shards,omitempty"`
	Replicas int    `json:"replicas,omitempty"`
	// Leader is the node that led when the run started and TrainVia the
	// one the training was asked of (a follower on a cluster).
	Leader   string `json:"leader,omitempty"`
	TrainVia string `json:"train_via"`

	UpsertSecs   float64 `json:"upsert_seconds"`
	InteractSecs float64 `json:"interact_seconds"`
	// TrainSecs runs from POST .../train to the first GET
	// .../train?consistency=majority that reports the job done.
	TrainSecs float64 `json:"train_seconds"`
	// CPU is the nodes' CPU seconds, summed, per phase: "upsert",
	// "interactions", "train", "recommend" (the timed requests only).
	CPU map[string]float64 `json:"cpu_seconds"`

	// Recommend and RecommendServer are the plain recommendations
	// through each node (index i: node i+1), round trip and the
	// handler's own time.
	Recommend       []LatencyStats `json:"recommend"`
	RecommendServer []LatencyStats `json:"recommend_server"`
	// Quality is the served lists' test metrics by cf, user u asked of
	// node u % Nodes.
	Quality ServedQuality `json:"quality"`
	// Differing counts the users whose top Limit differs between nodes
	// (each user asked of every node); zero on a single node.
	Differing int `json:"differing"`
	// ColdShown counts the movies outside train (cold items, their cf
	// vectors mapped from their text vectors) in the users' top Limit
	// as the first node serves them, before any is dropped.
	ColdShown int `json:"cold_shown"`
	// served is each user's top Limit from the first node, as served;
	// cf every movie's cf vector read through the last node.
	served [][]uint64
	cf     map[int64][]float32
	// NewUsers is the new users' pass, after every other.
	NewUsers NewUsersAcross `json:"new_users"`
	// LocalShards is each node's local shards and their points, as GET
	// /collections/{c}/cluster reports them at the end.
	LocalShards []string `json:"local_shards"`
	// LoadAvg is /proc/loadavg at the setup's start and end.
	LoadAvg []string `json:"loadavg"`
}

// RecClusterResult is both setups, in the order they ran (the single
// node first unless ClusterFirst).
type RecClusterResult struct {
	Movies       int        `json:"movies"`
	Users        int        `json:"users"`
	Interactions int        `json:"interactions"`
	Model        string     `json:"model"`
	Factors      int        `json:"factors"`
	Limit        int        `json:"limit"`
	Seed         uint64     `json:"seed"`
	Requests     int        `json:"requests"`
	NewUsers     int        `json:"new_users"`
	Setups       []RecSetup `json:"setups"`
	ClusterFirst bool       `json:"cluster_first"`
	// Overlap is the mean share of a user's top 10 (movies in train)
	// that the cluster and the single node have in common; ServedOverlap
	// the same of the lists as served, cold items included.
	Overlap       float64 `json:"overlap_at_10"`
	ServedOverlap float64 `json:"served_overlap"`
	// Trained and Cold compare the cf vectors of the movies in train and
	// of the others (mapped from their text: per shard on the cluster).
	Trained     VectorAgreement `json:"trained_vectors"`
	Cold        VectorAgreement `json:"cold_vectors"`
	Cores       int             `json:"cores"`
	WallSeconds float64         `json:"wall_seconds"`
}

// RunRecCluster runs the flow through one single-node process, then
// through a cluster of cfg.Nodes processes (or the other way round with
// ClusterFirst).
func RunRecCluster(ctx context.Context, cfg RecClusterConfig) (*RecClusterResult, error) {
	cfg.ensureDefaults()
	start := time.Now()
	data, err := loadRecHTTPData(cfg.Dir, false)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(cfg.ModelDir)
	if err != nil {
		return nil, fmt.Errorf("text model: %w", err)
	}
	res := &RecClusterResult{Movies: len(data.movies), Users: len(data.ml.UserIDs), Interactions: len(data.ratings),
		Model: filepath.Base(abs), Factors: cfg.Factors, Limit: cfg.Limit, Seed: cfg.Seed, Requests: cfg.Requests, NewUsers: cfg.NewUsers, Cores: runtime.NumCPU(), ClusterFirst: cfg.ClusterFirst}
	sizes := []int{0, cfg.Nodes}
	if cfg.ClusterFirst {
		sizes = []int{cfg.Nodes, 0}
	}
	for _, n := range sizes {
		s, err := runRecSetup(ctx, cfg, data, abs, n)
		if err != nil {
			return nil, err
		}
		res.Setups = append(res.Setups, *s)
	}
	single, cluster := res.Setups[0], res.Setups[1]
	if cfg.ClusterFirst {
		single, cluster = cluster, single
	}
	res.Overlap = listOverlap(single.Quality.lists, cluster.Quality.lists, 10)
	res.ServedOverlap = listOverlap(single.served, cluster.served, cfg.Limit)
	trained, cold := moviesByClass(data)
	res.Trained, res.Cold = compareVectors(single.cf, cluster.cf, trained), compareVectors(single.cf, cluster.cf, cold)
	res.WallSeconds = time.Since(start).Seconds()
	return res, nil
}

// runRecSetup runs the flow on n nodes (0: a single node).
func runRecSetup(ctx context.Context, cfg RecClusterConfig, data *recHTTPData, modelDir string, n int) (*RecSetup, error) {
	dir, err := os.MkdirTemp("", "quiver-bench-rec-cluster-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	nodes, err := startNodes(ctx, cfg.Binary, dir, n, "--model", modelDir)
	if err != nil {
		return nil, err
	}
	defer stopNodes(nodes)
	s := &RecSetup{Name: "single node", Nodes: len(nodes), CPU: map[string]float64{}, LoadAvg: []string{loadAverage()}}
	create := map[string]any{"vectors": map[string]any{
		"text": map[string]any{"model": filepath.Base(modelDir)},
		"cf":   map[string]any{"size": cfg.Factors, "distance": "Dot"},
	}}
	via := 0
	if n > 0 {
		s.Name = fmt.Sprintf("%d nodes, %d shards, rf %d", n, cfg.Shards, cfg.Replicas)
		s.Shards, s.Replicas = cfg.Shards, cfg.Replicas
		lead, err := leaderOf(ctx, nodes, 30*time.Second)
		if err != nil {
			return nil, err
		}
		s.Leader = nodes[lead].id
		via = (lead + 1) % len(nodes) // a follower
		create["shard_number"], create["replication_factor"] = cfg.Shards, cfg.Replicas
	}
	s.TrainVia = nodes[via].id
	cls := make([]*client.Client, len(nodes))
	addrs := make([]string, len(nodes))
	for i, nd := range nodes {
		cls[i], addrs[i] = &client.Client{URL: nd.url()}, nd.addr
	}
	if err := cls[0].Do(ctx, http.MethodPut, "/collections/"+recHTTPCollection, create, nil); err != nil {
		return nil, fmt.Errorf("%s: create: %w", s.Name, err)
	}
	cpu := cpuMeter(nodes)
	h := RecHTTPConfig{Batch: cfg.Batch, Seed: cfg.Seed, Progress: cfg.Progress}
	var sink RecHTTPResult
	if err := upsertMovies(ctx, cls, h, data.movies, filepath.Base(modelDir), &sink); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	s.UpsertSecs, s.CPU["upsert"] = sink.UpsertSecs, cpu()
	if err := sendRatings(ctx, cls, h, data, &sink); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	s.InteractSecs, s.CPU["interactions"] = sink.InteractSecs, cpu()
	if s.TrainSecs, err = trainVia(ctx, cls[via], cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	s.CPU["train"] = cpu()
	// Training leaves graph builds and compactions behind on every
	// replica; measuring during them would charge them to the requests.
	waitNodesIdle(nodes, time.Minute)
	conns, err := dialAll(addrs)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	if err := warmNodes(conns, cfg, data.ml.UserIDs); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	cpu() // the idle wait and the warm-up are no phase's
	if s.Recommend, s.RecommendServer, err = recommendNodes(ctx, conns, cfg, data.ml.UserIDs); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	s.CPU["recommend"] = cpu()
	if s.Quality, err = qualityPass(ctx, addrs, data, "cf"); err != nil {
		return nil, fmt.Errorf("%s: quality: %w", s.Name, err)
	}
	if s.Differing, s.served, err = differingPass(ctx, conns, cfg, data.ml.UserIDs); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	s.ColdShown = countCold(s.served, data)
	movies := make([]int64, len(data.movies))
	for i, m := range data.movies {
		movies[i] = m.ID
	}
	if s.cf, err = cfVectors(ctx, cls[len(cls)-1], movies); err != nil {
		return nil, fmt.Errorf("%s: read the cf vectors: %w", s.Name, err)
	}
	if s.NewUsers, err = newUsersAcross(ctx, conns, cfg, data); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	for i, cl := range cls {
		var info struct {
			Local []localShard `json:"local_shards"`
		}
		if err := cl.Do(ctx, http.MethodGet, "/collections/"+recHTTPCollection+"/cluster", nil, &info); err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		s.LocalShards = append(s.LocalShards, fmt.Sprintf("node %s: %s", nodes[i].id, formatShards(info.Local)))
	}
	s.LoadAvg = append(s.LoadAvg, loadAverage())
	return s, nil
}

// localShard is a shard of GET /collections/{c}/cluster's local_shards.
type localShard struct {
	ID     int `json:"shard_id"`
	Points int `json:"points_count"`
}

// formatShards writes shards as "shard ID (POINTS points), ...", by id.
func formatShards(shards []localShard) string {
	shards = slices.Clone(shards)
	slices.SortFunc(shards, func(a, b localShard) int { return a.ID - b.ID })
	parts := make([]string, len(shards))
	for i, sh := range shards {
		parts[i] = fmt.Sprintf("shard %d (%d points)", sh.ID, sh.Points)
	}
	if len(parts) == 0 {
		return "no shard"
	}
	return strings.Join(parts, ", ")
}

// cpuMeter returns a function that reports the nodes' CPU seconds,
// summed, since its previous call.
func cpuMeter(nodes []*clusterNode) func() float64 {
	sum := func() float64 {
		t := 0.0
		for _, nd := range nodes {
			t += nd.cpu()
		}
		return t
	}
	last := sum()
	return func() float64 {
		now := sum()
		d := now - last
		last = now
		return d
	}
}

// waitNodesIdle waits, at most limit, until the nodes together use under
// 5% of a core over half a second.
func waitNodesIdle(nodes []*clusterNode, limit time.Duration) {
	cpu := cpuMeter(nodes)
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		if cpu() < 0.025 {
			return
		}
	}
}

// trainVia starts a training on the node cl reaches (a follower forwards
// it to the leader, which trains) and polls the job there with
// consistency=majority (read on the leader) until it is done.
func trainVia(ctx context.Context, cl *client.Client, cfg RecClusterConfig) (float64, error) {
	t := time.Now()
	job, err := cl.Train(ctx, recHTTPCollection, client.TrainOptions{Seed: cfg.Seed})
	if err != nil {
		return 0, fmt.Errorf("train: %w", err)
	}
	bar := progress.Start(cfg.Progress, "train via "+cl.URL, "epochs", int64(job.Options.Iterations))
	defer bar.Finish()
	epochs := 0
	for job.State == string(trainer.Running) {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		job = client.TrainingJob{}
		if err := cl.Do(ctx, http.MethodGet, "/collections/"+recHTTPCollection+"/train?consistency=majority", nil, &job); err != nil {
			return 0, fmt.Errorf("train: %w", err)
		}
		bar.Add(int64(len(job.Epochs) - epochs))
		epochs = len(job.Epochs)
	}
	if job.State != string(trainer.Done) {
		return 0, fmt.Errorf("train: job %d %s: %s", job.ID, job.State, job.Error)
	}
	return time.Since(t).Seconds(), nil
}

// askRecommend asks conn for the plain recommendation of users[i %
// len(users)]; a list shorter than cfg.Limit is an error.
func askRecommend(conn *keepAliveConn, cfg RecClusterConfig, users []int64, i int) (queryAnswer, error) {
	user := users[i%len(users)]
	body, err := recommendBody(userid.FromNum(uint64(user)), cfg.Limit, false)
	if err != nil {
		return queryAnswer{}, err
	}
	a, err := conn.query(http.MethodPost, "/collections/"+recHTTPCollection+"/points/query", body)
	if err == nil && len(a.ids) != cfg.Limit {
		err = fmt.Errorf("user %d: %d items, want %d", user, len(a.ids), cfg.Limit)
	}
	return a, err
}

// warmNodes sends recommendWarmup untimed recommendations through each
// node.
func warmNodes(conns []*keepAliveConn, cfg RecClusterConfig, users []int64) error {
	for i := range recommendWarmup {
		for j, c := range conns {
			if _, err := askRecommend(c, cfg, users, i); err != nil {
				return fmt.Errorf("warm-up through node %d: %w", j+1, err)
			}
		}
	}
	return nil
}

// recommendNodes times cfg.Requests plain recommendations through each
// node, the nodes alternating request by request (so drift in the
// machine's speed falls on all) and users taken round-robin, each node
// starting its own share of the users apart.
func recommendNodes(ctx context.Context, conns []*keepAliveConn, cfg RecClusterConfig, users []int64) (lat, srv []LatencyStats, err error) {
	bar := progress.Start(cfg.Progress, "recommend through each node", "requests", int64(len(conns)*cfg.Requests))
	defer bar.Finish()
	l, sv := make([][]time.Duration, len(conns)), make([][]time.Duration, len(conns))
	for i := range cfg.Requests {
		for j, c := range conns {
			a, err := askRecommend(c, cfg, users, i+j*len(users)/len(conns))
			if err != nil {
				return nil, nil, fmt.Errorf("recommend through node %d: %w", j+1, err)
			}
			l[j], sv[j] = append(l[j], a.latency), append(sv[j], a.server)
		}
		bar.Add(int64(len(conns)))
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
	}
	for j := range conns {
		lat, srv = append(lat, latencyStats(l[j])), append(srv, latencyStats(sv[j]))
	}
	return lat, srv, nil
}

// differingPass asks every node for every user's top cfg.Limit (HNSW ef
// as the quality pass), counts the users whose lists differ and returns
// the first node's lists.
func differingPass(ctx context.Context, conns []*keepAliveConn, cfg RecClusterConfig, users []int64) (int, [][]uint64, error) {
	path := "/collections/" + recHTTPCollection + "/points/query"
	differing, first := 0, make([][]uint64, 0, len(users))
	for _, user := range users {
		body := client.RecommendBody(userid.FromNum(uint64(user)), client.RecommendOptions{Limit: cfg.Limit})
		body["using"] = "cf"
		body["params"] = map[string]any{"hnsw_ef": qualityEf}
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		lists := make([][]uint64, len(conns))
		for j, c := range conns {
			a, err := c.query(http.MethodPost, path, raw)
			if err != nil {
				return 0, nil, fmt.Errorf("user %d through node %d: %w", user, j+1, err)
			}
			lists[j] = a.ids
		}
		if !allEqual(lists) {
			differing++
		}
		first = append(first, lists[0])
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
	}
	return differing, first, nil
}

// countCold counts the movies outside d's train part in lists.
func countCold(lists [][]uint64, d *recHTTPData) int {
	split := eval.Split{Users: len(d.ml.UserIDs), Items: len(d.ml.MovieIDs), Train: d.ratings, Test: d.test}
	catalogue := split.Catalogue()
	n := 0
	for _, l := range lists {
		for _, id := range l {
			if i, ok := slices.BinarySearch(d.ml.MovieIDs, int64(id)); !ok || !catalogue[i] {
				n++
			}
		}
	}
	return n
}

// allEqual reports whether every list equals the first.
func allEqual(lists [][]uint64) bool {
	for _, l := range lists[min(1, len(lists)):] {
		if !slices.Equal(l, lists[0]) {
			return false
		}
	}
	return true
}

// listOverlap is the mean, over the users with a list in both a and b,
// of the share of the top k of a's list found in the top k of b's, the
// shorter list's length standing for k when under it.
func listOverlap[T comparable](a, b [][]T, k int) float64 {
	sum, users := 0.0, 0
	for u := range min(len(a), len(b)) {
		x, y := a[u][:min(k, len(a[u]))], b[u][:min(k, len(b[u]))]
		if len(x) == 0 || len(y) == 0 {
			continue
		}
		common := 0
		for _, i := range x {
			if slices.Contains(y, i) {
				common++
			}
		}
		sum += float64(common) / float64(min(len(x), len(y)))
		users++
	}
	if users == 0 {
		return 0
	}
	return sum / float64(users)
}

// TopNDelta is b's metrics minus a's.
func topNDelta(a, b eval.TopN) eval.TopN {
	return eval.TopN{RecallAt10: b.RecallAt10 - a.RecallAt10, RecallAt20: b.RecallAt20 - a.RecallAt20,
		NDCGAt10: b.NDCGAt10 - a.NDCGAt10, HRAt10: b.HRAt10 - a.HRAt10, CoverageAt10: b.CoverageAt10 - a.CoverageAt10}
}

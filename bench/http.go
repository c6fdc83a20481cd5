package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/progress"
	"github.com/quiver-db/quiver/pointid"
)

// HTTPConfig describes the HTTP load benchmark: a quiver server on a
// loopback listener over a data directory, the base vectors upserted
// through the API, then the queries asked in process and over HTTP, the
// kinds taking turns on the same collection.
type HTTPConfig struct {
	// Dir holds base.fvecs, query.fvecs and groundtruth.ivecs (angular
	// data: the collection is Cosine).
	Dir string
	// Ef is the search's hnsw_ef. Zero means 128.
	Ef int
	// K is the recall depth and the query limit. Zero means 10.
	K int
	// Clients is the number of concurrent HTTP clients in the load pass.
	// Zero means 2·GOMAXPROCS.
	Clients int
	// Queries bounds the queries run; zero means all of query.fvecs.
	Queries int
	// Limit, when positive, keeps only the first Limit base vectors and
	// recomputes the ground truth exactly.
	Limit int
	// M and EfConstruction configure the graph; zero means the defaults.
	M, EfConstruction int
	// IVF, when set, is the collection's ivf_config: searches scan its
	// partitioned index (once built; the run waits for it) with probe
	// Probe (zero: the config's default) instead of walking the graph.
	IVF   *index.IVFConfig
	Probe int
	// Batch is the points per upsert request. Zero means 1000.
	Batch int
	// Block is the queries each kind of client runs before the next takes
	// its turn. Zero means 200.
	Block int
	// DataDir, when set, keeps the server's data there; a later run on
	// the same data and directory skips the ingest. Empty means a
	// temporary directory.
	DataDir string
	// Progress receives progress lines; nil means none.
	Progress io.Writer
	// QueryProfile, when set, receives a CPU profile of the query passes
	// (client and server) only.
	QueryProfile io.Writer
}

// Latency is one pass's throughput and latency percentiles.
type Latency struct {
	QPS       float64 `json:"qps"`
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
}

// PassLatency is one way of asking (in process, or over HTTP with one
// kind of client) measured over all the queries.
type PassLatency struct {
	Name string `json:"name"`
	Latency
	// ServerP50Micros is the median of the handler's own time, from the
	// answers' "time" field; SearchP50Micros the median time in the index,
	// from their Server-Timing header. Both are zero in process.
	ServerP50Micros float64 `json:"server_p50_us,omitempty"`
	SearchP50Micros float64 `json:"search_p50_us,omitempty"`
	Recall          float64 `json:"recall"`
}

// HTTPResult is what RunHTTP measured.
type HTTPResult struct {
	Vectors      int     `json:"vectors"`
	Dim          int     `json:"dim"`
	Queries      int     `json:"queries"`
	Ef           int     `json:"ef"`
	Clients      int     `json:"clients"`
	IngestSecs   float64 `json:"ingest_seconds"`
	IngestPerSec float64 `json:"ingest_points_per_second"`
	// Serial asks one query at a time, Load Clients at a time; each holds
	// the in-process pass, the keep-alive connection pass and the net/http
	// client pass, in that order, and Serial then the in-process pass with
	// the core idle before each query.
	Serial []PassLatency `json:"serial"`
	Load   []PassLatency `json:"load"`
	// P50Overhead is the keep-alive connection's serial p50 over the
	// in-process serial p50, minus one: what HTTP adds.
	P50Overhead float64 `json:"p50_overhead"`
	// ClientP50Overhead is the same for the net/http client.
	ClientP50Overhead float64 `json:"client_p50_overhead"`
	// LoadP50Overhead is P50Overhead with Clients queries at a time.
	LoadP50Overhead float64 `json:"load_p50_overhead"`
	// Floor is a bare net/http server whose handler spins for the
	// in-process p50 and sends a fixed answer, asked over a keep-alive
	// connection one query at a time: the machine's own cost of a round
	// trip, which no server goes under. Its recall is meaningless.
	Floor PassLatency `json:"floor"`
}

func (c *HTTPConfig) ensureDefaults() {
	if c.Ef == 0 {
		c.Ef = 128
	}
	if c.K == 0 {
		c.K = 10
	}
	if c.Clients == 0 {
		c.Clients = 2 * runtime.GOMAXPROCS(0)
	}
	if c.Batch == 0 {
		c.Batch = 1000
	}
	if c.Block == 0 {
		c.Block = 200
	}
}

const httpBenchCollection = "bench"

// RunHTTP runs the HTTP benchmark.
func RunHTTP(ctx context.Context, cfg HTTPConfig) (*HTTPResult, error) {
	cfg.ensureDefaults()
	base, queries, truth, dim, err := loadHTTPData(ctx, cfg.Dir, cfg.Limit, cfg.K, cfg.Progress)
	if err != nil {
		return nil, err
	}
	nq := len(queries) / dim
	if cfg.Queries > 0 && cfg.Queries < nq {
		nq = cfg.Queries
	}
	dir := cfg.DataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "quiver-bench-http-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := index.Open(ctx, dir, index.Options{Logger: quiet})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	h, err := httpapi.NewHandler(httpapi.Config{DB: db, Logger: quiet, MaxBatch: max(cfg.Batch, 10000)})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()
	cl := &client.Client{URL: "http://" + addr}

	res := &HTTPResult{Vectors: len(base) / dim, Dim: dim, Queries: nq, Ef: cfg.Ef, Clients: cfg.Clients}
	if reusable(ctx, db, res.Vectors, dim, cfg.IVF) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "reusing the %d points already in %s\n", res.Vectors, dir)
		}
	} else if err := ingestHTTP(ctx, cl, cfg, base, dim, res); err != nil {
		return nil, err
	}
	col, err := db.Collection(httpBenchCollection)
	if err != nil {
		return nil, err
	}
	if err := waitIVF(ctx, col, cfg); err != nil {
		return nil, err
	}
	bodies := make([][]byte, nq)
	for i := range bodies {
		if bodies[i], err = json.Marshal(map[string]any{
			"query": queries[i*dim : (i+1)*dim], "limit": cfg.K, "params": cfg.params(),
		}); err != nil {
			return nil, err
		}
	}
	path := "/collections/" + httpBenchCollection + "/points/query"
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * cfg.Clients}, Timeout: time.Minute}
	defer hc.CloseIdleConnections()
	kinds := []runnerKind{
		{"in process", func() (queryRunner, error) {
			return inProcessRunner{col: col, queries: queries, dim: dim, k: cfg.K, ef: cfg.Ef, ivf: index.IVFSearch{Probe: cfg.Probe}}, nil
		}},
		{"http, keep-alive conn", func() (queryRunner, error) { return dialRunner(addr, path, bodies) }},
		{"http, net/http client", func() (queryRunner, error) {
			return clientRunner{hc: hc, url: "http://" + addr + path, bodies: bodies}, nil
		}},
	}

	// Ingest leaves compactions and a graph snapshot running; measuring
	// during them would charge their CPU to whichever pass they overlap.
	waitIdle(30 * time.Second)
	if _, err := runInterleaved(ctx, min(nq, 300), 1, cfg.Block, kinds, truth, cfg.K, nil); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	if cfg.QueryProfile != nil {
		if err := pprof.StartCPUProfile(cfg.QueryProfile); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	// The serial pass adds a calibration: the in-process search after its
	// core has idled as long as a round trip leaves it idle. Where waking
	// an idle core is slow (virtual machines) the first search after idling
	// is slower, and every HTTP request is such a search.
	idle := runnerKind{fmt.Sprintf("in process, %v idle before each", idleGap), func() (queryRunner, error) {
		return idleRunner{inProcessRunner{col: col, queries: queries, dim: dim, k: cfg.K, ef: cfg.Ef, ivf: index.IVFSearch{Probe: cfg.Probe}}}, nil
	}}
	if res.Serial, err = runInterleaved(ctx, nq, 1, cfg.Block, append(kinds, idle), truth, cfg.K, cfg.Progress); err != nil {
		return nil, fmt.Errorf("serial: %w", err)
	}
	if res.Floor, err = measureFloor(ctx, cfg, addr, path, bodies, res.Serial[0].P50Micros, truth); err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	if res.Load, err = runInterleaved(ctx, nq, cfg.Clients, cfg.Block, kinds, truth, cfg.K, cfg.Progress); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	res.P50Overhead = res.Serial[1].P50Micros/res.Serial[0].P50Micros - 1
	res.ClientP50Overhead = res.Serial[2].P50Micros/res.Serial[0].P50Micros - 1
	res.LoadP50Overhead = res.Load[1].P50Micros/res.Load[0].P50Micros - 1
	return res, nil
}

// reusable reports whether db already holds the benchmark's collection
// with n points of dimension dim; if it holds another, it is dropped.
func reusable(ctx context.Context, db *index.DB, n, dim int, ivf *index.IVFConfig) bool {
	col, err := db.Collection(httpBenchCollection)
	if err != nil {
		return false
	}
	cfg := col.Config()
	if count, err := col.Count(ctx, nil); err == nil && count == n && cfg.VectorSize == dim && reflect.DeepEqual(cfg.IVF, ivf) {
		return true
	}
	_ = db.Drop(ctx, httpBenchCollection)
	return false
}

// measureFloor runs the floor pass (see HTTPResult.Floor), its handler
// busy for workMicros and answering what Quiver answered to query 0.
func measureFloor(ctx context.Context, cfg HTTPConfig, addr, path string, bodies [][]byte, workMicros float64, truth [][]int32) (PassLatency, error) {
	probe, err := dialRunner(addr, path, bodies)
	if err != nil {
		return PassLatency{}, err
	}
	_, answer, _, err := probe.roundTrip(0)
	probe.close()
	if err != nil {
		return PassLatency{}, err
	}
	floorAddr, stop, err := startFloorServer(time.Duration(workMicros*1e3), answer)
	if err != nil {
		return PassLatency{}, err
	}
	defer stop()
	kinds := []runnerKind{{"bare net/http, handler busy", func() (queryRunner, error) { return dialRunner(floorAddr, path, bodies) }}}
	out, err := runInterleaved(ctx, len(bodies), 1, cfg.Block, kinds, truth, cfg.K, cfg.Progress)
	if err != nil {
		return PassLatency{}, err
	}
	// Every answer is the same copy of query 0's: its recall and timings
	// say nothing.
	out[0].Recall, out[0].ServerP50Micros, out[0].SearchP50Micros = 0, 0, 0
	return out[0], nil
}

// params is every query's params object.
func (c *HTTPConfig) params() map[string]any {
	p := map[string]any{"hnsw_ef": c.Ef}
	if c.IVF != nil && c.Probe > 0 {
		p["ivf"] = map[string]any{"probe": c.Probe}
	}
	return p
}

// waitIVF waits, showing progress, until the collection's partitioned
// index has been built over every point, when cfg asks for one.
func waitIVF(ctx context.Context, col *index.Collection, cfg HTTPConfig) error {
	if cfg.IVF == nil {
		return nil
	}
	start := time.Now()
	for last := time.Now(); ; {
		info, err := col.Info()
		if err != nil {
			return err
		}
		st := info.IVF[""]
		if st.Built && !st.Building && st.Points >= info.Points {
			if cfg.Progress != nil {
				fmt.Fprintf(cfg.Progress, "partitioned index: %d points in %d cells, %.1f MiB, ready after %v\n",
					st.Points, st.Cells, float64(st.Memory)/(1<<20), time.Since(start).Round(time.Millisecond))
			}
			return nil
		}
		if cfg.Progress != nil && time.Since(last) > 5*time.Second {
			fmt.Fprintf(cfg.Progress, "waiting for the partitioned index (%d of %d points filed, building %v)\n", st.Points, info.Points, st.Building)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ingestHTTP creates the collection and upserts base through the API.
func ingestHTTP(ctx context.Context, cl *client.Client, cfg HTTPConfig, base []float32, dim int, res *HTTPResult) error {
	err := cl.Do(ctx, http.MethodPut, "/collections/"+httpBenchCollection, map[string]any{
		"vectors":     map[string]any{"size": dim, "distance": "Cosine"},
		"hnsw_config": map[string]any{"m": cfg.M, "ef_construct": cfg.EfConstruction},
		"ivf_config":  cfg.IVF,
	}, nil)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := upsertBase(ctx, cl, httpBenchCollection, base, dim, cfg.Batch, cfg.Progress); err != nil {
		return err
	}
	n := len(base) / dim
	res.IngestSecs = time.Since(start).Seconds()
	res.IngestPerSec = float64(n) / res.IngestSecs
	return nil
}

// upsertBase upserts base's vectors as points 0..n-1 of collection, batch
// points a request, two requests in flight.
func upsertBase(ctx context.Context, cl *client.Client, collection string, base []float32, dim, batch int, w io.Writer) error {
	n := len(base) / dim
	bar := progress.Start(w, "upsert over http", "points", int64(n))
	defer bar.Finish()
	// Two requests in flight keep the server's cores busy while one batch
	// is encoded on the client.
	var wg sync.WaitGroup
	var next atomic.Int64
	errs := make([]error, 2)
	for worker := range errs {
		wg.Go(func() {
			for {
				lo := int(next.Add(int64(batch))) - batch
				if lo >= n || ctx.Err() != nil {
					return
				}
				hi := min(lo+batch, n)
				pts := make([]client.Point, 0, hi-lo)
				for i := lo; i < hi; i++ {
					pts = append(pts, client.Point{ID: pointid.FromNum(uint64(i)), Vector: base[i*dim : (i+1)*dim]})
				}
				if err := cl.Upsert(ctx, collection, pts); err != nil {
					errs[worker] = err
					return
				}
				bar.Add(int64(hi - lo))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return fmt.Errorf("upsert: %w", err)
	}
	return nil
}

func hitsIn(ids []uint64, want []int32) int {
	n := 0
	for _, id := range ids {
		for _, w := range want {
			if uint64(w) == id {
				n++
				break
			}
		}
	}
	return n
}

// loadHTTPData reads the data set of RunHTTP, cutting the base to limit
// vectors (and recomputing the ground truth) when limit is positive.
func loadHTTPData(ctx context.Context, dir string, limit, k int, w io.Writer) (base, queries []float32, truth [][]int32, dim int, err error) {
	if base, dim, err = ReadFvecs(filepath.Join(dir, "base.fvecs")); err != nil {
		return
	}
	var qdim int
	if queries, qdim, err = ReadFvecs(filepath.Join(dir, "query.fvecs")); err != nil {
		return
	}
	if truth, err = ReadIvecs(filepath.Join(dir, "groundtruth.ivecs")); err != nil {
		return
	}
	if limit > 0 && limit < len(base)/dim {
		base = base[:limit*dim]
		if truth, err = ExactTopK(ctx, base, queries, dim, GroundTruthConfig{K: k, Progress: w}); err != nil {
			return
		}
	}
	switch {
	case qdim != dim:
		err = fmt.Errorf("http bench: queries have dimension %d, base %d", qdim, dim)
	case len(truth) != len(queries)/dim:
		err = fmt.Errorf("http bench: %d ground-truth rows for %d queries", len(truth), len(queries)/dim)
	case len(truth) > 0 && len(truth[0]) < k:
		err = fmt.Errorf("http bench: ground truth has depth %d, want ≥ %d", len(truth[0]), k)
	}
	return
}

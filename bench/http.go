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
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/progress"
)

// HTTPConfig describes the HTTP load benchmark: a quiver server on a
// loopback listener over a fresh data directory, the base vectors upserted
// through the API, then the queries sent by concurrent clients and, for
// comparison, run in process on the same collection.
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
	// Batch is the points per upsert request. Zero means 1000.
	Batch int
	// Progress receives progress lines; nil means none.
	Progress io.Writer
}

// Latency is one pass's throughput and latency percentiles.
type Latency struct {
	QPS       float64 `json:"qps"`
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
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
	// RecallAt10 is measured on the HTTP answers.
	RecallAt10 float64 `json:"recall_at_10"`
	// InProcess and HTTPSerial run one query at a time; the p50 overhead
	// compares them.
	InProcess  Latency `json:"in_process"`
	HTTPSerial Latency `json:"http_serial"`
	// InProcessLoad and HTTPLoad run Clients queries at a time.
	InProcessLoad Latency `json:"in_process_load"`
	HTTPLoad      Latency `json:"http_load"`
	// P50Overhead is HTTPSerial.P50 / InProcess.P50 - 1.
	P50Overhead float64 `json:"p50_overhead"`
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
	dir, err := os.MkdirTemp("", "quiver-bench-http-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
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
	client := &httpapi.Client{URL: "http://" + ln.Addr().String()}

	res := &HTTPResult{Vectors: len(base) / dim, Dim: dim, Queries: nq, Ef: cfg.Ef, Clients: cfg.Clients}
	if err := ingestHTTP(ctx, client, cfg, base, dim, res); err != nil {
		return nil, err
	}
	col, err := db.Collection(httpBenchCollection)
	if err != nil {
		return nil, err
	}
	bodies := make([]json.RawMessage, nq)
	for i := range bodies {
		if bodies[i], err = json.Marshal(map[string]any{
			"query": queries[i*dim : (i+1)*dim], "limit": cfg.K, "params": map[string]any{"hnsw_ef": cfg.Ef},
		}); err != nil {
			return nil, err
		}
	}
	inProc := func(i int) ([]uint64, error) {
		hits, err := col.Search(ctx, index.SearchRequest{Vector: queries[i*dim : (i+1)*dim], Limit: cfg.K, Ef: cfg.Ef})
		ids := make([]uint64, len(hits))
		for j, h := range hits {
			ids[j], _ = h.ID.Num()
		}
		return ids, err
	}
	overHTTP := func(i int) ([]uint64, error) {
		hits, err := client.Query(ctx, httpBenchCollection, bodies[i])
		if err != nil {
			return nil, err
		}
		ids := make([]uint64, len(hits))
		for j, h := range hits {
			if ids[j], err = strconv.ParseUint(string(h.ID), 10, 64); err != nil {
				return nil, fmt.Errorf("answer id %s: %w", h.ID, err)
			}
		}
		return ids, nil
	}
	var recall float64
	passes := []struct {
		name    string
		run     func(int) ([]uint64, error)
		workers int
		out     *Latency
	}{
		{"in-process, serial", inProc, 1, &res.InProcess},
		{"http, serial", overHTTP, 1, &res.HTTPSerial},
		{"in-process, load", inProc, cfg.Clients, &res.InProcessLoad},
		{"http, load", overHTTP, cfg.Clients, &res.HTTPLoad},
	}
	for _, p := range passes {
		lat, r, err := loadPass(ctx, nq, p.workers, p.run, truth, cfg.K)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		*p.out = lat
		if p.name == "http, load" {
			recall = r
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "%-20s %8.0f qps  p50 %6.0f µs  p99 %6.0f µs  recall@%d %.4f\n", p.name, lat.QPS, lat.P50Micros, lat.P99Micros, cfg.K, r)
		}
	}
	res.RecallAt10 = recall
	res.P50Overhead = res.HTTPSerial.P50Micros/res.InProcess.P50Micros - 1
	return res, nil
}

// ingestHTTP creates the collection and upserts base through the API.
func ingestHTTP(ctx context.Context, client *httpapi.Client, cfg HTTPConfig, base []float32, dim int, res *HTTPResult) error {
	err := client.Do(ctx, http.MethodPut, "/collections/"+httpBenchCollection, map[string]any{
		"vectors":     map[string]any{"size": dim, "distance": "Cosine"},
		"hnsw_config": map[string]any{"m": cfg.M, "ef_construct": cfg.EfConstruction},
	}, nil)
	if err != nil {
		return err
	}
	n := len(base) / dim
	bar := progress.Start(cfg.Progress, "upsert over http", "points", int64(n))
	defer bar.Finish()
	start := time.Now()
	// Two requests in flight keep the server's cores busy while one batch
	// is encoded on the client.
	var wg sync.WaitGroup
	var next atomic.Int64
	errs := make([]error, 2)
	for w := range errs {
		wg.Go(func() {
			for {
				lo := int(next.Add(int64(cfg.Batch))) - cfg.Batch
				if lo >= n || ctx.Err() != nil {
					return
				}
				hi := min(lo+cfg.Batch, n)
				pts := make([]httpapi.ClientPoint, 0, hi-lo)
				for i := lo; i < hi; i++ {
					pts = append(pts, httpapi.ClientPoint{ID: uint64(i), Vector: base[i*dim : (i+1)*dim]})
				}
				if err := client.Upsert(ctx, httpBenchCollection, pts); err != nil {
					errs[w] = err
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
	res.IngestSecs = time.Since(start).Seconds()
	res.IngestPerSec = float64(n) / res.IngestSecs
	return nil
}

// loadPass runs queries 0..nq-1 with the given number of workers and
// returns the latency distribution and recall@k against truth.
func loadPass(ctx context.Context, nq, workers int, run func(int) ([]uint64, error), truth [][]int32, k int) (Latency, float64, error) {
	lat := make([]time.Duration, nq)
	found := make([]int, nq)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= nq || ctx.Err() != nil {
					return
				}
				t := time.Now()
				ids, err := run(i)
				lat[i] = time.Since(t)
				if err != nil {
					errs[w] = err
					return
				}
				found[i] = hitsIn(ids, truth[i][:min(k, len(truth[i]))])
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return Latency{}, 0, err
	}
	total := 0
	for _, f := range found {
		total += f
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(nq-1))].Nanoseconds()) / 1e3 }
	return Latency{QPS: float64(nq) / elapsed.Seconds(), P50Micros: pct(0.50), P99Micros: pct(0.99)}, float64(total) / float64(nq*k), nil
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

package bench

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/internal/progress"
)

// ANNConfig describes one ANN benchmark: build an index over base.fvecs, then
// sweep ef over query.fvecs, scoring against groundtruth.ivecs.
type ANNConfig struct {
	// Dir holds base.fvecs, query.fvecs and groundtruth.ivecs.
	Dir string
	// M and EfConstruction configure the graph; zero means hnsw's defaults.
	M, EfConstruction int
	// Efs is the sweep; default 10, 20, 40, 80, 120, 200, 400.
	Efs []int
	// Threads builds and runs the all-core pass; default GOMAXPROCS.
	Threads int
	// Metric of the data; default cosine.
	Metric hnsw.Metric
	// K is the recall depth; default 10.
	K int
	// Limit, when positive, keeps only the first Limit base vectors and
	// recomputes the ground truth exactly by inner product (for profiling on
	// a subset of angular data).
	Limit int
	// Progress receives progress and the result table; nil means none.
	Progress io.Writer
	// Quantization, "int8", quantizes the graph after the build and
	// sweeps the float and the int8 walk in turn (ann_quant.go); "" means
	// none.
	Quantization string
	// Quantile of the int8 bounds; zero means hnsw's default (1).
	Quantile float64
	// Oversampling of the int8 walk; zero means 1.
	Oversampling float64
	// Index is "hnsw" (the default) or "ivf", the partitioned index, which
	// sweeps IVF.Sweep instead of Efs (ann_ivf.go).
	Index string
	IVF   IVFConfig
}

// ANNRun is one point of the ef sweep.
type ANNRun struct {
	Ef         int     `json:"ef"`
	RecallAt10 float64 `json:"recall_at_10"`
	QPSSingle  float64 `json:"qps_single"`
	// QPSSingleCPU is queries per CPU-second of the one-at-a-time pass: on a
	// shared machine it moves less than wall-clock QPS.
	QPSSingleCPU float64 `json:"qps_single_cpu"`
	QPSAllCores  float64 `json:"qps_all_cores"`
	P50Micros    float64 `json:"p50_us"`
	P99Micros    float64 `json:"p99_us"`
	// Walk is "float" or "int8" in a quantized run, "" otherwise.
	Walk string `json:"walk,omitempty"`
	// Probe and Reorder are the point of an IVF sweep (Ef is then 0).
	Probe   int `json:"probe,omitempty"`
	Reorder int `json:"reorder,omitempty"`
}

// ANNResult is what RunANN measured; the JSON shape is shared with the peer
// scripts under scripts/peers.
type ANNResult struct {
	Engine           string   `json:"engine"`
	Vectors          int      `json:"vectors"`
	Dim              int      `json:"dim"`
	Queries          int      `json:"queries"`
	M                int      `json:"m"`
	EfConstruction   int      `json:"ef_construction"`
	Threads          int      `json:"threads"`
	BuildSeconds     float64  `json:"build_seconds"`
	BuildCPUSeconds  float64  `json:"build_cpu_seconds"`
	VectorsPerSecond float64  `json:"vectors_per_second"`
	MemoryBytes      int64    `json:"memory_bytes"`
	IndexBytes       int64    `json:"index_bytes"`
	Runs             []ANNRun `json:"runs"`
	// Cells is the IVF index's cell count, 0 for a graph.
	Cells int `json:"cells,omitempty"`
	// Quantized is set with ANNConfig.Quantization.
	Quantized *ANNQuantized `json:"quantized,omitempty"`
}

func (c *ANNConfig) ensureDefaults() {
	if len(c.Efs) == 0 {
		c.Efs = []int{10, 20, 40, 80, 120, 200, 400}
	}
	if c.Threads <= 0 {
		c.Threads = runtime.GOMAXPROCS(0)
	}
	if c.K <= 0 {
		c.K = 10
	}
}

// RunANN builds the index and runs the sweep.
func RunANN(ctx context.Context, cfg ANNConfig) (*ANNResult, error) {
	cfg.ensureDefaults()
	base, dim, err := ReadFvecs(filepath.Join(cfg.Dir, "base.fvecs"))
	if err != nil {
		return nil, err
	}
	queries, qdim, err := ReadFvecs(filepath.Join(cfg.Dir, "query.fvecs"))
	if err != nil {
		return nil, err
	}
	truth, err := ReadIvecs(filepath.Join(cfg.Dir, "groundtruth.ivecs"))
	if err != nil {
		return nil, err
	}
	nq := len(queries) / qdim
	if cfg.Limit > 0 && cfg.Limit < len(base)/dim {
		if cfg.Metric == hnsw.L2 {
			return nil, fmt.Errorf("ann bench: a limit recomputes ground truth by inner product, which does not fit l2")
		}
		base = base[:cfg.Limit*dim]
		if truth, err = ExactTopK(ctx, base, queries, dim, GroundTruthConfig{K: cfg.K}); err != nil {
			return nil, err
		}
	}
	switch {
	case qdim != dim:
		return nil, fmt.Errorf("ann bench: queries have dimension %d, base %d", qdim, dim)
	case len(truth) != nq:
		return nil, fmt.Errorf("ann bench: %d ground-truth rows for %d queries", len(truth), nq)
	case len(truth) > 0 && len(truth[0]) < cfg.K:
		return nil, fmt.Errorf("ann bench: ground truth has depth %d, want ≥ %d", len(truth[0]), cfg.K)
	}
	if cfg.Index == "ivf" {
		res, err := runIVF(ctx, cfg, base, queries, dim, truth)
		if res != nil {
			res.Queries = nq
		}
		return res, err
	}
	g, res, err := buildANN(ctx, cfg, base, dim)
	if err != nil {
		return nil, err
	}
	res.Queries = nq
	if cfg.Quantization != "" {
		err := runQuantized(ctx, cfg, g, res, queries, dim, truth)
		runtime.KeepAlive(g)
		return res, err
	}
	for _, ef := range cfg.Efs {
		run, err := sweepPoint(ctx, cfg, g, queries, dim, truth, ef)
		if err != nil {
			return nil, err
		}
		res.Runs = append(res.Runs, run)
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "ef=%-4d recall@%d=%.4f qps(1 thread)=%.0f qps(%d threads)=%.0f p50=%.0fµs p99=%.0fµs\n",
				ef, cfg.K, run.RecallAt10, run.QPSSingle, cfg.Threads, run.QPSAllCores, run.P50Micros, run.P99Micros)
		}
	}
	runtime.KeepAlive(g)
	return res, nil
}

// buildANN inserts base with cfg.Threads goroutines and measures time and
// the resident memory the index added.
func buildANN(ctx context.Context, cfg ANNConfig, base []float32, dim int) (*hnsw.Graph, *ANNResult, error) {
	n := len(base) / dim
	g, err := hnsw.New(dim, hnsw.Options{M: cfg.M, EfConstruction: cfg.EfConstruction, Metric: cfg.Metric})
	if err != nil {
		return nil, nil, err
	}
	debug.FreeOSMemory()
	rssBefore := residentBytes()
	start, cpuStart := time.Now(), processCPU().Seconds()
	g.Reserve(n)
	bar := progress.Start(cfg.Progress, "build", "vectors", int64(n))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, cfg.Threads)
	for w := range cfg.Threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := g.InsertAt(uint32(i), base[i*dim:(i+1)*dim]); err != nil {
					errs[w] = fmt.Errorf("ann bench: insert row %d: %w", i, err)
					return
				}
				bar.Add(1)
			}
		}()
	}
	wg.Wait()
	bar.Finish()
	elapsed, cpu := time.Since(start), processCPU().Seconds()-cpuStart
	for _, err := range append(errs, ctx.Err()) {
		if err != nil {
			return nil, nil, err
		}
	}
	debug.FreeOSMemory()
	rssAfter := residentBytes()
	runtime.KeepAlive(base) // live in both readings, so the difference is the index
	opts := g.Options()
	res := &ANNResult{
		Engine: "quiver", Vectors: n, Dim: dim, M: opts.M, EfConstruction: opts.EfConstruction,
		Threads: cfg.Threads, BuildSeconds: elapsed.Seconds(), BuildCPUSeconds: cpu,
		VectorsPerSecond: float64(n) / elapsed.Seconds(),
		MemoryBytes:      rssAfter - rssBefore, IndexBytes: g.MemoryBytes(),
	}
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "built %d vectors in %.1fs (%.0f vectors/s, %d threads); index RSS %.1f MB, heap estimate %.1f MB\n",
			n, res.BuildSeconds, res.VectorsPerSecond, cfg.Threads, float64(res.MemoryBytes)/1e6, float64(res.IndexBytes)/1e6)
	}
	return g, res, nil
}

// sweepPoint measures recall and one-at-a-time QPS on one goroutine, then
// throughput with cfg.Threads goroutines, at one ef.
func sweepPoint(ctx context.Context, cfg ANNConfig, g *hnsw.Graph, queries []float32, dim int, truth [][]int32, ef int) (ANNRun, error) {
	opts := hnsw.SearchOptions{Ef: ef, Quantization: cfg.walk()}
	run, err := timeQueries(ctx, cfg, len(queries)/dim, truth, func() annSearch {
		dst := make([]hnsw.Result, 0, cfg.K)
		ids := make([]int32, 0, cfg.K)
		return func(i int) ([]int32, error) {
			var err error
			dst, err = g.SearchInto(ctx, dst[:0], queries[i*dim:(i+1)*dim], cfg.K, opts)
			ids = ids[:0]
			for _, r := range dst {
				ids = append(ids, int32(r.Node))
			}
			return ids, err
		}
	})
	run.Ef = ef
	return run, err
}

// annSearch answers query i with the ids of its results, best first. One
// is made per goroutine, so it may reuse its memory between calls.
type annSearch func(i int) ([]int32, error)

// timeQueries measures recall and one-at-a-time QPS on one goroutine, then
// throughput with cfg.Threads goroutines, each with its own searcher.
func timeQueries(ctx context.Context, cfg ANNConfig, nq int, truth [][]int32, searcher func() annSearch) (ANNRun, error) {
	hits := 0
	lat := make([]time.Duration, nq)
	search := searcher()
	start, cpuStart := time.Now(), processCPU().Seconds()
	for i := range nq {
		t0 := time.Now()
		ids, err := search(i)
		lat[i] = time.Since(t0)
		if err != nil {
			return ANNRun{}, fmt.Errorf("ann bench: query %d: %w", i, err)
		}
		hits += overlap(ids, truth[i][:cfg.K])
	}
	single, singleCPU := time.Since(start), processCPU().Seconds()-cpuStart

	var next atomic.Int64
	var wg sync.WaitGroup
	start = time.Now()
	for range cfg.Threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			search := searcher()
			for {
				i := int(next.Add(1) - 1)
				if i >= nq {
					return
				}
				_, _ = search(i)
			}
		}()
	}
	wg.Wait()
	all := time.Since(start)
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	return ANNRun{
		RecallAt10:   float64(hits) / float64(nq*cfg.K),
		QPSSingle:    float64(nq) / single.Seconds(),
		QPSSingleCPU: float64(nq) / singleCPU,
		QPSAllCores:  float64(nq) / all.Seconds(),
		P50Micros:    float64(lat[nq/2].Microseconds()),
		P99Micros:    float64(lat[nq*99/100].Microseconds()),
	}, ctx.Err()
}

func overlap(got, want []int32) int {
	n := 0
	for _, r := range got {
		if slices.Contains(want, r) {
			n++
		}
	}
	return n
}

// overlapNodes is overlap for graph results.
func overlapNodes(got []hnsw.Result, want []int32) int {
	n := 0
	for _, r := range got {
		if slices.Contains(want, int32(r.Node)) {
			n++
		}
	}
	return n
}

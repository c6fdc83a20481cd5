package bench

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/ivf"
)

// IVFConfig configures the partitioned index of ANNConfig.Index "ivf".
type IVFConfig struct {
	// Cells of k-means; zero means ivf's default (about 3·√n).
	Cells int
	// Sweep is the (probe, reorder) points to measure; default
	// DefaultIVFSweep.
	Sweep []IVFPoint
	// Precision of the re-scoring vectors; zero means ivf's default.
	Precision ivf.Precision
	// Iterations and TrainPoints of k-means, and the cells a point is
	// stored in; zero means ivf's defaults.
	Iterations, TrainPoints, Spill int
}

// IVFPoint is one setting of an IVF query: cells scanned, candidates
// re-scored.
type IVFPoint struct{ Probe, Reorder int }

// DefaultIVFSweep runs from fast and rough to slow and near-exact, as
// ScaNN's ann-benchmarks sweep does over leaves and re-ordered neighbours.
var DefaultIVFSweep = []IVFPoint{{5, 40}, {10, 60}, {15, 80}, {20, 100}, {30, 120}, {40, 160}, {60, 200}, {90, 300}}

// runIVF builds the partitioned index and sweeps cfg.IVF.Sweep.
func runIVF(ctx context.Context, cfg ANNConfig, base, queries []float32, dim int, truth [][]int32) (*ANNResult, error) {
	var metric ivf.Metric
	switch cfg.Metric {
	case hnsw.Cosine:
		metric = ivf.Cosine
	case hnsw.Dot:
		metric = ivf.Dot
	default:
		return nil, fmt.Errorf("ann bench: the ivf index scores cosine or dot, not %v", cfg.Metric)
	}
	sweep := cfg.IVF.Sweep
	if len(sweep) == 0 {
		sweep = DefaultIVFSweep
	}
	debug.FreeOSMemory()
	rssBefore := residentBytes()
	start, cpuStart := time.Now(), processCPU().Seconds()
	ix, err := ivf.Build(ctx, base, dim, ivf.Options{Metric: metric, Cells: cfg.IVF.Cells, Precision: cfg.IVF.Precision,
		Iterations: cfg.IVF.Iterations, TrainPoints: cfg.IVF.TrainPoints, Spill: cfg.IVF.Spill, Threads: cfg.Threads, Progress: cfg.Progress})
	if err != nil {
		return nil, fmt.Errorf("ann bench: ivf build: %w", err)
	}
	elapsed, cpu := time.Since(start), processCPU().Seconds()-cpuStart
	debug.FreeOSMemory()
	rssAfter := residentBytes()
	runtime.KeepAlive(base)
	n := len(base) / dim
	res := &ANNResult{
		Engine: "quiver-ivf", Vectors: n, Dim: dim, Threads: cfg.Threads, Cells: ix.Cells(),
		BuildSeconds: elapsed.Seconds(), BuildCPUSeconds: cpu, VectorsPerSecond: float64(n) / elapsed.Seconds(),
		MemoryBytes: rssAfter - rssBefore, IndexBytes: ix.MemoryBytes(),
	}
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "built ivf over %d vectors in %d cells in %.1fs (%.1f CPU s, %d threads); index RSS %.1f MB, heap estimate %.1f MB\n",
			n, ix.Cells(), res.BuildSeconds, cpu, cfg.Threads, float64(res.MemoryBytes)/1e6, float64(res.IndexBytes)/1e6)
	}
	for _, pt := range sweep {
		so := ivf.SearchOptions{Probe: pt.Probe, Reorder: pt.Reorder}
		run, err := timeQueries(ctx, cfg, len(queries)/dim, truth, func() annSearch {
			ids := make([]int32, 0, cfg.K)
			got := make([]ivf.Result, 0, cfg.K)
			return func(i int) ([]int32, error) {
				var err error
				got, err = ix.SearchInto(ctx, got[:0], queries[i*dim:(i+1)*dim], cfg.K, so)
				ids = ids[:0]
				for _, r := range got {
					ids = append(ids, int32(r.ID))
				}
				return ids, err
			}
		})
		if err != nil {
			return nil, err
		}
		run.Probe, run.Reorder = pt.Probe, pt.Reorder
		res.Runs = append(res.Runs, run)
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "probe=%-3d reorder=%-4d recall@%d=%.4f qps(1 thread)=%.0f q/CPU s=%.0f qps(%d threads)=%.0f p50=%.0fµs p99=%.0fµs\n",
				pt.Probe, pt.Reorder, cfg.K, run.RecallAt10, run.QPSSingle, run.QPSSingleCPU, cfg.Threads, run.QPSAllCores, run.P50Micros, run.P99Micros)
		}
	}
	runtime.KeepAlive(ix)
	return res, nil
}

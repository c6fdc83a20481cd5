package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/quiver-db/quiver/hnsw"
)

// ANNQuantized is what a quantized ANN run adds to its result.
type ANNQuantized struct {
	Type         string  `json:"type"`
	Quantile     float64 `json:"quantile"`
	Oversampling float64 `json:"oversampling"`
	Lower        float32 `json:"lower"`
	Upper        float32 `json:"upper"`
	// Seconds is the training and encoding after the build.
	Seconds float64 `json:"seconds"`
	// IndexBytes is Graph.MemoryBytes with the codes (ANNResult.IndexBytes
	// is without).
	IndexBytes int64 `json:"index_bytes"`
}

// walk is the quantization knobs of a sweep pass: the int8 walk with its
// oversampling, or the float walk (Ignore) when cfg asks for none.
func (c *ANNConfig) walk() hnsw.QuantizedSearch {
	if c.Quantization == "" {
		return hnsw.QuantizedSearch{Ignore: true}
	}
	return hnsw.QuantizedSearch{Oversampling: c.Oversampling}
}

// runQuantized quantizes g and sweeps ef with the float and the int8
// walk alternating, A B A B at each ef, on the same graph (inserts use the
// floats, so the graph is the one an unquantized build makes).
func runQuantized(ctx context.Context, cfg ANNConfig, g *hnsw.Graph, res *ANNResult, queries []float32, dim int, truth [][]int32) error {
	if cfg.Quantization != "int8" {
		return fmt.Errorf("ann bench: quantization %q, want int8", cfg.Quantization)
	}
	start := time.Now()
	if err := g.Quantize(ctx, cfg.Quantile, nil); err != nil {
		return fmt.Errorf("ann bench: %w", err)
	}
	q, _ := g.Quantization()
	res.Quantized = &ANNQuantized{Type: cfg.Quantization, Quantile: q.Quantile, Oversampling: max(1, cfg.Oversampling),
		Lower: q.Lower, Upper: q.Upper, Seconds: time.Since(start).Seconds(), IndexBytes: g.MemoryBytes()}
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "quantized in %.2fs (bounds %.3f..%.3f); heap estimate %.1f MB with codes, %.1f MB without\n",
			res.Quantized.Seconds, q.Lower, q.Upper, float64(res.Quantized.IndexBytes)/1e6, float64(res.IndexBytes)/1e6)
	}
	float := cfg
	float.Quantization = ""
	for _, ef := range cfg.Efs {
		for _, pass := range []ANNConfig{float, cfg, float, cfg} {
			run, err := sweepPoint(ctx, pass, g, queries, dim, truth, ef)
			if err != nil {
				return err
			}
			run.Walk = map[bool]string{true: "float", false: "int8"}[pass.Quantization == ""]
			res.Runs = append(res.Runs, run)
			if cfg.Progress != nil {
				fmt.Fprintf(cfg.Progress, "ef=%-4d %-5s recall@%d=%.4f qps(1 thread)=%.0f p50=%.0fµs p99=%.0fµs\n",
					ef, run.Walk, cfg.K, run.RecallAt10, run.QPSSingle, run.P50Micros, run.P99Micros)
			}
		}
	}
	return nil
}

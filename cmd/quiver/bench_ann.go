package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/quiver-db/quiver/bench"
	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/ivf"
)

func init() {
	registerBench("ann", "recall@10 and queries/s of the HNSW index on .fvecs/.ivecs data", runBenchANN)
}

func runBenchANN(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench ann", flag.ContinueOnError)
	cfg := bench.ANNConfig{Progress: os.Stderr}
	fs.StringVar(&cfg.Dir, "data", "", "directory with base.fvecs, query.fvecs, groundtruth.ivecs (required)")
	fs.IntVar(&cfg.M, "m", hnsw.DefaultM, "links per node on upper layers (2·M on layer 0)")
	fs.IntVar(&cfg.EfConstruction, "ef-construction", hnsw.DefaultEfConstruction, "candidate list size while building")
	efs := fs.String("ef", "10,20,40,80,120,200,400", "comma-separated ef values to sweep")
	fs.IntVar(&cfg.Threads, "threads", 0, "threads for the build and the all-core pass (default all cores)")
	metric := fs.String("metric", "cosine", "cosine, dot or l2")
	jsonPath := fs.String("json", "", "also write the result as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.IntVar(&cfg.Limit, "limit", 0, "use only the first N base vectors (ground truth is then recomputed exactly)")
	fcfg := bench.FilteredANNConfig{}
	sels := fs.String("filter-selectivity", "", "comma-separated fractions (e.g. 0.5,0.1,0.01,0.001): measure filtered search instead, against the exact filtered top-k")
	strategies := fs.String("filter-strategies", "walk,two-hop,exact", "with --filter-selectivity: the strategies to measure")
	fs.IntVar(&fcfg.Queries, "filter-queries", 1000, "with --filter-selectivity: how many queries to run")
	fs.IntVar(&fcfg.Rounds, "rounds", 3, "with --filter-selectivity: passes per strategy, taking turns")
	fs.StringVar(&fcfg.GraphFile, "graph", "", "with --filter-selectivity: cache the built graph in this file")
	fs.StringVar(&cfg.Quantization, "quantization", "", "int8: quantize after the build and sweep the float and int8 walks A B A B")
	fs.Float64Var(&cfg.Quantile, "quantile", 0, "quantile of the int8 bounds, 0.5..1 (default 1, the whole range)")
	fs.Float64Var(&cfg.Oversampling, "oversampling", 0, "int8 walk: candidates per result to re-score, 1..16 (default 1)")
	fs.StringVar(&cfg.Index, "index", "hnsw", "hnsw (the graph) or ivf (k-means cells with 4-bit codes, scanned, then re-scored)")
	fs.IntVar(&cfg.IVF.Cells, "cells", 0, "with --index ivf: k-means cells (default about 3·√n)")
	fs.IntVar(&cfg.IVF.Iterations, "iterations", 0, "with --index ivf: k-means iterations (default 10)")
	fs.IntVar(&cfg.IVF.TrainPoints, "train-points", 0, "with --index ivf: k-means sample size (default 64 per cell, at least 20,000)")
	fs.IntVar(&cfg.IVF.Spill, "spill", 0, "with --index ivf: nearest cells each point is stored in, 1..4 (default 2)")
	precision := fs.String("precision", "float16", "with --index ivf: float16 or float32, the re-scoring vectors")
	sweep := fs.String("sweep", "", "with --index ivf: comma-separated probe:reorder points (cells scanned, candidates re-scored); default 5:40 ... 90:300")
	plotPath := fs.String("plot", "", "draw recall@10 vs queries/s to this chart (.svg, .png)")
	var peers fileList
	fs.Var(&peers, "peer", "a peer's JSON result (scripts/peers) to draw beside Quiver's with --plot (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Dir == "" {
		return fmt.Errorf("bench ann: --data is required")
	}
	var err error
	if cfg.Metric, err = hnsw.ParseMetric(*metric); err != nil {
		return fmt.Errorf("bench ann: --metric: %w", err)
	}
	for _, f := range strings.Split(*efs, ",") {
		ef, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || ef < 1 {
			return fmt.Errorf("bench ann: --ef: bad value %q", f)
		}
		cfg.Efs = append(cfg.Efs, ef)
	}
	if cfg.IVF.Sweep, err = parseIVFSweep(*sweep); err != nil {
		return err
	}
	switch *precision {
	case "float16":
		cfg.IVF.Precision = ivf.Float16
	case "float32":
		cfg.IVF.Precision = ivf.Float32
	default:
		return fmt.Errorf("bench ann: --precision: %q, want float16 or float32", *precision)
	}
	switch cfg.Index {
	case "hnsw", "ivf":
	default:
		return fmt.Errorf("bench ann: --index: %q, want hnsw or ivf", cfg.Index)
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	if *sels != "" {
		for _, f := range strings.Split(*sels, ",") {
			s, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return fmt.Errorf("bench ann: --filter-selectivity: bad value %q", f)
			}
			fcfg.Selectivities = append(fcfg.Selectivities, s)
		}
		fcfg.ANN, fcfg.Strategies = cfg, strings.Split(*strategies, ",")
		return runBenchFilteredANN(ctx, fcfg, *jsonPath)
	}
	res, err := bench.RunANN(ctx, cfg)
	if err != nil {
		return err
	}
	if cfg.Index == "ivf" {
		printIVFResult(cfg.Dir, res)
		if err := writeJSON(*jsonPath, res); err != nil {
			return err
		}
		if *plotPath != "" {
			return plotANNResult(*plotPath, res, cfg.Dir, peers)
		}
		return nil
	}
	fmt.Printf("quiver HNSW on %s: %d vectors, dim %d, M=%d efConstruction=%d\n", cfg.Dir, res.Vectors, res.Dim, res.M, res.EfConstruction)
	fmt.Printf("build %.1fs, %.1f CPU s (%.0f vectors/s, %d threads), index memory %.1f MB RSS (%.1f MB heap estimate)\n",
		res.BuildSeconds, res.BuildCPUSeconds, res.VectorsPerSecond, res.Threads, float64(res.MemoryBytes)/1e6, float64(res.IndexBytes)/1e6)
	if q := res.Quantized; q != nil {
		fmt.Printf("%s quantile %g oversampling %g: quantized in %.2fs, bounds %.3f..%.3f, heap estimate %.1f MB with codes (%.1f MB without)\n",
			q.Type, q.Quantile, q.Oversampling, q.Seconds, q.Lower, q.Upper, float64(q.IndexBytes)/1e6, float64(res.IndexBytes)/1e6)
	}
	fmt.Printf("%6s %5s %10s %14s %14s %14s %9s %9s\n", "ef", "walk", "recall@10", "qps 1 thread", "q/CPU s", fmt.Sprintf("qps %d thr", res.Threads), "p50 µs", "p99 µs")
	for _, r := range res.Runs {
		fmt.Printf("%6d %5s %10.4f %14.0f %14.0f %14.0f %9.0f %9.0f\n", r.Ef, r.Walk, r.RecallAt10, r.QPSSingle, r.QPSSingleCPU, r.QPSAllCores, r.P50Micros, r.P99Micros)
	}
	if err := writeJSON(*jsonPath, res); err != nil {
		return err
	}
	if *plotPath != "" {
		return plotANNResult(*plotPath, res, cfg.Dir, peers)
	}
	return nil
}

// writeJSON writes v as indented JSON to path, when path is set.
func writeJSON(path string, v any) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench ann: write %s: %w", path, err)
	}
	return nil
}

func runBenchFilteredANN(ctx context.Context, cfg bench.FilteredANNConfig, jsonPath string) error {
	res, err := bench.RunFilteredANN(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("quiver filtered HNSW on %s: %d vectors, dim %d, %d queries, load average %s\n", cfg.ANN.Dir, res.Vectors, res.Dim, res.Queries, res.LoadAverage)
	fmt.Printf("%11s %8s %8s %5s %10s %9s %15s %9s\n", "selectivity", "matches", "strategy", "ef", "recall@10", "qps", "min-max", "q/CPU s")
	for _, r := range res.Runs {
		fmt.Printf("%11g %8d %8s %5d %10.4f %9.0f %15s %9.0f\n", r.Selectivity, r.Matches, r.Strategy, r.Ef, r.RecallAt10, r.QPS, fmt.Sprintf("%.0f-%.0f", r.MinQPS, r.MaxQPS), r.QPSCPU)
	}
	return writeJSON(jsonPath, res)
}

// parseIVFSweep reads "probe:reorder,..."; empty means the default sweep.
func parseIVFSweep(s string) ([]bench.IVFPoint, error) {
	if s == "" {
		return nil, nil
	}
	var out []bench.IVFPoint
	for _, f := range strings.Split(s, ",") {
		p, r, ok := strings.Cut(strings.TrimSpace(f), ":")
		probe, err1 := strconv.Atoi(p)
		reorder, err2 := strconv.Atoi(r)
		if !ok || err1 != nil || err2 != nil || probe < 1 || reorder < 1 {
			return nil, fmt.Errorf("bench ann: --sweep: bad point %q, want probe:reorder", f)
		}
		out = append(out, bench.IVFPoint{Probe: probe, Reorder: reorder})
	}
	return out, nil
}

func printIVFResult(dir string, res *bench.ANNResult) {
	fmt.Printf("quiver IVF on %s: %d vectors, dim %d, %d cells\n", dir, res.Vectors, res.Dim, res.Cells)
	fmt.Printf("build %.1fs, %.1f CPU s (%.0f vectors/s, %d threads), index memory %.1f MB RSS (%.1f MB heap estimate)\n",
		res.BuildSeconds, res.BuildCPUSeconds, res.VectorsPerSecond, res.Threads, float64(res.MemoryBytes)/1e6, float64(res.IndexBytes)/1e6)
	fmt.Printf("%6s %8s %10s %14s %14s %14s %9s %9s\n", "probe", "reorder", "recall@10", "qps 1 thread", "q/CPU s", fmt.Sprintf("qps %d thr", res.Threads), "p50 µs", "p99 µs")
	for _, r := range res.Runs {
		fmt.Printf("%6d %8d %10.4f %14.0f %14.0f %14.0f %9.0f %9.0f\n", r.Probe, r.Reorder, r.RecallAt10, r.QPSSingle, r.QPSSingleCPU, r.QPSAllCores, r.P50Micros, r.P99Micros)
	}
}

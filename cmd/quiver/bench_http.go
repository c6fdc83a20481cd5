package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/quiver-db/quiver/bench"
)

func init() {
	registerBench("http", "queries/s and latency over HTTP with concurrent clients, beside the same index in process", runBenchHTTP)
}

func runBenchHTTP(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench http", flag.ContinueOnError)
	cfg := bench.HTTPConfig{Progress: os.Stderr}
	fs.StringVar(&cfg.Dir, "data", "", "directory with base.fvecs, query.fvecs, groundtruth.ivecs (required)")
	fs.IntVar(&cfg.Ef, "ef", 128, "hnsw_ef of every query")
	fs.IntVar(&cfg.Clients, "clients", 0, "concurrent HTTP clients in the load pass (default 2·cores)")
	fs.IntVar(&cfg.Queries, "queries", 0, "run only the first N queries (default all)")
	fs.IntVar(&cfg.Limit, "limit", 0, "use only the first N base vectors (ground truth is then recomputed exactly)")
	fs.IntVar(&cfg.M, "m", 0, "links per node (default the index's)")
	fs.IntVar(&cfg.EfConstruction, "ef-construction", 0, "candidate list size while building (default the index's)")
	fs.IntVar(&cfg.Batch, "batch", 1000, "points per upsert request")
	jsonPath := fs.String("json", "", "also write the result as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (client and server) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Dir == "" {
		return fmt.Errorf("bench http: --data is required")
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	res, err := bench.RunHTTP(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench http: %w", err)
	}
	fmt.Printf("quiver over HTTP on %s: %d vectors, dim %d, %d queries, ef %d, %d clients\n", cfg.Dir, res.Vectors, res.Dim, res.Queries, res.Ef, res.Clients)
	fmt.Printf("ingest over HTTP: %.1fs, %.0f points/s\n", res.IngestSecs, res.IngestPerSec)
	fmt.Printf("recall@10 over HTTP: %.4f\n", res.RecallAt10)
	fmt.Printf("%-28s %10s %10s %10s\n", "pass", "qps", "p50 µs", "p99 µs")
	for _, row := range []struct {
		name string
		l    bench.Latency
	}{
		{"in process, 1 at a time", res.InProcess},
		{"http, 1 client", res.HTTPSerial},
		{fmt.Sprintf("in process, %d at a time", res.Clients), res.InProcessLoad},
		{fmt.Sprintf("http, %d clients", res.Clients), res.HTTPLoad},
	} {
		fmt.Printf("%-28s %10.0f %10.0f %10.0f\n", row.name, row.l.QPS, row.l.P50Micros, row.l.P99Micros)
	}
	fmt.Printf("HTTP adds %.0f%% to the in-process p50\n", 100*res.P50Overhead)
	if *jsonPath != "" {
		raw, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonPath, append(raw, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench http: %w", err)
		}
	}
	return nil
}

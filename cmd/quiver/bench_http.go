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
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the query passes (client and server) to this file")
	fs.StringVar(&cfg.DataDir, "keep", "", "keep the server's data in this directory; a later run on the same data reuses it and skips the ingest")
	fs.IntVar(&cfg.Block, "block", 200, "queries each kind of client runs before the next takes its turn")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Dir == "" {
		return fmt.Errorf("bench http: --data is required")
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("bench http: %w", err)
		}
		defer f.Close()
		cfg.QueryProfile = f
	}
	res, err := bench.RunHTTP(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench http: %w", err)
	}
	fmt.Printf("quiver over HTTP on %s: %d vectors, dim %d, %d queries, ef %d, limit 10\n", cfg.Dir, res.Vectors, res.Dim, res.Queries, res.Ef)
	fmt.Printf("ingest over HTTP: %.1fs, %.0f points/s\n", res.IngestSecs, res.IngestPerSec)
	fmt.Printf("%-36s %8s %8s %8s %11s %8s\n", "pass (kinds interleaved in blocks)", "qps", "p50 µs", "p99 µs", "server p50", "recall")
	for _, pass := range []struct {
		label string
		rows  []bench.PassLatency
	}{{"1 at a time", res.Serial}, {fmt.Sprintf("%d at a time", res.Clients), res.Load}} {
		for _, r := range pass.rows {
			server := "-"
			if r.ServerP50Micros > 0 {
				server = fmt.Sprintf("%.0f", r.ServerP50Micros)
			}
			fmt.Printf("%-36s %8.0f %8.0f %8.0f %11s %8.4f\n", r.Name+", "+pass.label, r.QPS, r.P50Micros, r.P99Micros, server, r.Recall)
		}
	}
	inProc := res.Serial[0].P50Micros
	fmt.Printf("HTTP adds %.0f%% to the in-process p50 (keep-alive connection), %.0f%% through net/http's client\n",
		100*res.P50Overhead, 100*res.ClientP50Overhead)
	fmt.Printf("floor: a bare net/http handler busy for the same %.0f µs answers at p50 %.0f µs, +%.0f µs (%.0f%%) that no server goes under here\n",
		inProc, res.Floor.P50Micros, res.Floor.P50Micros-inProc, 100*(res.Floor.P50Micros/inProc-1))
	fmt.Printf("quiver's own share: the keep-alive p50 is %.0f µs above the floor's\n", res.Serial[1].P50Micros-res.Floor.P50Micros)
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

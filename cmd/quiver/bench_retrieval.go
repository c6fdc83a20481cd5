package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/quiver-db/quiver/bench"
	"github.com/quiver-db/quiver/encoder"
)

func init() {
	registerBench("retrieval", "BM25, dense and fused text retrieval on MovieLens tags, and sparse search speed", runBenchRetrieval)
}

func runBenchRetrieval(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench retrieval", flag.ContinueOnError)
	cfg := bench.RetrievalConfig{Progress: os.Stderr}
	fs.StringVar(&cfg.Dir, "data", "../shared/data/ml-latest-small", "MovieLens directory with movies.csv and tags.csv")
	fs.StringVar(&cfg.Work, "work", "benchdata/retrieval", "directory for the collection (its db/ is removed first) and the peer's input files")
	model := fs.String("model", envOr("QUIVER_MODEL_DIR", "models/all-MiniLM-L6-v2"), "text model directory (env QUIVER_MODEL_DIR)")
	fs.IntVar(&cfg.MinMovies, "min-movies", 5, "fewest distinct movies of a tag kept as a query")
	fs.IntVar(&cfg.MaxMovies, "max-movies", 200, "most distinct movies of a tag kept as a query")
	fs.IntVar(&cfg.FusionDepth, "fusion-depth", 100, "candidates of each prefetch of a fusion")
	fs.IntVar(&cfg.Rounds, "rounds", 5, "timed passes over the queries of each method, taking turns")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the split of queries into the halves that tune fusion weights for each other")
	fs.StringVar(&cfg.Peer.Script, "peer", "", "also run this peer script (scripts/peers/bm25s_retrieval.py) in turns with Quiver")
	fs.StringVar(&cfg.Peer.Python, "python", "python3", "interpreter for --peer")
	fs.BoolVar(&cfg.Sparse.Skip, "no-sparse", false, "leave out the sparse search speed part")
	fs.IntVar(&cfg.Sparse.Rounds, "sparse-rounds", 3, "timed passes of each sparse search kind, taking turns")
	fs.IntVar(&cfg.Sparse.K, "sparse-k", 10, "results of each sparse speed query")
	fs.IntVar(&cfg.Sparse.Synthetic.Docs, "synthetic-docs", 1_000_000, "documents of the synthetic Zipf corpus (negative: leave it out)")
	fs.IntVar(&cfg.Sparse.Synthetic.Vocab, "synthetic-vocab", 200_000, "distinct terms of the synthetic corpus")
	fs.IntVar(&cfg.Sparse.Synthetic.Queries, "synthetic-queries", 500, "queries of the synthetic corpus")
	fs.Float64Var(&cfg.Sparse.Synthetic.S, "synthetic-s", 1.1, "Zipf exponent of the synthetic corpus")
	fs.Uint64Var(&cfg.Sparse.Synthetic.Seed, "synthetic-seed", 1, "seed of the synthetic corpus")
	jsonPath := fs.String("json", "", "also write the result as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	enc, err := encoder.Load(*model, encoder.Options{})
	if err != nil {
		return fmt.Errorf("bench retrieval: %w", err)
	}
	cfg.Encoder, cfg.ModelName = enc, enc.Name()
	res, err := bench.RunRetrieval(ctx, cfg)
	if err != nil {
		return err
	}
	printRetrieval(res)
	if *jsonPath != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench retrieval: write %s: %w", *jsonPath, err)
		}
	}
	return nil
}

func printRetrieval(r *bench.RetrievalResult) {
	fmt.Printf("MovieLens tags as queries: %d of %d distinct tags (case-folded, trimmed) on %d..%d movies; %d documents (title + genres, %.2f BM25 tokens on average, BM25 avg_len set to it)\n",
		r.Queries, r.Tags, r.MinMovies, r.MaxMovies, r.Docs, r.AvgDocTokens)
	fmt.Printf("dense %s (Cosine, HNSW); fusions over two prefetches of %d; %d results a query; build %.1fs; %d threads\n",
		r.Model, r.FusionDepth, r.Limit, r.BuildSeconds, r.GOMAXPROCS)
	if p := r.Peer; p != nil {
		fmt.Printf("peer bm25s %s (%s backend): index %.2fs, warm-up %.2fs; top-10 overlap with Quiver's BM25 %.3f\n",
			p.Version, p.Backend, p.IndexSeconds, p.WarmupSeconds, r.PeerOverlapAt10)
	}
	fmt.Printf("\n%-28s %8s %10s %9s %17s\n", "method", "NDCG@10", "Recall@100", "q/s", "q/s range")
	for _, m := range r.Methods {
		nd, rc := "-", "-"
		if m.Quality != nil {
			nd, rc = fmt.Sprintf("%.4f", m.Quality.NDCGAt10), fmt.Sprintf("%.4f", m.Quality.RecallAt100)
		}
		fmt.Printf("%-28s %8s %10s %9.0f %8.0f-%-8.0f\n", m.Name, nd, rc, m.Speed.QPS, m.Speed.MinQPS, m.Speed.MaxQPS)
	}
	fmt.Printf("\nper query: bm25 found nothing for %d; NDCG@10 higher with bm25 for %d, with dense for %d (ties the rest)\n", r.BM25Empty, r.BM25Wins, r.DenseWins)
	fmt.Printf("\nfusion weights tuned on one half of the queries, scored on the other (both ways; dense weight, bm25 1):\n")
	for _, t := range r.Tuned {
		fmt.Printf("%-5s NDCG@10 %.4f Recall@100 %.4f (each query ranked with its other half's choice)\n", t.Method, t.Quality.NDCGAt10, t.Quality.RecallAt100)
		for i, f := range t.Folds {
			fmt.Printf("      half %d: dense weight %g", i+1, f.DenseWeight)
			if f.K != 0 {
				fmt.Printf(", k %d", f.K)
			}
			fmt.Printf(": NDCG@10 %.4f on it, %.4f on the other half\n", f.Tune.NDCGAt10, f.HeldOut.NDCGAt10)
		}
	}
	fmt.Printf("\nNDCG@10 minus %s's, query by query (mean ± standard error):\n", r.Best)
	for _, d := range r.Deltas {
		fmt.Printf("  %-12s %+.4f ± %.4f\n", d.Name, d.Mean, d.SE)
	}
	for _, s := range r.Sparse {
		fmt.Printf("\nsparse search, %s\n", s.Corpus)
		fmt.Printf("  %d docs, %.1f terms each, %d postings; %d queries of %.2f terms; build %.1fs", s.Docs, s.AvgDocTerms, s.Postings, s.Queries, s.AvgQueryTerm, s.BuildSeconds)
		if s.GenerateSeconds > 0 {
			fmt.Printf(" (generated in %.1fs)", s.GenerateSeconds)
		}
		fmt.Printf("; top %d, one query at a time\n", s.K)
		fmt.Printf("  %-12s %9.0f q/s (%.0f-%.0f)\n", "maxscore", s.MaxScore.QPS, s.MaxScore.MinQPS, s.MaxScore.MaxQPS)
		fmt.Printf("  %-12s %9.0f q/s (%.0f-%.0f), top %d agrees with maxscore's %.4f\n", "exhaustive", s.Exhaustive.QPS, s.Exhaustive.MinQPS, s.Exhaustive.MaxQPS, s.K, s.ExhaustiveAgreement)
		if s.Peer != nil {
			fmt.Printf("  %-12s %9.0f q/s (%.0f-%.0f), top %d agrees with maxscore's %.4f; index %.1fs\n", "bm25s", s.Peer.QPS, s.Peer.MinQPS, s.Peer.MaxQPS, s.K, s.PeerAgreement, s.PeerInfo.IndexSeconds)
		}
	}
	fmt.Printf("\nload average at start %s, at end %s; total %.1fs\n", r.LoadAvgStart, r.LoadAvgEnd, r.WallSeconds)
}

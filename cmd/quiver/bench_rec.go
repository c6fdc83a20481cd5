package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/quiver-db/quiver/bench"
	"github.com/quiver-db/quiver/encoder"
	"github.com/quiver-db/quiver/recommend"
)

func init() {
	registerBench("rec", "recommenders on MovieLens ml-latest-small (BENCHMARKS.md §2)", runBenchRec)
}

func runBenchRec(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench rec", flag.ContinueOnError)
	cfg := bench.RecConfig{Progress: os.Stderr}
	fs.StringVar(&cfg.Dir, "data", "../shared/data/ml-latest-small", "MovieLens directory with ratings.csv and movies.csv")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of every model")
	fs.IntVar(&cfg.Workers, "threads", 0, "training and evaluation threads (default all cores)")
	fs.BoolVar(&cfg.Quick, "quick", false, "skip the iALS validation grid, use its recorded best point (with --http: fewer requests and new users)")
	fs.IntVar(&cfg.Ef, "ef", 400, "ef of the HNSW search over item factors")
	content := fs.String("content", "", "item vectors: \"encoder\" (the --model text model on title and genres, as the server indexes them) or a .fvecs file, one row per line of movies.csv (default: hashed genres and title words)")
	jsonPath := fs.String("json", "", "also write the result as JSON to this file")
	peer := fs.String("peer", "", "also run this peer script (scripts/peers/implicit_ials.py) with --python's interpreter on the same data")
	python := fs.String("python", "python3", "interpreter for --peer")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (with --http: of the request passes) to this file")
	overHTTP := fs.Bool("http", false, "run the HTTP benchmark instead of the offline protocol: movies as text, ratings and training through the API, then recommendation latency over HTTP")
	hcfg := bench.RecHTTPConfig{Progress: os.Stderr}
	fs.StringVar(&hcfg.ModelDir, "model", envOr("QUIVER_MODEL_DIR", "models/all-MiniLM-L6-v2"), "text model directory for --http and --content encoder (env QUIVER_MODEL_DIR)")
	fs.IntVar(&hcfg.Requests, "requests", 0, "with --http: recommendation requests of each kind, plain and explained (default 2000, --quick 300)")
	fs.IntVar(&hcfg.NewUsers, "new-users", 0, "with --http: new users timed from their first interaction to their updated list (default 200, --quick 30)")
	fs.BoolVar(&hcfg.Hybrid, "hybrid", false, "with --http: also a hybrid vector (iALS + text centroid + popularity) trained and scored beside cf")
	hybridContent := fs.Float64("hybrid-content", 0, "with --http --hybrid: the training's hybrid_content_weight (default the server's)")
	fs.Float64Var(&hcfg.HybridCentroidHalfLife, "hybrid-centroid-half-life", 0, "with --http --hybrid: the training's hybrid_centroid_half_life (default the server's)")
	fs.BoolVar(&hcfg.AllRatings, "all-ratings", false, "with --http: send every rating, not only the train part of the §2 split")
	ccfg := bench.RecClusterConfig{Progress: os.Stderr}
	fs.IntVar(&ccfg.Nodes, "cluster", 0, "with --http: run the flow through a cluster of this many quiver serve processes holding a sharded collection, beside one single-node process (0: off, the in-process server)")
	fs.IntVar(&ccfg.Shards, "shards", 0, "with --cluster: the collection's shard_number (default the nodes)")
	fs.IntVar(&ccfg.Replicas, "replication-factor", 2, "with --cluster: the collection's replication_factor")
	fs.BoolVar(&ccfg.ClusterFirst, "cluster-first", false, "with --cluster: run the cluster first, then the single node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *overHTTP && ccfg.Nodes > 0 {
		ccfg.Dir, ccfg.ModelDir, ccfg.Seed, ccfg.Requests, ccfg.NewUsers = cfg.Dir, hcfg.ModelDir, cfg.Seed, hcfg.Requests, hcfg.NewUsers
		if cfg.Quick {
			ccfg.Requests, ccfg.NewUsers = cmp.Or(ccfg.Requests, 300), cmp.Or(ccfg.NewUsers, 30)
		}
		return runBenchRecCluster(ctx, ccfg, *jsonPath)
	}
	if *overHTTP {
		hcfg.Dir, hcfg.Seed, hcfg.HybridContentWeight = cfg.Dir, cfg.Seed, float32(*hybridContent)
		if cfg.Quick {
			hcfg.Requests, hcfg.NewUsers = cmp.Or(hcfg.Requests, 300), cmp.Or(hcfg.NewUsers, 30)
		}
		return runBenchRecHTTP(ctx, hcfg, *cpuProfile, *jsonPath)
	}
	switch *content {
	case "":
	case "encoder":
		enc, err := encoder.Load(hcfg.ModelDir, encoder.Options{})
		if err != nil {
			return fmt.Errorf("bench rec: --content encoder: %w", err)
		}
		cfg.Content = func(ids []int64) (recommend.Content, error) {
			return bench.EncoderContent(ctx, enc, cfg.Dir, ids, os.Stderr)
		}
		cfg.ContentName = "all-MiniLM-L6-v2 on title and genres"
	default:
		path := *content
		cfg.Content = func(ids []int64) (recommend.Content, error) { return bench.FvecsContent(path, cfg.Dir, ids) }
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	res, err := bench.RunRec(ctx, cfg)
	stop()
	if err != nil {
		return err
	}
	printRec(res)
	if *jsonPath != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench rec: write %s: %w", *jsonPath, err)
		}
	}
	if *peer != "" {
		// The peer has no recency weighting: compare on Hu et al.'s plain
		// model, binary confidence 1+α, with the same λ, factors and passes.
		s := bench.IALSSettings{Factors: 64, Iterations: 15, Alpha: 1, Alpha0: 1, Lambda: bench.BestIALS.Lambda}
		fmt.Printf("\nplain iALS beside the peer (same split, %s, %d threads):\n", s, res.IALSTiming.Workers)
		t, err := bench.RunRecPlainIALS(ctx, cfg, s)
		if err != nil {
			return err
		}
		fmt.Printf("quiver iALS %s: train %.2fs wall, %.2f CPU s; test NDCG@10 %.4f\n", s, t.Seconds, t.CPUSeconds, t.NDCGAt10)
		cmd := exec.CommandContext(ctx, *python, *peer, "--data", cfg.Dir, "--factors", fmt.Sprint(s.Factors),
			"--iterations", fmt.Sprint(s.Iterations), "--regularization", fmt.Sprint(s.Lambda), "--alpha", fmt.Sprint(s.Alpha),
			"--threads", fmt.Sprint(t.Workers))
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("bench rec: peer %s: %w", *peer, err)
		}
	}
	return nil
}

func printRec(res *bench.RecResult) {
	fmt.Printf("MovieLens: train %d, test %d, catalogue %d; validation-train %d, validation %d, catalogue %d; %d threads\n",
		res.Train, res.Test, res.Catalogue, res.ValTrain, res.Validation, res.ValCatalogue, res.GOMAXPROCS)
	fmt.Printf("content: %s, dim %d\n\n", res.ContentSource, res.ContentDim)
	fmt.Printf("%-16s %-48s %9s %9s %8s %7s %8s %8s\n", "model", "settings", "Recall@10", "Recall@20", "NDCG@10", "HR@10", "Cov@10", "train s")
	for _, m := range res.Models {
		t := m.Test
		fmt.Printf("%-16s %-48s %9.4f %9.4f %8.4f %7.4f %8.4f %8.2f\n", m.Model, m.Settings, t.RecallAt10, t.RecallAt20, t.NDCGAt10, t.HRAt10, t.CoverageAt10, m.TrainSeconds)
	}
	fmt.Printf("\n%-16s %-48s %8s %8s %8s\n", "rating model", "settings", "RMSE", "MAE", "train s")
	for _, m := range res.Ratings {
		fmt.Printf("%-16s %-48s %8.4f %8.4f %8.2f\n", m.Model, m.Settings, m.Test.RMSE, m.Test.MAE, m.TrainSeconds)
	}
	if len(res.Grid) > 1 {
		fmt.Printf("\niALS validation grid (NDCG@10, Recall@10, train s):\n")
		for _, g := range res.Grid {
			fmt.Printf("  %-48s %.4f %.4f %6.2f\n", g.Settings, g.Validation.NDCGAt10, g.Validation.RecallAt10, g.TrainSeconds)
		}
	}
	fmt.Printf("\ndot hybrid validation grid (NDCG@10, Recall@10):\n")
	for _, g := range res.DotGrid {
		fmt.Printf("  %-48s %.4f %.4f\n", g.Settings, g.Validation.NDCGAt10, g.Validation.RecallAt10)
	}
	fmt.Println()
	for _, h := range []bench.RecHNSW{res.HNSW, res.DotHNSW} {
		fmt.Printf("HNSW Dot ef=%d (%s): NDCG@10 %.4f vs exact %.4f (Δ %+.4f), Recall@10 %.4f vs %.4f; build %.2fs, %.0f users/s\n",
			h.Ef, h.Model, h.Graph.NDCGAt10, h.Exact.NDCGAt10, h.Graph.NDCGAt10-h.Exact.NDCGAt10, h.Graph.RecallAt10, h.Exact.RecallAt10, h.BuildSeconds, h.QueriesPerSecond)
	}
	fmt.Printf("dot hybrid over iALS %s: fold-in %.0f µs per user on average, %.0f µs at most\n",
		res.DotIALS, res.DotFoldInMicros, res.DotFoldInMaxMicros)
	t := res.IALSTiming
	fmt.Printf("iALS %d factors %d iterations on train: %.2fs wall, %.2f CPU s, %d threads, NDCG@10 %.4f\n",
		t.Factors, t.Iterations, t.Seconds, t.CPUSeconds, t.Workers, t.NDCGAt10)
	fmt.Printf("total %.1fs\n", res.WallSeconds)
	c := res.Cold
	fmt.Printf("\ncold items (movies absent from train; %d users with such test items, %d candidates), Recall@10: random %.4f, content %.4f, content→cf (ridge λ=%g) %.4f\n",
		c.Users, c.Items, c.Random, c.Content, c.RidgeLambda, c.ContentToCF)
}

package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/quiver-db/quiver/bench"
)

// runBenchRecHTTP runs bench rec --http: it replaces the offline protocol,
// whose models it does not train, by the served path (see
// bench.RunRecHTTP).
func runBenchRecHTTP(ctx context.Context, cfg bench.RecHTTPConfig, cpuProfile, jsonPath string) error {
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("bench rec: %w", err)
		}
		defer f.Close()
		cfg.Profile = f
	}
	res, err := bench.RunRecHTTP(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench rec --http: %w", err)
	}
	printRecHTTP(res)
	return writeJSON(jsonPath, res)
}

// runBenchRecCluster runs bench rec --http --cluster N: the served flow
// through a cluster beside one single node (see bench.RunRecCluster).
func runBenchRecCluster(ctx context.Context, cfg bench.RecClusterConfig, jsonPath string) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench rec --cluster: find the quiver binary: %w", err)
	}
	cfg.Binary = exe
	res, err := bench.RunRecCluster(ctx, cfg)
	if err != nil {
		return fmt.Errorf("bench rec --cluster: %w", err)
	}
	fmt.Print(res.Report())
	return writeJSON(jsonPath, res)
}

func printRecHTTP(r *bench.RecHTTPResult) {
	fmt.Printf("MovieLens over HTTP: %d movies as text (%s), %d users, %d interactions (%s ratings); %d cores\n",
		r.Movies, r.Model, r.Users, r.Interactions, r.Ratings, r.GOMAXPROCS)
	fmt.Printf("loadavg before, after training, at the end: %s\n", strings.Join(r.LoadAvg, " | "))
	fmt.Printf("upsert %.1fs (%.0f movies/s), interactions %.1fs (%.0f/s), train %.1fs (iALS %d factors, %d iterations)\n\n",
		r.UpsertSecs, r.UpsertPerSec, r.InteractSecs, r.InteractRate, r.TrainSecs, r.Factors, r.TrainIterations)
	fmt.Printf("%-44s %6s %9s %9s %9s %9s %9s\n", "latency (µs), one keep-alive connection", "n", "mean", "p50", "p90", "p99", "max")
	row := func(name string, s bench.LatencyStats) {
		fmt.Printf("%-44s %6d %9.0f %9.0f %9.0f %9.0f %9.0f\n", name, s.N, s.MeanMicros, s.P50Micros, s.P90Micros, s.P99Micros, s.MaxMicros)
	}
	row(fmt.Sprintf("recommend, limit %d", r.Limit), r.Recommend)
	row("  server's own time", r.RecommendServer)
	for _, h := range r.ByHistory {
		row(fmt.Sprintf("  users with %d..%d interactions", h.Min, h.Max), h.Latency)
	}
	row("recommend with_explanation", r.RecommendExplained)
	row("  server's own time", r.RecommendExplainedServer)
	row("new user: cold (popular) list", r.NewUserCold)
	row("new user: PUT interaction (fsync'd)", r.NewUserInteract)
	row("new user: next recommend", r.NewUserRecommend)
	row("new user: interaction → updated list", r.NewUserUpdated)
	row("in process: profile, new user (1 item)", r.ProfileNewUser)
	row("in process: fold-in solve, 1 item", r.FoldInSolve)
	row(fmt.Sprintf("in process: profile, MovieLens user (%.0f)", r.HistoryMean), r.ProfileUsers)
	fmt.Printf("\nnew users whose list changed after one interaction: %d of %d (folded in from the model: %d); total %.1fs\n",
		r.Changed, r.NewUserUpdated.N, r.FromModel, r.WallSeconds)
	if len(r.Quality) == 0 {
		return
	}
	fmt.Printf("\nserved lists on the test part, every user, movies outside train dropped (HNSW ef 400); %s\n", r.HybridSettings)
	fmt.Printf("%-8s %9s %9s %9s %9s %6s\n", "using", "Recall@10", "NDCG@10", "HR@10", "Cov@10", "short")
	for _, q := range r.Quality {
		fmt.Printf("%-8s %9.4f %9.4f %9.4f %9.4f %6d\n", q.Using, q.RecallAt10, q.NDCGAt10, q.HRAt10, q.CoverageAt10, q.Short)
	}
	fmt.Printf("\n%-44s %6s %9s %9s %9s %9s %9s\n", "latency (µs) of the scored requests", "n", "mean", "p50", "p90", "p99", "max")
	for _, q := range r.Quality {
		row(q.Using+": first request (profile folded in)", q.First)
		row(q.Using+": again (cached profile)", q.Latency)
		row(q.Using+":   server's own time", q.Server)
		row(q.Using+": with_explanation, limit 10", q.Explained)
	}
}

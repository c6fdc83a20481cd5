package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/quiver-db/quiver/bench"
)

func init() {
	registerBench("cluster", "a replicated cluster under seeded faults (kills, a majority down, a paused leader; partitions with --netns) with a history check, then latency beside a single node", runBenchCluster)
}

func runBenchCluster(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench cluster", flag.ContinueOnError)
	cfg := bench.ClusterConfig{Progress: os.Stderr}
	lat := bench.ClusterLatencyConfig{Progress: os.Stderr}
	fs.IntVar(&cfg.Nodes, "nodes", 3, "nodes of the cluster: 3 or 5")
	fs.IntVar(&cfg.Cycles, "faults", 24, "faults to inject (0 with --latency skips the fault run)")
	fs.IntVar(&cfg.Clients, "clients", 4, "concurrent clients of the fault run")
	fs.IntVar(&cfg.Points, "points", 100, "point ids the fault run's clients write")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the faults, victims and operations")
	fs.DurationVar(&cfg.Hold, "hold", 0, "how long killed nodes stay down (default 2s)")
	fs.DurationVar(&cfg.Pause, "pause", 0, "how long a paused leader stays stopped (default 3s)")
	kinds := fs.String("kinds", "", "comma-separated fault kinds, or all: "+strings.Join(bench.AllFaults, ", ")+" (default the first four, with the partition kinds under --netns)")
	fs.BoolVar(&cfg.Netns, "netns", false, "run each node in its own network namespace on a bridge (needs root and ip netns), for the partition kinds and slow-link")
	fs.IntVar(&cfg.Shards, "fault-shards", 0, "shard_number of the fault run's collection (above 1: a replica of every shard on every node)")
	fs.DurationVar(&cfg.Partition, "partition", 0, "how long a partition, slowed link or slowed disk lasts (default 4s)")
	fs.StringVar(&cfg.Dir, "dir", "", "keep the fault run's node data and logs (NODE.log) under this directory (default: a temporary one, removed)")
	latency := fs.Bool("latency", true, "then measure latency and CPU of a 3-node cluster beside a single node")
	fs.IntVar(&lat.Points, "latency-points", 0, "points loaded before the latency runs (default 10000)")
	fs.IntVar(&lat.Dim, "latency-dim", 0, "dimension of the latency runs' random vectors (default 64)")
	fs.IntVar(&lat.Samples, "latency-samples", 0, "requests timed per measure (default 1000)")
	fs.IntVar(&lat.Shards, "shards", 0, "latency of a collection of this shard_number: a 1-node cluster beside a 3-node one (scatter-gather), instead of a single node beside a 3-node cluster")
	fs.IntVar(&lat.Replicas, "replication-factor", 1, "with --shards: the 3-node cluster's replication_factor")
	jsonPath := fs.String("json", "", "also write the fault run (faults, verdicts, every operation) as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if cfg.Kinds, err = bench.ParseFaultKinds(*kinds); err != nil {
		return fmt.Errorf("bench cluster: --kinds: %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench cluster: find the quiver binary: %w", err)
	}
	cfg.Binary, lat.Binary = exe, exe
	failed := false
	if cfg.Cycles > 0 {
		res, err := bench.RunCluster(ctx, cfg)
		if err != nil {
			return fmt.Errorf("bench cluster: %w", err)
		}
		fmt.Print(res.Report())
		failed = !res.OK()
		if *jsonPath != "" {
			raw, err := json.Marshal(res)
			if err != nil {
				return err
			}
			if err := os.WriteFile(*jsonPath, raw, 0o644); err != nil {
				return fmt.Errorf("bench cluster: %w", err)
			}
		}
	}
	if *latency {
		res, err := bench.RunClusterLatency(ctx, lat)
		if err != nil {
			return fmt.Errorf("bench cluster: latency: %w", err)
		}
		fmt.Print(res.Report())
	}
	if failed {
		return errors.New("bench cluster: the fault run found anomalies (above)")
	}
	return nil
}

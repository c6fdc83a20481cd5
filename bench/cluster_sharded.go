package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// measureSharded measures the cost of scatter-gather: the same sharded
// collection on a 1-node cluster and on a 3-node one, both running at
// once. The searches alternate between them request by request, the
// same query to each, in the order A B B A, and the throughput blocks
// take turns A B A B: this machine's speed drifts by 20% and more within
// minutes, and a comparison of one setup's minute with the other's
// measured the drift.
func measureSharded(ctx context.Context, cfg ClusterLatencyConfig, res *ClusterLatencyResult) error {
	var runs []*latencyRun
	defer func() {
		for _, run := range runs {
			run.close()
		}
	}()
	for _, n := range []int{1, 3} {
		run, err := openSetup(ctx, cfg, n)
		if err != nil {
			return err
		}
		runs = append(runs, run)
	}
	queries := func(n int) [][]float32 {
		out := make([][]float32, n)
		for i := range out {
			out[i] = runs[0].vec()
		}
		return out
	}
	// The writes leave work behind on every replica (graph saves,
	// compactions): untimed searches, then a quiet second, so the
	// searches compare reads.
	if err := interleave(ctx, runs, "warm-up", queries(cfg.Samples/2), -1); err != nil {
		return err
	}
	var all []*clusterNode
	for _, run := range runs {
		all = append(all, run.nodes...)
	}
	settle(ctx, all, cfg.Progress)
	if err := interleave(ctx, runs, "search local", queries(cfg.Samples), -1); err != nil {
		return err
	}
	// Every search through node 1: its CPU is the entry role's (the
	// outer request, its own shards, the calls out), the others' the
	// peer role's (their shards, the calls in), which separate machines
	// would run at once.
	if err := interleave(ctx, runs, "search node 1", queries(cfg.Samples), 0); err != nil {
		return err
	}
	for range 2 {
		for _, run := range runs {
			if err := run.measureThroughput(ctx, queries(cfg.Samples)); err != nil {
				return err
			}
		}
	}
	for _, run := range runs {
		res.Setups = append(res.Setups, *run.s)
	}
	return nil
}

// interleave sends each query to every run in turn, one request at a
// time, the runs' order reversed every other query, and records measure
// name on each (but for "warm-up").
func interleave(ctx context.Context, runs []*latencyRun, name string, queries [][]float32, entry int) error {
	fmt.Fprintf(runs[0].cfg.Progress, "%s: %d requests to each setup, alternating\n", name, len(queries))
	before := make([][]float64, len(runs))
	for r, run := range runs {
		before[r] = run.cpu()
	}
	lat := make([][]time.Duration, len(runs))
	order := make([]int, len(runs))
	for i := range queries {
		for r := range order {
			order[r] = r
		}
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, r := range order {
			d, err := runs[r].send(ctx, name, i, entry, searchOf(queries))
			if err != nil {
				return err
			}
			lat[r] = append(lat[r], d)
		}
	}
	if name == "warm-up" {
		return nil
	}
	for r, run := range runs {
		run.record(name, lat[r], before[r])
	}
	return nil
}

// settle waits, a minute at most, until the nodes together spend under
// 3% of a core each over a second: the loads' compactions and graph
// saves, run in the background, would otherwise be counted in the
// searches' CPU and slow them, by how far each setup's happen to be.
func settle(ctx context.Context, nodes []*clusterNode, progress io.Writer) {
	start := time.Now()
	total := func() float64 {
		sum := 0.0
		for _, nd := range nodes {
			sum += nd.cpu()
		}
		return sum
	}
	for time.Since(start) < time.Minute && ctx.Err() == nil {
		before := total()
		time.Sleep(time.Second)
		if total()-before < 0.03*float64(len(nodes)) {
			break
		}
	}
	fmt.Fprintf(progress, "settled after %.0f s\n", time.Since(start).Seconds())
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// throughputClients is how many clients search at once in the
// throughput measure: enough to keep every core of this machine busy
// through the round trips.
const throughputClients = 8

var throughputMeasure = fmt.Sprintf("search ×%d", throughputClients)

// measureThroughput sends count searches from throughputClients clients
// at once, each client to the nodes in turn, and adds them to the
// throughput measure: its searches a second and each node's CPU seconds.
// Called again, it adds a block to the same measure, so two setups can
// take turns. On this machine the nodes share its cores, so the figure
// to project from is the CPU a search costs each node: with a machine of
// C cores per node, node i serves at most C / cpu_i searches a second
// (projectedThroughput).
func (run *latencyRun) measureThroughput(ctx context.Context, queries [][]float32) error {
	fmt.Fprintf(run.cfg.Progress, "%s: %s, %d requests\n", run.s.Name, throughputMeasure, len(queries))
	before := run.cpu()
	lat := make([]time.Duration, len(queries))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, throughputClients)
	start := time.Now()
	for c := range throughputClients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(queries) || ctx.Err() != nil {
					return
				}
				var err error
				if lat[i], err = run.send(ctx, throughputMeasure, i, -1, searchOf(queries)); err != nil {
					errs[c] = err
					return
				}
			}
		})
	}
	wg.Wait()
	run.throughputTime += time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	run.throughputLat = append(run.throughputLat, lat...)
	cpu := run.s.CPU[throughputMeasure]
	if cpu == nil {
		cpu = make([]float64, len(run.nodes))
	}
	for i, c := range run.cpu() {
		cpu[i] += c - before[i]
	}
	run.s.CPU[throughputMeasure] = cpu
	run.s.Requests[throughputMeasure] = len(run.throughputLat)
	run.s.P50[throughputMeasure], run.s.P99[throughputMeasure] = percentile(run.throughputLat, 0.5), percentile(run.throughputLat, 0.99)
	run.s.Throughput = float64(len(run.throughputLat)) / run.throughputTime.Seconds()
	return nil
}

// searchOf is a request function for a search of queries[i], limit 10.
func searchOf(queries [][]float32) func(i int) (string, string, any) {
	return func(i int) (string, string, any) {
		return "POST", "/collections/c/points/search", map[string]any{"vector": queries[i], "limit": 10}
	}
}

// projectedThroughput is the searches a second s's nodes would serve
// with cores cores each, by the CPU a search of the throughput measure
// cost each: the busiest node bounds it.
func projectedThroughput(s LatencySetup, cores int) float64 {
	best := 0.0
	for _, c := range s.CPU[throughputMeasure] {
		perSearch := c / float64(s.Requests[throughputMeasure])
		if perSearch > 0 {
			if v := float64(cores) / perSearch; best == 0 || v < best {
				best = v
			}
		}
	}
	return best
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quiver-db/quiver/internal/progress"
)

// runnerKind is one way of asking, with a constructor for each worker's
// runner.
type runnerKind struct {
	name string
	open func() (queryRunner, error)
}

// runInterleaved runs queries 0..nq-1 once per kind, with the given
// number of concurrent workers. The kinds take turns in blocks of block
// queries, the first of each block rotating, so that drift in the
// machine's speed (other jobs, compactions, frequency) falls on every
// kind alike.
func runInterleaved(ctx context.Context, nq, workers, block int, kinds []runnerKind, truth [][]int32, k int, w io.Writer) ([]PassLatency, error) {
	runners := make([][]queryRunner, len(kinds))
	defer func() {
		for _, rs := range runners {
			for _, r := range rs {
				r.close()
			}
		}
	}()
	for i, kind := range kinds {
		for range workers {
			r, err := kind.open()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", kind.name, err)
			}
			runners[i] = append(runners[i], r)
		}
	}
	answers := make([][]queryAnswer, len(kinds))
	for i := range answers {
		answers[i] = make([]queryAnswer, nq)
	}
	elapsed := make([]time.Duration, len(kinds))
	bar := progress.Start(w, fmt.Sprintf("queries, %d at a time", workers), "queries", int64(nq*len(kinds)))
	defer bar.Finish()
	for b, lo := 0, 0; lo < nq; b, lo = b+1, lo+block {
		hi := min(lo+block, nq)
		for j := range kinds {
			kk := (b + j) % len(kinds)
			start := time.Now()
			if err := runBlock(ctx, lo, hi, runners[kk], answers[kk]); err != nil {
				return nil, fmt.Errorf("%s: %w", kinds[kk].name, err)
			}
			elapsed[kk] += time.Since(start)
			bar.Add(int64(hi - lo))
		}
	}
	out := make([]PassLatency, len(kinds))
	for i, kind := range kinds {
		out[i] = summarize(kind.name, answers[i], elapsed[i], truth, k)
	}
	return out, nil
}

// runBlock answers queries lo..hi-1, one worker per runner.
func runBlock(ctx context.Context, lo, hi int, runners []queryRunner, out []queryAnswer) error {
	var next atomic.Int64
	next.Store(int64(lo))
	var wg sync.WaitGroup
	errs := make([]error, len(runners))
	for w, r := range runners {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= hi || ctx.Err() != nil {
					return
				}
				a, err := r.query(ctx, i)
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = a
			}
		})
	}
	wg.Wait()
	return errors.Join(append(errs, ctx.Err())...)
}

// summarize turns one kind's answers into its throughput, latency
// percentiles and recall@k against truth.
func summarize(name string, answers []queryAnswer, elapsed time.Duration, truth [][]int32, k int) PassLatency {
	n := len(answers)
	lat := make([]time.Duration, n)
	server := make([]time.Duration, n)
	search := make([]time.Duration, n)
	found := 0
	for i, a := range answers {
		lat[i], server[i], search[i] = a.latency, a.server, a.search
		found += hitsIn(a.ids, truth[i][:min(k, len(truth[i]))])
	}
	return PassLatency{
		Name: name,
		Latency: Latency{
			QPS:       float64(n) / elapsed.Seconds(),
			P50Micros: micros(percentile(lat, 0.50)),
			P99Micros: micros(percentile(lat, 0.99)),
		},
		ServerP50Micros: micros(percentile(server, 0.50)),
		SearchP50Micros: micros(percentile(search, 0.50)),
		Recall:          float64(found) / float64(n*k),
	}
}

// percentile sorts d and returns its p-quantile.
func percentile(d []time.Duration, p float64) time.Duration {
	slices.Sort(d)
	return d[int(p*float64(len(d)-1))]
}

func micros(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// waitIdle waits, at most max, until this process's CPU use over half a
// second falls under 5% of one core.
func waitIdle(max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		c := processCPU()
		time.Sleep(500 * time.Millisecond)
		if processCPU()-c < 25*time.Millisecond {
			return
		}
	}
}

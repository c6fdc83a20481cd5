package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// timedKind is one way of answering a query set: pass answers every query
// once, one at a time, and returns the time it took.
type timedKind struct {
	name string
	pass func(ctx context.Context) (time.Duration, error)
}

// Speed is a kind's queries per second over its passes, one query at a
// time: the median pass and the slowest and fastest.
type Speed struct {
	QPS    float64 `json:"qps"`
	MinQPS float64 `json:"min_qps"`
	MaxQPS float64 `json:"max_qps"`
	Passes int     `json:"passes"`
}

// alternate runs rounds passes of every kind, the kinds taking turns (A B
// A B, the first of each round rotating) so that drift in the shared
// machine's speed falls on all of them alike; n is the queries of a pass.
func alternate(ctx context.Context, rounds, n int, kinds []timedKind, log io.Writer) ([]Speed, error) {
	qps := make([][]float64, len(kinds))
	for r := range rounds {
		for j := range kinds {
			k := (r + j) % len(kinds)
			d, err := kinds[k].pass(ctx)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", kinds[k].name, err)
			}
			qps[k] = append(qps[k], float64(n)/d.Seconds())
		}
		if log != nil {
			parts := make([]string, len(kinds))
			for k := range kinds {
				parts[k] = fmt.Sprintf("%s %.0f q/s", kinds[k].name, qps[k][r])
			}
			fmt.Fprintf(log, "round %d/%d: %s\n", r+1, rounds, strings.Join(parts, ", "))
		}
	}
	out := make([]Speed, len(kinds))
	for k, q := range qps {
		slices.Sort(q)
		out[k] = Speed{QPS: q[len(q)/2], MinQPS: q[0], MaxQPS: q[len(q)-1], Passes: len(q)}
	}
	return out, nil
}

// loadAverage returns /proc/loadavg's 1, 5 and 15 minute figures, or ""
// where it is missing.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

package httpapi

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"
)

// serverTiming collects the time a request spends in the index. The
// server reports it in a Server-Timing header (W3C Server Timing), so a
// client can tell the search from the HTTP and JSON around it.
type serverTiming struct {
	search atomic.Int64 // nanoseconds
}

type timingKey struct{}

func withTiming(ctx context.Context) (context.Context, *serverTiming) {
	t := &serverTiming{}
	return context.WithValue(ctx, timingKey{}, t), t
}

// observer hands the query engine's timings to the request's
// Server-Timing and to the metrics.
type observer struct{ m *metrics }

// Searched adds d to the request's search time.
func (observer) Searched(ctx context.Context, d time.Duration) {
	if t, ok := ctx.Value(timingKey{}).(*serverTiming); ok {
		t.search.Add(int64(d))
	}
}

// Encoded counts texts encoded.
func (o observer) Encoded(model string, n int, d time.Duration) { o.m.encoded(model, n, d) }

// header returns the Server-Timing value, durations in milliseconds, or
// "" when the request searched nothing.
func (t *serverTiming) header() string {
	ns := t.search.Load()
	if ns == 0 {
		return ""
	}
	return "search;dur=" + strconv.FormatFloat(float64(ns)/1e6, 'f', 3, 64)
}

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

// searched adds the time since start to the request's search time.
func searched(ctx context.Context, start time.Time) {
	if t, ok := ctx.Value(timingKey{}).(*serverTiming); ok {
		t.search.Add(int64(time.Since(start)))
	}
}

// header returns the Server-Timing value, durations in milliseconds, or
// "" when the request searched nothing.
func (t *serverTiming) header() string {
	ns := t.search.Load()
	if ns == 0 {
		return ""
	}
	return "search;dur=" + strconv.FormatFloat(float64(ns)/1e6, 'f', 3, 64)
}

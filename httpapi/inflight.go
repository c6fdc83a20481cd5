package httpapi

import (
	"net/http"
	"sync/atomic"
	"time"
)

// inflight bounds the requests doing work at once. Past the bound a
// request waits at most its queue wait for a slot, then is answered 503
// with Retry-After: under overload clients hear so in milliseconds instead
// of joining a queue that grows without bound. At most as many requests
// wait as there are slots; past that one is refused at once, since those
// ahead of it will take every slot the wait could free.
type inflight struct {
	slots   chan struct{}
	wait    time.Duration
	waiting atomic.Int64
}

// newInflight returns a limiter of max slots; nil (no limit) when max is 0.
func newInflight(max int, wait time.Duration) *inflight {
	if max <= 0 {
		return nil
	}
	return &inflight{slots: make(chan struct{}, max), wait: wait}
}

// acquire takes a slot, waiting up to the queue wait or until the
// request's context ends; it reports whether it got one. A nil limiter
// always does.
func (l *inflight) acquire(r *http.Request) bool {
	if l == nil {
		return true
	}
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	if l.wait <= 0 {
		return false
	}
	if l.waiting.Add(1) > int64(cap(l.slots)) {
		l.waiting.Add(-1)
		return false
	}
	defer l.waiting.Add(-1)
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-r.Context().Done():
		return false
	}
}

func (l *inflight) release() {
	if l != nil {
		<-l.slots
	}
}

// writeOverloaded answers a request the limiter turned away.
func writeOverloaded(w http.ResponseWriter, start time.Time) {
	w.Header().Set("Retry-After", "1")
	writeErrorStatus(w, start, http.StatusServiceUnavailable, "server overloaded: too many requests in flight, retry later")
}

package httpapi

import (
	"net/http"
	"time"
)

// inflight bounds the requests doing work at once. Past the bound a
// request waits at most its queue wait for a slot, then is answered 503
// with Retry-After: under overload clients hear so in milliseconds instead
// of joining a queue that grows without bound.
type inflight struct {
	slots chan struct{}
	wait  time.Duration
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

package httpapi

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/quiver-db/quiver/query"
)

// resultBudget bounds the result points that reads hold at once. A read's
// answer, vectors and payloads included, stays in memory until it is
// written, so small requests asking for many results (a batch of 100
// searches of limit 10,000, hundreds of concurrent scrolls of 10,000)
// would otherwise hold memory sized by what clients ask for.
type resultBudget struct {
	max int64
	sem *semaphore.Weighted
}

func newResultBudget(max int) *resultBudget {
	return &resultBudget{max: int64(max), sem: semaphore.NewWeighted(int64(max))}
}

// releasesKey holds the request's reservations, released by wrap once
// the answer is written.
type releasesKey struct{}

type releases struct {
	mu  sync.Mutex
	fns []func()
}

func withReleases(ctx context.Context) (context.Context, *releases) {
	r := &releases{}
	return context.WithValue(ctx, releasesKey{}, r), r
}

func (r *releases) run() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.fns {
		f()
	}
	r.fns = nil
}

// reserveResults takes n result points of the budget for the rest of the
// request, waiting while other requests hold it. More than the whole
// budget in one request is a 400; no room before the request's deadline
// is a 429.
func (h *Handler) reserveResults(ctx context.Context, n int) error {
	b := h.results
	if int64(n) > b.max {
		return badRequest("limit: the request asks for %d results in all, at most %d", n, b.max)
	}
	rel, ok := ctx.Value(releasesKey{}).(*releases)
	if !ok {
		return nil // not under wrap: nothing would release it
	}
	// Wait at most half the time left, so an admitted read still has time
	// to finish within its deadline.
	wait := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, time.Until(deadline)/2)
		defer cancel()
	}
	if err := b.sem.Acquire(wait, int64(n)); err != nil {
		return fmt.Errorf("%w: other requests hold the %d results the server answers at once; try again later", ErrBusy, b.max)
	}
	rel.mu.Lock()
	rel.fns = append(rel.fns, func() { b.sem.Release(int64(n)) })
	rel.mu.Unlock()
	return nil
}

// resultsOf is how many points reqs may answer.
func resultsOf(reqs []query.Request) int {
	n := 0
	for _, r := range reqs {
		limit := r.Limit
		if limit == 0 {
			limit = 10
		}
		n += limit + r.Offset
	}
	return n
}

package httpapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestResultBudget: a request asking for more results than the server
// holds at once is refused, one that finds the budget taken waits and
// then answers 429, and the budget comes back once answers are written.
func TestResultBudget(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) {
		c.MaxResultsInFlight, c.RequestTimeout = 100, 300*time.Millisecond
	})
	seed(ts, "c", 5)
	search := map[string]any{"query": []float32{1, 0, 0}, "limit": 60, "with_vector": true}
	ts.fails(http.StatusBadRequest, "POST", "/collections/c/points/query/batch",
		map[string]any{"searches": []any{search, search}}, "120 results in all, at most 100")
	ts.fails(http.StatusBadRequest, "POST", "/collections/c/points/search/batch",
		map[string]any{"searches": []any{map[string]any{"vector": []float32{1, 0, 0}, "limit": 50, "offset": 51}}}, "101 results")

	// Groups count every hit of every group and each group's lookup.
	ts.fails(http.StatusBadRequest, "POST", "/collections/c/points/query/groups",
		map[string]any{"query": []float32{1, 0, 0}, "group_by": "g", "limit": 20, "group_size": 6}, "120 results in all")
	ts.fails(http.StatusBadRequest, "POST", "/collections/c/points/search/groups",
		map[string]any{"vector": []float32{1, 0, 0}, "group_by": "g", "limit": 26, "group_size": 3, "with_lookup": "c"}, "104 results in all")

	// Each answer gives its share back: many in a row all pass.
	for range 5 {
		ts.ok("POST", "/collections/c/points/scroll", map[string]any{"limit": 100, "with_vector": true}, nil)
		ts.ok("POST", "/collections/c/points/query/batch", map[string]any{"searches": []any{search}}, nil)
	}

	// While another request holds the budget, reads wait until their
	// deadline, then answer 429; afterwards they pass again.
	ctx, held := withReleases(context.Background())
	require.NoError(t, ts.h.reserveResults(ctx, 90))
	ts.fails(http.StatusTooManyRequests, "POST", "/collections/c/points/scroll", map[string]any{"limit": 20}, "try again later")
	ts.fails(http.StatusTooManyRequests, "POST", "/collections/c/points/query", search, "try again later")
	ts.ok("POST", "/collections/c/points/scroll", map[string]any{"limit": 10}, nil)
	groups := map[string]any{"query": []float32{1, 0, 0}, "group_by": "g", "limit": 5, "group_size": 3}
	ts.fails(http.StatusTooManyRequests, "POST", "/collections/c/points/query/groups", groups, "try again later")
	held.run()
	ts.ok("POST", "/collections/c/points/scroll", map[string]any{"limit": 100}, nil)
}

package httpapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInFlightLimitAnswers503PromptlyAndSparesProbes(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.MaxInFlight, c.QueueWait = 1, 20*time.Millisecond })
	ts.h.reads.slots <- struct{}{} // a request holds the only slot

	start := time.Now()
	resp := ts.do("GET", "/collections", nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.Code)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Contains(t, resp.Error, "overloaded")
	assert.Less(t, time.Since(start), time.Second, "a full server answers after the queue wait, not the request's")
	for _, probe := range []string{"/healthz", "/readyz"} {
		r, err := http.Get(ts.url + probe)
		require.NoError(t, err)
		r.Body.Close()
		assert.Equal(t, http.StatusOK, r.StatusCode, "probes are not counted: %s", probe)
	}

	assert.Equal(t, http.StatusOK, ts.do("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}).Code,
		"writes have slots of their own")

	<-ts.h.reads.slots
	assert.Equal(t, http.StatusOK, ts.do("GET", "/collections", nil).Code)
	// The slot is released after the answer is flushed, so the client
	// can read the answer first.
	assert.Eventually(t, func() bool { return len(ts.h.reads.slots) == 0 }, 5*time.Second, time.Millisecond,
		"the slot is given back after the request")
}

func TestInFlightLimitQueuedRequestGetsFreedSlot(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.MaxInFlight, c.QueueWait = 1, 5*time.Second })
	ts.h.reads.slots <- struct{}{}
	go func() {
		time.Sleep(50 * time.Millisecond)
		<-ts.h.reads.slots
	}()
	require.Equal(t, http.StatusOK, ts.do("GET", "/collections", nil).Code)
}

func TestConfigRejectsNegativeInFlight(t *testing.T) {
	cfg := Config{DB: nil, MaxInFlight: -1}
	assert.ErrorContains(t, cfg.Validate(), "must not be negative")
}

// With every slot taken and as many requests already waiting, the next one
// is refused at once instead of after the queue wait.
func TestInFlightLimitRefusesAtOnceWhenQueueIsFull(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.MaxInFlight, c.QueueWait = 1, 5*time.Second })
	ts.h.reads.slots <- struct{}{}
	waiter := make(chan int)
	go func() { waiter <- ts.do("GET", "/collections", nil).Code }()
	require.Eventually(t, func() bool { return ts.h.reads.waiting.Load() == 1 }, 5*time.Second, time.Millisecond)

	start := time.Now()
	assert.Equal(t, http.StatusServiceUnavailable, ts.do("GET", "/collections", nil).Code)
	assert.Less(t, time.Since(start), time.Second, "refused without waiting out the 5 s queue wait")

	<-ts.h.reads.slots
	assert.Equal(t, http.StatusOK, <-waiter, "the request that waited gets the freed slot")
}

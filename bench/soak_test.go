package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSoakWindowSplitsAnswers(t *testing.T) {
	s := newSoakStats()
	s.offered = 6
	for _, ms := range []int{1, 2, 3} {
		s.record(http.StatusOK, false, time.Duration(ms)*time.Millisecond, 0)
	}
	s.record(http.StatusOK, true, 40*time.Millisecond, 0)
	s.record(http.StatusServiceUnavailable, false, 7*time.Millisecond, 2*time.Millisecond)
	s.record(-1, false, 0, 0)
	w := s.window(2)
	assert.Equal(t, 3.0, w.OfferedQPS)
	assert.Equal(t, 2.0, w.AchievedQPS, "queries and upserts answered 200")
	assert.Equal(t, 2.0, w.P50Millis)
	assert.Equal(t, 3.0, w.P99Millis)
	assert.Equal(t, 40.0, w.UpsertP99Millis)
	assert.Equal(t, map[int]int{503: 1, -1: 1}, w.Errors)
	assert.InDelta(t, 0.2, w.RefusedShare, 1e-9, "one refusal of five answers; a client drop is no answer")
	assert.Equal(t, 5.0, w.RefusedP99Millis, "a refusal's latency counts from its send")
}

func TestOpenLoopKeepsItsRateWhateverTheAnswers(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		time.Sleep(20 * time.Millisecond) // slower than the arrivals: an open loop does not wait
	}))
	defer srv.Close()
	m := &soakMix{hc: srv.Client(), queryURL: srv.URL + "/q", upsertURL: srv.URL + "/u",
		queries: [][]byte{[]byte("{}")}, upserts: [][]byte{[]byte("{}")}, queryShare: 1}
	s := newSoakStats()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	openLoop(ctx, m, 200, 1000, func() []*soakStats { return []*soakStats{s} })
	w := s.window(0.5)
	require.InDelta(t, 200, w.OfferedQPS, 30)
	assert.Positive(t, w.Errors[503])
	assert.Positive(t, w.AchievedQPS)
	assert.Zero(t, w.UpsertP99Millis, "query share 1 sends no upserts")
}

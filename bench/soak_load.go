package bench

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// soakMix is the request mix: pre-encoded query and upsert bodies, a
// share of queries, and the client that sends them.
type soakMix struct {
	hc                  *http.Client
	queryURL, upsertURL string
	queries, upserts    [][]byte
	queryShare          float64
	next                atomic.Uint64
}

// send sends one request of the mix, a query or an upsert by queryShare,
// and returns its status (0 when no answer came) and whether it upserted.
func (m *soakMix) send(ctx context.Context) (status int, upsert bool) {
	i := m.next.Add(1)
	url, bodies := m.queryURL, m.queries
	if rand.Float64() >= m.queryShare {
		url, bodies = m.upsertURL, m.upserts
	}
	upsert = url == m.upsertURL
	method := http.MethodPost
	if upsert {
		method = http.MethodPut
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(bodies[i%uint64(len(bodies))]))
	if err != nil {
		return 0, upsert
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := m.hc.Do(req)
	if err != nil {
		return 0, upsert
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, upsert
}

// soakStats collects the outcomes of one window of the load.
type soakStats struct {
	mu       sync.Mutex
	offered  int
	ok       []time.Duration // latencies of the queries answered 200
	okUpsert []time.Duration // and of the upserts
	refused  []time.Duration // latencies of the 429s and 503s, from the send
	lag      []time.Duration // how late the client sent each request
	byStatus map[int]int     // every answer but 200; 0 is no answer
}

func newSoakStats() *soakStats { return &soakStats{byStatus: map[int]int{}} }

func (s *soakStats) record(status int, upsert bool, lat, lag time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lag = append(s.lag, lag)
	switch {
	case status == http.StatusOK && upsert:
		s.okUpsert = append(s.okUpsert, lat)
	case status == http.StatusOK:
		s.ok = append(s.ok, lat)
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		s.refused = append(s.refused, lat-lag)
	}
	if status != http.StatusOK {
		s.byStatus[status]++
	}
}

// SoakWindow is what one window of the load measured.
type SoakWindow struct {
	Secs        float64     `json:"seconds"`
	OfferedQPS  float64     `json:"offered_qps"`
	AchievedQPS float64     `json:"achieved_qps"` // 200s a second
	Errors      map[int]int `json:"errors"`       // by status; 0 is no answer, -1 dropped by a full client
	// P* are the latencies of the queries answered 200, UpsertP* of the
	// upserts.
	P50Millis       float64 `json:"p50_ms"`
	P99Millis       float64 `json:"p99_ms"`
	P999Millis      float64 `json:"p999_ms"`
	UpsertP50Millis float64 `json:"upsert_p50_ms"`
	UpsertP99Millis float64 `json:"upsert_p99_ms"`
	// Refused* are the 429 and 503 answers: their share of the answers
	// and their p99, which should be milliseconds.
	RefusedShare     float64 `json:"refused_share"`
	RefusedP99Millis float64 `json:"refused_p99_ms"`
	// ClientLagP99Millis is how late the client sent its requests (p99):
	// on a busy machine the load generator's own delay, which the 200s'
	// latencies include and the refusals' do not.
	ClientLagP99Millis float64 `json:"client_lag_p99_ms"`
	RSSBytes           int64   `json:"rss_bytes"`
	HeapBytes          int64   `json:"heap_inuse_bytes"`
}

// window summarises the stats gathered over secs seconds.
func (s *soakStats) window(secs float64) SoakWindow {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := SoakWindow{Secs: secs, OfferedQPS: float64(s.offered) / secs, AchievedQPS: float64(len(s.ok)+len(s.okUpsert)) / secs, Errors: map[int]int{}}
	for k, v := range s.byStatus {
		w.Errors[k] = v
	}
	w.P50Millis, w.P99Millis, w.P999Millis = quantileMillis(s.ok, 0.5), quantileMillis(s.ok, 0.99), quantileMillis(s.ok, 0.999)
	w.UpsertP50Millis, w.UpsertP99Millis = quantileMillis(s.okUpsert, 0.5), quantileMillis(s.okUpsert, 0.99)
	answered := len(s.ok) + len(s.okUpsert)
	for k, v := range s.byStatus {
		if k > 0 {
			answered += v
		}
	}
	if answered > 0 {
		w.RefusedShare = float64(len(s.refused)) / float64(answered)
	}
	w.RefusedP99Millis = quantileMillis(s.refused, 0.99)
	w.ClientLagP99Millis = quantileMillis(s.lag, 0.99)
	return w
}

// quantileMillis is the q-quantile of lat in milliseconds; it sorts lat.
func quantileMillis(lat []time.Duration, q float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return float64(lat[min(int(q*float64(len(lat))), len(lat)-1)]) / 1e6
}

// openLoop sends the mix at rate requests a second, whatever the answers'
// pace, until ctx ends, each window's outcomes to stats() . Latency counts from a request's scheduled time, so a client
// that falls behind charges the wait to the server's answer rather than
// hiding it. At most maxOutstanding requests wait; arrivals past that are
// dropped as status -1.
func openLoop(ctx context.Context, m *soakMix, rate float64, maxOutstanding int, stats func() []*soakStats) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, maxOutstanding)
	start := time.Now()
	sent := 0
	for ctx.Err() == nil {
		due := int(time.Since(start).Seconds() * rate)
		for ; sent < due; sent++ {
			at := start.Add(time.Duration(float64(sent) / rate * 1e9))
			sts := stats()
			for _, st := range sts {
				st.mu.Lock()
				st.offered++
				st.mu.Unlock()
			}
			select {
			case slots <- struct{}{}:
			default:
				for _, st := range sts {
					st.record(-1, false, 0, 0)
				}
				continue
			}
			wg.Go(func() {
				defer func() { <-slots }()
				lag := time.Since(at)
				status, upsert := m.send(ctx)
				if ctx.Err() != nil && status == 0 {
					return // cut off by the end of the phase
				}
				lat := time.Since(at)
				for _, st := range stats() {
					st.record(status, upsert, lat, lag)
				}
			})
		}
		time.Sleep(time.Millisecond)
	}
}

// closedLoop runs clients goroutines sending the mix back to back for d
// and returns the 200s a second.
func closedLoop(ctx context.Context, m *soakMix, clients int, d time.Duration) float64 {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var ok atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				if status, _ := m.send(ctx); status == http.StatusOK {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(start).Seconds()
}

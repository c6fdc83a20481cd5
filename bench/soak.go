package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/pointid"
)

// SoakConfig describes the soak: a server loaded with Points vectors, its
// capacity under the mix measured closed-loop, then Duration of open-loop
// load at Load times that capacity, then an overload phase past it.
type SoakConfig struct {
	// URL targets a running server; empty starts Binary's `serve` on a
	// temporary data directory.
	URL string
	// Binary is the quiver executable to start; ServeArgs are added to
	// its serve flags.
	Binary    string
	ServeArgs []string
	// Data, when set, holds base.fvecs and query.fvecs (GloVe); empty
	// means random vectors of dimension Dim.
	Data string
	// Points is the collection's size. Zero means 100000.
	Points int
	// Dim of the random vectors. Zero means 100.
	Dim int
	// QueryShare of the requests are queries (limit K), the rest upserts
	// of UpsertBatch points over existing ids. Zero means 0.9, 10, 10.
	QueryShare     float64
	K, UpsertBatch int
	// Clients of the closed-loop capacity run. Zero means 4·GOMAXPROCS.
	Clients int
	// CapacityDuration is the capacity run's length. Zero means 20s.
	CapacityDuration time.Duration
	// Load is the share of capacity offered. Zero means 0.8.
	Load float64
	// Duration and Interval of the soak. Zero means 30m and 1m.
	Duration, Interval time.Duration
	// Overload is the multiple of capacity offered for OverloadDuration
	// after the soak. Zero means 3 and 60s; a negative duration skips it.
	Overload         float64
	OverloadDuration time.Duration
	// MaxOutstanding bounds the client's requests waiting for an answer.
	// Zero means 4096.
	MaxOutstanding int
	// Progress receives a line per window; nil means none.
	Progress io.Writer
}

func (c *SoakConfig) ensureDefaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Points, 100000)
	def(&c.Dim, 100)
	def(&c.K, 10)
	def(&c.UpsertBatch, 10)
	def(&c.Clients, 4*runtime.GOMAXPROCS(0))
	def(&c.MaxOutstanding, 4096)
	if c.QueryShare == 0 {
		c.QueryShare = 0.9
	}
	if c.CapacityDuration == 0 {
		c.CapacityDuration = 20 * time.Second
	}
	if c.Load == 0 {
		c.Load = 0.8
	}
	if c.Duration == 0 {
		c.Duration = 30 * time.Minute
	}
	if c.Interval == 0 {
		c.Interval = time.Minute
	}
	if c.Overload == 0 {
		c.Overload = 3
	}
	if c.OverloadDuration == 0 {
		c.OverloadDuration = time.Minute
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
}

// SoakResult is what RunSoak measured.
type SoakResult struct {
	Points          int     `json:"points"`
	Dim             int     `json:"dim"`
	IngestSecs      float64 `json:"ingest_seconds"`
	RSSAfterIngest  int64   `json:"rss_after_ingest_bytes"`
	HeapAfterIngest int64   `json:"heap_after_ingest_bytes"`
	// Capacity is the closed-loop 200s a second of the mix; Rate what the
	// soak offered.
	Capacity      float64      `json:"capacity_qps"`
	RSSAfterCap   int64        `json:"rss_after_capacity_bytes"`
	Rate          float64      `json:"rate_qps"`
	Windows       []SoakWindow `json:"windows"`
	Total         SoakWindow   `json:"total"`
	Overload      *SoakWindow  `json:"overload,omitempty"`
	OverloadRate  float64      `json:"overload_rate_qps"`
	LoadAvgStart  string       `json:"loadavg_start"`
	LoadAvgEnd    string       `json:"loadavg_end"`
	ServerStarted bool         `json:"server_started"`
}

const soakCollection = "soak"

// RunSoak runs the soak.
func RunSoak(ctx context.Context, cfg SoakConfig) (*SoakResult, error) {
	cfg.ensureDefaults()
	res := &SoakResult{LoadAvgStart: loadAvg()}
	var srv *soakServer
	if cfg.URL != "" {
		srv = &soakServer{cl: &client.Client{URL: strings.TrimRight(cfg.URL, "/")}}
	} else {
		var err error
		if srv, err = startSoakServer(ctx, cfg.Binary, cfg.ServeArgs); err != nil {
			return nil, err
		}
		defer srv.stop()
		res.ServerStarted = true
	}
	base, queries, dim, err := soakVectors(cfg)
	if err != nil {
		return nil, err
	}
	res.Points, res.Dim = len(base)/dim, dim
	if err := srv.cl.Do(ctx, http.MethodPut, "/collections/"+soakCollection, map[string]any{
		"vectors": map[string]any{"size": dim, "distance": "Cosine"},
	}, nil); err != nil {
		return nil, fmt.Errorf("create collection: %w", err)
	}
	start := time.Now()
	if err := upsertBase(ctx, srv.cl, soakCollection, base, dim, 1000, cfg.Progress); err != nil {
		return nil, err
	}
	res.IngestSecs = time.Since(start).Seconds()
	waitIdle(30 * time.Second)
	res.RSSAfterIngest, res.HeapAfterIngest = srv.memory(ctx)
	fmt.Fprintf(cfg.Progress, "ingested %d points of dim %d in %.1fs; server RSS %s, heap %s\n",
		res.Points, dim, res.IngestSecs, mib(res.RSSAfterIngest), mib(res.HeapAfterIngest))

	mix, err := newSoakMix(srv.cl.URL, cfg, base, queries, dim)
	if err != nil {
		return nil, err
	}
	defer mix.hc.CloseIdleConnections()
	res.Capacity = closedLoop(ctx, mix, cfg.Clients, cfg.CapacityDuration)
	res.RSSAfterCap, _ = srv.memory(ctx)
	res.Rate = cfg.Load * res.Capacity
	fmt.Fprintf(cfg.Progress, "capacity (closed loop, %d clients, %v): %.0f req/s; server RSS %s; soaking at %.0f req/s for %v\n",
		cfg.Clients, cfg.CapacityDuration, res.Capacity, mib(res.RSSAfterCap), res.Rate, cfg.Duration)
	fmt.Fprintln(cfg.Progress, SoakHeader)

	all := newSoakStats()
	res.Windows, err = soakPhase(ctx, mix, srv, cfg, res.Rate, cfg.Duration, cfg.Interval, all)
	if err != nil {
		return nil, err
	}
	res.Total = all.window(cfg.Duration.Seconds())
	res.Total.RSSBytes, res.Total.HeapBytes = srv.memory(ctx)

	if cfg.OverloadDuration > 0 {
		res.OverloadRate = cfg.Overload * res.Capacity
		fmt.Fprintf(cfg.Progress, "overload: %.0f req/s (%.0f× capacity) for %v\n", res.OverloadRate, cfg.Overload, cfg.OverloadDuration)
		over := newSoakStats()
		if _, err := soakPhase(ctx, mix, srv, cfg, res.OverloadRate, cfg.OverloadDuration, cfg.OverloadDuration, over); err != nil {
			return nil, err
		}
		w := over.window(cfg.OverloadDuration.Seconds())
		w.RSSBytes, w.HeapBytes = srv.memory(ctx)
		res.Overload = &w
	}
	res.LoadAvgEnd = loadAvg()
	return res, ctx.Err()
}

// soakPhase offers rate requests a second for d, summarising every
// interval (and all into total).
func soakPhase(ctx context.Context, mix *soakMix, srv *soakServer, cfg SoakConfig, rate float64, d, interval time.Duration, total *soakStats) ([]SoakWindow, error) {
	var mu sync.Mutex
	cur := newSoakStats()
	stats := func() *soakStats {
		mu.Lock()
		defer mu.Unlock()
		return cur
	}
	loadCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	done := make(chan struct{})
	go func() {
		openLoop(loadCtx, mix, rate, cfg.MaxOutstanding, func() []*soakStats { return []*soakStats{stats(), total} })
		close(done)
	}()
	var out []SoakWindow
	tick := time.NewTicker(interval)
	defer tick.Stop()
	began, last := time.Now(), time.Now()
	for {
		select {
		case <-done:
			return out, ctx.Err()
		case now := <-tick.C:
			mu.Lock()
			prev := cur
			cur = newSoakStats()
			mu.Unlock()
			w := prev.window(now.Sub(last).Seconds())
			last = now
			w.RSSBytes, w.HeapBytes = srv.memory(ctx)
			out = append(out, w)
			fmt.Fprintln(cfg.Progress, w.Row(now.Sub(began)))
		}
	}
}

// SoakHeader heads the rows of Row.
const SoakHeader = "   time  offered  achieved  query p50/p99/p999 ms  upsert p50/p99 ms  refused  lag p99  rss MiB heap MiB  errors"

// Row formats a window as a line under SoakHeader, at elapsed time t.
func (w SoakWindow) Row(t time.Duration) string {
	errs := "-"
	if len(w.Errors) > 0 {
		raw, _ := json.Marshal(w.Errors)
		errs = string(raw)
	}
	return fmt.Sprintf("%7s %8.0f %9.0f  %6.2f %6.1f %7.1f  %8.2f %8.1f %7.1f%% %8.1f %8.0f %8.0f  %s", t.Round(time.Second), w.OfferedQPS, w.AchievedQPS,
		w.P50Millis, w.P99Millis, w.P999Millis, w.UpsertP50Millis, w.UpsertP99Millis, 100*w.RefusedShare, w.ClientLagP99Millis, float64(w.RSSBytes)/(1<<20), float64(w.HeapBytes)/(1<<20), errs)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// soakVectors are the base and query vectors: GloVe's from cfg.Data, or
// random ones.
func soakVectors(cfg SoakConfig) (base, queries []float32, dim int, err error) {
	if cfg.Data != "" {
		if base, dim, err = ReadFvecs(filepath.Join(cfg.Data, "base.fvecs")); err != nil {
			return nil, nil, 0, err
		}
		if queries, _, err = ReadFvecs(filepath.Join(cfg.Data, "query.fvecs")); err != nil {
			return nil, nil, 0, err
		}
		if cfg.Points < len(base)/dim {
			base = base[:cfg.Points*dim]
		}
		return base, queries, dim, nil
	}
	rng := rand.New(rand.NewPCG(1, 2))
	dim = cfg.Dim
	random := func(n int) []float32 {
		v := make([]float32, n*dim)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	return random(cfg.Points), random(1000), dim, nil
}

// newSoakMix pre-encodes 1000 query bodies and 1000 upsert bodies (each
// over random existing ids, so the collection keeps its size).
func newSoakMix(url string, cfg SoakConfig, base, queries []float32, dim int) (*soakMix, error) {
	n := len(base) / dim
	m := &soakMix{
		hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: cfg.MaxOutstanding, MaxIdleConnsPerHost: cfg.MaxOutstanding, IdleConnTimeout: 90 * time.Second,
		}},
		queryURL:   url + "/collections/" + soakCollection + "/points/query",
		upsertURL:  url + "/collections/" + soakCollection + "/points?wait=true",
		queryShare: cfg.QueryShare,
	}
	rng := rand.New(rand.NewPCG(3, 4))
	nq := len(queries) / dim
	for i := range 1000 {
		q, err := json.Marshal(map[string]any{"query": queries[(i%nq)*dim : (i%nq+1)*dim], "limit": cfg.K})
		if err != nil {
			return nil, err
		}
		pts := make([]client.Point, cfg.UpsertBatch)
		for j := range pts {
			// An existing id takes another point's vector: the graph
			// changes, the collection's size does not.
			id, from := rng.IntN(n), rng.IntN(n)
			pts[j] = client.Point{ID: pointid.FromNum(uint64(id)), Vector: base[from*dim : (from+1)*dim]}
		}
		u, err := json.Marshal(map[string]any{"points": pts})
		if err != nil {
			return nil, err
		}
		m.queries, m.upserts = append(m.queries, q), append(m.upserts, u)
	}
	return m, nil
}

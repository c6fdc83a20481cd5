package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series.
type metrics struct {
	requests      *prometheus.CounterVec   // route, code
	latency       *prometheus.HistogramVec // route
	encodeSeconds *prometheus.HistogramVec // model
	encodeTexts   *prometheus.CounterVec   // model
	handler       http.Handler
}

func newMetrics(reg *prometheus.Registry, db Collections) (*metrics, error) {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quiver_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quiver_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14),
		}, []string{"route"}),
		encodeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quiver_encoder_duration_seconds", Help: "Time of one Encode call (one request's texts) by model.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"model"}),
		encodeTexts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quiver_encoder_texts_total", Help: "Texts encoded by model.",
		}, []string{"model"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.encodeSeconds, m.encodeTexts, collectionCollector{db}} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m, nil
}

// routeMetrics are one route's series, looked up once.
type routeMetrics struct {
	name    string
	m       *metrics
	latency prometheus.Observer
	ok      prometheus.Counter
}

func (m *metrics) route(name string) routeMetrics {
	return routeMetrics{name: name, m: m, latency: m.latency.WithLabelValues(name), ok: m.requests.WithLabelValues(name, "200")}
}

func (r routeMetrics) observe(code int, elapsed time.Duration) {
	if code == http.StatusOK {
		r.ok.Inc()
	} else {
		r.m.requests.WithLabelValues(r.name, strconv.Itoa(code)).Inc()
	}
	r.latency.Observe(elapsed.Seconds())
}

func (m *metrics) encoded(model string, texts int, elapsed time.Duration) {
	m.encodeSeconds.WithLabelValues(model).Observe(elapsed.Seconds())
	m.encodeTexts.WithLabelValues(model).Add(float64(texts))
}

// collectionCollector reports each collection's points and write
// timings at scrape time.
type collectionCollector struct{ db Collections }

var (
	pointsDesc = prometheus.NewDesc("quiver_collection_points", "Live points per collection.", []string{"collection"}, nil)
	graphDesc  = prometheus.NewDesc("quiver_upsert_graph_seconds_total",
		"Time upserts spent inserting into the HNSW graph, per collection, since it was opened.", []string{"collection"}, nil)
	commitDesc = prometheus.NewDesc("quiver_upsert_commit_seconds_total",
		"Time upserts spent committing to Pebble (WAL fsync included), per collection, since it was opened.", []string{"collection"}, nil)
)

func (p collectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pointsDesc
	ch <- graphDesc
	ch <- commitDesc
}

func (p collectionCollector) Collect(ch chan<- prometheus.Metric) {
	for _, name := range p.db.List() {
		c, err := p.db.Collection(name)
		if err != nil {
			continue // dropped or closed meanwhile
		}
		n, err := c.Count(context.Background(), nil)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(pointsDesc, prometheus.GaugeValue, float64(n), name)
		st := c.WriteStats()
		ch <- prometheus.MustNewConstMetric(graphDesc, prometheus.CounterValue, st.Graph.Seconds(), name)
		ch <- prometheus.MustNewConstMetric(commitDesc, prometheus.CounterValue, st.Commit.Seconds(), name)
	}
}

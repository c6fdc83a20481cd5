// Package httpapi is Quiver's HTTP API: Qdrant's REST dialect (collections,
// points, query, the {"result","status","time"} envelope) over the index
// package, text documents encoded where vectors go, and the server's
// cross-cutting parts: api-key checks, body and batch limits, gzip,
// Prometheus metrics, request logs and the OpenAPI document.
//
// A Handler is safe for concurrent use. Every request runs under a context
// with Config.RequestTimeout; bad input is answered with a 4xx naming the
// field at fault, never a 5xx, and a panic in a handler is logged and
// answered with a 500 without taking the server down.
package httpapi

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/klauspost/compress/gzhttp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quiver-db/quiver/dashboard"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/query"
	"github.com/quiver-db/quiver/shard"
	"github.com/quiver-db/quiver/trainer"
)

// Version is reported by GET /.
const Version = "0.1.0"

// Embedder turns texts into vectors with one model (query.Embedder).
type Embedder = query.Embedder

// Collections is what the API serves. *index.DB implements it; a
// cluster node serves its node's DB, whose only writer is Raft, and
// writes through Config.Replica.
type Collections interface {
	Create(ctx context.Context, name string, cfg index.Config) (*index.Collection, error)
	Collection(name string) (*index.Collection, error)
	List() []string
	Describe(name string) (index.Info, error)
	Drop(ctx context.Context, name string) error
	Admin
}

// Config holds what the handler needs. Zero fields take the defaults their
// comments state.
type Config struct {
	// DB holds the collections; required.
	DB Collections
	// Models are the text models, by the name documents and collections
	// use ("all-MiniLM-L6-v2"). Nil means text documents are refused.
	Models map[string]Embedder
	// Logger receives request logs. Nil means slog.Default().
	Logger *slog.Logger
	// APIKey, when set, is required in the api-key header (or as
	// "Authorization: Bearer KEY") on every route but /, /healthz,
	// /readyz and /openapi.json, and on /metrics unless PublicMetrics.
	APIKey string
	// ReadOnlyAPIKey, when set, is also accepted, but only on routes
	// that do not write.
	ReadOnlyAPIKey string
	// MaxBodyBytes bounds a request body. Zero means 32 MiB.
	MaxBodyBytes int64
	// MaxBatch bounds the points of one write, the ids of one retrieve or
	// delete and the queries of one batch. Zero means 10000.
	MaxBatch int
	// MaxLimit bounds limit+offset of queries and the limit of scrolls.
	// Zero means 10000.
	MaxLimit int
	// MaxResultsInFlight bounds the result points (limit+offset of each
	// query, limit of each scroll) that all reads hold at once; reads
	// beyond it wait, and one request asking for more is refused. Zero
	// means 25000 (measured: a result with a 100-d vector and a small
	// payload holds about 9 KB until written, so about 220 MB in all).
	MaxResultsInFlight int
	// MaxTexts bounds the text documents of one request. Zero means 1024.
	MaxTexts int
	// RecommendScanMax is the largest collection whose points best_score
	// and sum_scores recommendations all score; larger ones score the
	// nearest neighbours of each positive example. Zero means 20000.
	RecommendScanMax int
	// RequestTimeout bounds each request's work. Zero means 60s.
	RequestTimeout time.Duration
	// MaxSnapshotBytes bounds the body of a snapshot upload. Zero means
	// 64 GiB.
	MaxSnapshotBytes int64
	// SnapshotTimeout bounds the work of the snapshot routes (create,
	// download, upload, recover), reading and writing included, instead
	// of RequestTimeout and the server's read and write timeouts. Zero
	// means 1h.
	SnapshotTimeout time.Duration
	// PublicMetrics serves /metrics without the api-key. By default a
	// server with a key asks for one there too: the metrics name every
	// collection and its size.
	PublicMetrics bool
	// Trainer runs the collections' trainings and holds their models. Nil
	// means a new one.
	Trainer *trainer.Trainer
	// Registry receives the server's metrics and is served at /metrics.
	// Nil means a new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// MaxInFlight bounds the reads doing work at once, and apart from
	// them the writes (slow writes waiting on locks must not turn queries
	// away); past it a request waits up to QueueWait for a slot, then is
	// answered 503 with Retry-After. Probe routes (health, readiness,
	// metrics) and snapshot routes are not counted. Zero means no bound.
	MaxInFlight int
	// QueueWait is how long a request waits for an in-flight slot. Zero
	// means none: a full server answers 503 at once.
	QueueWait time.Duration
	// Writer takes the replicable writes (collections created and
	// dropped, point writes). Nil means Replica, or without one the DB.
	Writer Writer
	// Replica makes this server a node of a cluster (replica.go): writes
	// go to the leader, writes the cluster does not replicate are
	// refused, GET /cluster reports Raft's state. Nil means a single node.
	// A Replica that is also a Sharder shards collections (shards.go).
	Replica Replica
	// Shards finds the shards this node holds, served to the other nodes
	// at shard.Prefix (package shard's internal RPC) behind the same
	// api-key as every route. Nil means the RPC is not served.
	Shards func(collection string, shard int) (shard.Shard, error)
}

func (c *Config) ensureDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 32 << 20
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 10000
	}
	if c.MaxLimit == 0 {
		c.MaxLimit = 10000
	}
	if c.MaxTexts == 0 {
		c.MaxTexts = 1024
	}
	if c.MaxResultsInFlight == 0 {
		c.MaxResultsInFlight = 25000
	}
	if c.RecommendScanMax == 0 {
		c.RecommendScanMax = 20000
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 60 * time.Second
	}
	if c.MaxSnapshotBytes == 0 {
		c.MaxSnapshotBytes = 64 << 30
	}
	if c.SnapshotTimeout == 0 {
		c.SnapshotTimeout = time.Hour
	}
}

// Validate reports every problem with the config.
func (c *Config) Validate() error {
	var errs []error
	if c.DB == nil {
		errs = append(errs, errors.New("DB is nil"))
	}
	if c.MaxBodyBytes < 0 || c.MaxBatch < 0 || c.MaxLimit < 0 || c.MaxResultsInFlight < 0 || c.MaxTexts < 0 || c.RecommendScanMax < 0 || c.RequestTimeout < 0 ||
		c.MaxSnapshotBytes < 0 || c.SnapshotTimeout < 0 || c.MaxInFlight < 0 || c.QueueWait < 0 {
		errs = append(errs, errors.New("limits must not be negative"))
	}
	if c.APIKey == "" && c.ReadOnlyAPIKey != "" {
		errs = append(errs, errors.New("ReadOnlyAPIKey without APIKey would leave writes open"))
	}
	if c.APIKey != "" && c.APIKey == c.ReadOnlyAPIKey {
		errs = append(errs, errors.New("APIKey and ReadOnlyAPIKey are the same"))
	}
	for name, m := range c.Models {
		if m == nil {
			errs = append(errs, fmt.Errorf("model %q is nil", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("httpapi config: %w", err)
	}
	return nil
}

// Handler serves the API. Create it with NewHandler.
type Handler struct {
	cfg      Config
	db       Collections
	engine   *query.Engine
	trainer  *trainer.Trainer
	writer   Writer
	root     http.Handler
	metrics  *metrics
	draining atomic.Bool
	ops      atomic.Uint64 // operation ids of write results
	lock     atomic.Pointer[writeLock]
	results  *resultBudget
	// reads and writes bound the requests in flight; nil: no bound.
	reads, writes *inflight
	spec          []byte // /openapi.json, with this server's models
	// recovering holds the one snapshot recovery a cluster node replays
	// at a time (recoverReplicated): two replayed into one collection at
	// once would mix their points.
	recovering chan struct{}
}

// NewHandler returns the API's root handler.
func NewHandler(cfg Config) (*Handler, error) {
	cfg.ensureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, db: cfg.DB, trainer: cfg.Trainer, results: newResultBudget(cfg.MaxResultsInFlight),
		reads: newInflight(cfg.MaxInFlight, cfg.QueueWait), writes: newInflight(cfg.MaxInFlight, cfg.QueueWait),
		recovering: make(chan struct{}, 1)}
	if h.trainer == nil {
		h.trainer = trainer.New(cfg.Logger)
	}
	switch {
	case cfg.Writer != nil:
		h.writer = cfg.Writer
	case cfg.Replica != nil:
		h.writer = cfg.Replica
	default:
		h.writer = localWriter{db: cfg.DB}
	}
	var err error
	if h.metrics, err = newMetrics(cfg.Registry, cfg.DB); err != nil {
		return nil, err
	}
	h.engine, err = query.New(query.Config{
		Lookup:   h.lookup,
		Models:   cfg.Models,
		MaxLimit: cfg.MaxLimit, MaxTexts: cfg.MaxTexts, RecommendScanMax: cfg.RecommendScanMax,
		Observer: observer{h.metrics},
		Users:    h.trainer,
	})
	if err != nil {
		return nil, err
	}
	if h.spec, err = specFor(cfg.Models); err != nil {
		return nil, err
	}
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, time.Now(), fmt.Errorf("%w: no route %s %s", index.ErrNotFound, r.Method, r.URL.Path))
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		allow := allowedMethods(r, req)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeErrorStatus(w, time.Now(), http.StatusMethodNotAllowed,
			fmt.Sprintf("method %s not allowed on %s (allowed: %s)", req.Method, req.URL.Path, strings.Join(allow, ", ")))
	})
	for _, rt := range h.routes() {
		r.Handle(rt.path, h.wrap(rt)).Methods(rt.method).Name(rt.method + " " + rt.path)
	}
	// The dashboard's static files, outside the route table and the
	// OpenAPI document (they are pages, not API): public like the probes,
	// logged at Debug and not counted in flight. The API calls the pages
	// make carry the api-key.
	static := route{method: "GET", path: dashboard.Prefix, access: public, probe: true, raw: dashboard.Handler().ServeHTTP}
	r.PathPrefix(dashboard.Prefix).Handler(h.wrap(static)).Methods("GET", "HEAD")
	if cfg.Shards != nil {
		sh, err := shard.NewHandler(shard.HandlerConfig{Shards: cfg.Shards, MaxBodyBytes: cfg.MaxBodyBytes, Timeout: cfg.RequestTimeout, Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
		rpc := route{method: "POST", path: shard.Prefix, access: read, internal: true, raw: sh.ServeHTTP}
		r.PathPrefix(shard.Prefix).Handler(h.wrap(rpc)).Methods("POST")
	}
	h.root = gzhttp.GzipHandler(r)
	return h, nil
}

// lookup finds the collection a query's lookup_from names. The engine
// asks without the request, so a sharded one is read locally whatever
// the request's consistency.
func (h *Handler) lookup(name string) (query.Collection, error) {
	return h.readerNamed(name, ReadLocal)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.root.ServeHTTP(w, r)
}

// Drain makes /readyz answer 503, so a load balancer stops sending new
// requests while the server shuts down.
func (h *Handler) Drain() { h.draining.Store(true) }

// access says who may call a route.
type access int

const (
	public access = iota // no key needed
	read                 // either key
	write                // the full key
)

// route is one entry of the route table.
type route struct {
	method, path string
	access       access
	// probe routes (health, readiness, metrics) log successes at Debug.
	probe bool
	// internal routes (package shard's RPC between nodes) log successes
	// at Debug and take no in-flight slot: the request that called them
	// holds one on its own node, and two full nodes waiting on each
	// other's slots would stall until QueueWait.
	internal bool
	// sharded routes serve a sharded collection too: they read its
	// points through Handler.reader and write through the Writer. Other
	// routes naming one answer 501 (checkSharded).
	sharded bool
	// users routes read or write users' interactions and models, which
	// group 0 keeps, for a sharded collection too: a strong read of one
	// goes to group 0's leader, as for an unsharded collection.
	users bool
	// snapshot routes move whole collections: Config.MaxSnapshotBytes and
	// SnapshotTimeout bound them instead of MaxBodyBytes and RequestTimeout.
	snapshot bool
	// replication is how the route behaves on a cluster node.
	replication replication
	// api handlers return a result for the envelope; raw handlers write
	// the response themselves.
	api func(r *http.Request) (any, error)
	raw http.HandlerFunc
}

// wrap adds the per-route middleware: recovery, timeout, auth, body limit,
// metrics and the request log.
func (h *Handler) wrap(rt route) http.Handler {
	metrics := h.metrics.route(rt.method + " " + rt.path)
	shadows := shadowsOf(rt, h.routes())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				h.cfg.Logger.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if !rec.wrote {
					writeErrorStatus(rec, start, http.StatusInternalServerError, "internal error")
				}
			}
			elapsed := time.Since(start)
			metrics.observe(rec.status, elapsed)
			level := slog.LevelInfo
			switch {
			case rec.status >= 500:
				level = slog.LevelError
			case (rt.probe || rt.internal) && rec.status < 400:
				level = slog.LevelDebug
			}
			h.cfg.Logger.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "bytes", rec.bytes, "elapsed", elapsed, "remote", r.RemoteAddr)
		}()
		timeout, maxBody := h.cfg.RequestTimeout, h.cfg.MaxBodyBytes
		if rt.snapshot {
			timeout, maxBody = h.cfg.SnapshotTimeout, h.cfg.MaxSnapshotBytes
			// The server's read and write deadlines are sized for JSON.
			rc := http.NewResponseController(rec)
			_ = rc.SetReadDeadline(start.Add(timeout))
			_ = rc.SetWriteDeadline(start.Add(timeout))
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		ctx, timing := withTiming(ctx)
		ctx, held := withReleases(ctx)
		defer held.run() // after the answer is written
		r = r.WithContext(ctx)
		if allow := shadowed(shadows, r.URL.Path); allow != nil {
			writeShadowed(rec, r, start, allow)
			return
		}
		if err := h.authorize(r, rt.access); err != nil {
			writeError(rec, start, err)
			return
		}
		if err := h.locked(rt); err != nil {
			writeError(rec, start, err)
			return
		}
		if name, ok := mux.Vars(r)["collection"]; ok && !index.ValidName(name) {
			writeError(rec, start, badRequest("collection name %q: want 1-255 letters, digits, '_', '-' or '.', other than . or .. alone", name))
			return
		}
		if err := h.checkSharded(r, rt); err != nil {
			writeError(rec, start, err)
			return
		}
		r.Body = http.MaxBytesReader(rec, r.Body, maxBody)
		if h.replicate(rec, r, rt, start) {
			return
		}
		if !rt.probe && !rt.snapshot && !rt.internal {
			// The body is read before the request takes an in-flight slot,
			// so that slow senders hold a connection (bounded by the read
			// timeout and the connection cap) but never a slot.
			if r.ContentLength != 0 && rt.raw == nil {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					var maxErr *http.MaxBytesError
					if !errors.As(err, &maxErr) {
						err = badRequest("request body: %v", err)
					}
					writeError(rec, start, err)
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			slots := h.reads
			if rt.access == write {
				slots = h.writes
			}
			if !slots.acquire(r) {
				writeOverloaded(rec, start)
				return
			}
			defer slots.release()
		}
		if rt.raw != nil {
			rt.raw(rec, r)
			return
		}
		result, err := rt.api(r)
		if st := timing.header(); st != "" {
			rec.Header().Set("Server-Timing", st)
		}
		if err != nil {
			if statusOf(err) >= 500 && statusOf(err) != http.StatusServiceUnavailable {
				h.cfg.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(rec, start, err)
		} else {
			writeResult(rec, start, result)
		}
		// Send the answer now: the request log and metrics in the deferred
		// function need not delay the client.
		_ = http.NewResponseController(rec).Flush()
	})
}

// authorize checks the api-key against the route's access.
func (h *Handler) authorize(r *http.Request, need access) error {
	if h.cfg.APIKey == "" || need == public {
		return nil
	}
	key := r.Header.Get("api-key")
	if key == "" {
		key, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	switch {
	case key == "":
		return fmt.Errorf("%w: missing api-key header", ErrUnauthorized)
	case equalKey(key, h.cfg.APIKey):
		return nil
	case h.cfg.ReadOnlyAPIKey != "" && equalKey(key, h.cfg.ReadOnlyAPIKey):
		if need == write {
			return fmt.Errorf("%w: the read-only api-key cannot write", ErrForbidden)
		}
		return nil
	}
	return fmt.Errorf("%w: invalid api-key", ErrUnauthorized)
}

func equalKey(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// envelope is Qdrant's success envelope.
type envelope struct {
	Result any     `json:"result"`
	Status string  `json:"status"`
	Time   float64 `json:"time"`
}

func writeResult(w http.ResponseWriter, start time.Time, result any) {
	writeJSON(w, http.StatusOK, envelope{Result: result, Status: "ok", Time: time.Since(start).Seconds()})
}

func writeError(w http.ResponseWriter, start time.Time, err error) {
	status := statusOf(err)
	if errors.Is(err, ErrUnavailable) || errors.Is(err, shard.ErrUnavailable) {
		w.Header().Set("Retry-After", "1")
	}
	msg := message(err)
	if status == http.StatusInternalServerError {
		msg = "internal error"
	}
	writeErrorStatus(w, start, status, msg)
}

func writeErrorStatus(w http.ResponseWriter, start time.Time, status int, msg string) {
	var body errorBody
	body.Status.Error = msg
	body.Time = time.Since(start).Seconds()
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	buf, err := marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		buf = []byte(`{"status":{"error":"internal error: cannot encode the response"}}`)
	}
	writeBody(w, status, append(buf, '\n'))
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	// With the length known, an early flush still sends a plain body, not
	// a chunked one (the gzip layer drops it when it compresses).
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// allowedMethods lists the methods the router serves on req's path, for
// a 405's Allow header.
// A path can match routes of different templates by method (GET
// /points/{id} takes /points/count, which POST /points/count names), so
// only the methods of the most literal template matched count.
func allowedMethods(r *mux.Router, req *http.Request) []string {
	var out []string
	fewest := -1
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodPatch} {
		probe := req.Clone(req.Context())
		probe.Method = m
		var match mux.RouteMatch
		if !r.Match(probe, &match) || match.MatchErr != nil || match.Route == nil {
			continue
		}
		tmpl, _ := match.Route.GetPathTemplate()
		vars := strings.Count(tmpl, "{")
		switch {
		case fewest < 0 || vars < fewest:
			out, fewest = []string{m}, vars
		case vars == fewest:
			out = append(out, m)
		}
	}
	return out
}

package query

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

// Collection is one collection as the engine reads it. *index.Collection
// implements it; a cluster's shard router will too.
type Collection interface {
	Name() string
	Config() index.Config
	// VectorConfig returns the config of the vector called name, or an
	// index.ErrBadRequest error naming the vectors the collection has.
	VectorConfig(name string) (index.VectorConfig, error)
	// SparseVectorConfig is VectorConfig for sparse vectors.
	SparseVectorConfig(name string) (index.SparseVectorConfig, error)
	Search(ctx context.Context, req index.SearchRequest) ([]index.ScoredPoint, error)
	SearchSparse(ctx context.Context, req index.SparseSearchRequest) ([]index.ScoredPoint, error)
	// SparseVectors is Vectors for sparse vectors.
	SparseVectors(ctx context.Context, using string, ids []pointid.ID) ([]sparse.Vector, error)
	Rank(ctx context.Context, req index.RankRequest) ([]index.ScoredPoint, error)
	Vectors(ctx context.Context, using string, ids []pointid.ID) ([][]float32, error)
	Scroll(ctx context.Context, req index.ScrollRequest) (index.ScrollPage, error)
	// ScrollOrdered lists points by a numerically indexed payload key.
	ScrollOrdered(ctx context.Context, req index.OrderedScrollRequest) ([]index.Record, error)
	Count(ctx context.Context, f *filter.Filter) (int, error)
}

// Embedder turns texts into vectors with one model. *encoder.Encoder
// implements it. Implementations must be safe for concurrent use.
type Embedder interface {
	Encode(ctx context.Context, texts []string) ([][]float32, error)
	// Dim is the length of every vector Encode returns.
	Dim() int
}

// Observer hears where a request's time goes; the server's metrics and
// Server-Timing header implement it. Methods are called from request
// goroutines and must be safe for concurrent use.
type Observer interface {
	// Searched reports time spent in the index for the request of ctx.
	Searched(ctx context.Context, d time.Duration)
	// Encoded reports n texts encoded by model in d.
	Encoded(model string, n int, d time.Duration)
}

// Config configures an Engine. Zero fields take the defaults their
// comments state.
type Config struct {
	// Lookup finds the collection a request's LookupFrom names. Nil means
	// lookup_from is refused.
	Lookup func(name string) (Collection, error)
	// Models are the text models by the names documents and collections
	// use. Nil means text documents are refused.
	Models map[string]Embedder
	// MaxLimit bounds limit+offset. Zero means 10000.
	MaxLimit int
	// MaxTexts bounds the text documents of one call. Zero means 1024.
	MaxTexts int
	// RecommendScanMax is the largest collection whose points best_score
	// and sum_scores all score; larger ones score the nearest neighbours
	// of each positive example. Zero means 20000.
	RecommendScanMax int
	// GroupCandidatesMax bounds the candidates a groups query widens its
	// search to (see groups.go). Zero means 10000.
	GroupCandidatesMax int
	// Observer hears timings. Nil means none.
	Observer Observer
	// Users answers recommendations for a user. Nil means they are
	// refused.
	Users Users
}

func (c *Config) ensureDefaults() {
	if c.MaxLimit == 0 {
		c.MaxLimit = 10000
	}
	if c.MaxTexts == 0 {
		c.MaxTexts = 1024
	}
	if c.RecommendScanMax == 0 {
		c.RecommendScanMax = 20000
	}
	if c.GroupCandidatesMax == 0 {
		c.GroupCandidatesMax = 10000
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
}

// Validate reports every problem with the config.
func (c *Config) Validate() error {
	var errs []error
	if c.MaxLimit < 0 || c.MaxTexts < 0 || c.RecommendScanMax < 0 || c.GroupCandidatesMax < 0 {
		errs = append(errs, errors.New("limits must not be negative"))
	}
	if c.MaxLimit > index.MaxLimit {
		errs = append(errs, fmt.Errorf("MaxLimit %d beyond the index's %d", c.MaxLimit, index.MaxLimit))
	}
	if c.GroupCandidatesMax > index.MaxLimit/2 {
		errs = append(errs, fmt.Errorf("GroupCandidatesMax %d beyond %d", c.GroupCandidatesMax, index.MaxLimit/2))
	}
	for name, m := range c.Models {
		if m == nil {
			errs = append(errs, fmt.Errorf("model %q is nil", name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("query config: %w", err)
	}
	return nil
}

type nopObserver struct{}

func (nopObserver) Searched(context.Context, time.Duration) {}
func (nopObserver) Encoded(string, int, time.Duration)      {}

// Engine runs queries. It is safe for concurrent use.
type Engine struct {
	cfg Config
}

// New returns an engine.
func New(cfg Config) (*Engine, error) {
	cfg.ensureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Engine{cfg: cfg}, nil
}

// Models returns the engine's text models.
func (e *Engine) Models() map[string]Embedder { return e.cfg.Models }

// Check reports the first problem with req, and with its prefetches, that
// needs no data to see.
func (e *Engine) Check(req *Request) error {
	total := 0
	return e.check(req, 0, &total)
}

func (e *Engine) check(req *Request, depth int, total *int) error {
	// Each bound first, so a huge limit and offset cannot overflow the sum.
	if req.Limit < 0 || req.Offset < 0 || req.Limit > e.cfg.MaxLimit || req.Offset > e.cfg.MaxLimit || req.Limit+req.Offset > e.cfg.MaxLimit {
		return badRequest("limit %d, offset %d: want limit ≥ 1, offset ≥ 0 and limit+offset ≤ %d", req.Limit, req.Offset, e.cfg.MaxLimit)
	}
	if req.Ef < 0 || req.Ef > index.MaxLimit {
		return badRequest("params.hnsw_ef %d: want 1..%d", req.Ef, index.MaxLimit)
	}
	if req.LookupFrom != "" && e.cfg.Lookup == nil {
		return badRequest("lookup_from: not supported here")
	}
	switch q := req.Query.(type) {
	case nil:
	case *Nearest:
		if err := checkInput(&q.To, "query"); err != nil {
			return err
		}
		if q.MMR != nil {
			if err := q.MMR.check(e.cfg.MaxLimit); err != nil {
				return err
			}
		}
	case *Recommend:
		if err := q.check(); err != nil {
			return err
		}
	case *Discover:
		if err := q.check(); err != nil {
			return err
		}
	case *Context:
		if err := q.check(); err != nil {
			return err
		}
	case *OrderBy:
		if err := q.check(); err != nil {
			return err
		}
	case *ForUser:
		if err := q.check(); err != nil {
			return err
		}
	case *Fusion:
		if err := q.check(len(req.Prefetch)); err != nil {
			return err
		}
	default:
		return badRequest("query: unknown kind %T", q)
	}
	return e.checkPrefetch(req, depth, total)
}

func checkInput(in *Input, where string) error {
	n := 0
	for _, set := range []bool{in.Vector != nil, in.Sparse != nil, in.Doc != nil, in.ID != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return badRequest("%s: want exactly one of a vector, a sparse vector, a document and a point id", where)
	}
	return nil
}

// Run answers the requests, all on collection c, one result list each.
// The documents of all requests are encoded in one batch per model. It
// does not change the requests.
func (e *Engine) Run(ctx context.Context, c Collection, reqs []Request) ([][]index.ScoredPoint, error) {
	reqs, err := e.prepare(ctx, c, reqs)
	if err != nil {
		return nil, err
	}
	out := make([][]index.ScoredPoint, len(reqs))
	for i := range reqs {
		res, _, err := e.exec(ctx, c, &reqs[i])
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	return out, nil
}

// prepare checks the requests and returns copies with their vectors
// checked and their documents encoded, one batch per model.
func (e *Engine) prepare(ctx context.Context, c Collection, reqs []Request) ([]Request, error) {
	own := make([]Request, len(reqs))
	for i := range reqs {
		if err := e.Check(&reqs[i]); err != nil {
			if len(reqs) > 1 {
				return nil, fmt.Errorf("query %d: %w", i, err)
			}
			return nil, err
		}
		own[i] = reqs[i].withOwnInputs()
	}
	reqs = own
	for i := range reqs {
		err := walk(&reqs[i], "", func(r *Request, _ string) error { return resolve(ctx, c, r) })
		if err != nil && len(reqs) > 1 {
			return nil, fmt.Errorf("query %d: %w", i, err)
		}
		if err != nil {
			return nil, err
		}
	}
	enc := e.newEncoding(c)
	for i := range reqs {
		err := walk(&reqs[i], "", func(r *Request, path string) error {
			if r.sparseUse {
				return nil // resolved above
			}
			for j, in := range r.inputs() {
				if in.Doc != nil {
					if err := enc.add(in, r.Using, fmt.Sprintf("query %d%s, input %d", i, path, j)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if err := enc.run(ctx); err != nil {
		return nil, err
	}
	return reqs, nil
}

// resolve checks r's vector and turns the inputs of a query on a sparse
// vector into a query vector, marking r sparseUse.
func resolve(ctx context.Context, c Collection, r *Request) error {
	switch r.Query.(type) {
	case *ForUser:
		if r.Using == "" {
			return nil // the user's profile picks the vector
		}
	case *Fusion:
		return nil // ranks by its prefetches, whatever their vectors
	case *OrderBy:
		return nil // ranks by a payload key
	case nil:
		if len(r.Prefetch) > 0 {
			return nil // passes its prefetch's list on
		}
	}
	if isSparse(c, r.Using) {
		r.sparseUse = true
		return resolveSparse(ctx, c, r)
	}
	if err := checkDense(r); err != nil {
		return err
	}
	if _, err := c.VectorConfig(r.Using); err != nil {
		return fmt.Errorf("using %q: %w", r.Using, err)
	}
	return nil
}

// run answers one request whose documents are encoded.
func (e *Engine) run(ctx context.Context, c Collection, req *Request) ([]index.ScoredPoint, error) {
	from, using := c, req.Using
	if req.LookupFrom != "" {
		var err error
		if from, err = e.cfg.Lookup(req.LookupFrom); err != nil {
			return nil, fmt.Errorf("lookup_from: %w", err)
		}
		using = req.LookupVector
		if _, err := from.VectorConfig(using); err != nil {
			return nil, fmt.Errorf("lookup_from.vector %q: %w", using, err)
		}
	}
	if err := lookupIDs(ctx, from, using, req.inputs()); err != nil {
		return nil, err
	}
	ex := excluded(req)
	switch q := req.Query.(type) {
	case *Nearest:
		if q.MMR != nil {
			return e.mmrNearest(ctx, c, req, q, q.To.Vector, ex)
		}
		return e.nearest(ctx, c, req, q.To.Vector, ex)
	case *Recommend:
		if q.strategy() == AverageVector {
			v, err := averageVector(metricOf(c, req.Using), q.Positive, q.Negative)
			if err != nil {
				return nil, err
			}
			return e.nearest(ctx, c, req, v, ex)
		}
		return e.recommendByScore(ctx, c, req, q, ex)
	case *Discover:
		return e.discover(ctx, c, req, q, ex)
	case *Context:
		return e.contextSearch(ctx, c, req, q, ex)
	case *OrderBy:
		return orderBy(ctx, c, req, q)
	case *ForUser:
		return e.forUser(ctx, c, req, q)
	}
	return listing(ctx, c, req)
}

// nearest searches for the points nearest to v, leaving out ex.
func (e *Engine) nearest(ctx context.Context, c Collection, req *Request, v []float32, ex map[pointid.ID]bool) ([]index.ScoredPoint, error) {
	start := time.Now()
	res, err := c.Search(ctx, index.SearchRequest{
		Using: req.Using, Vector: v, Limit: req.Offset + limitOf(req) + len(ex), Filter: req.Filter,
		Ef: req.Ef, Exact: req.Exact, Quantization: req.Quantization, IVF: req.IVF, ReadOptions: req.ReadOptions,
	})
	e.cfg.Observer.Searched(ctx, time.Since(start))
	if err != nil {
		return nil, err
	}
	return cut(res, req, higherIsBetter(c, req.Using), ex), nil
}

// cut applies the exclusions, the score threshold, offset and limit to
// results ordered best first.
func cut(res []index.ScoredPoint, req *Request, higher bool, ex map[pointid.ID]bool) []index.ScoredPoint {
	out := make([]index.ScoredPoint, 0, min(len(res), limitOf(req)))
	skip := req.Offset
	for _, r := range res {
		if ex[r.ID] || !passes(r.Score, req.ScoreThreshold, higher) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(out) == limitOf(req) {
			break
		}
		out = append(out, r)
	}
	return out
}

// listing answers a request without a query: points in id order.
func listing(ctx context.Context, c Collection, req *Request) ([]index.ScoredPoint, error) {
	page, err := c.Scroll(ctx, index.ScrollRequest{
		Filter: req.Filter, Limit: req.Offset + limitOf(req), ReadOptions: req.ReadOptions,
	})
	if err != nil {
		return nil, err
	}
	recs := page.Points[min(req.Offset, len(page.Points)):]
	out := make([]index.ScoredPoint, len(recs))
	for i, r := range recs {
		out[i] = index.ScoredPoint{Record: r}
	}
	return out, nil
}

// excluded returns the ids a request names in its own collection; like
// Qdrant, results leave them out.
func excluded(req *Request) map[pointid.ID]bool {
	ex := map[pointid.ID]bool{}
	if req.LookupFrom != "" {
		return ex
	}
	for _, in := range req.inputs() {
		if in.ID != nil {
			ex[*in.ID] = true
		}
	}
	return ex
}

// passes applies score_threshold: a minimum score where higher is better,
// a maximum distance otherwise.
func passes(score float32, threshold *float32, higher bool) bool {
	if threshold == nil {
		return true
	}
	if higher {
		return score >= *threshold
	}
	return score <= *threshold
}

func limitOf(req *Request) int {
	if req.Limit == 0 {
		return 10
	}
	return req.Limit
}

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", index.ErrBadRequest, fmt.Sprintf(format, args...))
}

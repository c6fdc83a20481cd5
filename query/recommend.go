package query

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

func (r *Recommend) strategy() Strategy {
	if r.Strategy == "" {
		return AverageVector
	}
	return r.Strategy
}

func (r *Recommend) check() error {
	switch r.strategy() {
	case AverageVector:
		if len(r.Positive) == 0 {
			return badRequest("recommend.positive: average_vector needs at least one positive example")
		}
	case BestScore, SumScores:
		if len(r.Positive)+len(r.Negative) == 0 {
			return badRequest("recommend: want at least one positive or negative example")
		}
	default:
		return badRequest("recommend.strategy %q: want average_vector, best_score or sum_scores", r.Strategy)
	}
	for i := range r.Positive {
		if err := checkInput(&r.Positive[i], fmt.Sprintf("recommend.positive[%d]", i)); err != nil {
			return err
		}
	}
	for i := range r.Negative {
		if err := checkInput(&r.Negative[i], fmt.Sprintf("recommend.negative[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

// averageVector is Qdrant's average_vector query: avg(positive) +
// (avg(positive) − avg(negative)), or avg(positive) without negatives.
// Examples are prepared as the graph stores them first (unit length for
// Cosine).
func averageVector(m hnsw.Metric, pos, neg []Input) ([]float32, error) {
	dim := len(pos[0].Vector)
	for _, in := range append(pos, neg...) {
		if len(in.Vector) != dim {
			return nil, badRequest("recommend: examples of sizes %d and %d", dim, len(in.Vector))
		}
	}
	avg := func(ins []Input) []float64 {
		out := make([]float64, dim)
		for _, in := range ins {
			for i, x := range m.Prepare(in.Vector) {
				out[i] += float64(x) / float64(len(ins))
			}
		}
		return out
	}
	p := avg(pos)
	q := make([]float32, dim)
	if len(neg) == 0 {
		for i := range q {
			q[i] = float32(p[i])
		}
		return q, nil
	}
	n := avg(neg)
	for i := range q {
		q[i] = float32(2*p[i] - n[i])
	}
	return q, nil
}

// scorer is a best_score or sum_scores score of one candidate against
// prepared examples, with the metric's similarity (higher is closer).
type scorer struct {
	m        hnsw.Metric
	pos, neg [][]float32
	sum      bool
}

// score is the strategy's score of v, clamped to float32's range: a sum
// or a square of large similarities could overflow to ±Inf, and an answer
// must never hold a non-finite score.
func (s *scorer) score(v []float32) float32 {
	x := s.raw(v)
	return min(max(x, -math.MaxFloat32), math.MaxFloat32)
}

func (s *scorer) raw(v []float32) float32 {
	if s.sum {
		var total float32
		for _, e := range s.pos {
			total += s.m.Similarity(e, v)
		}
		for _, e := range s.neg {
			total -= s.m.Similarity(e, v)
		}
		return total
	}
	bestPos, bestNeg := float32(math.Inf(-1)), float32(math.Inf(-1))
	for _, e := range s.pos {
		bestPos = max(bestPos, s.m.Similarity(e, v))
	}
	for _, e := range s.neg {
		bestNeg = max(bestNeg, s.m.Similarity(e, v))
	}
	if bestPos > bestNeg {
		return bestPos
	}
	return -(bestNeg * bestNeg)
}

// recommendByScore runs best_score and sum_scores: candidates are ranked
// by the scorer on the vectors in the graph's memory.
func (e *Engine) recommendByScore(ctx context.Context, c Collection, req *Request, q *Recommend, ex map[pointid.ID]bool) ([]index.ScoredPoint, error) {
	s := &scorer{m: metricOf(c, req.Using), sum: q.strategy() == SumScores}
	var err error
	if s.pos, err = prepareExamples(c, req, q.Positive, "recommend"); err != nil {
		return nil, err
	}
	if s.neg, err = prepareExamples(c, req, q.Negative, "recommend"); err != nil {
		return nil, err
	}
	return e.rankByScore(ctx, c, req, q.Positive, "recommend: "+string(q.strategy()), "give positive examples without params.exact", s.score, ex)
}

// prepareExamples checks the examples' sizes against req's vector and
// returns them as the graph compares them; what names them in errors.
func prepareExamples(c Collection, req *Request, ins []Input, what string) ([][]float32, error) {
	vc, err := c.VectorConfig(req.Using)
	if err != nil {
		return nil, err
	}
	m := metricOf(c, req.Using)
	out := make([][]float32, len(ins))
	for i, in := range ins {
		if len(in.Vector) != vc.Size && req.Using != "" {
			return nil, badRequest("%s: example of size %d, vector %q of collection %q wants %d", what, len(in.Vector), req.Using, c.Name(), vc.Size)
		}
		if len(in.Vector) != vc.Size {
			return nil, badRequest("%s: example of size %d, collection %q wants %d", what, len(in.Vector), c.Name(), vc.Size)
		}
		out[i] = m.Prepare(in.Vector)
	}
	return out, nil
}

// rankByScore ranks req's candidates (see candidates, with seeds, what and
// hint) by score on the vectors in the graph's memory, leaving out ex.
func (e *Engine) rankByScore(ctx context.Context, c Collection, req *Request, seeds []Input, what, hint string,
	score func([]float32) float32, ex map[pointid.ID]bool) ([]index.ScoredPoint, error) {
	among, err := e.candidates(ctx, c, req, seeds, what, hint)
	if err != nil {
		return nil, err
	}
	f := req.Filter
	if among != nil {
		f = nil // the candidates' searches applied it
	}
	start := time.Now()
	res, err := c.Rank(ctx, index.RankRequest{
		Using: req.Using, Among: among, Filter: f, Score: score,
		Limit: req.Offset + limitOf(req) + len(ex), ReadOptions: req.ReadOptions,
	})
	e.cfg.Observer.Searched(ctx, time.Since(start))
	if err != nil {
		return nil, err
	}
	return cut(res, req, true, ex), nil
}

// candidates returns the points a score-based query ranks: its
// prefetches' points when it has some, else nil, meaning every matching
// point, for a collection of up to RecommendScanMax points (or with Exact,
// or without seeds, up to five times that), else the nearest neighbours of
// each seed. what names the query in errors, hint says how to avoid them.
func (e *Engine) candidates(ctx context.Context, c Collection, req *Request, seeds []Input, what, hint string) ([]pointid.ID, error) {
	if req.among != nil {
		return req.among, nil
	}
	n, err := c.Count(ctx, nil)
	if err != nil {
		return nil, err
	}
	scanMax := e.cfg.RecommendScanMax
	if req.Exact || n <= scanMax || len(seeds) == 0 {
		if n > scanMax*5 {
			return nil, badRequest("%s scores every point only in collections of up to %d points (this one has %d); %s", what, scanMax*5, n, hint)
		}
		return nil, nil
	}
	k := min(max(4*(req.Offset+limitOf(req)), 100), index.MaxLimit)
	seen := map[pointid.ID]bool{}
	among := []pointid.ID{}
	for _, p := range seeds {
		start := time.Now()
		res, err := c.Search(ctx, index.SearchRequest{Using: req.Using, Vector: p.Vector, Limit: k, Filter: req.Filter, Ef: max(req.Ef, k), Quantization: req.Quantization, IVF: req.IVF})
		e.cfg.Observer.Searched(ctx, time.Since(start))
		if err != nil {
			return nil, err
		}
		for _, r := range res {
			if !seen[r.ID] {
				seen[r.ID] = true
				among = append(among, r.ID)
			}
		}
	}
	return among, nil
}

// metricOf returns the graph metric of the distance of c's vector called
// using, which Run checked exists; a collection's config was validated
// when it was made, so the error cannot happen.
func metricOf(c Collection, using string) hnsw.Metric {
	vc, err := c.VectorConfig(using)
	if err != nil {
		panic(fmt.Sprintf("collection %q: %v", c.Name(), err))
	}
	m, err := vc.Distance.Graph()
	if err != nil {
		panic(fmt.Sprintf("collection %q: %v", c.Name(), err))
	}
	return m
}

func higherIsBetter(c Collection, using string) bool { return metricOf(c, using).HigherIsBetter() }

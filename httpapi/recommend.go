package httpapi

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// averageVector is Qdrant's average_vector query: avg(positive) +
// (avg(positive) - avg(negative)), or avg(positive) without negatives.
// Cosine examples are normalised first, as Qdrant stores them.
func averageVector(m index.Metric, pos, neg []*vectorInput) ([]float32, error) {
	dim := len(pos[0].Vector)
	for _, v := range append(pos, neg...) {
		if len(v.Vector) != dim {
			return nil, badRequest("recommend: examples of sizes %d and %d", dim, len(v.Vector))
		}
	}
	avg := func(vs []*vectorInput) []float64 {
		out := make([]float64, dim)
		for _, v := range vs {
			x := prepare(m, v.Vector)
			for i := range out {
				out[i] += float64(x[i]) / float64(len(vs))
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

// prepare returns v as the metric compares it: unit length for cosine
// (a zero vector stays zero).
func prepare(m index.Metric, v []float32) []float32 {
	if m != index.Cosine {
		return v
	}
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		return v
	}
	out := make([]float32, len(v))
	inv := 1 / math.Sqrt(n)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// similarity compares prepared vectors, higher is more similar: the dot
// product for cosine and dot, the negated distance for Euclid.
func similarity(m index.Metric, a, b []float32) float32 {
	var s float64
	if m == index.Euclid {
		for i := range a {
			d := float64(a[i]) - float64(b[i])
			s += d * d
		}
		return float32(-math.Sqrt(s))
	}
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return float32(s)
}

// recoScore is Qdrant's documented score of one candidate. best_score: the
// best positive similarity if it beats the best negative one, else minus
// the square of the best negative similarity. sum_scores: the sum of the
// positive similarities minus the sum of the negative ones.
func recoScore(strategy string, m index.Metric, pos, neg [][]float32, v []float32) float32 {
	if strategy == "sum_scores" {
		var s float32
		for _, e := range pos {
			s += similarity(m, e, v)
		}
		for _, e := range neg {
			s -= similarity(m, e, v)
		}
		return s
	}
	bestPos, bestNeg := float32(math.Inf(-1)), float32(math.Inf(-1))
	for _, e := range pos {
		bestPos = max(bestPos, similarity(m, e, v))
	}
	for _, e := range neg {
		bestNeg = max(bestNeg, similarity(m, e, v))
	}
	if bestPos > bestNeg {
		return bestPos
	}
	return -(bestNeg * bestNeg)
}

// recommendByScore runs best_score and sum_scores: every candidate is
// scored against every example.
func (h *Handler) recommendByScore(ctx context.Context, c *index.Collection, p *plan) ([]scoredPoint, error) {
	m := c.Config().Distance
	prep := func(vs []*vectorInput) ([][]float32, error) {
		out := make([][]float32, len(vs))
		for i, v := range vs {
			if len(v.Vector) != c.Config().VectorSize {
				return nil, badRequest("recommend: example of size %d, collection %q wants %d", len(v.Vector), c.Name(), c.Config().VectorSize)
			}
			out[i] = prepare(m, v.Vector)
		}
		return out, nil
	}
	pos, err := prep(p.positive)
	if err != nil {
		return nil, err
	}
	neg, err := prep(p.negative)
	if err != nil {
		return nil, err
	}
	cands, err := h.recoCandidates(ctx, c, p)
	if err != nil {
		return nil, err
	}
	ex := p.excluded()
	type scored struct {
		id    pointid.ID
		score float32
	}
	all := make([]scored, 0, len(cands))
	for id, v := range cands {
		if ex[id] {
			continue
		}
		s := recoScore(p.strategy, m, pos, neg, prepare(m, v))
		if passes(s, p.threshold, true) {
			all = append(all, scored{id, s})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return all[i].id.Compare(all[j].id) < 0
	})
	all = all[min(p.offset, len(all)):]
	all = all[:min(p.limit, len(all))]
	ids := make([]pointid.ID, len(all))
	for i, s := range all {
		ids[i] = s.id
	}
	recs, err := c.Get(ctx, ids, p.sel.options(false))
	if err != nil {
		return nil, err
	}
	score := make(map[pointid.ID]float32, len(all))
	for _, s := range all {
		score[s.id] = s.score
	}
	out := make([]scoredPoint, len(recs))
	for i, r := range recs {
		out[i] = toScored(r, score[r.ID], p.sel)
	}
	return out, nil
}

// recoCandidates returns the vectors of the points a score-based
// recommendation ranks: all matching points of a collection of up to
// Config.RecommendScanMax points (or with params.exact, or without
// positive examples, up to five times that), else the nearest neighbours
// of each positive.
func (h *Handler) recoCandidates(ctx context.Context, c *index.Collection, p *plan) (map[pointid.ID][]float32, error) {
	out := map[pointid.ID][]float32{}
	n, err := c.Count(ctx, nil)
	if err != nil {
		return nil, err
	}
	if p.exact || n <= h.cfg.RecommendScanMax || len(p.positive) == 0 {
		if n > h.cfg.RecommendScanMax*5 {
			return nil, badRequest("recommend: %s scores every point only in collections of up to %d points (this one has %d); "+
				"give positive examples without params.exact", p.strategy, h.cfg.RecommendScanMax*5, n)
		}
		req := index.ScrollRequest{Filter: p.filter, Limit: 1024, ReadOptions: index.ReadOptions{WithVector: true}}
		for {
			page, err := c.Scroll(ctx, req)
			if err != nil {
				return nil, err
			}
			for _, r := range page.Points {
				out[r.ID] = r.Vector
			}
			if page.Next == nil {
				return out, nil
			}
			req.Offset = page.Next
		}
	}
	k := min(max(4*(p.offset+p.limit), 100), index.MaxLimit)
	for _, e := range p.positive {
		start := time.Now()
		res, err := c.Search(ctx, index.SearchRequest{
			Vector: e.Vector, Limit: k, Filter: p.filter, Ef: max(p.ef, k), ReadOptions: index.ReadOptions{WithVector: true},
		})
		searched(ctx, start)
		if err != nil {
			return nil, err
		}
		for _, r := range res {
			out[r.ID] = r.Vector
		}
	}
	return out, nil
}

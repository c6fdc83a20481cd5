package query

import (
	"context"
	"math"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

// MMR asks a Nearest for diverse results by maximal marginal relevance, as
// Qdrant's {"nearest": ..., "mmr": {...}} (1.15): the nearest
// CandidatesLimit points are the candidates; the most relevant comes
// first, then repeatedly the candidate maximising
//
//	λ·sim(query, c) − (1−λ)·max over chosen s of sim(c, s),  λ = 1 − Diversity
//
// with the vector's own similarity (cosine, dot, or minus the Euclidean
// distance; the dot product for sparse vectors) between stored vectors. Results keep their query scores, as
// Qdrant's do (lib/collection/src/collection/mmr/mod.rs): MMR picks and
// orders them, it does not score them.
type MMR struct {
	// Diversity is 1 − λ: 0 ranks by relevance alone, 1 by diversity alone.
	Diversity float32
	// CandidatesLimit is how many nearest points MMR chooses from; zero
	// means the request's offset+limit.
	CandidatesLimit int
}

func (m *MMR) check(maxLimit int) error {
	if !(m.Diversity >= 0 && m.Diversity <= 1) {
		return badRequest("query.mmr.diversity %v: want 0..1", m.Diversity)
	}
	if m.CandidatesLimit < 0 || m.CandidatesLimit > maxLimit {
		return badRequest("query.mmr.candidates_limit %d: want 0..%d", m.CandidatesLimit, maxLimit)
	}
	return nil
}

// mmrNearest answers a dense Nearest with MMR for vector v, leaving out ex.
func (e *Engine) mmrNearest(ctx context.Context, c Collection, req *Request, q *Nearest, v []float32, ex map[pointid.ID]bool) ([]index.ScoredPoint, error) {
	m := metricOf(c, req.Using)
	return e.mmr(ctx, req, q, m.HigherIsBetter(),
		func(r *Request) ([]index.ScoredPoint, error) { return e.nearest(ctx, c, r, v, ex) },
		func(ids []pointid.ID) (func(i, j int) float32, error) {
			vecs, err := c.Vectors(ctx, req.Using, ids)
			if err != nil {
				return nil, err
			}
			return func(i, j int) float32 { return m.Similarity(vecs[i], vecs[j]) }, nil
		})
}

// mmrSparse answers a Nearest on a sparse vector with MMR: candidates
// are similar by the dot product of their stored sparse vectors.
func (e *Engine) mmrSparse(ctx context.Context, c Collection, req *Request, q *Nearest, ex map[pointid.ID]bool) ([]index.ScoredPoint, error) {
	return e.mmr(ctx, req, q, true,
		func(r *Request) ([]index.ScoredPoint, error) { return e.sparseNearest(ctx, c, r, *q.To.Sparse, ex) },
		func(ids []pointid.ID) (func(i, j int) float32, error) {
			vecs, err := c.SparseVectors(ctx, req.Using, ids)
			if err != nil {
				return nil, err
			}
			return func(i, j int) float32 { return sparse.Dot(vecs[i], vecs[j]) }, nil
		})
}

// mmr runs MMR over the candidates search finds for a copy of req, with
// the similarity between candidates that sims makes from their ids;
// higher says whether higher scores are better.
func (e *Engine) mmr(ctx context.Context, req *Request, q *Nearest, higher bool,
	search func(r *Request) ([]index.ScoredPoint, error), sims func([]pointid.ID) (func(i, j int) float32, error)) ([]index.ScoredPoint, error) {
	want := req.Offset + limitOf(req)
	r := *req
	r.Offset, r.Limit = 0, q.MMR.CandidatesLimit
	if r.Limit == 0 {
		r.Limit = want
	}
	cands, err := search(&r)
	if err != nil {
		return nil, err
	}
	if len(cands) < 2 {
		return cut(cands, req, higher, nil), nil
	}
	ids := make([]pointid.ID, len(cands))
	rel := make([]float32, len(cands))
	for i, p := range cands {
		ids[i], rel[i] = p.ID, p.Score
		if !higher {
			rel[i] = -p.Score
		}
	}
	sim, err := sims(ids)
	if err != nil {
		return nil, err
	}
	order, err := mmrOrder(ctx, rel, sim, 1-q.MMR.Diversity, want)
	if err != nil {
		return nil, err
	}
	out := make([]index.ScoredPoint, 0, len(order))
	for _, i := range order[min(req.Offset, len(order)):] {
		out = append(out, cands[i])
	}
	return out, nil
}

// mmrOrder returns up to n candidate indices in MMR's order, given each
// candidate's relevance and the similarity between two candidates. Each
// step updates every remaining candidate's greatest similarity to the
// chosen ones, so it computes n·len(rel) similarities, not a matrix; it
// stops when ctx is done, since that can be 10⁸ of them.
func mmrOrder(ctx context.Context, rel []float32, sim func(i, j int) float32, lambda float32, n int) ([]int, error) {
	n = min(n, len(rel))
	order := make([]int, 0, n)
	chosen := make([]bool, len(rel))
	maxSim := make([]float32, len(rel))
	for i := range maxSim {
		maxSim[i] = float32(math.Inf(-1))
	}
	for len(order) < n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		best, bestScore := -1, float32(math.Inf(-1))
		for i := range rel {
			if chosen[i] {
				continue
			}
			s := rel[i]
			if len(order) > 0 {
				s = lambda*rel[i] - (1-lambda)*maxSim[i]
			}
			if best < 0 || s > bestScore {
				best, bestScore = i, s
			}
		}
		chosen[best] = true
		order = append(order, best)
		for i := range rel {
			if !chosen[i] {
				maxSim[i] = max(maxSim[i], sim(i, best))
			}
		}
	}
	return order, nil
}

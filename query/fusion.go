package query

import (
	"cmp"
	"math"
	"slices"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// Fusion combines the result lists of a request's prefetches into one,
// as Qdrant's {"fusion": "rrf"}, {"rrf": {...}} and {"fusion": "dbsf"}.
// Scores of a list where lower is better (Euclidean distances) are
// negated first, so that DBSF adds similarities.
type Fusion struct {
	// Method is RRF or DBSF.
	Method FusionMethod
	// K is RRF's rank constant; zero means DefaultRRFK.
	K int
	// Weights, when set, weigh each prefetch's list (one weight per
	// prefetch, in order); nil weighs them all 1.
	Weights []float32
}

func (*Fusion) isQuery() {}

// FusionMethod is a fusion's name as Qdrant spells it.
type FusionMethod string

// Fusion methods.
const (
	// RRF is reciprocal rank fusion: a point scores the sum over lists of
	// 1 / ((rank+1)/weight + k − 1), rank counted from 0, which is
	// 1 / (rank + k) at weight 1 (Qdrant's reciprocal_rank_fusion.rs,
	// after Cormack et al. 2009). Only ranks count, not scores.
	RRF FusionMethod = "rrf"
	// DBSF is distribution-based score fusion: each list's scores are
	// mapped linearly so that mean − 3σ is 0 and mean + 3σ is 1 (σ the
	// sample standard deviation; a list of one point, or of equal scores,
	// scores 0.5), multiplied by the list's weight and summed per point
	// (Qdrant's score_fusion.rs).
	DBSF FusionMethod = "dbsf"
)

// DefaultRRFK is RRF's rank constant when none is given: Qdrant's
// DEFAULT_RRF_K, 2 (not the paper's 60).
const DefaultRRFK = 2

func (f *Fusion) check(prefetches int) error {
	switch f.Method {
	case RRF, DBSF:
	default:
		return badRequest("query.fusion %q: want rrf or dbsf", f.Method)
	}
	if f.K < 0 {
		return badRequest("query.rrf.k %d: want k ≥ 1", f.K)
	}
	if f.Weights != nil && len(f.Weights) != prefetches {
		return badRequest("query.rrf.weights: %d weights for %d prefetches", len(f.Weights), prefetches)
	}
	for i, w := range f.Weights {
		if w < 0 || math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
			return badRequest("query.rrf.weights[%d] %v: want a finite weight ≥ 0", i, w)
		}
	}
	if prefetches == 0 {
		return badRequest("query.fusion: needs prefetch")
	}
	return nil
}

// fuse combines lists, each ordered best first with higher scores better,
// into one list ordered best first; ties go to the smaller id so that
// answers do not depend on map order.
func (f *Fusion) fuse(lists [][]index.ScoredPoint) []index.ScoredPoint {
	weight := func(i int) float64 {
		if f.Weights == nil {
			return 1
		}
		return float64(f.Weights[i])
	}
	score := map[pointid.ID]float64{}
	first := map[pointid.ID]index.ScoredPoint{}
	for i, list := range lists {
		var norm func(float32) float64
		if f.Method == DBSF {
			norm = distributionNorm(list)
		}
		for rank, p := range list {
			var s float64
			if f.Method == RRF {
				s = rrfScore(rank, f.k(), weight(i))
			} else {
				s = norm(p.Score) * weight(i)
			}
			if _, ok := first[p.ID]; !ok {
				first[p.ID] = p
			}
			score[p.ID] += s
		}
	}
	out := make([]index.ScoredPoint, 0, len(first))
	for id, p := range first {
		p.Score = float32(score[id])
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b index.ScoredPoint) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), a.ID.Compare(b.ID))
	})
	return out
}

func (f *Fusion) k() int {
	if f.K == 0 {
		return DefaultRRFK
	}
	return f.K
}

// rrfScore is one list's RRF contribution of the point at rank (from 0);
// a weight of 0 contributes nothing.
func rrfScore(rank, k int, weight float64) float64 {
	if weight <= 0 {
		return 0
	}
	return 1 / (float64(rank+1)/weight + float64(k) - 1)
}

// distributionNorm returns DBSF's normalisation of list's scores.
func distributionNorm(list []index.ScoredPoint) func(float32) float64 {
	if len(list) < 2 {
		return func(float32) float64 { return 0.5 }
	}
	var mean, m2 float64
	for i, p := range list {
		// Welford's update: one pass, stable for close scores.
		x := float64(p.Score)
		d := x - mean
		mean += d / float64(i+1)
		m2 += d * (x - mean)
	}
	sd := math.Sqrt(m2 / float64(len(list)-1))
	lo, hi := mean-3*sd, mean+3*sd
	if hi == lo {
		return func(float32) float64 { return 0.5 }
	}
	return func(s float32) float64 { return (float64(s) - lo) / (hi - lo) }
}

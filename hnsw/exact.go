package hnsw

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"
)

// SearchNodes scores the given nodes exactly against query and returns the
// best k of those that are live, best first. It is the fallback for filters
// so selective that walking the graph would visit mostly non-matching nodes.
func (g *Graph) SearchNodes(ctx context.Context, query []float32, k int, nodes iter.Seq[uint32]) ([]Result, error) {
	if err := checkVector(query, g.dim); err != nil {
		return nil, fmt.Errorf("exact search: %w", err)
	}
	if k < 1 {
		return nil, fmt.Errorf("exact search: k = %d, want ≥ 1", k)
	}
	s := g.getScratch()
	defer g.putScratch(s)
	q := query
	if g.opts.Metric == Cosine {
		if err := normalizeInto(s.query, query); err != nil {
			return nil, fmt.Errorf("exact search: %w", err)
		}
		q = s.query
	}
	return g.topNodes(ctx, s, k, nodes, func(v []float32) float32 { return g.distance(q, v) }, g.opts.Metric.score)
}

// RankNodes scores the given live nodes with score, a caller's function of
// a node's stored vector (unit length for Cosine; it must not keep the
// slice), and returns the best k, highest score first. Recommendation
// strategies that compare a candidate with several examples rank with it,
// on the vectors in memory.
func (g *Graph) RankNodes(ctx context.Context, k int, nodes iter.Seq[uint32], score func(v []float32) float32) ([]Result, error) {
	if k < 1 {
		return nil, fmt.Errorf("rank nodes: k = %d, want ≥ 1", k)
	}
	s := g.getScratch()
	defer g.putScratch(s)
	return g.topNodes(ctx, s, k, nodes, func(v []float32) float32 { return -score(v) }, func(d float32) float32 { return -d })
}

// topNodes keeps the k nodes of lowest dist; score turns a dist into the
// result's score.
func (g *Graph) topNodes(ctx context.Context, s *scratch, k int, nodes iter.Seq[uint32], dist func([]float32) float32, score func(float32) float32) ([]Result, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	s.results = s.results[:0]
	scanned := 0
	var err error
	for n := range nodes {
		if scanned++; scanned%4096 == 0 {
			if err = ctx.Err(); err != nil {
				break
			}
		}
		if int(n) >= g.capacity || atomic.LoadUint32(&g.state[n]) != nodeLive {
			continue
		}
		d := dist(g.vectorOf(n))
		if len(s.results) < k {
			s.results.push(candidate{d, n})
		} else if d < s.results[0].dist {
			s.results.pop()
			s.results.push(candidate{d, n})
		}
	}
	if err != nil {
		return nil, fmt.Errorf("exact search: %w", err)
	}
	out := make([]Result, len(s.results))
	for i := len(out) - 1; i >= 0; i-- {
		c := s.results.pop()
		out[i] = Result{Node: c.node, Score: score(c.dist)}
	}
	return out, nil
}

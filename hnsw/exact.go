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
		d := g.distance(q, g.vectorOf(n))
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
		out[i] = Result{Node: c.node, Score: g.opts.Metric.score(c.dist)}
	}
	return out, nil
}

package hnsw

import (
	"context"
	"fmt"
	"sync/atomic"
)

// ctxCheckEvery is how many expanded candidates pass between context checks.
const ctxCheckEvery = 256

// Search returns up to k nodes closest to query, best first.
func (g *Graph) Search(ctx context.Context, query []float32, k int, opts SearchOptions) ([]Result, error) {
	return g.SearchInto(ctx, nil, query, k, opts)
}

// SearchInto is Search appending to dst; with enough capacity in dst it
// allocates nothing.
func (g *Graph) SearchInto(ctx context.Context, dst []Result, query []float32, k int, opts SearchOptions) ([]Result, error) {
	if err := checkVector(query, g.dim); err != nil {
		return dst, fmt.Errorf("search: %w", err)
	}
	if k < 1 {
		return dst, fmt.Errorf("search: k = %d, want ≥ 1", k)
	}
	over := opts.Quantization.Oversampling
	if over != 0 && !(over >= 1 && over <= MaxOversampling) {
		return dst, fmt.Errorf("search: oversampling %v, want 1..%d", over, MaxOversampling)
	}
	s := g.getScratch()
	defer g.putScratch(s)
	q := query
	if g.opts.Metric == Cosine {
		if err := normalizeInto(s.query, query); err != nil {
			return dst, fmt.Errorf("search: %w", err)
		}
		q = s.query
	}
	ef := opts.Ef
	if ef == 0 {
		ef = int(g.ef.Load())
	}
	ef = max(ef, k)

	g.mu.RLock()
	defer g.mu.RUnlock()
	ep, epLevel, ok := g.entryPoint()
	if !ok {
		return dst, nil
	}
	quantized := g.codes != nil && !opts.Quantization.Ignore
	if quantized {
		s.sc.useCodes(g.quant, q)
		ef = rescoreCount(ef, k, over)
	} else {
		s.sc.useFloats(q)
	}
	cur := candidate{g.nodeDistance(&s.sc, ep), ep}
	for l := epLevel; l > 0; l-- {
		cur = g.greedy(s, cur, l)
	}
	var err error
	if opts.Within != nil {
		err = g.searchLayerTwoHop(ctx, s, cur, ef, opts.Within)
	} else {
		err = g.searchLayer(ctx, s, cur, ef, 0, opts.Filter)
	}
	if err != nil {
		return dst, fmt.Errorf("search: %w", err)
	}
	rescored := 0
	switch {
	case quantized && !opts.Quantization.NoRescore:
		rescored = g.rescore(s, q, k)
	case quantized:
		g.estimateScores(s)
	}
	if opts.Stats != nil {
		*opts.Stats = SearchStats{Quantized: quantized, Rescored: rescored}
	}
	for len(s.results) > k {
		s.results.pop()
	}
	n := len(s.results)
	start := len(dst)
	dst = append(dst, make([]Result, n)...)[:start+n]
	for i := n - 1; i >= 0; i-- {
		c := s.results.pop()
		dst[start+i] = Result{Node: c.node, Score: g.opts.Metric.score(c.dist)}
	}
	return dst, nil
}

// greedy walks level from cur to a local minimum of the distance to the
// query of s.sc.
func (g *Graph) greedy(s *scratch, cur candidate, level int) candidate {
	for changed := true; changed; {
		changed = false
		links := g.linksOf(cur.node, level)
		n := int(atomic.LoadUint32(&links[0]))
		for i := 1; i <= n; i++ {
			nb := atomic.LoadUint32(&links[i])
			if d := g.nodeDistance(&s.sc, nb); d < cur.dist {
				cur = candidate{d, nb}
				changed = true
			}
		}
	}
	return cur
}

// searchLayer is the paper's SEARCH-LAYER with one entry point: it leaves the
// ef closest admitted nodes to the query of s.sc in s.results. Admitted
// means live and accepted by filter; other nodes are still walked through.
// mu must be held.
func (g *Graph) searchLayer(ctx context.Context, s *scratch, ep candidate, ef, level int, filter func(uint32) bool) error {
	// With no filter and no tombstones every node reached is a result, and
	// the state of each need not be loaded.
	everyone := filter == nil && g.tombstones.Load() == 0
	q, codes := s.sc.vec, s.sc.codes
	s.visited.reset(g.capacity)
	s.candidates = s.candidates[:0]
	s.results = s.results[:0]
	s.visited.visit(ep.node)
	s.candidates.push(ep)
	if g.admit(ep.node, filter) {
		s.results.push(ep)
	}
	for expanded := 1; len(s.candidates) > 0; expanded++ {
		c := s.candidates.pop()
		if len(s.results) >= ef && c.dist > s.results[0].dist {
			break
		}
		if expanded%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// Gather the unvisited neighbours and prefetch all their vectors
		// (or codes) before scoring any, so their cache misses overlap.
		links := g.linksOf(c.node, level)
		n := int(atomic.LoadUint32(&links[0]))
		fresh := s.fresh[:0]
		for i := 1; i <= n; i++ {
			nb := atomic.LoadUint32(&links[i])
			if !s.visited.visit(nb) {
				if codes {
					prefetch(&g.codes[int(nb)*g.codeWords])
				} else {
					prefetch(&g.arena[int(nb)*g.stride+g.stride0])
				}
				fresh = append(fresh, nb)
			}
		}
		s.fresh = fresh
		for _, nb := range fresh {
			var d float32
			if codes {
				d = g.codeDistance(&s.sc, nb)
			} else {
				d = g.distance(q, g.vectorOf(nb))
			}
			if len(s.results) < ef || d < s.results[0].dist {
				s.candidates.push(candidate{d, nb})
				if everyone || g.admit(nb, filter) {
					s.results.push(candidate{d, nb})
					if len(s.results) > ef {
						s.results.pop()
					}
				}
			}
		}
	}
	return nil
}

// admit reports whether node may be a result.
func (g *Graph) admit(node uint32, filter func(uint32) bool) bool {
	return atomic.LoadUint32(&g.state[node]) == nodeLive && (filter == nil || filter(node))
}

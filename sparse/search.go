package sparse

import (
	"context"
	"math"
	"slices"

	"github.com/quiver-db/quiver/internal/heap"
)

// SearchOptions are the knobs of one search.
type SearchOptions struct {
	// Filter, when set, admits nodes as results. It is called under the
	// index's read lock and must not call back into the index.
	Filter func(node uint32) bool
	// IDF multiplies each query weight by the term's inverse document
	// frequency, as Qdrant's "idf" modifier does: ln((N − n + 0.5)/(n +
	// 0.5) + 1), N the nodes with a vector and n those with the term.
	IDF bool
	// Exhaustive scores every posting of the query's terms, skipping
	// nothing: the same answer as MaxScore at the cost MaxScore avoids,
	// for benchmarks and checks.
	Exhaustive bool
}

// Result is one search hit: a node and its dot product with the query.
type Result struct {
	Node  uint32
	Score float32
}

// IDF is Qdrant's inverse document frequency of a term held by n of N
// vectors.
func IDF(n, N int) float32 {
	return float32(math.Log((float64(N)-float64(n)+0.5)/(float64(n)+0.5) + 1))
}

// cursor walks one query term's postings.
type cursor struct {
	p   *postings
	pos int
	q   float32 // the query weight, idf applied
	ub  float32 // bounds q·w over the list, and is at least 0
}

func (c *cursor) node() uint32 { return c.p.nodes[c.pos] }
func (c *cursor) done() bool   { return c.pos >= len(c.p.nodes) }

// seek moves c to the first entry at or after node.
func (c *cursor) seek(node uint32) {
	if c.done() || c.node() >= node {
		return
	}
	i, _ := slices.BinarySearch(c.p.nodes[c.pos:], node)
	c.pos += i
}

// worse orders results for the top-k heap: lower score first, and at
// equal scores the higher node, so smaller nodes win ties.
func worse(a, b Result) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.Node > b.Node
}

// Search returns the k nodes with the highest dot product with q, best
// first (invariant 3). q must have passed Validate; zero weights and
// terms no node has are ignored.
//
// It runs MaxScore over the query's postings: terms sorted by the most
// they can add, the cheapest ones whose bounds together cannot beat the
// k-th best score so far are only probed for nodes that the others
// found, never walked.
func (ix *Index) Search(ctx context.Context, q Vector, k int, opts SearchOptions) ([]Result, error) {
	if k <= 0 {
		return nil, nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	cs := ix.cursorsLocked(q, opts.IDF)
	slices.SortFunc(cs, func(a, b cursor) int {
		switch {
		case a.ub < b.ub:
			return -1
		case a.ub > b.ub:
			return 1
		}
		return 0
	})
	prefix := make([]float32, len(cs)) // prefix[i] bounds what cs[0..i] add together
	var sum float32
	for i := range cs {
		sum += cs[i].ub
		prefix[i] = sum
	}
	top := make([]Result, 0, k)
	theta := float32(math.Inf(-1))
	ess := 0 // cs[:ess] are non-essential: they alone cannot beat theta
	for steps := 0; ; steps++ {
		if steps%4096 == 4095 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		for !opts.Exhaustive && ess < len(cs) && prefix[ess] <= theta {
			ess++
		}
		if ess == len(cs) {
			break
		}
		doc, ok := nextDoc(cs[ess:])
		if !ok {
			break
		}
		var score float32
		for i := ess; i < len(cs); i++ {
			if c := &cs[i]; !c.done() && c.node() == doc {
				score += c.q * c.p.weights[c.pos]
				c.pos++
			}
		}
		if opts.Filter != nil && !opts.Filter(doc) {
			continue
		}
		if !probe(cs[:ess], prefix, doc, &score, theta) {
			continue
		}
		r := Result{Node: doc, Score: score}
		switch {
		case len(top) < k:
			heap.Push(&top, r, worse)
		case worse(top[0], r):
			heap.ReplaceTop(top, r, worse)
		default:
			continue
		}
		if len(top) == k {
			theta = top[0].Score
		}
	}
	slices.SortFunc(top, func(a, b Result) int {
		if worse(a, b) {
			return 1
		}
		if worse(b, a) {
			return -1
		}
		return 0
	})
	return top, ctx.Err()
}

// cursorsLocked returns a cursor for each query term that some node has.
func (ix *Index) cursorsLocked(q Vector, idf bool) []cursor {
	cs := make([]cursor, 0, len(q.Indices))
	n := len(ix.mu.docs)
	for i, t := range q.Indices {
		p := ix.mu.lists[t]
		w := q.Values[i]
		if p == nil || w == 0 {
			continue
		}
		if idf {
			w *= IDF(len(p.nodes), n)
		}
		cs = append(cs, cursor{p: p, q: w, ub: max(0, w*p.max, w*p.min)})
	}
	return cs
}

// nextDoc returns the smallest node under the cursors.
func nextDoc(cs []cursor) (uint32, bool) {
	doc, ok := uint32(math.MaxUint32), false
	for i := range cs {
		if !cs[i].done() && cs[i].node() <= doc {
			doc, ok = cs[i].node(), true
		}
	}
	return doc, ok
}

// probe adds the non-essential terms' weights of doc to score, the
// strongest first, and reports false as soon as what is left cannot lift
// score above theta.
func probe(cs []cursor, prefix []float32, doc uint32, score *float32, theta float32) bool {
	for j := len(cs) - 1; j >= 0; j-- {
		if *score+prefix[j] <= theta {
			return false
		}
		c := &cs[j]
		c.seek(doc)
		if !c.done() && c.node() == doc {
			*score += c.q * c.p.weights[c.pos]
		}
	}
	return *score > theta
}

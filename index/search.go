package index

import (
	"container/heap"
	"context"
	"fmt"
	"math"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/hnsw"
)

// SearchRequest is a nearest-neighbour query.
type SearchRequest struct {
	Vector []float32
	// Limit is k, the number of results; zero means 10.
	Limit int
	// Offset skips the best Offset results.
	Offset int
	// Filter restricts results to matching points; nil means all.
	Filter *filter.Filter
	// Ef is the graph search's candidate list size; zero means the
	// collection's default (max(k, HNSW.Ef)).
	Ef int
	// Exact scores every (matching) point instead of walking the graph.
	Exact bool
	ReadOptions
}

// ScoredPoint is a search result. Score is the cosine similarity or the
// dot product (higher is better) or the Euclidean distance (lower is
// better), as the collection's distance says.
type ScoredPoint struct {
	Record
	Score float32
}

// Search returns the points nearest to the query, best first. With a
// filter it returns min(k, matches) points: when few points match it scores
// them exactly, otherwise it walks the graph admitting only matches as
// results, and falls back to exact scoring if the walk comes up short.
func (c *Collection) Search(ctx context.Context, req SearchRequest) ([]ScoredPoint, error) {
	if err := c.checkVector(req.Vector); err != nil {
		return nil, fmt.Errorf("%w: query: %w", ErrBadRequest, err)
	}
	if req.Limit < 0 || req.Offset < 0 || req.Limit+req.Offset > MaxLimit || req.Ef < 0 {
		return nil, fmt.Errorf("%w: limit %d, offset %d, ef %d: want limit+offset ≤ %d and ef ≥ 0", ErrBadRequest, req.Limit, req.Offset, req.Ef, MaxLimit)
	}
	limit := req.Limit
	if limit == 0 {
		limit = 10
	}
	k := limit + req.Offset
	var results []hnsw.Result
	if req.Filter == nil && !req.Exact {
		c.mu.RLock()
		closed := c.mu.closed
		c.mu.RUnlock()
		if closed {
			return nil, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
		}
		var err error
		if results, err = c.graph.Search(ctx, req.Vector, k, hnsw.SearchOptions{Ef: req.Ef}); err != nil {
			return nil, fmt.Errorf("collection %q: search: %w", c.name, err)
		}
	} else {
		set, err := c.match(ctx, req.Filter)
		if err != nil {
			return nil, err
		}
		matches := set.count()
		if !req.Exact && matches > c.opts.ExactSearchMax {
			results, err = c.graph.Search(ctx, req.Vector, k, hnsw.SearchOptions{Ef: req.Ef, Filter: set.has})
			if err != nil {
				return nil, fmt.Errorf("collection %q: search: %w", c.name, err)
			}
		}
		if req.Exact || len(results) < min(k, matches) {
			if results, err = c.exactSearch(ctx, req.Vector, k, set); err != nil {
				return nil, err
			}
		}
	}
	return c.resolve(ctx, results, req.Offset, req.ReadOptions)
}

// exactSearch scores every node of set against q and returns the best k.
func (c *Collection) exactSearch(ctx context.Context, q []float32, k int, set bitset) ([]hnsw.Result, error) {
	metric, _ := c.cfg.Distance.hnsw()
	if metric == hnsw.Cosine {
		q = normalized(q)
	}
	// top is a heap with the worst kept result at the root.
	top := &resultHeap{better: metric.HigherIsBetter()}
	var err error
	seen := 0
	set.each(func(node uint32) {
		if err != nil {
			return
		}
		if seen++; seen%1024 == 0 {
			err = ctx.Err()
		}
		v, verr := c.graph.Vector(node)
		if verr != nil {
			return // deleted meanwhile
		}
		r := hnsw.Result{Node: node, Score: score(metric, q, v)}
		if top.Len() < k {
			heap.Push(top, r)
		} else if top.less(top.rs[0], r) {
			top.rs[0] = r
			heap.Fix(top, 0)
		}
	})
	if err != nil {
		return nil, err
	}
	out := make([]hnsw.Result, top.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(top).(hnsw.Result)
	}
	return out, nil
}

// resultHeap orders results worst first.
type resultHeap struct {
	rs     []hnsw.Result
	better bool // higher scores are better
}

// less reports whether a is worse than b.
func (h *resultHeap) less(a, b hnsw.Result) bool {
	if h.better {
		return a.Score < b.Score
	}
	return a.Score > b.Score
}

func (h *resultHeap) Len() int           { return len(h.rs) }
func (h *resultHeap) Less(i, j int) bool { return h.less(h.rs[i], h.rs[j]) }
func (h *resultHeap) Swap(i, j int)      { h.rs[i], h.rs[j] = h.rs[j], h.rs[i] }
func (h *resultHeap) Push(x any)         { h.rs = append(h.rs, x.(hnsw.Result)) }
func (h *resultHeap) Pop() any {
	r := h.rs[len(h.rs)-1]
	h.rs = h.rs[:len(h.rs)-1]
	return r
}

// score compares q with a stored graph vector (unit length for cosine) the
// way the graph does.
func score(m hnsw.Metric, q, v []float32) float32 {
	var s float32
	if m == hnsw.L2 {
		for i := range q {
			d := q[i] - v[i]
			s += d * d
		}
		return s
	}
	for i := range q {
		s += q[i] * v[i]
	}
	return s
}

func normalized(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	inv := 1 / math.Sqrt(n)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// resolve turns graph results into points, skipping the first offset and
// any node that holds no published point.
func (c *Collection) resolve(ctx context.Context, results []hnsw.Result, offset int, opts ReadOptions) ([]ScoredPoint, error) {
	out := make([]ScoredPoint, 0, len(results))
	c.mu.RLock()
	for _, r := range results {
		if c.mu.live.has(r.Node) {
			out = append(out, ScoredPoint{Record: Record{ID: c.mu.nodes[r.Node]}, Score: r.Score})
		}
	}
	c.mu.RUnlock()
	out = out[min(offset, len(out)):]
	for i := range out {
		if c.cfg.Distance == Euclid {
			out[i].Score = float32(math.Sqrt(float64(out[i].Score)))
		}
		if opts.WithPayload || opts.WithVector {
			r, ok, err := c.record(out[i].ID, opts)
			if err != nil {
				return nil, err
			}
			if ok {
				out[i].Record = r
			}
		}
	}
	return out, ctx.Err()
}

package index

import (
	"context"
	"fmt"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/internal/bitset"
	"github.com/quiver-db/quiver/pointid"
)

// SearchRequest is a nearest-neighbour query.
type SearchRequest struct {
	// Using names the vector searched; "" is the unnamed one.
	Using  string
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
	// Quantization shapes the walk of a quantized vector; others ignore
	// it.
	Quantization QuantizationSearch
	// IVF shapes the scan of a vector with a partitioned index; others
	// ignore it.
	IVF IVFSearch
	ReadOptions
}

// ScoredPoint is a search result. Score is the cosine similarity or the
// dot product (higher is better) or the Euclidean distance (lower is
// better), as the collection's distance says.
type ScoredPoint struct {
	Record
	Score float32
	// Explanation, set on a recommendation for a user when asked for,
	// holds the user's past items that contributed most to Score.
	Explanation []Contribution
}

// Contribution is one past item's share of a recommendation's score.
type Contribution struct {
	ID           pointid.ID
	Contribution float32
}

// Search returns the points nearest to the query, best first. With a
// filter it returns min(k, matches) points: planFilter picks by the share
// of points matching whether to score the matches exactly, walk the graph
// over the matches (two-hop) or walk it as unfiltered admitting only
// matches, and a walk that comes up short falls back to exact scoring.
// Without a filter, a vector with a built partitioned index (IVFConfig)
// scans its cells instead of walking the graph.
func (c *Collection) Search(ctx context.Context, req SearchRequest) ([]ScoredPoint, error) {
	sp, err := c.space(req.Using)
	if err != nil {
		return nil, err
	}
	if err := c.checkReadOptions(req.ReadOptions); err != nil {
		return nil, err
	}
	if err := c.checkVector(sp, req.Vector); err != nil {
		return nil, fmt.Errorf("%w: query: %w", ErrBadRequest, err)
	}
	if req.Limit < 0 || req.Offset < 0 || req.Limit+req.Offset > MaxLimit || req.Ef < 0 {
		return nil, fmt.Errorf("%w: limit %d, offset %d, ef %d: want limit+offset ≤ %d and ef ≥ 0", ErrBadRequest, req.Limit, req.Offset, req.Ef, MaxLimit)
	}
	if err := req.Quantization.check(); err != nil {
		return nil, err
	}
	if err := req.IVF.check(); err != nil {
		return nil, err
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
		g := sp.g()
		ok := false
		if p := sp.part.Load(); p != nil && !req.IVF.Ignore {
			if p.graph != g { // the vectors were replaced
				c.renewPartition(sp, p, g)
			} else if results, ok, err = p.search(ctx, g, req.Vector, k, req.IVF); err != nil {
				return nil, fmt.Errorf("collection %q: partitioned search: %w", c.name, err)
			}
		}
		if !ok {
			if results, err = g.Search(ctx, req.Vector, k, hnsw.SearchOptions{Ef: req.Ef, Quantization: req.Quantization.graph()}); err != nil {
				return nil, fmt.Errorf("collection %q: search: %w", c.name, err)
			}
		}
	} else {
		set, err := c.match(ctx, req.Filter)
		if err != nil {
			return nil, err
		}
		c.restrict(sp, set)
		matches := set.Count()
		g := sp.g()
		plan := planFilter(matches, g.Len(), c.opts.ExactSearchMax, req.Ef, g.Options().Ef, k, req.Exact)
		if plan.strategy != scanMatches {
			if results, err = g.Search(ctx, req.Vector, k, plan.searchOptions(set, req.Quantization.graph())); err != nil {
				return nil, fmt.Errorf("collection %q: search: %w", c.name, err)
			}
		}
		if plan.strategy == scanMatches || len(results) < min(k, matches) {
			if results, err = c.exactSearch(ctx, sp, req.Vector, k, set); err != nil {
				return nil, err
			}
		}
	}
	return c.resolve(ctx, results, req.Offset, req.ReadOptions)
}

// exactSearch scores every node of set against q and returns the best k.
func (c *Collection) exactSearch(ctx context.Context, sp *vectorSpace, q []float32, k int, set bitset.Set) ([]hnsw.Result, error) {
	res, err := sp.g().SearchNodes(ctx, q, k, set.All())
	if err != nil {
		return nil, fmt.Errorf("collection %q: %w", c.name, err)
	}
	return res, nil
}

// resolve turns graph results into points, skipping the first offset and
// any node that holds no published point.
func (c *Collection) resolve(ctx context.Context, results []hnsw.Result, offset int, opts ReadOptions) ([]ScoredPoint, error) {
	out := make([]ScoredPoint, 0, len(results))
	c.mu.RLock()
	for _, r := range results {
		if c.mu.live.Has(r.Node) {
			out = append(out, ScoredPoint{Record: Record{ID: c.mu.nodes[r.Node]}, Score: r.Score})
		}
	}
	c.mu.RUnlock()
	out = out[min(offset, len(out)):]
	for i := range out {
		if opts.WithPayload || opts.WithVector || opts.VectorNames != nil {
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

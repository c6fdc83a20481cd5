package index

import (
	"context"
	"fmt"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/internal/bitset"
	"github.com/quiver-db/quiver/pointid"
)

// RankRequest ranks points by a caller's score of their vectors, for
// queries whose score is not one vector's distance (recommendation
// strategies that weigh several examples).
type RankRequest struct {
	// Using names the vector scored; "" is the unnamed one.
	Using string
	// Among, when not nil, restricts the candidates to these points; ids
	// that name no point are ignored.
	Among []pointid.ID
	// Filter restricts the candidates to matching points; nil means all.
	Filter *filter.Filter
	// Score maps a point's vector as the graph holds it (unit length for
	// Cosine) to its score, higher is better. It must not keep the slice,
	// and must be safe for concurrent use: one collection calls it from
	// one goroutine, but a shard router ranks its shards at once.
	Score func(v []float32) float32
	// Limit is the number of results; zero means 10. Offset skips the best
	// Offset.
	Limit, Offset int
	ReadOptions
}

// Rank returns the best-scoring candidates, best first, scored on the
// vectors in memory: no vector is read from the store.
func (c *Collection) Rank(ctx context.Context, req RankRequest) ([]ScoredPoint, error) {
	if req.Score == nil {
		return nil, fmt.Errorf("%w: rank without a score", ErrBadRequest)
	}
	if req.Limit < 0 || req.Offset < 0 || req.Limit+req.Offset > MaxLimit {
		return nil, fmt.Errorf("%w: limit %d, offset %d: want limit+offset ≤ %d", ErrBadRequest, req.Limit, req.Offset, MaxLimit)
	}
	limit := req.Limit
	if limit == 0 {
		limit = 10
	}
	sp, err := c.space(req.Using)
	if err != nil {
		return nil, err
	}
	if err := c.checkReadOptions(req.ReadOptions); err != nil {
		return nil, err
	}
	set, err := c.match(ctx, req.Filter)
	if err != nil {
		return nil, err
	}
	c.restrict(sp, set)
	if req.Among != nil {
		among := c.nodesOf(req.Among)
		among.And(set)
		set = among
	}
	results, err := sp.g().RankNodes(ctx, limit+req.Offset, set.All(), req.Score)
	if err != nil {
		return nil, fmt.Errorf("collection %q: rank: %w", c.name, err)
	}
	return c.resolve(ctx, results, req.Offset, req.ReadOptions)
}

// Vectors returns the vectors called using ("" is the unnamed one) of the
// points with these ids as the graph holds them (unit length for Cosine),
// read from memory; an id that names no point, or a point that lacks the
// vector, is an ErrNotFound error.
func (c *Collection) Vectors(ctx context.Context, using string, ids []pointid.ID) ([][]float32, error) {
	sp, err := c.space(using)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(ids))
	for i, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c.mu.RLock()
		node, ok := c.mu.ids[id]
		closed := c.mu.closed
		c.mu.RUnlock()
		if closed {
			return nil, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
		}
		if !ok {
			return nil, fmt.Errorf("%w: point %s in collection %q", ErrNotFound, id, c.name)
		}
		v, err := sp.g().Vector(node)
		if err != nil && c.graph == nil {
			// Lacks the vector, or replaced or deleted since the id map was read.
			return nil, fmt.Errorf("%w: point %s in collection %q has no vector %q", ErrNotFound, id, c.name, sp.name)
		}
		if err != nil {
			// Replaced or deleted since the id map was read.
			return nil, fmt.Errorf("%w: point %s in collection %q", ErrNotFound, id, c.name)
		}
		out[i] = v
	}
	return out, nil
}

// nodesOf returns the set of live nodes holding these ids.
func (c *Collection) nodesOf(ids []pointid.ID) bitset.Set {
	set := bitset.Set{}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, id := range ids {
		if n, ok := c.mu.ids[id]; ok && c.mu.live.Has(n) {
			set.Add(n)
		}
	}
	return set
}

// Carrying returns the ids of the points that carry the vector called
// using, in no particular order.
func (c *Collection) Carrying(using string) ([]pointid.ID, error) {
	sp, err := c.space(using)
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.mu.closed {
		return nil, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	out := make([]pointid.ID, 0, len(c.mu.ids))
	for id, node := range c.mu.ids {
		if c.memberLocked(sp, node) {
			out = append(out, id)
		}
	}
	return out, nil
}

package index

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
	"github.com/quiver-db/quiver/storage"
)

// sparseSpace is one sparse vector of a collection with its inverted
// index, whose nodes are exactly the published nodes whose point carries
// the vector (invariant 8): idx is changed, under Collection.mu, where a
// write publishes or unpublishes a node.
type sparseSpace struct {
	name string
	cfg  SparseVectorConfig
	idx  *sparse.Index
}

// openSparse builds each sparse vector's index from the store's vectors of
// the live nodes: there is no graph to save, so this is the whole load.
func (c *Collection) openSparse(ctx context.Context) error {
	for _, name := range c.cfg.SparseNames() {
		sp := &sparseSpace{name: name, cfg: c.cfg.SparseVectors[name], idx: sparse.New()}
		err := c.store.ScanSparse(ctx, sp.cfg.Space, func(node uint32, v sparse.Vector) error {
			if c.mu.live.Has(node) {
				sp.idx.Set(node, v)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("sparse vector %q: %w", name, err)
		}
		c.sparse = append(c.sparse, sp)
		c.sparseIDs = append(c.sparseIDs, sp.cfg.Space)
	}
	return nil
}

// sparseSpaceNamed returns the sparse vector called name, or an
// ErrBadRequest error naming the sparse vectors the collection has.
func (c *Collection) sparseSpaceNamed(name string) (*sparseSpace, error) {
	for _, sp := range c.sparse {
		if sp.name == name {
			return sp, nil
		}
	}
	return nil, fmt.Errorf("%w: collection %q has no sparse vector named %q (it has: %s)", ErrBadRequest, c.name, name, strings.Join(c.cfg.SparseNames(), ", "))
}

func (c *Collection) sparseOf(space uint8) *sparseSpace {
	for _, sp := range c.sparse {
		if sp.cfg.Space == space {
			return sp
		}
	}
	panic(fmt.Sprintf("index: collection %q has no sparse space %d", c.name, space))
}

// SparseVectorConfig returns the config of the sparse vector called name,
// or an ErrBadRequest error naming the sparse vectors the collection has.
func (c *Collection) SparseVectorConfig(name string) (SparseVectorConfig, error) {
	sp, err := c.sparseSpaceNamed(name)
	if err != nil {
		return SparseVectorConfig{}, err
	}
	return sp.cfg, nil
}

// SparseSearchRequest is a query by a sparse vector.
type SparseSearchRequest struct {
	// Using names the sparse vector searched.
	Using  string
	Vector sparse.Vector
	// Limit is k, the number of results; zero means 10.
	Limit int
	// Offset skips the best Offset results.
	Offset int
	// Filter restricts results to matching points; nil means all.
	Filter *filter.Filter
	ReadOptions
}

// SearchSparse returns the points whose sparse vector has the highest dot
// product with the query (its weights multiplied by idf when the vector's
// modifier says so), best first. It is exact; points sharing no term with
// the query are never results, as in Qdrant.
func (c *Collection) SearchSparse(ctx context.Context, req SparseSearchRequest) ([]ScoredPoint, error) {
	sp, err := c.sparseSpaceNamed(req.Using)
	if err != nil {
		return nil, err
	}
	if err := c.checkReadOptions(req.ReadOptions); err != nil {
		return nil, err
	}
	if err := req.Vector.Validate(); err != nil {
		return nil, fmt.Errorf("%w: query: %w", ErrBadRequest, err)
	}
	if req.Limit < 0 || req.Offset < 0 || req.Limit+req.Offset > MaxLimit {
		return nil, fmt.Errorf("%w: limit %d, offset %d: want limit+offset ≤ %d", ErrBadRequest, req.Limit, req.Offset, MaxLimit)
	}
	limit := req.Limit
	if limit == 0 {
		limit = 10
	}
	opts := sparse.SearchOptions{IDF: sp.cfg.Modifier == ModifierIDF}
	if req.Filter != nil {
		set, err := c.match(ctx, req.Filter)
		if err != nil {
			return nil, err
		}
		opts.Filter = set.Has // a plain bitset: safe under the index's lock
	}
	c.mu.RLock()
	closed := c.mu.closed
	c.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	res, err := sp.idx.Search(ctx, req.Vector, limit+req.Offset, opts)
	if err != nil {
		return nil, fmt.Errorf("collection %q: sparse search: %w", c.name, err)
	}
	results := make([]hnsw.Result, len(res))
	for i, r := range res {
		results[i] = hnsw.Result{Node: r.Node, Score: r.Score}
	}
	return c.resolve(ctx, results, req.Offset, req.ReadOptions)
}

// pointSparse checks a point's sparse vectors and returns them as the
// store takes them, in space order.
func (c *Collection) pointSparse(p Point) ([]storage.SpaceSparse, error) {
	if len(p.Sparse) == 0 {
		return nil, nil
	}
	out := make([]storage.SpaceSparse, 0, len(p.Sparse))
	for _, sp := range c.sparse {
		v, ok := p.Sparse[sp.name]
		if !ok {
			continue
		}
		if err := v.Validate(); err != nil {
			return nil, fmt.Errorf("vector %q: %w", sp.name, err)
		}
		out = append(out, storage.SpaceSparse{Space: sp.cfg.Space, Vector: v.Sorted()})
	}
	if len(out) != len(p.Sparse) {
		for name := range p.Sparse {
			if _, err := c.sparseSpaceNamed(name); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// sparseVectors returns the sparse vectors opts asks for that node
// carries, from memory.
func (c *Collection) sparseVectors(node uint32, opts ReadOptions) map[string]sparse.Vector {
	var out map[string]sparse.Vector
	for _, sp := range c.sparse {
		if opts.VectorNames != nil && !slices.Contains(opts.VectorNames, sp.name) {
			continue
		}
		if v, ok := sp.idx.Vector(node); ok {
			if out == nil {
				out = map[string]sparse.Vector{}
			}
			out[sp.name] = v
		}
	}
	return out
}

// SparseVectors returns the vectors called using of the points with these
// ids, from memory, in the order asked; a point that does not exist or
// lacks the vector is an ErrNotFound error. The slices are shared with the
// index: read them, never modify them.
func (c *Collection) SparseVectors(ctx context.Context, using string, ids []pointid.ID) ([]sparse.Vector, error) {
	sp, err := c.sparseSpaceNamed(using)
	if err != nil {
		return nil, err
	}
	out := make([]sparse.Vector, len(ids))
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.mu.closed {
		return nil, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	for i, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		node, ok := c.mu.ids[id]
		if !ok {
			return nil, fmt.Errorf("%w: point %s in collection %q", ErrNotFound, id, c.name)
		}
		v, ok := sp.idx.Vector(node) // idx changes under c.mu for writing: it agrees with ids
		if !ok {
			return nil, fmt.Errorf("%w: point %s in collection %q has no sparse vector %q", ErrNotFound, id, c.name, using)
		}
		out[i] = v
	}
	return out, nil
}

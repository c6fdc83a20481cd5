package index

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/internal/bitset"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
	"github.com/quiver-db/quiver/storage"
)

// ReadOptions say what a read returns besides ids.
type ReadOptions struct {
	// WithPayload returns the payload (an empty one for a point without).
	WithPayload bool
	// Include, when not nil, keeps only these top-level payload keys;
	// otherwise Exclude drops these.
	Include, Exclude []string
	// WithVector returns the point's vectors: the unnamed one, or every
	// named one the point carries.
	WithVector bool
	// VectorNames, when not nil, returns only these named vectors (those
	// the point carries); a name the collection lacks is an error.
	VectorNames []string
}

// selectPayload applies Include and Exclude.
func (o ReadOptions) selectPayload(p filter.Payload) filter.Payload {
	if p == nil {
		p = filter.Payload{}
	}
	switch {
	case o.Include != nil:
		out := make(filter.Payload, len(o.Include))
		for _, k := range o.Include {
			if v, ok := p[k]; ok {
				out[k] = v
			}
		}
		return out
	case len(o.Exclude) > 0:
		for _, k := range o.Exclude {
			delete(p, k) // p was decoded for this read alone
		}
	}
	return p
}

// Record is a point as reads return it. Payload, Vector and Vectors are
// nil unless asked for; vectors are as upserted (not normalised).
type Record struct {
	ID      pointid.ID
	Payload filter.Payload
	// Vector is the unnamed vector, in a collection without named vectors.
	Vector []float32
	// Vectors are the named vectors asked for that the point carries, in
	// a collection with named vectors (an empty map when it carries none).
	Vectors map[string][]float32
	// Sparse are the sparse vectors asked for that the point carries
	// (nil when it carries none of them). Their slices are shared with
	// the index: read them, never modify them.
	Sparse map[string]sparse.Vector
	// OrderValue is the value an ordered read (ScrollOrdered) ordered the
	// point by: an int64 for an integer index, a float64 for a float one;
	// nil for other reads.
	OrderValue any
}

// MaxLimit bounds the page size of Scroll and the k of Search.
const MaxLimit = 100000

// Get returns the points with these ids that exist, in the order asked.
func (c *Collection) Get(ctx context.Context, ids []pointid.ID, opts ReadOptions) ([]Record, error) {
	if err := c.checkReadOptions(opts); err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(ids))
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, ok, err := c.record(id, opts)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// record reads one point under its id's stripe lock, so the id map and
// the store agree; ok is false when the point does not exist.
func (c *Collection) record(id pointid.ID, opts ReadOptions) (Record, bool, error) {
	unlock := c.lockIDs([]pointid.ID{id})
	defer unlock()
	c.mu.RLock()
	node, ok := c.mu.ids[id]
	closed := c.mu.closed
	c.mu.RUnlock()
	if closed {
		return Record{}, false, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	if !ok {
		return Record{}, false, nil
	}
	r := Record{ID: id}
	if opts.WithPayload {
		raw, err := c.store.Payload(node)
		if err != nil {
			return Record{}, false, c.readErr(id, err)
		}
		if r.Payload, err = decodePayload(raw); err != nil {
			return Record{}, false, err
		}
		r.Payload = opts.selectPayload(r.Payload)
	}
	if c.graph != nil && (opts.WithVector || slices.Contains(opts.VectorNames, "")) {
		v, err := c.store.Vector(0, node)
		if err != nil {
			return Record{}, false, c.readErr(id, err)
		}
		r.Vector = v
	}
	if c.graph == nil && (opts.WithVector || opts.VectorNames != nil) {
		var err error
		if r.Vectors, err = c.namedVectors(node, opts); err != nil {
			return Record{}, false, c.readErr(id, err)
		}
		r.Sparse = c.sparseVectors(node, opts)
	}
	return r, true, nil
}

// readErr wraps an error reading point id's keys under its id's lock. A
// key missing there means the collection was dropped meanwhile (a drop
// closes the collection before deleting its keys): a not-found, not an
// internal error.
func (c *Collection) readErr(id pointid.ID, err error) error {
	if errors.Is(err, storage.ErrNotFound) && c.checkOpen() != nil {
		return fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	return fmt.Errorf("collection %q: point %s: %w", c.name, id, err)
}

// namedVectors reads the named vectors opts asks for that node carries.
func (c *Collection) namedVectors(node uint32, opts ReadOptions) (map[string][]float32, error) {
	out := map[string][]float32{}
	for _, sp := range c.spaces {
		if opts.VectorNames != nil && !slices.Contains(opts.VectorNames, sp.name) {
			continue
		}
		v, err := c.store.Vector(sp.space, node)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[sp.name] = v
	}
	return out, nil
}

// checkReadOptions rejects vector names the collection lacks.
func (c *Collection) checkReadOptions(opts ReadOptions) error {
	for _, name := range opts.VectorNames {
		if _, err := c.space(name); err != nil {
			if _, serr := c.sparseSpaceNamed(name); serr == nil {
				continue
			}
			return err
		}
	}
	return nil
}

// ScrollRequest asks for one page of points in id order.
type ScrollRequest struct {
	// Filter selects points; nil selects all.
	Filter *filter.Filter
	// Offset is the first id of the page (a previous page's Next); nil
	// starts at the smallest id.
	Offset *pointid.ID
	// Limit is the page size; zero means 10.
	Limit int
	ReadOptions
}

// ScrollPage is a page of points and the id the next page starts at (nil
// after the last page).
type ScrollPage struct {
	Points []Record
	Next   *pointid.ID
}

// Scroll returns a page of points ordered by id. Paging with Next visits
// every point that exists for the whole scroll exactly once, whatever
// writes happen meanwhile; points written during the scroll may or may
// not appear.
func (c *Collection) Scroll(ctx context.Context, req ScrollRequest) (ScrollPage, error) {
	if req.Limit < 0 || req.Limit > MaxLimit {
		return ScrollPage{}, fmt.Errorf("%w: scroll limit %d, want 0..%d", ErrBadRequest, req.Limit, MaxLimit)
	}
	limit := req.Limit
	if limit == 0 {
		limit = 10
	}
	var set bitset.Set
	if req.Filter != nil {
		var err error
		if set, err = c.match(ctx, req.Filter); err != nil {
			return ScrollPage{}, err
		}
	}
	from := pointid.FromNum(0)
	if req.Offset != nil {
		from = *req.Offset
	}
	if req.Filter != nil && c.sparseMatch(set) {
		return c.scrollSet(ctx, set, from, limit, req.ReadOptions)
	}
	var page ScrollPage
	var ids []pointid.ID
	err := c.store.ScanIDs(ctx, from, func(id pointid.ID, node uint32) (bool, error) {
		if req.Filter != nil && !set.Has(node) {
			return true, nil
		}
		if len(ids) == limit {
			page.Next = &id
			return false, nil
		}
		ids = append(ids, id)
		return true, nil
	})
	if err != nil {
		return ScrollPage{}, fmt.Errorf("collection %q: scroll: %w", c.name, err)
	}
	page.Points, err = c.Get(ctx, ids, req.ReadOptions)
	return page, err
}

// sparseMatch reports whether a filter's matches are few enough, against
// the collection's points, that sorting their ids beats walking every id
// key in the store.
func (c *Collection) sparseMatch(set bitset.Set) bool {
	c.mu.RLock()
	points := len(c.mu.ids)
	c.mu.RUnlock()
	return set.Count()*8 < points
}

// scrollSet is Scroll over a small matching set: its ids sorted in memory
// instead of a walk over the store's id keys.
func (c *Collection) scrollSet(ctx context.Context, set bitset.Set, from pointid.ID, limit int, opts ReadOptions) (ScrollPage, error) {
	ids := c.idsOf(set)
	slices.SortFunc(ids, pointid.ID.Compare)
	start, _ := slices.BinarySearchFunc(ids, from, pointid.ID.Compare)
	ids = ids[start:]
	var page ScrollPage
	if len(ids) > limit {
		next := ids[limit]
		page.Next, ids = &next, ids[:limit]
	}
	var err error
	page.Points, err = c.Get(ctx, ids, opts)
	return page, err
}

// Count returns the number of points matching f (nil: all points).
func (c *Collection) Count(ctx context.Context, f *filter.Filter) (int, error) {
	if f == nil {
		c.mu.RLock()
		defer c.mu.RUnlock()
		if c.mu.closed {
			return 0, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
		}
		return len(c.mu.ids), nil
	}
	set, err := c.match(ctx, f)
	if err != nil {
		return 0, err
	}
	return set.Count(), nil
}

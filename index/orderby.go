package index

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/internal/bitset"
	"github.com/quiver-db/quiver/pointid"
)

// OrderedScrollRequest asks for the points with the smallest (or largest)
// values of a numerically indexed payload key, as Qdrant's order_by does.
type OrderedScrollRequest struct {
	// Key is the payload key; it must have an integer or float index.
	Key string
	// Desc orders largest first; otherwise smallest first.
	Desc bool
	// StartFrom, when set, is the first value included: values ≥ it when
	// ascending, ≤ it when descending.
	StartFrom *float64
	// Filter selects points; nil selects all.
	Filter *filter.Filter
	// Limit is the number of points; zero means 10.
	Limit int
	ReadOptions
}

// ScrollOrdered returns points ordered by the values of req.Key, each
// point once, at its first value in that order, with that value in
// OrderValue; points without a value of the key are left out. It walks
// the key's index from the start value and stops after Limit points, so
// it never sorts the matching points. Ties are in node order.
func (c *Collection) ScrollOrdered(ctx context.Context, req OrderedScrollRequest) ([]Record, error) {
	if req.Limit < 0 || req.Limit > MaxLimit {
		return nil, fmt.Errorf("%w: limit %d, want 0..%d", ErrBadRequest, req.Limit, MaxLimit)
	}
	if req.StartFrom != nil && (math.IsNaN(*req.StartFrom) || math.IsInf(*req.StartFrom, 0)) {
		return nil, fmt.Errorf("%w: order_by.start_from: want a finite number", ErrBadRequest)
	}
	typ, err := c.rangeIndex(req.Key)
	if err != nil {
		return nil, err
	}
	if err := c.checkReadOptions(req.ReadOptions); err != nil {
		return nil, err
	}
	limit := req.Limit
	if limit == 0 {
		limit = 10
	}
	set, err := c.match(ctx, req.Filter)
	if err != nil {
		return nil, err
	}
	type hit struct {
		node uint32
		v    float64
	}
	var hits []hit
	seen := bitset.Set{}
	c.post.ordered(req.Key, req.StartFrom, req.Desc, func(node uint32, v float64) bool {
		if set.Has(node) && !seen.Has(node) {
			seen.Add(node)
			hits = append(hits, hit{node, v})
		}
		return len(hits) < limit
	})
	ids := make([]pointid.ID, 0, len(hits))
	values := make(map[pointid.ID]float64, len(hits))
	c.mu.RLock()
	for _, h := range hits {
		if c.mu.live.Has(h.node) {
			id := c.mu.nodes[h.node]
			ids = append(ids, id)
			values[id] = h.v
		}
	}
	c.mu.RUnlock()
	recs, err := c.Get(ctx, ids, req.ReadOptions)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		recs[i].OrderValue = orderValue(typ, values[recs[i].ID])
	}
	return recs, nil
}

// rangeIndex returns the type of key's payload index, which must be one
// that orders values (integer or float).
func (c *Collection) rangeIndex(key string) (FieldType, error) {
	c.mu.RLock()
	typ, ok := c.mu.indexes[key]
	closed := c.mu.closed
	c.mu.RUnlock()
	if closed {
		return "", fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	if !ok || typ != Integer && typ != Float {
		return "", fmt.Errorf("%w: order_by.key %q: ordering needs an integer or float payload index on the key (collection %q has %s)",
			ErrBadRequest, key, c.name, describeIndex(typ, ok))
	}
	return typ, nil
}

func describeIndex(typ FieldType, ok bool) string {
	if !ok {
		return "no index on it"
	}
	return fmt.Sprintf("a %s index on it", typ)
}

// orderValue is v as an integer index's values read (int64), or as it is.
func orderValue(typ FieldType, v float64) any {
	if typ == Integer && v == math.Trunc(v) && math.Abs(v) < 1<<63 {
		return int64(v)
	}
	return v
}

// ordered calls fn with field's (node, value) entries in value order from
// start (nil: the first value in that order), until fn returns false.
func (p *postings) ordered(field string, start *float64, desc bool, fn func(node uint32, v float64) bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if sp := p.numbers[field]; sp != nil {
		sp.ordered(start, desc, fn)
	}
}

// ordered walks the sorted entries from start and merges in the entries
// added since the last merge, which are sorted here (they are at most an
// eighth of the entries, or minMerge).
func (sp *sortedPostings[V]) ordered(start *V, desc bool, fn func(node uint32, v V) bool) {
	less := func(a, b entry[V]) int {
		c := cmp.Compare(a.v, b.v)
		if c == 0 {
			c = cmp.Compare(a.node, b.node)
		}
		if desc {
			return -c
		}
		return c
	}
	inRange := func(v V) bool {
		return start == nil || (!desc && v >= *start) || (desc && v <= *start)
	}
	var added []entry[V]
	for node, vs := range sp.added {
		for _, v := range vs {
			if inRange(v) {
				added = append(added, entry[V]{v, node})
			}
		}
	}
	slices.SortFunc(added, less)
	// i walks sorted in the direction asked, from the first entry in range.
	i, step := 0, 1
	if desc {
		i, step = len(sp.sorted)-1, -1
		if start != nil {
			j, _ := slices.BinarySearchFunc(sp.sorted, *start, func(e entry[V], s V) int {
				if e.v <= s {
					return -1
				}
				return 1
			})
			i = j - 1
		}
	} else if start != nil {
		i, _ = slices.BinarySearchFunc(sp.sorted, *start, func(e entry[V], s V) int {
			if e.v < s {
				return -1
			}
			return 1
		})
	}
	a := 0
	for {
		for i >= 0 && i < len(sp.sorted) && sp.removed.Has(sp.sorted[i].node) {
			i += step
		}
		haveSorted := i >= 0 && i < len(sp.sorted)
		if !haveSorted && a == len(added) {
			return
		}
		var e entry[V]
		if haveSorted && (a == len(added) || less(sp.sorted[i], added[a]) <= 0) {
			e = sp.sorted[i]
			i += step
		} else {
			e = added[a]
			a++
		}
		if !fn(e.node, e.v) {
			return
		}
	}
}

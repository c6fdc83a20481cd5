package index

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/internal/bitset"
)

// FacetRequest asks how many points hold each value of a payload key, as
// Qdrant's facet does.
type FacetRequest struct {
	// Key is the payload key; it must have a keyword or integer index.
	Key string
	// Filter counts only matching points; nil counts all.
	Filter *filter.Filter
	// Limit is the number of values; zero means 10.
	Limit int
}

// FacetHit is one value and the number of points holding it. Value is a
// string for a keyword index, an int64 for an integer index (a float64
// for a stored value that is not whole).
type FacetHit struct {
	Value any
	Count int
}

// Facet returns the Limit values of req.Key held by the most matching
// points, most first, ties by value. Counts come from the key's index and
// are exact: a point counts once per distinct value it holds. Keywords
// longer than the index keeps (storage.MaxTermLen bytes) count under
// their first MaxTermLen bytes.
func (c *Collection) Facet(ctx context.Context, req FacetRequest) ([]FacetHit, error) {
	if req.Limit < 0 || req.Limit > MaxLimit {
		return nil, fmt.Errorf("%w: limit %d, want 1..%d", ErrBadRequest, req.Limit, MaxLimit)
	}
	limit := req.Limit
	if limit == 0 {
		limit = 10
	}
	c.mu.RLock()
	typ, ok := c.mu.indexes[req.Key]
	closed := c.mu.closed
	c.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	if !ok || typ != Keyword && typ != Integer {
		return nil, fmt.Errorf("%w: key %q: facets need a keyword or integer payload index on the key (collection %q has %s)",
			ErrBadRequest, req.Key, c.name, describeIndex(typ, ok))
	}
	set, err := c.match(ctx, req.Filter)
	if err != nil {
		return nil, err
	}
	var hits []FacetHit
	if typ == Keyword {
		hits = facetCounts(c.post, c.post.keywords, req.Key, set, func(s string) any { return s })
		slices.SortFunc(hits, byCount(func(a, b any) int { return cmp.Compare(a.(string), b.(string)) }))
	} else {
		hits = facetCounts(c.post, c.post.numbers, req.Key, set, func(v float64) any { return orderValue(Integer, v) })
		slices.SortFunc(hits, byCount(func(a, b any) int { return cmp.Compare(asFloat(a), asFloat(b)) }))
	}
	return hits[:min(limit, len(hits))], ctx.Err()
}

// facetCounts counts the entries of one field whose node is in set, per
// value, under the postings' read lock.
func facetCounts[V cmp.Ordered](p *postings, m map[string]*sortedPostings[V], key string, set bitset.Set, out func(V) any) []FacetHit {
	p.mu.RLock()
	defer p.mu.RUnlock()
	sp := m[key]
	if sp == nil {
		return []FacetHit{}
	}
	counts := map[V]int{}
	for _, e := range sp.sorted {
		if set.Has(e.node) && !sp.removed.Has(e.node) {
			counts[e.v]++
		}
	}
	for node, vs := range sp.added {
		if set.Has(node) {
			for _, v := range vs {
				counts[v]++
			}
		}
	}
	hits := make([]FacetHit, 0, len(counts))
	for v, n := range counts {
		hits = append(hits, FacetHit{Value: out(v), Count: n})
	}
	return hits
}

// byCount orders hits most frequent first, ties by value.
func byCount(byValue func(a, b any) int) func(a, b FacetHit) int {
	return func(a, b FacetHit) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return byValue(a.Value, b.Value)
	}
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

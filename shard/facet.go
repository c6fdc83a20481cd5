package shard

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
)

// methodFacet is the RPC's facet call.
const methodFacet = "facet"

// Facet asks every shard for the counts of all the key's values (up to
// index.MaxLimit of them each) and sums them: a value's count is exact,
// and so is the order, while no shard holds more distinct values than
// that; past it the rarest values of a shard go uncounted there. Then the
// Limit values held by most points, ties by value, as one collection
// answers.
func (r *Router) Facet(ctx context.Context, req index.FacetRequest) ([]index.FacetHit, error) {
	if req.Limit < 0 || req.Limit > index.MaxLimit {
		return nil, fmt.Errorf("%w: limit %d, want 1..%d", index.ErrBadRequest, req.Limit, index.MaxLimit)
	}
	limit := cmp.Or(req.Limit, 10)
	all := req
	all.Limit = index.MaxLimit
	parts, err := scatter(ctx, r, r.all(), func(ctx context.Context, i int) ([]index.FacetHit, error) {
		return r.shards[i].Facet(ctx, all)
	})
	if err != nil {
		return nil, err
	}
	type value struct {
		kind byte // 's' string, 'i' int64, 'f' float64
		s    string
		n    float64
		i    int64
	}
	keyOf := func(v any) (value, error) {
		switch x := v.(type) {
		case string:
			return value{kind: 's', s: x}, nil
		case int64:
			return value{kind: 'i', i: x, n: float64(x)}, nil
		case float64:
			return value{kind: 'f', n: x}, nil
		}
		return value{}, fmt.Errorf("shard router %q: facet value %v of type %T", r.name, v, v)
	}
	hits := map[value]*index.FacetHit{}
	for _, part := range parts {
		for _, h := range part {
			k, err := keyOf(h.Value)
			if err != nil {
				return nil, err
			}
			if sum, ok := hits[k]; ok {
				sum.Count += h.Count
			} else {
				hits[k] = &index.FacetHit{Value: h.Value, Count: h.Count}
			}
		}
	}
	keys := make([]value, 0, len(hits))
	for k := range hits {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b value) int {
		if c := cmp.Compare(hits[b].Count, hits[a].Count); c != 0 {
			return c
		}
		if a.kind == 's' || b.kind == 's' {
			return cmp.Compare(a.s, b.s)
		}
		return cmp.Compare(a.n, b.n)
	})
	out := make([]index.FacetHit, 0, min(limit, len(keys)))
	for _, k := range keys[:min(limit, len(keys))] {
		out = append(out, *hits[k])
	}
	return out, nil
}

// facetWire is a facet call's request.
type facetWire struct {
	Key    string          `json:"key"`
	Filter json.RawMessage `json:"filter,omitempty"`
	Limit  int             `json:"limit"`
}

// facetHitWire is one value and its count: exactly one of S (keyword),
// I (whole integer) and F (another number) is set.
type facetHitWire struct {
	S     *string  `json:"s,omitempty"`
	I     *int64   `json:"i,omitempty"`
	F     *float64 `json:"f,omitempty"`
	Count int      `json:"n"`
}

// Facet implements Shard.
func (c *Client) Facet(ctx context.Context, req index.FacetRequest) ([]index.FacetHit, error) {
	out, err := callFiltered[[]facetHitWire](ctx, c, methodFacet, req.Filter, func(f json.RawMessage) any {
		return facetWire{Key: req.Key, Filter: f, Limit: req.Limit}
	})
	if err != nil {
		return nil, err
	}
	hits := make([]index.FacetHit, len(out))
	for i, h := range out {
		switch {
		case h.S != nil && h.I == nil && h.F == nil:
			hits[i].Value = *h.S
		case h.I != nil && h.S == nil && h.F == nil:
			hits[i].Value = *h.I
		case h.F != nil && h.S == nil && h.I == nil:
			hits[i].Value = *h.F
		default:
			return nil, fmt.Errorf("%w: shard %s: facet answer %d: want one of s, i and f", ErrUnavailable, c.name, i)
		}
		hits[i].Count = h.Count
	}
	return hits, nil
}

// serveFacet runs a facet call on s.
func serveFacet(ctx context.Context, s Shard, body []byte) (any, error) {
	var in facetWire
	var f *filter.Filter
	if err := decodeWithFilter(body, &in, &in.Filter, &f); err != nil {
		return nil, err
	}
	hits, err := s.Facet(ctx, index.FacetRequest{Key: in.Key, Filter: f, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	out := make([]facetHitWire, len(hits))
	for i, h := range hits {
		out[i].Count = h.Count
		switch v := h.Value.(type) {
		case string:
			out[i].S = &v
		case int64:
			out[i].I = &v
		case float64:
			out[i].F = &v
		default:
			return nil, fmt.Errorf("facet value %v of type %T", h.Value, h.Value)
		}
	}
	return out, nil
}

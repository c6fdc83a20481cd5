package shard

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

// Vectors returns the vectors called using of the points with these ids,
// in the order asked, each from its point's shard; an id that names no
// point is an index.ErrNotFound error, as in the index.
func (r *Router) Vectors(ctx context.Context, using string, ids []pointid.ID) ([][]float32, error) {
	if _, err := r.VectorConfig(using); err != nil {
		return nil, err
	}
	return byID(ctx, r, ids, func(ctx context.Context, s Shard, ids []pointid.ID) ([][]float32, error) {
		return s.Vectors(ctx, using, ids)
	})
}

// SparseVectors is Vectors for sparse vectors.
func (r *Router) SparseVectors(ctx context.Context, using string, ids []pointid.ID) ([]sparse.Vector, error) {
	if _, err := r.SparseVectorConfig(using); err != nil {
		return nil, err
	}
	return byID(ctx, r, ids, func(ctx context.Context, s Shard, ids []pointid.ID) ([]sparse.Vector, error) {
		return s.SparseVectors(ctx, using, ids)
	})
}

// byID asks each shard for the values of its ids, one value per id in
// the order asked, and puts them back in ids' order.
func byID[T any](ctx context.Context, r *Router, ids []pointid.ID, get func(context.Context, Shard, []pointid.ID) ([]T, error)) ([]T, error) {
	out := make([]T, len(ids))
	byShard, at, which := r.route(ids)
	if len(which) == 0 {
		return out, nil
	}
	got, err := scatter(ctx, r, which, func(ctx context.Context, i int) ([]T, error) {
		vs, err := get(ctx, r.shards[i], byShard[i])
		if err == nil && len(vs) != len(byShard[i]) {
			err = fmt.Errorf("%d values for %d ids", len(vs), len(byShard[i]))
		}
		return vs, err
	})
	if err != nil {
		return nil, err
	}
	for _, i := range which {
		for k, j := range at[i] {
			out[j] = got[i][k]
		}
	}
	return out, nil
}

// Get returns the points with these ids that exist, in the order asked.
func (r *Router) Get(ctx context.Context, ids []pointid.ID, opts index.ReadOptions) ([]index.Record, error) {
	byShard, _, which := r.route(ids)
	if len(which) == 0 {
		return r.shards[0].Get(ctx, nil, opts) // checks opts as the index does
	}
	got, err := scatter(ctx, r, which, func(ctx context.Context, i int) ([]index.Record, error) {
		return r.shards[i].Get(ctx, byShard[i], opts)
	})
	if err != nil {
		return nil, err
	}
	found := make(map[pointid.ID]index.Record, len(ids))
	for _, recs := range got {
		for _, rec := range recs {
			found[rec.ID] = rec
		}
	}
	out := make([]index.Record, 0, len(found))
	for _, id := range ids {
		if rec, ok := found[id]; ok {
			out = append(out, rec)
		}
	}
	return out, nil
}

// Scroll returns a page of points in id order: every shard's page from
// the same cursor, merged by id. The next page starts at the smallest id
// not returned, the first left over or a shard's own next.
func (r *Router) Scroll(ctx context.Context, req index.ScrollRequest) (index.ScrollPage, error) {
	if req.Limit < 0 || req.Limit > index.MaxLimit {
		return index.ScrollPage{}, fmt.Errorf("%w: scroll limit %d, want 0..%d", index.ErrBadRequest, req.Limit, index.MaxLimit)
	}
	limit := req.Limit
	if limit == 0 {
		limit = 10
	}
	plan := r.planRead(r.all(), limit, req.ReadOptions)
	pages, err := scatter(ctx, r, r.all(), func(ctx context.Context, i int) (index.ScrollPage, error) {
		sub := req
		sub.Limit, sub.ReadOptions = limit, plan.shardOpts(i)
		return r.shards[i].Scroll(ctx, sub)
	})
	if err != nil {
		return index.ScrollPage{}, err
	}
	var all []index.Record
	var next *pointid.ID
	lists := make([][]index.Record, len(pages))
	for i, p := range pages {
		lists[i] = p.Points
		all = append(all, p.Points...)
		if p.Next != nil && (next == nil || p.Next.Compare(*next) < 0) {
			next = p.Next
		}
	}
	bare := bareIDs(plan, lists, recordID)
	slices.SortFunc(all, func(a, b index.Record) int { return a.ID.Compare(b.ID) })
	all = dedupe(all, func(rec index.Record) pointid.ID { return rec.ID })
	if len(all) > limit {
		if id := all[limit].ID; next == nil || id.Compare(*next) < 0 {
			next = &id
		}
		all = all[:limit]
	}
	if all == nil {
		all = []index.Record{}
	}
	if all, err = complete(ctx, plan, r.Get, all, bare, self); err != nil {
		return index.ScrollPage{}, err
	}
	return index.ScrollPage{Points: all, Next: next}, nil
}

// ScrollOrdered returns points ordered by a payload key's values, in the
// direction asked, ties by id: each shard's first limit, merged.
func (r *Router) ScrollOrdered(ctx context.Context, req index.OrderedScrollRequest) ([]index.Record, error) {
	if req.Limit < 0 || req.Limit > index.MaxLimit {
		return nil, fmt.Errorf("%w: limit %d, want 0..%d", index.ErrBadRequest, req.Limit, index.MaxLimit)
	}
	limit := req.Limit
	if limit == 0 {
		limit = 10
	}
	plan := r.planRead(r.all(), limit, req.ReadOptions)
	lists, err := scatter(ctx, r, r.all(), func(ctx context.Context, i int) ([]index.Record, error) {
		sub := req
		sub.ReadOptions = plan.shardOpts(i)
		return r.shards[i].ScrollOrdered(ctx, sub)
	})
	if err != nil {
		return nil, err
	}
	bare := bareIDs(plan, lists, recordID)
	all := []index.Record{}
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortFunc(all, func(a, b index.Record) int {
		c := compareOrder(a.OrderValue, b.OrderValue)
		if req.Desc {
			c = -c
		}
		if c == 0 {
			c = a.ID.Compare(b.ID)
		}
		return c
	})
	all = dedupe(all, func(rec index.Record) pointid.ID { return rec.ID })
	all = all[:min(limit, len(all))]
	return complete(ctx, plan, r.Get, all, bare, self)
}

func self(r *index.Record) *index.Record { return r }
func recordID(r index.Record) pointid.ID { return r.ID }

// compareOrder compares order values (int64 or float64), exactly when
// both are integers.
func compareOrder(a, b any) int {
	ai, aInt := a.(int64)
	bi, bInt := b.(int64)
	if aInt && bInt {
		return cmp.Compare(ai, bi)
	}
	return cmp.Compare(orderFloat(a), orderFloat(b))
}

func orderFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// Count returns the number of points matching f (nil: all), summed over
// the shards.
func (r *Router) Count(ctx context.Context, f *filter.Filter) (int, error) {
	counts, err := scatter(ctx, r, r.all(), func(ctx context.Context, i int) (int, error) {
		return r.shards[i].Count(ctx, f)
	})
	if err != nil {
		return 0, err
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	return total, nil
}

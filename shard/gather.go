package shard

import (
	"cmp"
	"context"
	"slices"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// Search returns the points nearest to the query, best first: each shard
// is asked for its best offset+limit, and the merge keeps the best of all.
func (r *Router) Search(ctx context.Context, req index.SearchRequest) ([]index.ScoredPoint, error) {
	higher, err := r.higherIsBetter(req.Using)
	if err != nil {
		return nil, err
	}
	return r.gather(ctx, r.all(), req.Limit, req.Offset, higher, req.ReadOptions, func(ctx context.Context, i, k int, opts index.ReadOptions) ([]index.ScoredPoint, error) {
		sub := req
		sub.Limit, sub.Offset, sub.ReadOptions = k, 0, opts
		return r.shards[i].Search(ctx, sub)
	})
}

// SearchSparse is Search by a sparse vector (higher is better).
func (r *Router) SearchSparse(ctx context.Context, req index.SparseSearchRequest) ([]index.ScoredPoint, error) {
	if _, err := r.SparseVectorConfig(req.Using); err != nil {
		return nil, err
	}
	return r.gather(ctx, r.all(), req.Limit, req.Offset, true, req.ReadOptions, func(ctx context.Context, i, k int, opts index.ReadOptions) ([]index.ScoredPoint, error) {
		sub := req
		sub.Limit, sub.Offset, sub.ReadOptions = k, 0, opts
		return r.shards[i].SearchSparse(ctx, sub)
	})
}

// Rank returns the best-scoring candidates of every shard, best first.
// req.Among is split by shard, so each shard ranks only its own; Score is
// called by the shards at once (index.RankRequest allows it).
func (r *Router) Rank(ctx context.Context, req index.RankRequest) ([]index.ScoredPoint, error) {
	if req.Score == nil {
		return nil, errNoScore
	}
	if _, err := r.VectorConfig(req.Using); err != nil {
		return nil, err
	}
	which := r.all()
	var among [][]pointid.ID
	if req.Among != nil {
		among, _, which = r.route(req.Among)
	}
	return r.gather(ctx, which, req.Limit, req.Offset, true, req.ReadOptions, func(ctx context.Context, i, k int, opts index.ReadOptions) ([]index.ScoredPoint, error) {
		sub := req
		sub.Limit, sub.Offset, sub.ReadOptions = k, 0, opts
		if among != nil {
			sub.Among = among[i]
		}
		return r.shards[i].Rank(ctx, sub)
	})
}

// gather checks limit and offset, asks each shard of which for its best
// k = limit+offset and merges the lists in the direction higher says.
// The records are read as planRead says.
func (r *Router) gather(ctx context.Context, which []int, limit, offset int, higher bool, opts index.ReadOptions,
	ask func(ctx context.Context, i, k int, opts index.ReadOptions) ([]index.ScoredPoint, error)) ([]index.ScoredPoint, error) {
	limit, err := checkWindow(limit, offset)
	if err != nil {
		return nil, err
	}
	if len(which) == 0 {
		return []index.ScoredPoint{}, nil
	}
	plan := r.planRead(which, limit+offset, opts)
	lists, err := scatter(ctx, r, which, func(ctx context.Context, i int) ([]index.ScoredPoint, error) {
		return ask(ctx, i, limit+offset, plan.shardOpts(i))
	})
	if err != nil {
		return nil, err
	}
	bare := bareIDs(plan, lists, scoredID)
	out := mergeScored(lists, higher, offset, limit)
	return complete(ctx, plan, r.Get, out, bare, scoredRecord)
}

func scoredID(p index.ScoredPoint) pointid.ID         { return p.ID }
func scoredRecord(p *index.ScoredPoint) *index.Record { return &p.Record }

// wantsRecords reports whether opts asks for more than ids.
func wantsRecords(opts index.ReadOptions) bool {
	return opts.WithPayload || opts.WithVector || opts.VectorNames != nil
}

// withRecords reads the points' payloads and vectors as opts asks, with
// get, dropping those deleted since they were scored. It calls get even
// for no points, so that opts are checked as a read would check them.
func withRecords(ctx context.Context, get getFunc, ps []index.ScoredPoint, opts index.ReadOptions) ([]index.ScoredPoint, error) {
	return fill(ctx, get, ps, opts, scoredRecord, nil)
}

type getFunc func(context.Context, []pointid.ID, index.ReadOptions) ([]index.Record, error)

// fill replaces the record of each item (rec returns it) whose id need
// says (nil: every item) by the point as get reads it with opts, keeping
// its OrderValue, and drops the items whose point get does not find. With
// need, it calls get only for some item.
func fill[T any](ctx context.Context, get getFunc, items []T, opts index.ReadOptions, rec func(*T) *index.Record, need func(pointid.ID) bool) ([]T, error) {
	var ids []pointid.ID
	for i := range items {
		if id := rec(&items[i]).ID; need == nil || need(id) {
			ids = append(ids, id)
		}
	}
	if need != nil && len(ids) == 0 {
		return items, nil
	}
	recs, err := get(ctx, ids, opts)
	if err != nil {
		return nil, err
	}
	found := make(map[pointid.ID]index.Record, len(recs))
	for _, r := range recs {
		found[r.ID] = r
	}
	out := items[:0]
	for _, it := range items {
		r := rec(&it)
		if need != nil && !need(r.ID) {
			out = append(out, it)
			continue
		}
		if full, ok := found[r.ID]; ok {
			full.OrderValue = r.OrderValue
			*r = full
			out = append(out, it)
		}
	}
	return out, nil
}

// mergeScored merges the shards' lists, each best first, into one best
// first (ties by id), a point once, and cuts offset and limit.
func mergeScored(lists [][]index.ScoredPoint, higher bool, offset, limit int) []index.ScoredPoint {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	all := make([]index.ScoredPoint, 0, n)
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortFunc(all, func(a, b index.ScoredPoint) int {
		c := cmp.Compare(a.Score, b.Score)
		if higher {
			c = -c
		}
		if c == 0 {
			c = a.ID.Compare(b.ID)
		}
		return c
	})
	all = dedupe(all, func(p index.ScoredPoint) pointid.ID { return p.ID })
	all = all[min(offset, len(all)):]
	return all[:min(limit, len(all))]
}

// dedupe drops the later entries of an id seen before: a point caught
// in two shards at once (while it moves) is answered once.
func dedupe[T any](list []T, id func(T) pointid.ID) []T {
	seen := make(map[pointid.ID]bool, len(list))
	out := list[:0]
	for _, x := range list {
		if !seen[id(x)] {
			seen[id(x)] = true
			out = append(out, x)
		}
	}
	return out
}

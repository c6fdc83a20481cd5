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

// inlineRecords is the largest k = limit+offset for which a read of
// several shards asks each for its best k with their payloads and
// vectors at once: for small k a second call by id (a round trip per
// remote shard) costs more than reading k·(shards−1) records that the
// merge drops.
const inlineRecords = 16

// byIDAfter reports whether a read of k points from each of n shards,
// with opts, should ask the shards for ids alone and read the points kept
// by id after the merge (fill), rather than ask for the records at once.
func byIDAfter(n, k int, opts index.ReadOptions) bool {
	return n > 1 && k > inlineRecords && wantsRecords(opts)
}

// gather checks limit and offset, asks each shard of which for its best
// k = limit+offset and merges the lists in the direction higher says.
// With more than one shard asked and k above inlineRecords, the shards
// answer ids and scores alone and only the points kept are read with
// opts, by id: the shards would read k points each, payloads and vectors
// most of the cost, to keep k.
func (r *Router) gather(ctx context.Context, which []int, limit, offset int, higher bool, opts index.ReadOptions,
	ask func(ctx context.Context, i, k int, opts index.ReadOptions) ([]index.ScoredPoint, error)) ([]index.ScoredPoint, error) {
	limit, err := checkWindow(limit, offset)
	if err != nil {
		return nil, err
	}
	if len(which) == 0 {
		return []index.ScoredPoint{}, nil
	}
	bare := byIDAfter(len(which), limit+offset, opts)
	shardOpts := opts
	if bare {
		shardOpts = index.ReadOptions{}
	}
	lists, err := scatter(ctx, r, which, func(ctx context.Context, i int) ([]index.ScoredPoint, error) {
		return ask(ctx, i, limit+offset, shardOpts)
	})
	if err != nil {
		return nil, err
	}
	out := mergeScored(lists, higher, offset, limit)
	if bare {
		return withRecords(ctx, r.Get, out, opts)
	}
	return out, nil
}

// wantsRecords reports whether opts asks for more than ids.
func wantsRecords(opts index.ReadOptions) bool {
	return opts.WithPayload || opts.WithVector || opts.VectorNames != nil
}

// withRecords reads the points' payloads and vectors as opts asks, with
// get, dropping those deleted since they were scored. It calls get even
// for no points, so that opts are checked as a read would check them.
func withRecords(ctx context.Context, get getFunc, ps []index.ScoredPoint, opts index.ReadOptions) ([]index.ScoredPoint, error) {
	return fill(ctx, get, ps, opts, func(p *index.ScoredPoint) *index.Record { return &p.Record })
}

type getFunc func(context.Context, []pointid.ID, index.ReadOptions) ([]index.Record, error)

// fill replaces the record of each item (rec returns it) by the point as
// get reads it with opts, keeping its OrderValue, and drops the items
// whose point get does not find.
func fill[T any](ctx context.Context, get getFunc, items []T, opts index.ReadOptions, rec func(*T) *index.Record) ([]T, error) {
	ids := make([]pointid.ID, len(items))
	for i := range items {
		ids[i] = rec(&items[i]).ID
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

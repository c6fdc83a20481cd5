package query

import (
	"context"
	"fmt"
	"strings"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// Prefetch, as Qdrant's: a request's Prefetch are requests run first, on
// the same collection, each with its own query, vector, filter, limit and
// threshold and perhaps prefetches of its own. The request's query then
// works on what they found: a Fusion combines their lists, another query
// re-scores the union of their points exactly (a dense re-rank of sparse
// candidates), and no query passes a single prefetch's list on. The
// request's filter applies to its prefetches too (with theirs), and its
// offset, limit, threshold and read options to the final list.

// MaxPrefetchDepth bounds how deep prefetches nest.
const MaxPrefetchDepth = 8

// checkPrefetch checks req's prefetches, depth levels below the top; total
// counts the candidates of the whole tree, which the engine's MaxLimit
// bounds.
func (e *Engine) checkPrefetch(req *Request, depth int, total *int) error {
	if len(req.Prefetch) == 0 {
		return nil
	}
	if depth == MaxPrefetchDepth {
		return badRequest("prefetch: nested deeper than %d levels", MaxPrefetchDepth)
	}
	switch req.Query.(type) {
	case *ForUser:
		return badRequest("prefetch: not supported with a recommendation for a user")
	case nil:
		if len(req.Prefetch) > 1 {
			return badRequest("query: required with more than one prefetch (a fusion or a query to re-score by)")
		}
	}
	for i := range req.Prefetch {
		p := &req.Prefetch[i]
		if p.Offset != 0 {
			return badRequest("prefetch[%d].offset: prefetches take no offset", i)
		}
		*total += limitOf(p)
		if *total > e.cfg.MaxLimit {
			return badRequest("prefetch: %d candidates in all, want at most %d (the sum of every prefetch's limit)", *total, e.cfg.MaxLimit)
		}
		if err := e.check(p, depth+1, total); err != nil {
			return inPrefetch(i, err)
		}
	}
	return nil
}

// prefetchError is an error of prefetch i. A bad request's message names
// the field by its path, "prefetch[0].query: ...", as the API's own
// decoding errors do; other errors get the path as context.
type prefetchError struct {
	i   int
	err error
}

func inPrefetch(i int, err error) error { return &prefetchError{i: i, err: err} }

func (e *prefetchError) Error() string {
	msg := e.err.Error()
	if rest, ok := strings.CutPrefix(msg, index.ErrBadRequest.Error()+": "); ok {
		return fmt.Sprintf("%v: prefetch[%d].%s", index.ErrBadRequest, e.i, rest)
	}
	return fmt.Sprintf("prefetch[%d]: %s", e.i, msg)
}

func (e *prefetchError) Unwrap() error { return e.err }

// walk calls fn on req and every prefetch below it, naming each by its path
// (", prefetch[0].prefetch[1]"); errors carry the path.
func walk(req *Request, path string, fn func(r *Request, path string) error) error {
	if err := fn(req, path); err != nil {
		return err
	}
	for i := range req.Prefetch {
		sub := fmt.Sprintf("prefetch[%d]", i)
		if path == "" {
			sub = ", " + sub
		} else {
			sub = path + "." + sub
		}
		if err := walk(&req.Prefetch[i], sub, fn); err != nil {
			if path == "" {
				return inPrefetch(i, err)
			}
			return err
		}
	}
	return nil
}

// exec answers a resolved request, its prefetches first; higher reports
// whether the list's higher scores are better.
func (e *Engine) exec(ctx context.Context, c Collection, req *Request) (res []index.ScoredPoint, higher bool, err error) {
	if len(req.Prefetch) == 0 {
		return e.leaf(ctx, c, req)
	}
	lists := make([][]index.ScoredPoint, len(req.Prefetch))
	highers := make([]bool, len(req.Prefetch))
	for i := range req.Prefetch {
		p := &req.Prefetch[i]
		p.Filter = both(req.Filter, p.Filter)
		if lists[i], highers[i], err = e.exec(ctx, c, p); err != nil {
			return nil, false, inPrefetch(i, err)
		}
	}
	switch q := req.Query.(type) {
	case *Fusion:
		for i := range lists {
			if !highers[i] {
				lists[i] = negated(lists[i]) // distances: fusion wants higher better
			}
		}
		res, err = e.withRecords(ctx, c, req, cut(q.fuse(lists), req, true, nil))
		return res, true, err
	case nil:
		res, err = e.withRecords(ctx, c, req, cut(lists[0], req, highers[0], nil))
		return res, highers[0], err
	}
	ids := union(lists)
	if len(ids) == 0 {
		return []index.ScoredPoint{}, true, nil
	}
	r := *req
	r.Prefetch, r.among = nil, ids
	r.Filter, r.Exact = both(req.Filter, &filter.Filter{Must: []filter.Condition{{HasID: ids}}}), true
	return e.leaf(ctx, c, &r)
}

// leaf answers a resolved request without prefetches.
func (e *Engine) leaf(ctx context.Context, c Collection, req *Request) ([]index.ScoredPoint, bool, error) {
	if q, ok := req.Query.(*Nearest); ok && req.sparseUse {
		if q.MMR != nil {
			res, err := e.mmrSparse(ctx, c, req, q, excluded(req))
			return res, true, err
		}
		res, err := e.sparseNearest(ctx, c, req, *q.To.Sparse, excluded(req))
		return res, true, err
	}
	res, err := e.run(ctx, c, req)
	return res, e.higher(c, req), err
}

// higher reports whether higher scores are better in req's results.
func (e *Engine) higher(c Collection, req *Request) bool {
	switch q := req.Query.(type) {
	case *Nearest:
		return req.sparseUse || higherIsBetter(c, req.Using)
	case *Recommend:
		return q.strategy() != AverageVector || higherIsBetter(c, req.Using)
	}
	return true
}

// withRecords gives res, from prefetches that read ids alone, what req's
// read options ask for, keeping order and scores; points deleted since are
// left out. A nested fusion reads nothing more.
func (e *Engine) withRecords(ctx context.Context, c Collection, req *Request, res []index.ScoredPoint) ([]index.ScoredPoint, error) {
	o := req.ReadOptions
	if len(res) == 0 || !o.WithPayload && !o.WithVector && o.VectorNames == nil {
		return res, nil
	}
	ids := make([]pointid.ID, len(res))
	for i := range res {
		ids[i] = res[i].ID
	}
	page, err := c.Scroll(ctx, index.ScrollRequest{
		Filter: &filter.Filter{Must: []filter.Condition{{HasID: ids}}}, Limit: len(ids), ReadOptions: req.ReadOptions,
	})
	if err != nil {
		return nil, err
	}
	recs := make(map[pointid.ID]index.Record, len(page.Points))
	for _, r := range page.Points {
		recs[r.ID] = r
	}
	out := res[:0]
	for _, p := range res {
		if r, ok := recs[p.ID]; ok {
			p.Record = r
			out = append(out, p)
		}
	}
	return out, nil
}

// both returns the conjunction of two filters, either of which may be nil.
func both(a, b *filter.Filter) *filter.Filter {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &filter.Filter{Must: []filter.Condition{{Filter: a}, {Filter: b}}}
}

// union returns the distinct ids of lists, in order of first appearance.
func union(lists [][]index.ScoredPoint) []pointid.ID {
	seen := map[pointid.ID]bool{}
	var ids []pointid.ID
	for _, list := range lists {
		for _, p := range list {
			if !seen[p.ID] {
				seen[p.ID] = true
				ids = append(ids, p.ID)
			}
		}
	}
	return ids
}

func negated(list []index.ScoredPoint) []index.ScoredPoint {
	out := make([]index.ScoredPoint, len(list))
	for i, p := range list {
		p.Score = -p.Score
		out[i] = p
	}
	return out
}

package query

import (
	"context"

	"github.com/quiver-db/quiver/index"
)

// OrderBy lists points by a payload key's values instead of a score, as
// Qdrant's order_by query: the key needs an integer or float payload index
// (the index refuses others), results carry the value in OrderValue and
// score 0.
type OrderBy struct {
	Key string
	// Desc orders largest first.
	Desc bool
	// StartFrom, when set, is the first value included (≥ it ascending,
	// ≤ it descending).
	StartFrom *float64
}

func (*OrderBy) isQuery() {}

func (q *OrderBy) check() error {
	if q.Key == "" {
		return badRequest("order_by.key: required")
	}
	return nil
}

// orderBy answers an order_by query: a walk of the key's index from the
// start value, offset+limit points long.
func orderBy(ctx context.Context, c Collection, req *Request, q *OrderBy) ([]index.ScoredPoint, error) {
	recs, err := c.ScrollOrdered(ctx, index.OrderedScrollRequest{
		Key: q.Key, Desc: q.Desc, StartFrom: q.StartFrom, Filter: req.Filter,
		Limit: req.Offset + limitOf(req), ReadOptions: req.ReadOptions,
	})
	if err != nil {
		return nil, err
	}
	recs = recs[min(req.Offset, len(recs)):]
	out := make([]index.ScoredPoint, len(recs))
	for i, r := range recs {
		out[i] = index.ScoredPoint{Record: r}
	}
	return out, nil
}

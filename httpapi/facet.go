package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
)

// facetRequest is the body of POST /collections/{c}/facet. Counts are
// always exact, so exact is accepted either way.
type facetRequest struct {
	Key      string          `json:"key"`
	Filter   *filter.Filter  `json:"filter"`
	Limit    *int            `json:"limit"`
	Exact    *bool           `json:"exact"`
	ShardKey json.RawMessage `json:"shard_key"`
}

type facetHit struct {
	Value any `json:"value"`
	Count int `json:"count"`
}

// faceter counts a payload key's values: *index.Collection, and the
// cluster's router over a sharded collection's shards.
type faceter interface {
	Facet(ctx context.Context, req index.FacetRequest) ([]index.FacetHit, error)
}

// facetReader is the route's collection to count in, a sharded one's
// router included.
func (h *Handler) facetReader(r *http.Request) (faceter, error) {
	c, err := h.reader(r)
	if err != nil {
		return nil, err
	}
	f, ok := c.(faceter)
	if !ok {
		return nil, fmt.Errorf("%w: facet: collection %q is read through %T, which does not count values", ErrNotSupported, c.Name(), c)
	}
	return f, nil
}

func (h *Handler) facet(r *http.Request) (any, error) {
	c, req, err := decodeReadFrom[faceter, facetRequest](r, h.facetReader)
	if err != nil {
		return nil, err
	}
	if err := shardKeyUnsupported(req.ShardKey); err != nil {
		return nil, err
	}
	if req.Key == "" {
		return nil, badRequest("key: required")
	}
	limit := 10
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit < 1 || limit > h.cfg.MaxLimit {
		return nil, badRequest("limit %d: want 1..%d", limit, h.cfg.MaxLimit)
	}
	hits, err := c.Facet(r.Context(), index.FacetRequest{Key: req.Key, Filter: req.Filter, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]facetHit, len(hits))
	for i, hit := range hits {
		out[i] = facetHit{Value: hit.Value, Count: hit.Count}
	}
	return map[string][]facetHit{"hits": out}, nil
}

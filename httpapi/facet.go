package httpapi

import (
	"encoding/json"
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

func (h *Handler) facet(r *http.Request) (any, error) {
	c, req, err := decodeReadFrom[*index.Collection, facetRequest](r, h.collection)
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

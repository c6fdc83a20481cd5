package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/quiver-db/quiver/filter"
)

// searchRequest is the body of the legacy POST .../points/search.
type searchRequest struct {
	Vector         *vectorInput    `json:"vector"`
	Filter         *filter.Filter  `json:"filter"`
	Params         *searchParams   `json:"params"`
	ScoreThreshold *float32        `json:"score_threshold"`
	Limit          *int            `json:"limit"`
	Offset         *int            `json:"offset"`
	ShardKey       json.RawMessage `json:"shard_key"`
	readSelection
}

// recommendRequest is the body of the legacy POST .../points/recommend.
type recommendRequest struct {
	Positive       []*vectorInput  `json:"positive"`
	Negative       []*vectorInput  `json:"negative"`
	Strategy       string          `json:"strategy"`
	Using          *string         `json:"using"`
	LookupFrom     *lookupLocation `json:"lookup_from"`
	Filter         *filter.Filter  `json:"filter"`
	Params         *searchParams   `json:"params"`
	ScoreThreshold *float32        `json:"score_threshold"`
	Limit          *int            `json:"limit"`
	Offset         *int            `json:"offset"`
	ShardKey       json.RawMessage `json:"shard_key"`
	readSelection
}

func (h *Handler) planSearch(req *searchRequest) (*plan, error) {
	p, err := h.planCommon(nil, req.Filter, req.Params, req.ScoreThreshold, req.Limit, req.Offset, nil, req.ShardKey, req.readSelection)
	if err != nil {
		return nil, err
	}
	if req.Vector == nil {
		return nil, badRequest("vector: required")
	}
	if req.Vector.ID != nil {
		return nil, badRequest("vector: want a list of numbers or a text document")
	}
	p.nearest = req.Vector
	return p, nil
}

func (h *Handler) searchPoints(r *http.Request) (any, error) {
	return singleQuery(h, r, h.planSearch)
}

func (h *Handler) recommendPoints(r *http.Request) (any, error) {
	return singleQuery(h, r, h.planRecommend)
}

func (h *Handler) planRecommend(req *recommendRequest) (*plan, error) {
	p, err := h.planCommon(req.Using, req.Filter, req.Params, req.ScoreThreshold, req.Limit, req.Offset, req.LookupFrom, req.ShardKey, req.readSelection)
	if err != nil {
		return nil, err
	}
	p.setRecommend(&recommendInput{Positive: req.Positive, Negative: req.Negative, Strategy: req.Strategy})
	return p, p.validate()
}

func (h *Handler) searchBatch(r *http.Request) (any, error) {
	return legacyBatch(h, r, h.planSearch)
}

func (h *Handler) recommendBatch(r *http.Request) (any, error) {
	return legacyBatch(h, r, h.planRecommend)
}

// legacyBatch answers the legacy /search/batch and /recommend/batch:
// {"searches": [...]} in, one list of points per search out.
func legacyBatch[T any](h *Handler, r *http.Request, planOf func(*T) (*plan, error)) (any, error) {
	if err := checkQueryParams(r, "consistency", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		Searches []T `json:"searches"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if len(req.Searches) > h.cfg.MaxBatch {
		return nil, badRequest("searches: %d searches, limit %d", len(req.Searches), h.cfg.MaxBatch)
	}
	plans := make([]*plan, len(req.Searches))
	for i := range req.Searches {
		if plans[i], err = planOf(&req.Searches[i]); err != nil {
			return nil, fmt.Errorf("searches[%d]: %w", i, err)
		}
	}
	return h.runPlans(r.Context(), c, plans)
}

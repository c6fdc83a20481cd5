package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/query"
)

// searchRequest is the body of the legacy POST .../points/search.
type searchRequest struct {
	Vector         *searchVector   `json:"vector"`
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

func (h *Handler) planSearch(req *searchRequest) (*query.Request, error) {
	var using *string
	if req.Vector != nil {
		using = &req.Vector.Name
	}
	p, err := h.planCommon(using, req.Filter, req.Params, req.ScoreThreshold, req.Limit, req.Offset, nil, req.ShardKey, req.readSelection)
	if err != nil {
		return nil, err
	}
	if req.Vector == nil {
		return nil, badRequest("vector: required")
	}
	if req.Vector.ID != nil {
		return nil, badRequest("vector: want a list of numbers or a text document")
	}
	p.Query = &query.Nearest{To: req.Vector.input()}
	return p, h.engine.Check(p)
}

func (h *Handler) searchPoints(r *http.Request) (any, error) {
	return answerOf(singleQuery(h, r, h.planSearch))
}

func (h *Handler) recommendPoints(r *http.Request) (any, error) {
	return answerOf(singleQuery(h, r, h.planRecommend))
}

func (h *Handler) planRecommend(req *recommendRequest) (*query.Request, error) {
	p, err := h.planCommon(req.Using, req.Filter, req.Params, req.ScoreThreshold, req.Limit, req.Offset, req.LookupFrom, req.ShardKey, req.readSelection)
	if err != nil {
		return nil, err
	}
	if p.Query, err = recommendOf(&recommendInput{Positive: req.Positive, Negative: req.Negative, Strategy: req.Strategy}); err != nil {
		return nil, err
	}
	return p, h.engine.Check(p)
}

func (h *Handler) searchBatch(r *http.Request) (any, error) {
	return answerOf(batchQuery(h, r, h.planSearch))
}

func (h *Handler) recommendBatch(r *http.Request) (any, error) {
	return answerOf(batchQuery(h, r, h.planRecommend))
}

// answerOf is namedAnswer for a handler's result.
func answerOf[T any](v T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return namedAnswer(v), nil
}

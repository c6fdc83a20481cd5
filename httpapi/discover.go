package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/query"
)

// contextPairInput is one {"positive", "negative"} pair of examples.
type contextPairInput struct {
	Positive *vectorInput `json:"positive"`
	Negative *vectorInput `json:"negative"`
}

// contextInput is Qdrant's context: a list of pairs or a single pair.
type contextInput []contextPairInput

func (c *contextInput) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		var one contextPairInput
		if err := strictUnmarshal(data, &one); err != nil {
			return fmt.Errorf("context: %w", err)
		}
		*c = contextInput{one}
		return nil
	}
	var list []contextPairInput
	if err := strictUnmarshal(data, &list); err != nil {
		return fmt.Errorf("context: %w", err)
	}
	*c = list
	return nil
}

// pairs translates the context; where names it in errors.
func (c contextInput) pairs(where string) ([]query.ContextPair, error) {
	out := make([]query.ContextPair, len(c))
	for i, p := range c {
		if p.Positive == nil || p.Negative == nil {
			return nil, badRequest("%s[%d]: want both positive and negative", where, i)
		}
		out[i] = query.ContextPair{Positive: p.Positive.input(), Negative: p.Negative.input()}
	}
	return out, nil
}

// otherQuery translates {"discover": {...}}, {"context": ...} and
// {"order_by": ...} queries.
func otherQuery(data []byte) (query.Query, error) {
	var q struct {
		Discover *struct {
			Target  *vectorInput `json:"target"`
			Context contextInput `json:"context"`
		} `json:"discover"`
		Context *contextInput `json:"context"`
		OrderBy *orderByInput `json:"order_by"`
	}
	if err := strictUnmarshal(data, &q); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	switch {
	case q.Discover != nil:
		if q.Discover.Target == nil {
			return nil, badRequest("query.discover.target: required")
		}
		pairs, err := q.Discover.Context.pairs("query.discover.context")
		if err != nil {
			return nil, err
		}
		return &query.Discover{Target: q.Discover.Target.input(), Context: pairs}, nil
	case q.Context != nil:
		pairs, err := q.Context.pairs("query.context")
		if err != nil {
			return nil, err
		}
		return &query.Context{Pairs: pairs}, nil
	case q.OrderBy != nil:
		return q.OrderBy.query(), nil
	}
	return nil, badRequest("query: want one of discover, context and order_by")
}

// discoverRequest is the body of POST .../points/discover: a discovery
// search with a target, a context search without.
type discoverRequest struct {
	Target     *vectorInput    `json:"target"`
	Context    contextInput    `json:"context"`
	Using      *string         `json:"using"`
	LookupFrom *lookupLocation `json:"lookup_from"`
	Filter     *filter.Filter  `json:"filter"`
	Params     *searchParams   `json:"params"`
	Limit      *int            `json:"limit"`
	Offset     *int            `json:"offset"`
	ShardKey   json.RawMessage `json:"shard_key"`
	readSelection
}

func (h *Handler) planDiscover(req *discoverRequest) (*query.Request, error) {
	p, err := h.planCommon(req.Using, req.Filter, req.Params, nil, req.Limit, req.Offset, req.LookupFrom, req.ShardKey, req.readSelection)
	if err != nil {
		return nil, err
	}
	pairs, err := req.Context.pairs("context")
	if err != nil {
		return nil, err
	}
	switch {
	case req.Target != nil:
		p.Query = &query.Discover{Target: req.Target.input(), Context: pairs}
	case len(pairs) > 0:
		p.Query = &query.Context{Pairs: pairs}
	default:
		return nil, badRequest("target: want a target, a context or both")
	}
	return p, h.engine.Check(p)
}

func (h *Handler) discoverPoints(r *http.Request) (any, error) {
	return answerOf(singleQuery(h, r, h.planDiscover))
}

func (h *Handler) discoverBatch(r *http.Request) (any, error) {
	return answerOf(batchQuery(h, r, h.planDiscover))
}

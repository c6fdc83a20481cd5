package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/query"
)

// prefetchRequest is one of a query's prefetch objects: Qdrant's Prefetch,
// a query of its own whose results the outer query fuses or re-scores.
type prefetchRequest struct {
	Query          *queryInput     `json:"query"`
	Prefetch       json.RawMessage `json:"prefetch"`
	Using          *string         `json:"using"`
	Filter         *filter.Filter  `json:"filter"`
	Params         *searchParams   `json:"params"`
	ScoreThreshold *float32        `json:"score_threshold"`
	Limit          *int            `json:"limit"`
	LookupFrom     *lookupLocation `json:"lookup_from"`
}

// fusionInput is {"fusion": "rrf"} or {"fusion": "dbsf"}.
type fusionInput struct {
	Fusion string `json:"fusion"`
}

// rrfInput is {"rrf": {"k": ..., "weights": [...]}}.
type rrfInput struct {
	RRF *struct {
		K       *int      `json:"k"`
		Weights []float32 `json:"weights"`
	} `json:"rrf"`
}

// mmrInput is the mmr object of a nearest query.
type mmrInput struct {
	// Diversity defaults to 0.5, as in Qdrant.
	Diversity       *float32 `json:"diversity"`
	CandidatesLimit *int     `json:"candidates_limit"`
}

func (m *mmrInput) mmr() (*query.MMR, error) {
	out := &query.MMR{Diversity: 0.5}
	if m.Diversity != nil {
		out.Diversity = *m.Diversity
	}
	if m.CandidatesLimit != nil {
		if *m.CandidatesLimit < 1 {
			return nil, badRequest("query.mmr.candidates_limit %d: want ≥ 1", *m.CandidatesLimit)
		}
		out.CandidatesLimit = *m.CandidatesLimit
	}
	return out, nil
}

// planPrefetch translates a prefetch member, one object or a list of them,
// depth levels below the top request.
func (h *Handler) planPrefetch(raw json.RawMessage, depth int) ([]query.Request, error) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil, nil
	}
	if depth > query.MaxPrefetchDepth {
		return nil, badRequest("prefetch: nested deeper than %d levels", query.MaxPrefetchDepth)
	}
	var list []json.RawMessage
	one := raw[0] == '{'
	if one {
		list = []json.RawMessage{raw}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, badRequest("prefetch: want an object or a list of objects")
	}
	out := make([]query.Request, len(list))
	for i, item := range list {
		path := fmt.Sprintf("prefetch[%d]", i)
		if one {
			path = "prefetch"
		}
		var p prefetchRequest
		if err := strictUnmarshal(item, &p); err != nil {
			return nil, atPath(path, err)
		}
		r, err := h.planOnePrefetch(&p, depth)
		if err != nil {
			return nil, atPath(path, err)
		}
		out[i] = *r
	}
	return out, nil
}

func (h *Handler) planOnePrefetch(p *prefetchRequest, depth int) (*query.Request, error) {
	r, err := h.planCommon(p.Using, p.Filter, p.Params, p.ScoreThreshold, p.Limit, nil, p.LookupFrom, nil, readSelection{})
	if err != nil {
		return nil, err
	}
	if r.Query, err = queryOf(p.Query, false); err != nil {
		return nil, err
	}
	if r.Prefetch, err = h.planPrefetch(p.Prefetch, depth+1); err != nil {
		return nil, err
	}
	return r, nil
}

// atPath names the prefetch at path in a bad request's message:
// "prefetch[0].query: ..." for a field it names, "prefetch[0]: unknown
// field ..." for what decoding found.
func atPath(path string, err error) error {
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, ErrBadRequest.Error()+": ")
	if !ok || !errors.Is(err, ErrBadRequest) {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, p := range []string{"unknown field", "field ", "request body"} {
		if strings.HasPrefix(rest, p) {
			return badRequest("%s: %s", path, rest)
		}
	}
	return badRequest("%s.%s", path, rest)
}

package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/query"
)

// groupFields are the members every groups request has.
type groupFields struct {
	GroupBy    string           `json:"group_by"`
	GroupSize  *int             `json:"group_size"`
	WithLookup *withLookupInput `json:"with_lookup"`
}

// withLookupInput is Qdrant's with_lookup: a collection name, or
// {"collection", "with_payload" (default true), "with_vectors" (default
// false)}.
type withLookupInput struct {
	Collection  string
	WithPayload withPayload
	WithVectors withVector
}

func (w *withLookupInput) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &w.Collection); err != nil {
			return badRequest("with_lookup: %v", err)
		}
		return nil
	}
	var in struct {
		Collection  string      `json:"collection"`
		WithPayload withPayload `json:"with_payload"`
		WithVectors withVector  `json:"with_vectors"`
		WithVector  withVector  `json:"with_vector"`
	}
	if err := strictUnmarshal(data, &in); err != nil {
		return fmt.Errorf("with_lookup: %w", err)
	}
	w.Collection, w.WithPayload, w.WithVectors = in.Collection, in.WithPayload, in.WithVectors
	if in.WithVector.set {
		w.WithVectors = in.WithVector
	}
	return nil
}

// groupRequest translates the group members around a planned query.
func (g *groupFields) groupRequest(p *query.Request) (*query.GroupRequest, error) {
	if g.GroupBy == "" {
		return nil, badRequest("group_by: required")
	}
	req := &query.GroupRequest{Request: *p, GroupBy: g.GroupBy}
	if g.GroupSize != nil {
		if *g.GroupSize < 1 {
			return nil, badRequest("group_size %d: want ≥ 1", *g.GroupSize)
		}
		req.GroupSize = *g.GroupSize
	}
	if w := g.WithLookup; w != nil {
		if w.Collection == "" {
			return nil, badRequest("with_lookup.collection: required")
		}
		sel := readSelection{WithPayload: w.WithPayload, WithVector: w.WithVectors}
		req.WithLookup = &query.GroupLookup{Collection: w.Collection, ReadOptions: sel.options(true)}
	}
	return req, nil
}

// queryGroupsRequest is the body of POST .../points/query/groups.
type queryGroupsRequest struct {
	Query          *queryInput     `json:"query"`
	Prefetch       json.RawMessage `json:"prefetch"`
	Using          *string         `json:"using"`
	Filter         *filter.Filter  `json:"filter"`
	Params         *searchParams   `json:"params"`
	ScoreThreshold *float32        `json:"score_threshold"`
	Limit          *int            `json:"limit"`
	LookupFrom     *lookupLocation `json:"lookup_from"`
	ShardKey       json.RawMessage `json:"shard_key"`
	groupFields
	readSelection
}

// searchGroupsRequest is the body of POST .../points/search/groups.
type searchGroupsRequest struct {
	Vector         *searchVector   `json:"vector"`
	Filter         *filter.Filter  `json:"filter"`
	Params         *searchParams   `json:"params"`
	ScoreThreshold *float32        `json:"score_threshold"`
	Limit          *int            `json:"limit"`
	ShardKey       json.RawMessage `json:"shard_key"`
	groupFields
	readSelection
}

func (h *Handler) planQueryGroups(req *queryGroupsRequest) (*query.GroupRequest, error) {
	p, err := h.planQuery(&queryRequest{
		Query: req.Query, Prefetch: req.Prefetch, Using: req.Using, Filter: req.Filter, Params: req.Params,
		ScoreThreshold: req.ScoreThreshold, Limit: req.Limit, LookupFrom: req.LookupFrom, ShardKey: req.ShardKey,
		readSelection: req.readSelection,
	})
	if err != nil {
		return nil, err
	}
	return req.groupRequest(p)
}

func (h *Handler) planSearchGroups(req *searchGroupsRequest) (*query.GroupRequest, error) {
	p, err := h.planSearch(&searchRequest{
		Vector: req.Vector, Filter: req.Filter, Params: req.Params, ScoreThreshold: req.ScoreThreshold,
		Limit: req.Limit, ShardKey: req.ShardKey, readSelection: req.readSelection,
	})
	if err != nil {
		return nil, err
	}
	return req.groupRequest(p)
}

// pointGroup is one group of an answer. Hits are scoredPoints, or
// namedScoredPoints in a collection with named vectors.
type pointGroup struct {
	ID     any     `json:"id"`
	Hits   any     `json:"hits"`
	Lookup *record `json:"lookup,omitempty"`
}

type groupsResult struct {
	Groups []pointGroup `json:"groups"`
}

func (h *Handler) queryGroups(r *http.Request) (any, error) {
	return groupsQuery(h, r, h.planQueryGroups)
}

func (h *Handler) searchGroups(r *http.Request) (any, error) {
	return groupsQuery(h, r, h.planSearchGroups)
}

// groupsQuery answers a groups route whose body, of type T, plans one
// groups query.
func groupsQuery[T any](h *Handler, r *http.Request, planFn func(*T) (*query.GroupRequest, error)) (any, error) {
	if err := checkQueryParams(r, "consistency", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var body T
	if err := decodeJSON(r, &body); err != nil {
		return nil, err
	}
	req, err := planFn(&body)
	if err != nil {
		return nil, err
	}
	if err := checkVectorNames(c, req.ReadOptions); err != nil {
		return nil, err
	}
	groups, err := h.engine.RunGroups(r.Context(), c, *req)
	if err != nil {
		return nil, err
	}
	out := groupsResult{Groups: make([]pointGroup, len(groups))}
	for i, g := range groups {
		hits := make(scoredPoints, len(g.Hits))
		for j, p := range g.Hits {
			hits[j] = toScoredPoint(p)
		}
		out.Groups[i] = pointGroup{ID: groupID(g.ID), Hits: namedAnswer(hits)}
		if g.Lookup != nil {
			rec := toRecord(*g.Lookup)
			out.Groups[i].Lookup = &rec
		}
	}
	return out, nil
}

func groupID(id query.GroupID) any {
	if id.IsInt {
		return id.Int
	}
	return id.Str
}

package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/quiver-db/quiver/index"
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

// queryGroupsRequest is the body of POST .../points/query/groups: a
// query's members (an offset is refused) and the group members.
type queryGroupsRequest struct {
	queryRequest
	groupFields
}

// searchGroupsRequest is the body of POST .../points/search/groups.
type searchGroupsRequest struct {
	searchRequest
	groupFields
}

// decodeFast shadows queryRequest's: the fast path knows no group members.
func (*queryGroupsRequest) decodeFast([]byte) bool { return false }

// decodeFast shadows searchRequest's.
func (*searchGroupsRequest) decodeFast([]byte) bool { return false }

func (h *Handler) planQueryGroups(req *queryGroupsRequest) (*query.GroupRequest, error) {
	p, err := h.planQuery(&req.queryRequest)
	if err != nil {
		return nil, err
	}
	return req.groupRequest(p)
}

func (h *Handler) planSearchGroups(req *searchGroupsRequest) (*query.GroupRequest, error) {
	p, err := h.planSearch(&req.searchRequest)
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
	c, body, err := decodeRead[T](h, r)
	if err != nil {
		return nil, err
	}
	req, err := planFn(body)
	if err != nil {
		return nil, err
	}
	if err := checkVectorNames(c, req.ReadOptions); err != nil {
		return nil, err
	}
	// Past the engine's own cap (groups × group_size ≤ index.MaxLimit, plus
	// a lookup a group) the engine refuses it with the clearer message.
	if n := req.MaxResults(); n <= 2*index.MaxLimit {
		if err := h.reserveResults(r.Context(), n); err != nil {
			return nil, err
		}
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

// recommendGroupsRequest is the body of POST .../points/recommend/groups.
type recommendGroupsRequest struct {
	recommendRequest
	groupFields
}

func (h *Handler) planRecommendGroups(req *recommendGroupsRequest) (*query.GroupRequest, error) {
	p, err := h.planRecommend(&req.recommendRequest)
	if err != nil {
		return nil, err
	}
	return req.groupRequest(p)
}

func (h *Handler) recommendGroups(r *http.Request) (any, error) {
	return groupsQuery(h, r, h.planRecommendGroups)
}

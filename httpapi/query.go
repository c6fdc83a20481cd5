package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/query"
	"github.com/quiver-db/quiver/userid"
)

// searchParams is Qdrant's params object; indexed_only and acorn have
// nothing to act on in Quiver and are accepted.
type searchParams struct {
	HNSWEf       *int                      `json:"hnsw_ef"`
	Exact        bool                      `json:"exact"`
	Quantization *quantizationSearchParams `json:"quantization"`
	IVF          *ivfSearchParams          `json:"ivf"`
	IndexedOnly  bool                      `json:"indexed_only"`
	Acorn        json.RawMessage           `json:"acorn"`
}

// lookupLocation is Qdrant's lookup_from: the collection that point ids in
// a query name.
type lookupLocation struct {
	Collection string          `json:"collection"`
	Vector     *string         `json:"vector"`
	ShardKey   json.RawMessage `json:"shard_key"`
}

// recommendInput is the recommend object of a query: Qdrant's examples,
// or Quiver's user (with exclude_seen, and a text for a user without
// history).
type recommendInput struct {
	Positive    []*vectorInput `json:"positive"`
	Negative    []*vectorInput `json:"negative"`
	Strategy    string         `json:"strategy"`
	User        *userid.ID     `json:"user"`
	ExcludeSeen *bool          `json:"exclude_seen"`
	Text        *string        `json:"text"`
	Model       string         `json:"model"`
}

// queryInput is the query of POST .../points/query: a vector, point id or
// document (nearest), {"nearest": ..., "mmr": {...}}, {"recommend":
// {...}}, {"discover": {...}}, {"context": ...}, {"order_by": ...},
// {"fusion": "rrf" | "dbsf"} or {"rrf": {...}}.
type queryInput struct {
	Nearest   *vectorInput
	MMR       *mmrInput
	Recommend *recommendInput
	Fusion    *query.Fusion
	// Other is a query that translates on its own (discover.go,
	// orderby.go).
	Other query.Query
}

func (q *queryInput) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		q.Nearest = &vectorInput{}
		return q.Nearest.UnmarshalJSON(data)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return badRequest("query: %v", err)
	}
	switch {
	case keys["text"] != nil || isSparseObject(keys):
		q.Nearest = &vectorInput{}
		return q.Nearest.UnmarshalJSON(data)
	case keys["nearest"] != nil:
		var n struct {
			Nearest *vectorInput `json:"nearest"`
			MMR     *mmrInput    `json:"mmr"`
		}
		if err := strictUnmarshal(data, &n); err != nil {
			return fmt.Errorf("query: %w", err)
		}
		q.Nearest, q.MMR = n.Nearest, n.MMR
		return nil
	case keys["recommend"] != nil:
		var rec struct {
			Recommend *recommendInput `json:"recommend"`
		}
		if err := strictUnmarshal(data, &rec); err != nil {
			return fmt.Errorf("query: %w", err)
		}
		q.Recommend = rec.Recommend
		return nil
	case keys["discover"] != nil || keys["context"] != nil || keys["order_by"] != nil:
		var err error
		q.Other, err = otherQuery(data)
		return err
	case keys["fusion"] != nil:
		var f fusionInput
		if err := strictUnmarshal(data, &f); err != nil {
			return fmt.Errorf("query: %w", err)
		}
		q.Fusion = &query.Fusion{Method: query.FusionMethod(f.Fusion)}
		return nil
	case keys["rrf"] != nil:
		var r rrfInput
		if err := strictUnmarshal(data, &r); err != nil {
			return fmt.Errorf("query: %w", err)
		}
		if r.RRF == nil {
			return badRequest("query.rrf: want an object")
		}
		q.Fusion = &query.Fusion{Method: query.RRF, Weights: r.RRF.Weights}
		if r.RRF.K != nil {
			if *r.RRF.K < 1 {
				return badRequest("query.rrf.k %d: want k ≥ 1", *r.RRF.K)
			}
			q.Fusion.K = *r.RRF.K
		}
		return nil
	}
	if len(keys) > 0 {
		// Name the first key in order, so the message does not depend on
		// map order.
		return badRequest("query: %q queries are not supported (want nearest, recommend, discover, context, order_by, fusion or rrf)", slices.Sorted(maps.Keys(keys))[0])
	}
	return badRequest("query: empty object")
}

// queryRequest is the body of POST /collections/{c}/points/query.
type queryRequest struct {
	Query          *queryInput     `json:"query"`
	Prefetch       json.RawMessage `json:"prefetch"`
	Using          *string         `json:"using"`
	Filter         *filter.Filter  `json:"filter"`
	Params         *searchParams   `json:"params"`
	ScoreThreshold *float32        `json:"score_threshold"`
	Limit          *int            `json:"limit"`
	Offset         *int            `json:"offset"`
	LookupFrom     *lookupLocation `json:"lookup_from"`
	ShardKey       json.RawMessage `json:"shard_key"`
	// WithExplanation adds explanations to a recommendation for a user.
	WithExplanation bool `json:"with_explanation"`
	readSelection
}

func (h *Handler) planQuery(req *queryRequest) (*query.Request, error) {
	p, err := h.planCommon(req.Using, req.Filter, req.Params, req.ScoreThreshold, req.Limit, req.Offset, req.LookupFrom, req.ShardKey, req.readSelection)
	if err != nil {
		return nil, err
	}
	if p.Query, err = queryOf(req.Query, req.WithExplanation); err != nil {
		return nil, err
	}
	if p.Prefetch, err = h.planPrefetch(req.Prefetch, 1); err != nil {
		return nil, err
	}
	return p, h.engine.Check(p)
}

// queryOf translates a query member; nil means none.
func queryOf(q *queryInput, explain bool) (query.Query, error) {
	switch {
	case q == nil:
		return nil, nil
	case q.Recommend != nil && q.Recommend.User != nil:
		return forUserOf(q.Recommend, explain)
	case q.Recommend != nil:
		return recommendOf(q.Recommend)
	case q.Fusion != nil:
		return q.Fusion, nil
	case q.Other != nil:
		return q.Other, nil
	case q.Nearest == nil:
		return nil, badRequest("query.nearest: required")
	}
	n := &query.Nearest{To: q.Nearest.input()}
	if q.MMR != nil {
		var err error
		if n.MMR, err = q.MMR.mmr(); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// forUserOf translates a recommend object that names a user.
func forUserOf(r *recommendInput, explain bool) (*query.ForUser, error) {
	if len(r.Positive)+len(r.Negative) > 0 || r.Strategy != "" {
		return nil, badRequest("recommend.user: give a user or examples (positive, negative, strategy), not both")
	}
	q := &query.ForUser{User: *r.User, KeepSeen: r.ExcludeSeen != nil && !*r.ExcludeSeen, Explain: explain}
	if r.Text != nil {
		q.Text = &query.Document{Text: *r.Text, Model: r.Model}
	} else if r.Model != "" {
		return nil, badRequest("recommend.model: only with recommend.text")
	}
	return q, nil
}

// recommendOf translates a recommend object.
func recommendOf(r *recommendInput) (*query.Recommend, error) {
	if r.ExcludeSeen != nil || r.Text != nil || r.Model != "" {
		return nil, badRequest("recommend: exclude_seen, text and model go with a user")
	}
	q := &query.Recommend{Strategy: query.Strategy(r.Strategy)}
	for _, v := range r.Positive {
		if v == nil {
			return nil, badRequest("recommend: null example")
		}
		q.Positive = append(q.Positive, v.input())
	}
	for _, v := range r.Negative {
		if v == nil {
			return nil, badRequest("recommend: null example")
		}
		q.Negative = append(q.Negative, v.input())
	}
	return q, nil
}

// planCommon translates the fields that queries, searches and recommends
// share.
func (h *Handler) planCommon(using *string, f *filter.Filter, params *searchParams, threshold *float32,
	limit, offset *int, lookup *lookupLocation, shardKey json.RawMessage, sel readSelection) (*query.Request, error) {
	if err := shardKeyUnsupported(shardKey); err != nil {
		return nil, err
	}
	p := &query.Request{Filter: f, ScoreThreshold: threshold, Limit: 10, ReadOptions: sel.options(false)}
	if using != nil {
		p.Using = *using
	}
	if limit != nil {
		p.Limit = *limit
	}
	if offset != nil {
		p.Offset = *offset
	}
	if p.Limit < 1 {
		// The engine reads a zero limit as its default; the API refuses it.
		return nil, badRequest("limit %d, offset %d: want limit ≥ 1, offset ≥ 0 and limit+offset ≤ %d", p.Limit, p.Offset, h.cfg.MaxLimit)
	}
	if params != nil {
		if params.HNSWEf != nil {
			if *params.HNSWEf < 1 {
				return nil, badRequest("params.hnsw_ef %d: want 1..%d", *params.HNSWEf, index.MaxLimit)
			}
			p.Ef = *params.HNSWEf
		}
		p.Exact = params.Exact
		if params.Quantization != nil {
			q, err := params.Quantization.search()
			if err != nil {
				return nil, err
			}
			p.Quantization = q
		}
		if params.IVF != nil {
			p.IVF = index.IVFSearch{Ignore: params.IVF.Ignore, Probe: params.IVF.Probe, Reorder: params.IVF.Reorder}
		}
	}
	if lookup != nil {
		if lookup.Vector != nil {
			p.LookupVector = *lookup.Vector
		}
		if err := shardKeyUnsupported(lookup.ShardKey); err != nil {
			return nil, fmt.Errorf("lookup_from: %w", err)
		}
		if lookup.Collection == "" {
			return nil, badRequest("lookup_from.collection: required")
		}
		p.LookupFrom = lookup.Collection
	}
	return p, nil
}

// runQueries runs requests on the route's collection.
func (h *Handler) runQueries(ctx context.Context, c query.Collection, reqs []query.Request) (scoredPointLists, error) {
	for i := range reqs {
		if err := checkVectorNames(c, reqs[i].ReadOptions); err != nil {
			return nil, err
		}
	}
	if err := h.reserveResults(ctx, resultsOf(reqs)); err != nil {
		return nil, err
	}
	res, err := h.engine.Run(ctx, c, reqs)
	if err != nil {
		return nil, err
	}
	out := make(scoredPointLists, len(res))
	for i, list := range res {
		out[i] = make(scoredPoints, len(list))
		for j, r := range list {
			out[i][j] = toScoredPoint(r)
		}
	}
	return out, nil
}

func toScoredPoint(r index.ScoredPoint) scoredPoint {
	return scoredPoint{ID: r.ID, Score: r.Score, Payload: r.Payload, Vector: r.Vector, Vectors: r.Vectors, Sparse: r.Sparse,
		Explanation: contributions(r.Explanation), OrderValue: r.OrderValue}
}

// queryResponse is the result of one query.
type queryResponse struct {
	Points scoredPoints `json:"points"`
}

func (h *Handler) queryPoints(r *http.Request) (any, error) {
	points, err := singleQuery(h, r, h.planQuery)
	if err != nil {
		return nil, err
	}
	return namedAnswer(queryResponse{Points: points}), nil
}

// singleQuery answers a route whose body, of type T, plans one query.
func singleQuery[T any](h *Handler, r *http.Request, planFn func(*T) (*query.Request, error)) (scoredPoints, error) {
	c, req, err := decodeRead[T](h, r)
	if err != nil {
		return nil, err
	}
	p, err := planFn(req)
	if err != nil {
		return nil, err
	}
	res, err := h.runQueries(r.Context(), c, []query.Request{*p})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// decodeRead checks a read route's query parameters and returns the
// collection to read (sharded or not) and its body, of type T.
func decodeRead[T any](h *Handler, r *http.Request) (pointReader, *T, error) {
	return decodeReadFrom[pointReader, T](r, h.reader)
}

// decodeReadFrom is decodeRead with the collection from get: routes that
// read an index collection's own methods take h.collection.
func decodeReadFrom[C, T any](r *http.Request, get func(*http.Request) (C, error)) (C, *T, error) {
	var none C
	if err := checkQueryParams(r, "consistency", "timeout"); err != nil {
		return none, nil, err
	}
	c, err := get(r)
	if err != nil {
		return none, nil, err
	}
	var body T
	if err := decodeJSON(r, &body); err != nil {
		return none, nil, err
	}
	return c, &body, nil
}

func (h *Handler) queryBatch(r *http.Request) (any, error) {
	res, err := batchQuery(h, r, h.planQuery)
	if err != nil {
		return nil, err
	}
	out := make(queryResponses, len(res))
	for i := range res {
		out[i] = queryResponse{Points: res[i]}
	}
	return namedAnswer(out), nil
}

// batchQuery answers a batch route, {"searches": [...]} of type T in, one
// list of points per search out.
func batchQuery[T any](h *Handler, r *http.Request, planOf func(*T) (*query.Request, error)) (scoredPointLists, error) {
	if err := checkQueryParams(r, "consistency", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.reader(r)
	if err != nil {
		return nil, err
	}
	var req batchRequest[T]
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if len(req.Searches) > h.cfg.MaxBatch {
		return nil, badRequest("searches: %d searches, limit %d", len(req.Searches), h.cfg.MaxBatch)
	}
	reqs := make([]query.Request, len(req.Searches))
	for i := range req.Searches {
		p, err := planOf(&req.Searches[i])
		if err != nil {
			return nil, fmt.Errorf("searches[%d]: %w", i, err)
		}
		reqs[i] = *p
	}
	return h.runQueries(r.Context(), c, reqs)
}

package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// searchParams is Qdrant's params object; quantization and indexed_only
// have nothing to act on in Quiver and are accepted.
type searchParams struct {
	HNSWEf       *int            `json:"hnsw_ef"`
	Exact        bool            `json:"exact"`
	Quantization json.RawMessage `json:"quantization"`
	IndexedOnly  bool            `json:"indexed_only"`
	Acorn        json.RawMessage `json:"acorn"`
}

// lookupLocation is Qdrant's lookup_from: the collection that point ids in
// a query name.
type lookupLocation struct {
	Collection string          `json:"collection"`
	Vector     *string         `json:"vector"`
	ShardKey   json.RawMessage `json:"shard_key"`
}

// recommendInput is the recommend object of a query.
type recommendInput struct {
	Positive []*vectorInput `json:"positive"`
	Negative []*vectorInput `json:"negative"`
	Strategy string         `json:"strategy"`
}

// queryInput is the query of POST .../points/query: a vector, point id or
// document (nearest), {"nearest": ...} or {"recommend": {...}}.
type queryInput struct {
	Nearest   *vectorInput
	Recommend *recommendInput
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
	case keys["text"] != nil:
		q.Nearest = &vectorInput{}
		return q.Nearest.UnmarshalJSON(data)
	case keys["nearest"] != nil:
		var n struct {
			Nearest *vectorInput    `json:"nearest"`
			MMR     json.RawMessage `json:"mmr"`
		}
		if err := strictUnmarshal(data, &n); err != nil {
			return fmt.Errorf("query: %w", err)
		}
		if !isNull(n.MMR) {
			return badRequest("query.mmr: not supported")
		}
		q.Nearest = n.Nearest
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
	}
	for k := range keys {
		return badRequest("query: %q queries are not supported (want nearest or recommend)", k)
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
	readSelection
}

// plan is one query reduced to what Quiver executes.
type plan struct {
	nearest            *vectorInput // nil for recommend or a plain listing
	positive, negative []*vectorInput
	strategy           string // recommend only
	recommend          bool
	filter             *filter.Filter
	ef                 int
	exact              bool
	threshold          *float32
	limit, offset      int
	sel                readSelection
	lookup             *index.Collection // where ids point; nil: the queried collection
}

func (h *Handler) planQuery(req *queryRequest) (*plan, error) {
	if !isNull(req.Prefetch) {
		return nil, badRequest("prefetch: not supported")
	}
	p, err := h.planCommon(req.Using, req.Filter, req.Params, req.ScoreThreshold, req.Limit, req.Offset, req.LookupFrom, req.ShardKey, req.readSelection)
	if err != nil {
		return nil, err
	}
	switch {
	case req.Query == nil:
	case req.Query.Recommend != nil:
		p.setRecommend(req.Query.Recommend)
	case req.Query.Nearest == nil:
		return nil, badRequest("query.nearest: required")
	default:
		p.nearest = req.Query.Nearest
	}
	return p, p.validate()
}

func (p *plan) setRecommend(r *recommendInput) {
	p.recommend = true
	p.positive, p.negative, p.strategy = r.Positive, r.Negative, r.Strategy
}

func (p *plan) validate() error {
	if !p.recommend {
		return nil
	}
	if p.strategy == "" {
		p.strategy = "average_vector"
	}
	switch p.strategy {
	case "average_vector":
		if len(p.positive) == 0 {
			return badRequest("recommend.positive: average_vector needs at least one positive example")
		}
	case "best_score", "sum_scores":
		if len(p.positive)+len(p.negative) == 0 {
			return badRequest("recommend: want at least one positive or negative example")
		}
	default:
		return badRequest("recommend.strategy %q: want average_vector, best_score or sum_scores", p.strategy)
	}
	for _, v := range append(p.positive, p.negative...) {
		if v == nil {
			return badRequest("recommend: null example")
		}
	}
	return nil
}

// planCommon checks the fields that queries, searches and recommends
// share.
func (h *Handler) planCommon(using *string, f *filter.Filter, params *searchParams, threshold *float32,
	limit, offset *int, lookup *lookupLocation, shardKey json.RawMessage, sel readSelection) (*plan, error) {
	if err := shardKeyUnsupported(shardKey); err != nil {
		return nil, err
	}
	if using != nil && *using != "" {
		return nil, badRequest("using %q: named vectors are not supported", *using)
	}
	p := &plan{filter: f, threshold: threshold, limit: 10, sel: sel}
	if limit != nil {
		p.limit = *limit
	}
	if offset != nil {
		p.offset = *offset
	}
	if p.limit < 1 || p.offset < 0 || p.limit+p.offset > h.cfg.MaxLimit {
		return nil, badRequest("limit %d, offset %d: want limit ≥ 1, offset ≥ 0 and limit+offset ≤ %d", p.limit, p.offset, h.cfg.MaxLimit)
	}
	if params != nil {
		if params.HNSWEf != nil {
			if *params.HNSWEf < 1 || *params.HNSWEf > index.MaxLimit {
				return nil, badRequest("params.hnsw_ef %d: want 1..%d", *params.HNSWEf, index.MaxLimit)
			}
			p.ef = *params.HNSWEf
		}
		p.exact = params.Exact
	}
	if lookup != nil {
		if lookup.Vector != nil && *lookup.Vector != "" {
			return nil, badRequest("lookup_from.vector %q: named vectors are not supported", *lookup.Vector)
		}
		if err := shardKeyUnsupported(lookup.ShardKey); err != nil {
			return nil, fmt.Errorf("lookup_from: %w", err)
		}
		c, err := h.db.Collection(lookup.Collection)
		if err != nil {
			return nil, fmt.Errorf("lookup_from: %w", err)
		}
		p.lookup = c
	}
	return p, nil
}

// inputs returns every vector input of the plan.
func (p *plan) inputs() []*vectorInput {
	var out []*vectorInput
	if p.nearest != nil {
		out = append(out, p.nearest)
	}
	out = append(out, p.positive...)
	return append(out, p.negative...)
}

// runPlans resolves the documents of all plans in one batch per model,
// then the point ids, then runs each plan.
func (h *Handler) runPlans(ctx context.Context, c *index.Collection, plans []*plan) (scoredPointLists, error) {
	rs := h.newResolver(c)
	for i, p := range plans {
		for j, v := range p.inputs() {
			if v.Doc != nil {
				if err := rs.addDoc(v, fmt.Sprintf("query %d, input %d", i, j)); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := rs.encode(ctx); err != nil {
		return nil, err
	}
	out := make(scoredPointLists, len(plans))
	for i, p := range plans {
		from := p.lookup
		if from == nil {
			from = c
		}
		if err := lookupIDs(ctx, from, p.inputs()); err != nil {
			return nil, err
		}
		res, err := h.runPlan(ctx, c, p)
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	return out, nil
}

// excluded returns the ids a query names in its own collection; like
// Qdrant, results leave them out.
func (p *plan) excluded() map[pointid.ID]bool {
	ex := map[pointid.ID]bool{}
	if p.lookup != nil {
		return ex
	}
	for _, v := range p.inputs() {
		if v.ID != nil {
			ex[*v.ID] = true
		}
	}
	return ex
}

func (h *Handler) runPlan(ctx context.Context, c *index.Collection, p *plan) ([]scoredPoint, error) {
	switch {
	case p.recommend && p.strategy != "average_vector":
		return h.recommendByScore(ctx, c, p)
	case p.recommend:
		q, err := averageVector(c.Config().Distance, p.positive, p.negative)
		if err != nil {
			return nil, err
		}
		return h.nearest(ctx, c, p, q)
	case p.nearest != nil:
		return h.nearest(ctx, c, p, p.nearest.Vector)
	}
	return h.listing(ctx, c, p)
}

// nearest runs a nearest-neighbour search for q.
func (h *Handler) nearest(ctx context.Context, c *index.Collection, p *plan, q []float32) ([]scoredPoint, error) {
	ex := p.excluded()
	start := time.Now()
	res, err := c.Search(ctx, index.SearchRequest{
		Vector: q, Limit: p.offset + p.limit + len(ex), Filter: p.filter,
		Ef: p.ef, Exact: p.exact, ReadOptions: p.sel.options(false),
	})
	searched(ctx, start)
	if err != nil {
		return nil, err
	}
	higher := c.Config().Distance != index.Euclid
	out := make([]scoredPoint, 0, p.limit)
	skip := p.offset
	for _, r := range res {
		if ex[r.ID] || !passes(r.Score, p.threshold, higher) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(out) == p.limit {
			break
		}
		out = append(out, toScored(r.Record, r.Score, p.sel))
	}
	return out, nil
}

// passes applies score_threshold: a minimum score where higher is better,
// a maximum distance for Euclid.
func passes(score float32, threshold *float32, higher bool) bool {
	if threshold == nil {
		return true
	}
	if higher {
		return score >= *threshold
	}
	return score <= *threshold
}

func toScored(r index.Record, score float32, sel readSelection) scoredPoint {
	rec := toRecord(r, sel, false)
	return scoredPoint{ID: rec.ID, Score: score, Payload: rec.Payload, Vector: rec.Vector}
}

// listing answers a query without a query vector: points in id order.
func (h *Handler) listing(ctx context.Context, c *index.Collection, p *plan) ([]scoredPoint, error) {
	page, err := c.Scroll(ctx, index.ScrollRequest{
		Filter: p.filter, Limit: p.offset + p.limit, ReadOptions: p.sel.options(false),
	})
	if err != nil {
		return nil, err
	}
	recs := page.Points[min(p.offset, len(page.Points)):]
	out := make([]scoredPoint, len(recs))
	for i, r := range recs {
		out[i] = toScored(r, 0, p.sel)
	}
	return out, nil
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
	return queryResponse{Points: points}, nil
}

// singleQuery answers a route whose body, of type T, plans one query.
func singleQuery[T any](h *Handler, r *http.Request, planFn func(*T) (*plan, error)) (scoredPoints, error) {
	if err := checkQueryParams(r, "consistency", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var req T
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	p, err := planFn(&req)
	if err != nil {
		return nil, err
	}
	res, err := h.runPlans(r.Context(), c, []*plan{p})
	if err != nil {
		return nil, err
	}
	return res[0], nil
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
	return out, nil
}

// batchQuery answers a batch route, {"searches": [...]} of type T in, one
// list of points per search out.
func batchQuery[T any](h *Handler, r *http.Request, planOf func(*T) (*plan, error)) (scoredPointLists, error) {
	if err := checkQueryParams(r, "consistency", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
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
	plans := make([]*plan, len(req.Searches))
	for i := range req.Searches {
		if plans[i], err = planOf(&req.Searches[i]); err != nil {
			return nil, fmt.Errorf("searches[%d]: %w", i, err)
		}
	}
	return h.runPlans(r.Context(), c, plans)
}

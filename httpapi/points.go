package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"github.com/quiver-db/quiver/bm25"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/query"
	"github.com/quiver-db/quiver/sparse"
)

// pointIn is one point of an upsert's list form.
type pointIn struct {
	ID      *pointid.ID    `json:"id"`
	Vector  *pointVectors  `json:"vector"`
	Payload map[string]any `json:"payload"`
}

// upsertRequest is the body of PUT /collections/{c}/points: exactly one of
// the list form (points) and the columnar form (batch).
type upsertRequest struct {
	Points []pointIn `json:"points"`
	Batch  *struct {
		IDs      []pointid.ID     `json:"ids"`
		Vectors  batchVectors     `json:"vectors"`
		Payloads []map[string]any `json:"payloads"`
	} `json:"batch"`
	ShardKey     json.RawMessage `json:"shard_key"`
	UpdateFilter json.RawMessage `json:"update_filter"`
}

func (h *Handler) upsertPoints(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait", "ordering", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var req upsertRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	out, err := h.upsertInput(r.Context(), c, &req)
	if err != nil {
		return nil, err
	}
	if err := h.writeOne(r.Context(), c, index.Operation{Upsert: out}); err != nil {
		return nil, err
	}
	return h.updated(), nil
}

// upsertInput checks an upsert's body and returns its points as the index
// takes them.
func (h *Handler) upsertInput(ctx context.Context, c *index.Collection, req *upsertRequest) ([]index.Point, error) {
	if err := shardKeyUnsupported(req.ShardKey); err != nil {
		return nil, err
	}
	if !isNull(req.UpdateFilter) {
		return nil, badRequest("update_filter: not supported")
	}
	points, err := req.points()
	if err != nil {
		return nil, err
	}
	if len(points) > h.cfg.MaxBatch {
		return nil, badRequest("%d points in one request, limit %d", len(points), h.cfg.MaxBatch)
	}
	return h.indexPoints(ctx, c, points)
}

// indexPoints turns points into the index's, encoding their text
// documents.
func (h *Handler) indexPoints(ctx context.Context, c *index.Collection, points []pointIn) ([]index.Point, error) {
	out := make([]index.Point, len(points))
	var docs, sparseDocs namedDocuments
	for i, p := range points {
		where := fmt.Sprintf("points[%d]", i)
		switch {
		case p.ID == nil:
			return nil, badRequest("%s.id: required", where)
		case p.Vector == nil:
			return nil, badRequest("%s.vector: required", where)
		}
		out[i] = index.Point{ID: *p.ID, Payload: p.Payload}
		if p.Vector.Single != nil {
			if err := pointVector(&out[i].Vector, p.Vector.Single, i, "", where+".vector", &docs); err != nil {
				return nil, err
			}
			continue
		}
		out[i].Vectors = make(map[string][]float32, len(p.Vector.Named))
		for _, name := range slices.Sorted(maps.Keys(p.Vector.Named)) {
			if ok, err := pointSparse(c, &out[i], p.Vector.Named[name], i, name, where+".vector."+name, &sparseDocs); ok || err != nil {
				if err != nil {
					return nil, err
				}
				continue
			}
			var v []float32
			if err := pointVector(&v, p.Vector.Named[name], i, name, where+".vector."+name, &docs); err != nil {
				return nil, err
			}
			out[i].Vectors[name] = v
		}
	}
	if len(docs.docs) > 0 {
		vecs, err := h.engine.EncodeNamed(ctx, c, docs.docs, docs.where)
		if err != nil {
			return nil, err
		}
		for i, v := range vecs {
			at := docs.at[i]
			if out[at.point].Vectors == nil {
				out[at.point].Vector = v
			} else {
				out[at.point].Vectors[at.name] = v
			}
		}
	}
	if len(sparseDocs.docs) > 0 {
		docs := make([]query.Document, len(sparseDocs.docs))
		for i, d := range sparseDocs.docs {
			docs[i] = d.Document
		}
		vecs, err := h.engine.EncodeSparse(docs, sparseDocs.where)
		if err != nil {
			return nil, err
		}
		for i, v := range vecs {
			at := sparseDocs.at[i]
			out[at.point].Sparse[at.name] = v
		}
	}
	return out, nil
}

// points returns the request's points in list form.
func (req *upsertRequest) points() ([]pointIn, error) {
	if (req.Points == nil) == (req.Batch == nil) {
		return nil, badRequest("want exactly one of points and batch")
	}
	if req.Batch == nil {
		return req.Points, nil
	}
	b := req.Batch
	if b.Vectors.Named == nil && len(b.Vectors.List) != len(b.IDs) || b.Payloads != nil && len(b.Payloads) != len(b.IDs) {
		return nil, badRequest("batch: %d ids, %d vectors and %d payloads; want the same number of each", len(b.IDs), len(b.Vectors.List), len(b.Payloads))
	}
	vectors, err := b.Vectors.perPoint(len(b.IDs))
	if err != nil {
		return nil, err
	}
	out := make([]pointIn, len(b.IDs))
	for i := range b.IDs {
		out[i] = pointIn{ID: &b.IDs[i], Vector: vectors[i]}
		if b.Payloads != nil {
			out[i].Payload = b.Payloads[i]
		}
	}
	return out, nil
}

// pointSparse takes in, point i's vector called name, when name is a
// sparse vector of c or in a sparse vector: it sets it in p.Sparse or
// queues its BM25 document in docs, and reports true.
func pointSparse(c *index.Collection, p *index.Point, in *vectorInput, i int, name, where string, docs *namedDocuments) (bool, error) {
	_, err := c.SparseVectorConfig(name)
	isSparse := err == nil
	if !isSparse && in.Sparse == nil {
		return false, nil
	}
	if p.Sparse == nil {
		p.Sparse = map[string]sparse.Vector{}
	}
	switch {
	case in.Sparse != nil:
		p.Sparse[name] = *in.Sparse // a name the collection lacks fails in Upsert
	case in.Doc != nil:
		docs.add(i, name, in.Doc, in.opts)
		p.Sparse[name] = sparse.Vector{}
	default:
		return true, badRequest("%s: %q is a sparse vector: want {\"indices\": [...], \"values\": [...]} or a document {\"text\": ..., \"model\": %q}", where, name, bm25.Model)
	}
	return true, nil
}

// pointVector sets *dst from in, one vector of point i (name "" for the
// unnamed one), or queues its document in docs; where names it in errors.
func pointVector(dst *[]float32, in *vectorInput, i int, name, where string, docs *namedDocuments) error {
	switch {
	case in.ID != nil:
		return badRequest("%s: want a list of numbers or a text document, not a point id", where)
	case in.Sparse != nil:
		return badRequest("%s: a sparse vector needs a name: {\"vector\": {\"name\": {\"indices\": [...], \"values\": [...]}}}", where)
	case in.Doc != nil:
		docs.add(i, name, in.Doc, in.opts)
	default:
		*dst = in.Vector
	}
	return nil
}

func (h *Handler) updated() updateResult {
	return updateResult{OperationID: h.ops.Add(1), Status: "completed"}
}

// retrieveRequest is the body of POST /collections/{c}/points.
type retrieveRequest struct {
	IDs      []pointid.ID    `json:"ids"`
	ShardKey json.RawMessage `json:"shard_key"`
	readSelection
}

func (h *Handler) retrievePoints(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "consistency", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.reader(r)
	if err != nil {
		return nil, err
	}
	var req retrieveRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := shardKeyUnsupported(req.ShardKey); err != nil {
		return nil, err
	}
	if req.IDs == nil {
		return nil, badRequest("ids: required")
	}
	if len(req.IDs) > h.cfg.MaxBatch {
		return nil, badRequest("ids: %d ids, limit %d", len(req.IDs), h.cfg.MaxBatch)
	}
	if err := checkVectorNames(c, req.options(true)); err != nil {
		return nil, err
	}
	recs, err := c.Get(r.Context(), req.IDs, req.options(true))
	if err != nil {
		return nil, err
	}
	out := make([]record, len(recs))
	for i, rec := range recs {
		out[i] = toRecord(rec)
	}
	return out, nil
}

func (h *Handler) getPoint(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "consistency"); err != nil {
		return nil, err
	}
	c, err := h.reader(r)
	if err != nil {
		return nil, err
	}
	id, err := pointid.Parse(mux.Vars(r)["id"])
	if err != nil {
		return nil, badRequest("%v", err)
	}
	recs, err := c.Get(r.Context(), []pointid.ID{id}, index.ReadOptions{WithPayload: true, WithVector: true})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: point %s in collection %q", index.ErrNotFound, id, c.Name())
	}
	return record{ID: recs[0].ID, Payload: nonNil(recs[0].Payload), Vector: vectorOf(recs[0])}, nil
}

func nonNil(p filter.Payload) filter.Payload {
	if p == nil {
		return filter.Payload{}
	}
	return p
}

// deleteRequest is the body of POST /collections/{c}/points/delete:
// exactly one of points (ids) and filter.
type deleteRequest struct {
	Points   []pointid.ID    `json:"points"`
	Filter   *filter.Filter  `json:"filter"`
	ShardKey json.RawMessage `json:"shard_key"`
}

func (h *Handler) deletePoints(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait", "ordering", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var req deleteRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := shardKeyUnsupported(req.ShardKey); err != nil {
		return nil, err
	}
	switch {
	case (req.Points == nil) == (req.Filter == nil):
		return nil, badRequest("want exactly one of points and filter")
	case req.Filter == nil && len(req.Points) > h.cfg.MaxBatch:
		return nil, badRequest("points: %d ids, limit %d", len(req.Points), h.cfg.MaxBatch)
	}
	sel := index.Selector{IDs: req.Points, Filter: req.Filter}
	if err := h.writeOne(r.Context(), c, index.Operation{Delete: &sel}); err != nil {
		return nil, err
	}
	return h.updated(), nil
}

// scrollRequest is the body of POST /collections/{c}/points/scroll.
type scrollRequest struct {
	Offset   *pointid.ID     `json:"offset"`
	Limit    *int            `json:"limit"`
	Filter   *filter.Filter  `json:"filter"`
	OrderBy  json.RawMessage `json:"order_by"`
	ShardKey json.RawMessage `json:"shard_key"`
	readSelection
}

type scrollResult struct {
	Points     []record    `json:"points"`
	NextOffset *pointid.ID `json:"next_page_offset"`
}

func (h *Handler) scrollPoints(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "consistency", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.reader(r)
	if err != nil {
		return nil, err
	}
	var req scrollRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := shardKeyUnsupported(req.ShardKey); err != nil {
		return nil, err
	}
	limit := 10
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit < 1 || limit > h.cfg.MaxLimit {
		return nil, badRequest("limit %d: want 1..%d", limit, h.cfg.MaxLimit)
	}
	if err := checkVectorNames(c, req.options(true)); err != nil {
		return nil, err
	}
	if err := h.reserveResults(r.Context(), limit); err != nil {
		return nil, err
	}
	if !isNull(req.OrderBy) {
		return scrollOrdered(r.Context(), c, &req, limit)
	}
	page, err := c.Scroll(r.Context(), index.ScrollRequest{
		Filter: req.Filter, Offset: req.Offset, Limit: limit, ReadOptions: req.options(true),
	})
	if err != nil {
		return nil, err
	}
	out := scrollResult{Points: make([]record, len(page.Points)), NextOffset: page.Next}
	for i, rec := range page.Points {
		out.Points[i] = toRecord(rec)
	}
	return out, nil
}

// countRequest is the body of POST /collections/{c}/points/count. Counts
// are always exact.
type countRequest struct {
	Filter   *filter.Filter  `json:"filter"`
	Exact    *bool           `json:"exact"`
	ShardKey json.RawMessage `json:"shard_key"`
}

func (h *Handler) countPoints(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "timeout"); err != nil {
		return nil, err
	}
	c, err := h.reader(r)
	if err != nil {
		return nil, err
	}
	var req countRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if err := shardKeyUnsupported(req.ShardKey); err != nil {
		return nil, err
	}
	n, err := c.Count(r.Context(), req.Filter)
	if err != nil {
		return nil, err
	}
	return map[string]int{"count": n}, nil
}

package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// updateVectorsRequest is Qdrant's UpdateVectors, the body of PUT
// /collections/{c}/points/vectors: each point's id and the vectors to set
// (a list for the unnamed vector, or vectors by name, texts included).
type updateVectorsRequest struct {
	Points []struct {
		ID     *pointid.ID   `json:"id"`
		Vector *pointVectors `json:"vector"`
	} `json:"points"`
	ShardKey     json.RawMessage `json:"shard_key"`
	UpdateFilter json.RawMessage `json:"update_filter"`
}

// deleteVectorsRequest is Qdrant's DeleteVectors, the body of POST
// /collections/{c}/points/vectors/delete.
type deleteVectorsRequest struct {
	Points   []pointid.ID    `json:"points"`
	Filter   *filter.Filter  `json:"filter"`
	Vector   []string        `json:"vector"`
	ShardKey json.RawMessage `json:"shard_key"`
}

func (h *Handler) updateVectors(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait", "ordering", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var req updateVectorsRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	points, err := h.vectorsInput(r.Context(), c, &req)
	if err != nil {
		return nil, err
	}
	if err := h.writeOne(r.Context(), c, index.Operation{UpdateVectors: points}); err != nil {
		return nil, err
	}
	return h.updated(), nil
}

// vectorsInput checks an update_vectors body and returns its points as
// the index takes them, with their text documents encoded.
func (h *Handler) vectorsInput(ctx context.Context, c *index.Collection, req *updateVectorsRequest) ([]index.PointVectors, error) {
	if err := shardKeyUnsupported(req.ShardKey); err != nil {
		return nil, err
	}
	if !isNull(req.UpdateFilter) {
		return nil, badRequest("update_filter: not supported")
	}
	if req.Points == nil {
		return nil, badRequest("points: required")
	}
	if len(req.Points) > h.cfg.MaxBatch {
		return nil, badRequest("points: %d points, limit %d", len(req.Points), h.cfg.MaxBatch)
	}
	in := make([]pointIn, len(req.Points))
	for i, p := range req.Points {
		if p.ID == nil {
			return nil, badRequest("points[%d].id: required", i)
		}
		in[i] = pointIn{ID: p.ID, Vector: p.Vector}
	}
	pts, err := h.indexPoints(ctx, c, in)
	if err != nil {
		return nil, err
	}
	out := make([]index.PointVectors, len(pts))
	for i, p := range pts {
		out[i] = index.PointVectors{ID: p.ID, Vectors: p.Vectors, Sparse: p.Sparse}
		if p.Vector != nil {
			out[i].Vectors = map[string][]float32{"": p.Vector}
		}
	}
	return out, nil
}

func (h *Handler) deleteVectors(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait", "ordering", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var req deleteVectorsRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	d, err := h.vectorDeletion(&req)
	if err != nil {
		return nil, err
	}
	if err := h.writeOne(r.Context(), c, index.Operation{DeleteVectors: &d}); err != nil {
		return nil, err
	}
	return h.updated(), nil
}

func (h *Handler) vectorDeletion(req *deleteVectorsRequest) (index.VectorDeletion, error) {
	sel, err := h.selector(req.Points, req.Filter, req.ShardKey)
	if err != nil {
		return index.VectorDeletion{}, err
	}
	if len(req.Vector) == 0 {
		return index.VectorDeletion{}, badRequest("vector: required (the names of the vectors to delete)")
	}
	if len(req.Vector) > index.MaxNamedVectors*2 {
		return index.VectorDeletion{}, badRequest("vector: %d names, limit %d", len(req.Vector), index.MaxNamedVectors*2)
	}
	return index.VectorDeletion{Points: sel, Names: req.Vector}, nil
}

package httpapi

import (
	"fmt"
	"net/http"

	"github.com/quiver-db/quiver/index"
)

// updateBatchRequest is Qdrant's UpdateOperations, the body of POST
// /collections/{c}/points/batch.
type updateBatchRequest struct {
	Operations []updateOperation `json:"operations"`
}

// updateOperation is one of Qdrant's UpdateOperation: exactly one field.
type updateOperation struct {
	Upsert           *upsertRequest        `json:"upsert"`
	Delete           *deleteRequest        `json:"delete"`
	SetPayload       *setPayloadRequest    `json:"set_payload"`
	OverwritePayload *setPayloadRequest    `json:"overwrite_payload"`
	DeletePayload    *deletePayloadRequest `json:"delete_payload"`
	ClearPayload     *deleteRequest        `json:"clear_payload"`
	UpdateVectors    *updateVectorsRequest `json:"update_vectors"`
	DeleteVectors    *deleteVectorsRequest `json:"delete_vectors"`
}

// updateBatch answers POST /collections/{c}/points/batch: the operations
// in order, each validated before any is applied (index.Collection.Apply
// says what holds on a failure midway). The answer has one result per
// operation, as Qdrant's.
func (h *Handler) updateBatch(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "wait", "ordering", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var req updateBatchRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	if req.Operations == nil {
		return nil, badRequest("operations: required")
	}
	if len(req.Operations) > index.MaxOperations {
		return nil, badRequest("operations: %d operations, limit %d", len(req.Operations), index.MaxOperations)
	}
	if n := req.points(); n > h.cfg.MaxBatch {
		return nil, badRequest("operations: %d points and ids in all, limit %d", n, h.cfg.MaxBatch)
	}
	ops := make([]index.Operation, len(req.Operations))
	for i := range req.Operations {
		var where string
		if ops[i], where, err = h.operation(r, c, &req.Operations[i]); err != nil {
			return nil, fmt.Errorf("operations[%d]%s: %w", i, where, err)
		}
	}
	if err := h.writer.Apply(r.Context(), c.Name(), ops); err != nil {
		return nil, err
	}
	out := make([]updateResult, len(ops))
	for i := range out {
		out[i] = h.updated()
	}
	return out, nil
}

// points counts the points and ids the operations name, before any work
// is sized by them.
func (req *updateBatchRequest) points() int {
	n := 0
	for _, op := range req.Operations {
		switch {
		case op.Upsert != nil && op.Upsert.Batch != nil:
			n += len(op.Upsert.Batch.IDs)
		case op.Upsert != nil:
			n += len(op.Upsert.Points)
		case op.Delete != nil:
			n += len(op.Delete.Points)
		case op.SetPayload != nil:
			n += len(op.SetPayload.Points)
		case op.OverwritePayload != nil:
			n += len(op.OverwritePayload.Points)
		case op.DeletePayload != nil:
			n += len(op.DeletePayload.Points)
		case op.ClearPayload != nil:
			n += len(op.ClearPayload.Points)
		case op.UpdateVectors != nil:
			n += len(op.UpdateVectors.Points)
		case op.DeleteVectors != nil:
			n += len(op.DeleteVectors.Points)
		}
	}
	return n
}

// operation turns one operation into the index's; on an error, where is
// the operation's field (".upsert"), to follow "operations[i]".
func (h *Handler) operation(r *http.Request, c *index.Collection, op *updateOperation) (out index.Operation, where string, err error) {
	set := 0
	for _, isSet := range []bool{op.Upsert != nil, op.Delete != nil, op.SetPayload != nil, op.OverwritePayload != nil,
		op.DeletePayload != nil, op.ClearPayload != nil, op.UpdateVectors != nil, op.DeleteVectors != nil} {
		if isSet {
			set++
		}
	}
	if set != 1 {
		return out, "", badRequest("want exactly one of upsert, delete, set_payload, overwrite_payload, delete_payload, clear_payload, update_vectors and delete_vectors, got %d", set)
	}
	switch {
	case op.Upsert != nil:
		where = ".upsert"
		out.Upsert, err = h.upsertInput(r.Context(), c, op.Upsert)
	case op.Delete != nil:
		where = ".delete"
		var sel index.Selector
		sel, err = h.selector(op.Delete.Points, op.Delete.Filter, op.Delete.ShardKey)
		out.Delete = &sel
	case op.SetPayload != nil:
		where = ".set_payload"
		out.Payload, err = h.payloadOp(h.setPayloadUpdate(op.SetPayload, index.PayloadSet))
	case op.OverwritePayload != nil:
		where = ".overwrite_payload"
		out.Payload, err = h.payloadOp(h.setPayloadUpdate(op.OverwritePayload, index.PayloadOverwrite))
	case op.DeletePayload != nil:
		where = ".delete_payload"
		out.Payload, err = h.payloadOp(h.deletePayloadUpdate(op.DeletePayload))
	case op.ClearPayload != nil:
		where = ".clear_payload"
		sel, serr := h.selector(op.ClearPayload.Points, op.ClearPayload.Filter, op.ClearPayload.ShardKey)
		out.Payload, err = &index.PayloadUpdate{Kind: index.PayloadClear, Points: sel}, serr
	case op.UpdateVectors != nil:
		where = ".update_vectors"
		out.UpdateVectors, err = h.vectorsInput(r.Context(), c, op.UpdateVectors)
	default:
		where = ".delete_vectors"
		var d index.VectorDeletion
		d, err = h.vectorDeletion(op.DeleteVectors)
		out.DeleteVectors = &d
	}
	return out, where, err
}

func (h *Handler) payloadOp(u index.PayloadUpdate, err error) (*index.PayloadUpdate, error) {
	return &u, err
}

package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// setPayloadRequest is Qdrant's SetPayload: the body of POST and PUT
// /collections/{c}/points/payload, and of a batch's set_payload and
// overwrite_payload.
type setPayloadRequest struct {
	Payload  map[string]any  `json:"payload"`
	Points   []pointid.ID    `json:"points"`
	Filter   *filter.Filter  `json:"filter"`
	Key      *string         `json:"key"`
	ShardKey json.RawMessage `json:"shard_key"`
}

// deletePayloadRequest is Qdrant's DeletePayload, the body of POST
// /collections/{c}/points/payload/delete.
type deletePayloadRequest struct {
	Keys     []string        `json:"keys"`
	Points   []pointid.ID    `json:"points"`
	Filter   *filter.Filter  `json:"filter"`
	ShardKey json.RawMessage `json:"shard_key"`
}

func (h *Handler) setPayload(r *http.Request) (any, error) {
	return h.setPayloadAs(r, index.PayloadSet)
}

func (h *Handler) overwritePayload(r *http.Request) (any, error) {
	return h.setPayloadAs(r, index.PayloadOverwrite)
}

// setPayloadAs answers POST (set) and PUT (overwrite) of /points/payload,
// which take the same body.
func (h *Handler) setPayloadAs(r *http.Request, kind index.PayloadUpdateKind) (any, error) {
	return h.payloadRoute(r, func() (index.PayloadUpdate, error) {
		var req setPayloadRequest
		if err := decodeJSON(r, &req); err != nil {
			return index.PayloadUpdate{}, err
		}
		return h.setPayloadUpdate(&req, kind)
	})
}

func (h *Handler) deletePayload(r *http.Request) (any, error) {
	return h.payloadRoute(r, func() (index.PayloadUpdate, error) {
		var req deletePayloadRequest
		if err := decodeJSON(r, &req); err != nil {
			return index.PayloadUpdate{}, err
		}
		return h.deletePayloadUpdate(&req)
	})
}

func (h *Handler) clearPayload(r *http.Request) (any, error) {
	return h.payloadRoute(r, func() (index.PayloadUpdate, error) {
		var req deleteRequest
		if err := decodeJSON(r, &req); err != nil {
			return index.PayloadUpdate{}, err
		}
		sel, err := h.selector(req.Points, req.Filter, req.ShardKey)
		return index.PayloadUpdate{Kind: index.PayloadClear, Points: sel}, err
	})
}

// payloadRoute is the common part of the payload routes: decode builds
// the update from the body.
func (h *Handler) payloadRoute(r *http.Request, decode func() (index.PayloadUpdate, error)) (any, error) {
	if err := checkQueryParams(r, "wait", "ordering", "timeout"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	u, err := decode()
	if err != nil {
		return nil, err
	}
	if err := h.writeOne(r.Context(), c, index.Operation{Payload: &u}); err != nil {
		return nil, err
	}
	return h.updated(), nil
}

func (h *Handler) setPayloadUpdate(req *setPayloadRequest, kind index.PayloadUpdateKind) (index.PayloadUpdate, error) {
	sel, err := h.selector(req.Points, req.Filter, req.ShardKey)
	if err != nil {
		return index.PayloadUpdate{}, err
	}
	if req.Payload == nil {
		return index.PayloadUpdate{}, badRequest("payload: required (a JSON object)")
	}
	u := index.PayloadUpdate{Kind: kind, Points: sel, Payload: req.Payload}
	if req.Key != nil {
		if kind == index.PayloadOverwrite {
			return index.PayloadUpdate{}, badRequest("key: not supported when overwriting the payload; use set payload")
		}
		u.Key = *req.Key
		if u.Key == "" {
			return index.PayloadUpdate{}, badRequest("key: empty; omit it to set at the top of the payload")
		}
	}
	return u, nil
}

func (h *Handler) deletePayloadUpdate(req *deletePayloadRequest) (index.PayloadUpdate, error) {
	sel, err := h.selector(req.Points, req.Filter, req.ShardKey)
	if err != nil {
		return index.PayloadUpdate{}, err
	}
	if req.Keys == nil {
		return index.PayloadUpdate{}, badRequest("keys: required (a list of payload key paths)")
	}
	if len(req.Keys) > h.cfg.MaxBatch {
		return index.PayloadUpdate{}, badRequest("keys: %d keys, limit %d", len(req.Keys), h.cfg.MaxBatch)
	}
	return index.PayloadUpdate{Kind: index.PayloadDeleteKeys, Points: sel, Keys: req.Keys}, nil
}

// selector checks Qdrant's PointsSelector (exactly one of points and
// filter) and returns it as the index takes it.
func (h *Handler) selector(points []pointid.ID, f *filter.Filter, shardKey json.RawMessage) (index.Selector, error) {
	if err := shardKeyUnsupported(shardKey); err != nil {
		return index.Selector{}, err
	}
	switch {
	case points != nil && f != nil:
		return index.Selector{}, badRequest("points and filter: want exactly one of them, not both")
	case points == nil && f == nil:
		return index.Selector{}, badRequest("points or filter: want exactly one of them")
	case len(points) > h.cfg.MaxBatch:
		return index.Selector{}, badRequest("points: %d ids, limit %d", len(points), h.cfg.MaxBatch)
	}
	return index.Selector{IDs: points, Filter: f}, nil
}

package httpapi

import (
	"fmt"
	"net/http"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

// predictRequest is the body of POST .../predict.
type predictRequest struct {
	User  *userid.ID   `json:"user"`
	Items []pointid.ID `json:"items"`
}

// predict answers POST .../predict: the ratings the user would give the
// items, in the order asked, from the trained model.
func (h *Handler) predict(r *http.Request) (any, error) {
	if err := checkQueryParams(r, "consistency"); err != nil {
		return nil, err
	}
	c, err := h.collection(r)
	if err != nil {
		return nil, err
	}
	var req predictRequest
	if err := decodeJSON(r, &req); err != nil {
		return nil, err
	}
	switch {
	case req.User == nil:
		return nil, badRequest("user: required")
	case len(req.Items) == 0:
		return nil, badRequest("items: want at least one point id")
	case len(req.Items) > h.cfg.MaxLimit:
		return nil, badRequest("items: %d ids, limit %d", len(req.Items), h.cfg.MaxLimit)
	}
	points, err := h.reader(r) // a sharded collection's are in its shards
	if err != nil {
		return nil, err
	}
	recs, err := points.Get(r.Context(), req.Items, index.ReadOptions{})
	if err != nil {
		return nil, err
	}
	if len(recs) < len(req.Items) {
		have := make(map[pointid.ID]bool, len(recs))
		for _, rec := range recs {
			have[rec.ID] = true
		}
		for i, id := range req.Items {
			if !have[id] {
				return nil, fmt.Errorf("items[%d]: collection %q has no point %s: %w", i, c.Name(), id, index.ErrNotFound)
			}
		}
	}
	out, err := h.trainer.Predict(r.Context(), c, *req.User, req.Items)
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	return out, nil
}

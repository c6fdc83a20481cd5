package httpapi

import (
	"net/http"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/query"
)

// projectionRequest is the body of POST /collections/{c}/points/projection,
// Quiver's own route: the dashboard's 2-D map of a sample.
type projectionRequest struct {
	Using   string         `json:"using"`
	Filter  *filter.Filter `json:"filter"`
	Limit   *int           `json:"limit"`
	ColorBy string         `json:"color_by"`
}

type projectedPoint struct {
	ID    pointid.ID `json:"id"`
	X     float64    `json:"x"`
	Y     float64    `json:"y"`
	Value any        `json:"value"`
}

type projectionResult struct {
	Points            []projectedPoint `json:"points"`
	ExplainedVariance [2]float64       `json:"explained_variance"`
	Sample            int              `json:"sample"`
}

func (h *Handler) projectPoints(r *http.Request) (any, error) {
	c, req, err := decodeRead[projectionRequest](h, r)
	if err != nil {
		return nil, err
	}
	limit := query.DefaultProjectSample
	if req.Limit != nil {
		limit = *req.Limit
	}
	// Checked here too, before the budget is asked for so many.
	if limit < 1 || limit > query.MaxProjectSample {
		return nil, badRequest("limit %d: want 1..%d", limit, query.MaxProjectSample)
	}
	if err := h.reserveResults(r.Context(), limit); err != nil {
		return nil, err
	}
	m, err := h.engine.Project(r.Context(), c, query.ProjectRequest{Using: req.Using, Filter: req.Filter, Limit: limit, ColorBy: req.ColorBy})
	if err != nil {
		return nil, err
	}
	out := projectionResult{Points: make([]projectedPoint, len(m.Points)), ExplainedVariance: m.Explained, Sample: m.Sample}
	for i, p := range m.Points {
		out.Points[i] = projectedPoint{ID: p.ID, X: p.X, Y: p.Y, Value: p.Value}
	}
	return out, nil
}

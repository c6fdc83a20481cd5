package query

import (
	"context"
	"fmt"
	"strings"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/projection"
)

// Bounds of a projection: the sample's points, and the numbers it holds
// (points × the vector's size), so that wide vectors take fewer points
// and the SVD stays within a second or so.
const (
	MaxProjectSample  = 1000
	MaxProjectNumbers = 1 << 20
	// DefaultProjectSample is the sample of a request without a limit.
	DefaultProjectSample = 500
)

// ProjectRequest asks for a 2-D map of a sample of a collection's points.
type ProjectRequest struct {
	// Using names the dense vector mapped ("" is the unnamed one).
	Using string
	// Filter selects the points sampled; nil selects all.
	Filter *filter.Filter
	// Limit is the sample's size: the first Limit points in id order
	// that match and carry the vector, fewer when MaxProjectNumbers
	// binds. Zero means DefaultProjectSample; at most MaxProjectSample.
	Limit int
	// ColorBy is a payload key whose value each point reports (its first
	// value, for an array); empty means none.
	ColorBy string
}

// ProjectedPoint is one point of a map.
type ProjectedPoint struct {
	ID    pointid.ID
	X, Y  float64
	Value any // the ColorBy value; nil when the point has none
}

// Projection is a map: its points and the share of the sample's variance
// along each axis.
type Projection struct {
	Points    []ProjectedPoint
	Explained [2]float64
	// Sample is the number of points the bounds allowed for.
	Sample int
}

// Project maps a sample of c's points onto the plane of their first two
// principal components (package projection).
func (e *Engine) Project(ctx context.Context, c Collection, req ProjectRequest) (Projection, error) {
	limit := req.Limit
	if limit == 0 {
		limit = DefaultProjectSample
	}
	if limit < 1 || limit > MaxProjectSample {
		return Projection{}, badRequest("limit %d: want 1..%d", limit, MaxProjectSample)
	}
	vc, err := c.VectorConfig(req.Using)
	if err != nil {
		return Projection{}, fmt.Errorf("using %q: %w", req.Using, err)
	}
	limit = min(limit, max(1, MaxProjectNumbers/max(1, vc.Size)))
	opts := index.ReadOptions{WithVector: true}
	if cfg := c.Config(); cfg.Named() {
		opts.VectorNames = []string{req.Using}
	}
	if req.ColorBy != "" {
		top, _, _ := strings.Cut(req.ColorBy, ".")
		opts.WithPayload, opts.Include = true, []string{strings.TrimSuffix(top, "[]")}
	}
	page, err := c.Scroll(ctx, index.ScrollRequest{Filter: req.Filter, Limit: limit, ReadOptions: opts})
	if err != nil {
		return Projection{}, err
	}
	out := Projection{Points: make([]ProjectedPoint, 0, len(page.Points)), Sample: limit}
	rows := make([][]float32, 0, len(page.Points))
	for _, rec := range page.Points {
		v := rec.Vector
		if opts.VectorNames != nil {
			v = rec.Vectors[req.Using]
		}
		if v == nil {
			continue // a point without this named vector
		}
		p := ProjectedPoint{ID: rec.ID}
		if vals := filter.Values(rec.Payload, req.ColorBy); req.ColorBy != "" && len(vals) > 0 {
			p.Value = vals[0]
		}
		out.Points = append(out.Points, p)
		rows = append(rows, v)
	}
	if err := ctx.Err(); err != nil {
		return Projection{}, err
	}
	plane, err := projection.PCA(rows)
	if err != nil {
		return Projection{}, fmt.Errorf("project %q: %w", c.Name(), err)
	}
	for i := range out.Points {
		out.Points[i].X, out.Points[i].Y = plane.X[i], plane.Y[i]
	}
	out.Explained = plane.Explained
	return out, nil
}

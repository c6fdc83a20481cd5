package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/quiver-db/quiver/recommend"
	"github.com/quiver-db/quiver/recommend/eval"
)

// RecDotPoint is one DotHybrid setting scored on validation.
type RecDotPoint struct {
	Settings   string    `json:"settings"`
	Validation eval.TopN `json:"validation"`
}

// dotHybridGrid is the validation grid of recommend.DotHybrid over the
// tuned iALS model: the recency of the user side's fold-in (the training
// weighting, or sharper), and the weights of content and popularity.
func dotHybridGrid(train IALSSettings, centroid recommend.CentroidOptions) []recommend.DotHybridOptions {
	var grid []recommend.DotHybridOptions
	for _, rec := range [][2]float64{{train.RecencyBeta, train.RecencyHalfLife}, {10, 10}, {20, 10}} {
		for _, wc := range []float32{0, 0.25, 0.5, 0.7} {
			for _, wp := range []float32{0, 0.2} {
				grid = append(grid, recommend.DotHybridOptions{ContentWeight: wc, PopularityWeight: wp,
					RecencyBeta: rec[0], RecencyHalfLife: rec[1], Centroid: centroid})
			}
		}
	}
	return grid
}

func dotName(o recommend.DotHybridOptions) string {
	return fmt.Sprintf("fold rec=%g/%g content %g pop %g", o.RecencyBeta, o.RecencyHalfLife, o.ContentWeight, o.PopularityWeight)
}

// runDotHybrid tunes DotHybrid on validation, scores it on test, serves it
// through HNSW and times its fold-in.
func (r *recRun) runDotHybrid(ctx context.Context) error {
	var centroid recommend.CentroidOptions
	for _, o := range centroidWeightings {
		if centroidName(o) == r.settingsOf("content") {
			centroid = o
		}
	}
	set := r.dotIALS()
	fitted := map[*splitData]*recommend.IALS{}
	grid := dotHybridGrid(set, centroid)
	var cands []candidate
	for _, o := range grid {
		cands = append(cands, candidate{dotName(o), func(ctx context.Context, d *splitData) (recommend.Scorer, error) {
			m := fitted[d]
			if m == nil {
				var err error
				if m, err = r.fitIALS(ctx, d, set); err != nil {
					return nil, err
				}
				fitted[d] = m
			}
			return recommend.NewDotHybrid(m, d.ratings, r.content, o)
		}})
	}
	best, err := r.tune(ctx, "dot hybrid", cands)
	if err != nil {
		return err
	}
	for k, v := range r.lastValidation {
		r.res.DotGrid = append(r.res.DotGrid, RecDotPoint{Settings: dotName(grid[k]), Validation: v})
	}
	h := best.(*recommend.DotHybrid)
	r.res.DotIALS = set
	r.res.DotFoldInMicros, r.res.DotFoldInMaxMicros = r.timeFoldIn(h)
	r.logf("dot hybrid over iALS %s: fold-in %.0f µs per user on average, %.0f µs at most (dimension %d)",
		set, r.res.DotFoldInMicros, r.res.DotFoldInMaxMicros, h.Dim())
	r.res.DotHNSW, err = r.serveHNSW(ctx, "dot hybrid "+r.res.Models[len(r.res.Models)-1].Settings, h, h.Dim())
	return err
}

// dotMaxFactors bounds the iALS factors under DotHybrid: the server folds
// users in at query time within about 1 ms, and the exact iALS fold-in of
// a user with n items costs O(n·f² + f³) (128 factors took 1.3 ms on
// average on the bench machine).
const dotMaxFactors = 64

// dotIALS is the iALS point DotHybrid builds on: the best on validation
// within dotMaxFactors.
func (r *recRun) dotIALS() IALSSettings {
	best, bestNDCG := BestIALS, -1.0
	for _, p := range r.res.Grid {
		if p.Settings.Factors <= dotMaxFactors && p.Validation.NDCGAt10 > bestNDCG {
			best, bestNDCG = p.Settings, p.Validation.NDCGAt10
		}
	}
	return best
}

// timeFoldIn is the mean and the longest time of h.FoldIn over the test
// split's users, in µs.
func (r *recRun) timeFoldIn(h *recommend.DotHybrid) (mean, longest float64) {
	d := r.tst.ratings
	dst := make([]float32, 0, h.Dim())
	var total time.Duration
	for u := range d.Users() {
		items, ws := d.UserItems(u)
		start := time.Now()
		dst, _ = h.FoldIn(dst, items, ws, d.UserTimes(u))
		t := time.Since(start)
		total += t
		longest = max(longest, float64(t.Nanoseconds())/1e3)
	}
	return float64(total.Nanoseconds()) / 1e3 / float64(max(d.Users(), 1)), longest
}

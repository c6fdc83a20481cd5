package bench

import (
	"context"
	"fmt"

	"github.com/quiver-db/quiver/recommend"
	"github.com/quiver-db/quiver/recommend/eval"
)

// runRatings tunes the rating models on validation RMSE and scores each
// best point on test once.
func (r *recRun) runRatings(ctx context.Context) error {
	type ratingCand struct {
		settings string
		fit      func(ctx context.Context, d *splitData) (func(u, i int) float32, error)
	}
	tuneRating := func(name string, cands []ratingCand) error {
		best, bestRMSE := -1, 0.0
		var bestVal eval.Errors
		for k, c := range cands {
			p, err := c.fit(ctx, r.val)
			if err != nil {
				return fmt.Errorf("%s %s: %w", name, c.settings, err)
			}
			e := eval.RatingErrors(p, r.val.split.Test, 0.5, 5)
			r.logf("  validation %-12s %-44s RMSE %.4f  MAE %.4f", name, c.settings, e.RMSE, e.MAE)
			if best < 0 || e.RMSE < bestRMSE {
				best, bestRMSE, bestVal = k, e.RMSE, e
			}
		}
		c := cands[best]
		p, secs, _, err := timed(func() (func(u, i int) float32, error) { return c.fit(ctx, r.tst) })
		if err != nil {
			return err
		}
		e := eval.RatingErrors(p, r.tst.split.Test, 0.5, 5)
		r.logf("test %-12s %-44s RMSE %.4f  MAE %.4f  (%.1fs)", name, c.settings, e.RMSE, e.MAE, secs)
		r.res.Ratings = append(r.res.Ratings, RecRating{Model: name, Settings: c.settings, Validation: bestVal, Test: e, TrainSeconds: secs})
		return nil
	}
	var biasCands []ratingCand
	for _, l := range [][2]float32{{2, 2}, {5, 2}, {5, 5}, {10, 5}, {10, 10}, {15, 25}} {
		biasCands = append(biasCands, ratingCand{fmt.Sprintf("λu=%g λi=%g", l[0], l[1]), func(_ context.Context, d *splitData) (func(u, i int) float32, error) {
			b, err := recommend.TrainBiases(d.ratings, l[0], l[1])
			if err != nil {
				return nil, err
			}
			return b.Predict, nil
		}})
	}
	if err := tuneRating("biases", biasCands); err != nil {
		return err
	}
	var mfCands []ratingCand
	for _, o := range []recommend.MFOptions{
		{Factors: 100, Epochs: 20, LearningRate: 0.005, Lambda: 0.02},
		{Factors: 100, Epochs: 30, LearningRate: 0.005, Lambda: 0.05},
		{Factors: 100, Epochs: 40, LearningRate: 0.005, Lambda: 0.1},
		{Factors: 50, Epochs: 30, LearningRate: 0.01, Lambda: 0.05},
	} {
		o.Seed = r.cfg.Seed
		mfCands = append(mfCands, ratingCand{fmt.Sprintf("f=%d epochs=%d lr=%g λ=%g", o.Factors, o.Epochs, o.LearningRate, o.Lambda),
			func(ctx context.Context, d *splitData) (func(u, i int) float32, error) {
				mf, err := recommend.TrainBiasedMF(ctx, d.ratings, o)
				if err != nil {
					return nil, err
				}
				return mf.Predict, nil
			}})
	}
	if err := tuneRating("biased MF", mfCands); err != nil {
		return err
	}
	var recentCands []ratingCand
	for _, o := range recentBiasGrid() {
		recentCands = append(recentCands, ratingCand{fmt.Sprintf("floor=%g half-life=%g λu=%g λi=%g", o.Floor, o.HalfLife, o.LambdaUser, o.LambdaItem),
			func(_ context.Context, d *splitData) (func(u, i int) float32, error) {
				m, err := recommend.TrainRatings(d.ratings, o)
				if err != nil {
					return nil, err
				}
				return m.Predict, nil
			}})
	}
	return tuneRating("recent biases", recentCands)
}

// recentBiasGrid is the validation grid of recommend.Ratings: how far old
// ratings fall (floor), how fast (half-life, in the user's later ratings),
// and the shrinkage of both biases. Validation RMSE is flat near the best
// point (0.8639 at floor 0.01, half-life 20, λu 1.25, λi 5; plain biases
// 0.8819).
func recentBiasGrid() []recommend.RatingsOptions {
	var grid []recommend.RatingsOptions
	for _, floor := range []float32{0.01, 0.03, 0.1} {
		for _, hl := range []float64{10, 20, 40} {
			for _, lu := range []float32{0.5, 1.25, 3} {
				for _, li := range []float32{2, 5} {
					grid = append(grid, recommend.RatingsOptions{Floor: floor, HalfLife: hl, LambdaUser: lu, LambdaItem: li})
				}
			}
		}
	}
	return grid
}

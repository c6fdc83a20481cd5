package trainer

import (
	"errors"
	"fmt"

	"github.com/quiver-db/quiver/recommend"
)

// Options are a training's settings; zero fields take the defaults their
// comments state, which are the settings tuned on MovieLens (see bench).
type Options struct {
	// Factors is the vectors' dimension: the size of the Vector the model
	// writes to when the collection has it, else 64. At most 512.
	Factors int `json:"factors"`
	// Iterations is the number of alternating passes. Default 15, at
	// most 100.
	Iterations int `json:"iterations"`
	// Alpha scales confidence with |weight|; Alpha0 weighs unobserved
	// pairs; Lambda regularises, scaled by (count + Alpha0·items)^Nu.
	// Defaults 1, 1, 30 and 0.
	Alpha  float32 `json:"alpha"`
	Alpha0 float32 `json:"alpha0"`
	Lambda float32 `json:"lambda"`
	Nu     float32 `json:"nu"`
	// Weights is how interaction weights enter: "binary" (default; every
	// positive weight counts as 1, every negative as −1, as the MovieLens
	// tuning found best) or "raw".
	Weights string `json:"weights"`
	// RecencyBeta and RecencyHalfLife weigh a user's latest interactions
	// up to 1+beta times more (recommend.RecencyWeighted). Defaults 5 and
	// 20; a negative beta turns the weighting off.
	RecencyBeta     float64 `json:"recency_beta"`
	RecencyHalfLife float64 `json:"recency_half_life"`
	// Vector is the named vector that receives the item factors, searched
	// when recommending for a user. Default "cf"; a collection without it
	// keeps the model for fold-in and explanations only.
	Vector string `json:"vector"`
	// Content is the vector a cold item's factors are mapped from (a ridge
	// map fitted on the items with interactions). Default: the
	// collection's only other named vector, if it has exactly one.
	Content string `json:"content"`
	// Hybrid is the named vector that receives the DotHybrid item vectors
	// (iALS + content centroid + popularity as one dot product, see
	// recommend.DotHybrid): a Dot vector of size factors + content size +
	// 1. Default "hybrid"; a collection without a fitting one, or without
	// a Content vector, gets no hybrid.
	Hybrid string `json:"hybrid"`
	// HybridContentWeight and HybridPopularityWeight weigh the hybrid's
	// standardised content and popularity scores against iALS's (weight
	// 1). Defaults 0.5 and 0.2; a negative weight leaves the part out.
	HybridContentWeight    float32 `json:"hybrid_content_weight"`
	HybridPopularityWeight float32 `json:"hybrid_popularity_weight"`
	// HybridCentroid weighs a user's items in the hybrid's content
	// centroid: "rating" (weight − 2.5, for 0.5–5 star ratings: a 2 pulls
	// the centroid away) or "uniform" (every item 1). Default "rating" when
	// the training weights all lie in 0.5..5 and are not all equal, else
	// "uniform" (implicit weights, all 1 by default, would all count as
	// dislikes).
	HybridCentroid string `json:"hybrid_centroid"`
	// HybridCentroidHalfLife, when positive, also weighs each item in the
	// hybrid's centroid by 2^(−later/half-life), later counting the user's
	// later items. Default 0, none (the tuning with hashed content; with
	// text vectors bench rec's validation chose 20).
	HybridCentroidHalfLife float64 `json:"hybrid_centroid_half_life"`
	// Seed fixes the initial factors.
	Seed uint64 `json:"seed"`
}

// Default settings (BestIALS in bench, chosen on the validation split).
const (
	defaultLambda   = 30
	defaultBeta     = 5
	defaultHalfLife = 20
	defaultVector   = "cf"
	defaultHybrid   = "hybrid"
	// The hybrid's defaults: bench rec's tuning over iALS 64/λ30/recency
	// 5/20 on MovieLens, where the content was hashed genres and title
	// words; the server's content is the collection's text vector, on
	// which these weights were not tuned. Served with all-MiniLM-L6-v2
	// text vectors (bench rec --http --hybrid), test NDCG@10 0.1329
	// against cf's 0.1285; offline with hashed content, 0.1327 against
	// 0.1271. With those text vectors bench rec's validation chose content
	// 0.25 and a centroid half-life of 20 (offline test 0.1335, served
	// 0.1342).
	defaultHybridContent    = 0.5
	defaultHybridPopularity = 0.2
	hybridBeta              = 20
	hybridHalfLife          = 10
	hybridRatingShift       = 2.5
	// ridgeLambda regularises the content → factors map (bench's ridge row).
	ridgeLambda = 1
)

// Validate reports every problem with the options.
func (o Options) Validate() error {
	var errs []error
	if o.Factors < 0 || o.Factors > 512 {
		errs = append(errs, fmt.Errorf("factors %d: want 1..512", o.Factors))
	}
	if o.Iterations < 0 || o.Iterations > 100 {
		errs = append(errs, fmt.Errorf("iterations %d: want 1..100", o.Iterations))
	}
	if o.Alpha < 0 || o.Alpha0 < 0 || o.Lambda < 0 || o.Nu < 0 || o.Nu > 2 {
		errs = append(errs, errors.New("alpha, alpha0 and lambda must not be negative, nu within 0..2"))
	}
	if o.Weights != "" && o.Weights != "binary" && o.Weights != "raw" {
		errs = append(errs, fmt.Errorf("weights %q: want binary or raw", o.Weights))
	}
	if o.RecencyBeta > 100 || o.RecencyHalfLife < 0 || o.RecencyHalfLife > 1e6 {
		errs = append(errs, errors.New("recency_beta at most 100, recency_half_life within 0..1e6"))
	}
	if o.HybridContentWeight > 100 || o.HybridPopularityWeight > 100 {
		errs = append(errs, errors.New("hybrid_content_weight and hybrid_popularity_weight at most 100"))
	}
	if o.HybridCentroidHalfLife < 0 || o.HybridCentroidHalfLife > 1e6 {
		errs = append(errs, errors.New("hybrid_centroid_half_life within 0..1e6"))
	}
	if o.HybridCentroid != "" && o.HybridCentroid != "rating" && o.HybridCentroid != "uniform" {
		errs = append(errs, fmt.Errorf("hybrid_centroid %q: want rating or uniform", o.HybridCentroid))
	}
	return errors.Join(errs...)
}

// withDefaults fills zero fields, so a job reports the settings it ran
// with; factors defaults to size, the target vector's size (0 if none).
func (o Options) withDefaults(size int) Options {
	if o.Factors == 0 && size > 0 {
		o.Factors = size
	}
	if o.Lambda == 0 {
		o.Lambda = defaultLambda
	}
	if o.Weights == "" {
		o.Weights = "binary"
	}
	if o.RecencyBeta == 0 {
		o.RecencyBeta = defaultBeta
	}
	if o.RecencyHalfLife == 0 {
		o.RecencyHalfLife = defaultHalfLife
	}
	if o.Vector == "" {
		o.Vector = defaultVector
	}
	if o.HybridContentWeight == 0 {
		o.HybridContentWeight = defaultHybridContent
	}
	if o.HybridPopularityWeight == 0 {
		o.HybridPopularityWeight = defaultHybridPopularity
	}
	r := o.ials()
	r.EnsureDefaults()
	o.Factors, o.Iterations, o.Alpha, o.Alpha0, o.Lambda, o.Nu, o.Seed = r.Factors, r.Iterations, r.Alpha, r.Alpha0, r.Lambda, r.Nu, r.Seed
	return o
}

func (o Options) ials() recommend.IALSOptions {
	return recommend.IALSOptions{Factors: o.Factors, Iterations: o.Iterations, Alpha: o.Alpha, Alpha0: o.Alpha0, Lambda: o.Lambda, Nu: o.Nu, Seed: o.Seed}
}

// dotHybrid returns the hybrid's options; ratingWeights is whether the
// centroid weighs by rating, when HybridCentroid leaves it to the data.
func (o Options) dotHybrid(ratingWeights bool) recommend.DotHybridOptions {
	h := recommend.DotHybridOptions{ContentWeight: max(o.HybridContentWeight, 0), PopularityWeight: max(o.HybridPopularityWeight, 0),
		RecencyBeta: hybridBeta, RecencyHalfLife: hybridHalfLife}
	if o.HybridCentroid == "rating" || (o.HybridCentroid == "" && ratingWeights) {
		h.Centroid = recommend.CentroidOptions{RatingWeight: true, RatingShift: hybridRatingShift}
	}
	h.Centroid.RecencyHalfLife = o.HybridCentroidHalfLife
	return h
}

// looksLikeRatings reports whether raw weights are explicit star ratings:
// all within 0.5..5 (MovieLens has half stars) and not all equal.
func looksLikeRatings(events []recommend.Interaction) bool {
	if len(events) == 0 {
		return false
	}
	first := events[0].Weight
	varied := false
	for _, e := range events {
		if e.Weight < 0.5 || e.Weight > 5 {
			return false
		}
		varied = varied || e.Weight != first
	}
	return varied
}

// recipe is how a user's interactions become the weights the model saw:
// kept with the model, so a fold-in weighs a history as training did.
type recipe struct {
	binary         bool
	beta, halfLife float64
}

func (o Options) recipe() recipe {
	return recipe{binary: o.Weights == "binary", beta: max(o.RecencyBeta, 0), halfLife: o.RecencyHalfLife}
}

// weigh turns one user's raw weights into the model's, in place.
func (r recipe) weigh(weights []float32, times []int64) {
	if r.binary {
		for k, w := range weights {
			weights[k] = sign(w)
		}
	}
	recommend.RecencyScale(weights, times, r.beta, r.halfLife)
}

// sign is 1 for a positive weight, −1 for a negative one (a dislike).
func sign(w float32) float32 {
	if w < 0 {
		return -1
	}
	return 1
}

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
	// Seed fixes the initial factors.
	Seed uint64 `json:"seed"`
}

// Default settings (BestIALS in bench, chosen on the validation split).
const (
	defaultLambda   = 30
	defaultBeta     = 5
	defaultHalfLife = 20
	defaultVector   = "cf"
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
	r := o.ials()
	r.EnsureDefaults()
	o.Factors, o.Iterations, o.Alpha, o.Alpha0, o.Lambda, o.Nu, o.Seed = r.Factors, r.Iterations, r.Alpha, r.Alpha0, r.Lambda, r.Nu, r.Seed
	return o
}

func (o Options) ials() recommend.IALSOptions {
	return recommend.IALSOptions{Factors: o.Factors, Iterations: o.Iterations, Alpha: o.Alpha, Alpha0: o.Alpha0, Lambda: o.Lambda, Nu: o.Nu, Seed: o.Seed}
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

package recommend

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// BPROptions configure Bayesian personalised ranking (Rendle et al. 2009):
// SGD on ln σ(<θ_u, φ_i> − <θ_u, φ_j>) for an observed i and a sampled
// unobserved j. Zero fields mean their defaults.
type BPROptions struct {
	// Factors is the dimension f. Default 64.
	Factors int
	// Epochs over the observed pairs. Default 60.
	Epochs int
	// LearningRate of SGD. Default 0.05.
	LearningRate float32
	// Lambda is the L2 regularisation of the factors. Default 0.002.
	Lambda float32
	// InitStd of the initial factors. Default 0.1.
	InitStd float32
	// Seed fixes initialisation and sampling. Training is single-threaded,
	// so the result depends only on the seed and the data.
	Seed uint64
	// Progress, when set, is called after every epoch with the mean BPR loss.
	Progress ProgressFunc
}

// EnsureDefaults fills zero fields.
func (o *BPROptions) EnsureDefaults() {
	if o.Factors == 0 {
		o.Factors = 64
	}
	if o.Epochs == 0 {
		o.Epochs = 60
	}
	if o.LearningRate == 0 {
		o.LearningRate = 0.05
	}
	if o.Lambda == 0 {
		o.Lambda = 0.002
	}
	if o.InitStd == 0 {
		o.InitStd = 0.1
	}
}

// Validate reports every problem, after defaults.
func (o BPROptions) Validate() error {
	var errs []error
	if o.Factors < 1 || o.Factors > 4096 {
		errs = append(errs, fmt.Errorf("bpr: Factors = %d, want 1..4096: %w", o.Factors, ErrOptions))
	}
	if o.Epochs < 1 {
		errs = append(errs, fmt.Errorf("bpr: Epochs = %d, want ≥ 1: %w", o.Epochs, ErrOptions))
	}
	if !(o.LearningRate > 0) {
		errs = append(errs, fmt.Errorf("bpr: LearningRate = %g, want > 0: %w", o.LearningRate, ErrOptions))
	}
	if o.Lambda < 0 {
		errs = append(errs, fmt.Errorf("bpr: Lambda = %g, want ≥ 0: %w", o.Lambda, ErrOptions))
	}
	if !(o.InitStd > 0) {
		errs = append(errs, fmt.Errorf("bpr: InitStd = %g, want > 0: %w", o.InitStd, ErrOptions))
	}
	return errors.Join(errs...)
}

// BPR is a trained BPR-MF model, scoring by <θ_u, φ_i>.
type BPR struct {
	opts         BPROptions
	users, items []float32
}

// TrainBPR fits BPR-MF to the positive pairs of m (weights > 0).
func TrainBPR(ctx context.Context, m *Matrix, opts BPROptions) (*BPR, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Factors
	rng := rand.New(rand.NewPCG(opts.Seed, 1))
	b := &BPR{opts: opts, users: make([]float32, m.Users()*f), items: make([]float32, m.Items()*f)}
	for k := range b.users {
		b.users[k] = float32(rng.NormFloat64()) * opts.InitStd
	}
	for k := range b.items {
		b.items[k] = float32(rng.NormFloat64()) * opts.InitStd
	}
	type pair struct{ u, i int32 }
	var pos []pair
	for u := range m.Users() {
		items, weights := m.UserItems(u)
		for k, i := range items {
			if weights[k] > 0 {
				pos = append(pos, pair{int32(u), i})
			}
		}
	}
	if len(pos) == 0 || m.Items() < 2 {
		return b, nil
	}
	grad := make([]float32, f)
	lr, reg := opts.LearningRate, opts.Lambda
	for epoch := 1; epoch <= opts.Epochs; epoch++ {
		start := time.Now()
		var loss float64
		for range len(pos) {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("bpr epoch %d: %w", epoch, err)
			}
			p := pos[rng.IntN(len(pos))]
			j := rng.IntN(m.Items())
			for m.Has(int(p.u), j) {
				j = rng.IntN(m.Items())
			}
			wu := b.users[int(p.u)*f : int(p.u)*f+f]
			hi := b.items[int(p.i)*f : int(p.i)*f+f]
			hj := b.items[j*f : j*f+f]
			x := dot(wu, hi) - dot(wu, hj)
			g := sigmoid(-x) // d ln σ(x) / dx
			loss -= math.Log(float64(sigmoid(x)) + 1e-12)
			for d := range f {
				grad[d] = hi[d] - hj[d]
			}
			for d := range f {
				u := wu[d]
				wu[d] += lr * (g*grad[d] - reg*u)
				hi[d] += lr * (g*u - reg*hi[d])
				hj[d] += lr * (-g*u - reg*hj[d])
			}
		}
		if opts.Progress != nil {
			opts.Progress(Epoch{Epoch: epoch, Loss: loss / float64(len(pos)), Duration: time.Since(start)})
		}
	}
	return b, nil
}

// UserVector returns user u's factors, aliased.
func (b *BPR) UserVector(u int) []float32 {
	f := b.opts.Factors
	return b.users[u*f : u*f+f : u*f+f]
}

// ItemFactors returns all item factors row-major, aliased.
func (b *BPR) ItemFactors() []float32 { return b.items }

// Factors is the dimension of the vectors.
func (b *BPR) Factors() int { return b.opts.Factors }

// Score writes <θ_u, φ_i> for every item.
func (b *BPR) Score(u int, dst []float32) { scoreDot(dst, b.UserVector(u), b.items) }

package recommend

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// ratingRange returns the mean, min and max weight of m: predictions are
// clipped to the range seen in training.
func ratingRange(m *Matrix) (mean, lo, hi float32) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	var sum float64
	for _, w := range m.byUser.weight {
		sum += float64(w)
		lo, hi = min(lo, w), max(hi, w)
	}
	if len(m.byUser.weight) == 0 {
		return 0, 0, 0
	}
	return float32(sum / float64(len(m.byUser.weight))), lo, hi
}

// Biases is the baseline r̂(u,i) = μ + b_u + b_i, fitted by alternating
// ridge regressions (Koren 2010 §2.1).
type Biases struct {
	Mean       float32
	User, Item []float32
	lo, hi     float32
}

// TrainBiases fits the baseline to the weights (ratings) of m with
// regularisations lambdaUser and lambdaItem; a few alternations suffice.
func TrainBiases(m *Matrix, lambdaUser, lambdaItem float32) (*Biases, error) {
	if lambdaUser < 0 || lambdaItem < 0 {
		return nil, fmt.Errorf("biases: λu = %g, λi = %g, want ≥ 0: %w", lambdaUser, lambdaItem, ErrOptions)
	}
	b := &Biases{User: make([]float32, m.Users()), Item: make([]float32, m.Items())}
	b.Mean, b.lo, b.hi = ratingRange(m)
	for range 10 {
		for i := range m.Items() {
			users, ws := m.ItemUsers(i)
			var s float32
			for k, u := range users {
				s += ws[k] - b.Mean - b.User[u]
			}
			b.Item[i] = s / (lambdaItem + float32(len(users)))
		}
		for u := range m.Users() {
			items, ws := m.UserItems(u)
			var s float32
			for k, i := range items {
				s += ws[k] - b.Mean - b.Item[i]
			}
			b.User[u] = s / (lambdaUser + float32(len(items)))
		}
	}
	return b, nil
}

// Predict returns the clipped rating estimate.
func (b *Biases) Predict(u, i int) float32 {
	return min(max(b.Mean+b.User[u]+b.Item[i], b.lo), b.hi)
}

// Score writes the unclipped estimate for every item.
func (b *Biases) Score(u int, dst []float32) {
	for i := range dst {
		dst[i] = b.Mean + b.User[u] + b.Item[i]
	}
}

// MFOptions configure biased matrix factorisation for ratings (Funk SVD,
// Koren, Bell & Volinsky 2009), trained by SGD. Zero fields mean defaults.
type MFOptions struct {
	// Factors is the dimension f. Default 100.
	Factors int
	// Epochs over the ratings. Default 20.
	Epochs int
	// LearningRate of SGD. Default 0.005.
	LearningRate float32
	// Lambda regularises factors and biases. Default 0.02.
	Lambda float32
	// InitStd of the initial factors. Default 0.1.
	InitStd float32
	// Seed fixes initialisation and the visiting order (single-threaded).
	Seed uint64
	// Progress, when set, gets the training RMSE after every epoch.
	Progress ProgressFunc
}

// EnsureDefaults fills zero fields.
func (o *MFOptions) EnsureDefaults() {
	if o.Factors == 0 {
		o.Factors = 100
	}
	if o.Epochs == 0 {
		o.Epochs = 20
	}
	if o.LearningRate == 0 {
		o.LearningRate = 0.005
	}
	if o.Lambda == 0 {
		o.Lambda = 0.02
	}
	if o.InitStd == 0 {
		o.InitStd = 0.1
	}
}

// Validate reports every problem, after defaults.
func (o MFOptions) Validate() error {
	var errs []error
	if o.Factors < 1 || o.Factors > 4096 {
		errs = append(errs, fmt.Errorf("mf: Factors = %d, want 1..4096: %w", o.Factors, ErrOptions))
	}
	if o.Epochs < 1 {
		errs = append(errs, fmt.Errorf("mf: Epochs = %d, want ≥ 1: %w", o.Epochs, ErrOptions))
	}
	if !(o.LearningRate > 0) {
		errs = append(errs, fmt.Errorf("mf: LearningRate = %g, want > 0: %w", o.LearningRate, ErrOptions))
	}
	if o.Lambda < 0 {
		errs = append(errs, fmt.Errorf("mf: Lambda = %g, want ≥ 0: %w", o.Lambda, ErrOptions))
	}
	if !(o.InitStd > 0) {
		errs = append(errs, fmt.Errorf("mf: InitStd = %g, want > 0: %w", o.InitStd, ErrOptions))
	}
	return errors.Join(errs...)
}

// BiasedMF predicts r̂(u,i) = μ + b_u + b_i + <p_u, q_i>, clipped to the
// training range.
type BiasedMF struct {
	opts         MFOptions
	bias         Biases
	users, items []float32
}

// TrainBiasedMF fits the model to the weights (ratings) of m.
func TrainBiasedMF(ctx context.Context, m *Matrix, opts MFOptions) (*BiasedMF, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Factors
	rng := rand.New(rand.NewPCG(opts.Seed, 2))
	mf := &BiasedMF{opts: opts, users: make([]float32, m.Users()*f), items: make([]float32, m.Items()*f)}
	mf.bias = Biases{User: make([]float32, m.Users()), Item: make([]float32, m.Items())}
	mf.bias.Mean, mf.bias.lo, mf.bias.hi = ratingRange(m)
	for k := range mf.users {
		mf.users[k] = float32(rng.NormFloat64()) * opts.InitStd
	}
	for k := range mf.items {
		mf.items[k] = float32(rng.NormFloat64()) * opts.InitStd
	}
	// Visit every rating once per epoch in a shuffled order.
	order := make([]int32, m.NNZ())
	rowOf := make([]int32, m.NNZ())
	for u := range m.Users() {
		for k := m.byUser.ptr[u]; k < m.byUser.ptr[u+1]; k++ {
			rowOf[k] = int32(u)
		}
	}
	for k := range order {
		order[k] = int32(k)
	}
	lr, reg := opts.LearningRate, opts.Lambda
	for epoch := 1; epoch <= opts.Epochs; epoch++ {
		start := time.Now()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("mf epoch %d: %w", epoch, err)
		}
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		var se float64
		for _, k := range order {
			u, i := int(rowOf[k]), int(m.byUser.col[k])
			pu := mf.users[u*f : u*f+f]
			qi := mf.items[i*f : i*f+f]
			e := m.byUser.weight[k] - (mf.bias.Mean + mf.bias.User[u] + mf.bias.Item[i] + dot(pu, qi))
			se += float64(e * e)
			mf.bias.User[u] += lr * (e - reg*mf.bias.User[u])
			mf.bias.Item[i] += lr * (e - reg*mf.bias.Item[i])
			for d := range f {
				p := pu[d]
				pu[d] += lr * (e*qi[d] - reg*p)
				qi[d] += lr * (e*p - reg*qi[d])
			}
		}
		if opts.Progress != nil {
			opts.Progress(Epoch{Epoch: epoch, Loss: math.Sqrt(se / float64(len(order))), Duration: time.Since(start)})
		}
	}
	return mf, nil
}

// Predict returns the clipped rating estimate.
func (mf *BiasedMF) Predict(u, i int) float32 {
	f := mf.opts.Factors
	r := mf.bias.Mean + mf.bias.User[u] + mf.bias.Item[i] + dot(mf.users[u*f:u*f+f], mf.items[i*f:i*f+f])
	return min(max(r, mf.bias.lo), mf.bias.hi)
}

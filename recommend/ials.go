package recommend

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Solver picks how IALS solves each row's f×f system.
type Solver uint8

const (
	// CG runs a few conjugate-gradient steps from the previous solution
	// (Takács, Pilászy & Tikk 2011): O(f²+|row|·f) per step, the fast default.
	CG Solver = iota
	// Cholesky solves exactly: O(|row|·f² + f³) per row.
	Cholesky
)

// IALSOptions configure implicit alternating least squares. Zero fields mean
// their defaults.
//
// The loss, for targets p_ui = 1 where w_ui > 0 and 0 where w_ui < 0, is
//
//	Σ_observed c_ui (p_ui − x_ui)² + Alpha0 Σ_unobserved x_ui²
//	  + Σ_u λ_u |θ_u|² + Σ_i λ_i |φ_i|²,
//
// with confidence c_ui = 1 + Alpha·|w_ui| (Hu, Koren & Volinsky 2008) and
// λ_u = Lambda·(|I_u| + Alpha0·|I|)^Nu (Rendle et al. 2021), λ_i likewise.
type IALSOptions struct {
	// Factors is the dimension f. Default 64.
	Factors int
	// Iterations is the number of alternating passes. Default 15.
	Iterations int
	// Alpha scales confidence with |weight|. Default 0 would be Rendle's
	// uniform weight; the zero value means 1.
	Alpha float32
	// Alpha0 weighs unobserved pairs. Default 1 (Hu et al.).
	Alpha0 float32
	// Lambda is the regularisation. Default 0.1.
	Lambda float32
	// Nu is the frequency exponent of the regularisation; 0 keeps λ fixed.
	Nu float32
	// Solver is CG (default) or Cholesky.
	Solver Solver
	// CGSteps is the number of CG steps per row per pass. Default 3.
	CGSteps int
	// InitStd is the standard deviation of the initial factors. Default
	// 0.1/sqrt(Factors).
	InitStd float32
	// Workers solve rows in parallel. Default GOMAXPROCS.
	Workers int
	// Seed fixes the initial factors.
	Seed uint64
	// Progress, when set, is called after every pass.
	Progress ProgressFunc
}

// EnsureDefaults fills zero fields.
func (o *IALSOptions) EnsureDefaults() {
	if o.Factors == 0 {
		o.Factors = 64
	}
	if o.Iterations == 0 {
		o.Iterations = 15
	}
	if o.Alpha == 0 {
		o.Alpha = 1
	}
	if o.Alpha0 == 0 {
		o.Alpha0 = 1
	}
	if o.Lambda == 0 {
		o.Lambda = 0.1
	}
	if o.CGSteps == 0 {
		o.CGSteps = 3
	}
	if o.InitStd == 0 {
		o.InitStd = 0.1 / float32(math.Sqrt(float64(o.Factors)))
	}
	o.Workers = workerCount(o.Workers)
}

// Validate reports every problem, after defaults.
func (o IALSOptions) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("ials: "+format+": %w", append(args, ErrOptions)...))
		}
	}
	check(o.Factors >= 1 && o.Factors <= 4096, "Factors = %d, want 1..4096", o.Factors)
	check(o.Iterations >= 1, "Iterations = %d, want ≥ 1", o.Iterations)
	check(o.Alpha >= 0, "Alpha = %g, want ≥ 0", o.Alpha)
	check(o.Alpha0 > 0 && o.Alpha0 <= 1, "Alpha0 = %g, want (0, 1]", o.Alpha0)
	check(o.Lambda > 0, "Lambda = %g, want > 0", o.Lambda)
	check(o.Nu >= 0 && o.Nu <= 2, "Nu = %g, want 0..2", o.Nu)
	check(o.Solver <= Cholesky, "unknown Solver %d", o.Solver)
	check(o.CGSteps >= 1, "CGSteps = %d, want ≥ 1", o.CGSteps)
	check(o.InitStd > 0, "InitStd = %g, want > 0", o.InitStd)
	return errors.Join(errs...)
}

// IALS is a trained implicit-ALS model. It is immutable and safe for
// concurrent use.
type IALS struct {
	opts   IALSOptions
	train  *Matrix
	users  []float32 // U×f
	items  []float32 // I×f
	gram   []float32 // f×f, itemsᵀ·items, cached for fold-in and explain
	userL2 []float32 // λ_u per user
}

// TrainIALS fits iALS to m. It returns ctx.Err() if ctx ends first.
func TrainIALS(ctx context.Context, m *Matrix, opts IALSOptions) (*IALS, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f := opts.Factors
	model := &IALS{
		opts:  opts,
		train: m,
		users: make([]float32, m.Users()*f),
		items: make([]float32, m.Items()*f),
		gram:  make([]float32, f*f),
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0))
	for i := range model.items {
		model.items[i] = float32(rng.NormFloat64()) * opts.InitStd
	}
	for i := range model.users {
		model.users[i] = float32(rng.NormFloat64()) * opts.InitStd
	}
	model.userL2 = rowRegs(opts, m.byUser, m.Items())
	itemL2 := rowRegs(opts, m.byItem, m.Users())
	userSide := newSide(opts, m.byUser, model.userL2)
	itemSide := newSide(opts, m.byItem, itemL2)
	userGram := make([]float32, f*f)
	for epoch := 1; epoch <= opts.Iterations; epoch++ {
		start := time.Now()
		gramian(model.gram, model.items, f)
		if err := userSide.solve(ctx, model.users, model.items, model.gram); err != nil {
			return nil, fmt.Errorf("ials epoch %d users: %w", epoch, err)
		}
		gramian(userGram, model.users, f)
		if err := itemSide.solve(ctx, model.items, model.users, userGram); err != nil {
			return nil, fmt.Errorf("ials epoch %d items: %w", epoch, err)
		}
		if opts.Progress != nil {
			gramian(model.gram, model.items, f)
			opts.Progress(Epoch{Epoch: epoch, Loss: model.loss(itemL2), Duration: time.Since(start)})
		}
	}
	gramian(model.gram, model.items, f)
	return model, nil
}

// rowRegs returns λ·(|row| + α0·other)^ν for every row.
func rowRegs(o IALSOptions, rows csr, other int) []float32 {
	out := make([]float32, len(rows.ptr)-1)
	for r := range out {
		out[r] = rowReg(o, int(rows.ptr[r+1]-rows.ptr[r]), other)
	}
	return out
}

// rowReg is λ·(n + α0·other)^ν for a row with n entries.
func rowReg(o IALSOptions, n, other int) float32 {
	return o.Lambda * float32(math.Pow(float64(n)+float64(o.Alpha0)*float64(other), float64(o.Nu)))
}

// loss evaluates the objective with the current factors; model.gram must
// hold the current item Gramian.
func (m *IALS) loss(itemL2 []float32) float64 {
	f, a0 := m.opts.Factors, float64(m.opts.Alpha0)
	tmp := make([]float32, f)
	var total float64
	for u := range m.train.Users() {
		w := m.users[u*f : u*f+f]
		matVec(tmp, m.gram, w)
		total += a0*float64(dot(w, tmp)) + float64(m.userL2[u])*float64(dot(w, w))
		items, weights := m.train.UserItems(u)
		for k, i := range items {
			x := float64(dot(w, m.items[int(i)*f:int(i)*f+f]))
			c, p := confidence(m.opts.Alpha, weights[k])
			total += float64(c)*(float64(p)-x)*(float64(p)-x) - a0*x*x
		}
	}
	for i := range m.train.Items() {
		h := m.items[i*f : i*f+f]
		total += float64(itemL2[i]) * float64(dot(h, h))
	}
	return total
}

// confidence returns c = 1 + α|w| and the target p (1 for a like, 0 for a
// dislike).
func confidence(alpha, w float32) (c, p float32) {
	if w < 0 {
		return 1 - alpha*w, 0
	}
	return 1 + alpha*w, 1
}

// Factors is the dimension of the vectors.
func (m *IALS) Factors() int { return m.opts.Factors }

// Options returns the options used, with defaults filled in.
func (m *IALS) Options() IALSOptions { return m.opts }

// UserVector returns user u's factors, aliased: do not modify.
func (m *IALS) UserVector(u int) []float32 {
	f := m.opts.Factors
	return m.users[u*f : u*f+f : u*f+f]
}

// ItemVector returns item i's factors, aliased: do not modify.
func (m *IALS) ItemVector(i int) []float32 {
	f := m.opts.Factors
	return m.items[i*f : i*f+f : i*f+f]
}

// ItemFactors returns all item factors row-major (I×f), aliased.
func (m *IALS) ItemFactors() []float32 { return m.items }

// Score writes <θ_u, φ_i> for every item.
func (m *IALS) Score(u int, dst []float32) { scoreDot(dst, m.UserVector(u), m.items) }

package recommend

import (
	"context"
	"slices"

	"github.com/quiver-db/quiver/internal/parallel"
	"github.com/viterin/vek/vek32"
)

// side solves one half-step of ALS: every row of dst against the fixed
// factors of the other side.
type side struct {
	o    IALSOptions
	rows csr
	regs []float32
}

func newSide(o IALSOptions, rows csr, regs []float32) *side {
	return &side{o: o, rows: rows, regs: regs}
}

// rowScratch is one worker's memory for row solves.
type rowScratch struct {
	a       []float64 // f×f system (Cholesky)
	b       []float64 // f right-hand side (Cholesky)
	r, p, q []float32 // CG residual, direction, A·p
	tmp     []float32 // f
	yg      []float32 // the row's other-side factors gathered, |row|×f
	conf    []float32 // c_j − α0 per column of the row
	t       []float32 // |row|
}

func newRowScratch(f int) *rowScratch {
	return &rowScratch{
		a: make([]float64, f*f), b: make([]float64, f),
		r: make([]float32, f), p: make([]float32, f), q: make([]float32, f),
		tmp: make([]float32, f),
	}
}

// gather copies the row's factors into s.yg and their weights c_j − α0
// into s.conf, so that A·v is two matrix products on contiguous memory.
func (s *rowScratch) gather(o IALSOptions, other []float32, cols []int32, weights []float32) {
	f, n := o.Factors, len(cols)
	s.yg = slices.Grow(s.yg[:0], n*f)[:n*f]
	s.conf = slices.Grow(s.conf[:0], n)[:n]
	s.t = slices.Grow(s.t[:0], n)[:n]
	for k, j := range cols {
		copy(s.yg[k*f:k*f+f], other[int(j)*f:int(j)*f+f])
		c, _ := confidence(o.Alpha, weights[k])
		s.conf[k] = c - o.Alpha0
	}
}

// solve updates every row of dst; other holds the fixed factors and gram
// their Gramian.
func (s *side) solve(ctx context.Context, dst, other, gram []float32) error {
	f := s.o.Factors
	n := len(s.rows.ptr) - 1
	scratch := make([]*rowScratch, s.o.Workers)
	for w := range scratch {
		scratch[w] = newRowScratch(f)
	}
	errs := make([]error, s.o.Workers)
	parallel.For(n, s.o.Workers, func(w, r int) {
		if errs[w] != nil {
			return
		}
		if r%256 == 0 && ctx.Err() != nil {
			errs[w] = ctx.Err()
			return
		}
		cols, weights := s.rows.row(r)
		x := dst[r*f : r*f+f]
		if s.o.Solver == Cholesky {
			errs[w] = solveExact(s.o, scratch[w], x, other, gram, cols, weights, s.regs[r])
			return
		}
		solveCG(s.o, scratch[w], x, other, gram, cols, weights, s.regs[r])
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// solveExact writes into x the solution of
// (α0·G + Σ_j (c_j − α0)·y_j·y_jᵀ + λ·I)·x = Σ_j c_j·p_j·y_j.
func solveExact(o IALSOptions, s *rowScratch, x, other, gram []float32, cols []int32, weights []float32, reg float32) error {
	f := o.Factors
	a0 := float64(o.Alpha0)
	for k, g := range gram {
		s.a[k] = a0 * float64(g)
	}
	for d := range f {
		s.a[d*f+d] += float64(reg)
	}
	clear(s.b)
	for k, j := range cols {
		y := other[int(j)*f : int(j)*f+f]
		c, p := confidence(o.Alpha, weights[k])
		addOuterUpper(s.a, y, float64(c)-a0)
		if p != 0 {
			cp := float64(c * p)
			for d, v := range y {
				s.b[d] += cp * float64(v)
			}
		}
	}
	if len(cols) == 0 {
		clear(x) // b = 0, so the solution is 0
		return nil
	}
	if err := cholesky(s.a, f); err != nil {
		return err
	}
	cholSolve(s.a, f, s.b)
	for d, v := range s.b {
		x[d] = float32(v)
	}
	return nil
}

// solveCG improves x by o.CGSteps conjugate-gradient steps on the system of
// solveExact, never forming the matrix.
func solveCG(o IALSOptions, s *rowScratch, x, other, gram []float32, cols []int32, weights []float32, reg float32) {
	f := o.Factors
	if len(cols) == 0 {
		clear(x)
		return
	}
	s.gather(o, other, cols, weights)
	// r = b − A·x
	s.applyA(o, s.r, x, gram, reg)
	vek32.Neg_Inplace(s.r)
	for k, j := range cols {
		c, p := confidence(o.Alpha, weights[k])
		if p != 0 {
			axpy(s.r, c*p, other[int(j)*f:int(j)*f+f])
		}
	}
	copy(s.p, s.r)
	rr := vek32.Dot(s.r, s.r)
	for range o.CGSteps {
		if rr < 1e-20 {
			return
		}
		s.applyA(o, s.q, s.p, gram, reg)
		pq := vek32.Dot(s.p, s.q)
		if !(pq > 0) {
			return
		}
		step := rr / pq
		axpy(x, step, s.p)
		axpy(s.r, -step, s.q)
		next := vek32.Dot(s.r, s.r)
		beta := next / rr
		for d := range s.p {
			s.p[d] = s.r[d] + beta*s.p[d]
		}
		rr = next
	}
}

// applyA writes A·v into dst for the system of solveExact, the row's factors
// gathered in s.
func (s *rowScratch) applyA(o IALSOptions, dst, v, gram []float32, reg float32) {
	f := o.Factors
	vek32.MatMul_Into(dst, gram, v, f)
	vek32.MulNumber_Inplace(dst, o.Alpha0)
	axpy(dst, reg, v)
	// Σ_j (c_j − α0)·(y_j·v)·y_j = Ygᵀ·(conf ∘ (Yg·v))
	vek32.MatMul_Into(s.t, s.yg, v, f)
	vek32.Mul_Inplace(s.t, s.conf)
	vek32.MatMul_Into(s.tmp, s.t, s.yg, len(s.t))
	vek32.Add_Inplace(dst, s.tmp)
}

package recommend

import (
	"fmt"
	"math"

	"github.com/viterin/vek/vek32"
)

// cholesky factors the symmetric positive definite n×n matrix a (row-major,
// upper triangle read) in place into L with a = L·Lᵀ, L in the lower
// triangle.
func cholesky(a []float64, n int) error {
	for j := range n {
		rj := a[j*n : j*n+j]
		d := a[j*n+j]
		for _, v := range rj {
			d -= v * v
		}
		if !(d > 0) {
			return fmt.Errorf("cholesky: pivot %d is %g: %w", j, d, ErrSingular)
		}
		d = math.Sqrt(d)
		a[j*n+j] = d
		inv := 1 / d
		for i := j + 1; i < n; i++ {
			ri := a[i*n : i*n+j]
			s := a[j*n+i] // upper triangle holds the input
			for k, v := range rj {
				s -= ri[k] * v
			}
			a[i*n+j] = s * inv
		}
	}
	return nil
}

// cholSolve solves L·Lᵀ·x = b in place in b, L from cholesky.
func cholSolve(l []float64, n int, b []float64) {
	for i := range n {
		s := b[i]
		for k, v := range l[i*n : i*n+i] {
			s -= v * b[k]
		}
		b[i] = s / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * b[k]
		}
		b[i] = s / l[i*n+i]
	}
}

// addOuterUpper adds c·v·vᵀ to the upper triangle of the n×n matrix a.
func addOuterUpper(a []float64, v []float32, c float64) {
	n := len(v)
	for r, vr := range v {
		s := c * float64(vr)
		row := a[r*n+r : r*n+n]
		for k, vk := range v[r:] {
			row[k] += s * float64(vk)
		}
	}
}

// axpy adds a·x to y.
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += a * v
	}
}

// gramian writes VᵀV of the n×f row-major factors v into g (f×f, full),
// through a transposed copy so that the product runs on vek's SIMD kernels.
func gramian(g []float32, v []float32, f int) {
	n := len(v) / f
	vt := make([]float32, f*n)
	for i := range n {
		for d, x := range v[i*f : i*f+f] {
			vt[d*n+i] = x
		}
	}
	vek32.MatMul_Into(g, vt, v, n)
}

// matVec writes m·x into dst for the f×f row-major m.
func matVec(dst, m, x []float32) {
	vek32.MatMul_Into(dst, m, x, len(x))
}

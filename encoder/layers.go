package encoder

import (
	"math"

	"github.com/quiver-db/quiver/internal/parallel"
	"github.com/viterin/vek/vek32"
)

// parallelRows calls fn over [0, rows) split into up to threads contiguous
// ranges, on goroutines when there are at least minRows rows a thread.
func parallelRows(rows, threads, minRows int, fn func(lo, hi int)) {
	threads = max(1, min(threads, rows/minRows))
	if threads == 1 {
		fn(0, rows)
		return
	}
	parallel.Run(threads, func(w int) { fn(rows*w/threads, rows*(w+1)/threads) })
}

// layerNorm normalises each row of x (rows of len(g) floats) in place:
// (x−mean)/√(var+eps)·g + b, with vek's AVX2 kernels. The mean and variance
// are summed in float32 over 8 lanes, then combined in float64.
func layerNorm(x, g, b []float32, eps float64) {
	n := len(g)
	for r := 0; r+n <= len(x); r += n {
		row := x[r : r+n]
		mean := float64(vek32.Sum(row)) / float64(n)
		vek32.SubNumber_Inplace(row, float32(mean))
		v := float64(vek32.Dot(row, row)) / float64(n)
		vek32.MulNumber_Inplace(row, float32(1/math.Sqrt(v+eps)))
		vek32.Mul_Inplace(row, g)
		vek32.Add_Inplace(row, b)
	}
}

// addLayerNorm sets x = LayerNorm(x + y), the residual connection, over
// rows of len(g) floats shared among threads goroutines.
func addLayerNorm(x, y, g, b []float32, eps float64, threads int) {
	n := len(g)
	parallelRows(len(x)/n, threads, 64, func(lo, hi int) {
		xs, ys := x[lo*n:hi*n], y[lo*n:hi*n]
		for i := range xs {
			xs[i] += ys[i]
		}
		layerNorm(xs, g, b, eps)
	})
}

// geluGo is the portable GELU, x/2·(1 + erf32(x/√2)), in place.
func geluGo(x []float32) {
	for i, v := range x {
		x[i] = 0.5 * v * (1 + erf32(v*0.70710678118654752))
	}
}

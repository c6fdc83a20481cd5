package encoder

import (
	"time"

	"github.com/quiver-db/quiver/internal/parallel"
	"github.com/viterin/vek/vek32"
)

// Tile sizes of the blocked matrix multiply. Tiles are taken row block
// fastest, so a block of tileN rows of b (tileN*k floats: 144 KiB at k=384,
// 576 KiB at k=1536) stays in L2 across the row blocks of a; within a tile,
// each triple of b rows is reused from L1 by tileM/4 row quads of a.
const (
	tileM = 32
	tileN = 96
)

// activation is applied to each tile of a matmul's output while it is in
// cache.
type activation int

const (
	actNone activation = iota
	actGELU
)

// matmulT computes c = act(a·bᵀ + bias): c[i*n+j] = act(Σ_p a[i*k+p]·b[j*k+p]
// + bias[j]) for a of m×k, b of n×k (PyTorch's Linear weight layout) and c
// of m×n. bias may be nil. The tiles of c are shared among up to threads
// goroutines. It is the path for shapes the packed GEMM (gemm.go) does not
// take: Linear layers whose output size is not a multiple of 16, attention
// heads whose size is not, and machines without AVX2 and FMA.
func matmulT(c, a, b, bias []float32, m, k, n, threads int, act activation) {
	if m == 0 || n == 0 {
		return
	}
	_ = a[m*k-1]
	_ = b[n*k-1]
	_ = c[m*n-1]
	tm := (m + tileM - 1) / tileM
	tn := (n + tileN - 1) / tileN
	tiles := tm * tn
	if threads > tiles {
		threads = tiles
	}
	// 2·m·n·k flops per call; below ~1 MFLOP a goroutine costs more than it saves.
	if threads <= 1 || 2*m*n*k < 1<<20 {
		for t := 0; t < tiles; t++ {
			matmulTile(c, a, b, bias, m, k, n, t%tm, t/tm, act)
		}
		return
	}
	parallel.For(tiles, threads, func(_, t int) { matmulTile(c, a, b, bias, m, k, n, t%tm, t/tm, act) })
}

// matmulTile computes the tile (ti, tj) of c = a·bᵀ + bias: the 4×3
// micro-kernel over the first k&^7 products of each 4-row, 3-column block,
// then the remaining products, rows and columns in plain Go on vek.
func matmulTile(c, a, b, bias []float32, m, k, n, ti, tj int, act activation) {
	i0, j0 := ti*tileM, tj*tileN
	i1, j1 := min(i0+tileM, m), min(j0+tileN, n)
	iEnd := i0 // rows below iEnd are done by the micro-kernel
	if k8 := k &^ 7; useDot4x3 && k8 > 0 && j1-j0 >= 3 {
		iEnd = i0 + (i1-i0)/4*4
		jEnd := j0 + (j1-j0)/3*3
		// Column triples outside, row quads inside: three rows of b are
		// loaded from memory once and reused from L1 by every row quad.
		for j := j0; j < jEnd; j += 3 {
			for i := i0; i < iEnd; i += 4 {
				dot4x3(&a[i*k], k, &b[j*k], k, k8, &c[i*n+j], n)
			}
		}
		for r := i0; r < iEnd; r++ {
			cr := c[r*n : (r+1)*n]
			ar := a[r*k : (r+1)*k]
			if k8 < k {
				for j := j0; j < jEnd; j++ {
					cr[j] += dotTail(ar[k8:], b[j*k+k8:(j+1)*k])
				}
			}
			if jEnd < j1 {
				dotRowGo(cr[jEnd:j1], ar, b[jEnd*k:j1*k], k)
			}
		}
	}
	for i := iEnd; i < i1; i++ {
		dotRowGo(c[i*n+j0:i*n+j1], a[i*k:(i+1)*k], b[j0*k:j1*k], k)
	}
	for i := i0; i < i1; i++ {
		cr := c[i*n+j0 : i*n+j1]
		if bias != nil {
			vek32.Add_Inplace(cr, bias[j0:j1])
		}
		if act == actGELU {
			gelu(cr)
		}
	}
}

// dotTail is a short dot product in plain Go.
func dotTail(a, b []float32) float32 {
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// dotRowGo is the portable dotRow: dst[j] = a·b[j*k:(j+1)*k].
func dotRowGo(dst, a, b []float32, k int) {
	for j := range dst {
		dst[j] = vek32.Dot(a, b[j*k:(j+1)*k])
	}
}

// TimeMatmul runs the matrix multiply of the Linear layers (packed
// weights, see linearW) on an m×k by k×n product with threads goroutines
// for at least d, and returns the flops done (2·m·k·n a product) and the
// wall time taken.
func TimeMatmul(m, k, n, threads int, d time.Duration) (flops float64, elapsed time.Duration) {
	a, b, bias, c := benchMatrices(m, k, n)
	w := newLinearW(b, n, k)
	linear(c, a, &w, bias, m, threads, actNone)
	return timeFlops(m, k, n, d, func() { linear(c, a, &w, bias, m, threads, actNone) })
}

// TimeVekMatMul is TimeMatmul for vek32.MatMul_Into, vek's own
// single-threaded, unblocked matrix multiply, the baseline.
func TimeVekMatMul(m, k, n int, d time.Duration) (flops float64, elapsed time.Duration) {
	a, b, _, c := benchMatrices(m, k, n)
	return timeFlops(m, k, n, d, func() { vek32.MatMul_Into(c, a, b, k) })
}

func benchMatrices(m, k, n int) (a, b, bias, c []float32) {
	a, b, bias, c = make([]float32, m*k), make([]float32, n*k), make([]float32, n), make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%13) / 13
	}
	for i := range b {
		b[i] = float32(i%7) / 7
	}
	return a, b, bias, c
}

func timeFlops(m, k, n int, d time.Duration, f func()) (float64, time.Duration) {
	start := time.Now()
	runs := 0
	for runs == 0 || time.Since(start) < d {
		f()
		runs++
	}
	return 2 * float64(m) * float64(k) * float64(n) * float64(runs), time.Since(start)
}

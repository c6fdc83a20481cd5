package encoder

import "github.com/quiver-db/quiver/internal/parallel"

// linearW is a Linear layer's weight, n outputs × k inputs. When the
// packed kernels can run and n is a multiple of 16 it is stored packed:
// n/16 panels, each k rows of 16 floats (panel[q*16+j] = w[(16·panel+j)*k+q]),
// so that the kernel reads 16 outputs' weights for one input as one line.
// Otherwise it keeps PyTorch's n×k layout for matmulT.
type linearW struct {
	n, k   int
	packed []float32
	raw    []float32
}

// Blocking of the packed multiply: a kc×16 slice of a panel (16 KiB) stays
// in L1 while row sextets of a pass it; a gemmM-row block of a and a
// gemmN-column block of panels share L2.
const (
	gemmKC = 256
	gemmM  = 48
	gemmN  = 96
)

// newLinearW packs w (n×k) when the packed kernels can run.
func newLinearW(w []float32, n, k int) linearW {
	if !useGemm || n%16 != 0 {
		return linearW{n: n, k: k, raw: w}
	}
	p := make([]float32, n*k)
	for panel := 0; panel < n/16; panel++ {
		dst := p[panel*16*k : (panel+1)*16*k]
		for j := 0; j < 16; j++ {
			row := w[(panel*16+j)*k : (panel*16+j+1)*k]
			for q, v := range row {
				dst[q*16+j] = v
			}
		}
	}
	return linearW{n: n, k: k, packed: p}
}

// linear computes c = act(a·wᵀ + bias) for a of m×k and c of m×n, sharing
// its tiles among up to threads goroutines.
func linear(c, a []float32, w *linearW, bias []float32, m, threads int, act activation) {
	if w.packed == nil {
		matmulT(c, a, w.raw, bias, m, w.k, w.n, threads, act)
		return
	}
	n := w.n
	tm := (m + gemmM - 1) / gemmM
	tn := (n + gemmN - 1) / gemmN
	tiles := tm * tn
	threads = min(threads, tiles)
	if threads <= 1 || 2*m*n*w.k < 1<<20 {
		for t := 0; t < tiles; t++ {
			gemmTile(c, a, w, bias, m, t%tm, t/tm, act)
		}
		return
	}
	parallel.For(tiles, threads, func(_, t int) { gemmTile(c, a, w, bias, m, t%tm, t/tm, act) })
}

// gemmTile computes the tile (ti, tj) of c = act(a·wᵀ + bias).
func gemmTile(c, a []float32, w *linearW, bias []float32, m, ti, tj int, act activation) {
	n, k := w.n, w.k
	i0, j0 := ti*gemmM, tj*gemmN
	i1, j1 := min(i0+gemmM, m), min(j0+gemmN, n)
	for i := i0; i < i1; i++ {
		if bias != nil {
			copy(c[i*n+j0:i*n+j1], bias[j0:j1])
		} else {
			clear(c[i*n+j0 : i*n+j1])
		}
	}
	gemmPacked(c, n, a, k, w.packed, k, i0, i1, j0, j1)
	if act == actGELU {
		for i := i0; i < i1; i++ {
			gelu(c[i*n+j0 : i*n+j1])
		}
	}
}

// gemmPacked adds a·p to c over rows [i0, i1) and columns [j0, j1), both
// column bounds multiples of 16: c[i*ldc+j] += Σ_{q<k} a[i*lda+q]·P[q][j],
// where p holds P as panels of 16 columns, k rows each (see linearW). It
// runs on the calling goroutine, blocked over k by gemmKC unless there are
// at most 12 rows: then each panel is streamed whole, in memory order.
func gemmPacked(c []float32, ldc int, a []float32, lda int, p []float32, k, i0, i1, j0, j1 int) {
	iEnd := i0 + (i1-i0)/6*6
	kcMax := gemmKC
	if i1-i0 <= 12 {
		kcMax = k
	}
	for kb := 0; kb < k; kb += kcMax {
		kc := min(kcMax, k-kb)
		for j := j0; j < j1; j += 16 {
			pp := &p[j*k+kb*16]
			for i := i0; i < iEnd; i += 6 {
				gemm6x16(&a[i*lda+kb], lda, pp, &c[i*ldc+j], ldc, kc)
			}
			if r := i1 - iEnd; r > 0 {
				gemmKernels[r-1](&a[iEnd*lda+kb], lda, pp, &c[iEnd*ldc+j], ldc, kc)
			}
		}
	}
}

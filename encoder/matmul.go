package encoder

import (
	"sync"
	"sync/atomic"

	"github.com/viterin/vek/vek32"
)

// Tile sizes of the blocked matrix multiply. A tile of tileN rows of b
// (tileN*k floats: 96 KiB at k=384, 384 KiB at k=1536) stays in L2 while
// tileM rows of a stream past it; each a row is reused tileN times from L1.
const (
	tileM = 16
	tileN = 64
)

// matmulT computes c = a·bᵀ + bias: c[i*n+j] = Σ_p a[i*k+p]·b[j*k+p] + bias[j]
// for a of m×k, b of n×k (PyTorch's Linear weight layout) and c of m×n.
// bias may be nil. The tiles of c are shared among up to threads goroutines.
func matmulT(c, a, b, bias []float32, m, k, n, threads int) {
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
			matmulTile(c, a, b, bias, m, k, n, t/tn, t%tn)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(threads)
	for w := 0; w < threads; w++ {
		go func() {
			defer wg.Done()
			for {
				t := int(next.Add(1) - 1)
				if t >= tiles {
					return
				}
				matmulTile(c, a, b, bias, m, k, n, t/tn, t%tn)
			}
		}()
	}
	wg.Wait()
}

// matmulTile computes the tile (ti, tj) of c = a·bᵀ + bias.
func matmulTile(c, a, b, bias []float32, m, k, n, ti, tj int) {
	i0, j0 := ti*tileM, tj*tileN
	i1, j1 := min(i0+tileM, m), min(j0+tileN, n)
	for i := i0; i < i1; i++ {
		ar := a[i*k : (i+1)*k]
		cr := c[i*n : (i+1)*n]
		dotRow(cr[j0:j1], ar, b[j0*k:j1*k], k)
		if bias != nil {
			vek32.Add_Inplace(cr[j0:j1], bias[j0:j1])
		}
	}
}

// dotRowGo is the portable dotRow: dst[j] = a·b[j*k:(j+1)*k].
func dotRowGo(dst, a, b []float32, k int) {
	for j := range dst {
		dst[j] = vek32.Dot(a, b[j*k:(j+1)*k])
	}
}

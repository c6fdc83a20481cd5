package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/quiver-db/quiver/internal/heap"
	"github.com/quiver-db/quiver/internal/progress"
)

// GroundTruthConfig configures ExactTopK. The zero value is usable.
type GroundTruthConfig struct {
	// K is how many ids to return per query. Zero means 100.
	K int
	// Threads is the number of worker goroutines. Zero means GOMAXPROCS.
	Threads int
	// Progress receives a status line every few seconds. Nil means none.
	Progress io.Writer
}

// Blocking of the exact search: a worker takes gtQueryBlock queries and
// streams the base through them gtBaseBlock rows at a time, so both blocks
// stay in the L2 cache while the inner kernel scores 4 queries × 2 rows.
const (
	gtQueryBlock = 64
	gtBaseBlock  = 128
)

// ExactTopK returns, for each query, the ids of the K base rows with the
// largest inner product, best first. Both inputs are row-major with dimension
// dim. Products are computed in float64 from the float32 values, each sum in
// index order, so the result does not depend on the thread count or blocking;
// equal scores go to the smaller id. If there are fewer than K base rows,
// every row is returned.
func ExactTopK(ctx context.Context, base, queries []float32, dim int, cfg GroundTruthConfig) ([][]int32, error) {
	if dim <= 0 || len(base)%dim != 0 || len(queries)%dim != 0 {
		return nil, fmt.Errorf("exact top-k: data lengths %d and %d are not multiples of dimension %d", len(base), len(queries), dim)
	}
	if len(base)/dim > math.MaxInt32 {
		return nil, fmt.Errorf("exact top-k: %d base rows do not fit int32 ids", len(base)/dim)
	}
	k := cfg.K
	if k <= 0 {
		k = 100
	}
	threads := cfg.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	b64, q64 := toFloat64(base), toFloat64(queries)
	nq := len(queries) / dim
	out := make([][]int32, nq)
	blocks := (nq + gtQueryBlock - 1) / gtQueryBlock

	var next atomic.Int64
	bar := progress.Start(cfg.Progress, "ground truth", "queries", int64(nq))
	defer bar.Finish()
	var wg sync.WaitGroup
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			heaps := make([]topKHeap, gtQueryBlock)
			for ctx.Err() == nil {
				blk := int(next.Add(1) - 1)
				if blk >= blocks {
					return
				}
				lo, hi := blk*gtQueryBlock, min((blk+1)*gtQueryBlock, nq)
				hs := heaps[:hi-lo]
				for i := range hs {
					hs[i].reset(k)
				}
				scanBase(q64[lo*dim:hi*dim], b64, dim, hs)
				for i := range hs {
					out[lo+i] = hs[i].sorted()
				}
				bar.Add(int64(hi - lo))
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("exact top-k: %w", err)
	}
	return out, nil
}

func toFloat64(v []float32) []float64 {
	w := make([]float64, len(v))
	for i, x := range v {
		w[i] = float64(x)
	}
	return w
}

// scanBase offers every base row, in id order, to the heap of each query.
func scanBase(qs, bs []float64, dim int, hs []topKHeap) {
	nq, nb := len(qs)/dim, len(bs)/dim
	for b0 := 0; b0 < nb; b0 += gtBaseBlock {
		b1 := min(b0+gtBaseBlock, nb)
		q := 0
		for ; q+3 <= nq; q += 3 {
			b := b0
			for ; b+2 <= b1; b += 2 {
				s := dot3x2(qs[q*dim:(q+3)*dim], bs[b*dim:(b+2)*dim], dim)
				for i := range 3 {
					hs[q+i].offer(s[2*i], int32(b))
					hs[q+i].offer(s[2*i+1], int32(b+1))
				}
			}
			for ; b < b1; b++ {
				for i := range 3 {
					hs[q+i].offer(dot64(qs[(q+i)*dim:(q+i+1)*dim], bs[b*dim:(b+1)*dim]), int32(b))
				}
			}
		}
		for ; q < nq; q++ {
			for b := b0; b < b1; b++ {
				hs[q].offer(dot64(qs[q*dim:(q+1)*dim], bs[b*dim:(b+1)*dim]), int32(b))
			}
		}
	}
}

// dot3x2 returns the 6 dot products of 3 consecutive query rows with 2
// consecutive base rows, query-major. Each sum runs in index order, as dot64's.
func dot3x2(qs, bs []float64, dim int) [6]float64 {
	q0, q1, q2 := qs[:dim], qs[dim:2*dim], qs[2*dim:3*dim]
	r0, r1 := bs[:dim], bs[dim:2*dim]
	q1, q2, r0, r1 = q1[:len(q0)], q2[:len(q0)], r0[:len(q0)], r1[:len(q0)]
	var s00, s01, s10, s11, s20, s21 float64
	for k, a0 := range q0 {
		x, y := r0[k], r1[k]
		a1, a2 := q1[k], q2[k]
		s00 += a0 * x
		s01 += a0 * y
		s10 += a1 * x
		s11 += a1 * y
		s20 += a2 * x
		s21 += a2 * y
	}
	return [6]float64{s00, s01, s10, s11, s20, s21}
}

func dot64(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// topKHeap keeps the k best (score, id) pairs seen so far in a heap whose
// root is the worst kept pair: the lowest score, and among equal scores the
// largest id.
type topKHeap struct {
	k     int
	pairs []scored
}

type scored struct {
	score float64
	id    int32
}

// worse reports whether a ranks below b.
func worse(a, b scored) bool { return a.score < b.score || (a.score == b.score && a.id > b.id) }

func (h *topKHeap) reset(k int) {
	h.k = k
	h.pairs = h.pairs[:0]
}

func (h *topKHeap) offer(s float64, id int32) { heap.Offer(&h.pairs, scored{s, id}, h.k, worse) }

// sorted returns the kept ids best first in a new slice.
func (h *topKHeap) sorted() []int32 {
	pairs := slices.Clone(h.pairs)
	slices.SortFunc(pairs, func(a, b scored) int {
		switch {
		case worse(b, a):
			return -1
		case worse(a, b):
			return 1
		}
		return 0
	})
	out := make([]int32, len(pairs))
	for i, p := range pairs {
		out[i] = p.id
	}
	return out
}

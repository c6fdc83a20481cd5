package ivf

import (
	"math"
	"math/rand/v2"

	"github.com/quiver-db/quiver/internal/parallel"
)

// codeBook is a product quantizer with 16 centroids (4 bits) per
// sub-space: dims are cut into nsub sub-spaces of subDim, the last padded
// with zeros to padDim in all.
type codeBook struct {
	subDim, nsub, padDim int
	// cents holds sub-space s's centroid k at (s·16+k)·subDim.
	cents []float32
}

// codeBookEntries is the centroids per sub-space: what a nibble indexes.
const codeBookEntries = 16

// trainCodeBook fits each sub-space's 16 centroids to the residuals res
// (rows of padDim) by Euclidean k-means.
func trainCodeBook(res []float32, padDim, subDim, iters, threads int, rng *rand.Rand) *codeBook {
	cb := &codeBook{subDim: subDim, nsub: padDim / subDim, padDim: padDim}
	cb.cents = make([]float32, cb.nsub*codeBookEntries*subDim)
	n := len(res) / padDim
	seeds := make([]uint64, cb.nsub)
	for s := range seeds {
		seeds[s] = rng.Uint64()
	}
	parallel.For(cb.nsub, threads, func(_, s int) {
		sub := make([]float32, n*subDim)
		for i := range n {
			copy(sub[i*subDim:(i+1)*subDim], res[i*padDim+s*subDim:i*padDim+(s+1)*subDim])
		}
		k := min(codeBookEntries, n)
		c := kmeans(sub, subDim, k, iters, false, 1, rand.New(rand.NewPCG(seeds[s], uint64(s))))
		copy(cb.cents[s*codeBookEntries*subDim:], c)
		// Fewer rows than entries: the unused entries repeat the first, so
		// no code ever points at a centroid that was not trained.
		for j := k; j < codeBookEntries; j++ {
			copy(cb.cents[(s*codeBookEntries+j)*subDim:(s*codeBookEntries+j+1)*subDim], c[:subDim])
		}
	})
	return cb
}

// encode writes r's code, one nibble per sub-space, into out: code[s] is
// the low nibble of out[s/2] for even s and the high one for odd s.
func (cb *codeBook) encode(r []float32, out []byte) {
	clear(out)
	d := cb.subDim
	for s := range cb.nsub {
		v := r[s*d : (s+1)*d]
		best, bestD := 0, float32(math.Inf(1))
		for k := range codeBookEntries {
			c := cb.cents[(s*codeBookEntries+k)*d : (s*codeBookEntries+k+1)*d]
			var dist float32
			for j, x := range v {
				e := x - c[j]
				dist += e * e
			}
			if dist < bestD {
				best, bestD = k, dist
			}
		}
		out[s/2] |= byte(best) << (4 * (s % 2))
	}
}

// tables fills f with ⟨q_s, centroid⟩ for every sub-space s and entry, at
// s·16+k; q has padDim elements.
func (cb *codeBook) tables(q []float32, f []float32) {
	d := cb.subDim
	for s := range cb.nsub {
		qs := q[s*d : (s+1)*d]
		for k := range codeBookEntries {
			c := cb.cents[(s*codeBookEntries+k)*d : (s*codeBookEntries+k+1)*d]
			var dot float32
			for j, x := range qs {
				dot += x * c[j]
			}
			f[s*codeBookEntries+k] = dot
		}
	}
}

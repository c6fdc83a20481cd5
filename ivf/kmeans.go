package ivf

import (
	"math"
	"math/rand/v2"

	"github.com/quiver-db/quiver/internal/parallel"
	"github.com/quiver-db/quiver/internal/simd"
)

// kmeans is Lloyd's algorithm on the rows of x (n rows of dim), from k
// distinct rows drawn with rng. spherical assigns by the largest inner
// product and keeps centroids at unit length (for unit rows, the same
// partition as Euclidean k-means on the sphere); otherwise it is plain
// Euclidean k-means. A cell left empty restarts at a random row of the
// largest cell, so all k stay in use.
func kmeans(x []float32, dim, k, iters int, spherical bool, threads int, rng *rand.Rand) []float32 {
	n := len(x) / dim
	cents := make([]float32, k*dim)
	for i, r := range rng.Perm(n)[:k] {
		copy(cents[i*dim:(i+1)*dim], x[r*dim:(r+1)*dim])
	}
	assign := make([]int32, n)
	sums := make([]float64, k*dim)
	counts := make([]int, k)
	for range iters {
		nearestAll(x, dim, cents, spherical, threads, assign)
		clear(sums)
		clear(counts)
		for i, c := range assign {
			counts[c]++
			row, s := x[i*dim:(i+1)*dim], sums[int(c)*dim:(int(c)+1)*dim]
			for j, v := range row {
				s[j] += float64(v)
			}
		}
		for c := range k {
			cent := cents[c*dim : (c+1)*dim]
			if counts[c] == 0 {
				reseed(cent, x, dim, assign, counts, rng)
				continue
			}
			s := sums[c*dim : (c+1)*dim]
			for j := range cent {
				cent[j] = float32(s[j] / float64(counts[c]))
			}
			if spherical {
				normalize(cent)
			}
		}
	}
	return cents
}

// reseed moves an empty centroid onto a random row of the largest cell.
func reseed(cent, x []float32, dim int, assign []int32, counts []int, rng *rand.Rand) {
	big := 0
	for c, n := range counts {
		if n > counts[big] {
			big = c
		}
	}
	for {
		i := rng.IntN(len(assign))
		if int(assign[i]) == big {
			copy(cent, x[i*dim:(i+1)*dim])
			return
		}
	}
}

// nearestAll writes each row's nearest centroid into out.
func nearestAll(x []float32, dim int, cents []float32, spherical bool, threads int, out []int32) {
	const chunk = 256
	n := len(out)
	parallel.For((n+chunk-1)/chunk, threads, func(_, b int) {
		for i := b * chunk; i < min(n, (b+1)*chunk); i++ {
			out[i] = int32(nearest(x[i*dim:(i+1)*dim], cents, dim, spherical))
		}
	})
}

// nearest returns the centroid of cents closest to v.
func nearest(v, cents []float32, dim int, spherical bool) int {
	best, bestD := 0, float32(math.Inf(1))
	for c := 0; c*dim < len(cents); c++ {
		cent := cents[c*dim : (c+1)*dim]
		d := centroidDistance(v, cent, spherical)
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// normalize scales v to unit length; a zero vector stays as it is.
func normalize(v []float32) {
	n := math.Sqrt(float64(simd.Dot(v, v)))
	if n == 0 {
		return
	}
	inv := float32(1 / n)
	for i := range v {
		v[i] *= inv
	}
}

// centroidDistance is what k-means minimises: the negated inner product on
// the sphere, the squared Euclidean distance otherwise.
func centroidDistance(v, cent []float32, spherical bool) float32 {
	if spherical {
		return -simd.Dot(v, cent)
	}
	return simd.SquaredL2(v, cent)
}

// soarLambda weighs, in the choice of a spilled point's further cells, the
// part of the new residual along the first one: SOAR (Sun et al., NeurIPS
// 2023) shows that a second cell whose residual is orthogonal to the first
// fails on other queries than the first does, so the two together miss
// fewer neighbours than the two nearest cells.
const soarLambda = 1

// soarAssign writes into out the nearest centroid to v, then for each
// further slot the centroid c not yet chosen that minimises
// ‖v−c‖² + λ·⟨v−c, r̂⟩², r̂ the unit residual from the nearest. With fewer
// centroids the rest are −1.
func soarAssign(v, cents []float32, dim int, spherical bool, out []int32) {
	first := nearest(v, cents, dim, spherical)
	out[0] = int32(first)
	for k := 1; k < len(out); k++ {
		out[k] = -1
	}
	if len(out) == 1 {
		return
	}
	r := make([]float32, dim)
	c0 := cents[first*dim : (first+1)*dim]
	for j := range r {
		r[j] = v[j] - c0[j]
	}
	normalize(r)
	vr := simd.Dot(v, r)
	best := make([]float32, len(out))
	for k := range best {
		best[k] = float32(math.Inf(1))
	}
	for c := 0; c*dim < len(cents); c++ {
		if c == first {
			continue
		}
		cent := cents[c*dim : (c+1)*dim]
		along := vr - simd.Dot(cent, r)
		d := simd.SquaredL2(v, cent) + soarLambda*along*along
		for k := 1; k < len(out); k++ {
			if d < best[k] {
				copy(best[k+1:], best[k:len(best)-1])
				copy(out[k+1:], out[k:len(out)-1])
				best[k], out[k] = d, int32(c)
				break
			}
		}
	}
}

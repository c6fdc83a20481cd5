package recommend

import (
	"fmt"
	"math"
	"slices"
	"sync"
)

// Content holds one vector per item (for example text embeddings of title
// and description from Quiver's encoder), row-major I×Dim. Rows of items
// without content are zero.
type Content struct {
	Dim     int
	Vectors []float32
}

// Row returns item i's vector, aliased.
func (c Content) Row(i int) []float32 { return c.Vectors[i*c.Dim : i*c.Dim+c.Dim : i*c.Dim+c.Dim] }

func (c Content) check(items int) error {
	if c.Dim < 1 || len(c.Vectors) != items*c.Dim {
		return fmt.Errorf("content: %d values for %d items of dimension %d: %w", len(c.Vectors), items, c.Dim, ErrDimension)
	}
	return nil
}

// CentroidOptions weigh a user's items in the content centroid.
type CentroidOptions struct {
	// RatingWeight, when set, weighs each item by its weight minus
	// RatingShift (items at or below the shift count as dislikes, pulling
	// the centroid away).
	RatingWeight bool
	RatingShift  float32
	// RecencyHalfLife, when positive, multiplies each item's weight by
	// 2^(−later/RecencyHalfLife), later counting the user's later items.
	RecencyHalfLife float64
}

// Centroid scores items by <centroid_u, v_i>, centroid_u the weighted mean
// of the content vectors of the user's items: the content-only model, and
// the user vector for a user the factor models do not know.
type Centroid struct {
	content Content
	users   []float32 // U×Dim centroids
}

// NewCentroid computes every user's centroid over m.
func NewCentroid(m *Matrix, content Content, opts CentroidOptions) (*Centroid, error) {
	if err := content.check(m.Items()); err != nil {
		return nil, fmt.Errorf("centroid: %w", err)
	}
	c := &Centroid{content: content, users: make([]float32, m.Users()*content.Dim)}
	var decay []float32
	if opts.RecencyHalfLife > 0 {
		decay = recencyDecay(m, opts.RecencyHalfLife)
	}
	for u := range m.Users() {
		items, ws := m.UserItems(u)
		lo, hi := m.byUser.ptr[u], m.byUser.ptr[u+1]
		var d []float32
		if decay != nil {
			d = decay[lo:hi]
		}
		centroidInto(c.users[u*content.Dim:(u+1)*content.Dim], content, items, ws, d, opts)
	}
	return c, nil
}

// centroidInto writes one user's centroid into dst (zeroed, len Dim):
// decay, when not nil, holds the recency factor of each item.
func centroidInto(dst []float32, content Content, items []int32, ws, decay []float32, opts CentroidOptions) {
	var total float32
	for k, i := range items {
		w := float32(1)
		if opts.RatingWeight {
			w = ws[k] - opts.RatingShift
		}
		if decay != nil {
			w *= decay[k]
		}
		axpy(dst, w, content.Row(int(i)))
		total += float32(math.Abs(float64(w)))
	}
	if total > 0 {
		for d := range dst {
			dst[d] /= total
		}
	}
}

// UserVector returns user u's centroid, aliased.
func (c *Centroid) UserVector(u int) []float32 {
	d := c.content.Dim
	return c.users[u*d : u*d+d : u*d+d]
}

// Score writes <centroid_u, v_i> for every item.
func (c *Centroid) Score(u int, dst []float32) { scoreDot(dst, c.UserVector(u), c.content.Vectors) }

// RidgeMap maps content vectors to collaborative item factors, W =
// argmin |X·W − Φ|² + λ|W|², fitted on the items that have interactions, so
// that an item nobody has touched yet gets a factor vector from its content.
type RidgeMap struct {
	dim, factors int
	w            []float32 // dim×factors
}

// FitRidge fits the map from content rows to factor rows (I×f, row-major)
// over the items with fitted[i]; lambda > 0.
func FitRidge(content Content, factors []float32, f int, fitted []bool, lambda float64) (*RidgeMap, error) {
	items := len(fitted)
	if err := content.check(items); err != nil {
		return nil, fmt.Errorf("ridge: %w", err)
	}
	if len(factors) != items*f {
		return nil, fmt.Errorf("ridge: %d factor values for %d items of %d: %w", len(factors), items, f, ErrDimension)
	}
	if !(lambda > 0) {
		return nil, fmt.Errorf("ridge: λ = %g, want > 0: %w", lambda, ErrOptions)
	}
	d := content.Dim
	a := make([]float64, d*d)   // XᵀX + λI
	rhs := make([]float64, d*f) // XᵀΦ
	for i, ok := range fitted {
		if !ok {
			continue
		}
		x := content.Row(i)
		addOuterUpper(a, x, 1)
		phi := factors[i*f : i*f+f]
		for r, xr := range x {
			if xr == 0 {
				continue
			}
			row := rhs[r*f : r*f+f]
			for c, v := range phi {
				row[c] += float64(xr) * float64(v)
			}
		}
	}
	for r := range d {
		a[r*d+r] += lambda
	}
	if err := cholesky(a, d); err != nil {
		return nil, fmt.Errorf("ridge: %w", err)
	}
	w := make([]float32, d*f)
	col := make([]float64, d)
	for c := range f {
		for r := range d {
			col[r] = rhs[r*f+c]
		}
		cholSolve(a, d, col)
		for r := range d {
			w[r*f+c] = float32(col[r])
		}
	}
	return &RidgeMap{dim: d, factors: f, w: w}, nil
}

// Map writes the factor vector of content vector x into dst[:0].
func (r *RidgeMap) Map(dst, x []float32) []float32 {
	dst = slices.Grow(dst[:0], r.factors)[:r.factors]
	clear(dst)
	for k, v := range x[:r.dim] {
		if v != 0 {
			axpy(dst, v, r.w[k*r.factors:(k+1)*r.factors])
		}
	}
	return dst
}

// FillCold replaces the factors of every item without fitted[i] by the
// mapping of its content, in place.
func (r *RidgeMap) FillCold(factors []float32, content Content, fitted []bool) {
	for i, ok := range fitted {
		if !ok {
			r.Map(factors[i*r.factors:i*r.factors:(i+1)*r.factors], content.Row(i))
		}
	}
}

// Hybrid scores by Σ_k Weights[k]·z_k, z_k part k's scores standardised
// over the items (zero mean, unit variance) so that scales do not matter.
type Hybrid struct {
	Parts   []Scorer
	Weights []float32
	pool    sync.Pool
}

// NewHybrid combines parts with weights.
func NewHybrid(parts []Scorer, weights []float32) (*Hybrid, error) {
	if len(parts) != len(weights) || len(parts) == 0 {
		return nil, fmt.Errorf("hybrid: %d parts, %d weights: %w", len(parts), len(weights), ErrOptions)
	}
	return &Hybrid{Parts: parts, Weights: weights}, nil
}

// Score writes the weighted sum of standardised part scores.
func (h *Hybrid) Score(u int, dst []float32) {
	buf, _ := h.pool.Get().(*[]float32)
	if buf == nil || len(*buf) != len(dst) {
		b := make([]float32, len(dst))
		buf = &b
	}
	defer h.pool.Put(buf)
	clear(dst)
	for k, p := range h.Parts {
		s := *buf
		p.Score(u, s)
		var sum, sq float64
		for _, v := range s {
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
		n := float64(len(s))
		mean := sum / n
		std := math.Sqrt(max(sq/n-mean*mean, 1e-24))
		scale := float32(float64(h.Weights[k]) / std)
		for i, v := range s {
			dst[i] += (v - float32(mean)) * scale
		}
	}
}

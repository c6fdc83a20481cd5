package recommend

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// DotHybridOptions configure a DotHybrid. A zero weight leaves its part
// out; there are no other defaults.
type DotHybridOptions struct {
	// ContentWeight weighs the standardised content-centroid score against
	// the standardised iALS score (weight 1).
	ContentWeight float32
	// PopularityWeight weighs the standardised log(1 + item count).
	PopularityWeight float32
	// RecencyBeta and RecencyHalfLife weigh the user's interactions when
	// their iALS vector is folded in, as RecencyScale does; they may differ
	// from the weighting the item factors were trained with (sharper is
	// better on a chronological split: the user side only has to describe
	// the next items). Zero beta means no recency weighting.
	RecencyBeta, RecencyHalfLife float64
	// Centroid weighs the user's items in the content centroid.
	Centroid CentroidOptions
}

// Validate reports every problem.
func (o DotHybridOptions) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("dot hybrid: "+format+": %w", append(args, ErrOptions)...))
		}
	}
	check(o.ContentWeight >= 0 && finite(o.ContentWeight), "ContentWeight = %g, want ≥ 0", o.ContentWeight)
	check(o.PopularityWeight >= 0 && finite(o.PopularityWeight), "PopularityWeight = %g, want ≥ 0", o.PopularityWeight)
	check(o.RecencyBeta >= 0 && !math.IsInf(o.RecencyBeta, 0), "RecencyBeta = %g, want ≥ 0", o.RecencyBeta)
	check(o.RecencyHalfLife >= 0 && !math.IsInf(o.RecencyHalfLife, 0), "RecencyHalfLife = %g, want ≥ 0", o.RecencyHalfLife)
	check(!(o.RecencyBeta > 0 && o.RecencyHalfLife == 0), "RecencyBeta %g needs a RecencyHalfLife", o.RecencyBeta)
	check(o.Centroid.RecencyHalfLife >= 0, "Centroid.RecencyHalfLife = %g, want ≥ 0", o.Centroid.RecencyHalfLife)
	return errors.Join(errs...)
}

// DotHybrid blends iALS, a content centroid and popularity as Hybrid does
// (a weighted sum of per-user standardised scores) but as one dot product,
// so that it can be served by maximum-inner-product search (HNSW, Dot
// metric) and a user can be folded in at query time:
//
//	item_i = [s_θ·φ_i, s_c·content_i, w_p·z_i]   z_i the standardised log(1 + n_i)
//	user_u = [θ_u/(σ_θ(u)·s_θ), w_c·c_u/(σ_c(u)·s_c), 1]
//
// θ_u is the iALS fold-in of the user's interactions (each weight 1 before
// recency scaling: the bench trains iALS on binary data), c_u their
// content centroid, and σ(u) the standard deviation over all items of
// that part's scores, computed from the parts' item covariances in
// O(f² + d²) rather than by scoring every item. Subtracting the parts'
// means would add a per-user constant, which no ranking sees, so the user
// vector leaves it out. The part scales s_θ = 1/√tr(Cov φ) and s_c =
// w_c/√tr(Cov content) cancel in every score; they give each part of the
// item vectors the spread its weight asks for, so that an HNSW graph built
// on item-to-item dot products is not shaped by whichever part happens to
// have the largest raw norm (unscaled, popularity and content dominated
// it and the graph lost 0.009 NDCG@10 against exact search).
//
// On BENCHMARKS.md §2 (bench.RunRec), over iALS with 64 factors, λ 30,
// recency 5/20, folding users in with recency 20/10, content 0.5 (hashed
// genres and title words, rating-weighted centroid) and popularity 0.2:
// validation NDCG@10 0.1459 (the iALS alone 0.1343), test 0.1327, the same
// through HNSW at ef 400 (iALS alone 0.1271; EASE^R 0.1306). The
// validation gain shrinks on test: over iALS with recency 3/20 the grid
// chose fold 20/10, content 0.7 at 0.1443 on validation, which scored
// 0.1271 on test.
//
// A DotHybrid is immutable and safe for concurrent use.
type DotHybrid struct {
	opts    DotHybridOptions
	ials    *IALS
	content Content
	f, dim  int
	items   []float32 // I×dim
	covF    []float32 // f×f covariance of the iALS item factors
	covC    []float32 // d×d covariance of the content vectors
	sF, sC  float32   // part scales of the item vectors
	counts  []int     // each item's interactions
	// popMean and popStd standardise log(1 + count).
	popMean, popStd float64
	users           []float32 // U×dim; nil from NewDotHybridItems or a load
}

// NewDotHybrid builds the item vectors from a trained iALS model, content
// and the interaction counts of m, and folds in every user of m from their
// row (weights are ratings for the centroid; times feed recency).
func NewDotHybrid(ials *IALS, m *Matrix, content Content, opts DotHybridOptions) (*DotHybrid, error) {
	counts := make([]int, m.Items())
	for i := range counts {
		counts[i] = m.ItemCount(i)
	}
	h, err := NewDotHybridItems(ials, counts, content, opts)
	if err != nil {
		return nil, err
	}
	h.users = make([]float32, m.Users()*h.dim)
	for u := range m.Users() {
		items, ws := m.UserItems(u)
		if _, err := h.FoldIn(h.users[u*h.dim:u*h.dim:(u+1)*h.dim], items, ws, m.UserTimes(u)); err != nil {
			return nil, fmt.Errorf("dot hybrid: user %d: %w", u, err)
		}
	}
	return h, nil
}

// NewDotHybridItems builds the item side only, from each item's count of
// interactions: what a server keeps, folding its users in at query time.
// It has no users (Users is 0; UserVector and Score must not be called).
func NewDotHybridItems(ials *IALS, counts []int, content Content, opts DotHybridOptions) (*DotHybrid, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if ials.Items() != len(counts) {
		return nil, fmt.Errorf("dot hybrid: iALS has %d items, counts %d: %w", ials.Items(), len(counts), ErrDimension)
	}
	if err := content.check(len(counts)); err != nil {
		return nil, fmt.Errorf("dot hybrid: %w", err)
	}
	f, d, n := ials.Factors(), content.Dim, len(counts)
	h := &DotHybrid{opts: opts, ials: ials, content: content, counts: counts, f: f, dim: f + d + 1}
	h.covF = covariance(ials.ItemFactors(), f)
	h.covC = covariance(content.Vectors, d)
	h.sF = 1 / float32(math.Sqrt(max(trace(h.covF, f), 1e-24)))
	h.sC = opts.ContentWeight / float32(math.Sqrt(max(trace(h.covC, d), 1e-24)))
	var sum, sq float64
	for _, c := range counts {
		p := math.Log1p(float64(c))
		sum += p
		sq += p * p
	}
	h.popMean = sum / float64(max(n, 1))
	h.popStd = math.Sqrt(max(sq/float64(max(n, 1))-h.popMean*h.popMean, 1e-24))
	h.items = make([]float32, n*h.dim)
	for i := range n {
		h.itemInto(h.items[i*h.dim:(i+1)*h.dim], ials.ItemVector(i), content.Row(i), counts[i])
	}
	return h, nil
}

// itemInto writes the vector of an item with these factors, content and
// count into row (len dim).
func (h *DotHybrid) itemInto(row, factors, content []float32, count int) {
	for k, v := range factors {
		row[k] = h.sF * v
	}
	for k, v := range content {
		row[h.f+k] = h.sC * v
	}
	z := (math.Log1p(float64(max(count, 0))) - h.popMean) / h.popStd
	row[h.dim-1] = h.opts.PopularityWeight * float32(z)
}

// ColdItemVector returns the vector of an item outside the model, with
// these factors (for example mapped from its content by a RidgeMap) and
// content, and no interactions; a nil content is zero. The result is
// appended to dst[:0].
func (h *DotHybrid) ColdItemVector(dst, factors, content []float32) []float32 {
	dst = slices.Grow(dst[:0], h.dim)[:h.dim]
	clear(dst)
	h.itemInto(dst, factors[:h.f], content[:min(len(content), h.dim-1-h.f)], 0)
	return dst
}

// trace is the sum of the diagonal of the d×d matrix a.
func trace(a []float32, d int) float64 {
	var t float64
	for k := range d {
		t += float64(a[k*d+k])
	}
	return t
}

// covariance returns the d×d covariance over the rows of x (row-major).
func covariance(x []float32, d int) []float32 {
	n := len(x) / d
	mean := make([]float64, d)
	for i := range n {
		for k, v := range x[i*d : i*d+d] {
			mean[k] += float64(v)
		}
	}
	for k := range mean {
		mean[k] /= float64(max(n, 1))
	}
	acc := make([]float64, d*d)
	for i := range n {
		row := x[i*d : i*d+d]
		for a, va := range row {
			ca := float64(va) - mean[a]
			for b := a; b < d; b++ {
				acc[a*d+b] += ca * (float64(row[b]) - mean[b])
			}
		}
	}
	out := make([]float32, d*d)
	for a := range d {
		for b := a; b < d; b++ {
			v := float32(acc[a*d+b] / float64(max(n, 1)))
			out[a*d+b], out[b*d+a] = v, v
		}
	}
	return out
}

// Dim is the length of the user and item vectors.
func (h *DotHybrid) Dim() int { return h.dim }

// Users counts the users with a trained vector.
func (h *DotHybrid) Users() int { return len(h.users) / h.dim }

// Items counts the items.
func (h *DotHybrid) Items() int { return len(h.counts) }

// Options returns the options used.
func (h *DotHybrid) Options() DotHybridOptions { return h.opts }

// ItemVector returns item i's vector, aliased: do not modify.
func (h *DotHybrid) ItemVector(i int) []float32 {
	return h.items[i*h.dim : (i+1)*h.dim : (i+1)*h.dim]
}

// UserVector returns the vector of user u of the matrix given to
// NewDotHybrid, aliased: do not modify.
func (h *DotHybrid) UserVector(u int) []float32 {
	return h.users[u*h.dim : (u+1)*h.dim : (u+1)*h.dim]
}

// Score writes <user_u, item_i> for every item.
func (h *DotHybrid) Score(u int, dst []float32) { scoreDot(dst, h.UserVector(u), h.items) }

// FoldIn computes the vector of a user from their current history: items
// (not repeating), ratings (the weights the centroid reads) and times,
// aligned. Every item weighs 1 in the iALS part before recency scaling, as
// in training on binary data. The result is appended to dst[:0]. It costs
// one iALS fold-in plus O(n·d + f² + d²) for n items.
func (h *DotHybrid) FoldIn(dst []float32, items []int32, ratings []float32, times []int64) ([]float32, error) {
	return h.FoldInWeighted(dst, items, nil, ratings, times)
}

// FoldInWeighted is FoldIn with the iALS weights of the items before
// recency scaling (the weights the iALS model was trained on, for example
// −1 for a dislike); nil weights are all 1.
func (h *DotHybrid) FoldInWeighted(dst []float32, items []int32, weights, ratings []float32, times []int64) ([]float32, error) {
	dst = slices.Grow(dst[:0], h.dim)[:h.dim]
	_, err := h.foldIn(dst, items, weights, ratings, times)
	return dst, err
}

// userScales are how a user vector was made from its parts: the iALS part
// is theta·factors, the content part Σ_k cw_k·content_k scaled by content.
type userScales struct {
	w               []float32 // recency-scaled iALS weights
	cw              []float32 // centroid weights
	factor, content float32
}

// foldIn writes the user vector into dst (len dim) and returns its scales.
func (h *DotHybrid) foldIn(dst []float32, items []int32, weights, ratings []float32, times []int64) (userScales, error) {
	var us userScales
	if len(items) != len(ratings) || len(items) != len(times) || (weights != nil && len(weights) != len(items)) {
		return us, fmt.Errorf("dot hybrid fold in: %d items, %d weights, %d ratings, %d times: %w", len(items), len(weights), len(ratings), len(times), ErrDimension)
	}
	for k, v := range ratings {
		if !finite(v) {
			return us, fmt.Errorf("dot hybrid fold in: rating %g of item %d: %w", v, items[k], ErrValue)
		}
	}
	us.w = make([]float32, len(items))
	for k := range us.w {
		us.w[k] = 1
		if weights != nil {
			us.w[k] = weights[k]
		}
	}
	RecencyScale(us.w, times, h.opts.RecencyBeta, h.opts.RecencyHalfLife)
	if _, err := h.ials.FoldIn(dst[:0:h.f], items, us.w); err != nil {
		return us, fmt.Errorf("dot hybrid: %w", err)
	}
	us.factor = scaleToUnit(dst[:h.f], h.covF, 1/h.sF)
	c := dst[h.f : h.dim-1]
	clear(c)
	if h.opts.ContentWeight > 0 {
		us.cw = CentroidWeights(ratings, times, h.opts.Centroid)
		var total float32
		for k, i := range items {
			axpy(c, us.cw[k], h.content.Row(int(i)))
			total += float32(math.Abs(float64(us.cw[k])))
		}
		if total > 0 {
			us.content = 1 / total
			for k := range c {
				c[k] *= us.content
			}
		}
		us.content *= scaleToUnit(c, h.covC, h.opts.ContentWeight/h.sC)
	}
	dst[h.dim-1] = 1
	return us, nil
}

// scaleToUnit multiplies q by w/σ, σ² = qᵀ·cov·q the variance of q's scores
// over the items, and returns the factor; a q with no variance is left as
// it is (zero, in practice), factor 1.
func scaleToUnit(q, cov []float32, w float32) float32 {
	d := len(q)
	var v float64
	for a, qa := range q {
		if qa == 0 {
			continue
		}
		v += float64(qa) * float64(dot(cov[a*d:a*d+d], q))
	}
	if !(v > 1e-24) {
		return 1
	}
	s := w / float32(math.Sqrt(v))
	for k := range q {
		q[k] *= s
	}
	return s
}

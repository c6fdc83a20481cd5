package recommend

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
)

// foldPool holds scratch for FoldIn and Explain, keyed by nothing: every
// IALS model of one factor count can share it, and a size check guards the
// rest.
var foldPool sync.Pool

func (m *IALS) getScratch() *rowScratch {
	if s, ok := foldPool.Get().(*rowScratch); ok && len(s.b) == m.opts.Factors {
		return s
	}
	return newRowScratch(m.opts.Factors)
}

// checkRow validates a user's item list at the boundary.
func (m *IALS) checkRow(items []int32, weights []float32) error {
	if len(items) != len(weights) {
		return fmt.Errorf("ials: %d items, %d weights: %w", len(items), len(weights), ErrDimension)
	}
	for _, i := range items {
		if i < 0 || int(i) >= m.train.Items() {
			return fmt.Errorf("ials: item %d of %d: %w", i, m.train.Items(), ErrIndex)
		}
	}
	return nil
}

// FoldIn computes the vector of a user who is not in the model (or whose
// history changed) from their items and weights, holding item factors fixed:
// the exact least-squares user step of training, one f×f Cholesky solve on
// the cached Gramian. items must not repeat. The result is appended to
// dst[:0]; with capacity for Factors() values it allocates nothing.
func (m *IALS) FoldIn(dst []float32, items []int32, weights []float32) ([]float32, error) {
	if err := m.checkRow(items, weights); err != nil {
		return dst, fmt.Errorf("fold in: %w", err)
	}
	f := m.opts.Factors
	dst = slices.Grow(dst[:0], f)[:f]
	s := m.getScratch()
	defer foldPool.Put(s)
	err := solveExact(m.opts, s, dst, m.items, m.gram, items, weights, m.foldReg(len(items)))
	if err != nil {
		return dst, fmt.Errorf("fold in: %w", err)
	}
	return dst, nil
}

// foldReg is λ_u for a user with n items, as in training.
func (m *IALS) foldReg(n int) float32 {
	return rowReg(m.opts, n, m.train.Items())
}

// Contribution is one past item's share of a score.
type Contribution struct {
	Item  int32
	Value float32
}

// Explanation decomposes a score into contributions of the user's items.
type Explanation struct {
	// Score is the folded-in user's score of the item; the contributions of
	// all past items sum to it.
	Score float32
	// Top holds the largest contributions, largest first (ties to the
	// smaller item).
	Top []Contribution
}

// Explain decomposes the score of item for the user with the given history
// as in Hu, Koren & Volinsky §5: with A_u the matrix of the user's exact
// solve, score = Σ_j s_ij·c_j·p_j where s_ij = φ_iᵀ·A_u⁻¹·φ_j. It returns the
// top n contributions. The score is the fold-in user's, which equals the
// trained user's when training solved exactly (Cholesky) against the final
// item factors.
func (m *IALS) Explain(items []int32, weights []float32, item int32, n int) (Explanation, error) {
	out, err := m.ExplainEach(items, weights, []int32{item}, n)
	if err != nil {
		return Explanation{}, err
	}
	return out[0], nil
}

// ExplainEach explains the score of each target item as Explain does, for
// one user: A_u is factored once for all of them.
func (m *IALS) ExplainEach(items []int32, weights []float32, targets []int32, n int) ([]Explanation, error) {
	if err := m.checkRow(items, weights); err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	for _, item := range targets {
		if item < 0 || int(item) >= m.train.Items() {
			return nil, fmt.Errorf("explain: item %d of %d: %w", item, m.train.Items(), ErrIndex)
		}
	}
	f := m.opts.Factors
	s := m.getScratch()
	defer foldPool.Put(s)
	x := s.r
	if err := solveExact(m.opts, s, x, m.items, m.gram, items, weights, m.foldReg(len(items))); err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	out := make([]Explanation, len(targets))
	if len(items) == 0 {
		return out, nil
	}
	for t, item := range targets {
		// z = A_u⁻¹·φ_i with the factor solveExact left in s.a; s_ij = zᵀ·φ_j.
		for d, v := range m.ItemVector(int(item)) {
			s.b[d] = float64(v)
		}
		cholSolve(s.a, f, s.b)
		all := make([]Contribution, len(items))
		var total float64
		for k, j := range items {
			var sij float64
			for d, v := range m.ItemVector(int(j)) {
				sij += s.b[d] * float64(v)
			}
			c, p := confidence(m.opts.Alpha, weights[k])
			v := sij * float64(c*p)
			total += v
			all[k] = Contribution{Item: j, Value: float32(v)}
		}
		slices.SortFunc(all, func(a, b Contribution) int {
			return cmp.Or(cmp.Compare(b.Value, a.Value), cmp.Compare(a.Item, b.Item))
		})
		out[t] = Explanation{Score: float32(total), Top: all[:min(n, len(all))]}
	}
	return out, nil
}

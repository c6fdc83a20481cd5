package recommend

import (
	"cmp"
	"fmt"
	"slices"
)

// Explain splits the score of each target for a user with this history
// (as FoldInWeighted takes it) into shares of the past items, the n
// largest each. Past item k's share is exact: its iALS contribution (Hu et
// al. §5, on the fold-in's recency-scaled weights) scaled as the user
// vector scales the iALS part, plus its term of the content centroid's
// dot product with the target. The shares of all past items sum to the
// score less the target's popularity term, which no past item owns;
// Explanation.Score is the whole dot product.
func (h *DotHybrid) Explain(items []int32, weights, ratings []float32, times []int64, targets []int32, n int) ([]Explanation, error) {
	for _, t := range targets {
		if t < 0 || int(t) >= len(h.counts) {
			return nil, fmt.Errorf("dot hybrid explain: item %d of %d: %w", t, len(h.counts), ErrIndex)
		}
	}
	user := make([]float32, h.dim)
	us, err := h.foldIn(user, items, weights, ratings, times)
	if err != nil {
		return nil, fmt.Errorf("dot hybrid explain: %w", err)
	}
	parts, err := h.ials.ExplainEach(items, us.w, targets, len(items))
	if err != nil {
		return nil, fmt.Errorf("dot hybrid explain: %w", err)
	}
	at := make(map[int32]int, len(items))
	for k, i := range items {
		at[i] = k
	}
	out := make([]Explanation, len(targets))
	for t, target := range targets {
		all := make([]Contribution, len(items))
		for k, i := range items {
			all[k].Item = i
		}
		for _, c := range parts[t].Top {
			all[at[c.Item]].Value = us.factor * h.sF * c.Value
		}
		if us.cw != nil {
			tc := h.content.Row(int(target))
			for k, i := range items {
				all[k].Value += us.content * us.cw[k] * h.sC * dot(h.content.Row(int(i)), tc)
			}
		}
		slices.SortFunc(all, func(a, b Contribution) int {
			return cmp.Or(cmp.Compare(b.Value, a.Value), cmp.Compare(a.Item, b.Item))
		})
		out[t] = Explanation{Score: dot(user, h.ItemVector(int(target))), Top: all[:min(n, len(all))]}
	}
	return out, nil
}

package recommend

import (
	"cmp"
	"math"
	"slices"
)

// RecencyWeighted returns m with each weight scaled by
// 1 + beta·2^(−later/halfLife), where later counts the user's interactions
// strictly after this one: a user's latest items weigh up to 1+beta times
// more. On a chronological split the held-out items follow the user's
// recent taste, which is why this helps there (see the bench results).
func RecencyWeighted(m *Matrix, beta, halfLife float64) *Matrix {
	if beta == 0 || halfLife <= 0 {
		return m
	}
	w := recencyDecay(m, halfLife)
	for k, d := range w {
		w[k] = m.byUser.weight[k] * float32(1+beta*float64(d))
	}
	return m.withUserWeights(w)
}

// recencyDecay returns 2^(−later/halfLife) for every stored pair, in user
// row storage order; equal times share a rank.
func recencyDecay(m *Matrix, halfLife float64) []float32 {
	out := make([]float32, m.NNZ())
	var order []int
	for u := range m.Users() {
		base := int(m.byUser.ptr[u])
		ts := m.UserTimes(u)
		order = decayInto(out[base:base+len(ts)], ts, halfLife, order)
	}
	return out
}

// RecencyScale scales one user's weights in place as RecencyWeighted does
// for a whole matrix, from the times of the same interactions: what a
// fold-in applies to a user's current history so that it sees the weights
// training saw.
func RecencyScale(weights []float32, times []int64, beta, halfLife float64) {
	if beta == 0 || halfLife <= 0 {
		return
	}
	d := make([]float32, len(times))
	decayInto(d, times, halfLife, nil)
	for k := range weights {
		weights[k] *= float32(1 + beta*float64(d[k]))
	}
}

// decayInto writes 2^(−later/halfLife) for each of one user's times into
// out, using order as scratch, and returns the scratch.
func decayInto(out []float32, ts []int64, halfLife float64, order []int) []int {
	order = order[:0]
	for k := range ts {
		order = append(order, k)
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(ts[b], ts[a]) })
	later := 0
	for r, k := range order {
		if r > 0 && ts[order[r-1]] != ts[k] {
			later = r
		}
		out[k] = float32(math.Exp2(-float64(later) / halfLife))
	}
	return order
}

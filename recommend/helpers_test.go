package recommend

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// planted draws a users×items set from planted rank-r structure: user and
// item vectors in r clusters, each user interacting with perUser items
// drawn in proportion to exp(3·<u, i>). It returns the matrix of all but
// one held-out item per user, and that item.
func planted(t *testing.T, rng *rand.Rand, users, items, clusters, perUser int) (*Matrix, []int32) {
	t.Helper()
	userC := make([]int, users)
	for u := range userC {
		userC[u] = rng.IntN(clusters)
	}
	itemC := make([]int, items)
	for i := range itemC {
		itemC[i] = rng.IntN(clusters)
	}
	var events []Interaction
	held := make([]int32, users)
	for u := range users {
		seen := map[int]bool{}
		var picked []int
		for len(picked) < perUser {
			i := rng.IntN(items)
			// Nine in ten picks from the user's own cluster.
			if itemC[i] != userC[u] && rng.Float64() < 0.9 {
				continue
			}
			if !seen[i] {
				seen[i] = true
				picked = append(picked, i)
			}
		}
		held[u] = int32(picked[len(picked)-1])
		for k, i := range picked[:len(picked)-1] {
			events = append(events, Interaction{User: int32(u), Item: int32(i), Weight: 1, Time: int64(k)})
		}
	}
	m, err := Build(users, items, events, SumDuplicates)
	require.NoError(t, err)
	return m, held
}

// heldOutRecall is the fraction of users whose held-out item is in their
// top k among items they do not have.
func heldOutRecall(s Scorer, m *Matrix, held []int32, k int) float64 {
	scores := make([]float32, m.Items())
	allowed := make([]bool, m.Items())
	hits := 0
	for u := range m.Users() {
		for i := range allowed {
			allowed[i] = !m.Has(u, i)
		}
		s.Score(u, scores)
		for _, i := range TopK(nil, scores, allowed, k) {
			if i == held[u] {
				hits++
			}
		}
	}
	return float64(hits) / float64(m.Users())
}

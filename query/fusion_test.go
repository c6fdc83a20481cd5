package query

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// list makes a result list of ids with scores, best first.
func list(ids []uint64, scores ...float32) []index.ScoredPoint {
	out := make([]index.ScoredPoint, len(ids))
	for i, id := range ids {
		out[i].ID = pointid.FromNum(id)
		if i < len(scores) {
			out[i].Score = scores[i]
		}
	}
	return out
}

// scoresByID flattens fused results for comparison.
func scoresByID(res []index.ScoredPoint) ([]uint64, []float64) {
	ids := make([]uint64, len(res))
	scores := make([]float64, len(res))
	for i, r := range res {
		n, _ := r.ID.Num()
		ids[i], scores[i] = n, float64(r.Score)
	}
	return ids, scores
}

func TestRRFByHand(t *testing.T) {
	lists := [][]index.ScoredPoint{list([]uint64{1, 2, 3}), list([]uint64{3, 1})}
	cases := []struct {
		name   string
		f      Fusion
		ids    []uint64
		scores []float64
	}{
		// k = 2: 1 is 1/2 + 1/3, 3 is 1/4 + 1/2, 2 is 1/3.
		{"default k", Fusion{Method: RRF}, []uint64{1, 3, 2}, []float64{1.0/2 + 1.0/3, 1.0/4 + 1.0/2, 1.0 / 3}},
		{"k 60", Fusion{Method: RRF, K: 60}, []uint64{1, 3, 2}, []float64{1.0/60 + 1.0/61, 1.0/62 + 1.0/60, 1.0 / 61}},
		// Weight 2 on the first list: ranks 0, 1, 2 score 1/(1/2+1), 1/(2/2+1), 1/(3/2+1).
		{"weights", Fusion{Method: RRF, Weights: []float32{2, 1}}, []uint64{1, 3, 2}, []float64{2.0/3 + 1.0/3, 0.4 + 0.5, 0.5}},
		{"zero weight", Fusion{Method: RRF, Weights: []float32{0, 1}}, []uint64{3, 1, 2}, []float64{0.5, 1.0 / 3, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ids, scores := scoresByID(c.f.fuse(lists))
			assert.Equal(t, c.ids, ids)
			assert.InDeltaSlice(t, c.scores, scores, 1e-6)
		})
	}
}

func TestDBSFByHand(t *testing.T) {
	// List A: mean 0.7, sample σ 0.2, so [0.1, 1.3] maps to [0, 1].
	// List B: mean 5, σ √50, so [5−3√50, 5+3√50] maps to [0, 1].
	a := list([]uint64{1, 2, 3}, 0.9, 0.7, 0.5)
	b := list([]uint64{3, 1}, 10, 0)
	f := Fusion{Method: DBSF}
	ids, scores := scoresByID(f.fuse([][]index.ScoredPoint{a, b}))
	lo, span := 5-3*7.0710678, 6*7.0710678
	assert.Equal(t, []uint64{1, 3, 2}, ids)
	assert.InDeltaSlice(t, []float64{0.8/1.2 + (0-lo)/span, 0.4/1.2 + (10-lo)/span, 0.5}, scores, 1e-5)

	// One point, or equal scores, score 0.5; weights multiply.
	ids, scores = scoresByID(f.fuse([][]index.ScoredPoint{list([]uint64{7}, 3), list([]uint64{8, 9}, 1, 1)}))
	assert.Equal(t, []uint64{7, 8, 9}, ids)
	assert.InDeltaSlice(t, []float64{0.5, 0.5, 0.5}, scores, 1e-6)
	f.Weights = []float32{2, 1}
	_, scores = scoresByID(f.fuse([][]index.ScoredPoint{list([]uint64{7}, 3), list([]uint64{8}, 1)}))
	assert.InDeltaSlice(t, []float64{1, 0.5}, scores, 1e-6)
}

func TestFusionCheck(t *testing.T) {
	for _, c := range []struct {
		f    Fusion
		n    int
		want string
	}{
		{Fusion{Method: "mean"}, 2, `"mean"`},
		{Fusion{Method: RRF}, 0, "needs prefetch"},
		{Fusion{Method: RRF, K: -1}, 2, "k -1"},
		{Fusion{Method: RRF, Weights: []float32{1}}, 2, "1 weights for 2"},
		{Fusion{Method: RRF, Weights: []float32{1, -1}}, 2, "weights[1]"},
	} {
		err := c.f.check(c.n)
		require.ErrorIs(t, err, index.ErrBadRequest)
		assert.Contains(t, err.Error(), c.want)
	}
	require.NoError(t, (&Fusion{Method: DBSF}).check(2))
}

func TestMMROrderByHand(t *testing.T) {
	rel := []float32{1, 0.9, 0.5}
	pair := map[[2]int]float32{{0, 1}: 0.95, {0, 2}: 0.1, {1, 2}: 0.2}
	sim := func(i, j int) float32 { return pair[[2]int{min(i, j), max(i, j)}] }
	// λ = 0.5: after 0, candidate 1 scores 0.45 − 0.475 and 2 scores
	// 0.25 − 0.05, so 2 comes before its near-duplicate 1.
	order := func(lambda float32, n int) []int {
		out, err := mmrOrder(context.Background(), rel, sim, lambda, n)
		require.NoError(t, err)
		return out
	}
	assert.Equal(t, []int{0, 2, 1}, order(0.5, 3))
	assert.Equal(t, []int{0, 1, 2}, order(1, 3), "λ = 1 is relevance order")
	assert.Equal(t, []int{0, 2}, order(0, 2), "λ = 0: least similar to the first")
	assert.Empty(t, order(0.5, 0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := mmrOrder(ctx, rel, sim, 0.5, 3)
	require.ErrorIs(t, err, context.Canceled)
}

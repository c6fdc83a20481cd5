package recommend

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

// foldedIALS scores by iALS user vectors folded in with recency weights.
type foldedIALS struct {
	m     *IALS
	users [][]float32
}

func (s foldedIALS) Score(u int, dst []float32) { scoreDot(dst, s.users[u], s.m.ItemFactors()) }

// popScores gives every user the log(1 + count) of each item.
type popScores []float32

func (p popScores) Score(_ int, dst []float32) { copy(dst, p) }

func dotHybridFixture(t *testing.T, rng *rand.Rand) (*Matrix, *IALS, Content) {
	t.Helper()
	m, _ := planted(t, rng, 60, 50, 4, 12)
	// Ratings 1..5 so that the centroid's rating weights matter.
	m = m.Reweighted(func(u, i int, _ float32, _ int64) float32 { return float32(1 + (u*7+i*3)%5) })
	bin := m.Reweighted(func(int, int, float32, int64) float32 { return 1 })
	model, err := TrainIALS(context.Background(), bin, IALSOptions{Factors: 6, Iterations: 5, Solver: Cholesky, Lambda: 1, Seed: 1})
	require.NoError(t, err)
	content := Content{Dim: 5, Vectors: make([]float32, 5*m.Items())}
	for k := range content.Vectors {
		content.Vectors[k] = float32(rng.NormFloat64())
	}
	return m, model, content
}

// The dot product ranks exactly as Hybrid's standardised blend of the same
// parts: the scores differ by a per-user constant only.
func TestDotHybridMatchesStandardisedBlend(t *testing.T) {
	rng := testseed.New(t)
	m, model, content := dotHybridFixture(t, rng)
	opts := DotHybridOptions{ContentWeight: 0.6, PopularityWeight: 0.3, RecencyBeta: 10, RecencyHalfLife: 3,
		Centroid: CentroidOptions{RatingWeight: true, RatingShift: 2.5}}
	h, err := NewDotHybrid(model, m, content, opts)
	require.NoError(t, err)
	require.Equal(t, 6+5+1, h.Dim())

	folded := foldedIALS{m: model, users: make([][]float32, m.Users())}
	for u := range m.Users() {
		items, _ := m.UserItems(u)
		w := make([]float32, len(items))
		for k := range w {
			w[k] = 1
		}
		RecencyScale(w, m.UserTimes(u), opts.RecencyBeta, opts.RecencyHalfLife)
		folded.users[u], err = model.FoldIn(nil, items, w)
		require.NoError(t, err)
	}
	pop := make(popScores, m.Items())
	for i := range pop {
		pop[i] = float32(math.Log1p(float64(m.ItemCount(i))))
	}
	cen, err := NewCentroid(m, content, opts.Centroid)
	require.NoError(t, err)
	blend, err := NewHybrid([]Scorer{folded, pop, cen}, []float32{1, opts.PopularityWeight, opts.ContentWeight})
	require.NoError(t, err)

	got, want := make([]float32, m.Items()), make([]float32, m.Items())
	for u := range m.Users() {
		h.Score(u, got)
		blend.Score(u, want)
		shift := got[0] - want[0]
		for i := range got {
			require.InDelta(t, want[i]+shift, got[i], 1e-3, "user %d item %d", u, i)
		}
	}
}

func TestDotHybridFoldIn(t *testing.T) {
	rng := testseed.New(t)
	m, model, content := dotHybridFixture(t, rng)
	h, err := NewDotHybrid(model, m, content, DotHybridOptions{ContentWeight: 0.5, PopularityWeight: 0.2,
		RecencyBeta: 5, RecencyHalfLife: 4, Centroid: CentroidOptions{RecencyHalfLife: 5}})
	require.NoError(t, err)
	for u := range m.Users() {
		items, ws := m.UserItems(u)
		v, err := h.FoldIn(make([]float32, 0, h.Dim()), items, ws, m.UserTimes(u))
		require.NoError(t, err)
		require.InDeltaSlice(t, h.UserVector(u), v, 1e-6, "a trained user folds in to their own vector")
	}
	v, err := h.FoldIn(nil, nil, nil, nil)
	require.NoError(t, err)
	require.Len(t, v, h.Dim())
	require.Equal(t, float32(1), v[h.Dim()-1], "a new user gets popularity alone")
	for k, x := range v[:h.Dim()-1] {
		require.Zero(t, x, "coordinate %d", k)
	}

	_, err = h.FoldIn(nil, []int32{int32(m.Items())}, []float32{4}, []int64{1})
	require.ErrorIs(t, err, ErrIndex)
	_, err = h.FoldIn(nil, []int32{1}, []float32{4}, nil)
	require.ErrorIs(t, err, ErrDimension)
	_, err = h.FoldIn(nil, []int32{1}, []float32{float32(math.Inf(1))}, []int64{1})
	require.ErrorIs(t, err, ErrValue)

	_, err = NewDotHybrid(model, m, content, DotHybridOptions{ContentWeight: -1, RecencyBeta: 1})
	require.ErrorIs(t, err, ErrOptions)
	require.ErrorContains(t, err, "ContentWeight")
	require.ErrorContains(t, err, "RecencyHalfLife")
	_, err = NewDotHybrid(model, m, Content{Dim: 5, Vectors: content.Vectors[5:]}, DotHybridOptions{})
	require.ErrorIs(t, err, ErrDimension)
}

// BenchmarkDotHybridFoldIn is the query-time cost at the bench's shape:
// 64 factors, 256-dimensional content, a user with 100 items.
func BenchmarkDotHybridFoldIn(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const users, items, f, d = 200, 2000, 64, 256
	var events []Interaction
	for u := range users {
		for k, i := range rng.Perm(items)[:100] {
			events = append(events, Interaction{User: int32(u), Item: int32(i), Weight: float32(1 + rng.IntN(5)), Time: int64(k)})
		}
	}
	m, err := Build(users, items, events, LastWins)
	require.NoError(b, err)
	model, err := TrainIALS(context.Background(), m, IALSOptions{Factors: f, Iterations: 2, Lambda: 30})
	require.NoError(b, err)
	content := Content{Dim: d, Vectors: make([]float32, d*items)}
	for k := range content.Vectors {
		content.Vectors[k] = float32(rng.NormFloat64())
	}
	h, err := NewDotHybrid(model, m, content, DotHybridOptions{ContentWeight: 0.5, PopularityWeight: 0.2, RecencyBeta: 10, RecencyHalfLife: 10,
		Centroid: CentroidOptions{RatingWeight: true, RatingShift: 2.5}})
	require.NoError(b, err)
	its, ws := m.UserItems(3)
	ts := m.UserTimes(3)
	dst := make([]float32, 0, h.Dim())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.FoldIn(dst, its, ws, ts); err != nil {
			b.Fatal(err)
		}
	}
}

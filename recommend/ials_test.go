package recommend

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/stretchr/testify/require"
)

func TestIALSRecoversPlantedStructure(t *testing.T) {
	rng := testseed.New(t)
	m, held := planted(t, rng, 300, 400, 8, 20)
	var losses []float64
	model, err := TrainIALS(context.Background(), m, IALSOptions{Factors: 8, Iterations: 8, Lambda: 1, Seed: rng.Uint64(),
		Progress: func(e Epoch) { losses = append(losses, e.Loss) }})
	require.NoError(t, err)
	require.Len(t, losses, 8)
	require.Less(t, losses[7], losses[0])
	// Random top-20 of ~380 candidates hits about 5%; the planted
	// clusters put 90% of a user's items among ~50.
	recall := heldOutRecall(model, m, held, 20)
	t.Logf("held-out recall@20 %.3f (random %.3f)", recall, 20.0/380)
	require.Greater(t, recall, 0.15)
}

func TestIALSDeterministic(t *testing.T) {
	rng := testseed.New(t)
	m, _ := planted(t, rng, 50, 60, 3, 8)
	seed := rng.Uint64()
	a, err := TrainIALS(context.Background(), m, IALSOptions{Factors: 8, Iterations: 3, Seed: seed, Workers: 1})
	require.NoError(t, err)
	b, err := TrainIALS(context.Background(), m, IALSOptions{Factors: 8, Iterations: 3, Seed: seed, Workers: 2})
	require.NoError(t, err)
	require.Equal(t, a.users, b.users)
	require.Equal(t, a.items, b.items)
}

func TestIALSCancel(t *testing.T) {
	m, _ := planted(t, testseed.New(t), 50, 60, 3, 8)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := TrainIALS(ctx, m, IALSOptions{Factors: 8})
	require.ErrorIs(t, err, context.Canceled)
}

func TestIALSValidate(t *testing.T) {
	o := IALSOptions{Factors: -1, Alpha0: 2, Lambda: -1}
	o.EnsureDefaults()
	err := o.Validate()
	require.ErrorIs(t, err, ErrOptions)
	require.ErrorContains(t, err, "Factors")
	require.ErrorContains(t, err, "Alpha0")
	require.ErrorContains(t, err, "Lambda")
}

// TestFoldInEqualsTrainingSolve holds the item factors fixed, runs the
// training user step (exact and CG), and checks that FoldIn gives each
// user's vector.
func TestFoldInEqualsTrainingSolve(t *testing.T) {
	rng := testseed.New(t)
	m, _ := planted(t, rng, 80, 120, 4, 12)
	// Give weights variety, and one dislike, so confidences differ.
	m = m.Reweighted(func(u, i int, w float32, _ int64) float32 {
		if (u+i)%17 == 0 {
			return -1
		}
		return 1 + float32((u*7+i)%5)
	})
	model, err := TrainIALS(context.Background(), m, IALSOptions{Factors: 12, Iterations: 3, Alpha: 0.5, Alpha0: 0.3, Nu: 0.5, Lambda: 0.2, Seed: rng.Uint64()})
	require.NoError(t, err)
	f := model.opts.Factors
	for _, solver := range []Solver{Cholesky, CG} {
		opts := model.opts
		opts.Solver, opts.CGSteps = solver, 60
		users := append([]float32(nil), model.users...)
		s := newSide(opts, m.byUser, model.userL2)
		require.NoError(t, s.solve(context.Background(), users, model.items, model.gram))
		tol := 1e-5
		if solver == CG {
			tol = 1e-4 // float32 CG converges to rounding, not exactly
		}
		for u := range m.Users() {
			items, ws := m.UserItems(u)
			got, err := model.FoldIn(nil, items, ws)
			require.NoError(t, err)
			for d := range f {
				require.InDelta(t, users[u*f+d], got[d], tol, "solver %d user %d dim %d", solver, u, d)
			}
		}
	}
}

func TestFoldInFastAndAllocFree(t *testing.T) {
	rng := testseed.New(t)
	m, _ := planted(t, rng, 40, 2000, 4, 120)
	model, err := TrainIALS(context.Background(), m, IALSOptions{Factors: 64, Iterations: 1, Seed: rng.Uint64()})
	require.NoError(t, err)
	items, ws := m.UserItems(0)
	items, ws = items[:100], ws[:100]
	dst := make([]float32, 0, 64)
	_, _ = model.FoldIn(dst, items, ws) // warm the scratch pool
	require.Zero(t, testing.AllocsPerRun(20, func() { dst, _ = model.FoldIn(dst, items, ws) }))
	start := time.Now()
	const n = 50
	for range n {
		dst, _ = model.FoldIn(dst, items, ws)
	}
	per := time.Since(start) / n
	t.Logf("fold-in, f=64, 100 items: %v (BenchmarkFoldIn measures)", per)
	_, err = model.FoldIn(dst, []int32{int32(m.Items())}, []float32{1})
	require.ErrorIs(t, err, ErrIndex)
}

func BenchmarkFoldIn(b *testing.B) {
	m, _ := planted(&testing.T{}, testseed.Stream(1, 0), 40, 2000, 4, 120)
	model, err := TrainIALS(context.Background(), m, IALSOptions{Factors: 64, Iterations: 1, Seed: 1})
	require.NoError(b, err)
	items, ws := m.UserItems(0)
	items, ws = items[:100], ws[:100]
	dst := make([]float32, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = model.FoldIn(dst, items, ws)
	}
}

func TestExplainSumsToScore(t *testing.T) {
	rng := testseed.New(t)
	m, _ := planted(t, rng, 60, 90, 3, 10)
	model, err := TrainIALS(context.Background(), m, IALSOptions{Factors: 10, Iterations: 4, Alpha: 2, Seed: rng.Uint64()})
	require.NoError(t, err)
	for u := range 10 {
		items, ws := m.UserItems(u)
		x, err := model.FoldIn(nil, items, ws)
		require.NoError(t, err)
		target := int32(rng.IntN(m.Items()))
		all, err := model.Explain(items, ws, target, len(items))
		require.NoError(t, err)
		want := dot(x, model.ItemVector(int(target)))
		require.InDelta(t, want, all.Score, 1e-4)
		var sum float64
		for k, c := range all.Top {
			sum += float64(c.Value)
			if k > 0 {
				require.GreaterOrEqual(t, all.Top[k-1].Value, c.Value)
			}
		}
		require.InDelta(t, want, sum, 1e-4)
		top3, err := model.Explain(items, ws, target, 3)
		require.NoError(t, err)
		require.Equal(t, all.Top[:3], top3.Top)
		require.False(t, math.IsNaN(float64(all.Score)))
	}
}

func TestRecencyScaleMatchesMatrix(t *testing.T) {
	events := []Interaction{
		{User: 0, Item: 0, Weight: 1, Time: 30}, {User: 0, Item: 1, Weight: 1, Time: 10},
		{User: 0, Item: 2, Weight: 1, Time: 30}, {User: 0, Item: 3, Weight: 1, Time: 20},
		{User: 1, Item: 1, Weight: 1, Time: 5},
	}
	m, err := Build(2, 4, events, LastWins)
	require.NoError(t, err)
	rw := RecencyWeighted(m, 3, 2)
	items, want := rw.UserItems(0)
	_, got := m.UserItems(0)
	got = append([]float32(nil), got...)
	RecencyScale(got, m.UserTimes(0), 3, 2)
	require.Len(t, items, 4)
	require.InDeltaSlice(t, want, got, 1e-6)
	// The latest two share rank 0: weight 1+3; the oldest has two later.
	require.InDelta(t, 4.0, got[0], 1e-6)
}

func TestCentroidWeightsMatchNewCentroid(t *testing.T) {
	events := []Interaction{
		{User: 0, Item: 0, Weight: 5, Time: 30}, {User: 0, Item: 1, Weight: 1, Time: 10},
		{User: 0, Item: 2, Weight: 3, Time: 20},
	}
	m, err := Build(1, 3, events, LastWins)
	require.NoError(t, err)
	content := Content{Dim: 3, Vectors: []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}}
	for _, opts := range []CentroidOptions{{}, {RatingWeight: true, RatingShift: 2.5}, {RecencyHalfLife: 2}, {RatingWeight: true, RatingShift: 2.5, RecencyHalfLife: 2}} {
		cen, err := NewCentroid(m, content, opts)
		require.NoError(t, err)
		items, ws := m.UserItems(0)
		w := CentroidWeights(ws, m.UserTimes(0), opts)
		var total float32
		for _, x := range w {
			total += max(x, -x)
		}
		want := make([]float32, 3)
		for k, i := range items {
			want[i] = w[k] / total // the content rows are the unit vectors
		}
		require.InDeltaSlice(t, want, cen.UserVector(0), 1e-6, "%+v", opts)
	}
}

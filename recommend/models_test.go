package recommend

import (
	"context"
	"testing"

	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/stretchr/testify/require"
)

func TestBaselinesRecoverPlantedStructure(t *testing.T) {
	rng := testseed.New(t)
	m, held := planted(t, rng, 300, 400, 8, 20)
	bpr, err := TrainBPR(context.Background(), m, BPROptions{Factors: 8, Epochs: 150, Seed: rng.Uint64()})
	require.NoError(t, err)
	knn, err := TrainItemKNN(context.Background(), m, 50, 0)
	require.NoError(t, err)
	// Floors at 2× and 3× random; BPR's sampled SGD converges slowest.
	for _, c := range []struct {
		name  string
		s     Scorer
		floor float64
	}{{"bpr", bpr, 0.10}, {"item-knn", knn, 0.15}} {
		recall := heldOutRecall(c.s, m, held, 20)
		t.Logf("%s held-out recall@20 %.3f (random %.3f)", c.name, recall, 20.0/380)
		require.Greater(t, recall, c.floor, c.name)
	}
}

func TestRatingModels(t *testing.T) {
	rng := testseed.New(t)
	// Ratings = 3 + user bias + item bias + noise, in [1, 5].
	const users, items = 100, 80
	ub, ib := make([]float32, users), make([]float32, items)
	for u := range ub {
		ub[u] = float32(rng.NormFloat64()) * 0.5
	}
	for i := range ib {
		ib[i] = float32(rng.NormFloat64()) * 0.5
	}
	var train, test []Interaction
	for u := range users {
		for i := range items {
			if rng.Float64() > 0.3 {
				continue
			}
			r := min(max(3+ub[u]+ib[i]+float32(rng.NormFloat64())*0.3, 1), 5)
			e := Interaction{User: int32(u), Item: int32(i), Weight: r}
			if rng.Float64() < 0.2 {
				test = append(test, e)
			} else {
				train = append(train, e)
			}
		}
	}
	m, err := Build(users, items, train, LastWins)
	require.NoError(t, err)
	b, err := TrainBiases(m, 2, 2)
	require.NoError(t, err)
	mf, err := TrainBiasedMF(context.Background(), m, MFOptions{Factors: 4, Epochs: 30, LearningRate: 0.01, Seed: rng.Uint64()})
	require.NoError(t, err)
	rmse := func(p func(u, i int) float32) float64 {
		var se float64
		for _, e := range test {
			d := float64(p(int(e.User), int(e.Item)) - e.Weight)
			se += d * d
		}
		return se / float64(len(test))
	}
	mean := func(int, int) float32 { return b.Mean }
	t.Logf("MSE: mean %.3f, biases %.3f, mf %.3f", rmse(mean), rmse(b.Predict), rmse(mf.Predict))
	require.Less(t, rmse(b.Predict), 0.5*rmse(mean))
	require.Less(t, rmse(mf.Predict), 0.6*rmse(mean))
	for _, e := range test {
		p := mf.Predict(int(e.User), int(e.Item))
		require.True(t, p >= 1 && p <= 5, "clipped to the training range")
	}
}

func TestContentRidgeHybrid(t *testing.T) {
	rng := testseed.New(t)
	m, held := planted(t, rng, 200, 300, 6, 15)
	model, err := TrainIALS(context.Background(), m, IALSOptions{Factors: 8, Iterations: 6, Lambda: 1, Seed: rng.Uint64()})
	require.NoError(t, err)
	// Content = the item factors plus noise: informative by construction.
	c := Content{Dim: 8, Vectors: make([]float32, len(model.items))}
	for k, v := range model.items {
		c.Vectors[k] = v + float32(rng.NormFloat64())*0.01
	}
	cen, err := NewCentroid(m, c, CentroidOptions{RecencyHalfLife: 5})
	require.NoError(t, err)
	require.Greater(t, heldOutRecall(cen, m, held, 20), 0.1)

	fitted := make([]bool, m.Items())
	for i := range fitted {
		fitted[i] = i%2 == 0
	}
	rm, err := FitRidge(c, model.items, 8, fitted, 1e-3)
	require.NoError(t, err)
	cold := append([]float32(nil), model.items...)
	rm.FillCold(cold, c, fitted)
	for i := 1; i < m.Items(); i += 2 {
		for d := range 8 {
			require.InDelta(t, model.items[i*8+d], cold[i*8+d], 0.05, "cold item %d gets a factor near its own", i)
		}
	}

	h, err := NewHybrid([]Scorer{model, cen}, []float32{1, 0.2})
	require.NoError(t, err)
	require.Greater(t, heldOutRecall(h, m, held, 20), 0.1)
	_, err = NewHybrid([]Scorer{model}, nil)
	require.ErrorIs(t, err, ErrOptions)
}

package recommend

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

// plantedRatings draws ratings μ + b_u + b_i + noise; a user's bias moves
// over their history (times ascending) by drift times a draw from N(0, 1)
// of their own, so that recency matters.
func plantedRatings(rng *rand.Rand, users, items, perUser int, drift float32) (m *Matrix, bu, bi []float32) {
	bu, bi = make([]float32, users), make([]float32, items)
	for u := range bu {
		bu[u] = float32(rng.NormFloat64()) * 0.5
	}
	for i := range bi {
		bi[i] = float32(rng.NormFloat64()) * 0.5
	}
	var events []Interaction
	for u := range users {
		d := drift * float32(rng.NormFloat64())
		for k, i := range rng.Perm(items)[:perUser] {
			// The planted bias is the one at the end of the history.
			b := bu[u] - d*(1-float32(k)/float32(perUser-1))
			r := 3.5 + b + bi[i] + float32(rng.NormFloat64())*0.1
			events = append(events, Interaction{User: int32(u), Item: int32(i), Weight: r, Time: int64(k)})
		}
	}
	m, err := Build(users, items, events, LastWins)
	if err != nil {
		panic(err)
	}
	return m, bu, bi
}

func TestRatingsRecoversPlantedBiases(t *testing.T) {
	rng := testseed.New(t)
	m, bu, bi := plantedRatings(rng, 200, 100, 50, 0)
	r, err := TrainRatings(m, RatingsOptions{LambdaUser: 0.01, LambdaItem: 0.01, BaseLambdaUser: 0.01, Floor: 1, Iterations: 30})
	require.NoError(t, err)
	// Biases are identified up to a constant shared with μ.
	shift := r.Mean() - 3.5
	for u := range bu {
		require.InDelta(t, bu[u], r.UserBias(u)+shift/2, 0.15, "user %d", u)
	}
	for i := range bi {
		require.InDelta(t, bi[i], r.ItemBias(i)+shift/2, 0.15, "item %d", i)
	}
	for u := range 10 {
		items, _ := m.UserItems(u)
		for _, i := range items {
			want := min(max(3.5+bu[u]+bi[i], r.lo), r.hi)
			require.InDelta(t, want, r.Predict(u, int(i)), 0.1)
		}
	}
}

func TestRatingsFollowsRecentBias(t *testing.T) {
	rng := testseed.New(t)
	m, bu, bi := plantedRatings(rng, 200, 100, 50, 1)
	errOf := func(o RatingsOptions) float64 {
		r, err := TrainRatings(m, o)
		require.NoError(t, err)
		// Score against the latest planted ratings, which fixes the
		// constant that μ and the biases share.
		var se float64
		for u := range bu {
			for i := range bi {
				d := float64(r.Mean() + r.UserBias(u) + r.ItemBias(i) - (3.5 + bu[u] + bi[i]))
				se += d * d
			}
		}
		return math.Sqrt(se / float64(len(bu)*len(bi)))
	}
	plain := errOf(RatingsOptions{LambdaUser: 0.01, Floor: 1})
	recent := errOf(RatingsOptions{LambdaUser: 0.01, Floor: 0.01, HalfLife: 3})
	t.Logf("RMSE against the latest planted ratings: plain %.3f, recency-weighted %.3f", plain, recent)
	require.Less(t, recent, plain/2)
}

func TestRatingsFoldInMatchesTraining(t *testing.T) {
	rng := testseed.New(t)
	m, _, _ := plantedRatings(rng, 50, 40, 20, 0.5)
	r, err := TrainRatings(m, RatingsOptions{})
	require.NoError(t, err)
	for u := range m.Users() {
		items, ratings := m.UserItems(u)
		b, err := r.FoldIn(items, ratings, m.UserTimes(u))
		require.NoError(t, err)
		require.InDelta(t, r.UserBias(u), b, 1e-5, "user %d", u)
		require.Equal(t, r.Predict(u, 3), r.PredictWithBias(b, 3))
	}
	b, err := r.FoldIn(nil, nil, nil)
	require.NoError(t, err)
	require.Zero(t, b, "a user without ratings gets no bias")
	_, err = r.FoldIn([]int32{40}, []float32{4}, []int64{1})
	require.ErrorIs(t, err, ErrIndex)
	_, err = r.FoldIn([]int32{1}, []float32{4}, nil)
	require.ErrorIs(t, err, ErrDimension)
	_, err = r.FoldIn([]int32{1}, []float32{float32(math.NaN())}, []int64{1})
	require.ErrorIs(t, err, ErrValue)
}

func TestRatingsOptionsValidate(t *testing.T) {
	_, err := TrainRatings(&Matrix{byUser: csr{ptr: []int32{0}}, byItem: csr{ptr: []int32{0}}},
		RatingsOptions{LambdaUser: -1, Floor: 2, HalfLife: -1})
	require.ErrorIs(t, err, ErrOptions)
	require.ErrorContains(t, err, "LambdaUser")
	require.ErrorContains(t, err, "Floor")
	require.ErrorContains(t, err, "HalfLife")
}

func TestRatingsSaveLoad(t *testing.T) {
	rng := testseed.New(t)
	m, _, _ := plantedRatings(rng, 30, 20, 10, 0.5)
	r, err := TrainRatings(m, RatingsOptions{HalfLife: 7})
	require.NoError(t, err)
	b, err := r.MarshalBinary()
	require.NoError(t, err)
	back, err := LoadRatings(b)
	require.NoError(t, err)
	require.Equal(t, r, back)
	items, ratings := m.UserItems(4)
	want, err := r.FoldIn(items, ratings, m.UserTimes(4))
	require.NoError(t, err)
	got, err := back.FoldIn(items, ratings, m.UserTimes(4))
	require.NoError(t, err)
	require.Equal(t, want, got)

	for n := range len(b) {
		_, err := LoadRatings(b[:n])
		require.Error(t, err, "truncated to %d bytes", n)
	}
	_, err = LoadRatings(append(append([]byte{}, b...), 0))
	require.Error(t, err, "a trailing byte")
	corrupt := func(off int, v uint32) []byte {
		c := append([]byte{}, b...)
		binary.LittleEndian.PutUint32(c[off:], v)
		return c
	}
	for name, c := range map[string][]byte{
		"magic":      corrupt(0, 0),
		"version":    corrupt(4, 9),
		"users":      corrupt(8, math.MaxUint32),
		"items":      corrupt(12, 21),
		"floor":      corrupt(44, math.Float32bits(0)),
		"NaN mean":   corrupt(20, math.Float32bits(float32(math.NaN()))),
		"NaN bias":   corrupt(ratingsHeader+8, math.Float32bits(float32(math.Inf(1)))),
		"iterations": corrupt(16, 0),
	} {
		_, err := LoadRatings(c)
		require.Error(t, err, name)
	}
}

package recommend

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

func TestWithoutUser(t *testing.T) {
	m, _ := planted(t, testseed.New(t), 30, 40, 2, 6)
	model, err := TrainIALS(context.Background(), m, IALSOptions{Factors: 4, Iterations: 2})
	require.NoError(t, err)
	out, err := model.WithoutUser(3)
	require.NoError(t, err)
	require.Equal(t, 29, out.Users())
	require.Equal(t, model.UserVector(2), out.UserVector(2))
	require.Equal(t, model.UserVector(4), out.UserVector(3))
	require.Equal(t, model.ItemFactors(), out.ItemFactors())
	b, err := out.MarshalBinary()
	require.NoError(t, err)
	loaded, err := LoadIALS(b)
	require.NoError(t, err)
	require.Equal(t, 29, loaded.Users())
	_, err = model.WithoutUser(30)
	require.ErrorIs(t, err, ErrIndex)
}

func TestRatingsWithoutUser(t *testing.T) {
	events := []Interaction{{User: 0, Item: 0, Weight: 5, Time: 1}, {User: 1, Item: 0, Weight: 1, Time: 1}, {User: 2, Item: 1, Weight: 3, Time: 1}}
	m, err := Build(3, 2, events, LastWins)
	require.NoError(t, err)
	r, err := TrainRatings(m, RatingsOptions{})
	require.NoError(t, err)
	out, err := r.WithoutUser(1)
	require.NoError(t, err)
	require.Equal(t, 2, out.Users())
	require.Equal(t, r.UserBias(0), out.UserBias(0))
	require.Equal(t, r.UserBias(2), out.UserBias(1))
	require.Equal(t, r.Predict(2, 1), out.Predict(1, 1))
	_, err = r.WithoutUser(3)
	require.ErrorIs(t, err, ErrIndex)
}

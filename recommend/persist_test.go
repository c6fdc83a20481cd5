package recommend

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

func TestIALSSaveLoad(t *testing.T) {
	r := testseed.New(t)
	var events []Interaction
	for u := range 30 {
		for range 8 {
			events = append(events, Interaction{User: int32(u), Item: int32(r.IntN(40)), Weight: 1})
		}
	}
	m, err := Build(30, 40, events, LastWins)
	require.NoError(t, err)
	model, err := TrainIALS(context.Background(), m, IALSOptions{Factors: 8, Iterations: 3, Solver: Cholesky, Seed: 1})
	require.NoError(t, err)
	b, err := model.MarshalBinary()
	require.NoError(t, err)
	back, err := LoadIALS(b)
	require.NoError(t, err)
	require.Equal(t, model.ItemFactors(), back.ItemFactors())
	require.Equal(t, model.UserVector(3), back.UserVector(3))
	require.Equal(t, 30, back.Users())
	require.Equal(t, 40, back.Items())
	items, weights := m.UserItems(5)
	a, err := model.FoldIn(nil, items, weights)
	require.NoError(t, err)
	c, err := back.FoldIn(nil, items, weights)
	require.NoError(t, err)
	require.InDeltaSlice(t, a, c, 1e-6, "a loaded model folds in as the trained one")

	for _, bad := range [][]byte{nil, []byte("QIALxxxx"), b[:len(b)-4], append(append([]byte{}, b...), 0)} {
		_, err := LoadIALS(bad)
		require.Error(t, err)
	}
	huge := append([]byte{}, b...)
	huge[12] = 0xff // users: far more than the bytes hold
	_, err = LoadIALS(huge)
	require.Error(t, err)
}

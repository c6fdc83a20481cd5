package recommend

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBuildDuplicates(t *testing.T) {
	events := []Interaction{
		{User: 0, Item: 2, Weight: 1, Time: 5},
		{User: 0, Item: 2, Weight: -3, Time: 9}, // a dislike after a like
		{User: 0, Item: 1, Weight: 2, Time: 1},
		{User: 1, Item: 0, Weight: 1, Time: 3},
		{User: 1, Item: 0, Weight: -1, Time: 4}, // cancels to zero
		{User: 1, Item: 2, Weight: 4, Time: 7},
		{User: 1, Item: 2, Weight: 5, Time: 7}, // same time: input order decides
	}
	sum, err := Build(2, 3, events, SumDuplicates)
	require.NoError(t, err)
	items, ws := sum.UserItems(0)
	require.Equal(t, []int32{1, 2}, items)
	require.Equal(t, []float32{2, -2}, ws)
	require.Equal(t, []int64{1, 9}, sum.UserTimes(0))
	items, ws = sum.UserItems(1)
	require.Equal(t, []int32{2}, items, "the cancelled pair is dropped")
	require.Equal(t, []float32{9}, ws)

	last, err := Build(2, 3, events, LastWins)
	require.NoError(t, err)
	_, ws = last.UserItems(0)
	require.Equal(t, []float32{2, -3}, ws)
	items, ws = last.UserItems(1)
	require.Equal(t, []int32{0, 2}, items)
	require.Equal(t, []float32{-1, 5}, ws)

	users, ws := last.ItemUsers(2)
	require.Equal(t, []int32{0, 1}, users)
	require.Equal(t, []float32{-3, 5}, ws)
	require.Equal(t, 4, last.NNZ())
	require.True(t, last.Has(1, 0))
	require.False(t, last.Has(1, 1))

	_, err = Build(2, 3, []Interaction{{User: 2, Item: 0}}, LastWins)
	require.ErrorIs(t, err, ErrIndex)
}

func TestRecencyWeighted(t *testing.T) {
	m, err := Build(1, 4, []Interaction{
		{User: 0, Item: 0, Weight: 1, Time: 10},
		{User: 0, Item: 1, Weight: 1, Time: 30},
		{User: 0, Item: 2, Weight: 1, Time: 20},
		{User: 0, Item: 3, Weight: 1, Time: 30},
	}, LastWins)
	require.NoError(t, err)
	r := RecencyWeighted(m, 1, 1)
	_, ws := r.UserItems(0)
	// later counts: item 0 → 3, item 1 → 0, item 2 → 2, item 3 → 0 (tie).
	require.Equal(t, []float32{1.125, 2, 1.25, 2}, ws)
	_, ws = r.ItemUsers(2)
	require.Equal(t, []float32{1.25}, ws)
}

func TestTopKTies(t *testing.T) {
	scores := []float32{1, 3, 3, 2, 3, 0}
	require.Equal(t, []int32{1, 2, 4}, TopK(nil, scores, nil, 3))
	require.Equal(t, []int32{1, 2, 4, 3}, TopK(nil, scores, nil, 4))
	allowed := []bool{true, false, true, true, true, true}
	require.Equal(t, []int32{2, 4}, TopK(nil, scores, allowed, 2))
	dst := make([]int32, 0, 3)
	require.Zero(t, testing.AllocsPerRun(10, func() { dst = TopK(dst, scores, nil, 3) }))
}

package bench

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRunRecSmall runs the whole offline protocol on a small synthetic
// MovieLens: every row is produced, and the cold-item rows rank movies
// no one rated in train.
func TestRunRecSmall(t *testing.T) {
	dir := writeMovieLens(t, 40, 400)
	res, err := RunRec(context.Background(), RecConfig{Dir: dir, Quick: true, Workers: 2})
	require.NoError(t, err)
	require.NotEmpty(t, res.Models)
	require.NotEmpty(t, res.Ratings)
	c := res.Cold
	require.Positive(t, c.Items, "some movies have no train rating")
	require.LessOrEqual(t, c.Users, 40)
	for _, v := range []float64{c.Random, c.Content, c.ContentToCF} {
		require.GreaterOrEqual(t, v, 0.0)
		require.LessOrEqual(t, v, 1.0)
	}
}

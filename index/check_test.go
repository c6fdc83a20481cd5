package index

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/pointid"
)

// TestCheckWritesNothing: Check refuses what Apply refuses, with the same
// error, and accepts what Apply accepts, without writing either.
func TestCheckWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	c, err := db.Create(ctx, "c", Config{VectorSize: 2, Distance: Dot})
	require.NoError(t, err)

	good := []Operation{{Upsert: []Point{{ID: pointid.FromNum(1), Vector: []float32{1, 2}}}}}
	require.NoError(t, c.Check(good))
	n, err := c.Count(ctx, nil)
	require.NoError(t, err)
	require.Zero(t, n, "Check wrote")

	for name, tc := range map[string]struct {
		ops  []Operation
		want error
	}{
		"short vector": {[]Operation{{Upsert: []Point{{ID: pointid.FromNum(1), Vector: []float32{1}}}}}, ErrBadRequest},
		"no operation": {[]Operation{{}}, ErrBadRequest},
		"missing id":   {[]Operation{{Payload: &PayloadUpdate{Kind: PayloadClear, Points: Selector{IDs: []pointid.ID{pointid.FromNum(9)}}}}}, ErrNotFound},
	} {
		checkErr := c.Check(tc.ops)
		require.ErrorIs(t, checkErr, tc.want, name)
		require.EqualError(t, c.Apply(ctx, tc.ops), checkErr.Error(), name)
	}
}

func TestCheckCreate(t *testing.T) {
	require.NoError(t, CheckCreate("c", Config{VectorSize: 2, Distance: Dot}))
	require.ErrorIs(t, CheckCreate("a/b", Config{VectorSize: 2, Distance: Dot}), ErrBadRequest)
	require.ErrorIs(t, CheckCreate("c", Config{VectorSize: 0, Distance: Dot}), ErrBadRequest)
	require.ErrorIs(t, CheckCreate("c", Config{Vectors: map[string]VectorConfig{"v": {Size: 2}}}), ErrBadRequest)
}

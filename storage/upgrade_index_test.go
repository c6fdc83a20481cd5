package storage_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/storage"
	"github.com/stretchr/testify/require"
)

// TestUpgradeFrom1Index opens a format 1 data directory through package
// index and checks that payload filters, which read the postings loaded
// from the per-node terms, answer as before the upgrade.
func TestUpgradeFrom1Index(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	rng := testseed.New(t)
	db, err := index.Open(ctx, dir, index.Options{})
	require.NoError(t, err)
	col, err := db.Create(ctx, "c", index.Config{VectorSize: 4, Distance: index.Cosine})
	require.NoError(t, err)
	require.NoError(t, col.CreatePayloadIndex(ctx, "color", index.Keyword))
	require.NoError(t, col.CreatePayloadIndex(ctx, "n", index.Integer))
	colors := []string{"red", "green", "blue"}
	pts := make([]index.Point, 300)
	for i := range pts {
		pts[i] = index.Point{ID: pointid.FromNum(uint64(i + 1)),
			Vector:  []float32{rng.Float32() + 0.1, rng.Float32(), rng.Float32(), rng.Float32()},
			Payload: map[string]any{"color": colors[rng.IntN(len(colors))], "n": rng.IntN(50)}}
	}
	require.NoError(t, col.Upsert(ctx, pts))
	filters := []string{
		`{"must":[{"key":"color","match":{"value":"red"}}]}`,
		`{"must":[{"key":"n","range":{"gte":10,"lt":20}}]}`,
		`{"must":[{"key":"color","match":{"any":["green","blue"]}},{"key":"n","range":{"lte":5}}]}`,
	}
	counts := func(col *index.Collection) []int {
		out := make([]int, len(filters))
		for i, js := range filters {
			f, err := filter.Parse([]byte(js))
			require.NoError(t, err)
			out[i], err = col.Count(ctx, f)
			require.NoError(t, err)
		}
		return out
	}
	want := counts(col)
	for i, n := range want {
		require.Positive(t, n, "filter %d matches nothing", i)
	}
	require.NoError(t, db.Close())

	require.Positive(t, storage.DowngradeToFormat1(t, dir))
	for open := range 2 {
		db, err = index.Open(ctx, dir, index.Options{})
		require.NoError(t, err)
		col, err = db.Collection("c")
		require.NoError(t, err)
		require.Equal(t, want, counts(col), fmt.Sprintf("open %d after the downgrade", open+1))
		got, err := col.Count(ctx, nil)
		require.NoError(t, err)
		require.Equal(t, len(pts), got)
		require.NoError(t, db.Close())
	}
}

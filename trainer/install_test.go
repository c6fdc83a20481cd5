package trainer

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// TestItemSideInstallsTheSameVectors: a model's item side holds no user,
// and InstallVectors of it writes the same item, hybrid and cold vectors
// as Install of the whole model, without saving or serving a model.
func TestItemSideInstallsTheSameVectors(t *testing.T) {
	ctx := context.Background()
	more := map[string]index.VectorConfig{"hybrid": {Size: hybridSize, Distance: index.Dot}}
	db, c := plantedCollectionWith(t, vfs.NewMem(), 40, 60, more)
	defer db.Close()
	cold := pointid.FromNum(1000)
	require.NoError(t, c.Upsert(ctx, []index.Point{{ID: cold, Vectors: map[string][]float32{"content": {1, 0, 0.1, 0}}}}))
	tr := New(nil)
	_, err := tr.Start(c, c, Options{Iterations: 5, Lambda: 0.1, Seed: 1})
	require.NoError(t, err)
	require.Equal(t, Done, wait(t, tr, "m").State)
	full, err := c.LoadModel(ctx)
	require.NoError(t, err)

	items, err := ItemSide(Trained{Model: full, Content: "content"})
	require.NoError(t, err)
	require.Equal(t, "content", items.Content)
	side, err := loadModel(items.Model)
	require.NoError(t, err)
	require.Zero(t, side.Users())
	require.Nil(t, side.ratings)
	require.Less(t, len(items.Model), len(full), "the users' rows are gone")
	whole, err := loadModel(full)
	require.NoError(t, err)
	require.Equal(t, whole.ItemIDs(), side.ItemIDs())

	// A second collection, the same points without vectors from a model.
	other, err := db.Create(ctx, "shard", c.Config())
	require.NoError(t, err)
	page, err := c.Scroll(ctx, index.ScrollRequest{Limit: 1000, ReadOptions: index.ReadOptions{WithVector: true, VectorNames: []string{"content"}}})
	require.NoError(t, err)
	var pts []index.Point
	for _, r := range page.Points {
		pts = append(pts, index.Point{ID: r.ID, Vectors: map[string][]float32{"content": r.Vectors["content"]}})
	}
	require.NoError(t, other.Upsert(ctx, pts))
	n, err := New(nil).InstallVectors(ctx, other, items)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 1, "the cold point is mapped")
	for _, name := range []string{"cf", "hybrid"} {
		var ids []pointid.ID
		for _, r := range page.Points {
			ids = append(ids, r.ID)
		}
		want, err := c.Vectors(ctx, name, ids)
		require.NoError(t, err)
		got, err := other.Vectors(ctx, name, ids)
		require.NoError(t, err)
		require.Equal(t, want, got, name)
	}
	_, err = other.LoadModel(ctx)
	require.ErrorIs(t, err, index.ErrNotFound, "InstallVectors saves no model")
}

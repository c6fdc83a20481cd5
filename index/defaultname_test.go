package index

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
	"github.com/stretchr/testify/require"
)

// A dense vector named "" (Qdrant's default vector name) beside a sparse
// one: a named vector like any other, which a bare vector also fills, and
// which survives a reopen.
func TestDefaultVectorNameBesideSparse(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openTest(t, fs)
	cfg := Config{
		Vectors:       map[string]VectorConfig{"": {Size: 2, Distance: Dot}},
		SparseVectors: map[string]SparseVectorConfig{"s": {}},
	}
	c, err := db.Create(ctx, "h", cfg)
	require.NoError(t, err)
	require.Equal(t, uint8(1), c.Config().Vectors[""].Space)
	sv := sparse.Vector{Indices: []uint32{3}, Values: []float32{1}}
	require.NoError(t, c.Upsert(ctx, []Point{
		{ID: pointid.FromNum(1), Vectors: map[string][]float32{"": {1, 0}}, Sparse: map[string]sparse.Vector{"s": sv}},
		{ID: pointid.FromNum(2), Vector: []float32{0, 1}},
		{ID: pointid.FromNum(3), Sparse: map[string]sparse.Vector{"s": sv}},
	}))
	err = c.Upsert(ctx, []Point{{ID: pointid.FromNum(4), Vector: []float32{1, 1}, Vectors: map[string][]float32{"": {1, 1}}}})
	require.ErrorContains(t, err, "an unnamed vector, but collection")

	check := func(c *Collection) {
		t.Helper()
		for _, exact := range []bool{false, true} {
			res, err := c.Search(ctx, SearchRequest{Vector: []float32{0.1, 1}, Exact: exact})
			require.NoError(t, err)
			require.Len(t, res, 2, "point 3 has no dense vector")
			require.Equal(t, pointid.FromNum(2), res[0].ID)
		}
		recs, err := c.Get(ctx, []pointid.ID{pointid.FromNum(2)}, ReadOptions{WithVector: true})
		require.NoError(t, err)
		require.Equal(t, map[string][]float32{"": {0, 1}}, recs[0].Vectors)
		_, err = c.Vectors(ctx, "", []pointid.ID{pointid.FromNum(3)})
		require.ErrorIs(t, err, ErrNotFound)
		require.ErrorContains(t, err, `has no vector ""`)
	}
	check(c)
	require.NoError(t, db.Close())
	db = openTest(t, fs)
	defer db.Close()
	c, err = db.Collection("h")
	require.NoError(t, err)
	require.Empty(t, c.checkGraph())
	check(c)

	// Sparse vectors keep to non-empty names.
	_, err = db.Create(ctx, "bad", Config{SparseVectors: map[string]SparseVectorConfig{"": {}}})
	require.ErrorContains(t, err, `sparse vector name ""`)
}

package index

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/pointid"
)

func intp(v int) *int { return &v }

// TestUpdateConfig changes ef_construct and ef live, checks what is
// refused, and that the change survives a payload index change and a
// reopen.
func TestUpdateConfig(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openDisk(t, dir)
	c, err := db.Create(ctx, "c", Config{VectorSize: 2, Distance: Dot, HNSW: HNSWConfig{M: 8}})
	require.NoError(t, err)
	require.NoError(t, c.Upsert(ctx, []Point{{ID: pointid.FromNum(1), Vector: []float32{1, 0}}}))

	require.NoError(t, c.UpdateConfig(ctx, ConfigUpdate{HNSW: &HNSWUpdate{M: intp(8), EfConstruction: intp(50), Ef: intp(120)}}))
	require.Equal(t, HNSWConfig{M: 8, EfConstruction: 50, Ef: 120}, c.Config().HNSW)
	opts := c.graph.Options()
	require.Equal(t, 50, opts.EfConstruction)
	require.Equal(t, 120, opts.Ef)
	vc, err := c.VectorConfig("")
	require.NoError(t, err)
	require.Equal(t, 120, vc.HNSW.Ef)

	for _, bad := range []struct {
		u     ConfigUpdate
		field string
	}{
		{ConfigUpdate{HNSW: &HNSWUpdate{M: intp(16)}}, "hnsw_config.m"},
		{ConfigUpdate{HNSW: &HNSWUpdate{Ef: intp(-1)}}, "hnsw_config.ef"},
		{ConfigUpdate{HNSW: &HNSWUpdate{EfConstruction: intp(1 << 20)}}, "hnsw_config.ef_construct"},
		{ConfigUpdate{Vectors: map[string]HNSWUpdate{"text": {Ef: intp(10)}}}, `no vector named "text"`},
	} {
		err := c.UpdateConfig(ctx, bad.u)
		require.ErrorIs(t, err, ErrBadRequest)
		require.ErrorContains(t, err, bad.field)
	}
	require.Equal(t, HNSWConfig{M: 8, EfConstruction: 50, Ef: 120}, c.Config().HNSW, "a refused update changes nothing")

	// Storing the config for a payload index keeps the update.
	require.NoError(t, c.CreatePayloadIndex(ctx, "k", Keyword))
	require.NoError(t, c.Upsert(ctx, []Point{{ID: pointid.FromNum(2), Vector: []float32{0, 1}}}))
	require.NoError(t, db.Close())

	db = openDisk(t, dir)
	c, err = db.Collection("c")
	require.NoError(t, err)
	require.Equal(t, HNSWConfig{M: 8, EfConstruction: 50, Ef: 120}, c.Config().HNSW)
	require.Equal(t, Keyword, c.Config().PayloadIndexes["k"])
	require.Equal(t, 120, c.graph.Options().Ef)
	require.Equal(t, 50, c.graph.Options().EfConstruction)

	// Named vectors: one vector's own parameters, and the defaults.
	n, err := db.Create(ctx, "n", Config{Vectors: map[string]VectorConfig{"a": {Size: 2, Distance: Dot}, "b": {Size: 2, Distance: Dot, HNSW: HNSWConfig{Ef: 30}}}})
	require.NoError(t, err)
	require.NoError(t, n.UpdateConfig(ctx, ConfigUpdate{HNSW: &HNSWUpdate{Ef: intp(90)}, Vectors: map[string]HNSWUpdate{"a": {EfConstruction: intp(64)}}}))
	a, err := n.VectorConfig("a")
	require.NoError(t, err)
	b, err := n.VectorConfig("b")
	require.NoError(t, err)
	require.Equal(t, HNSWConfig{EfConstruction: 64, Ef: 90}, a.HNSW)
	require.Equal(t, HNSWConfig{Ef: 30}, b.HNSW, "b keeps its own ef")
	require.Equal(t, 90, n.spaces[0].g().Options().Ef)
	require.Equal(t, 64, n.spaces[0].g().Options().EfConstruction)
	require.Equal(t, 30, n.spaces[1].g().Options().Ef)
	require.NoError(t, db.Close())
}

package index

import (
	"context"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/pointid"
)

// A graph snapshot is exported while writes go on, so it can hold the node
// of an upsert whose commit never happened. After a crash the open drops
// that node: the graph then holds exactly the stored points.
func TestSnapshotWithUncommittedNodeRecovers(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewCrashableMem()
	db, c := openCrashCollection(t, ctx, "data", fs)
	points := make([]Point, 50)
	for i := range points {
		points[i] = Point{ID: pointid.FromNum(uint64(i + 1)), Vector: crashVector(uint64(i+1), 1)}
	}
	require.NoError(t, c.Upsert(ctx, points))
	stray := crashVector(999, 7)
	node, err := c.graph.Insert(stray) // an upsert's graph work, its commit yet to come
	require.NoError(t, err)
	c.mu.Lock()
	c.mu.unsaved = 1
	c.mu.Unlock()
	require.NoError(t, c.saveGraph())
	crashed := fs.CrashClone(vfs.CrashCloneCfg{})
	require.NoError(t, db.Close())

	db, c = openCrashCollection(t, ctx, "data", crashed)
	defer db.Close()
	assert.NotZero(t, c.savedSeq, "the snapshot was used, not rebuilt from the vectors")
	assert.Empty(t, c.checkGraph())
	assert.False(t, c.graph.Contains(node), "the uncommitted node is gone")
	assert.Equal(t, len(points), c.graph.Len())
	res, err := c.Search(ctx, SearchRequest{Vector: stray, Limit: 5})
	require.NoError(t, err)
	for _, r := range res {
		assert.NotEqual(t, pointid.FromNum(999), r.ID)
	}
}

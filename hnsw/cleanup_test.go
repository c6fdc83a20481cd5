package hnsw

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildForCleanup returns a graph of n small vectors and their nodes.
func buildForCleanup(t *testing.T, n int) (*Graph, []uint32) {
	g := mustGraph(t, 8, Options{M: 8, EfConstruction: 32, Seed: seedFor(t)})
	nodes := make([]uint32, n)
	for i, v := range dataset(seedFor(t), n, 8, false) {
		var err error
		nodes[i], err = g.Insert(v)
		require.NoError(t, err)
	}
	return g, nodes
}

// The delete that crosses the cleanup threshold returns without waiting for
// the cleanup; the cleanup then finishes in the background.
func TestDeleteCleansUpInBackground(t *testing.T) {
	g, nodes := buildForCleanup(t, 3000)
	g.cleanupMu.Lock() // stall any cleanup: no delete below the backlog may wait
	for _, n := range nodes[:minCleanupBatch] {
		require.NoError(t, g.Delete(n))
	}
	assert.True(t, g.cleaning.Load(), "a background cleanup started")
	assert.EqualValues(t, minCleanupBatch, g.tombstones.Load())
	g.cleanupMu.Unlock()
	require.Eventually(t, func() bool { return g.tombstones.Load() == 0 && !g.cleaning.Load() },
		30*time.Second, 5*time.Millisecond)
	require.NoError(t, checkGraph(g))
	assert.Equal(t, len(nodes)-minCleanupBatch, g.Len())
}

// When deletes outrun the background cleanup, the delete that reaches the
// backlog cleans up itself, so tombstones stay bounded.
func TestDeleteBacklogCleansUpInline(t *testing.T) {
	g, nodes := buildForCleanup(t, 3000)
	backlog := cleanupBacklog * minCleanupBatch // live/20 is below minCleanupBatch here
	g.cleanupMu.Lock()
	for _, n := range nodes[:backlog-1] {
		require.NoError(t, g.Delete(n))
	}
	done := make(chan struct{})
	go func() {
		assert.NoError(t, g.Delete(nodes[backlog-1]))
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("the delete at the backlog returned while a cleanup could not run")
	case <-time.After(100 * time.Millisecond):
	}
	g.cleanupMu.Unlock()
	<-done
	require.Eventually(t, func() bool { return !g.cleaning.Load() }, 30*time.Second, 5*time.Millisecond)
	require.NoError(t, checkGraph(g))
	assert.Zero(t, g.tombstones.Load())
}

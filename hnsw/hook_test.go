package hnsw

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInsertHookSeesEveryInsert(t *testing.T) {
	g, err := New(4, Options{Metric: Dot})
	require.NoError(t, err)
	var mu sync.Mutex
	seen := map[uint32][]float32{}
	g.SetInsertHook(func(node uint32, vec []float32) {
		require.True(t, g.Contains(node), "the node is live when the hook runs")
		mu.Lock()
		seen[node] = append([]float32(nil), vec...)
		mu.Unlock()
	})
	a, err := g.Insert([]float32{1, 2, 3, 4})
	require.NoError(t, err)
	require.NoError(t, g.InsertAt(7, []float32{4, 3, 2, 1}))
	_, err = g.Insert([]float32{1, 2, 3}) // refused: no hook call
	require.Error(t, err)
	require.Equal(t, map[uint32][]float32{a: {1, 2, 3, 4}, 7: {4, 3, 2, 1}}, seen)
	g.SetInsertHook(nil)
	_, err = g.Insert([]float32{0, 0, 0, 1})
	require.NoError(t, err)
	require.Len(t, seen, 2)
}

package hnsw

import (
	"testing"

	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/stretchr/testify/require"
)

// TestFreeListAgainstModel runs random pushes, pops and takes against a
// map and checks the list never hands out a slot twice or loses one,
// across the stack's rebuilds.
func TestFreeListAgainstModel(t *testing.T) {
	r := testseed.New(t)
	var f freeList
	free := map[uint32]bool{}
	for range 200000 {
		x := uint32(r.IntN(3000))
		switch r.IntN(3) {
		case 0:
			f.push(x)
			free[x] = true
		case 1:
			require.Equal(t, free[x], f.take(x), "take %d", x)
			delete(free, x)
		case 2:
			got, ok := f.pop()
			require.Equal(t, len(free) > 0, ok)
			if ok {
				require.True(t, free[got], "popped %d, which is not free", got)
				delete(free, got)
			}
		}
		require.Equal(t, len(free), f.n)
		require.LessOrEqual(t, len(f.stack), 2*f.n+1024+1)
	}
}

// TestInsertAtSparse fills a graph at scattered caller-chosen nodes, as a
// named vector that only some points carry does, then fills the gaps in
// random order: every claim of a gap is O(1).
func TestInsertAtSparse(t *testing.T) {
	r := testseed.New(t)
	g, err := New(4, Options{Metric: L2})
	require.NoError(t, err)
	const n = 20000
	vec := func() []float32 { return []float32{r.Float32(), r.Float32(), r.Float32(), r.Float32()} }
	for node := uint32(0); node < n; node += 10 {
		require.NoError(t, g.InsertAt(node, vec()))
	}
	for _, i := range r.Perm(n) {
		if i%10 != 0 && i%3 == 0 {
			require.NoError(t, g.InsertAt(uint32(i), vec()))
		}
	}
	require.ErrorIs(t, g.InsertAt(30, vec()), ErrNodeInUse)
	want := 0
	for i := range n {
		if i%10 == 0 || i%3 == 0 {
			want++
			require.True(t, g.Contains(uint32(i)))
		}
	}
	require.Equal(t, want, g.Len())
	node, err := g.Insert(vec())
	require.NoError(t, err)
	require.False(t, node%10 == 0 || node%3 == 0, "Insert took node %d, which is in use", node)
}

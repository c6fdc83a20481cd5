package heap

import (
	"cmp"
	"slices"
	"testing"

	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/stretchr/testify/require"
)

type item struct {
	key int
	id  int
}

// less orders by key, then id, so that every order is total and the
// popped sequence is exactly the sorted one.
func less(a, b item) bool { return a.key < b.key || (a.key == b.key && a.id < b.id) }

func byLess(a, b item) int {
	if c := cmp.Compare(a.key, b.key); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

func TestPushPopSorts(t *testing.T) {
	r := testseed.New(t)
	for range 200 {
		n := r.IntN(200)
		var h []item
		var all []item
		for i := range n {
			x := item{r.IntN(20), i} // many equal keys
			Push(&h, x, less)
			all = append(all, x)
			if r.IntN(4) == 0 { // interleave pops
				slices.SortFunc(all, byLess)
				require.Equal(t, all[0], Pop(&h, less))
				all = all[1:]
			}
		}
		slices.SortFunc(all, byLess)
		for _, want := range all {
			require.Equal(t, want, Pop(&h, less))
		}
		require.Empty(t, h)
	}
}

func TestReplaceTop(t *testing.T) {
	r := testseed.New(t)
	for range 200 {
		var h []item
		for i := range 1 + r.IntN(50) {
			Push(&h, item{r.IntN(100), i}, less)
		}
		x := item{r.IntN(100), -1}
		want := slices.Clone(h)
		slices.SortFunc(want, byLess)
		want = append(want[1:], x)
		slices.SortFunc(want, byLess)
		ReplaceTop(h, x, less)
		for _, w := range want {
			require.Equal(t, w, Pop(&h, less))
		}
	}
}

func TestOfferKeepsGreatest(t *testing.T) {
	r := testseed.New(t)
	for range 200 {
		k := r.IntN(12)
		var h []item
		var all []item
		for i := range r.IntN(100) {
			x := item{r.IntN(30), i}
			Offer(&h, x, k, less)
			all = append(all, x)
		}
		slices.SortFunc(all, byLess)
		want := all[len(all)-min(k, len(all)):]
		got := slices.Clone(h)
		slices.SortFunc(got, byLess)
		if len(want) == 0 {
			require.Empty(t, got)
		} else {
			require.Equal(t, want, got)
		}
	}
}

// TestAllocationFree holds the heap to allocating only when it grows.
func TestAllocationFree(t *testing.T) {
	h := make([]item, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		h = h[:0]
		for i := range 64 {
			Offer(&h, item{i * 7 % 13, i}, 32, less)
		}
		for len(h) > 0 {
			Pop(&h, less)
		}
	})
	require.Zero(t, allocs)
}

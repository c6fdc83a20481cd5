package index

import (
	"github.com/stretchr/testify/require"
	"slices"
	"testing"

	"github.com/quiver-db/quiver/internal/bitset"
	"github.com/quiver-db/quiver/storage"

	"github.com/quiver-db/quiver/internal/testseed"
)

// TestPostingsAgainstModel drives postings with random sets, clears and
// bulk loads over a few nodes (so nodes come back with new terms) and
// checks every lookup against a plain map of what each node holds.
func TestPostingsAgainstModel(t *testing.T) {
	seed := testseed.Seed(t)
	r := testseed.Stream(seed, 2)
	defer func(m int) { minMerge = m }(minMerge)
	for _, mm := range []int{1, 3, 50, 4096} {
		minMerge = mm
		p := newPostings()
		model := map[uint32][]storage.Term{}
		randTerms := func() []storage.Term {
			var ts []storage.Term
			for range r.IntN(3) {
				ts = append(ts, storage.Term{Field: "k", Kind: storage.TermKeyword, Keyword: string(rune('a' + r.IntN(5)))})
			}
			for range r.IntN(3) {
				ts = append(ts, storage.Term{Field: "n", Kind: storage.TermNumber, Number: float64(r.IntN(20) - 5)})
			}
			return ts
		}
		for step := range 3000 {
			node := uint32(r.IntN(120))
			switch op := r.IntN(10); {
			case op < 6:
				ts := randTerms()
				p.set(node, ts)
				model[node] = ts
			case op < 9:
				p.clear(node)
				delete(model, node)
			default:
				var items []storage.NodeTerms
				for range r.IntN(20) {
					it := storage.NodeTerms{Node: uint32(r.IntN(120)), Terms: randTerms()}
					items = append(items, it)
					model[it.Node] = it.Terms
				}
				p.setAll(items)
			}
			kw := string(rune('a' + r.IntN(5)))
			var got bitset.Set
			p.keyword("k", kw, &got)
			want := bitset.Set{}
			lo := float64(r.IntN(24) - 7)
			hi := lo + float64(r.IntN(8))
			// [lo, hi], and (lo, hi] through keepEnd.
			wantNum, wantOpen := bitset.Set{}, bitset.Set{}
			for n, ts := range model {
				for _, tm := range ts {
					if tm.Kind == storage.TermKeyword && tm.Keyword == kw {
						want.Add(n)
					}
					if tm.Kind == storage.TermNumber && tm.Number >= lo && tm.Number <= hi {
						wantNum.Add(n)
						if tm.Number > lo {
							wantOpen.Add(n)
						}
					}
				}
			}
			var gotNum, gotOpen bitset.Set
			p.numberRange("n", lo, hi, false, false, &gotNum)
			p.numberRange("n", lo, hi, true, false, &gotOpen)
			if !slices.Equal(slices.Collect(got.All()), slices.Collect(want.All())) {
				t.Fatalf("minMerge %d, step %d: keyword %q: got %v, want %v", mm, step, kw,
					slices.Collect(got.All()), slices.Collect(want.All()))
			}
			require.Equal(t, slices.Collect(wantNum.All()), slices.Collect(gotNum.All()), "minMerge %d, step %d: range [%v, %v]", mm, step, lo, hi)
			require.Equal(t, slices.Collect(wantOpen.All()), slices.Collect(gotOpen.All()), "minMerge %d, step %d: range (%v, %v]", mm, step, lo, hi)
		}
	}
}

// A range asked again answers from the cache until a change clears it, and
// the caller's set is its own to change.
func TestPostingsRangeCacheFollowsChanges(t *testing.T) {
	p := newPostings()
	num := func(v float64) []storage.Term {
		return []storage.Term{{Field: "n", Kind: storage.TermNumber, Number: v}}
	}
	p.set(1, num(1))
	p.set(2, num(2))
	p.set(3, num(3))
	query := func() []uint32 {
		var s bitset.Set
		p.numberRange("n", 1, 3, true, false, &s)
		got := slices.Collect(s.All())
		s.Add(40) // must not reach the cache
		return got
	}
	require.Equal(t, []uint32{2, 3}, query())
	require.Equal(t, []uint32{2, 3}, query())
	p.set(4, num(2.5))
	require.Equal(t, []uint32{2, 3, 4}, query())
	p.clear(2)
	require.Equal(t, []uint32{3, 4}, query())
	p.setAll([]storage.NodeTerms{{Node: 5, Terms: num(3)}})
	require.Equal(t, []uint32{3, 4, 5}, query())
}

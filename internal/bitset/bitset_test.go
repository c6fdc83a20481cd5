package bitset

import (
	"maps"
	"slices"
	"testing"

	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/stretchr/testify/require"
)

// model is the set as a map, what every method is checked against.
type model map[uint32]bool

func (m model) sorted() []uint32 { return slices.Sorted(maps.Keys(m)) }

// randomSet returns a set and its model with members below bound, built
// by Add and Remove so both are exercised.
func randomSet(t *testing.T, next func(uint32) uint32, bound uint32, adds int) (Set, model) {
	var s Set
	m := model{}
	for range adds {
		n := next(bound)
		s.Add(n)
		m[n] = true
		if x := next(bound); next(4) == 0 {
			s.Remove(x)
			delete(m, x)
		}
	}
	check(t, s, m)
	return s, m
}

func check(t *testing.T, s Set, m model) {
	t.Helper()
	want := m.sorted()
	require.Equal(t, len(want), s.Count())
	got := slices.Collect(s.All())
	if len(want) == 0 {
		require.Empty(t, got)
	} else {
		require.Equal(t, want, got)
	}
	var each []uint32
	s.Each(func(n uint32) { each = append(each, n) })
	require.Equal(t, got, each)
	for n := range s.Bound() + 70 {
		require.Equal(t, m[n], s.Has(n), "Has(%d)", n)
	}
}

func TestAgainstModel(t *testing.T) {
	r := testseed.New(t)
	next := func(b uint32) uint32 { return r.Uint32N(b) }
	for range 200 {
		// Bounds differ so that the operands differ in length.
		a, ma := randomSet(t, next, 1+next(300), int(next(80)))
		b, mb := randomSet(t, next, 1+next(300), int(next(80)))

		and := a.Clone()
		and.And(b)
		mAnd := model{}
		for n := range ma {
			if mb[n] {
				mAnd[n] = true
			}
		}
		check(t, and, mAnd)

		or := a.Clone()
		or.Or(b)
		mOr := maps.Clone(ma)
		maps.Copy(mOr, mb)
		check(t, or, mOr)

		andNot := a.Clone()
		andNot.AndNot(b)
		mAndNot := maps.Clone(ma)
		for n := range mb {
			delete(mAndNot, n)
		}
		check(t, andNot, mAndNot)

		check(t, a, ma) // the operands are unchanged
		check(t, b, mb)
	}
}

func TestNilAndBounds(t *testing.T) {
	var s Set
	require.False(t, s.Has(0))
	require.Zero(t, s.Count())
	s.Remove(5) // no growth, no panic
	require.Nil(t, s)
	require.NotNil(t, s.Clone(), "a clone is never nil: nil means every node to the planner")

	s.Or(Of(3, 200))
	require.Equal(t, []uint32{3, 200}, slices.Collect(s.All()))

	n := New(100)
	require.Equal(t, uint32(128), n.Bound())
	n.Add(127)
	require.Len(t, n, 2, "a member below the bound does not grow the set")
	n.Add(128)
	require.Len(t, n, 3)
}

func TestAllStopsEarly(t *testing.T) {
	var got []uint32
	for n := range Of(1, 64, 65, 300).All() {
		got = append(got, n)
		if n == 64 {
			break
		}
	}
	require.Equal(t, []uint32{1, 64}, got)
}

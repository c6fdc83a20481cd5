// Package bitset is the set of node ids that the graph's cleanup and the
// collection's query planner both need: one bit per node, so a set over a
// million nodes is 128 KiB and intersecting two of them is a pass over
// words. It lives under internal/ because only Quiver's packages use it;
// the graph's per-search visited set (hnsw/scratch.go) is separate, since
// it also tracks which words to clear.
package bitset

import (
	"iter"
	"math/bits"
)

// Set is a set of uint32s. The zero value (nil) is an empty set, and Add
// and Or grow it as needed; the other methods treat words beyond its length
// as zero and never grow it. Callers may tell nil from an empty non-nil
// set (the planner reads nil as "every node"); the methods do not.
type Set []uint64

// New returns an empty set that holds members below n without growing.
func New(n int) Set { return make(Set, (n+63)/64) }

// Of returns the set of members.
func Of(members ...uint32) Set {
	var s Set
	for _, n := range members {
		s.Add(n)
	}
	return s
}

// Bound returns the number below which members fit without growing: a
// multiple of 64, not the largest member.
func (s Set) Bound() uint32 { return uint32(len(s)) * 64 }

// Has reports whether n is a member.
func (s Set) Has(n uint32) bool { return int(n/64) < len(s) && s[n/64]&(1<<(n%64)) != 0 }

// Add makes n a member, growing s if needed.
func (s *Set) Add(n uint32) {
	w := int(n / 64)
	if w >= len(*s) {
		*s = append(*s, make(Set, w+1-len(*s))...)
	}
	(*s)[w] |= 1 << (n % 64)
}

// Remove makes n not a member.
func (s Set) Remove(n uint32) {
	if int(n/64) < len(s) {
		s[n/64] &^= 1 << (n % 64)
	}
}

// Count returns the number of members.
func (s Set) Count() int {
	c := 0
	for _, w := range s {
		c += bits.OnesCount64(w)
	}
	return c
}

// And keeps in s only the members of o.
func (s Set) And(o Set) {
	n := min(len(s), len(o))
	for i := range n {
		s[i] &= o[i]
	}
	clear(s[n:])
}

// Or adds the members of o to s, growing s if needed.
func (s *Set) Or(o Set) {
	if len(*s) < len(o) {
		*s = append(*s, make(Set, len(o)-len(*s))...)
	}
	for i, w := range o {
		(*s)[i] |= w
	}
}

// AndNot removes the members of o from s.
func (s Set) AndNot(o Set) {
	for i := range min(len(s), len(o)) {
		s[i] &^= o[i]
	}
}

// Clone returns a copy of s that shares no memory with it; it is never
// nil, even for a nil s.
func (s Set) Clone() Set { return append(make(Set, 0, len(s)), s...) }

// All yields the members in increasing order.
func (s Set) All() iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		for i, w := range s {
			for w != 0 {
				if !yield(uint32(i*64 + bits.TrailingZeros64(w))) {
					return
				}
				w &= w - 1
			}
		}
	}
}

// Each calls fn for every member in increasing order. It is All for
// callers that never stop early and would rather not build an iterator.
func (s Set) Each(fn func(n uint32)) {
	for i, w := range s {
		for w != 0 {
			fn(uint32(i*64 + bits.TrailingZeros64(w)))
			w &= w - 1
		}
	}
}

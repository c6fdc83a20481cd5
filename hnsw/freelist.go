package hnsw

import "github.com/quiver-db/quiver/internal/bitset"

// freeList is the set of free slots below alloc.next: a stack that
// allocate pops (the last freed slot first), and a bitset, so that claim
// takes any slot in O(1) however many are free (a graph that holds only
// some of its caller's nodes, as one named vector of a collection does,
// has many). A slot claimed from the middle stays in the stack, stale, and
// is skipped when popped; the stack is rebuilt when stale entries
// outnumber the free slots. Protected by Graph.alloc.
type freeList struct {
	stack []uint32
	set   bitset.Set
	n     int // members of set
}

// push adds free slots; a slot already free is not added twice.
func (f *freeList) push(nodes ...uint32) {
	for _, x := range nodes {
		if f.set.Has(x) {
			continue
		}
		f.set.Add(x)
		f.n++
		f.stack = append(f.stack, x)
	}
}

// pop takes the most recently freed slot.
func (f *freeList) pop() (uint32, bool) {
	for len(f.stack) > 0 {
		x := f.stack[len(f.stack)-1]
		f.stack = f.stack[:len(f.stack)-1]
		if f.set.Has(x) {
			f.set.Remove(x)
			f.n--
			return x, true
		}
	}
	return 0, false
}

// take takes slot x, reporting whether it was free.
func (f *freeList) take(x uint32) bool {
	if !f.set.Has(x) {
		return false
	}
	f.set.Remove(x)
	f.n--
	if len(f.stack) > 2*f.n+1024 {
		f.stack = f.stack[:0]
		f.set.Each(func(x uint32) { f.stack = append(f.stack, x) })
	}
	return true
}

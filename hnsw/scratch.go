package hnsw

// visitedSet marks nodes seen by one search: one bit per node, so that
// the set of a million-node graph (128 KiB) stays in a core's L2 cache
// where a byte or epoch per node would not, and a search that wakes on a
// cold core reloads little. A reset clears only the words the last
// search dirtied, so it costs what the search visited, not the graph's
// size.
type visitedSet struct {
	words []uint64
	dirty []uint32 // indexes of the non-zero words
}

func (v *visitedSet) reset(size int) {
	if n := (size + 63) / 64; len(v.words) < n {
		v.words = make([]uint64, n+n/4)
		v.dirty = v.dirty[:0]
		return
	}
	for _, w := range v.dirty {
		v.words[w] = 0
	}
	v.dirty = v.dirty[:0]
}

// visit marks n and reports whether it was already marked.
func (v *visitedSet) visit(n uint32) bool {
	w, bit := n/64, uint64(1)<<(n%64)
	x := v.words[w]
	if x&bit != 0 {
		return true
	}
	if x == 0 {
		v.dirty = append(v.dirty, w)
	}
	v.words[w] = x | bit
	return false
}

// scratch is the memory one search or insert needs, pooled per Graph.
type scratch struct {
	visited    visitedSet
	candidates minHeap
	results    maxHeap
	query      []float32 // normalised query for Cosine
	sorted     []candidate
	selected   []candidate
	shrink     []candidate
	orphans    []uint32
	fresh      []uint32 // unvisited neighbours of the node being expanded
	hops       []uint32 // its non-matching neighbours, for the two-hop walk
	sc         scorer   // the query of the current walk
}

func (g *Graph) getScratch() *scratch {
	if s, ok := g.scratch.Get().(*scratch); ok {
		return s
	}
	return &scratch{query: make([]float32, g.dim), sc: scorer{q8: make([]int8, g.dim)}}
}

func (g *Graph) putScratch(s *scratch) { g.scratch.Put(s) }

package hnsw

// visitedSet marks nodes seen by one search. Resetting bumps an epoch instead
// of clearing the array, so a reset is O(1) except once every 65,535 searches.
type visitedSet struct {
	marks []uint16
	epoch uint16
}

func (v *visitedSet) reset(size int) {
	if len(v.marks) < size {
		v.marks = make([]uint16, size+size/4)
		v.epoch = 0
	}
	v.epoch++
	if v.epoch == 0 {
		clear(v.marks)
		v.epoch = 1
	}
}

// visit marks n and reports whether it was already marked.
func (v *visitedSet) visit(n uint32) bool {
	if v.marks[n] == v.epoch {
		return true
	}
	v.marks[n] = v.epoch
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
}

func (g *Graph) getScratch() *scratch {
	if s, ok := g.scratch.Get().(*scratch); ok {
		return s
	}
	return &scratch{query: make([]float32, g.dim)}
}

func (g *Graph) putScratch(s *scratch) { g.scratch.Put(s) }

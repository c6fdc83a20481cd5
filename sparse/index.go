package sparse

import (
	"slices"
	"sync"
)

// Index is the inverted index of one sparse vector space. The zero value
// is not usable; call New. All methods are safe for concurrent use.
type Index struct {
	mu struct {
		sync.RWMutex
		lists map[uint32]*postings // term → its postings; protected by mu
		docs  map[uint32]Vector    // node → its vector, sorted by index; protected by mu
	}
}

// postings are one term's entries, sorted by node (invariant 1).
type postings struct {
	nodes   []uint32
	weights []float32
	// max and min bound the weights (invariant 2).
	max, min float32
}

// New returns an empty index.
func New() *Index {
	ix := &Index{}
	ix.mu.lists = map[uint32]*postings{}
	ix.mu.docs = map[uint32]Vector{}
	return ix
}

// Set makes v the vector of node, replacing any it had. v must have passed
// Validate; Set keeps its own sorted copy, so the caller may reuse v. A
// vector without nonzeros removes the node.
func (ix *Index) Set(node uint32, v Vector) {
	v = v.Sorted()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.deleteLocked(node)
	if v.Len() == 0 {
		return
	}
	ix.mu.docs[node] = v
	for i, t := range v.Indices {
		p := ix.mu.lists[t]
		if p == nil {
			p = &postings{max: v.Values[i], min: v.Values[i]}
			ix.mu.lists[t] = p
		}
		p.add(node, v.Values[i])
	}
}

// Delete removes node and reports whether it had a vector.
func (ix *Index) Delete(node uint32) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.deleteLocked(node)
}

func (ix *Index) deleteLocked(node uint32) bool {
	old, ok := ix.mu.docs[node]
	if !ok {
		return false
	}
	delete(ix.mu.docs, node)
	for _, t := range old.Indices {
		p := ix.mu.lists[t]
		p.remove(node)
		if len(p.nodes) == 0 {
			delete(ix.mu.lists, t)
		}
	}
	return true
}

// Vector returns node's vector sorted by index, or false when it has none.
// The slices are the index's own: callers must not modify them.
func (ix *Index) Vector(node uint32) (Vector, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	v, ok := ix.mu.docs[node]
	return v, ok
}

// Len returns the number of nodes with a vector: N in the idf formula.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.mu.docs)
}

// DocFreq returns the number of nodes whose vector has term: n(t).
func (ix *Index) DocFreq(term uint32) int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if p := ix.mu.lists[term]; p != nil {
		return len(p.nodes)
	}
	return 0
}

func (p *postings) add(node uint32, w float32) {
	p.max, p.min = max(p.max, w), min(p.min, w)
	if n := len(p.nodes); n == 0 || p.nodes[n-1] < node {
		p.nodes, p.weights = append(p.nodes, node), append(p.weights, w)
		return
	}
	i, _ := slices.BinarySearch(p.nodes, node)
	p.nodes, p.weights = slices.Insert(p.nodes, i, node), slices.Insert(p.weights, i, w)
}

// remove drops node's entry. When it held a bound, the bounds are
// recomputed, so heavy terms do not keep a stale high bound forever.
func (p *postings) remove(node uint32) {
	i, ok := slices.BinarySearch(p.nodes, node)
	if !ok {
		return
	}
	w := p.weights[i]
	p.nodes, p.weights = slices.Delete(p.nodes, i, i+1), slices.Delete(p.weights, i, i+1)
	if len(p.weights) > 0 && (w == p.max || w == p.min) {
		p.max, p.min = p.weights[0], p.weights[0]
		for _, x := range p.weights[1:] {
			p.max, p.min = max(p.max, x), min(p.min, x)
		}
	}
}

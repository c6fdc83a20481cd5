package hnsw

// candidate is a node and its distance to the query.
type candidate struct {
	dist float32
	node uint32
}

// minHeap and maxHeap are written out separately rather than on
// internal/heap: they run on every candidate of every search, and a direct
// comparison keeps their sift loops inlined. On internal/heap, whose sift
// down is past the inliner's budget and so calls its less function
// indirectly, BenchmarkSearch on 64-d vectors ran about 20% slower.

// minHeap pops the closest candidate first. It reuses its backing array.
type minHeap []candidate

func (h *minHeap) push(c candidate) {
	*h = append(*h, c)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].dist <= c.dist {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = c
}

func (h *minHeap) pop() candidate {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	*h = s
	if len(s) > 0 {
		s.siftDown(last)
	}
	return top
}

// maxHeap pops the farthest candidate first; it holds the current results.
type maxHeap []candidate

func (h *maxHeap) push(c candidate) {
	*h = append(*h, c)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].dist >= c.dist {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = c
}

func (h *maxHeap) pop() candidate {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	*h = s
	if len(s) > 0 {
		s.siftDown(last)
	}
	return top
}

// siftDown places c at the root and restores the heap order.
func (s minHeap) siftDown(c candidate) {
	i, n := 0, len(s)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		best := l
		if r := l + 1; r < n && s[r].dist < s[l].dist {
			best = r
		}
		if s[best].dist >= c.dist {
			break
		}
		s[i] = s[best]
		i = best
	}
	s[i] = c
}

// siftDown places c at the root and restores the heap order.
func (s maxHeap) siftDown(c candidate) {
	i, n := 0, len(s)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		best := l
		if r := l + 1; r < n && s[r].dist > s[l].dist {
			best = r
		}
		if s[best].dist <= c.dist {
			break
		}
		s[i] = s[best]
		i = best
	}
	s[i] = c
}

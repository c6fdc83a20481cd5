package hnsw

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Insert adds vec as a new node and returns its id; ids of deleted nodes are
// reused once a cleanup has freed them.
func (g *Graph) Insert(vec []float32) (uint32, error) {
	node, err := g.insertNew(vec)
	if err == nil {
		g.notifyInsert(node, vec)
	}
	return node, err
}

func (g *Graph) insertNew(vec []float32) (uint32, error) {
	if err := checkVector(vec, g.dim); err != nil {
		return 0, fmt.Errorf("insert: %w", err)
	}
	// Deferred first, so it runs after writers is released: a training
	// takes writers for writing.
	defer g.maybeTrain()
	g.writers.RLock()
	defer g.writers.RUnlock()
	node, level := g.allocate()
	if err := g.insert(node, level, vec); err != nil {
		g.release(node)
		return 0, err
	}
	return node, nil
}

// InsertAt adds vec under a caller-chosen node id, as when replaying a log.
// It fails with ErrNodeInUse if node is live; a deleted node is cleaned up
// first.
func (g *Graph) InsertAt(node uint32, vec []float32) error {
	err := g.insertAt(node, vec)
	if err == nil {
		g.notifyInsert(node, vec)
	}
	return err
}

func (g *Graph) insertAt(node uint32, vec []float32) error {
	if err := checkVector(vec, g.dim); err != nil {
		return fmt.Errorf("insert node %d: %w", node, err)
	}
	if g.stateOf(node) == nodeDeleted {
		g.Cleanup()
	}
	defer g.maybeTrain() // after writers is released, as in Insert
	g.writers.RLock()
	defer g.writers.RUnlock()
	level, err := g.claim(node)
	if err != nil {
		return err
	}
	if err := g.insert(node, level, vec); err != nil {
		g.release(node)
		return err
	}
	return nil
}

func (g *Graph) stateOf(node uint32) uint32 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if int(node) >= g.capacity {
		return nodeFree
	}
	return atomic.LoadUint32(&g.state[node])
}

// insert writes the node's vector and links it on levels 0..level.
func (g *Graph) insert(node uint32, level int, vec []float32) error {
	g.ensureCapacity(node)
	g.mu.RLock()
	defer g.mu.RUnlock()

	q := g.vectorOf(node)
	if g.opts.Metric == Cosine {
		if err := normalizeInto(q, vec); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
	} else {
		copy(q, vec)
	}
	if g.codes != nil {
		g.encode(g.quant, g.codes, node)
	}
	g.levels[node] = uint8(level)
	clear(g.linksOf(node, 0))
	g.upper[node] = nil
	if level > 0 {
		g.upper[node] = make([]uint32, level*g.strideU)
	}
	atomic.StoreUint32(&g.state[node], nodeLive)
	g.live.Add(1)

	ep, epLevel, ok := g.entryPoint()
	if !ok || level > epLevel {
		// A new top level: hold the entry lock for the whole insert so that
		// no other node raises the top concurrently.
		g.entryMu.Lock()
		defer g.entryMu.Unlock()
		ep, epLevel, ok = g.entryPoint()
		if !ok {
			g.entry.Store(packEntry(node, level))
			return nil
		}
	}

	s := g.getScratch()
	defer g.putScratch(s)
	s.sc.useFloats(q)
	cur := candidate{g.distance(q, g.vectorOf(ep)), ep}
	for l := epLevel; l > level; l-- {
		cur = g.greedy(s, cur, l)
	}
	for l := min(level, epLevel); l >= 0; l-- {
		if err := g.searchLayer(context.Background(), s, cur, int(g.efConstruction.Load()), l, nil); err != nil {
			return err
		}
		s.sorted = s.sorted[:0]
		for len(s.results) > 0 {
			if c := s.results.pop(); c.node != node {
				s.sorted = append(s.sorted, c)
			}
		}
		reverse(s.sorted)
		if len(s.sorted) == 0 {
			continue
		}
		cur = s.sorted[0]
		s.selected = g.selectNeighbors(s.selected[:0], s.sorted, g.opts.M)
		g.setLinks(s, node, l, s.selected)
		s.orphans = s.orphans[:0]
		for _, nb := range s.selected {
			g.addLink(s, nb.node, node, nb.dist, l)
		}
		for _, o := range s.orphans {
			g.reattach(s, o)
		}
	}
	if level > epLevel {
		g.entry.Store(packEntry(node, level))
	}
	return nil
}

func reverse(s []candidate) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// setLinks gives node its list on level: sel, plus any links that other
// inserts added meanwhile. A node can be found on a level as soon as a higher
// level links to it, so a concurrent insert may already have linked from it;
// dropping that link could leave the other node with no way in.
func (g *Graph) setLinks(s *scratch, node uint32, level int, sel []candidate) {
	g.lock(node)
	defer g.unlock(node)
	links := g.linksOf(node, level)
	n := int(atomic.LoadUint32(&links[0]))
	if n == 0 {
		g.writeList(links, level, sel)
		return
	}
	base := g.vectorOf(node)
	merged := append(s.sorted[:0], sel...)
	for i := 1; i <= n; i++ {
		x := atomic.LoadUint32(&links[i])
		if !containsNode(merged, x) && atomic.LoadUint32(&g.state[x]) == nodeLive {
			merged = append(merged, candidate{g.distance(base, g.vectorOf(x)), x})
		}
	}
	s.sorted = merged
	if limit := g.maxLinks(level); len(merged) > limit {
		sortCandidates(merged)
		kept := g.selectNeighbors(s.shrink[:0], merged, limit)
		kept = g.keepOrphans(kept, merged, links, level)
		s.shrink = kept
		merged = kept
	}
	g.writeList(links, level, merged)
}

// addLink adds the link from → to on level, where dist is their distance. A
// full list is shrunk with the neighbour heuristic.
func (g *Graph) addLink(s *scratch, from, to uint32, dist float32, level int) {
	g.lock(from)
	defer g.unlock(from)
	links := g.linksOf(from, level)
	n := int(atomic.LoadUint32(&links[0]))
	for i := 1; i <= n; i++ {
		if atomic.LoadUint32(&links[i]) == to {
			return
		}
	}
	if limit := g.maxLinks(level); n < limit {
		atomic.StoreUint32(&links[1+n], to)
		atomic.StoreUint32(&links[0], uint32(n+1))
		if level == 0 {
			atomic.AddInt32(&g.indeg[to], 1)
		}
		return
	}
	base := g.vectorOf(from)
	cands := append(s.sorted[:0], candidate{dist, to})
	for i := 1; i <= n; i++ {
		nb := atomic.LoadUint32(&links[i])
		if atomic.LoadUint32(&g.state[nb]) != nodeLive {
			continue
		}
		cands = append(cands, candidate{g.distance(base, g.vectorOf(nb)), nb})
	}
	sortCandidates(cands)
	s.sorted = cands
	sel := g.selectNeighbors(s.shrink[:0], cands, g.maxLinks(level))
	sel = g.keepOrphans(sel, cands, links, level)
	s.shrink = sel
	g.writeList(links, level, sel)
	if level == 0 {
		s.orphans = g.appendOrphans(s.orphans, cands, sel)
	}
}

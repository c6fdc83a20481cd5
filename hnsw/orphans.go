package hnsw

import (
	"context"
	"sync/atomic"

	"github.com/quiver-db/quiver/internal/bitset"
)

// The heuristic prunes links without knowing whether the pruned node has any
// other way in. A node whose layer-0 in-degree drops to zero can no longer be
// found by any search, so lists keep such nodes in their spare slots, and a
// node orphaned anyway is reattached to its nearest neighbour.

// writeList replaces a list with sel, keeping layer-0 in-degrees current. The
// owner's lock must be held.
func (g *Graph) writeList(links []uint32, level int, sel []candidate) {
	if level == 0 {
		n := int(atomic.LoadUint32(&links[0]))
		for i := 1; i <= n; i++ {
			atomic.AddInt32(&g.indeg[atomic.LoadUint32(&links[i])], -1)
		}
		for _, c := range sel {
			atomic.AddInt32(&g.indeg[c.node], 1)
		}
	}
	for i, c := range sel {
		atomic.StoreUint32(&links[1+i], c.node)
	}
	atomic.StoreUint32(&links[0], uint32(len(sel)))
}

// keepOrphans fills the spare slots of sel with pruned candidates that would
// otherwise have no layer-0 link left pointing at them.
func (g *Graph) keepOrphans(sel, cands []candidate, old []uint32, level int) []candidate {
	limit := g.maxLinks(level)
	if level != 0 || len(sel) >= limit {
		return sel
	}
	for _, c := range cands {
		if len(sel) == limit {
			break
		}
		if g.inDegreeWithout(c.node, old) == 0 && !containsNode(sel, c.node) {
			sel = append(sel, c)
		}
	}
	return sel
}

// inDegreeWithout is node's in-degree not counting a link from list old.
func (g *Graph) inDegreeWithout(node uint32, old []uint32) int32 {
	d := atomic.LoadInt32(&g.indeg[node])
	n := int(atomic.LoadUint32(&old[0]))
	for i := 1; i <= n; i++ {
		if atomic.LoadUint32(&old[i]) == node {
			return d - 1
		}
	}
	return d
}

func containsNode(sel []candidate, node uint32) bool {
	for _, c := range sel {
		if c.node == node {
			return true
		}
	}
	return false
}

// appendOrphans appends the live candidates left out of sel whose in-degree
// is now zero.
func (g *Graph) appendOrphans(dst []uint32, cands, sel []candidate) []uint32 {
	for _, c := range cands {
		if atomic.LoadInt32(&g.indeg[c.node]) == 0 && !containsNode(sel, c.node) &&
			atomic.LoadUint32(&g.state[c.node]) == nodeLive {
			dst = append(dst, c.node)
		}
	}
	return dst
}

// reattach links an orphaned node from the closest of its own neighbours that
// can take it, replacing that neighbour's farthest link whose target has
// other links in. mu must be held; no node lock.
func (g *Graph) reattach(s *scratch, node uint32) {
	if ep, _, _ := g.entryPoint(); ep == node || atomic.LoadInt32(&g.indeg[node]) > 0 {
		return
	}
	v := g.vectorOf(node)
	links := g.linksOf(node, 0)
	n := int(atomic.LoadUint32(&links[0]))
	near := s.selected[:0]
	for i := 1; i <= n; i++ {
		y := atomic.LoadUint32(&links[i])
		if atomic.LoadUint32(&g.state[y]) != nodeFree {
			near = append(near, candidate{g.distance(v, g.vectorOf(y)), y})
		}
	}
	if len(near) == 0 {
		near = g.relink(s, node)
	}
	sortCandidates(near)
	for _, y := range near {
		if g.forceLink(y.node, node) {
			return
		}
	}
}

// forceLink adds from → to on layer 0, making room if needed.
func (g *Graph) forceLink(from, to uint32) bool {
	g.lock(from)
	defer g.unlock(from)
	links := g.linksOf(from, 0)
	n := int(atomic.LoadUint32(&links[0]))
	base := g.vectorOf(from)
	worst, worstDist := -1, float32(-1)
	for i := 1; i <= n; i++ {
		x := atomic.LoadUint32(&links[i])
		if x == to {
			return true
		}
		if atomic.LoadInt32(&g.indeg[x]) > 1 {
			if d := g.distance(base, g.vectorOf(x)); d > worstDist {
				worst, worstDist = i, d
			}
		}
	}
	if n < g.maxLinks(0) {
		atomic.StoreUint32(&links[1+n], to)
		atomic.StoreUint32(&links[0], uint32(n+1))
		atomic.AddInt32(&g.indeg[to], 1)
		return true
	}
	if worst < 0 {
		return false
	}
	atomic.AddInt32(&g.indeg[atomic.LoadUint32(&links[worst])], -1)
	atomic.StoreUint32(&links[worst], to)
	atomic.AddInt32(&g.indeg[to], 1)
	return true
}

// relink gives a node that lost every out-link a new list from a search, and
// returns the candidates found.
func (g *Graph) relink(s *scratch, node uint32) []candidate {
	found := g.nearestTo(s, node)
	if len(found) == 0 {
		return nil
	}
	g.lock(node)
	sel := g.selectNeighbors(s.shrink[:0], found, g.opts.M)
	s.shrink = sel
	g.writeList(g.linksOf(node, 0), 0, sel)
	g.unlock(node)
	return found
}

// nearestTo searches layer 0 from the entry point for node's vector and
// returns the admitted nodes found, closest first, node itself left out.
func (g *Graph) nearestTo(s *scratch, node uint32) []candidate {
	ep, epLevel, ok := g.entryPoint()
	if !ok || ep == node {
		return nil
	}
	v := g.vectorOf(node)
	s.sc.useFloats(v)
	cur := candidate{g.distance(v, g.vectorOf(ep)), ep}
	for l := epLevel; l > 0; l-- {
		cur = g.greedy(s, cur, l)
	}
	if g.searchLayer(context.Background(), s, cur, int(g.efConstruction.Load()), 0, nil) != nil {
		return nil
	}
	found := s.sorted[:0]
	for len(s.results) > 0 {
		if c := s.results.pop(); c.node != node {
			found = append(found, c)
		}
	}
	reverse(found)
	s.sorted = found
	return found
}

// connect finds live nodes that no path from the entry point reaches (the
// heuristic can cut a tight cluster off, and deletes can remove its last
// bridge) and links each such component from the nearest reachable node.
func (g *Graph) connect() {
	g.mu.RLock()
	defer g.mu.RUnlock()
	ep, _, ok := g.entryPoint()
	if !ok {
		return
	}
	used := g.usedSlots()
	reached := bitset.New(int(used))
	queue := g.reach(reached, nil, ep)
	s := g.getScratch()
	defer g.putScratch(s)
	for n := uint32(0); n < used; n++ {
		if reached.Has(n) || atomic.LoadUint32(&g.state[n]) != nodeLive {
			continue
		}
		if found := g.relinkFrom(s, n); found {
			queue = g.reach(reached, queue, n)
		}
	}
}

// reach marks everything reachable from start over all layers, among the
// nodes below reached.Bound() (so reached never grows). It reads a
// node's level only after loading its state, which the insert that wrote the
// level published; a node whose insert has not got that far is skipped.
func (g *Graph) reach(reached bitset.Set, queue []uint32, start uint32) []uint32 {
	reached.Add(start)
	queue = append(queue[:0], start)
	for len(queue) > 0 {
		n := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if atomic.LoadUint32(&g.state[n]) == nodeFree {
			continue
		}
		for l := 0; l <= int(g.levels[n]); l++ {
			links := g.linksOf(n, l)
			cnt := int(atomic.LoadUint32(&links[0]))
			for i := 1; i <= cnt; i++ {
				x := atomic.LoadUint32(&links[i])
				if x < reached.Bound() && !reached.Has(x) {
					reached.Add(x)
					queue = append(queue, x)
				}
			}
		}
	}
	return queue
}

// relinkFrom links node from the closest node a search from the entry point
// finds that can take it.
func (g *Graph) relinkFrom(s *scratch, node uint32) bool {
	for _, c := range g.nearestTo(s, node) {
		if g.forceLink(c.node, node) {
			return true
		}
	}
	return false
}

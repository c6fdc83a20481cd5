package hnsw

import (
	"fmt"
	"sync/atomic"

	"github.com/quiver-db/quiver/internal/bitset"
)

// Deleted nodes are cleaned up in batches: a cleanup starts in the
// background when the tombstones reach max(minCleanupBatch, live nodes /
// cleanupFraction). A cleanup of thousands of tombstones re-links every
// list that pointed at them and can take seconds, so the delete that
// crosses the threshold must not wait for it. Only when deletes outrun it,
// cleanupBacklog thresholds behind, does a delete run one itself: the
// tombstones, which searches still walk through, stay bounded.
const (
	minCleanupBatch = 256
	cleanupFraction = 20
	cleanupBacklog  = 4
)

// Delete removes a live node. It is never returned again; its neighbours are
// reconnected and its slot freed by the next cleanup.
func (g *Graph) Delete(node uint32) error {
	g.writers.RLock()
	g.mu.RLock()
	ok := int(node) < g.capacity && atomic.CompareAndSwapUint32(&g.state[node], nodeLive, nodeDeleted)
	g.mu.RUnlock()
	if !ok {
		g.writers.RUnlock()
		return fmt.Errorf("delete node %d: %w", node, ErrNotFound)
	}
	g.live.Add(-1)
	g.tombstones.Add(1)
	g.tomb.Lock()
	g.tomb.nodes = append(g.tomb.nodes, node)
	pending := len(g.tomb.nodes)
	g.tomb.Unlock()
	g.writers.RUnlock()
	threshold := max(minCleanupBatch, g.Len()/cleanupFraction)
	switch {
	case pending >= cleanupBacklog*threshold || g.cleanupFailed.Load():
		g.Cleanup()
	case pending >= threshold:
		g.startCleanup()
	}
	return nil
}

// startCleanup runs a Cleanup on its own goroutine unless one is already
// running there. A panic in it is recovered (it would end the process) and
// makes the next Delete clean up on the caller's goroutine, where the
// request's own recovery reports it.
func (g *Graph) startCleanup() {
	if !g.cleaning.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer g.cleaning.Store(false)
		defer func() {
			if p := recover(); p != nil {
				g.cleanupFailed.Store(true)
			}
		}()
		g.Cleanup()
	}()
}

// Cleanup repairs the neighbour lists that link to deleted nodes, frees
// their slots, and links any part of the graph that has become unreachable
// from the entry point back in. Delete calls it when enough tombstones have
// gathered (see startCleanup); callers may call it at any time, for example before Export. It
// costs a pass over every link.
func (g *Graph) Cleanup() {
	g.writers.RLock()
	defer g.writers.RUnlock()
	g.cleanupMu.Lock()
	defer g.cleanupMu.Unlock()
	g.tomb.Lock()
	batch := g.tomb.nodes
	g.tomb.nodes = nil
	g.tomb.Unlock()
	if len(batch) > 0 {
		g.repair(batch)
		g.free(batch)
	}
	g.connect()
	g.cleanupFailed.Store(false)
}

// usedSlots returns how many slots may hold nodes; mu must be held.
func (g *Graph) usedSlots() uint32 {
	g.alloc.Lock()
	defer g.alloc.Unlock()
	return min(g.alloc.next, uint32(g.capacity))
}

// repair reconnects every list that links to a node of batch, concurrently
// with searches and inserts, and moves the entry point off the batch.
func (g *Graph) repair(batch []uint32) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	dead := bitset.Of(batch...)
	s := g.getScratch()
	defer g.putScratch(s)
	used := g.usedSlots()
	for n := uint32(0); n < used; n++ {
		if atomic.LoadUint32(&g.state[n]) != nodeLive {
			continue
		}
		for l := 0; l <= int(g.levels[n]); l++ {
			if linksAny(g.linksOf(n, l), dead) {
				g.repairList(s, n, l, dead)
			}
		}
	}

	g.moveEntry(dead, used)
	for n := uint32(0); n < used; n++ {
		if atomic.LoadUint32(&g.state[n]) == nodeLive && atomic.LoadInt32(&g.indeg[n]) == 0 {
			g.reattach(s, n)
		}
	}
}

// moveEntry picks a live node of the highest level as entry point if the
// current one is being deleted.
func (g *Graph) moveEntry(dead bitset.Set, used uint32) {
	g.entryMu.Lock()
	defer g.entryMu.Unlock()
	if ep, _, ok := g.entryPoint(); !ok || !dead.Has(ep) {
		return
	}
	g.entry.Store(0)
	best := -1
	for n := uint32(0); n < used; n++ {
		if atomic.LoadUint32(&g.state[n]) == nodeLive && int(g.levels[n]) > best {
			best = int(g.levels[n])
			g.entry.Store(packEntry(n, best))
		}
	}
}

func linksAny(links []uint32, set bitset.Set) bool {
	n := int(atomic.LoadUint32(&links[0]))
	for i := 1; i <= n; i++ {
		if set.Has(atomic.LoadUint32(&links[i])) {
			return true
		}
	}
	return false
}

// repairList reconnects node's list on level after some of its neighbours
// were deleted: the surviving links stay, and the freed slots go to the
// deleted neighbours' own neighbours, first those the heuristic admits
// beside the survivors, then the closest others, so the list keeps its
// degree.
func (g *Graph) repairList(s *scratch, node uint32, level int, dead bitset.Set) {
	g.lock(node)
	defer g.unlock(node)
	base := g.vectorOf(node)
	s.visited.reset(g.capacity)
	s.visited.visit(node)
	links := g.linksOf(node, level)
	n := int(atomic.LoadUint32(&links[0]))
	sel := s.shrink[:0]
	for i := 1; i <= n; i++ {
		x := atomic.LoadUint32(&links[i])
		if !dead.Has(x) && !s.visited.visit(x) && atomic.LoadUint32(&g.state[x]) != nodeFree {
			sel = append(sel, candidate{g.distance(base, g.vectorOf(x)), x})
		}
	}
	extra := s.sorted[:0]
	for i := 1; i <= n; i++ {
		x := atomic.LoadUint32(&links[i])
		if !dead.Has(x) || int(g.levels[x]) < level {
			continue
		}
		xl := g.linksOf(x, level)
		xn := int(atomic.LoadUint32(&xl[0]))
		for j := 1; j <= xn; j++ {
			y := atomic.LoadUint32(&xl[j])
			if !dead.Has(y) && !s.visited.visit(y) && atomic.LoadUint32(&g.state[y]) != nodeFree {
				extra = append(extra, candidate{g.distance(base, g.vectorOf(y)), y})
			}
		}
	}
	sortCandidates(extra)
	s.sorted = extra
	limit := g.maxLinks(level)
	for _, c := range extra {
		if len(sel) >= limit {
			break
		}
		if g.diverse(c, sel) {
			sel = append(sel, c)
		}
	}
	for _, c := range extra {
		if len(sel) >= min(n, limit) {
			break
		}
		if !containsNode(sel, c.node) {
			sel = append(sel, c)
		}
	}
	sel = g.keepOrphans(sel, extra, links, level)
	s.shrink = sel
	g.writeList(links, level, sel)
}

// free drops any link to the batch written after repair scanned it, then
// frees the slots. Holding mu for writing means no search still walks them.
func (g *Graph) free(batch []uint32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	dead := bitset.Of(batch...)
	used := g.usedSlots()
	for n := uint32(0); n < used; n++ {
		if g.state[n] == nodeFree || dead.Has(n) {
			continue
		}
		for l := 0; l <= int(g.levels[n]); l++ {
			links := g.linksOf(n, l)
			k := 0
			for i := 1; i <= int(links[0]); i++ {
				if !dead.Has(links[i]) {
					k++
					links[k] = links[i]
				} else if l == 0 {
					g.indeg[links[i]]--
				}
			}
			links[0] = uint32(k)
		}
	}
	for _, n := range batch {
		links := g.linksOf(n, 0)
		for _, x := range links[1 : 1+links[0]] {
			g.indeg[x]--
		}
		g.indeg[n] = 0
		g.state[n] = nodeFree
		clear(links)
		g.upper[n] = nil
		g.levels[n] = 0
	}
	g.tombstones.Add(-int64(len(batch)))
	g.alloc.Lock()
	g.alloc.free.push(batch...)
	g.alloc.Unlock()
}

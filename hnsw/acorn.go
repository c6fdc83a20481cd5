package hnsw

import (
	"context"
	"sync/atomic"

	"github.com/quiver-db/quiver/internal/bitset"
)

// twoHopBudget is how many matching neighbours, as a multiple of the
// layer-0 degree bound 2·M, one expansion of the two-hop walk gathers
// before it stops reading the lists of non-matching neighbours, as
// ACORN-1 truncates the expanded list to the degree bound. On GloVe-100 at
// 10% selectivity (M=16) budgets of 16, 24, 32 and 64 nodes traced one
// recall/speed curve up to 32; 64 cost a third more for the same recall.
const twoHopBudget = 1

// hopPrefetch is how many lists of non-matching neighbours are being
// loaded ahead of the one read: prefetching every such list at once (up
// to 2·M of them, most never read once the budget is met) stalled on the
// CPU's few outstanding-miss slots.
const hopPrefetch = 4

// searchLayerTwoHop is the filtered layer-0 search of ACORN-1 (Patel et
// al., SIGMOD 2024) over a graph built as usual: expanding a node scores
// its matching neighbours and, through each non-matching neighbour, that
// neighbour's matching neighbours, so the walk moves over the subgraph of
// matching nodes and never scores a node it cannot return. Only matching
// nodes (and the entry point, which need not match) enter the candidate
// queue. It leaves the ef closest live members of within in s.results.
// mu must be held.
//
// A non-matching neighbour is marked visited when its list is read, not
// when it is seen: its matching neighbours are the same whichever node
// led to it, so one read is enough, and one skipped for the budget may
// still be read from another node.
func (g *Graph) searchLayerTwoHop(ctx context.Context, s *scratch, ep candidate, ef int, within bitset.Set) error {
	q, codes := s.sc.vec, s.sc.codes
	s.visited.reset(g.capacity)
	s.candidates = s.candidates[:0]
	s.results = s.results[:0]
	s.visited.visit(ep.node)
	s.candidates.push(ep)
	if g.admitWithin(ep.node, within) {
		s.results.push(ep)
	}
	budget := twoHopBudget * g.maxLinks(0)
	for expanded := 1; len(s.candidates) > 0; expanded++ {
		c := s.candidates.pop()
		if len(s.results) >= ef && c.dist > s.results[0].dist {
			break
		}
		if expanded%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		fresh, hops := s.fresh[:0], s.hops[:0]
		links := g.linksOf(c.node, 0)
		n := int(atomic.LoadUint32(&links[0]))
		for i := 1; i <= n; i++ {
			nb := atomic.LoadUint32(&links[i])
			switch {
			case s.visited.has(nb):
			case g.admitWithin(nb, within):
				s.visited.visit(nb)
				g.prefetchScored(codes, nb)
				fresh = append(fresh, nb)
			default:
				if len(hops) < hopPrefetch {
					g.prefetchLinks(nb)
				}
				hops = append(hops, nb)
			}
		}
		for i, h := range hops {
			if len(fresh) >= budget {
				break
			}
			if i+hopPrefetch < len(hops) {
				g.prefetchLinks(hops[i+hopPrefetch])
			}
			s.visited.visit(h)
			hl := g.linksOf(h, 0)
			hn := int(atomic.LoadUint32(&hl[0]))
			for j := 1; j <= hn; j++ {
				nb := atomic.LoadUint32(&hl[j])
				if g.admitWithin(nb, within) && !s.visited.visit(nb) {
					g.prefetchScored(codes, nb)
					fresh = append(fresh, nb)
				}
			}
		}
		s.fresh, s.hops = fresh, hops
		for _, nb := range fresh {
			var d float32
			if codes {
				d = g.codeDistance(&s.sc, nb)
			} else {
				d = g.distance(q, g.vectorOf(nb))
			}
			if len(s.results) < ef || d < s.results[0].dist {
				s.candidates.push(candidate{d, nb})
				s.results.push(candidate{d, nb})
				if len(s.results) > ef {
					s.results.pop()
				}
			}
		}
	}
	return nil
}

// admitWithin reports whether node is a live member of within. Membership
// is asked first: most nodes the two-hop walk meets are not members, and
// then their state, a likely cache miss, is not loaded.
func (g *Graph) admitWithin(node uint32, within bitset.Set) bool {
	return within.Has(node) && atomic.LoadUint32(&g.state[node]) == nodeLive
}

// prefetchScored starts loading what scoring node reads: its code on a
// walk over codes, else its vector.
func (g *Graph) prefetchScored(codes bool, node uint32) {
	if codes {
		prefetch(&g.codes[int(node)*g.codeWords])
	} else {
		prefetch(&g.arena[int(node)*g.stride+g.stride0])
	}
}

// prefetchLinks starts loading node's layer-0 list, which sits at the
// start of its record.
func (g *Graph) prefetchLinks(node uint32) { prefetch(&g.arena[int(node)*g.stride]) }

// has reports whether n is marked, without marking it.
func (v *visitedSet) has(n uint32) bool { return v.words[n/64]&(1<<(n%64)) != 0 }

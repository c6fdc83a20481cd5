package hnsw

import "slices"

// selectNeighbors is the neighbour-selection heuristic (Algorithm 4 of the
// paper, without extending or keeping pruned candidates): walking candidates
// from the closest, keep one only if it is closer to the base than to every
// neighbour already kept. This keeps links pointing in diverse directions,
// which is what lets greedy search cross between clusters. cands must be
// sorted by distance to the base; the kept ones are appended to dst.
func (g *Graph) selectNeighbors(dst, cands []candidate, m int) []candidate {
	if len(cands) <= m {
		return append(dst, cands...)
	}
	start := len(dst)
	for _, c := range cands {
		if len(dst)-start >= m {
			break
		}
		if g.diverse(c, dst[start:]) {
			dst = append(dst, c)
		}
	}
	return dst
}

// diverse reports whether c is closer to the base than to every node of sel.
func (g *Graph) diverse(c candidate, sel []candidate) bool {
	v := g.vectorOf(c.node)
	for _, r := range sel {
		if g.distance(v, g.vectorOf(r.node)) < c.dist {
			return false
		}
	}
	return true
}

// sortCandidates orders by distance, then node id for determinism.
func sortCandidates(c []candidate) {
	slices.SortFunc(c, func(a, b candidate) int {
		switch {
		case a.dist < b.dist:
			return -1
		case a.dist > b.dist:
			return 1
		}
		return int(a.node) - int(b.node)
	})
}

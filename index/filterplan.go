package index

import (
	"math"

	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/internal/bitset"
)

// filterStrategy is how a filtered search finds its points.
type filterStrategy uint8

const (
	// scanMatches scores every matching point: for few matches, or when
	// asked for an exact search.
	scanMatches filterStrategy = iota
	// twoHopWalk walks the graph over the matching nodes only, reaching
	// past a non-matching neighbour to its neighbours (ACORN-1).
	twoHopWalk
	// filteredWalk walks the graph as if unfiltered and admits only
	// matches as results.
	filteredWalk
)

func (s filterStrategy) String() string {
	switch s {
	case scanMatches:
		return "scan"
	case twoHopWalk:
		return "two-hop"
	}
	return "walk"
}

// The planner's thresholds, on the share of the graph's live nodes that
// match, measured on GloVe-100 (331k points, M=16, ef 64, one thread,
// queries per CPU-second at recall@10 against the exact filtered top-10):
//
//   - walkMinShare: above it the plain walk wins, since most nodes it
//     passes are results and reading the lists of the others costs more
//     than scoring them. At 50% the walk answered 1,113 q/CPU-s to the
//     two-hop walk's 882, at 40% 1,168 to 1,077, at 30% 690 to 996.
//   - twoHopMinShare: below it the matches fall apart into pieces two
//     hops do not join. At 1% the two-hop walk reached recall 0.83 at ef
//     64 and 0.94 at ef 200, the plain walk 1.00 at 53 q/CPU-s, and a
//     scan of the 3,320 matches 1.00 at 3,785: scanning is cheaper there
//     even past ExactSearchMax, its cost growing with the matches only.
//   - efRefShare: below it the two-hop walk's ef grows by
//     sqrt(efRefShare/share) (at most efMaxBoost times) to hold recall:
//     at ef 64 recall fell from 0.986 at 10% to 0.976 at 5% and 0.956 at
//     3%; ef 90 at 5% gave 0.987 (1,100 q/CPU-s) and ef 117 at 3% 0.984
//     (1,197), still ahead of scanning those 9,960 matches (857).
const (
	walkMinShare   = 0.4
	twoHopMinShare = 0.02
	efRefShare     = 0.1
	efMaxBoost     = 4
)

// filterPlan is how one filtered search runs.
type filterPlan struct {
	strategy filterStrategy
	// ef is the graph walk's candidate list size; 0 keeps the graph's.
	ef int
}

// planFilter picks a filtered search's strategy from the number of matches
// and the graph's live nodes: a scan when at most exactMax or under
// twoHopMinShare of the graph match (or the request asks for exact), the
// plain walk when more than walkMinShare match, and the two-hop walk in
// between, its ef raised as the share falls below efRefShare. ef is the
// request's (0: the graph's default, defaultEf) and k the results wanted.
func planFilter(matches, live, exactMax, ef, defaultEf, k int, exact bool) filterPlan {
	share := float64(matches) / float64(max(live, 1))
	switch {
	case exact || matches <= exactMax || share < twoHopMinShare:
		return filterPlan{strategy: scanMatches}
	case share > walkMinShare:
		return filterPlan{strategy: filteredWalk, ef: ef}
	case share >= efRefShare:
		return filterPlan{strategy: twoHopWalk, ef: ef}
	}
	if ef == 0 {
		ef = defaultEf
	}
	boost := min(efMaxBoost, math.Sqrt(efRefShare/share))
	return filterPlan{strategy: twoHopWalk, ef: min(hnsw.MaxEf, int(math.Round(float64(max(ef, k))*boost)))}
}

// searchOptions are the graph search options of a walking plan over the
// matching nodes, with the request's quantization knobs.
func (p filterPlan) searchOptions(matches bitset.Set, quant hnsw.QuantizedSearch) hnsw.SearchOptions {
	if p.strategy == twoHopWalk {
		return hnsw.SearchOptions{Ef: p.ef, Within: matches, Quantization: quant}
	}
	return hnsw.SearchOptions{Ef: p.ef, Filter: matches.Has, Quantization: quant}
}

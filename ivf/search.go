package ivf

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/quiver-db/quiver/internal/heap"
	"github.com/quiver-db/quiver/internal/simd"
)

// Result is one point found: its number and its cosine similarity or dot
// product with the query.
type Result struct {
	ID    uint32
	Score float32
}

// scored is a point or cell with a score, higher better.
type scored struct {
	score float32
	id    uint32
}

// cmpScores orders by score, then by id descending, so that sorting with
// it reversed lists the best first and ties by ascending id.
func cmpScores(a, b scored) int {
	if c := cmp.Compare(a.score, b.score); c != 0 {
		return c
	}
	return cmp.Compare(b.id, a.id)
}

// worse orders a min-heap of the best so far: the top is the one to drop.
func worse(a, b scored) bool { return a.score < b.score }

// scratch is one query's working memory, pooled.
type scratch struct {
	q      []float32 // the query, unit length for Cosine, zero-padded past dim
	tables []float32 // ⟨q_s, entry⟩ per sub-space and entry
	tops   []float32 // each sub-space's largest entry
	luts   []byte    // the tables as bytes, in ScanPQ4's column layout
	cells  []scored
	// cellScores holds every centroid's product with the query, padded
	// to whole blocks of eight.
	cellScores []float32
	cands      []scored // candidates for re-scoring, unordered
	floor      float32  // the score a candidate must beat
	floored    bool     // the candidates have been cut once
	best       []scored
	sums       [simd.PQ4Block]uint16
	// seen[p] = stamp marks point p re-scored by this query, with points
	// spilled into several cells; nil without.
	seen  []uint32
	stamp uint32
}

// nextStamp starts a query's seen marks.
func (s *scratch) nextStamp() uint32 {
	s.stamp++
	if s.stamp == 0 { // wrapped: old marks could collide
		clear(s.seen)
		s.stamp = 1
	}
	return s.stamp
}

func (ix *Index) newScratch() *scratch {
	s := &scratch{
		q:          make([]float32, max(ix.padDim, (ix.dim+7)&^7)),
		tops:       make([]float32, ix.cb.nsub),
		tables:     make([]float32, ix.cb.nsub*codeBookEntries),
		luts:       make([]byte, ix.cols*simd.PQ4Block),
		cellScores: make([]float32, len(ix.centsT)/ix.dim),
	}
	if ix.opts.Spill > 1 {
		s.seen = make([]uint32, ix.n)
	}
	return s
}

// Search returns up to k points with the highest scores, best first.
func (ix *Index) Search(ctx context.Context, query []float32, k int, so SearchOptions) ([]Result, error) {
	return ix.SearchInto(ctx, nil, query, k, so)
}

// SearchInto is Search appending to dst; with enough capacity in dst (and
// the pooled scratch memory grown by earlier queries) it allocates
// nothing.
func (ix *Index) SearchInto(ctx context.Context, dst []Result, query []float32, k int, so SearchOptions) ([]Result, error) {
	if len(query) != ix.dim {
		return dst, fmt.Errorf("ivf search: query of dimension %d, index has %d", len(query), ix.dim)
	}
	if k < 1 {
		return dst, fmt.Errorf("ivf search: k = %d, want ≥ 1", k)
	}
	probe, reorder := so.Probe, so.Reorder
	if probe == 0 {
		probe = defaultProbe
	}
	if reorder == 0 {
		reorder = 10 * k
	}
	if probe < 1 || probe > MaxProbe || reorder < 1 || reorder > MaxReorder {
		return dst, fmt.Errorf("ivf search: probe %d and reorder %d, want 1..%d and 1..%d", probe, reorder, MaxProbe, MaxReorder)
	}
	probe, reorder = min(probe, len(ix.cells)), max(reorder, k)
	s := ix.scratch.Get().(*scratch)
	defer ix.scratch.Put(s)
	if s.seen != nil && len(s.seen) < ix.n { // points added since it was made
		s.seen = append(s.seen, make([]uint32, ix.n-len(s.seen)+ix.n/8)...)
	}
	copy(s.q, query)
	if ix.opts.Metric == Cosine {
		normalize(s.q[:ix.dim])
	}
	q := s.q[:ix.dim]
	ix.nearestCells(s, q, probe)
	shift, step := ix.quantizeTables(s)
	s.cands, s.floor, s.floored = s.cands[:0], float32(math.Inf(-1)), false
	for i, c := range s.cells {
		if i%8 == 7 && ctx.Err() != nil {
			return dst, ctx.Err()
		}
		ix.scanCell(s, &ix.cells[c.id], c.score+shift, step, reorder)
	}
	if len(s.cands) > reorder {
		keepBest(s.cands, reorder)
		s.cands = s.cands[:reorder]
	}
	s.best = s.best[:0]
	seen := s.nextStamp()
	for _, c := range s.cands {
		if s.seen != nil { // a spilled point can be a candidate twice
			if s.seen[c.id] == seen {
				continue
			}
			s.seen[c.id] = seen
		}
		sc := scored{ix.exact(s.q, c.id), c.id}
		if len(s.best) < k {
			heap.Push(&s.best, sc, worse)
		} else if sc.score > s.best[0].score {
			heap.ReplaceTop(s.best, sc, worse)
		}
	}
	slices.SortFunc(s.best, func(a, b scored) int { return cmpScores(b, a) })
	for _, b := range s.best {
		dst = append(dst, Result{ID: b.id, Score: b.score})
	}
	return dst, nil
}

// nearestCells leaves in s.cells the probe cells whose centroids have the
// largest inner products with q, with those products as scores, best
// first: scanning the nearest cells first fills the candidates with good
// points early, so the floor rises before most codes are read.
func (ix *Index) nearestCells(s *scratch, q []float32, probe int) {
	simd.DotsBlocked8(q, ix.centsT, s.cellScores)
	s.cells = s.cells[:0]
	for c, sc := range s.cellScores[:len(ix.cells)] {
		s.cells = append(s.cells, scored{sc, uint32(c)})
	}
	if probe < len(s.cells) {
		keepBest(s.cells, probe)
		s.cells = s.cells[:probe]
	}
	slices.SortFunc(s.cells, func(a, b scored) int { return cmpScores(b, a) })
}

// quantizeTables turns the query's sub-space tables into bytes: entry k of
// sub-space s becomes round((max_s − t_s[k]) / step), so a point's table
// sum u stands for the score shift − step·u over its cell's centroid term.
// One step for all sub-spaces keeps the sums comparable across them.
func (ix *Index) quantizeTables(s *scratch) (shift, step float32) {
	ix.cb.tables(s.q, s.tables)
	var widest float32
	for sub := range ix.cb.nsub {
		t := s.tables[sub*codeBookEntries : (sub+1)*codeBookEntries]
		top, bottom := t[0], t[0]
		for _, v := range t[1:] {
			top, bottom = max(top, v), min(bottom, v)
		}
		s.tops[sub] = top
		shift += top
		widest = max(widest, top-bottom)
	}
	step = widest / 255
	if step == 0 {
		step = 1
	}
	inv := 1 / step
	if ix.cb.nsub%2 == 1 {
		clear(s.luts[len(s.luts)-codeBookEntries:]) // the missing last sub-space adds 0
	}
	for sub, top := range s.tops {
		t := s.tables[sub*codeBookEntries : (sub+1)*codeBookEntries]
		out := s.luts[sub/2*simd.PQ4Block+sub%2*codeBookEntries:]
		for k, v := range t {
			// Non-negative, so adding ½ and truncating rounds.
			out[k] = byte(min(255, (top-v)*inv+0.5))
		}
	}
	return shift, step
}

// scanCell scores the cell's codes and adds to s.cands the points that can
// still be among the best reorder over all cells so far. base is the score
// of a point whose table sum is zero. s.cands grows to twice reorder, then
// keepBest cuts it back and raises s.floor, the score a point must beat:
// a constant amount of work per candidate, where a heap paid a sift each.
func (ix *Index) scanCell(s *scratch, cl *cell, base, step float32, reorder int) {
	blockBytes := ix.cols * simd.PQ4Block
	limit := sumLimit(base, s.floor, step)
	for b := 0; b*simd.PQ4Block < len(cl.ids); b++ {
		below := simd.ScanPQ4(cl.codes[b*blockBytes:(b+1)*blockBytes], s.luts, limit, &s.sums)
		ids := cl.ids[b*simd.PQ4Block:]
		if n := len(ids); n < simd.PQ4Block {
			below &= 1<<n - 1 // lanes past the cell's last point
		}
		for ; below != 0; below &= below - 1 {
			p := bits.TrailingZeros32(below)
			u := s.sums[simd.PQ4Lane(p)]
			s.cands = append(s.cands, scored{base - step*float32(u), ids[p]})
		}
		if len(s.cands) >= 2*reorder || !s.floored && len(s.cands) > reorder+reorder/4 {
			// The first cut comes early, so the floor starts rising
			// from the first cells, which are the nearest.
			s.floored = true
			s.floor = keepBest(s.cands, reorder)
			s.cands = s.cands[:reorder]
			limit = sumLimit(base, s.floor, step)
		}
	}
}

// keepBest moves the n highest-scoring elements of c (n < len(c)) to its
// front, in no order, and returns the lowest score among them: Hoare's
// quickselect, with the middle element as pivot.
func keepBest(c []scored, n int) float32 {
	lo, hi := 0, len(c)-1
	for lo < hi {
		pivot := c[(lo+hi)/2].score
		i, j := lo, hi
		for i <= j {
			for c[i].score > pivot {
				i++
			}
			for c[j].score < pivot {
				j--
			}
			if i <= j {
				c[i], c[j] = c[j], c[i]
				i++
				j--
			}
		}
		switch {
		case n-1 <= j:
			hi = j
		case n-1 >= i:
			lo = i
		default:
			lo = hi
		}
	}
	floor := c[0].score
	for _, x := range c[1:n] {
		floor = min(floor, x.score)
	}
	return floor
}

// sumLimit is the table sum at and above which a point scores no better
// than floor.
func sumLimit(base, floor, step float32) uint16 {
	u := (base - floor) / step
	switch {
	case math.IsInf(float64(floor), -1):
		return math.MaxUint16
	case u <= 0:
		return 0
	case u >= math.MaxUint16:
		return math.MaxUint16
	}
	return uint16(math.Ceil(float64(u)))
}

// exact is the score of point id against the padded query q from the
// re-scoring vectors.
func (ix *Index) exact(q []float32, id uint32) float32 {
	if ix.halves != nil {
		return simd.DotF16(q[:ix.halfStride], ix.halves[int(id)*ix.halfStride:])
	}
	return simd.Dot(q[:ix.dim], ix.vectors[int(id)*ix.dim:])
}

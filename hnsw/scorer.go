package hnsw

import (
	"math"

	"github.com/quiver-db/quiver/internal/simd"
)

// scorer is the query side of one walk: the float query, and for a walk on
// codes its int8 quantization with the terms that turn an integer dot
// product into a distance estimate.
type scorer struct {
	vec   []float32 // the query as the graph compares it (unit for Cosine)
	codes bool      // score codes rather than vectors
	q8    []int8    // round(vec/s), s = max|vec_i|/127
	// ⟨x, q⟩ ≈ ⟨lo + δ·c, s·q8⟩ = lo·s·Σq8_i + δ·s·Σc_i·q8_i
	// = base + step·DotU8I8(c, q8). Taking lo·Σq_i for the first term
	// ranks the same (they differ by a constant per query) but adds
	// lo·Σ(q_i − s·q8_i) to every estimate's error.
	base, step float32
	qnorm      float32 // ‖q‖², for L2
}

// useFloats sets sc to walk the float vectors.
func (sc *scorer) useFloats(q []float32) { *sc = scorer{vec: q, q8: sc.q8} }

// useCodes sets sc to walk the codes of st for query q; sc.q8 must hold
// dim bytes.
func (sc *scorer) useCodes(st *quantState, q []float32) {
	var maxAbs, norm float32
	for _, x := range q {
		maxAbs = max(maxAbs, abs32(x))
		norm += x * x
	}
	s := maxAbs / 127
	if s == 0 {
		s = 1
	}
	inv := 1 / s
	q8 := sc.q8[:len(q)]
	var sum int32
	for i, x := range q {
		q8[i] = int8(math.Round(float64(x * inv)))
		sum += int32(q8[i])
	}
	*sc = scorer{vec: q, codes: true, q8: q8, base: st.lo * s * float32(sum), step: st.delta * s, qnorm: norm}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// codeDistance is the estimated distance from sc's query to node, ordered
// as distance orders (1 − dot, −dot), but for L2 the squared distance:
// the walk only compares estimates with each other, and the re-scoring or
// the final conversion takes the root. mu must be held, the graph
// quantized.
func (g *Graph) codeDistance(sc *scorer, node uint32) float32 {
	code, norm := g.codeOf(node)
	dot := sc.base + sc.step*float32(simd.DotU8I8(code, sc.q8))
	switch g.metric {
	case Cosine:
		return 1 - dot
	case Dot:
		return -dot
	default:
		return max(0, norm+sc.qnorm-2*dot)
	}
}

// nodeDistance is the distance the walk uses from sc's query to node.
func (g *Graph) nodeDistance(sc *scorer, node uint32) float32 {
	if sc.codes {
		return g.codeDistance(sc, node)
	}
	return g.distance(sc.vec, g.vectorOf(node))
}

// rescore replaces the candidates in s.results (code estimates) with the
// best k of them by exact distance to q and returns how many it scored.
func (g *Graph) rescore(s *scratch, q []float32, k int) int {
	cands := append(s.sorted[:0], s.results...)
	s.sorted = cands
	s.results = s.results[:0]
	for _, c := range cands {
		d := g.distance(q, g.vectorOf(c.node))
		if len(s.results) < k {
			s.results.push(candidate{d, c.node})
		} else if d < s.results[0].dist {
			s.results.pop()
			s.results.push(candidate{d, c.node})
		}
	}
	return len(cands)
}

// estimateScores turns the code estimates left in s.results into
// distances as distance defines them (the root for L2).
func (g *Graph) estimateScores(s *scratch) {
	if g.metric != L2 {
		return
	}
	for i := range s.results {
		s.results[i].dist = float32(math.Sqrt(float64(s.results[i].dist)))
	}
}

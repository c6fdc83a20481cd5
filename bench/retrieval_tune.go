package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/quiver-db/quiver/query"
)

// fusionDenseWeights are the dense list's weights tried against BM25's 1.
var fusionDenseWeights = []float32{0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20, 50, 100}

// rrfKs are RRF's rank constants tried: Qdrant's default, and the paper's.
var rrfKs = []int{2, 10, 60}

// TunedFusion is a fusion whose weights (and RRF's k) were chosen on one
// half of the queries and scored on the other, both ways round: Quality
// is over all queries, each ranked with the setting its other half chose,
// so no query is scored by a setting tuned on it.
type TunedFusion struct {
	Method  query.FusionMethod `json:"method"`
	Folds   [2]TunedFold       `json:"folds"`
	Quality Metrics            `json:"quality"`
}

// TunedFold is the setting chosen on one half and how it did there and on
// the held-out half.
type TunedFold struct {
	// DenseWeight is the dense list's weight, BM25's being 1.
	DenseWeight float32 `json:"dense_weight"`
	K           int     `json:"k,omitempty"`
	Tune        Metrics `json:"tune"`
	HeldOut     Metrics `json:"held_out"`
}

// halves splits 0..n-1 at random (seeded) into two halves.
func halves(n int, seed uint64) [2][]int {
	perm := rand.New(rand.NewPCG(seed, 0x5eed)).Perm(n)
	return [2][]int{perm[:n/2], perm[n/2:]}
}

// tuneFusion picks method's weights on each half of the queries by NDCG@10
// and scores the other half with them; it returns the rankings of that
// scoring too. Dense query vectors come from vecs, so the grid does not
// re-encode.
func tuneFusion(ctx context.Context, ix *retrievalIndex, set *RetrievalSet, texts []string, vecs [][]float32, method query.FusionMethod, depth int, seed uint64, log io.Writer) (TunedFusion, [][]int32, error) {
	type setting struct {
		w float32
		k int
	}
	var grid []setting
	for _, w := range fusionDenseWeights {
		if method != query.RRF {
			grid = append(grid, setting{w: w})
			continue
		}
		for _, k := range rrfKs {
			grid = append(grid, setting{w: w, k: k})
		}
	}
	rank := func(s setting, which []int, out [][]int32) error {
		for _, i := range which {
			req := ix.fusionRequest(texts[i], vecs[i], method, []float32{1, s.w}, depth, retrievalLimit)
			req.Query.(*query.Fusion).K = s.k
			r, err := ix.run(ctx, req)
			if err != nil {
				return fmt.Errorf("tune %s: query %q: %w", method, texts[i], err)
			}
			out[i] = r
		}
		return nil
	}
	parts := halves(len(texts), seed)
	t := TunedFusion{Method: method}
	final := make([][]int32, len(texts))
	scratch := make([][]int32, len(texts))
	for f, tune := range parts {
		held := parts[1-f]
		best, bestNDCG := setting{}, -1.0
		var bestTune Metrics
		for _, s := range grid {
			if err := rank(s, tune, scratch); err != nil {
				return TunedFusion{}, nil, err
			}
			if m := meanMetrics(scratch, set.Queries, tune); m.NDCGAt10 > bestNDCG {
				best, bestNDCG, bestTune = s, m.NDCGAt10, m
			}
		}
		if err := rank(best, held, final); err != nil {
			return TunedFusion{}, nil, err
		}
		t.Folds[f] = TunedFold{DenseWeight: best.w, K: best.k, Tune: bestTune, HeldOut: meanMetrics(final, set.Queries, held)}
		if log != nil {
			fmt.Fprintf(log, "tuned %s on half %d: dense weight %g, k %d: NDCG@10 %.4f there, %.4f on the other half\n",
				method, f+1, best.w, best.k, bestTune.NDCGAt10, t.Folds[f].HeldOut.NDCGAt10)
		}
	}
	t.Quality = meanMetrics(final, set.Queries, nil)
	return t, final, nil
}

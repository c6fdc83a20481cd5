package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/recommend"
	"github.com/quiver-db/quiver/recommend/eval"
)

// dotModel is a model that scores by <UserVector(u), ItemVector(i)>.
type dotModel interface {
	recommend.Scorer
	UserVector(u int) []float32
	ItemVector(i int) []float32
}

// serveHNSW serves a dot-product model through an HNSW graph with the Dot
// metric over the catalogue's item vectors (of length dim): each user's
// vector is the query, the user's own train items are filtered out, and
// the graph's top list is scored exactly like the brute-force ranking.
func (r *recRun) serveHNSW(ctx context.Context, name string, m dotModel, dim int) (RecHNSW, error) {
	d := r.tst
	g, err := hnsw.New(dim, hnsw.Options{Metric: hnsw.Dot, Seed: int64(r.cfg.Seed)})
	if err != nil {
		return RecHNSW{}, fmt.Errorf("hnsw: %w", err)
	}
	start := time.Now()
	for i, ok := range d.catalogue {
		if ok {
			if err := g.InsertAt(uint32(i), m.ItemVector(i)); err != nil {
				return RecHNSW{}, fmt.Errorf("hnsw: insert item %d: %w", i, err)
			}
		}
	}
	build := time.Since(start)
	exact, err := d.evaluate(ctx, m, r.cfg.Workers)
	if err != nil {
		return RecHNSW{}, err
	}
	scratch := make([][]hnsw.Result, r.cfg.Workers)
	rank := func(w, u int, dst []int32) []int32 {
		opts := hnsw.SearchOptions{Ef: r.cfg.Ef, Filter: func(node uint32) bool { return !d.binary.Has(u, int(node)) }}
		res, err := g.SearchInto(ctx, scratch[w][:0], m.UserVector(u), eval.Depth, opts)
		scratch[w] = res
		if err != nil {
			return dst[:0] // ctx ended; Evaluate reports ctx.Err()
		}
		// Equal scores go to the smaller item, as in the exact ranking.
		for k := 1; k < len(res); k++ {
			for j := k; j > 0 && res[j].Score == res[j-1].Score && res[j].Node < res[j-1].Node; j-- {
				res[j], res[j-1] = res[j-1], res[j]
			}
		}
		dst = dst[:0]
		for _, x := range res {
			dst = append(dst, int32(x.Node))
		}
		return dst
	}
	qstart := time.Now()
	graph, err := eval.Evaluate(ctx, rank, d.test, d.catSize, r.cfg.Workers)
	if err != nil {
		return RecHNSW{}, err
	}
	qps := float64(len(d.test)) / time.Since(qstart).Seconds()
	r.logf("HNSW (Dot, ef=%d) over %d item vectors of %s: NDCG@10 %.4f vs exact %.4f (Δ %.4f), build %.2fs, %.0f users/s",
		r.cfg.Ef, g.Len(), name, graph.NDCGAt10, exact.NDCGAt10, graph.NDCGAt10-exact.NDCGAt10, build.Seconds(), qps)
	return RecHNSW{Model: name, Ef: r.cfg.Ef, Exact: exact, Graph: graph, BuildSeconds: build.Seconds(), QueriesPerSecond: qps}, nil
}

package query

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/bm25"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
	"github.com/quiver-db/quiver/userid"
)

// hybrid is a collection of texts with a BM25 vector and a dense one.
type hybrid struct {
	e *Engine
	c *index.Collection
}

func newHybrid(t *testing.T) *hybrid {
	t.Helper()
	ctx := context.Background()
	db, err := index.Open(ctx, t.TempDir(), index.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	c, err := db.Create(ctx, "docs", index.Config{
		Vectors:       map[string]index.VectorConfig{"dense": {Size: 2, Distance: index.Cosine}},
		SparseVectors: map[string]index.SparseVectorConfig{"bm25": {Modifier: index.ModifierIDF}},
	})
	require.NoError(t, err)
	e, err := New(Config{})
	require.NoError(t, err)
	points := []struct {
		text  string
		dense []float32
	}{
		{"quick brown fox", []float32{1, 0}},
		{"quick fox", []float32{0.9, 0.1}},
		{"lazy dog", []float32{0, 1}},
		{"brown dog", []float32{0.7, 0.7}},
		{"cats", []float32{1, 0.05}},
	}
	docs := make([]Document, len(points))
	for i, p := range points {
		docs[i] = Document{Text: p.text, Model: bm25.Model}
	}
	vecs, err := e.EncodeSparse(docs, func(int) string { return "doc" })
	require.NoError(t, err)
	pts := make([]index.Point, len(points))
	for i, p := range points {
		pts[i] = index.Point{
			ID: pointid.FromNum(uint64(i)), Payload: map[string]any{"i": i, "dog": i == 2 || i == 3},
			Vectors: map[string][]float32{"dense": p.dense}, Sparse: map[string]sparse.Vector{"bm25": vecs[i]},
		}
	}
	require.NoError(t, c.Upsert(ctx, pts))
	return &hybrid{e: e, c: c}
}

func (h *hybrid) run(t *testing.T, req Request) []index.ScoredPoint {
	t.Helper()
	res, err := h.e.Run(context.Background(), h.c, []Request{req})
	require.NoError(t, err)
	return res[0]
}

func idsOf(res []index.ScoredPoint) []uint64 {
	out := make([]uint64, len(res))
	for i, r := range res {
		out[i], _ = r.ID.Num()
	}
	return out
}

func bm25Doc(text string) *Nearest {
	return &Nearest{To: Input{Doc: &Document{Text: text, Model: bm25.Model}}}
}

func denseTo(v ...float32) *Nearest { return &Nearest{To: Input{Vector: v}} }

func TestPrefetchRRF(t *testing.T) {
	h := newHybrid(t)
	sparseReq := Request{Using: "bm25", Query: bm25Doc("quick fox")}
	denseReq := Request{Using: "dense", Query: denseTo(1, 0), Limit: 3}
	require.Equal(t, []uint64{1, 0}, idsOf(h.run(t, sparseReq)), "the shorter document first")
	require.Equal(t, []uint64{0, 4, 1}, idsOf(h.run(t, denseReq)))

	res := h.run(t, Request{
		Query: &Fusion{Method: RRF}, Prefetch: []Request{sparseReq, denseReq},
		ReadOptions: index.ReadOptions{WithPayload: true},
	})
	// k = 2: 0 is 1/3 + 1/2, 1 is 1/2 + 1/4, 4 is 1/3.
	assert.Equal(t, []uint64{0, 1, 4}, idsOf(res))
	assert.InDeltaSlice(t, []float64{1.0/3 + 1.0/2, 1.0/2 + 1.0/4, 1.0 / 3},
		[]float64{float64(res[0].Score), float64(res[1].Score), float64(res[2].Score)}, 1e-6)
	assert.Equal(t, "0", fmt.Sprint(res[0].Payload["i"]), "records carry what the outer request reads")

	// Offset, limit and threshold apply to the fused list.
	thr := float32(0.5)
	res = h.run(t, Request{Query: &Fusion{Method: RRF}, Prefetch: []Request{sparseReq, denseReq}, Offset: 1, Limit: 1})
	assert.Equal(t, []uint64{1}, idsOf(res))
	res = h.run(t, Request{Query: &Fusion{Method: RRF}, Prefetch: []Request{sparseReq, denseReq}, ScoreThreshold: &thr})
	assert.Equal(t, []uint64{0, 1}, idsOf(res))

	// The outer filter reaches the prefetches: only dogs.
	res = h.run(t, Request{Query: &Fusion{Method: DBSF}, Prefetch: []Request{sparseReq, denseReq},
		Filter: mustFilter(t, `{"must": [{"key": "dog", "match": {"value": true}}]}`)})
	assert.Equal(t, []uint64{3, 2}, idsOf(res), "no dog mentions a quick fox; the dense list has both dogs")
}

func TestPrefetchRescore(t *testing.T) {
	h := newHybrid(t)
	// Dense re-rank of the sparse candidates: only 0 and 1 share a term.
	res := h.run(t, Request{Using: "dense", Query: denseTo(0, 1), Prefetch: []Request{{Using: "bm25", Query: bm25Doc("quick fox")}}})
	require.Equal(t, []uint64{1, 0}, idsOf(res))
	want := 0.1 / math.Sqrt(0.82)
	assert.InDelta(t, want, res[0].Score, 1e-5, "the exact cosine")
	assert.InDelta(t, 0, res[1].Score, 1e-6)

	// Sparse re-rank of dense candidates.
	res = h.run(t, Request{Using: "bm25", Query: bm25Doc("dog"), Prefetch: []Request{{Using: "dense", Query: denseTo(0, 1), Limit: 2}}})
	assert.Equal(t, []uint64{2, 3}, idsOf(res))

	// Nested: a fusion of a re-ranked list and a plain one.
	res = h.run(t, Request{Query: &Fusion{Method: RRF}, Prefetch: []Request{
		{Using: "dense", Query: denseTo(0, 1), Prefetch: []Request{{Using: "bm25", Query: bm25Doc("quick fox")}}},
		{Using: "bm25", Query: bm25Doc("cats")},
	}})
	assert.Equal(t, []uint64{1, 4, 0}, idsOf(res))

	// Score-based recommendations rank only the prefetched points.
	res = h.run(t, Request{Using: "dense", Query: &Recommend{Positive: []Input{{Vector: []float32{0, 1}}}, Strategy: BestScore},
		Prefetch: []Request{{Using: "bm25", Query: bm25Doc("quick fox")}}})
	assert.Equal(t, []uint64{1, 0}, idsOf(res))

	// Without a query, one prefetch's list passes through.
	res = h.run(t, Request{Prefetch: []Request{{Using: "dense", Query: denseTo(1, 0), Limit: 2}}, ReadOptions: index.ReadOptions{WithPayload: true}})
	assert.Equal(t, []uint64{0, 4}, idsOf(res))
	assert.Equal(t, "4", fmt.Sprint(res[1].Payload["i"]))
}

func TestPrefetchBadRequests(t *testing.T) {
	h := newHybrid(t)
	deep := Request{Using: "dense", Query: denseTo(1, 0)}
	for range MaxPrefetchDepth + 1 {
		deep = Request{Using: "dense", Query: denseTo(1, 0), Prefetch: []Request{deep}}
	}
	many := make([]Request, 3)
	for i := range many {
		many[i] = Request{Using: "dense", Query: denseTo(1, 0), Limit: 4000}
	}
	pre := []Request{{Using: "dense", Query: denseTo(1, 0)}, {Using: "bm25", Query: bm25Doc("fox")}}
	for _, c := range []struct {
		name string
		req  Request
		want string
	}{
		{"fusion without prefetch", Request{Query: &Fusion{Method: RRF}}, "needs prefetch"},
		{"too deep", deep, "deeper than 8"},
		{"too many candidates", Request{Query: &Fusion{Method: RRF}, Prefetch: many}, "12000 candidates"},
		{"weights", Request{Query: &Fusion{Method: RRF, Weights: []float32{1}}, Prefetch: pre}, "1 weights for 2"},
		{"prefetch query", Request{Query: &Fusion{Method: RRF}, Prefetch: []Request{{Query: &Nearest{}}}}, "prefetch[0].query: want exactly one"},
		{"prefetch using", Request{Query: &Fusion{Method: RRF}, Prefetch: []Request{pre[0], {Using: "image", Query: denseTo(1, 0)}}}, `prefetch[1]: using "image"`},
		{"nested", Request{Query: &Fusion{Method: RRF}, Prefetch: []Request{{Using: "dense", Query: denseTo(1, 0), Prefetch: []Request{{Query: &Fusion{Method: "x"}}}}}}, "prefetch[0].prefetch[0].query.fusion"},
		{"offset", Request{Query: &Fusion{Method: RRF}, Prefetch: []Request{{Using: "dense", Query: denseTo(1, 0), Offset: 1}}}, "prefetch[0].offset"},
		{"no query, two prefetches", Request{Prefetch: pre}, "query: required"},
		{"for a user", Request{Query: &ForUser{User: mustUser(t, "u")}, Prefetch: pre}, "user"},
		{"mmr diversity", Request{Using: "dense", Query: &Nearest{To: Input{Vector: []float32{1, 0}}, MMR: &MMR{Diversity: 2}}}, "diversity 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.e.Run(context.Background(), h.c, []Request{c.req})
			require.ErrorIs(t, err, index.ErrBadRequest)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestMMR(t *testing.T) {
	h := newHybrid(t)
	near := func(d float32, limit int) []index.ScoredPoint {
		return h.run(t, Request{Using: "dense", Limit: limit, Query: &Nearest{To: Input{Vector: []float32{1, 0}}, MMR: &MMR{Diversity: d, CandidatesLimit: 5}}})
	}
	plain := h.run(t, Request{Using: "dense", Limit: 5, Query: denseTo(1, 0)})
	assert.Equal(t, idsOf(plain), idsOf(near(0, 5)), "no diversity is relevance order")
	// 0, 4 and 1 point almost the same way; with diversity the second pick
	// is the one least like 0.
	res := near(0.9, 3)
	assert.Equal(t, []uint64{0, 2, 3}, idsOf(res))
	assert.InDelta(t, 0, res[1].Score, 1e-6, "results keep their query scores")
	assert.Equal(t, []uint64{2}, idsOf(h.run(t, Request{Using: "dense", Offset: 1, Limit: 1,
		Query: &Nearest{To: Input{Vector: []float32{1, 0}}, MMR: &MMR{Diversity: 0.9, CandidatesLimit: 5}}})))

	// On a sparse vector, candidates are similar by their terms: after the
	// best match the most diverse is one of the other kind.
	sparseMMR := func(d float32) []uint64 {
		return idsOf(h.run(t, Request{Using: "bm25", Query: &Nearest{To: Input{Doc: &Document{Text: "fox dog", Model: bm25.Model}}, MMR: &MMR{Diversity: d}}}))
	}
	assert.Equal(t, idsOf(h.run(t, Request{Using: "bm25", Query: bm25Doc("fox dog")})), sparseMMR(0))
	got := sparseMMR(1)
	require.Len(t, got, 4)
	dog := func(id uint64) bool { return id == 2 || id == 3 }
	assert.NotEqual(t, dog(got[0]), dog(got[1]), "%v", got)

	// With prefetch, the candidates are the prefetched points.
	res = h.run(t, Request{Using: "dense", Query: &Nearest{To: Input{Vector: []float32{1, 0}}, MMR: &MMR{Diversity: 0.9}},
		Prefetch: []Request{{Using: "bm25", Query: bm25Doc("quick fox")}}})
	assert.Equal(t, []uint64{0, 1}, idsOf(res))
}

func mustUser(t *testing.T, s string) userid.ID {
	t.Helper()
	u, err := userid.Parse(s)
	require.NoError(t, err)
	return u
}

// TestPrefetchEuclid checks that lists of distances fuse and re-score with
// lower as better.
func TestPrefetchEuclid(t *testing.T) {
	r := testseed.New(t)
	f := newFixture(t, r, "e", 200, 8, index.Euclid)
	e, err := New(Config{})
	require.NoError(t, err)
	q := make([]float32, 8)
	for i := range q {
		q[i] = float32(r.NormFloat64())
	}
	run := func(req Request) []index.ScoredPoint {
		t.Helper()
		res, err := e.Run(context.Background(), f.c, []Request{req})
		require.NoError(t, err)
		return res[0]
	}
	plain := run(Request{Query: denseTo(q...), Limit: 20, Exact: true})
	fused := run(Request{Query: &Fusion{Method: DBSF}, Limit: 20, Prefetch: []Request{{Query: denseTo(q...), Limit: 20, Exact: true}}})
	assert.Equal(t, idsOf(plain), idsOf(fused), "the nearest scores highest")
	for i := 1; i < len(plain); i++ {
		assert.LessOrEqual(t, plain[i-1].Score, plain[i].Score)
	}

	// Re-scoring the 50 nearest to the negated query by q: the union's
	// nearest to q, distances ascending.
	neg := make([]float32, len(q))
	for i := range q {
		neg[i] = -q[i]
	}
	far := run(Request{Query: denseTo(neg...), Limit: 50, Exact: true})
	res := run(Request{Query: denseTo(q...), Limit: 5, Prefetch: []Request{{Query: denseTo(neg...), Limit: 50, Exact: true}}})
	require.Len(t, res, 5)
	inFar := map[pointid.ID]bool{}
	for _, p := range far {
		inFar[p.ID] = true
	}
	for i, p := range res {
		assert.True(t, inFar[p.ID])
		assert.InDelta(t, math.Sqrt(sqDist(q, f.vecs[p.ID])), p.Score, 1e-4)
		if i > 0 {
			assert.LessOrEqual(t, res[i-1].Score, p.Score)
		}
	}

	mmr := run(Request{Query: &Nearest{To: Input{Vector: q}, MMR: &MMR{CandidatesLimit: 20}}, Limit: 20, Exact: true})
	assert.Equal(t, idsOf(plain), idsOf(mmr), "no diversity is the nearest order")
}

func sqDist(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

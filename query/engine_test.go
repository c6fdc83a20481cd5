package query

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
)

// fixture is a real collection of random points on a temporary Pebble.
type fixture struct {
	db   *index.DB
	c    *index.Collection
	vecs map[pointid.ID][]float32
}

func newFixture(t testing.TB, r *rand.Rand, name string, n, dim int, m index.Metric) *fixture {
	t.Helper()
	db, err := index.Open(context.Background(), t.TempDir(), index.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return addCollection(t, r, db, name, n, dim, m)
}

func addCollection(t testing.TB, r *rand.Rand, db *index.DB, name string, n, dim int, m index.Metric) *fixture {
	t.Helper()
	c, err := db.Create(context.Background(), name, index.Config{VectorSize: dim, Distance: m, Model: "fake"})
	require.NoError(t, err)
	f := &fixture{db: db, c: c, vecs: map[pointid.ID][]float32{}}
	pts := make([]index.Point, n)
	for i := range pts {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		pts[i] = index.Point{ID: pointid.FromNum(uint64(i)), Vector: v, Payload: map[string]any{"even": i%2 == 0}}
		f.vecs[pts[i].ID] = v
	}
	require.NoError(t, c.Upsert(context.Background(), pts))
	return f
}

// fakeEmbedder maps a text to a vector made from its bytes and counts the
// calls, so tests can see documents batched.
type fakeEmbedder struct {
	dim   int
	mu    sync.Mutex
	calls [][]string
}

func (e *fakeEmbedder) Dim() int { return e.dim }

func (e *fakeEmbedder) Encode(_ context.Context, texts []string) ([][]float32, error) {
	e.mu.Lock()
	e.calls = append(e.calls, texts)
	e.mu.Unlock()
	out := make([][]float32, len(texts))
	for i, s := range texts {
		v := make([]float32, e.dim)
		for j := range v {
			v[j] = float32(s[j%len(s)]) + float32(j)
		}
		out[i] = v
	}
	return out, nil
}

// similarity64 is an independent float64 reference of each metric's
// similarity (higher is closer).
func similarity64(m index.Metric, a, b []float32) float64 {
	norm := func(v []float32) []float64 {
		out := make([]float64, len(v))
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		for i, x := range v {
			out[i] = float64(x)
			if m == index.Cosine {
				out[i] /= math.Sqrt(s)
			}
		}
		return out
	}
	x, y := norm(a), norm(b)
	var s float64
	for i := range x {
		if m == index.Euclid {
			s += (x[i] - y[i]) * (x[i] - y[i])
		} else {
			s += x[i] * y[i]
		}
	}
	if m == index.Euclid {
		return -math.Sqrt(s)
	}
	return s
}

// bruteRecommend ranks every point but the examples by Qdrant's formula.
func bruteRecommend(f *fixture, m index.Metric, strategy Strategy, pos, neg []pointid.ID, keep func(pointid.ID) bool) []pointid.ID {
	type scored struct {
		id pointid.ID
		s  float64
	}
	skip := map[pointid.ID]bool{}
	for _, id := range append(append([]pointid.ID{}, pos...), neg...) {
		skip[id] = true
	}
	var all []scored
	for id, v := range f.vecs {
		if skip[id] || !keep(id) {
			continue
		}
		var s float64
		if strategy == SumScores {
			for _, p := range pos {
				s += similarity64(m, f.vecs[p], v)
			}
			for _, n := range neg {
				s -= similarity64(m, f.vecs[n], v)
			}
		} else {
			bp, bn := math.Inf(-1), math.Inf(-1)
			for _, p := range pos {
				bp = max(bp, similarity64(m, f.vecs[p], v))
			}
			for _, n := range neg {
				bn = max(bn, similarity64(m, f.vecs[n], v))
			}
			s = bp
			if bp <= bn {
				s = -bn * bn
			}
		}
		all = append(all, scored{id, s})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s > all[j].s })
	out := make([]pointid.ID, len(all))
	for i, x := range all {
		out[i] = x.id
	}
	return out
}

func ids(res []index.ScoredPoint) []pointid.ID {
	out := make([]pointid.ID, len(res))
	for i, r := range res {
		out[i] = r.ID
	}
	return out
}

func idInput(n uint64) Input { id := pointid.FromNum(n); return Input{ID: &id} }

func TestRecommendByScoreMatchesBruteForce(t *testing.T) {
	r := testseed.New(t)
	for _, m := range []index.Metric{index.Cosine, index.Dot, index.Euclid} {
		f := newFixture(t, r, "c", 300, 8, m)
		e, err := New(Config{})
		require.NoError(t, err)
		for _, strategy := range []Strategy{BestScore, SumScores} {
			pos := []pointid.ID{pointid.FromNum(1), pointid.FromNum(2)}
			neg := []pointid.ID{pointid.FromNum(3)}
			res, err := e.Run(context.Background(), f.c, []Request{{
				Query: &Recommend{Positive: []Input{idInput(1), idInput(2)}, Negative: []Input{idInput(3)}, Strategy: strategy},
				Limit: 10,
			}})
			require.NoError(t, err)
			want := bruteRecommend(f, m, strategy, pos, neg, func(pointid.ID) bool { return true })[:10]
			require.Equal(t, want, ids(res[0]), "%s %s", m, strategy)
			for i := 1; i < len(res[0]); i++ {
				require.GreaterOrEqual(t, res[0][i-1].Score, res[0][i].Score)
			}
		}
	}
}

func TestRecommendCandidatesFromNeighbours(t *testing.T) {
	r := testseed.New(t)
	f := newFixture(t, r, "c", 2000, 8, index.Cosine)
	e, err := New(Config{RecommendScanMax: 100})
	require.NoError(t, err)
	q := &Recommend{Positive: []Input{idInput(10)}, Negative: []Input{idInput(11)}, Strategy: BestScore}
	res, err := e.Run(context.Background(), f.c, []Request{{Query: q, Limit: 5}})
	require.NoError(t, err)
	// With one positive the best-scoring candidates are its nearest
	// neighbours, which the candidate search finds.
	want := bruteRecommend(f, index.Cosine, BestScore, []pointid.ID{pointid.FromNum(10)}, []pointid.ID{pointid.FromNum(11)}, func(pointid.ID) bool { return true })
	require.Subset(t, want[:8], ids(res[0]))
	// Exact scans every point, but only up to five times the scan bound.
	_, err = e.Run(context.Background(), f.c, []Request{{Query: q, Exact: true}})
	require.ErrorIs(t, err, index.ErrBadRequest)
	require.Contains(t, err.Error(), "up to 500 points")
}

func TestRecommendWithFilterAndThreshold(t *testing.T) {
	r := testseed.New(t)
	f := newFixture(t, r, "c", 200, 8, index.Dot)
	e, err := New(Config{})
	require.NoError(t, err)
	flt := mustFilter(t, `{"must":[{"key":"even","match":{"value":true}}]}`)
	threshold := float32(0)
	res, err := e.Run(context.Background(), f.c, []Request{{
		Query:  &Recommend{Positive: []Input{idInput(4)}, Strategy: SumScores},
		Filter: flt, Limit: 50, ScoreThreshold: &threshold, ReadOptions: index.ReadOptions{WithPayload: true},
	}})
	require.NoError(t, err)
	want := bruteRecommend(f, index.Dot, SumScores, []pointid.ID{pointid.FromNum(4)}, nil, func(id pointid.ID) bool {
		n, _ := id.Num()
		return n%2 == 0 && similarity64(index.Dot, f.vecs[pointid.FromNum(4)], f.vecs[id]) >= 0
	})
	require.Equal(t, want[:min(50, len(want))], ids(res[0]))
	for _, p := range res[0] {
		require.Equal(t, true, p.Payload["even"])
		require.GreaterOrEqual(t, p.Score, float32(0))
	}
}

func TestAverageVectorIsNearestToTheCombination(t *testing.T) {
	r := testseed.New(t)
	f := newFixture(t, r, "c", 300, 8, index.Cosine)
	e, err := New(Config{})
	require.NoError(t, err)
	res, err := e.Run(context.Background(), f.c, []Request{{
		Query: &Recommend{Positive: []Input{idInput(1), idInput(2)}, Negative: []Input{idInput(3)}}, Limit: 5, Exact: true,
	}})
	require.NoError(t, err)
	unit := func(v []float32) []float64 {
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x) / math.Sqrt(s)
		}
		return out
	}
	a, b, c := unit(f.vecs[pointid.FromNum(1)]), unit(f.vecs[pointid.FromNum(2)]), unit(f.vecs[pointid.FromNum(3)])
	q := make([]float32, 8)
	for i := range q {
		q[i] = float32(a[i] + b[i] - c[i]) // 2·avg(pos) − avg(neg)
	}
	direct, err := e.Run(context.Background(), f.c, []Request{{Query: &Nearest{To: Input{Vector: q}}, Limit: 8, Exact: true}})
	require.NoError(t, err)
	var want []pointid.ID
	for _, id := range ids(direct[0]) {
		if n, _ := id.Num(); n > 3 || n == 0 {
			want = append(want, id)
		}
	}
	require.Equal(t, want[:5], ids(res[0]))
}

func TestNearestByIDExcludesItselfButNotFromLookup(t *testing.T) {
	r := testseed.New(t)
	f := newFixture(t, r, "a", 100, 4, index.Cosine)
	other := addCollection(t, r, f.db, "b", 100, 4, index.Cosine)
	e, err := New(Config{Lookup: func(name string) (Collection, error) {
		c, err := f.db.Collection(name)
		if err != nil {
			return nil, err
		}
		return c, nil
	}})
	require.NoError(t, err)
	res, err := e.Run(context.Background(), f.c, []Request{
		{Query: &Nearest{To: idInput(5)}, Limit: 3, Exact: true},
		{Query: &Nearest{To: idInput(5)}, Limit: 3, Exact: true, LookupFrom: "b"},
	})
	require.NoError(t, err)
	require.NotContains(t, ids(res[0]), pointid.FromNum(5))
	want, err := f.c.Search(context.Background(), index.SearchRequest{Vector: other.vecs[pointid.FromNum(5)], Limit: 3, Exact: true})
	require.NoError(t, err)
	require.Equal(t, ids(want), ids(res[1]))
	_, err = e.Run(context.Background(), f.c, []Request{{Query: &Nearest{To: idInput(1000)}}})
	require.ErrorIs(t, err, index.ErrNotFound)
	_, err = e.Run(context.Background(), f.c, []Request{{Query: &Nearest{To: idInput(1)}, LookupFrom: "nope"}})
	require.ErrorIs(t, err, index.ErrNotFound)
	require.Contains(t, err.Error(), "lookup_from")
}

func TestDocumentsEncodedInOneBatchPerModel(t *testing.T) {
	r := testseed.New(t)
	f := newFixture(t, r, "c", 50, 4, index.Cosine)
	fake, other := &fakeEmbedder{dim: 4}, &fakeEmbedder{dim: 4}
	e, err := New(Config{Models: map[string]Embedder{"fake": fake, "other": other}, MaxTexts: 3})
	require.NoError(t, err)
	doc := func(text, model string) Input { return Input{Doc: &Document{Text: text, Model: model}} }
	reqs := []Request{
		{Query: &Nearest{To: doc("one", "")}},
		{Query: &Recommend{Positive: []Input{doc("two", "fake"), doc("three", "other")}}},
	}
	_, err = e.Run(context.Background(), f.c, reqs)
	require.NoError(t, err)
	require.Equal(t, [][]string{{"one", "two"}}, fake.calls)
	require.Equal(t, [][]string{{"three"}}, other.calls)
	require.Nil(t, reqs[0].Query.(*Nearest).To.Vector, "the caller's request is left as it was")

	_, err = e.Run(context.Background(), f.c, []Request{{Query: &Nearest{To: doc("x", "missing")}}})
	require.ErrorIs(t, err, ErrNoModel)
	require.Contains(t, err.Error(), "fake, other")
	_, err = e.Run(context.Background(), f.c, []Request{{Query: &Nearest{To: doc("  ", "")}}})
	require.ErrorIs(t, err, index.ErrBadRequest)
	many := &Recommend{}
	for range 4 {
		many.Positive = append(many.Positive, doc("t", ""))
	}
	_, err = e.Run(context.Background(), f.c, []Request{{Query: many}})
	require.ErrorContains(t, err, "more than 3 text documents")

	vecs, err := e.Encode(context.Background(), f.c, []Document{{Text: "a"}, {Text: "b", Model: "other"}}, func(i int) string { return "doc" })
	require.NoError(t, err)
	require.Len(t, vecs, 2)
}

func TestCheck(t *testing.T) {
	e, err := New(Config{MaxLimit: 100})
	require.NoError(t, err)
	for _, tc := range []struct {
		req  Request
		want string
	}{
		{Request{Limit: 90, Offset: 20}, "limit+offset ≤ 100"},
		{Request{Offset: -1}, "offset ≥ 0"},
		{Request{Ef: -1}, "hnsw_ef"},
		{Request{LookupFrom: "x"}, "lookup_from"},
		{Request{Query: &Recommend{Strategy: "nope", Positive: []Input{idInput(1)}}}, `strategy "nope"`},
		{Request{Query: &Recommend{Negative: []Input{idInput(1)}}}, "average_vector needs at least one positive"},
		{Request{Query: &Recommend{Strategy: BestScore}}, "at least one positive or negative"},
		{Request{Query: &Nearest{}}, "exactly one of"},
	} {
		err := e.Check(&tc.req)
		require.ErrorIs(t, err, index.ErrBadRequest, tc.want)
		require.True(t, strings.Contains(err.Error(), tc.want), "%v: want %q", err, tc.want)
	}
	require.NoError(t, e.Check(&Request{Query: &Recommend{Negative: []Input{idInput(1)}, Strategy: SumScores}}))
	_, err = New(Config{MaxLimit: -1})
	require.Error(t, err)
	require.False(t, errors.Is(e.Check(&Request{}), index.ErrBadRequest))
}

func TestListingAndOffset(t *testing.T) {
	r := testseed.New(t)
	f := newFixture(t, r, "c", 30, 4, index.Dot)
	e, err := New(Config{})
	require.NoError(t, err)
	res, err := e.Run(context.Background(), f.c, []Request{{Limit: 3, Offset: 2}, {Query: &Nearest{To: idInput(0)}, Limit: 3, Offset: 2, Exact: true}})
	require.NoError(t, err)
	require.Equal(t, []pointid.ID{pointid.FromNum(2), pointid.FromNum(3), pointid.FromNum(4)}, ids(res[0]))
	all, err := e.Run(context.Background(), f.c, []Request{{Query: &Nearest{To: idInput(0)}, Limit: 5, Exact: true}})
	require.NoError(t, err)
	require.Equal(t, ids(all[0])[2:5], ids(res[1]))
}

func TestCheckLimitOffsetOverflow(t *testing.T) {
	e, err := New(Config{MaxLimit: 100})
	require.NoError(t, err)
	require.ErrorIs(t, e.Check(&Request{Limit: math.MaxInt, Offset: math.MaxInt}), index.ErrBadRequest)
	require.ErrorIs(t, e.Check(&Request{Limit: 1, Offset: math.MaxInt}), index.ErrBadRequest)
}

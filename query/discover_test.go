package query

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
)

// bruteDiscover scores every point but the examples by Qdrant's formulas
// in float64 (target nil: a context query) and returns the scores, best
// first.
func bruteDiscover(f *fixture, m index.Metric, target []float32, pos, neg [][]float32, skip map[pointid.ID]bool) []float64 {
	sig := func(x float64) float64 { return x / (1 + math.Abs(x)) }
	var out []float64
	for id, v := range f.vecs {
		if skip[id] {
			continue
		}
		s := 0.0
		for i := range pos {
			d := similarity64(m, pos[i], v) - similarity64(m, neg[i], v)
			if target == nil {
				s += sig(min(d-contextEpsilon, 0))
			} else if d > 0 {
				s++
			} else if d < 0 {
				s--
			}
		}
		if target != nil {
			s += 0.5 * (sig(similarity64(m, target, v)) + 1)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

func TestDiscoverAndContextMatchBruteForce(t *testing.T) {
	r := testseed.New(t)
	for _, m := range []index.Metric{index.Cosine, index.Dot, index.Euclid} {
		f := newFixture(t, r, "c", 300, 6, m)
		e, err := New(Config{})
		require.NoError(t, err)
		vec := func(n uint64) []float32 { return f.vecs[pointid.FromNum(n)] }
		pairs := []ContextPair{{Positive: idInput(1), Negative: idInput(2)}, {Positive: Input{Vector: vec(3)}, Negative: idInput(4)}}
		pos, neg := [][]float32{vec(1), vec(3)}, [][]float32{vec(2), vec(4)}
		skip := map[pointid.ID]bool{pointid.FromNum(1): true, pointid.FromNum(2): true, pointid.FromNum(4): true, pointid.FromNum(5): true}
		for _, q := range []Query{&Discover{Target: idInput(5), Context: pairs}, &Context{Pairs: pairs}} {
			res, err := e.Run(context.Background(), f.c, []Request{{Query: q, Limit: 20}})
			require.NoError(t, err)
			var target []float32
			if _, ok := q.(*Discover); ok {
				target = vec(5)
			} else {
				delete(skip, pointid.FromNum(5))
			}
			want := bruteDiscover(f, m, target, pos, neg, skip)[:20]
			require.Len(t, res[0], 20)
			for i, p := range res[0] {
				// Scores, not ids: context scores tie at 0 inside the zone.
				require.InDelta(t, want[i], p.Score, 1e-4, "%s %T rank %d", m, q, i)
				require.False(t, skip[p.ID], "examples are left out")
			}
		}
	}
}

func TestDiscoverCandidatesAndBadInput(t *testing.T) {
	r := testseed.New(t)
	f := newFixture(t, r, "c", 1200, 6, index.Cosine)
	e, err := New(Config{RecommendScanMax: 100})
	require.NoError(t, err)
	ctx := context.Background()
	// A large collection: candidates are the target's neighbours, so the
	// best discovered points are ones of the best rank brute force finds.
	q := &Discover{Target: idInput(9), Context: []ContextPair{{Positive: idInput(10), Negative: idInput(11)}}}
	res, err := e.Run(ctx, f.c, []Request{{Query: q, Limit: 5, Filter: mustFilter(t, `{"must":[{"key":"even","match":{"value":true}}]}`)}})
	require.NoError(t, err)
	require.Len(t, res[0], 5)
	for _, p := range res[0] {
		n, _ := p.ID.Num()
		require.Zero(t, n%2, "the filter holds")
	}
	_, err = e.Run(ctx, f.c, []Request{{Query: q, Exact: true}})
	require.ErrorContains(t, err, "discover scores every point only in collections of up to 500 points")

	for _, c := range []struct {
		q    Query
		want string
	}{
		{&Context{}, "context: want at least one pair"},
		{&Discover{}, "discover.target"},
		{&Discover{Target: idInput(1), Context: []ContextPair{{Positive: idInput(2)}}}, "discover.context[0].negative"},
		{&Context{Pairs: make([]ContextPair, MaxContextPairs+1)}, "context: 257 pairs"},
		{&Context{Pairs: []ContextPair{{Positive: Input{Vector: []float32{1}}, Negative: idInput(2)}}}, "context: example of size 1"},
	} {
		_, err := e.Run(ctx, f.c, []Request{{Query: c.q}})
		require.ErrorIs(t, err, index.ErrBadRequest)
		require.ErrorContains(t, err, c.want)
	}
}

func TestOrderByQuery(t *testing.T) {
	r := testseed.New(t)
	f, e := groupFixture(t, r, 100, func(i int) map[string]any {
		return map[string]any{"year": 2000 + (i*37)%100}
	}, Config{})
	ctx := context.Background()
	_, err := e.Run(ctx, f.c, []Request{{Query: &OrderBy{Key: "year"}}})
	require.ErrorIs(t, err, index.ErrBadRequest)
	require.ErrorContains(t, err, `order_by.key "year"`)
	require.NoError(t, f.c.CreatePayloadIndex(ctx, "year", index.Integer))
	start := 2050.0
	res, err := e.Run(ctx, f.c, []Request{{Query: &OrderBy{Key: "year", Desc: true, StartFrom: &start}, Limit: 5, Offset: 2}})
	require.NoError(t, err)
	var years []any
	for _, p := range res[0] {
		years = append(years, p.OrderValue)
	}
	require.Equal(t, []any{int64(2048), int64(2047), int64(2046), int64(2045), int64(2044)}, years)
	_, err = e.Run(ctx, f.c, []Request{{Query: &OrderBy{}}})
	require.ErrorContains(t, err, "order_by.key: required")
}

package query

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
)

// groupFixture is a collection of n random points whose "g" payload is
// what payloadOf(i) returns, and an engine that looks collections up in
// the same DB.
func groupFixture(t testing.TB, r *rand.Rand, n int, payloadOf func(i int) map[string]any, cfg Config) (*fixture, *Engine) {
	t.Helper()
	f := newFixture(t, r, "c", 0, 8, index.Cosine)
	pts := make([]index.Point, n)
	for i := range pts {
		v := make([]float32, 8)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		pts[i] = index.Point{ID: pointid.FromNum(uint64(i)), Vector: v, Payload: payloadOf(i)}
		f.vecs[pts[i].ID] = v
	}
	require.NoError(t, f.c.Upsert(context.Background(), pts))
	cfg.Lookup = func(name string) (Collection, error) { return f.db.Collection(name) }
	e, err := New(cfg)
	require.NoError(t, err)
	return f, e
}

// bruteGroups ranks every point exactly (an exact search for all of
// them) and groups the first `among` of the ranking by their "g" values.
func bruteGroups(t *testing.T, f *fixture, q []float32, limit, size, among int) [][]pointid.ID {
	t.Helper()
	all, err := f.c.Search(context.Background(), index.SearchRequest{Vector: q, Limit: len(f.vecs), Exact: true, ReadOptions: index.ReadOptions{WithPayload: true}})
	require.NoError(t, err)
	var order []GroupID
	members := map[GroupID][]pointid.ID{}
	for _, p := range all[:min(among, len(all))] {
		for _, g := range groupIDs(p.Payload, "g") {
			if _, ok := members[g]; !ok {
				order = append(order, g)
			}
			if len(members[g]) < size {
				members[g] = append(members[g], p.ID)
			}
		}
	}
	out := [][]pointid.ID{}
	for _, g := range order[:min(limit, len(order))] {
		out = append(out, members[g])
	}
	return out
}

func groupIDsOf(groups []Group) [][]pointid.ID {
	out := [][]pointid.ID{}
	for _, g := range groups {
		out = append(out, ids(g.Hits))
	}
	return out
}

func TestGroupsMatchBruteForce(t *testing.T) {
	r := testseed.New(t)
	// Seven groups, some points in two (an array), some in none.
	f, e := groupFixture(t, r, 500, func(i int) map[string]any {
		switch i % 10 {
		case 0:
			return map[string]any{"other": 1}
		case 1:
			return map[string]any{"g": []any{json.Number("100"), "x"}}
		}
		return map[string]any{"g": json.Number(string(rune('0' + i%7)))}
	}, Config{})
	ctx := context.Background()
	for trial := range 20 {
		q := f.vecs[pointid.FromNum(uint64(r.IntN(500)))]
		limit, size := 1+r.IntN(6), 1+r.IntN(5)
		got, err := e.RunGroups(ctx, f.c, GroupRequest{
			Request: Request{Query: &Nearest{To: Input{Vector: q}}, Limit: limit, Exact: true, ReadOptions: index.ReadOptions{WithPayload: true}},
			GroupBy: "g", GroupSize: size,
		})
		require.NoError(t, err)
		require.Equal(t, bruteGroups(t, f, q, limit, size, 500), groupIDsOf(got), "trial %d: limit %d size %d", trial, limit, size)
		for _, g := range got {
			for i, h := range g.Hits {
				require.Contains(t, groupIDs(h.Payload, "g"), g.ID, "hits carry the payload asked for")
				if i > 0 {
					require.GreaterOrEqual(t, g.Hits[i-1].Score, h.Score)
				}
			}
		}
	}
}

func TestGroupsSparseStopAtTheCap(t *testing.T) {
	r := testseed.New(t)
	// Every point its own group but pairs: groups cannot fill.
	f, e := groupFixture(t, r, 400, func(i int) map[string]any {
		return map[string]any{"g": "p" + string(rune('a'+i%26)) + string(rune('a'+i/26/2))}
	}, Config{GroupCandidatesMax: 40})
	q := f.vecs[pointid.FromNum(7)]
	got, err := e.RunGroups(context.Background(), f.c, GroupRequest{
		Request: Request{Query: &Nearest{To: Input{Vector: q}}, Limit: 3, Exact: true},
		GroupBy: "g", GroupSize: 5,
	})
	require.NoError(t, err)
	// The widening stopped at 40 candidates: the answer is the grouping of
	// the best 40, groups short of 5 hits.
	require.Equal(t, bruteGroups(t, f, q, 3, 5, 40), groupIDsOf(got))
	for _, g := range got {
		require.Less(t, len(g.Hits), 5)
		require.Nil(t, g.Hits[0].Payload, "no payload asked for")
	}
}

func TestGroupsLookupAndOtherQueries(t *testing.T) {
	r := testseed.New(t)
	f, e := groupFixture(t, r, 200, func(i int) map[string]any {
		return map[string]any{"g": json.Number(string(rune('0' + i%4)))}
	}, Config{})
	ctx := context.Background()
	authors, err := f.db.Create(ctx, "authors", index.Config{VectorSize: 2, Distance: index.Dot})
	require.NoError(t, err)
	require.NoError(t, authors.Upsert(ctx, []index.Point{
		{ID: pointid.FromNum(1), Vector: []float32{1, 0}, Payload: map[string]any{"name": "one"}},
		{ID: pointid.FromNum(2), Vector: []float32{0, 1}, Payload: map[string]any{"name": "two"}},
	}))
	got, err := e.RunGroups(ctx, f.c, GroupRequest{
		Request: Request{Query: &Recommend{Positive: []Input{idInput(3)}, Strategy: BestScore}, Limit: 4},
		GroupBy: "g", GroupSize: 2,
		WithLookup: &GroupLookup{Collection: "authors", ReadOptions: index.ReadOptions{WithPayload: true}},
	})
	require.NoError(t, err)
	require.Len(t, got, 4)
	names := map[int64]any{}
	for _, g := range got {
		require.True(t, g.ID.IsInt)
		require.Len(t, g.Hits, 2)
		if g.Lookup != nil {
			names[g.ID.Int] = g.Lookup.Payload["name"]
		}
		for _, h := range g.Hits {
			require.NotEqual(t, pointid.FromNum(3), h.ID, "the example is left out")
		}
	}
	require.Equal(t, map[int64]any{1: "one", 2: "two"}, names)

	_, err = e.RunGroups(ctx, f.c, GroupRequest{Request: Request{Query: &Nearest{To: Input{Vector: f.vecs[pointid.FromNum(0)]}}}, GroupBy: "g",
		WithLookup: &GroupLookup{Collection: "nope"}})
	require.ErrorIs(t, err, index.ErrNotFound)
}

func TestGroupsBadInput(t *testing.T) {
	r := testseed.New(t)
	f, e := groupFixture(t, r, 10, func(int) map[string]any { return nil }, Config{MaxLimit: 100})
	q := &Nearest{To: Input{Vector: []float32{1, 0, 0, 0, 0, 0, 0, 0}}}
	for _, c := range []struct {
		req  GroupRequest
		want string
	}{
		{GroupRequest{Request: Request{Query: q}}, "group_by"},
		{GroupRequest{Request: Request{Query: q}, GroupBy: "g", GroupSize: -1}, "group_size -1"},
		{GroupRequest{Request: Request{Query: q, Offset: 2}, GroupBy: "g"}, "offset"},
		{GroupRequest{Request: Request{Query: q, Limit: 20}, GroupBy: "g", GroupSize: 6}, "limit 20 × group_size 6"},
		{GroupRequest{Request: Request{Query: q, Limit: 200}, GroupBy: "g"}, "limit 200"},
		{GroupRequest{Request: Request{Query: q}, GroupBy: "g", WithLookup: &GroupLookup{}}, "with_lookup.collection"},
	} {
		_, err := e.RunGroups(context.Background(), f.c, c.req)
		require.ErrorIs(t, err, index.ErrBadRequest)
		require.ErrorContains(t, err, c.want)
	}
	// A collection where no point has the key has no groups.
	got, err := e.RunGroups(context.Background(), f.c, GroupRequest{Request: Request{Query: q}, GroupBy: "g"})
	require.NoError(t, err)
	require.Empty(t, got)
}

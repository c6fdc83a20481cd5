package shard

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/query"
	"github.com/quiver-db/quiver/sparse"
)

// The query engine over a Router answers as over one collection:
// recommendations rank every shard's points with the engine's score, and
// fusion fuses the gathered lists.
func TestEngineOverRouterEqualsOneCollection(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	pts := namedPoints(r, 260)
	f := newFixture(t, namedConfig, pts, 3)
	rankPage = 17 // the remote shards page their candidates
	t.Cleanup(func() { rankPage = 1024 })
	e, err := query.New(query.Config{})
	require.NoError(t, err)
	id := func(i int) query.Input { return query.Input{ID: &pts[i].ID} }
	vec := func() query.Input { return query.Input{Vector: randVector(r, 8)} }
	threshold := float32(0.1)
	tagA := mustFilter(t, `{"must":[{"key":"tag","match":{"value":"a"}}]}`)
	reqs := []query.Request{
		{Query: &query.Nearest{To: vec()}, Using: "a", Exact: true, Limit: 8, Offset: 2, ReadOptions: all},
		{Query: &query.Nearest{To: id(5)}, Using: "a", Exact: true, Limit: 6, ScoreThreshold: &threshold, Filter: tagA},
		{Query: &query.Recommend{Positive: []query.Input{id(1), id(2)}, Negative: []query.Input{id(3)}, Strategy: query.BestScore}, Using: "a", Limit: 10, ReadOptions: all},
		{Query: &query.Recommend{Positive: []query.Input{id(7), vec()}, Negative: []query.Input{id(9)}, Strategy: query.SumScores}, Using: "a", Limit: 5, Offset: 3, Filter: tagA},
		{Query: &query.Recommend{Positive: []query.Input{id(10)}, Strategy: query.AverageVector}, Using: "a", Exact: true, Limit: 7},
		{Query: &query.Discover{Target: id(11), Context: []query.ContextPair{{Positive: id(12), Negative: id(13)}}}, Using: "a", Limit: 9},
		{Query: &query.Context{Pairs: []query.ContextPair{{Positive: id(14), Negative: id(15)}}}, Using: "a", Limit: 9},
		{Query: &query.Fusion{Method: query.RRF}, Limit: 10, ReadOptions: all, Prefetch: []query.Request{
			{Query: &query.Nearest{To: vec()}, Using: "a", Exact: true, Limit: 30},
			{Query: &query.Nearest{To: query.Input{Sparse: &sparse.Vector{Indices: []uint32{2, 9, 30}, Values: []float32{1, 0.5, 2}}}}, Using: "s", Limit: 30},
		}},
		{Query: &query.Fusion{Method: query.DBSF}, Limit: 10, Prefetch: []query.Request{
			{Query: &query.Nearest{To: query.Input{Vector: randVector(r, 4)}}, Using: "b", Exact: true, Limit: 25},
			{Query: &query.Nearest{To: vec()}, Using: "a", Exact: true, Limit: 25},
		}},
		{Query: &query.Recommend{Positive: []query.Input{id(16)}, Strategy: query.BestScore}, Using: "a", Limit: 4, Prefetch: []query.Request{
			{Query: &query.Nearest{To: vec()}, Using: "a", Exact: true, Limit: 40},
		}},
		{Query: &query.OrderBy{Key: "rank", Desc: true}, Limit: 12, Filter: tagA},
		{Filter: tagA, Using: "a", Limit: 5, Offset: 4},
	}
	want, err := e.Run(ctx, f.whole, reqs)
	require.NoError(t, err)
	for name, rt := range f.readers() {
		got, err := e.Run(ctx, rt, reqs)
		require.NoError(t, err, name)
		for i := range reqs {
			require.NotEmpty(t, want[i], "query %d answers something", i)
			equalUpToTies(t, want[i], got[i], "%s: query %d", name, i)
		}
	}
	// An id the collection lacks is the index's not-found.
	missing := pointid.FromNum(987654321)
	_, err = e.Run(ctx, f.remote, []query.Request{{Query: &query.Nearest{To: query.Input{ID: &missing}}, Using: "a"}})
	require.ErrorIs(t, err, index.ErrNotFound)
}

// equalUpToTies requires the same scores in the same order and, where a
// score is one point's alone, the same point: among points of equal score
// one collection answers in its node order, a Router by id.
func equalUpToTies(t *testing.T, want, got []index.ScoredPoint, msg ...any) {
	t.Helper()
	require.Equal(t, len(want), len(got), msg...)
	n := map[float32]int{}
	for _, p := range want {
		n[p.Score]++
	}
	for i := range want {
		require.Equal(t, want[i].Score, got[i].Score, msg...)
		if n[want[i].Score] == 1 {
			require.Equal(t, want[i], got[i], msg...)
		}
	}
}

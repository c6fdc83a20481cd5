package shard

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

func mustFilter(t *testing.T, js string) *filter.Filter {
	t.Helper()
	f, err := filter.Parse([]byte(js))
	require.NoError(t, err)
	return f
}

var all = index.ReadOptions{WithPayload: true, WithVector: true}

func TestRouterSearchEqualsOneCollection(t *testing.T) {
	ctx := context.Background()
	for _, m := range []index.Metric{index.Cosine, index.Dot, index.Euclid} {
		t.Run(string(m), func(t *testing.T) {
			r := testseed.New(t)
			f := newFixture(t, index.Config{VectorSize: 6, Distance: m}, densePoints(r, 300, 6), 3)
			tagB := mustFilter(t, `{"must":[{"key":"tag","match":{"value":"b"}}]}`)
			for name, rt := range f.readers() {
				for _, req := range []index.SearchRequest{
					{Vector: randVector(r, 6), Limit: 10, Exact: true},
					{Vector: randVector(r, 6), Limit: 7, Offset: 5, Exact: true, ReadOptions: all},
					{Vector: randVector(r, 6), Limit: 20, Filter: tagB, Exact: true, ReadOptions: index.ReadOptions{WithPayload: true, Include: []string{"big", "deep"}}},
					{Vector: randVector(r, 6), Exact: true, Offset: 295},
				} {
					want, err := f.whole.Search(ctx, req)
					require.NoError(t, err)
					got, err := rt.Search(ctx, req)
					require.NoError(t, err, name)
					require.Equal(t, want, got, "%s: %+v", name, req)
				}
				// The graph walk gathers the shards' best too: with 300
				// points the walk finds the exact answer.
				req := index.SearchRequest{Vector: randVector(r, 6), Limit: 5, Ef: 300}
				want, err := f.whole.Search(ctx, req)
				require.NoError(t, err)
				got, err := rt.Search(ctx, req)
				require.NoError(t, err)
				pid := func(p index.ScoredPoint) pointid.ID { return p.ID }
				require.Equal(t, idsOf(want, pid), idsOf(got, pid), name)
			}
		})
	}
}

func idsOf[T any](list []T, id func(T) pointid.ID) []pointid.ID {
	out := make([]pointid.ID, len(list))
	for i, x := range list {
		out[i] = id(x)
	}
	return out
}

func recordIDs(list []index.Record) []pointid.ID {
	return idsOf(list, func(r index.Record) pointid.ID { return r.ID })
}

func TestRouterNamedAndSparse(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	f := newFixture(t, namedConfig, namedPoints(r, 240), 4)
	q := sparse.Vector{Indices: []uint32{1, 7, 20, 33}, Values: []float32{0.5, 1, 0.25, 2}}
	for name, rt := range f.readers() {
		for _, req := range []index.SearchRequest{
			{Using: "a", Vector: randVector(r, 8), Limit: 9, Exact: true, ReadOptions: index.ReadOptions{WithVector: true}},
			{Using: "b", Vector: randVector(r, 4), Limit: 9, Offset: 3, Exact: true, ReadOptions: index.ReadOptions{VectorNames: []string{"b", "s"}}},
		} {
			want, err := f.whole.Search(ctx, req)
			require.NoError(t, err)
			got, err := rt.Search(ctx, req)
			require.NoError(t, err, name)
			require.Equal(t, want, got, name)
		}
		sreq := index.SparseSearchRequest{Using: "s", Vector: q, Limit: 15, Offset: 2, ReadOptions: all,
			Filter: mustFilter(t, `{"must_not":[{"key":"tag","match":{"value":"a"}}]}`)}
		want, err := f.whole.SearchSparse(ctx, sreq)
		require.NoError(t, err)
		got, err := rt.SearchSparse(ctx, sreq)
		require.NoError(t, err, name)
		require.Equal(t, want, got, name)

		_, err = rt.Search(ctx, index.SearchRequest{Using: "c", Vector: randVector(r, 8)})
		require.ErrorIs(t, err, index.ErrBadRequest)
		_, err = rt.SearchSparse(ctx, index.SparseSearchRequest{Using: "a", Vector: q})
		require.ErrorIs(t, err, index.ErrBadRequest)
		_, err = rt.Search(ctx, index.SearchRequest{Using: "a", Vector: randVector(r, 3)})
		require.ErrorIs(t, err, index.ErrBadRequest, "a wrong size is each shard's bad request")
	}
}

func TestRouterConfigErrorsAsIndex(t *testing.T) {
	for _, cfg := range []index.Config{namedConfig, {VectorSize: 3, Distance: index.Dot}} {
		f := newFixture(t, cfg, nil, 2)
		for _, name := range []string{"", "a", "b", "zz", "s"} {
			want, werr := f.whole.VectorConfig(name)
			got, gerr := f.local.VectorConfig(name)
			if werr != nil {
				require.ErrorIs(t, gerr, index.ErrBadRequest)
				require.Equal(t, strings.ReplaceAll(werr.Error(), `"whole"`, `"docs"`), gerr.Error(), "the index's words")
				continue
			}
			require.NoError(t, gerr)
			require.Equal(t, want.Size, got.Size)
			require.Equal(t, want.Distance, got.Distance)
			_, werr = f.whole.SparseVectorConfig(name)
			_, gerr = f.local.SparseVectorConfig(name)
			require.Equal(t, werr == nil, gerr == nil)
		}
	}
}

func TestRouterScrollPagesToTheEnd(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	f := newFixture(t, index.Config{VectorSize: 4, Distance: index.Cosine}, densePoints(r, 205, 4), 4)
	for name, rt := range f.readers() {
		for _, flt := range []*filter.Filter{nil, mustFilter(t, `{"should":[{"key":"tag","match":{"value":"a"}},{"key":"tag","match":{"value":"c"}}]}`)} {
			var wantAll, gotAll []pointid.ID
			var wOff, gOff *pointid.ID
			for pages := 0; ; pages++ {
				require.Less(t, pages, 100, "scroll never ends")
				req := index.ScrollRequest{Filter: flt, Limit: 13, ReadOptions: all}
				req.Offset = wOff
				want, err := f.whole.Scroll(ctx, req)
				require.NoError(t, err)
				req.Offset = gOff
				got, err := rt.Scroll(ctx, req)
				require.NoError(t, err, name)
				require.Equal(t, want, got, "%s: page %d", name, pages)
				wantAll, gotAll = append(wantAll, recordIDs(want.Points)...), append(gotAll, recordIDs(got.Points)...)
				wOff, gOff = want.Next, got.Next
				if got.Next == nil {
					break
				}
			}
			require.Equal(t, wantAll, gotAll)
			n, err := f.whole.Count(ctx, flt)
			require.NoError(t, err)
			require.Len(t, gotAll, n, "every id once")
		}
		// A cursor that is no point's id, and a last page that is exactly full.
		from := pointid.FromNum(100)
		want, err := f.whole.Scroll(ctx, index.ScrollRequest{Offset: &from, Limit: 3})
		require.NoError(t, err)
		got, err := rt.Scroll(ctx, index.ScrollRequest{Offset: &from, Limit: 3})
		require.NoError(t, err)
		require.Equal(t, want, got)
		total, err := f.whole.Count(ctx, nil)
		require.NoError(t, err)
		page, err := rt.Scroll(ctx, index.ScrollRequest{Limit: total})
		require.NoError(t, err)
		require.Len(t, page.Points, total)
		require.Nil(t, page.Next)
		_, err = rt.Scroll(ctx, index.ScrollRequest{Limit: -1})
		require.ErrorIs(t, err, index.ErrBadRequest)
	}
}

func TestRouterScrollOrderedAndCount(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	f := newFixture(t, namedConfig, namedPoints(r, 150), 3)
	start := 40.0
	for name, rt := range f.readers() {
		for _, req := range []index.OrderedScrollRequest{
			{Key: "rank", Limit: 25, ReadOptions: all},
			{Key: "rank", Desc: true, Limit: 30},
			{Key: "rank", StartFrom: &start, Limit: 10, Filter: mustFilter(t, `{"must":[{"key":"tag","match":{"any":["a","b"]}}]}`)},
			{Key: "rank", Desc: true, StartFrom: &start, Limit: 500},
		} {
			want, err := f.whole.ScrollOrdered(ctx, req)
			require.NoError(t, err)
			got, err := rt.ScrollOrdered(ctx, req)
			require.NoError(t, err, name)
			require.Equal(t, want, got, "%s: %+v", name, req)
		}
		_, err := rt.ScrollOrdered(ctx, index.OrderedScrollRequest{Key: "tag"})
		require.ErrorIs(t, err, index.ErrBadRequest, "no range index on tag")

		for _, flt := range []*filter.Filter{nil, mustFilter(t, `{"must":[{"key":"rank","range":{"lt":77}}]}`)} {
			want, err := f.whole.Count(ctx, flt)
			require.NoError(t, err)
			got, err := rt.Count(ctx, flt)
			require.NoError(t, err)
			require.Equal(t, want, got, name)
		}
	}
}

func TestRouterVectorsAndGetInOrder(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	pts := namedPoints(r, 120)
	f := newFixture(t, namedConfig, pts, 3)
	missing := pointid.FromNum(123456789)
	var asked, withB, withS []pointid.ID
	for i := len(pts) - 1; i >= 0; i -= 7 {
		asked = append(asked, pts[i].ID)
		if pts[i].Vectors["b"] != nil {
			withB = append(withB, pts[i].ID)
		}
		if pts[i].Sparse != nil {
			withS = append(withS, pts[i].ID)
		}
	}
	for name, rt := range f.readers() {
		for _, opts := range []index.ReadOptions{{}, all, {WithPayload: true, Exclude: []string{"deep"}, VectorNames: []string{"a", "s"}}} {
			req := append([]pointid.ID{missing}, asked...)
			req = append(req, asked[2], missing)
			want, err := f.whole.Get(ctx, req, opts)
			require.NoError(t, err)
			got, err := rt.Get(ctx, req, opts)
			require.NoError(t, err, name)
			require.Equal(t, want, got, name)
		}
		got, err := rt.Get(ctx, nil, all)
		require.NoError(t, err)
		require.Empty(t, got)
		_, err = rt.Get(ctx, asked, index.ReadOptions{VectorNames: []string{"nope"}})
		require.ErrorIs(t, err, index.ErrBadRequest)

		for using, ids := range map[string][]pointid.ID{"a": asked, "b": withB} {
			want, err := f.whole.Vectors(ctx, using, ids)
			require.NoError(t, err)
			got, err := rt.Vectors(ctx, using, ids)
			require.NoError(t, err, name)
			require.Equal(t, want, got, name)
		}
		wantS, err := f.whole.SparseVectors(ctx, "s", withS)
		require.NoError(t, err)
		gotS, err := rt.SparseVectors(ctx, "s", withS)
		require.NoError(t, err)
		require.Equal(t, wantS, gotS)
		_, err = rt.Vectors(ctx, "a", []pointid.ID{asked[0], missing})
		require.ErrorIs(t, err, index.ErrNotFound)
		_, err = rt.SparseVectors(ctx, "s", []pointid.ID{missing})
		require.ErrorIs(t, err, index.ErrNotFound)
		_, err = rt.Vectors(ctx, "s", asked)
		require.ErrorIs(t, err, index.ErrBadRequest, "s is sparse")
	}
}

// Reads at once through one router, local and remote, answer as one at a
// time (and, under -race, share nothing unguarded).
func TestRouterConcurrentReads(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	f := newFixture(t, index.Config{VectorSize: 5, Distance: index.Euclid}, densePoints(r, 120, 5), 3)
	reqs := make([]index.SearchRequest, 16)
	want := make([][]index.ScoredPoint, len(reqs))
	for i := range reqs {
		reqs[i] = index.SearchRequest{Vector: randVector(r, 5), Limit: 6, Exact: true, ReadOptions: all}
		var err error
		want[i], err = f.whole.Search(ctx, reqs[i])
		require.NoError(t, err)
	}
	for name, rt := range f.readers() {
		var wg sync.WaitGroup
		got := make([][]index.ScoredPoint, len(reqs))
		errs := make([]error, len(reqs))
		for i := range reqs {
			wg.Go(func() { got[i], errs[i] = rt.Search(ctx, reqs[i]) })
		}
		wg.Wait()
		for i := range reqs {
			require.NoError(t, errs[i], name)
			require.Equal(t, want[i], got[i], name)
		}
	}
}

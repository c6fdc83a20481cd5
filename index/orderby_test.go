package index

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
)

// orderedFixture is a collection of random payloads (randPayload) with
// price (float), rating (integer), color (keyword) and flag indexed,
// rewritten and partly deleted so the postings hold merged, pending and
// removed entries; model is what each live point holds.
func orderedFixture(t *testing.T, r *rand.Rand) (*Collection, map[pointid.ID]map[string]any) {
	t.Helper()
	ctx := context.Background()
	defer func(m int) { minMerge = m }(minMerge)
	minMerge = 1 + r.IntN(16)
	db := openTest(t, vfs.NewMem())
	t.Cleanup(func() { db.Close() })
	c, err := db.Create(ctx, "o", Config{VectorSize: 4, Distance: Dot, PayloadIndexes: map[string]FieldType{
		"price": Float, "rating": Integer, "color": Keyword, "tag": Keyword,
	}})
	require.NoError(t, err)
	model := map[pointid.ID]map[string]any{}
	const n = 400
	for round := range 3 {
		var batch []Point
		for i := range n {
			if round > 0 && r.IntN(4) != 0 {
				continue
			}
			id := pointid.FromNum(uint64(i))
			p := Point{ID: id, Vector: randVec(r, 4), Payload: randPayload(r)}
			model[id] = p.Payload
			batch = append(batch, p)
		}
		require.NoError(t, c.Upsert(ctx, batch))
		var gone []pointid.ID
		for i := round; i < n; i += 13 {
			gone = append(gone, pointid.FromNum(uint64(i)))
			delete(model, pointid.FromNum(uint64(i)))
		}
		_, err := c.Delete(ctx, gone)
		require.NoError(t, err)
	}
	return c, model
}

// firstValue is a point's first value of key in the order asked, among
// those from start on; ok is false when it has none.
func firstValue(p map[string]any, key string, start *float64, desc bool) (float64, bool) {
	best, ok := 0.0, false
	for _, v := range filter.Values(p, key) {
		x, isNum := filter.Number(v)
		if !isNum || math.IsNaN(x) || start != nil && (!desc && x < *start || desc && x > *start) {
			continue
		}
		if !ok || !desc && x < best || desc && x > best {
			best, ok = x, true
		}
	}
	return best, ok
}

func TestScrollOrderedAgainstBruteForce(t *testing.T) {
	r := testseed.Stream(testseed.Seed(t), 1)
	ctx := context.Background()
	c, model := orderedFixture(t, r)
	for trial := range 120 {
		key := []string{"price", "rating"}[r.IntN(2)]
		desc := r.IntN(2) == 0
		var start *float64
		if r.IntN(2) == 0 {
			s := float64(r.IntN(2000)) / 100
			start = &s
		}
		var f *filter.Filter
		if r.IntN(2) == 0 {
			ff := randFilter(r, 0, 400)
			f = &ff
		}
		limit := 1 + r.IntN(60)
		type want struct {
			id pointid.ID
			v  float64
		}
		var all []want
		for id, p := range model {
			if f != nil && !f.Matches(id, p) {
				continue
			}
			if v, ok := firstValue(p, key, start, desc); ok {
				all = append(all, want{id, v})
			}
		}
		slices.SortFunc(all, func(a, b want) int {
			if desc {
				return cmp.Compare(b.v, a.v)
			}
			return cmp.Compare(a.v, b.v)
		})
		got, err := c.ScrollOrdered(ctx, OrderedScrollRequest{Key: key, Desc: desc, StartFrom: start, Filter: f, Limit: limit, ReadOptions: ReadOptions{WithPayload: true}})
		require.NoError(t, err, "trial %d", trial)
		require.Len(t, got, min(limit, len(all)), "trial %d: %s desc=%v start=%v", trial, key, desc, start)
		seen := map[pointid.ID]bool{}
		for i, rec := range got {
			require.False(t, seen[rec.ID], "trial %d: %s twice", trial, rec.ID)
			seen[rec.ID] = true
			v, ok := firstValue(model[rec.ID], key, start, desc)
			require.True(t, ok, "trial %d: %s has no value of %s", trial, rec.ID, key)
			require.Equal(t, all[i].v, v, "trial %d: rank %d", trial, i)
			if key == "rating" && v == math.Trunc(v) {
				require.Equal(t, int64(v), rec.OrderValue)
			} else {
				require.Equal(t, v, rec.OrderValue)
			}
			wantJSON, _ := json.Marshal(model[rec.ID])
			gotJSON, _ := json.Marshal(rec.Payload)
			require.JSONEq(t, string(wantJSON), string(gotJSON))
		}
	}
}

func TestScrollOrderedNeedsARangeIndex(t *testing.T) {
	r := testseed.Stream(testseed.Seed(t), 2)
	c, _ := orderedFixture(t, r)
	ctx := context.Background()
	for _, key := range []string{"color", "missing"} {
		_, err := c.ScrollOrdered(ctx, OrderedScrollRequest{Key: key})
		require.ErrorIs(t, err, ErrBadRequest)
		require.ErrorContains(t, err, `order_by.key "`+key+`"`)
	}
	nan := math.NaN()
	_, err := c.ScrollOrdered(ctx, OrderedScrollRequest{Key: "price", StartFrom: &nan})
	require.ErrorContains(t, err, "order_by.start_from")
	_, err = c.ScrollOrdered(ctx, OrderedScrollRequest{Key: "price", Limit: MaxLimit + 1})
	require.ErrorIs(t, err, ErrBadRequest)
}

// TestOrderedReadsDuringWrites runs ordered scrolls and facets while
// writers replace and delete points: stable points (price = id, never
// written) come back in order and counted every time, and the race
// detector sees the postings' and the id map's locks taken in one order.
func TestOrderedReadsDuringWrites(t *testing.T) {
	r := testseed.Stream(testseed.Seed(t), 5)
	ctx := context.Background()
	defer func(m int) { minMerge = m }(minMerge)
	minMerge = 8 // merges happen under the readers
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	c, err := db.Create(ctx, "w", Config{VectorSize: 4, Distance: Dot, PayloadIndexes: map[string]FieldType{"price": Integer, "kind": Keyword}})
	require.NoError(t, err)
	const stable = 200
	var pts []Point
	for i := range stable {
		pts = append(pts, Point{ID: pointid.FromNum(uint64(i)), Vector: randVec(r, 4), Payload: map[string]any{"price": i, "kind": "stable"}})
	}
	require.NoError(t, c.Upsert(ctx, pts))
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 2 {
		wr := testseed.Stream(testseed.Seed(t), uint64(10+w))
		wg.Go(func() {
			for wctx.Err() == nil {
				id := pointid.FromNum(uint64(stable + wr.IntN(100)))
				if wr.IntN(3) == 0 {
					_, _ = c.Delete(ctx, []pointid.ID{id})
					continue
				}
				p := Point{ID: id, Vector: randVec(wr, 4), Payload: map[string]any{"price": -1 - wr.IntN(50), "kind": "moving"}}
				if err := c.Upsert(ctx, []Point{p}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	start := 0.0
	for range 200 {
		recs, err := c.ScrollOrdered(ctx, OrderedScrollRequest{Key: "price", StartFrom: &start, Limit: 20})
		require.NoError(t, err)
		require.Len(t, recs, 20)
		for i, rec := range recs {
			require.Equal(t, pointid.FromNum(uint64(i)), rec.ID)
		}
		hits, err := c.Facet(ctx, FacetRequest{Key: "kind"})
		require.NoError(t, err)
		require.Contains(t, hits, FacetHit{Value: "stable", Count: stable})
	}
	cancel()
	wg.Wait()
}

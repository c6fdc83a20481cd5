package index

import (
	"context"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/internal/bitset"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
)

func TestPlanFilterPicksByShare(t *testing.T) {
	const live, exactMax, defEf, k = 331479, 10000, 64, 10 // GloVe-100, the defaults
	cases := []struct {
		name    string
		live    int
		matches int
		exact   bool
		want    filterStrategy
		ef      int
	}{
		{"0.1% scans", live, live / 1000, false, scanMatches, 0},
		{"1% scans", live, live / 100, false, scanMatches, 0},
		{"exactly ExactSearchMax scans", live, exactMax, false, scanMatches, 0},
		{"4% walks over the matches with ef raised", live, live / 25, false, twoHopWalk, 101},
		{"5% walks over the matches with ef raised", live, live / 20, false, twoHopWalk, 91},
		{"10% walks over the matches", live, live/10 + 10, false, twoHopWalk, 0},
		{"30% walks over the matches", live, live * 3 / 10, false, twoHopWalk, 0},
		{"50% walks as unfiltered", live, live / 2, false, filteredWalk, 0},
		{"everything walks as unfiltered", live, live, false, filteredWalk, 0},
		{"exact asked for scans", live, live / 10, true, scanMatches, 0},
		{"1% of ten million scans past ExactSearchMax", 10_000_000, 100_000, false, scanMatches, 0},
		{"2.5% of ten million walks over the matches", 10_000_000, 250_000, false, twoHopWalk, 128},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := planFilter(c.matches, c.live, exactMax, 0, defEf, k, c.exact)
			require.Equal(t, c.want, p.strategy, "%d of %d matching: %s", c.matches, c.live, p.strategy)
			require.Equal(t, c.ef, p.ef)
			if p.strategy == scanMatches {
				return
			}
			opts := p.searchOptions(bitset.Of(1, 2, 3), hnsw.QuantizedSearch{Oversampling: 2})
			require.Equal(t, 2.0, opts.Quantization.Oversampling)
			require.Equal(t, c.want == twoHopWalk, opts.Within != nil)
			require.Equal(t, c.want != twoHopWalk, opts.Filter != nil)
		})
	}
	// A request's ef is kept, or raised at low shares from it (or from k
	// when k is larger); never past hnsw.MaxEf.
	require.Equal(t, 300, planFilter(live/5, live, exactMax, 300, defEf, k, false).ef)
	require.Equal(t, 600, planFilter(250_000, 10_000_000, exactMax, 300, defEf, k, false).ef)
	require.Equal(t, 400, planFilter(250_000, 10_000_000, exactMax, 0, defEf, 200, false).ef)
	require.Equal(t, hnsw.MaxEf, planFilter(250_000, 10_000_000, exactMax, hnsw.MaxEf, defEf, k, false).ef)
}

// bucketCollection holds n points whose payload "bucket" (indexed) is
// i mod 100, so bucket < b matches b percent of them.
func bucketCollection(t *testing.T, n, dim int, seed uint64) (*DB, *Collection) {
	t.Helper()
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	t.Cleanup(func() { db.Close() })
	db.opts.ExactSearchMax = 40
	c, err := db.Create(ctx, "b", Config{VectorSize: dim, Distance: Cosine, PayloadIndexes: map[string]FieldType{"bucket": Integer}})
	require.NoError(t, err)
	r := testseed.Stream(seed, 1)
	var batch []Point
	for i := range n {
		batch = append(batch, Point{ID: pointid.FromNum(uint64(i)), Vector: randVec(r, dim), Payload: map[string]any{"bucket": i % 100}})
	}
	require.NoError(t, c.Upsert(ctx, batch))
	return db, c
}

func bucketsBelow(b float64) *filter.Filter {
	return &filter.Filter{Must: []filter.Condition{{Field: &filter.FieldCondition{Key: "bucket", Range: &filter.Range{LT: &b}}}}}
}

// Each strategy, as the planner picks it by share, answers with the exact
// filtered top-k, and offset and limit page through the same ranking.
func TestFilteredSearchEachStrategy(t *testing.T) {
	seed := testseed.Seed(t)
	ctx := context.Background()
	const n, dim = 3000, 16
	_, c := bucketCollection(t, n, dim, seed)
	r := testseed.Stream(seed, 2)
	for _, tc := range []struct {
		buckets float64
		want    filterStrategy
	}{{80, filteredWalk}, {10, twoHopWalk}, {3, twoHopWalk}, {0.5, scanMatches}} {
		f := bucketsBelow(tc.buckets)
		set, err := c.match(ctx, f)
		require.NoError(t, err)
		plan := planFilter(set.Count(), n, c.opts.ExactSearchMax, 0, hnsw.DefaultEf, 10, false)
		require.Equal(t, tc.want, plan.strategy, "bucket < %v: %d matches", tc.buckets, set.Count())
		hits, total := 0, 0
		for range 40 {
			q := randVec(r, dim)
			exact, err := c.Search(ctx, SearchRequest{Vector: q, Limit: 10, Filter: f, Exact: true})
			require.NoError(t, err)
			got, err := c.Search(ctx, SearchRequest{Vector: q, Limit: 10, Filter: f})
			require.NoError(t, err)
			require.Len(t, got, min(10, set.Count()))
			want := map[pointid.ID]bool{}
			for _, p := range exact {
				want[p.ID] = true
			}
			for _, p := range got {
				if want[p.ID] {
					hits++
				}
			}
			total += len(exact)
			page, err := c.Search(ctx, SearchRequest{Vector: q, Limit: 4, Offset: 6, Filter: f})
			require.NoError(t, err)
			require.Equal(t, got[6:], page, "bucket < %v: offset 6 limit 4", tc.buckets)
		}
		recall := float64(hits) / float64(total)
		t.Logf("bucket < %v (%s): recall@10 %.3f", tc.buckets, plan.strategy, recall)
		require.GreaterOrEqual(t, recall, 0.95, "bucket < %v", tc.buckets)
	}
}

// Filtered searches of every strategy while points are upserted and
// deleted; run under -race. Results must match the filter.
func TestFilteredSearchDuringWrites(t *testing.T) {
	seed := testseed.Seed(t)
	ctx := context.Background()
	const n, dim = 2000, 8
	_, c := bucketCollection(t, n, dim, seed)
	var wg sync.WaitGroup
	wg.Go(func() {
		r := testseed.Stream(seed, 3)
		for i := range 300 {
			id := uint64(r.IntN(n))
			if i%3 == 0 {
				_, err := c.Delete(ctx, []pointid.ID{pointid.FromNum(id)})
				assert.NoError(t, err)
				continue
			}
			assert.NoError(t, c.Upsert(ctx, []Point{{ID: pointid.FromNum(id), Vector: randVec(r, dim), Payload: map[string]any{"bucket": int(id % 100)}}}))
		}
	})
	for w, b := range []float64{70, 10, 0.5} {
		wg.Go(func() {
			r := testseed.Stream(seed, uint64(10+w))
			f := bucketsBelow(b)
			for range 150 {
				res, err := c.Search(ctx, SearchRequest{Vector: randVec(r, dim), Limit: 5, Filter: f, ReadOptions: ReadOptions{WithPayload: true}})
				if !assert.NoError(t, err) {
					return
				}
				for _, p := range res {
					if p.Payload != nil {
						assert.True(t, f.Matches(p.ID, p.Payload), "bucket < %v returned %s with payload %v", b, p.ID, p.Payload)
					}
				}
			}
		})
	}
	wg.Wait()
}

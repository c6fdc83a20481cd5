package index

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/pointid"

	"github.com/quiver-db/quiver/internal/testseed"
)

// TestScrollDuringWrites pages through a collection while other goroutines
// insert and delete other points and replace the scrolled ones (which moves
// them to new nodes): every point that exists throughout is visited exactly
// once, in id order.
func TestScrollDuringWrites(t *testing.T) {
	seed := testseed.Seed(t)
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	c, err := db.Create(ctx, "s", Config{VectorSize: 4, Distance: Dot})
	if err != nil {
		t.Fatal(err)
	}
	const stable = 2000
	r := testseed.Stream(seed, 0)
	var pts []Point
	for i := range stable {
		pts = append(pts, Point{ID: pointid.FromNum(uint64(2 * i)), Vector: randVec(r, 4)})
	}
	if err := c.Upsert(ctx, pts); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var writes atomic.Int64
	for w := range 3 {
		wg.Go(func() {
			r := testseed.Stream(seed, uint64(w+1))
			for wctx.Err() == nil {
				even := uint64(2 * r.IntN(stable))
				odd := uint64(2*r.IntN(stable+100) + 1)
				var err error
				switch r.IntN(3) {
				case 0:
					err = c.Upsert(ctx, []Point{{ID: pointid.FromNum(even), Vector: randVec(r, 4)}})
				case 1:
					err = c.Upsert(ctx, []Point{{ID: pointid.FromNum(odd), Vector: randVec(r, 4)}})
				case 2:
					_, err = c.Delete(ctx, []pointid.ID{pointid.FromNum(odd)})
				}
				if err != nil {
					t.Error(err)
					return
				}
				writes.Add(1)
			}
		})
	}
	for round := range 3 {
		seen := map[pointid.ID]int{}
		var last *pointid.ID
		req := ScrollRequest{Limit: 37}
		for {
			page, err := c.Scroll(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Points {
				if last != nil && p.ID.Compare(*last) <= 0 {
					t.Fatalf("round %d: id %s after %s", round, p.ID, *last)
				}
				id := p.ID
				last = &id
				seen[p.ID]++
			}
			if page.Next == nil {
				break
			}
			req.Offset = page.Next
		}
		for i := range stable {
			if n := seen[pointid.FromNum(uint64(2*i))]; n != 1 {
				t.Fatalf("round %d: stable point %d visited %d times", round, 2*i, n)
			}
		}
	}
	cancel()
	wg.Wait()
	if writes.Load() == 0 {
		t.Fatal("no writes ran during the scrolls")
	}
	t.Logf("%d writes during 3 scrolls", writes.Load())
}

// TestConcurrentReadWriteRestart runs writers, searches, counts and graph
// snapshots at once (run it with -race), then reopens and checks that the
// state matches the writers' model exactly.
func TestConcurrentReadWriteRestart(t *testing.T) {
	seed := testseed.Seed(t)
	ctx := context.Background()
	fs := vfs.NewMem()
	opts := crashOptions(fs)
	opts.SnapshotEvery = 40
	db, err := Open(ctx, "data", opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Create(ctx, crashCollName, Config{VectorSize: crashDim, Distance: Euclid,
		HNSW: HNSWConfig{M: 8, EfConstruction: 64}, PayloadIndexes: map[string]FieldType{"w": Integer}})
	if err != nil {
		t.Fatal(err)
	}
	m := newCrashModel()
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Go(func() {
			if err := runCrashWorker(wctx, c, w, 0, seed, m.report); err != nil {
				t.Error(err)
			}
		})
	}
	var reads atomic.Int64
	for g := range 2 {
		wg.Go(func() {
			r := testseed.Stream(seed, uint64(100+g))
			w := float64(r.IntN(crashWorkers))
			f := &filter.Filter{Must: []filter.Condition{{Field: &filter.FieldCondition{Key: "w", Match: filter.NewMatchValue(w)}}}}
			for wctx.Err() == nil {
				res, err := c.Search(ctx, SearchRequest{Vector: randVec(r, crashDim), Limit: 5, Filter: f, ReadOptions: ReadOptions{WithPayload: true}})
				if err != nil {
					t.Error(err)
					return
				}
				for _, p := range res {
					if p.Payload != nil && !f.Matches(p.ID, p.Payload) {
						t.Errorf("filtered search returned %s with payload %v", p.ID, p.Payload)
					}
				}
				if _, err := c.Count(ctx, f); err != nil {
					t.Error(err)
					return
				}
				reads.Add(1)
			}
		})
	}
	start := time.Now()
	for time.Since(start) < 300*time.Millisecond || (reads.Load() < 50 && time.Since(start) < 10*time.Second) {
		if err := c.saveGraph(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if len(m.pending) != 0 {
		t.Fatalf("%d ops unacknowledged after the writers stopped", len(m.pending))
	}
	if problem := c.checkGraph(); problem != "" {
		t.Fatal(problem)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, c = openCrashCollection(t, ctx, "data", fs)
	defer db.Close()
	checkRecovered(t, c, m)
	t.Logf("%d ids written, %d reads", len(m.acked), reads.Load())
}

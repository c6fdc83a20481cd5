package index

import (
	"context"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/stretchr/testify/require"
)

// TestNamedConcurrentWrites runs writers that replace and delete points
// with changing sets of named vectors while graphs are saved (so freed
// nodes are reused) and searches run; afterwards every point reads back
// as its writer last wrote it, every graph agrees with the store, and so
// it does again after a restart.
func TestNamedConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	seed := testseed.Seed(t)
	fs := vfs.NewMem()
	db, err := Open(ctx, "data", Options{Storage: testOptions(fs).Storage, SnapshotEvery: 50})
	require.NoError(t, err)
	c, err := db.Create(ctx, "m", namedConfig)
	require.NoError(t, err)

	const writers, idsPer, steps = 4, 40, 300
	models := make([]namedModel, writers)
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	stop := make(chan struct{})
	for w := range writers {
		models[w] = namedModel{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := testseed.Stream(seed, uint64(w))
			for range steps {
				id := pointid.FromNum(uint64(w*idsPer + r.IntN(idsPer)))
				if r.IntN(4) == 0 {
					if _, err := c.Delete(ctx, []pointid.ID{id}); err != nil {
						errs <- err
						return
					}
					delete(models[w], id)
					continue
				}
				p := randNamedPoint(r, id)
				if err := c.Upsert(ctx, []Point{p}); err != nil {
					errs <- err
					return
				}
				models[w][id] = p
			}
		}()
	}
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		r := testseed.Stream(seed, writers)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, using := range []string{"text", "cf"} {
				dim := map[string]int{"text": 8, "cf": 5}[using]
				if _, err := c.Search(ctx, SearchRequest{Using: using, Vector: randVec(r, dim), Limit: 5, ReadOptions: ReadOptions{WithVector: true}}); err != nil {
					errs <- err
					return
				}
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	all := namedModel{}
	for _, m := range models {
		for id, p := range m {
			all[id] = p
		}
	}
	check := func(c *Collection) {
		t.Helper()
		require.Empty(t, c.checkGraph())
		n, err := c.Count(ctx, nil)
		require.NoError(t, err)
		require.Equal(t, len(all), n)
		for id, p := range all {
			recs, err := c.Get(ctx, []pointid.ID{id}, ReadOptions{WithVector: true, WithPayload: true})
			require.NoError(t, err)
			require.Len(t, recs, 1)
			require.Equal(t, p.Vectors, recs[0].Vectors, "point %s", id)
		}
		checkNamedSearch(t, c, testseed.Stream(seed, writers+1), all)
	}
	check(c)
	require.NoError(t, db.Close())
	db = openTest(t, fs)
	defer db.Close()
	c, err = db.Collection("m")
	require.NoError(t, err)
	check(c)
}

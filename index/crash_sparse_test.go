package index

import (
	"context"
	"maps"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
	"github.com/stretchr/testify/require"
)

// crashSparse is the sparse vector of version ver of point id; odd
// versions carry no dense vector, so points move between dense+sparse and
// sparse only.
func crashSparse(id uint64, ver int64) sparse.Vector {
	return randSparse(rand.New(rand.NewPCG(id, uint64(ver))))
}

func crashSparsePoint(id uint64, ver int64, w int) Point {
	p := Point{ID: pointid.FromNum(id), Sparse: map[string]sparse.Vector{"s": crashSparse(id, ver)},
		Payload: map[string]any{"v": ver, "w": w}}
	if ver%2 == 0 {
		p.Vectors = map[string][]float32{"d": crashVector(id, ver)}
	}
	return p
}

// TestCrashSparseInMemory is TestCrashInMemory for a collection with a
// sparse vector beside a named dense one: after each crash every id holds
// its acknowledged or in-flight version, sparse vector included, and the
// inverted index holds exactly the recovered points.
func TestCrashSparseInMemory(t *testing.T) {
	seed := testseed.Seed(t)
	r := testseed.Stream(seed, 0)
	fs := vfs.NewCrashableMem()
	m := newCrashModel()
	ctx := context.Background()
	open := func() (*DB, *Collection) {
		db, err := Open(ctx, "data", crashOptions(fs))
		require.NoError(t, err)
		c, err := db.Collection("sparse")
		if err != nil {
			c, err = db.Create(ctx, "sparse", Config{
				Vectors:       map[string]VectorConfig{"d": {Size: crashDim, Distance: Euclid, HNSW: HNSWConfig{M: 8, EfConstruction: 64}}},
				SparseVectors: map[string]SparseVectorConfig{"s": {Modifier: ModifierIDF}},
			})
		}
		require.NoError(t, err)
		return db, c
	}
	for cycle := range 4 {
		db, c := open()
		if cycle > 0 {
			checkSparseRecovered(t, c, m)
		}
		wctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for w := range crashWorkers {
			wg.Go(func() {
				rw := testseed.Stream(seed+uint64(cycle), uint64(w))
				ver := int64(cycle) * 1e6
				for wctx.Err() == nil {
					id := uint64(w + crashWorkers*rw.IntN(crashIDsPerW))
					if rw.IntN(4) == 0 {
						m.report(true, id, deletedVer)
						if _, err := c.Delete(ctx, []pointid.ID{pointid.FromNum(id)}); err != nil {
							t.Error(err)
							return
						}
						m.report(false, id, deletedVer)
						continue
					}
					ver++
					m.report(true, id, ver)
					if err := c.Upsert(ctx, []Point{crashSparsePoint(id, ver, w)}); err != nil {
						t.Error(err)
						return
					}
					m.report(false, id, ver)
				}
			})
		}
		time.Sleep(time.Duration(50+r.IntN(200)) * time.Millisecond)
		m.mu.Lock()
		crashed := fs.CrashClone(vfs.CrashCloneCfg{})
		snapshot := &crashModel{acked: maps.Clone(m.acked), pending: maps.Clone(m.pending)}
		m.mu.Unlock()
		cancel()
		wg.Wait()
		db.Close()
		fs, m = crashed, snapshot
		t.Logf("cycle %d: crashed with %d ids acknowledged, %d in flight", cycle, len(m.acked), len(m.pending))
	}
	db, c := open()
	defer db.Close()
	checkSparseRecovered(t, c, m)
}

func checkSparseRecovered(t *testing.T, c *Collection, m *crashModel) {
	t.Helper()
	ctx := context.Background()
	present := 0
	for id := uint64(0); id < crashWorkers*crashIDsPerW; id++ {
		recs, err := c.Get(ctx, []pointid.ID{pointid.FromNum(id)}, ReadOptions{WithPayload: true, WithVector: true})
		require.NoError(t, err)
		got := int64(deletedVer)
		if len(recs) == 1 {
			present++
			n, _ := recs[0].Payload["v"].(interface{ Int64() (int64, error) })
			require.NotNil(t, n, "point %d: payload %v", id, recs[0].Payload)
			got, _ = n.Int64()
			require.Equal(t, crashSparse(id, got).Sorted(), recs[0].Sparse["s"], "point %d version %d", id, got)
			_, dense := recs[0].Vectors["d"]
			require.Equal(t, got%2 == 0, dense, "point %d version %d", id, got)
			res, err := c.SearchSparse(ctx, SparseSearchRequest{Using: "s", Vector: crashSparse(id, got), Limit: crashWorkers * crashIDsPerW})
			require.NoError(t, err)
			found := false
			for _, r := range res {
				found = found || r.ID == pointid.FromNum(id)
			}
			require.True(t, found, "point %d not found by its own sparse vector", id)
		}
		acked, ok := m.acked[id]
		if !ok {
			acked = neverWritten
		}
		pending, hasPending := m.pending[id]
		require.True(t, got == acked || (hasPending && got == pending) || (got == deletedVer && acked == neverWritten),
			"point %d recovered at version %d; acknowledged %d, in flight %d (%v)", id, got, acked, pending, hasPending)
		m.acked[id] = got
	}
	clear(m.pending)
	info, err := c.Info()
	require.NoError(t, err)
	require.Equal(t, present, info.Points)
	require.Equal(t, present, info.SparseNodes["s"])
	require.Empty(t, c.checkGraph())
}

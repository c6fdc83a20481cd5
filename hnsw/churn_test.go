package hnsw

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

// Many writers replacing and deleting nodes of a small graph at once, then
// every live node is found by its own vector, with no Cleanup in between.
// Small graphs with few links make the races between an insert that is not
// yet linked on a level and another that links to it likely.
func TestConcurrentChurnKeepsNodesFindable(t *testing.T) {
	const runs, workers, ops, ids = 30, 6, 60, 40
	lost := 0
	base := seedFor(t)
	for run := range runs {
		seed := base + int64(run)
		g := mustGraph(t, 8, Options{M: 8, EfConstruction: 64, Metric: L2, Seed: seed + 1})
		var mu sync.Mutex
		live := map[uint32][]float32{}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := testseed.Stream(uint64(seed), uint64(w))
				nodes := map[int]uint32{}
				for range ops {
					id := rng.IntN(ids)
					old, had := nodes[id]
					if rng.IntN(4) > 0 {
						v := make([]float32, 8)
						for i := range v {
							v[i] = float32(rng.NormFloat64())
						}
						n, err := g.Insert(v)
						require.NoError(t, err)
						mu.Lock()
						live[n] = v
						mu.Unlock()
						nodes[id] = n
					} else {
						delete(nodes, id)
					}
					if had {
						mu.Lock()
						delete(live, old)
						mu.Unlock()
						require.NoError(t, g.Delete(old))
					}
					time.Sleep(time.Duration(rng.IntN(300)) * time.Microsecond)
				}
			}()
		}
		wg.Wait()
		require.Equal(t, len(live), g.Len())
		for n, v := range live {
			res, err := g.Search(context.Background(), v, 1, SearchOptions{Ef: 1000})
			require.NoError(t, err)
			if len(res) == 0 || res[0].Node != n {
				lost++
			}
		}
	}
	require.Zero(t, lost, "live nodes not found by their own vector")
}

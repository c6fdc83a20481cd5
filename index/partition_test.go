package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/pointid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clusteredPoints returns n points around 20 centres, ids from first.
func clusteredPoints(rng *rand.Rand, first, n, dim int) []Point {
	centres := make([][]float32, 20)
	for i := range centres {
		centres[i] = randVec(rand.New(rand.NewPCG(uint64(i), 99)), dim)
	}
	pts := make([]Point, n)
	for i := range pts {
		v := randVec(rng, dim)
		c := centres[rng.IntN(len(centres))]
		for j := range v {
			v[j] = c[j] + 0.4*v[j]
		}
		pts[i] = Point{ID: pointid.FromNum(uint64(first + i)), Vector: v}
	}
	return pts
}

func waitBuilt(t *testing.T, c *Collection, vector string, points int) IVFStatus {
	t.Helper()
	var st IVFStatus
	require.Eventually(t, func() bool {
		info, err := c.Info()
		require.NoError(t, err)
		st = info.IVF[vector]
		return st.Built && !st.Building && st.Points >= points
	}, 60*time.Second, 10*time.Millisecond, "partitioned index of %q never built over %d points", vector, points)
	return st
}

// builtPartition is a Cosine collection of n clustered points whose
// partitioned index has been built over all of them.
func builtPartition(t *testing.T, rng *rand.Rand, dim, n int) *Collection {
	t.Helper()
	db := openTest(t, vfs.NewMem())
	t.Cleanup(func() { db.Close() })
	c, err := db.Create(context.Background(), "p", Config{VectorSize: dim, Distance: Cosine, IVF: &IVFConfig{MinPoints: 1000}})
	require.NoError(t, err)
	require.NoError(t, c.Upsert(context.Background(), clusteredPoints(rng, 0, n, dim)))
	waitBuilt(t, c, "", n)
	return c
}

func resultIDs(res []ScoredPoint) []pointid.ID {
	out := make([]pointid.ID, len(res))
	for i, r := range res {
		out[i] = r.ID
	}
	return out
}

// Probing every cell and re-scoring every candidate, the partitioned
// search returns what exact search returns, scores included, through
// inserts after the build and deletes.
func TestPartitionedSearchIsExactWhenExhaustive(t *testing.T) {
	ctx := context.Background()
	for _, m := range []Metric{Cosine, Dot} {
		t.Run(string(m), func(t *testing.T) {
			db := openTest(t, vfs.NewMem())
			defer db.Close()
			const dim = 24
			c, err := db.Create(ctx, "p", Config{VectorSize: dim, Distance: m, IVF: &IVFConfig{MinPoints: 1000, Cells: 30}})
			require.NoError(t, err)
			rng := rand.New(rand.NewPCG(5, 6))
			require.NoError(t, c.Upsert(ctx, clusteredPoints(rng, 0, 2000, dim)))
			st := waitBuilt(t, c, "", 2000)
			assert.Equal(t, 30, st.Cells)

			late := clusteredPoints(rng, 2000, 300, dim)
			require.NoError(t, c.Upsert(ctx, late))
			after := waitBuilt(t, c, "", 2300)
			assert.Equal(t, st.Points+300, after.Points, "inserts after the build are filed, not rebuilt")
			gone := make([]pointid.ID, 0, 100)
			for i := 0; i < 2300; i += 23 {
				gone = append(gone, pointid.FromNum(uint64(i)))
			}
			_, err = c.Delete(ctx, gone)
			require.NoError(t, err)

			all := IVFSearch{Probe: 30, Reorder: 3000}
			for q := range 20 {
				v := clusteredPoints(rng, 0, 1, dim)[0].Vector
				if q == 0 {
					v = late[7].Vector // a point filed after the build finds itself
				}
				got, err := c.Search(ctx, SearchRequest{Vector: v, Limit: 10, IVF: all})
				require.NoError(t, err)
				want, err := c.Search(ctx, SearchRequest{Vector: v, Limit: 10, Exact: true})
				require.NoError(t, err)
				require.Equal(t, resultIDs(want), resultIDs(got))
				for i := range got {
					assert.InDelta(t, want[i].Score, got[i].Score, 1e-5)
				}
				if q == 0 && m == Cosine {
					assert.Equal(t, late[7].ID, got[0].ID)
				}
			}
		})
	}
}

// At the default probe the partitioned search finds most of the true
// nearest neighbours, and asking to ignore it walks the graph.
func TestPartitionedSearchRecall(t *testing.T) {
	ctx := context.Background()
	const dim, n = 32, 5000
	rng := rand.New(rand.NewPCG(7, 8))
	c := builtPartition(t, rng, dim, n)
	var hits, total int
	for range 50 {
		v := clusteredPoints(rng, 0, 1, dim)[0].Vector
		want, err := c.Search(ctx, SearchRequest{Vector: v, Limit: 10, Exact: true})
		require.NoError(t, err)
		got, err := c.Search(ctx, SearchRequest{Vector: v, Limit: 10, IVF: IVFSearch{Probe: 40}})
		require.NoError(t, err)
		graph, err := c.Search(ctx, SearchRequest{Vector: v, Limit: 10, IVF: IVFSearch{Ignore: true}})
		require.NoError(t, err)
		require.Len(t, graph, 10)
		in := map[pointid.ID]bool{}
		for _, w := range want {
			in[w.ID] = true
		}
		for _, g := range got {
			if in[g.ID] {
				hits++
			}
		}
		total += len(want)
	}
	assert.Greater(t, float64(hits)/float64(total), 0.9)
}

// Deleting a third of the points leaves too many stale entries: the index
// is built again over the live points, and searches go on meanwhile.
func TestPartitionRebuildsAfterDeletes(t *testing.T) {
	ctx := context.Background()
	const dim, n = 16, 3000
	rng := rand.New(rand.NewPCG(9, 10))
	c := builtPartition(t, rng, dim, n)
	var gone []pointid.ID
	for i := range n / 3 {
		gone = append(gone, pointid.FromNum(uint64(3*i)))
	}
	_, err := c.Delete(ctx, gone)
	require.NoError(t, err)
	deleted := map[pointid.ID]bool{}
	for _, id := range gone {
		deleted[id] = true
	}
	require.Eventually(t, func() bool {
		// Searches see the stale share and start the build.
		res, err := c.Search(ctx, SearchRequest{Vector: randVec(rng, dim), Limit: 20})
		require.NoError(t, err)
		require.Len(t, res, 20)
		for _, r := range res {
			require.False(t, deleted[r.ID], "deleted point %s returned", r.ID)
		}
		info, err := c.Info()
		require.NoError(t, err)
		st := info.IVF[""]
		return st.Built && !st.Building && st.Points == n-n/3
	}, 60*time.Second, 20*time.Millisecond)
}

// The index is derived state: a reopened collection builds it again.
func TestPartitionBuiltAgainOnOpen(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openTest(t, fs)
	const dim = 16
	c, err := db.Create(ctx, "p", Config{VectorSize: dim, Distance: Dot, IVF: &IVFConfig{MinPoints: 500, Spill: 1}})
	require.NoError(t, err)
	pts := clusteredPoints(rand.New(rand.NewPCG(11, 12)), 0, 1500, dim)
	require.NoError(t, c.Upsert(ctx, pts))
	require.NoError(t, db.Close())
	db = openTest(t, fs)
	defer db.Close()
	c, err = db.Collection("p")
	require.NoError(t, err)
	assert.Equal(t, &IVFConfig{MinPoints: 500, Spill: 1}, c.Config().IVF)
	waitBuilt(t, c, "", 1500)
	got, err := c.Search(ctx, SearchRequest{Vector: pts[42].Vector, Limit: 1, IVF: IVFSearch{Probe: 1000}})
	require.NoError(t, err)
	want, err := c.Search(ctx, SearchRequest{Vector: pts[42].Vector, Limit: 1, Exact: true})
	require.NoError(t, err)
	assert.Equal(t, resultIDs(want), resultIDs(got))
}

// A named vector takes its own ivf_config; another vector of the same
// collection has none.
func TestPartitionOfANamedVector(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	const dim = 12
	c, err := db.Create(ctx, "p", Config{Vectors: map[string]VectorConfig{
		"fast":  {Size: dim, Distance: Cosine, IVF: &IVFConfig{MinPoints: 600}},
		"plain": {Size: dim, Distance: Euclid},
	}})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(13, 14))
	pts := clusteredPoints(rng, 0, 1000, dim)
	for i := range pts {
		pts[i].Vectors = map[string][]float32{"fast": pts[i].Vector, "plain": pts[i].Vector}
		pts[i].Vector = nil
	}
	require.NoError(t, c.Upsert(ctx, pts))
	waitBuilt(t, c, "fast", 1000)
	info, err := c.Info()
	require.NoError(t, err)
	assert.NotContains(t, info.IVF, "plain")
	got, err := c.Search(ctx, SearchRequest{Using: "fast", Vector: pts[3].Vectors["fast"], Limit: 1, IVF: IVFSearch{Probe: 1000}})
	require.NoError(t, err)
	assert.Equal(t, pts[3].ID, got[0].ID)
}

func TestIVFConfigRefusedByField(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	for cfg, field := range map[*Config]string{
		{VectorSize: 4, Distance: Euclid, IVF: &IVFConfig{}}:                                    "ivf_config: the partitioned index scores inner products",
		{VectorSize: 4, Distance: Cosine, IVF: &IVFConfig{Spill: 9}}:                            "ivf_config.spill 9",
		{VectorSize: 4, Distance: Cosine, IVF: &IVFConfig{Cells: -1}}:                           "ivf_config.cells -1",
		{VectorSize: 4, Distance: Cosine, IVF: &IVFConfig{Disabled: true}}:                      `ivf_config: "disabled"`,
		{Vectors: map[string]VectorConfig{"a": {Size: 4, Distance: Euclid, IVF: &IVFConfig{}}}}: `vectors."a".ivf_config`,
	} {
		_, err := db.Create(ctx, "bad", *cfg)
		require.ErrorIs(t, err, ErrBadRequest)
		assert.Contains(t, err.Error(), field)
	}
	c, err := db.Create(ctx, "ok", Config{VectorSize: 4, Distance: Cosine, IVF: &IVFConfig{}})
	require.NoError(t, err)
	for _, s := range []IVFSearch{{Probe: -1}, {Reorder: MaxIVFReorder + 1}} {
		_, err := c.Search(ctx, SearchRequest{Vector: []float32{1, 0, 0, 0}, IVF: s})
		require.ErrorIs(t, err, ErrBadRequest)
		assert.Contains(t, err.Error(), "params.ivf")
	}
}

// Upserts, deletes and searches run together while the index builds and
// rebuilds (run with -race).
func TestPartitionUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	const dim = 16
	c, err := db.Create(ctx, "p", Config{VectorSize: dim, Distance: Cosine, IVF: &IVFConfig{MinPoints: 300}})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for b := range 20 {
				pts := clusteredPoints(rng, w*100000+b*100, 100, dim)
				assert.NoError(t, c.Upsert(ctx, pts))
				_, err := c.Delete(ctx, []pointid.ID{pts[0].ID, pts[1].ID})
				assert.NoError(t, err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(3, 1))
		for range 300 {
			_, err := c.Search(ctx, SearchRequest{Vector: randVec(rng, dim), Limit: 5})
			assert.NoError(t, err)
		}
	}()
	wg.Wait()
	st := waitBuilt(t, c, "", 1)
	info, err := c.Info()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, st.Points, info.Points, fmt.Sprintf("every live point is filed: %+v", st))
}

// UpdateConfig turns the index on after creation; the change survives a
// reopen, and Disabled turns it off.
func TestPartitionByUpdateConfig(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openTest(t, fs)
	const dim = 16
	c, err := db.Create(ctx, "p", Config{VectorSize: dim, Distance: Cosine})
	require.NoError(t, err)
	require.NoError(t, c.Upsert(ctx, clusteredPoints(rand.New(rand.NewPCG(15, 16)), 0, 800, dim)))
	require.NoError(t, c.UpdateConfig(ctx, ConfigUpdate{IVF: &IVFConfig{MinPoints: 200}}))
	waitBuilt(t, c, "", 800)
	require.NoError(t, db.Close())
	db = openTest(t, fs)
	defer db.Close()
	c, err = db.Collection("p")
	require.NoError(t, err)
	waitBuilt(t, c, "", 800)
	require.NoError(t, c.UpdateConfig(ctx, ConfigUpdate{IVF: &IVFConfig{Disabled: true}}))
	info, err := c.Info()
	require.NoError(t, err)
	assert.Nil(t, info.IVF)
	assert.Nil(t, c.Config().IVF)
	err = c.UpdateConfig(ctx, ConfigUpdate{VectorIVF: map[string]IVFConfig{"x": {}}})
	require.ErrorIs(t, err, ErrBadRequest)
}

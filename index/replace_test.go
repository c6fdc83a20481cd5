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

func TestReplaceVectors(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	fs := vfs.NewMem()
	db := openTest(t, fs)
	c, err := db.Create(ctx, "movies", namedConfig)
	require.NoError(t, err)
	m := namedModel{}
	var pts []Point
	for i := range 400 {
		p := randNamedPoint(r, pointid.FromNum(uint64(i)))
		pts, m[p.ID] = append(pts, p), p
	}
	require.NoError(t, c.Upsert(ctx, pts))
	require.NoError(t, c.saveGraph())

	// New cf vectors for the even ids (and one that names no point); the
	// odd ones lose theirs, text vectors stay.
	repl := map[pointid.ID][]float32{pointid.FromNum(9999): randVec(r, 5)}
	for id, p := range m {
		delete(p.Vectors, "cf")
		if n, _ := id.Num(); n%2 == 0 {
			v := randVec(r, 5)
			repl[id], p.Vectors["cf"] = v, v
		}
	}

	// Searches run throughout and never fail.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, err := c.Search(ctx, SearchRequest{Using: "cf", Vector: []float32{1, 0, 0, 0, 0}, Limit: 5})
			require.NoError(t, err)
		}
	})
	n, err := c.ReplaceVectors(ctx, "cf", repl)
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	require.Equal(t, 200, n)
	require.Empty(t, c.checkGraph())
	checkNamedSearch(t, c, r, m)

	// Writes after the replacement, then a crash: the snapshot written
	// with the vectors plus the log replay give the same state.
	p := randNamedPoint(r, pointid.FromNum(1))
	require.NoError(t, c.Upsert(ctx, []Point{p}))
	m[p.ID] = p
	require.NoError(t, c.close(false))
	require.NoError(t, db.store.Close())
	db = openTest(t, fs)
	defer db.Close()
	c, err = db.Collection("movies")
	require.NoError(t, err)
	require.Empty(t, c.checkGraph())
	checkNamedSearch(t, c, r, m)
	for id, p := range m {
		vecs, err := c.Vectors(ctx, "cf", []pointid.ID{id})
		if want, ok := p.Vectors["cf"]; ok {
			require.NoError(t, err)
			require.InDeltaSlice(t, want, vecs[0], 1e-6)
		} else {
			require.ErrorIs(t, err, ErrNotFound, "point %s", id)
		}
	}

	_, err = c.ReplaceVectors(ctx, "cf", map[pointid.ID][]float32{pointid.FromNum(2): {1, 2}})
	require.ErrorIs(t, err, ErrBadRequest)
	_, err = c.ReplaceVectors(ctx, "nope", nil)
	require.ErrorIs(t, err, ErrBadRequest)
}

package hnsw

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSetEfWhileInUse changes ef and ef_construction while inserts and
// searches run (the race detector checks the reads), then checks that
// Options and an export carry the new values.
func TestSetEfWhileInUse(t *testing.T) {
	g, err := New(8, Options{M: 8, EfConstruction: 40, Ef: 20})
	require.NoError(t, err)
	vecs := dataset(7, 400, 8, false)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for _, v := range vecs {
			_, err := g.Insert(v)
			require.NoError(t, err)
		}
	}()
	go func() {
		defer wg.Done()
		for i := range 200 {
			_, err := g.Search(context.Background(), vecs[i%len(vecs)], 5, SearchOptions{})
			require.NoError(t, err)
		}
	}()
	for ef := 10; ef < 60; ef++ {
		require.NoError(t, g.SetEf(ef))
		require.NoError(t, g.SetEfConstruction(ef+1))
	}
	wg.Wait()

	require.Error(t, g.SetEf(0))
	require.Error(t, g.SetEf(MaxEf+1))
	require.Error(t, g.SetEfConstruction(0))
	opts := g.Options()
	require.Equal(t, 59, opts.Ef)
	require.Equal(t, 60, opts.EfConstruction)
	require.Equal(t, 8, opts.M)

	var buf bytes.Buffer
	require.NoError(t, g.Export(&buf))
	back, err := Import(&buf)
	require.NoError(t, err)
	require.Equal(t, opts.Ef, back.Options().Ef)
	require.Equal(t, opts.EfConstruction, back.Options().EfConstruction)
	require.Equal(t, g.Len(), back.Len())
}

package trainer

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/recommend"
	"github.com/quiver-db/quiver/storage"
	"github.com/quiver-db/quiver/userid"
)

// hybridSize is the planted collection's hybrid size: 8 factors, 4 of
// content, 1 of popularity.
const hybridSize = 8 + 4 + 1

func TestTrainBuildsServesAndReloadsTheHybrid(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db, c := plantedCollectionWith(t, fs, 40, 60, map[string]index.VectorConfig{"hybrid": {Size: hybridSize, Distance: index.Dot}})
	cold := pointid.FromNum(1000)
	require.NoError(t, c.Upsert(ctx, []index.Point{{ID: cold, Vectors: map[string][]float32{"content": {1, 0, 0.1, 0}}}}))
	tr := New(nil)
	_, err := tr.Start(c, c, Options{Iterations: 10, Lambda: 0.1, Seed: 1})
	require.NoError(t, err)
	job := wait(t, tr, "m")
	require.Equal(t, Done, job.State, job.Error)
	require.Equal(t, "hybrid", job.Options.Hybrid)
	require.Equal(t, "content", job.Options.Content)
	require.Equal(t, "uniform", job.Options.HybridCentroid, "implicit weights")
	require.GreaterOrEqual(t, job.ColdItems, 1, "point 1000, and any the random interactions missed")
	m, err := tr.Model(ctx, c)
	require.NoError(t, err)
	require.Equal(t, "hybrid", m.Hybrid())
	require.Equal(t, recommend.DotHybridOptions{ContentWeight: 0.25, PopularityWeight: 0.2, RecencyBeta: 20, RecencyHalfLife: 10,
		Centroid: recommend.CentroidOptions{RecencyHalfLife: 20}},
		m.hybrid.Options(), "the defaults, a uniform centroid for implicit weights")
	for i, id := range m.ItemIDs() {
		got, err := c.Vectors(ctx, "hybrid", []pointid.ID{id})
		require.NoError(t, err)
		require.Equal(t, m.hybrid.ItemVector(i), got[0])
	}
	got, err := c.Vectors(ctx, "hybrid", []pointid.ID{cold})
	require.NoError(t, err, "a cold item gets a hybrid vector")
	require.Len(t, got[0], hybridSize)

	vectors := map[userid.ID][]float32{}
	for u := range 6 {
		user := userid.FromNum(uint64(u))
		p, err := tr.Profile(ctx, c, c, user, "hybrid")
		require.NoError(t, err)
		require.Equal(t, FromHybrid, p.Source)
		require.Equal(t, "hybrid", p.Using)
		require.Len(t, p.Vector, hybridSize)
		again, err := tr.Profile(ctx, c, c, user, "hybrid")
		require.NoError(t, err)
		require.Same(t, p, again, "cached")
		var own, other float32
		for i := range 40 {
			iv, err := c.Vectors(ctx, "hybrid", []pointid.ID{pointid.FromNum(uint64(i))})
			require.NoError(t, err)
			if i%2 == u%2 {
				own += dot(p.Vector, iv[0])
			} else {
				other += dot(p.Vector, iv[0])
			}
		}
		require.Greater(t, own, other, "user %d", u)

		target := pointid.FromNum(uint64(10 + u%2))
		ex, err := p.Explain(ctx, c, []pointid.ID{target, pointid.FromNum(999)}, len(p.Seen))
		require.NoError(t, err)
		require.Len(t, ex[0], len(p.Seen))
		require.Empty(t, ex[1], "a point the model has not seen")
		tv, _ := c.Vectors(ctx, "hybrid", []pointid.ID{target})
		var sum float32
		for _, x := range ex[0] {
			sum += x.Contribution
		}
		require.InDelta(t, dot(p.Vector, tv[0])-tv[0][hybridSize-1], sum, 1e-4, "shares sum to the score less popularity")
		vectors[user] = p.Vector
	}
	cf, err := tr.Profile(ctx, c, c, userid.FromNum(0), "")
	require.NoError(t, err)
	require.Equal(t, FromModel, cf.Source, "cf stays the default")

	// As if a crash had come between saving the model and writing the
	// vectors: the reload repairs them, and folds in the same.
	stale := map[pointid.ID][]float32{}
	for _, id := range m.ItemIDs() {
		stale[id] = make([]float32, hybridSize)
	}
	_, err = c.ReplaceVectors(ctx, "hybrid", stale)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	db, err = index.Open(ctx, "data", index.Options{Storage: storage.Options{FS: fs}})
	require.NoError(t, err)
	defer db.Close()
	c, err = db.Collection("m")
	require.NoError(t, err)
	tr = New(nil)
	loaded, err := tr.Model(ctx, c)
	require.NoError(t, err)
	for i, id := range loaded.ItemIDs() {
		got, err := c.Vectors(ctx, "hybrid", []pointid.ID{id})
		require.NoError(t, err)
		require.Equal(t, loaded.hybrid.ItemVector(i), got[0], "repaired")
		require.Equal(t, m.hybrid.ItemVector(i), got[0], "the same model")
	}
	for user, want := range vectors {
		p, err := tr.Profile(ctx, c, c, user, "hybrid")
		require.NoError(t, err)
		require.Equal(t, want, p.Vector)
	}
}

func TestHybridOptionsFitTheCollection(t *testing.T) {
	for _, tc := range []struct {
		name    string
		vectors map[string]index.VectorConfig
		opts    Options
		want    string // the job's hybrid, or "error"
	}{
		{"none", nil, Options{}, ""},
		{"default too small", map[string]index.VectorConfig{"hybrid": {Size: 12, Distance: index.Dot}}, Options{}, ""},
		{"default not dot", map[string]index.VectorConfig{"hybrid": {Size: hybridSize, Distance: index.Cosine}}, Options{}, ""},
		{"named", map[string]index.VectorConfig{"blend": {Size: hybridSize, Distance: index.Dot}}, Options{Hybrid: "blend"}, "blend"},
		{"named too small", map[string]index.VectorConfig{"blend": {Size: 12, Distance: index.Dot}}, Options{Hybrid: "blend"}, "error"},
		{"named missing", nil, Options{Hybrid: "blend"}, "error"},
		{"named cf", nil, Options{Hybrid: "cf"}, "error"},
		{"content is the hybrid", map[string]index.VectorConfig{"hybrid": {Size: hybridSize, Distance: index.Dot}}, Options{Content: "hybrid"}, "error"},
		{"bad centroid", nil, Options{HybridCentroid: "mean"}, "error"},
		{"bad centroid half-life", nil, Options{HybridCentroidHalfLife: 2e6}, "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, c := plantedCollectionWith(t, vfs.NewMem(), 10, 4, tc.vectors)
			defer db.Close()
			tr := New(nil)
			job, err := tr.Start(c, c, tc.opts)
			if tc.want == "error" {
				require.ErrorIs(t, err, index.ErrBadRequest)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, job.Options.Hybrid)
			require.Equal(t, "content", job.Options.Content)
			wait(t, tr, "m")
		})
	}
}

// A saved model with a hybrid fails to load from any cut, and a version 2
// model (no hybrid section) still loads.
func TestLoadModelChecksTheHybridSection(t *testing.T) {
	db, c := plantedCollectionWith(t, vfs.NewMem(), 20, 10, map[string]index.VectorConfig{"hybrid": {Size: hybridSize, Distance: index.Dot}})
	defer db.Close()
	tr := New(nil)
	_, err := tr.Start(c, c, Options{Iterations: 2, Seed: 1})
	require.NoError(t, err)
	require.Equal(t, Done, wait(t, tr, "m").State)
	m, err := tr.Model(context.Background(), c)
	require.NoError(t, err)
	b, err := m.MarshalBinary()
	require.NoError(t, err)
	back, err := loadModel(b)
	require.NoError(t, err)
	require.Equal(t, m.hybrid.ItemVector(3), back.hybrid.ItemVector(3))
	for n := 0; n < len(b); n += 1 + n/50 {
		_, err := loadModel(b[:n])
		require.Error(t, err, "cut at %d of %d", n, len(b))
	}

	plain := *m
	plain.hybrid, plain.hybridVector = nil, ""
	b, err = plain.MarshalBinary()
	require.NoError(t, err)
	at := bytes.Index(b, []byte("QIAL"))
	require.Equal(t, make([]byte, 6), b[at-6:at], "an empty hybrid section")
	v2 := append(append([]byte{}, b[:at-6]...), b[at:]...)
	binary.LittleEndian.PutUint32(v2[4:], 2)
	old, err := loadModel(v2)
	require.NoError(t, err)
	require.Nil(t, old.hybrid)
	require.Equal(t, m.Items(), old.Items())
}

func TestLooksLikeRatings(t *testing.T) {
	events := func(ws ...float32) []recommend.Interaction {
		out := make([]recommend.Interaction, len(ws))
		for k, w := range ws {
			out[k].Weight = w
		}
		return out
	}
	require.True(t, looksLikeRatings(events(0.5, 4, 5)), "half stars")
	require.False(t, looksLikeRatings(events(1, 1, 1)), "implicit")
	require.False(t, looksLikeRatings(events(1, 7)), "counts")
	require.False(t, looksLikeRatings(events(-1, 1)), "dislikes")
	require.False(t, looksLikeRatings(nil))
}

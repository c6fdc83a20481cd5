package trainer

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/storage"
	"github.com/quiver-db/quiver/userid"
)

// plantedCollection makes a collection with content and cf vectors, items
// 0..items-1 (content pointing at their parity's axis) and users who each
// interact with four items of their own parity.
func plantedCollection(t *testing.T, fs vfs.FS, items, users int) (*index.DB, *index.Collection) {
	return plantedCollectionWith(t, fs, items, users, nil)
}

// plantedCollectionWith is plantedCollection with more named vectors.
func plantedCollectionWith(t *testing.T, fs vfs.FS, items, users int, more map[string]index.VectorConfig) (*index.DB, *index.Collection) {
	ctx := context.Background()
	db, err := index.Open(ctx, "data", index.Options{Storage: storage.Options{FS: fs}})
	require.NoError(t, err)
	vecs := map[string]index.VectorConfig{"content": {Size: 4, Distance: index.Cosine}, "cf": {Size: 8, Distance: index.Dot}}
	maps.Copy(vecs, more)
	c, err := db.Create(ctx, "m", index.Config{Vectors: vecs})
	require.NoError(t, err)
	var pts []index.Point
	for i := range items {
		g := float32(i % 2)
		pts = append(pts, index.Point{ID: pointid.FromNum(uint64(i)), Vectors: map[string][]float32{"content": {1 - g, g, 0.1, float32(i%5) / 10}}})
	}
	require.NoError(t, c.Upsert(ctx, pts))
	var its []index.Interaction
	r := testseed.New(t)
	for u := range users {
		for k, j := range r.Perm(items / 2)[:4] {
			item := 2*j + u%2
			its = append(its, index.Interaction{User: userid.FromNum(uint64(u)), Item: pointid.FromNum(uint64(item)), Time: time.Unix(int64(1000+k), 0)})
		}
	}
	require.NoError(t, c.Interact(ctx, its))
	return db, c
}

func TestTrainWritesItemVectorsAndFoldsInUsers(t *testing.T) {
	ctx := context.Background()
	db, c := plantedCollection(t, vfs.NewMem(), 40, 60)
	defer db.Close()
	tr := New(nil)
	_, err := tr.Start(c, c, Options{Iterations: 10, Lambda: 0.1, Seed: 1})
	require.NoError(t, err)
	job := wait(t, tr, "m")
	require.Equal(t, Done, job.State, job.Error)
	m, err := tr.Model(ctx, c)
	require.NoError(t, err)
	for _, id := range m.ItemIDs() {
		got, err := c.Vectors(ctx, "cf", []pointid.ID{id})
		require.NoError(t, err)
		want, _ := m.ItemVector(id)
		require.Equal(t, want, got[0])
	}
	for u := range 6 {
		p, err := tr.Profile(ctx, c, c, userid.FromNum(uint64(u)), "")
		require.NoError(t, err)
		require.Equal(t, FromModel, p.Source)
		var own, other float32
		for i := range 40 {
			iv, ok := m.ItemVector(pointid.FromNum(uint64(i)))
			if !ok {
				continue // nobody drew it
			}
			if i%2 == u%2 {
				own += dot(p.Vector, iv)
			} else {
				other += dot(p.Vector, iv)
			}
		}
		require.Greater(t, own, other, fmt.Sprintf("user %d", u))
	}
}

// TestProfileFollowsEveryInteraction checks the profile cache: the same
// profile while nothing changes, a new one after each interaction, and
// the new user's first interaction giving them a vector.
func TestProfileFollowsEveryInteraction(t *testing.T) {
	ctx := context.Background()
	db, c := plantedCollection(t, vfs.NewMem(), 40, 60)
	defer db.Close()
	tr := New(nil)
	_, err := tr.Start(c, c, Options{Iterations: 5, Lambda: 5, Seed: 1})
	require.NoError(t, err)
	require.Equal(t, Done, wait(t, tr, "m").State)

	newcomer := userid.FromNum(1000)
	p0, err := tr.Profile(ctx, c, c, newcomer, "")
	require.NoError(t, err)
	require.Nil(t, p0.Vector, "no history, no vector")
	var last []float32
	for k := range 3 {
		require.NoError(t, c.Interact(ctx, []index.Interaction{{User: newcomer, Item: pointid.FromNum(uint64(2 * k))}}))
		p, err := tr.Profile(ctx, c, c, newcomer, "")
		require.NoError(t, err)
		require.Equal(t, FromModel, p.Source)
		require.Len(t, p.Seen, k+1)
		require.NotEqual(t, last, p.Vector)
		again, err := tr.Profile(ctx, c, c, newcomer, "")
		require.NoError(t, err)
		require.Same(t, p, again, "unchanged history: the cached profile")
		require.Len(t, p.Vector, 8)
		last = p.Vector
	}
	require.NoError(t, tr.ForgetUser(ctx, c, newcomer))
	p, err := tr.Profile(ctx, c, c, newcomer, "")
	require.NoError(t, err)
	require.Nil(t, p.Vector)
	require.Empty(t, p.Seen)
}

// TestForgottenUserLeavesNoTraceAfterRestart: after ForgetUser and a
// restart, the user has no interactions, no row in the saved model (iALS
// and rating biases) and no vector.
func TestForgottenUserLeavesNoTraceAfterRestart(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db, c := plantedCollection(t, fs, 40, 30)
	tr := New(nil)
	_, err := tr.Start(c, c, Options{Iterations: 3, Lambda: 5, Seed: 1})
	require.NoError(t, err)
	require.Equal(t, Done, wait(t, tr, "m").State)
	gone, kept := userid.FromNum(7), userid.FromNum(8)
	m, err := tr.Model(ctx, c)
	require.NoError(t, err)
	keptVec, ok := m.UserVector(kept)
	require.True(t, ok)
	require.NoError(t, tr.ForgetUser(ctx, c, gone))
	require.NoError(t, db.Close())

	db, err = index.Open(ctx, "data", index.Options{Storage: storage.Options{FS: fs}})
	require.NoError(t, err)
	defer db.Close()
	c, err = db.Collection("m")
	require.NoError(t, err)
	tr = New(nil)
	m, err = tr.Model(ctx, c)
	require.NoError(t, err)
	_, ok = m.UserVector(gone)
	require.False(t, ok, "the saved model lost the user's row")
	require.Equal(t, 29, m.Users())
	require.Equal(t, 29, m.ratings.Users())
	v, ok := m.UserVector(kept)
	require.True(t, ok)
	require.Equal(t, keptVec, v, "the other users keep theirs")
	page, err := c.UserInteractions(ctx, gone, nil, 0)
	require.NoError(t, err)
	require.Empty(t, page.Interactions)
	p, err := tr.Profile(ctx, c, c, gone, "")
	require.NoError(t, err)
	require.Nil(t, p.Vector)
	n := 0
	require.NoError(t, c.ScanInteractions(ctx, func(it index.Interaction) error {
		require.NotEqual(t, gone, it.User)
		n++
		return nil
	}))
	require.Equal(t, 29*4, n)
}

package trainer

import (
	"context"
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

func wait(t *testing.T, tr *Trainer, collection string) Job {
	t.Helper()
	var job Job
	require.Eventually(t, func() bool {
		job, _ = tr.Status(collection)
		return job.State != Running
	}, 30*time.Second, 10*time.Millisecond)
	return job
}

// TestTrainRecoversGroupsAndSurvivesRestart plants two groups of users
// who each interact with their own half of the items: the trained user
// vectors must score their group's unseen items above the other half's.
func TestTrainRecoversGroupsAndSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	fs := vfs.NewMem()
	opts := index.Options{Storage: storage.Options{FS: fs}}
	db, err := index.Open(ctx, "data", opts)
	require.NoError(t, err)
	c, err := db.Create(ctx, "m", index.Config{VectorSize: 2, Distance: index.Dot})
	require.NoError(t, err)
	const items = 40
	var pts []index.Point
	for i := range items {
		pts = append(pts, index.Point{ID: pointid.FromNum(uint64(i)), Vector: []float32{1, 0}})
	}
	require.NoError(t, c.Upsert(ctx, pts))
	var its []index.Interaction
	for u := range 60 {
		group := u % 2
		for range 8 {
			item := 2*r.IntN(items/2) + group // even items for group 0, odd for 1
			its = append(its, index.Interaction{User: userid.FromNum(uint64(u)), Item: pointid.FromNum(uint64(item))})
		}
	}
	require.NoError(t, c.Interact(ctx, its))

	tr := New(nil)
	_, err = tr.Start(c, c, Options{Factors: 8, Iterations: 10, Lambda: 0.1, Seed: 1})
	require.NoError(t, err)
	job := wait(t, tr, "m")
	require.Equal(t, Done, job.State, job.Error)
	require.Len(t, job.Epochs, 10)
	require.Equal(t, 60, job.Users)
	model, err := tr.Model(ctx, c)
	require.NoError(t, err)

	wins := 0
	for u := range 60 {
		uv, ok := model.UserVector(userid.FromNum(uint64(u)))
		require.True(t, ok)
		var own, other float32
		for i := range items {
			iv, ok := model.ItemVector(pointid.FromNum(uint64(i)))
			if !ok {
				continue
			}
			if i%2 == u%2 {
				own += dot(uv, iv)
			} else {
				other += dot(uv, iv)
			}
		}
		if own > other {
			wins++
		}
	}
	require.Equal(t, 60, wins, "every user prefers their group's items")

	// The saved model comes back after a restart, folding in the same.
	items0, w0, t0 := []pointid.ID{pointid.FromNum(0), pointid.FromNum(2)}, []float32{1, 1}, []int64{5, 6}
	before, known, err := model.FoldIn(items0, w0, t0)
	require.NoError(t, err)
	require.True(t, known)
	require.NoError(t, db.Close())
	db, err = index.Open(ctx, "data", opts)
	require.NoError(t, err)
	defer db.Close()
	c, err = db.Collection("m")
	require.NoError(t, err)
	loaded, err := New(nil).Model(ctx, c)
	require.NoError(t, err)
	after, _, err := loaded.FoldIn(items0, w0, t0)
	require.NoError(t, err)
	require.InDeltaSlice(t, before, after, 1e-6)
	contrib, err := loaded.Explain(items0, w0, t0, []pointid.ID{pointid.FromNum(4), pointid.FromNum(999)}, 2)
	require.NoError(t, err)
	require.Len(t, contrib[0], 2)
	require.Empty(t, contrib[1], "a point the model has not seen has no explanation")
	require.InDelta(t, dot(after, must(loaded.ItemVector(pointid.FromNum(4)))), contrib[0][0].Contribution+contrib[0][1].Contribution, 1e-4)
}

func must(v []float32, ok bool) []float32 {
	if !ok {
		panic("missing")
	}
	return v
}

func TestStartRefusesBadOptionsEmptyDataAndASecondJob(t *testing.T) {
	ctx := context.Background()
	db, err := index.Open(ctx, "data", index.Options{Storage: storage.Options{FS: vfs.NewMem()}})
	require.NoError(t, err)
	defer db.Close()
	c, err := db.Create(ctx, "m", index.Config{VectorSize: 2, Distance: index.Dot})
	require.NoError(t, err)
	tr := New(nil)
	_, err = tr.Start(c, c, Options{Factors: 10000})
	require.ErrorIs(t, err, index.ErrBadRequest)
	_, err = tr.Start(c, c, Options{})
	require.NoError(t, err)
	job := wait(t, tr, "m")
	require.Equal(t, Failed, job.State)
	require.Contains(t, job.Error, "no interactions")
	_, err = tr.Model(ctx, c)
	require.ErrorIs(t, err, index.ErrNotFound)

	tr.running.Store(true) // as if a training ran
	_, err = tr.Start(c, c, Options{})
	require.ErrorIs(t, err, ErrBusy)
}

func TestLoadModelRefusesCraftedCounts(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("QTRM\x01\x00\x00\x00\xff\xff\xff\x7f"), []byte("nope")} {
		_, err := loadModel(b)
		require.Error(t, err)
	}
}

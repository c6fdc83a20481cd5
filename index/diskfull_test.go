package index

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/storage"
	"github.com/stretchr/testify/require"
)

// diskPrompt bounds how long a write refused on a full disk may take; the
// writes run with a far longer deadline.
const diskPrompt = 3 * time.Second

// TestDiskFullWrites fills the disk under a collection: sstable writes
// fail with ENOSPC (errorfs), so Pebble's flushes fail. Upserts must then
// fail promptly with ErrNoSpace, leave no id locked (a read of another id,
// and a write and a delete of the same ids answer at once), and once the
// disk takes writes again upserts succeed and every acknowledged point
// reads back after a reopen.
func TestDiskFullWrites(t *testing.T) {
	seed := testseed.Seed(t)
	r := testseed.Stream(seed, 0)
	mem := vfs.NewMem()
	// A 32 MiB disk, plenty of it free: Pebble gets small memtables, so a
	// few hundred points fill one and start a flush.
	mem.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: 30 << 20, UsedBytes: 2 << 20, TotalBytes: 32 << 20})
	full := &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
		if op.Kind.ReadOrWrite() == errorfs.OpIsWrite && op.Kind != errorfs.OpRemove && strings.HasSuffix(op.Path, ".sst") {
			return &os.PathError{Op: "write", Path: op.Path, Err: syscall.ENOSPC}
		}
		return nil
	})}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := Options{Logger: quiet, Storage: storage.Options{FS: errorfs.Wrap(mem, full), Logger: quiet, DiskCheckInterval: 10 * time.Millisecond}}
	ctx := context.Background()
	db, err := Open(ctx, "data", opts)
	require.NoError(t, err)
	c, err := db.Create(ctx, "c", Config{VectorSize: 8, Distance: Euclid})
	require.NoError(t, err)

	acked := map[uint64]string{}
	next := uint64(0)
	upsert := func(ids []uint64) (time.Duration, error) {
		pts := make([]Point, len(ids))
		pads := make([]string, len(ids))
		for i, id := range ids {
			pad := make([]byte, 2000) // random: compression keeps its size
			for j := range pad {
				pad[j] = 'a' + byte(r.IntN(26))
			}
			pads[i] = string(pad)
			pts[i] = Point{ID: pointid.FromNum(id), Vector: randVec(r, 8), Payload: map[string]any{"pad": pads[i]}}
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		start := time.Now()
		if err := c.Upsert(wctx, pts); err != nil {
			return time.Since(start), err
		}
		for i, id := range ids {
			acked[id] = pads[i]
		}
		return time.Since(start), nil
	}
	batch := func() []uint64 {
		first := next
		next += 20
		ids := make([]uint64, 0, 20)
		for id := first; id < next; id++ {
			ids = append(ids, id)
		}
		return ids
	}
	for range 3 {
		_, err := upsert(batch())
		require.NoError(t, err)
	}

	full.On()
	var failed []uint64
	for try := 0; failed == nil; try++ {
		require.Less(t, try, 500, "upserts still taken while every flush fails")
		ids := batch()
		took, err := upsert(ids)
		require.Less(t, took, diskPrompt, "upsert took %v", took)
		if err != nil {
			require.ErrorIs(t, err, ErrNoSpace)
			failed = ids
		}
	}
	t.Logf("refused after %d acknowledged points", len(acked))

	// Nothing is left locked: another id reads, the same ids write and
	// delete, all at once.
	start := time.Now()
	recs, err := c.Get(ctx, []pointid.ID{pointid.FromNum(0)}, ReadOptions{WithPayload: true})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	_, err = c.Search(ctx, SearchRequest{Vector: randVec(r, 8), Limit: 3})
	require.NoError(t, err)
	took, err := upsert(failed)
	require.ErrorIs(t, err, ErrNoSpace)
	require.Less(t, took, diskPrompt)
	_, err = c.Delete(ctx, []pointid.ID{pointid.FromNum(0)})
	require.ErrorIs(t, err, ErrNoSpace)
	_, err = db.Create(ctx, "other", Config{VectorSize: 8, Distance: Euclid})
	require.ErrorIs(t, err, ErrNoSpace)
	require.Less(t, time.Since(start), diskPrompt)
	n, err := c.Count(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, len(acked), n, "a refused write leaves nothing behind")

	full.Off()
	require.Eventually(t, func() bool {
		_, err := upsert(failed)
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "upserts not taken again once the disk has room")
	_, err = c.Delete(ctx, []pointid.ID{pointid.FromNum(0)})
	require.NoError(t, err)
	delete(acked, 0)
	require.NoError(t, db.Close())

	db, err = Open(ctx, "data", Options{Logger: quiet, Storage: storage.Options{FS: mem, Logger: quiet}})
	require.NoError(t, err)
	defer db.Close()
	c, err = db.Collection("c")
	require.NoError(t, err)
	n, err = c.Count(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, len(acked), n)
	for id, pad := range acked {
		recs, err := c.Get(ctx, []pointid.ID{pointid.FromNum(id)}, ReadOptions{WithPayload: true})
		require.NoError(t, err)
		require.Len(t, recs, 1, "point %d", id)
		require.Equal(t, pad, recs[0].Payload["pad"], "point %d", id)
	}
}

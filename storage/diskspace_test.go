package storage

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/quiver-db/quiver/pointid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prompt bounds how long a refused write may take to answer; the writes
// run with a far longer deadline, so a hang fails the bound, not the
// deadline.
const prompt = 2 * time.Second

// diskTest is a store on an in-memory file system with the writes it
// acknowledged.
type diskTest struct {
	t     *testing.T
	mem   *vfs.MemFS
	s     *Store
	c     *Collection
	seq   uint64
	acked map[uint64]string // id → payload
}

func newDiskTest(t *testing.T, mem *vfs.MemFS, fs vfs.FS, opts Options) *diskTest {
	opts.FS = fs
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.DiskCheckInterval = 10 * time.Millisecond
	s, err := Open("db", opts)
	require.NoError(t, err)
	c, err := s.CreateCollection("c", nil)
	require.NoError(t, err)
	return &diskTest{t: t, mem: mem, s: s, c: c, acked: map[uint64]string{}}
}

// upsert writes id with a payload of size bytes and reports how long the
// write took; an acknowledged write is recorded.
func (d *diskTest) upsert(id uint64, size int) (time.Duration, error) {
	d.seq++
	pad := make([]byte, size) // random, so that compression keeps its size
	for i := range pad {
		pad[i] = 'a' + byte(rand.IntN(26))
	}
	payload := fmt.Sprintf(`{"id":%d,"pad":%q}`, id, pad)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	err := d.c.Write(ctx, []Op{{Seq: d.seq, Kind: OpUpsert, ID: pointid.FromNum(id), Node: uint32(id), Payload: []byte(payload)}})
	if err == nil {
		d.acked[id] = payload
	}
	return time.Since(start), err
}

// refused asserts that a write of id fails promptly with ErrNoSpace.
func (d *diskTest) refused(id uint64) {
	d.t.Helper()
	took, err := d.upsert(id, 100)
	require.ErrorIs(d.t, err, ErrNoSpace)
	require.Less(d.t, took, prompt, "refused write took %v", took)
	require.NotContains(d.t, d.acked, id)
}

// accepted waits until a write of id succeeds again.
func (d *diskTest) accepted(id uint64) {
	d.t.Helper()
	require.Eventually(d.t, func() bool {
		_, err := d.upsert(id, 100)
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "writes not taken again")
}

// check asserts that every acknowledged write reads back from s.
func (d *diskTest) check(s *Store) {
	d.t.Helper()
	_, cols, err := s.Collections()
	require.NoError(d.t, err)
	require.Len(d.t, cols, 1)
	for id, want := range d.acked {
		node, err := cols[0].Node(pointid.FromNum(id))
		require.NoError(d.t, err, "id %d", id)
		got, err := cols[0].Payload(node)
		require.NoError(d.t, err, "id %d", id)
		require.JSONEq(d.t, want, string(got), "id %d", id)
	}
}

// reopen closes the store and checks the acknowledged writes in a fresh
// one on the same memory.
func (d *diskTest) reopen() {
	d.t.Helper()
	require.NoError(d.t, d.s.Close())
	s, err := Open("db", Options{FS: d.mem, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(d.t, err)
	defer s.Close()
	d.check(s)
}

func usage(avail, total uint64) vfs.DiskUsage {
	return vfs.DiskUsage{AvailBytes: avail, TotalBytes: total, UsedBytes: total - avail}
}

func enospc(op errorfs.Op) error {
	return &os.PathError{Op: "write", Path: op.Path, Err: syscall.ENOSPC}
}

// isDataWrite reports whether op writes file data (not a remove, rename or
// directory change, which free or keep space).
func isDataWrite(op errorfs.Op) bool {
	switch op.Kind {
	case errorfs.OpCreate, errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFilePreallocate,
		errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo, errorfs.OpFileFlush:
		return true
	}
	return false
}

// TestDiskReserveRefusesWrites fills the disk below the reserve: writes
// fail at once with ErrNoSpace while reads go on, and are taken again once
// space returns, with nothing lost.
func TestDiskReserveRefusesWrites(t *testing.T) {
	mem := vfs.NewMem()
	mem.TestingSetDiskUsage(usage(900<<20, 1<<30))
	d := newDiskTest(t, mem, mem, Options{DiskReserveBytes: 100 << 20, BallastBytes: 1 << 20})
	for id := range uint64(20) {
		_, err := d.upsert(id, 1000)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		st, err := mem.Stat("db/" + ballastName)
		return err == nil && st.Size() == 1<<20
	}, 5*time.Second, 10*time.Millisecond, "ballast laid")

	mem.TestingSetDiskUsage(usage(99<<20, 1<<30))
	time.Sleep(2 * statEvery) // the last reading goes stale
	d.refused(100)
	d.refused(100) // the same id again: nothing was left locked or half done
	d.check(d.s)   // reads go on

	_, err := d.s.CreateCollection("other", nil)
	require.ErrorIs(t, err, ErrNoSpace, "catalog writes are held to the reserve too")
	require.NoError(t, d.s.DropCollection(d.c), "a drop frees space and is not held to the reserve")
	d.c, err = d.s.CreateCollection("c", nil)
	require.ErrorIs(t, err, ErrNoSpace)

	mem.TestingSetDiskUsage(usage(500<<20, 1<<30))
	require.Eventually(t, func() bool {
		d.c, err = d.s.CreateCollection("c", nil)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	clear(d.acked)
	d.accepted(100)
	d.reopen()
}

// TestDiskReserveBigWrite refuses a write that would cross the reserve
// without refusing the small ones that fit.
func TestDiskReserveBigWrite(t *testing.T) {
	mem := vfs.NewMem()
	mem.TestingSetDiskUsage(usage(110<<20, 1<<30))
	d := newDiskTest(t, mem, mem, Options{DiskReserveBytes: 100 << 20, BallastBytes: -1})
	_, err := d.upsert(1, 6<<20)
	require.ErrorIs(t, err, ErrNoSpace)
	require.ErrorContains(t, err, "does not fit")
	_, err = d.upsert(2, 1000)
	require.NoError(t, err)
	d.reopen()
}

// TestFlushENOSPC makes every sstable write fail with ENOSPC, as on a disk
// that filled, so that Pebble's flush fails and retries without end:
// writes must then fail promptly instead of queueing behind the flush,
// reads go on, and once the disk takes writes again so does the store.
func TestFlushENOSPC(t *testing.T) {
	mem := vfs.NewMem()
	full := &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
		if isDataWrite(op) && strings.HasSuffix(op.Path, ".sst") {
			return enospc(op)
		}
		return nil
	})}
	d := newDiskTest(t, mem, errorfs.Wrap(mem, full), Options{})
	for id := range uint64(50) {
		_, err := d.upsert(id, 1000)
		require.NoError(t, err)
	}
	full.On()
	flushed, err := d.s.db.AsyncFlush()
	require.NoError(t, err)
	next := uint64(1000)
	require.Eventually(t, func() bool {
		next++
		took, err := d.upsert(next, 100)
		require.Less(t, took, prompt)
		return err != nil
	}, 10*time.Second, time.Millisecond, "writes still taken while flushes fail")
	d.refused(next)
	d.refused(next)
	d.check(d.s)
	select {
	case <-flushed:
		t.Fatal("flush finished while every sstable write fails")
	default:
	}

	full.Off()
	<-flushed
	d.accepted(next)
	d.reopen()
}

// TestWALENOSPCReleasesBallast fills the disk under a write in flight, as
// another program might: the WAL write hits ENOSPC, the ballast goes, the
// write is retried and succeeds, and later writes are refused until space
// returns; then the ballast is laid again.
func TestWALENOSPCReleasesBallast(t *testing.T) {
	mem := vfs.NewMem()
	mem.TestingSetDiskUsage(usage(900<<20, 1<<30))
	ballastPath := "db/" + ballastName
	var full atomic.Bool
	// The disk is full while the ballast holds its space.
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !full.Load() || !isDataWrite(op) || !strings.HasSuffix(op.Path, ".log") {
			return nil
		}
		if _, err := mem.Stat(ballastPath); err != nil {
			return nil
		}
		mem.TestingSetDiskUsage(usage(1<<20, 1<<30))
		return enospc(op)
	})
	d := newDiskTest(t, mem, errorfs.Wrap(mem, inj), Options{DiskReserveBytes: 10 << 20, BallastBytes: 4 << 20})
	_, err := d.upsert(1, 1000)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := mem.Stat(ballastPath)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "ballast laid")

	full.Store(true)
	took, err := d.upsert(2, 1000)
	require.NoError(t, err, "the write in flight finishes in the ballast's space")
	require.Less(t, took, prompt)
	_, err = mem.Stat(ballastPath)
	require.ErrorIs(t, err, os.ErrNotExist, "ballast deleted")
	d.refused(3)
	d.check(d.s)

	full.Store(false)
	mem.TestingSetDiskUsage(usage(900<<20, 1<<30))
	d.accepted(3)
	require.Eventually(t, func() bool {
		_, err := mem.Stat(ballastPath)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "ballast laid again")
	d.reopen()
}

// TestWriteStallHonoursContext holds a write back while Pebble stalls
// writes and lets its deadline end the wait.
func TestWriteStallHonoursContext(t *testing.T) {
	mem := vfs.NewMem()
	d := newDiskTest(t, mem, mem, Options{})
	d.s.guard.setStalled(true)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := d.c.Write(ctx, []Op{{Seq: 1, Kind: OpUpsert, ID: pointid.FromNum(1), Node: 1}})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), prompt)

	done := make(chan error, 1)
	go func() {
		done <- d.c.Write(context.Background(), []Op{{Seq: 2, Kind: OpUpsert, ID: pointid.FromNum(2), Node: 2}})
	}()
	time.Sleep(20 * time.Millisecond)
	d.s.guard.setStalled(false)
	require.NoError(t, <-done, "a waiting write goes on when the stall ends")
	require.NoError(t, d.s.Close())
}

func TestDefaultReserve(t *testing.T) {
	for _, tc := range []struct{ total, memTable, want uint64 }{
		{20 << 20, 256 << 10, 5 << 20},
		{1 << 30, 4 << 20, 64 << 20},
		{10 << 30, 4 << 20, 512 << 20},
		{1 << 40, 4 << 20, 1 << 30},
		{4 << 20, 256 << 10, 3*(256<<10) + 1<<20},
	} {
		assert.Equal(t, tc.want, defaultReserve(tc.total, tc.memTable), "total %d", tc.total)
	}
}

// TestWALSyncEIO fails a WAL sync with EIO, which Pebble treats as fatal:
// the write and every later one fail promptly with ErrFailed, the process
// lives on, and reads go on.
func TestWALSyncEIO(t *testing.T) {
	mem := vfs.NewMem()
	broken := &errorfs.Toggle{Injector: errorfs.InjectorFunc(func(op errorfs.Op) error {
		switch op.Kind {
		case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
			if strings.HasSuffix(op.Path, ".log") {
				return &os.PathError{Op: "sync", Path: op.Path, Err: syscall.EIO}
			}
		}
		return nil
	})}
	d := newDiskTest(t, mem, errorfs.Wrap(mem, broken), Options{})
	for id := range uint64(10) {
		_, err := d.upsert(id, 100)
		require.NoError(t, err)
	}
	broken.On()
	for id := uint64(100); id < 103; id++ {
		took, err := d.upsert(id, 100)
		require.ErrorIs(t, err, ErrFailed)
		require.ErrorContains(t, err, "restart")
		require.Less(t, took, prompt)
	}
	require.ErrorIs(t, d.c.Writable(), ErrFailed)
	d.check(d.s)
	closed := make(chan error, 1)
	go func() { closed <- d.s.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs after a fatal error")
	}
	broken.Off()
	s, err := Open("db", Options{FS: mem, Logger: d.s.log})
	require.NoError(t, err, "a restart opens the store")
	defer s.Close()
	d.check(s)
}

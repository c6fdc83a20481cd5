package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Bounds of Pebble's memtable size, which is set from the disk's size:
// Pebble keeps up to four WAL files preallocated to 1.1 memtables each
// (the two memtables MemTableStopWritesThreshold allows, the next, and a
// recycled one), so 4 MiB memtables would take 18 MiB of a 20 MiB disk.
const (
	maxMemTable = 4 << 20
	minMemTable = 256 << 10
)

// Bounds of the default disk reserve and ballast (Options).
const (
	maxReserve = 1 << 30
	maxBallast = 1 << 30
)

// memTableFor returns the memtable size for the disk holding dir: 1/128
// of it within [minMemTable, maxMemTable], the largest when its size is
// unknown.
func memTableFor(fs vfs.FS, dir string) uint64 {
	u, err := fs.GetDiskUsage(dir)
	if err != nil {
		u, err = fs.GetDiskUsage(fs.PathDir(dir))
	}
	if err != nil || u.TotalBytes == 0 {
		return maxMemTable
	}
	return min(max(u.TotalBytes/128, minMemTable), maxMemTable)
}

// statEvery is how long a free-space reading stays fresh for admission;
// in between, admitted bytes are charged against it.
const statEvery = 100 * time.Millisecond

// diskGuard keeps writes from filling the data disk (see doc.go, "Disk
// space"). It admits a batch only while the disk has more free space than
// the reserve, refuses writes once Pebble has hit ENOSPC, holds new writes
// back (within their context) while Pebble stalls them, and lets writes in
// again when space returns. It is safe for concurrent use.
type diskGuard struct {
	log      *slog.Logger
	fs       vfs.FS // the file system under OnDiskFull's wrapper
	outer    vfs.FS // the wrapped one Pebble writes through (for the probe)
	dir      string
	reserve  int64 // <0: no free-space check; 0: resolved at the first reading
	memTable uint64
	interval time.Duration
	ballast  ballast

	mu struct {
		sync.Mutex
		// refused says why writes are refused; "" while they are accepted.
		// gen counts the refusals, so a recheck clears only the one it saw.
		refused string
		gen     uint64
		// enospc is set when a write hit ENOSPC, until space returns.
		// strikes counts the ENOSPCs since writes last ran a minute
		// without one: each doubles the free space that must return
		// before writes are taken again, since the reserve proved too
		// small for what Pebble had to write (a compaction of a small
		// store can rewrite all of it). accepted is when writes were
		// last taken again.
		enospc   bool
		strikes  int
		accepted time.Time
		// flushFailing is set while Pebble's last flush failed for want
		// of space: until one succeeds, the memtables cannot drain.
		flushFailing bool
		// stalled is set between Pebble's WriteStallBegin and End.
		stalled bool
		// changed is closed and replaced whenever refused or stalled
		// change, waking the writes that wait out a stall.
		changed chan struct{}
		// statOK says the file system reports its usage; free and total
		// are its last reading, at checked, and charged counts the bytes
		// admitted since.
		statOK      bool
		free, total uint64
		checked     time.Time
		charged     uint64
	}
	stop chan struct{}
	done chan struct{}
}

func newDiskGuard(log *slog.Logger, fs vfs.FS, dir string, opts Options) *diskGuard {
	g := &diskGuard{log: log, fs: fs, dir: dir, reserve: opts.DiskReserveBytes, interval: opts.DiskCheckInterval,
		memTable: memTableFor(fs, dir),
		ballast:  ballast{fs: fs, path: fs.PathJoin(dir, ballastName), size: opts.BallastBytes}}
	g.mu.changed = make(chan struct{})
	return g
}

// start takes the first reading and starts the monitor, which lays the
// ballast (up to 1 GiB, not worth holding Open for); outer is the file
// system Pebble writes through.
func (g *diskGuard) start(outer vfs.FS) {
	g.outer = outer
	g.mu.Lock()
	g.statLocked()
	g.mu.Unlock()
	g.stop, g.done = make(chan struct{}), make(chan struct{})
	go g.monitor()
}

// close stops the monitor.
func (g *diskGuard) close() {
	if g.stop != nil {
		close(g.stop)
		<-g.done
	}
}

// admit decides whether a batch of n bytes may be committed. A gated
// batch fails with ErrNoSpace while writes are refused or when it would
// eat into the reserve; every batch waits, within ctx, while Pebble stalls
// writes, so that it does not queue inside Pebble where no deadline
// reaches it.
func (g *diskGuard) admit(ctx context.Context, n int, gated bool) error {
	for {
		g.mu.Lock()
		if gated {
			if err := g.roomLocked(uint64(n)); err != nil {
				g.mu.Unlock()
				return err
			}
		}
		stalled, changed := g.mu.stalled, g.mu.changed
		g.mu.Unlock()
		if !stalled {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting out a storage write stall: %w", ctx.Err())
		}
	}
}

// roomLocked reports whether n more bytes fit above the reserve, and
// starts refusing writes when the reserve itself is reached. A batch is
// charged twice its size: once in the WAL, once in the sstable a flush
// writes.
func (g *diskGuard) roomLocked(n uint64) error {
	if g.mu.refused != "" {
		return fmt.Errorf("%w: %s", ErrNoSpace, g.mu.refused)
	}
	if g.reserve < 0 {
		return nil
	}
	if time.Since(g.mu.checked) > statEvery {
		g.statLocked()
	}
	if !g.mu.statOK {
		return nil
	}
	reserve := uint64(g.reserve)
	avail := g.mu.free - min(g.mu.free, g.mu.charged)
	if avail < reserve {
		g.refuseLocked(fmt.Sprintf("%s free on the data disk, below the reserve of %s kept for the store's own work; free space or raise the disk",
			bytesText(avail), bytesText(reserve)))
		return fmt.Errorf("%w: %s", ErrNoSpace, g.mu.refused)
	}
	if avail-reserve < 2*n {
		return fmt.Errorf("%w: a write of %s does not fit in the %s free above the disk reserve of %s",
			ErrNoSpace, bytesText(n), bytesText(avail-reserve), bytesText(reserve))
	}
	g.mu.charged += 2 * n
	return nil
}

// statLocked reads the file system's usage and resolves the default
// reserve and ballast on the first reading.
func (g *diskGuard) statLocked() {
	u, err := g.fs.GetDiskUsage(g.dir)
	g.mu.checked, g.mu.charged = time.Now(), 0
	g.mu.statOK = err == nil && u.TotalBytes > 0
	if !g.mu.statOK {
		return
	}
	g.mu.free, g.mu.total = u.AvailBytes, u.TotalBytes
	if g.reserve == 0 {
		g.reserve = int64(defaultReserve(u.TotalBytes, g.memTable))
	}
	if g.ballast.size == 0 {
		g.ballast.size = int64(min(u.TotalBytes/100, maxBallast))
	}
}

// refuseLocked starts refusing writes for reason.
func (g *diskGuard) refuseLocked(reason string) {
	if g.mu.refused == "" {
		g.log.Error("storage: refusing writes", "reason", reason)
	}
	g.mu.refused = reason
	g.mu.gen++
	g.notifyLocked()
}

func (g *diskGuard) notifyLocked() {
	close(g.mu.changed)
	g.mu.changed = make(chan struct{})
}

// noSpace records that Pebble hit ENOSPC (what says where) and refuses
// writes until space returns. It is called from inside Pebble (the
// OnDiskFull callback and the event listener) and so calls nothing of
// Pebble's; it deletes the ballast, so the work Pebble has in flight
// can finish.
func (g *diskGuard) noSpace(what string) {
	released := g.ballast.release()
	g.mu.Lock()
	if !g.mu.enospc {
		g.mu.strikes++
	}
	g.mu.enospc = true
	g.refuseLocked("the data disk is full (" + what + ")")
	g.mu.Unlock()
	if released > 0 {
		g.log.Warn("storage: deleted the ballast file so that writes in flight can finish", "freed", bytesText(uint64(released)))
	}
}

// flushDone records the outcome of a Pebble flush.
func (g *diskGuard) flushDone(err error) {
	g.mu.Lock()
	g.mu.flushFailing = err != nil && isNoSpace(err)
	g.mu.Unlock()
}

// setStalled records the start or end of a Pebble write stall. A stall
// while the disk is short of space will not end by itself: the ballast
// goes, so that the flush it waits for can run.
func (g *diskGuard) setStalled(stalled bool) {
	g.mu.Lock()
	g.mu.stalled = stalled
	short := g.mu.refused != ""
	g.notifyLocked()
	g.mu.Unlock()
	if stalled && short {
		g.ballast.release()
	}
}

// monitor re-checks the disk every interval until close.
func (g *diskGuard) monitor() {
	defer close(g.done)
	g.layBallast()
	t := time.NewTicker(g.interval)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
			g.recheck()
		}
	}
}

// recheck takes a fresh reading: it starts refusing writes when the free
// space is below the reserve, and accepts them again once the disk has
// room for 1.5 reserves and the ballast, and Pebble can flush.
func (g *diskGuard) recheck() {
	g.mu.Lock()
	g.statLocked()
	refused, gen, enospc, flushFailing, statOK := g.mu.refused, g.mu.gen, g.mu.enospc, g.mu.flushFailing, g.mu.statOK
	if refused == "" && g.mu.strikes > 0 && time.Since(g.mu.accepted) > time.Minute {
		g.mu.strikes = 0
	}
	// Half the reserve again must be free before refused writes are taken:
	// a compaction freeing a little would otherwise flip the store between
	// taking and refusing writes at the edge of the reserve.
	need := uint64(max(g.reserve, 0))
	need += need / 2
	if g.mu.strikes > 0 {
		need = min(need<<min(g.mu.strikes, 3), g.mu.total/2)
	}
	need += uint64(g.ballast.missing())
	roomy := !statOK || g.reserve < 0 || g.mu.free >= need
	g.mu.Unlock()
	if refused == "" || flushFailing || !roomy {
		if refused == "" && roomy {
			g.layBallast()
		}
		return
	}
	if enospc && !statOK {
		// Without a usage reading, only a write shows that space returned.
		if err := g.probe(); err != nil {
			return
		}
	}
	g.mu.Lock()
	if g.mu.gen == gen && !g.mu.flushFailing {
		g.mu.refused, g.mu.enospc, g.mu.accepted = "", false, time.Now()
		g.notifyLocked()
		g.log.Info("storage: disk space is back, accepting writes", "free", bytesText(g.mu.free))
	}
	g.mu.Unlock()
	g.layBallast()
}

// probe writes, syncs and removes a small file next to the store.
func (g *diskGuard) probe() error {
	path := g.outer.PathJoin(g.dir, probeName)
	f, err := g.outer.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	_, err = f.Write(make([]byte, 64<<10))
	err = errors.Join(err, f.Sync(), f.Close())
	return errors.Join(err, g.outer.Remove(path))
}

// layBallast creates the ballast when it is missing and the disk has room
// for it above the reserve.
func (g *diskGuard) layBallast() {
	missing := g.ballast.missing()
	if missing == 0 {
		return
	}
	g.mu.Lock()
	fits := g.mu.statOK && g.mu.free >= uint64(max(g.reserve, 0))+uint64(missing)
	g.mu.Unlock()
	if !fits {
		return
	}
	if err := g.ballast.lay(); err != nil {
		g.log.Warn("storage: cannot lay the ballast file", "path", g.ballast.path, "err", err)
	}
}

// defaultReserve is the disk reserve for a disk of total bytes: 5% of it,
// but on a small disk a quarter of it up to 64 MiB (a compaction there can
// rewrite most of the store), and room for a flush of two memtables and a
// new WAL file; at most maxReserve.
func defaultReserve(total, memTable uint64) uint64 {
	return min(max(total/20, min(total/4, 64<<20), 3*memTable+1<<20), maxReserve)
}

// isNoSpace reports whether err means the disk is full.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC)
}

// bytesText writes n bytes for people.
func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// writable returns the error a gated write would fail with now for want
// of space or after a fatal error, without admitting anything.
func (s *Store) writable() error {
	if err := s.failure(); err != nil {
		return err
	}
	g := s.guard
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.mu.refused != "" {
		return fmt.Errorf("%w: %s", ErrNoSpace, g.mu.refused)
	}
	return nil
}

// Writable returns ErrNoSpace or ErrFailed when a write to the collection
// would fail for want of disk space or after a fatal storage error, so
// that a caller can refuse it before doing work for it (Write checks
// again).
func (c *Collection) Writable() error {
	if err := c.store.writable(); err != nil {
		return fmt.Errorf("collection %q: %w", c.name, err)
	}
	return nil
}

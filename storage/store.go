package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// FormatVersion is the version of the key layout described in doc.go.
// Open upgrades a database of an older version it knows (upgrade.go).
const FormatVersion uint32 = 2

// Errors returned by this package, wrapped with context; test with errors.Is.
var (
	ErrNotFound = errors.New("storage: not found")
	ErrExists   = errors.New("storage: already exists")
	ErrCorrupt  = errors.New("storage: corrupt data")
	ErrFormat   = errors.New("storage: unsupported format version")
	ErrClosed   = errors.New("storage: closed")
	// ErrNoSpace marks a write refused because the data disk is (nearly)
	// full; reads still work, and writes are taken again once space
	// returns (see doc.go, "Disk space").
	ErrNoSpace = errors.New("storage: insufficient disk space")
	// ErrFailed marks a write refused because Pebble hit an error it
	// cannot go on from (a failed WAL write or sync); reads still work,
	// writes need a restart.
	ErrFailed = errors.New("storage: failed")
)

// Options configures Open. The zero value is valid; every field documents
// its default.
type Options struct {
	// FS is the file system the database lives on. Nil means the operating
	// system's (vfs.Default); tests may pass vfs.NewMem().
	FS vfs.FS
	// CacheBytes is the size of Pebble's block cache. Zero means 64 MiB.
	CacheBytes int64
	// Logger receives storage events. Nil means slog.Default().
	Logger *slog.Logger
	// DiskReserveBytes is the free space writes leave on the data disk
	// for Pebble's flushes and compactions: a write that would eat into it
	// fails with ErrNoSpace. Zero means 5% of the disk, but at least a
	// quarter of it up to 64 MiB, and at most 1 GiB (defaultReserve);
	// negative turns the check off.
	DiskReserveBytes int64
	// BallastBytes is the size of the ballast file kept in the data
	// directory and deleted when the disk fills, so the writes Pebble
	// has in flight can finish. Zero means 1% of the disk, at most 1 GiB;
	// negative means no ballast.
	BallastBytes int64
	// DiskCheckInterval is how often the free space is re-checked, to
	// take writes again once space returns. Zero means one second.
	DiskCheckInterval time.Duration
	// NoSync commits without waiting for the disk. Only for a store that
	// is derived state another log holds durably, such as a cluster
	// node's, which is rebuilt from its Raft log at every open: a crash
	// loses the tail of the writes, which that log replays.
	NoSync bool
}

// EnsureDefaults fills zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = 64 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.DiskCheckInterval == 0 {
		o.DiskCheckInterval = time.Second
	}
}

// Validate reports every problem with the options.
func (o *Options) Validate() error {
	var errs []error
	if o.CacheBytes < 0 {
		errs = append(errs, fmt.Errorf("CacheBytes %d is negative", o.CacheBytes))
	}
	if o.DiskCheckInterval < 0 {
		errs = append(errs, fmt.Errorf("DiskCheckInterval %v is negative", o.DiskCheckInterval))
	}
	return errors.Join(errs...)
}

// Store is one Pebble database holding every collection of a data directory.
// It is safe for concurrent use.
type Store struct {
	db    *pebble.DB
	log   *slog.Logger
	guard *diskGuard
	// noSync is Options.NoSync.
	noSync bool
	// fatal is Pebble's fatal error once it had one (see commit).
	fatal atomic.Pointer[string]

	// catalogMu serialises catalog changes (create, drop, config updates).
	catalogMu sync.Mutex
}

// Open opens or creates the database in dir.
func Open(dir string, opts Options) (*Store, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("storage options: %w", err)
	}
	cache := pebble.NewCache(opts.CacheBytes)
	defer cache.Unref()
	s := &Store{log: opts.Logger, guard: newDiskGuard(opts.Logger, opts.FS, dir, opts), noSync: opts.NoSync}
	// A write that hits ENOSPC deletes the ballast and is retried once,
	// so a WAL write in flight when the disk fills succeeds.
	fs := vfs.OnDiskFull(opts.FS, func() { s.guard.noSpace("a write") })
	popts := &pebble.Options{FS: fs, Cache: cache, FormatMajorVersion: pebble.FormatNewest,
		MemTableSize: s.guard.memTable, Logger: pebbleLogger{log: opts.Logger, fatal: s.setFatal},
		EventListener: s.eventListener()}
	db, err := pebble.Open(dir, popts)
	if err != nil {
		return nil, fmt.Errorf("open pebble in %s: %w", dir, err)
	}
	s.db = db
	s.guard.start(fs)
	if err := s.checkFormat(dir); err != nil {
		s.guard.close()
		db.Close()
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	return s, nil
}

// checkFormat writes the format version into a new database, and in an
// existing one checks it and upgrades an older format (invariant 1).
func (s *Store) checkFormat(dir string) error {
	v, err := s.get(formatKey)
	if errors.Is(err, ErrNotFound) {
		iter, err := s.db.NewIter(nil)
		if err != nil {
			return err
		}
		empty := !iter.First()
		if err := iter.Close(); err != nil {
			return err
		}
		if !empty {
			return fmt.Errorf("%w: database has data but no format key", ErrFormat)
		}
		b := s.db.NewBatch()
		defer b.Close()
		_ = b.Set(formatKey, binary.BigEndian.AppendUint32(nil, FormatVersion), nil)
		return s.commit(context.Background(), b, true)
	}
	if err != nil {
		return err
	}
	if len(v) != 4 {
		return fmt.Errorf("%w: format key holds %x", ErrFormat, v)
	}
	found := binary.BigEndian.Uint32(v)
	if found > FormatVersion {
		return fmt.Errorf("%w: data directory has format %d, newer than this build's %d; open it with the newer quiver that wrote it",
			ErrFormat, found, FormatVersion)
	}
	return s.upgrade(dir, found)
}

// Close flushes nothing extra (every write is already synced) and closes
// the database. Collections obtained from the Store must not be used after.
func (s *Store) Close() error {
	s.guard.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close pebble: %w", err)
	}
	return nil
}

// get returns a copy of the value at key, or ErrNotFound.
func (s *Store) get(key []byte) ([]byte, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(v)
	return out, closer.Close()
}

// CollectionRecord is a collection as the catalog stores it.
type CollectionRecord struct {
	Name   string
	Config []byte // opaque to this package; package index stores JSON here
}

// CreateCollection adds a collection to the catalog and returns its handle.
// It fails with ErrExists if the name is taken.
func (s *Store) CreateCollection(name string, config []byte) (*Collection, error) {
	ctx, cancel := context.WithTimeout(context.Background(), catalogWait)
	defer cancel()
	return s.CreateCollectionContext(ctx, name, config)
}

// CreateCollectionContext is CreateCollection within ctx: a write stall is
// waited out only until ctx ends, and once ctx has ended nothing is
// written, so a create its client gave up on is not applied later.
func (s *Store) CreateCollectionContext(ctx context.Context, name string, config []byte) (*Collection, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("create collection %q: %w", name, err)
	}
	s.catalogMu.Lock()
	defer s.catalogMu.Unlock()
	key := catalogKey(name)
	if _, err := s.get(key); err == nil {
		return nil, fmt.Errorf("collection %q: %w", name, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	prefix, err := s.takePrefixLocked()
	if err != nil {
		return nil, err
	}
	b := s.db.NewBatch()
	defer b.Close()
	_ = b.Set(key, encodeRecord(prefix, config), nil)
	if err := s.commit(ctx, b, true); err != nil {
		return nil, fmt.Errorf("create collection %q: %w", name, err)
	}
	return &Collection{store: s, name: name, prefix: prefix}, nil
}

// Collections returns every collection's record and handle, ordered by name.
func (s *Store) Collections() ([]CollectionRecord, []*Collection, error) {
	iter, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{tagCatalog}, UpperBound: []byte{tagCatalog + 1}})
	if err != nil {
		return nil, nil, err
	}
	var recs []CollectionRecord
	var cols []*Collection
	for iter.First(); iter.Valid(); iter.Next() {
		name := string(iter.Key()[1:])
		prefix, config, err := decodeRecord(iter.Value())
		if err != nil {
			iter.Close()
			return nil, nil, fmt.Errorf("collection %q: %w", name, err)
		}
		recs = append(recs, CollectionRecord{Name: name, Config: config})
		cols = append(cols, &Collection{store: s, name: name, prefix: prefix})
	}
	if err := iter.Close(); err != nil {
		return nil, nil, fmt.Errorf("list collections: %w", err)
	}
	return recs, cols, nil
}

// SetConfig replaces a collection's config bytes.
func (s *Store) SetConfig(c *Collection, config []byte) error {
	s.catalogMu.Lock()
	defer s.catalogMu.Unlock()
	if err := s.set(catalogKey(c.name), encodeRecord(c.prefix, config)); err != nil {
		return fmt.Errorf("collection %q: set config: %w", c.name, err)
	}
	return nil
}

// DropCollection removes a collection, its aliases and all its data in
// one batch (invariant 7).
func (s *Store) DropCollection(c *Collection) error {
	s.catalogMu.Lock()
	defer s.catalogMu.Unlock()
	b := s.db.NewBatch()
	defer b.Close()
	// A restore may have given the name to a new prefix since: then the
	// record and the aliases are the new collection's.
	rec, err := s.get(catalogKey(c.name))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("drop collection %q: %w", c.name, err)
	}
	if prefix, _, err := decodeRecord(rec); err == nil && prefix == c.prefix {
		if err := s.deleteAliasesOf(b, c.name); err != nil {
			return fmt.Errorf("drop collection %q: %w", c.name, err)
		}
		_ = b.Delete(catalogKey(c.name), nil)
	}
	lo, hi := c.bounds(0)
	_ = b.DeleteRange(lo, hi, nil)
	// Not gated by the disk reserve: a drop is how space is freed.
	ctx, cancel := context.WithTimeout(context.Background(), catalogWait)
	defer cancel()
	if err := s.commit(ctx, b, false); err != nil {
		return fmt.Errorf("drop collection %q: %w", c.name, err)
	}
	return nil
}

func encodeRecord(prefix uint32, config []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, prefix), config...)
}

func decodeRecord(v []byte) (uint32, []byte, error) {
	if len(v) < 4 {
		return 0, nil, fmt.Errorf("%w: short collection record", ErrCorrupt)
	}
	return binary.BigEndian.Uint32(v), bytes.Clone(v[4:]), nil
}

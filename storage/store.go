package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"

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
}

// Validate reports every problem with the options.
func (o *Options) Validate() error {
	var errs []error
	if o.CacheBytes < 0 {
		errs = append(errs, fmt.Errorf("CacheBytes %d is negative", o.CacheBytes))
	}
	return errors.Join(errs...)
}

// Store is one Pebble database holding every collection of a data directory.
// It is safe for concurrent use.
type Store struct {
	db  *pebble.DB
	log *slog.Logger

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
	popts := &pebble.Options{FS: opts.FS, Cache: cache, FormatMajorVersion: pebble.FormatNewest,
		Logger: pebbleLogger{opts.Logger}}
	db, err := pebble.Open(dir, popts)
	if err != nil {
		return nil, fmt.Errorf("open pebble in %s: %w", dir, err)
	}
	s := &Store{db: db, log: opts.Logger}
	if err := s.checkFormat(dir); err != nil {
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
		return s.db.Set(formatKey, binary.BigEndian.AppendUint32(nil, FormatVersion), pebble.Sync)
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
	if err := s.db.Set(key, encodeRecord(prefix, config), pebble.Sync); err != nil {
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
	if err := s.db.Set(catalogKey(c.name), encodeRecord(c.prefix, config), pebble.Sync); err != nil {
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
	if err := b.Commit(pebble.Sync); err != nil {
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

// pebbleLogger sends Pebble's messages to slog: Infof at Debug level,
// Errorf at Error; Fatalf logs and panics, as Pebble expects it not to
// return.
type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug("pebble: " + fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error("pebble: " + fmt.Sprintf(format, args...))
}

func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := "pebble: " + fmt.Sprintf(format, args...)
	l.log.Error(msg)
	panic(msg)
}

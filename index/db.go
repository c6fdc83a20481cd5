package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"sort"
	"sync"

	"github.com/quiver-db/quiver/storage"
)

// DB is the set of collections of one data directory. It is safe for
// concurrent use.
type DB struct {
	store *storage.Store
	opts  Options

	mu struct {
		sync.RWMutex
		cols map[string]*Collection // protected by mu
		// aliases maps each alias to the collection it names, which is
		// in cols; protected by mu.
		aliases map[string]string
		closed  bool // protected by mu
	}
	// drops counts drops in progress, which Close waits for.
	drops sync.WaitGroup
}

// Open opens the data directory dir, loading every collection's graph from
// its snapshot and replaying the writes after it.
func Open(ctx context.Context, dir string, opts Options) (*DB, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("index options: %w", err)
	}
	if opts.SnapshotDir == "" {
		opts.SnapshotDir = filepath.Join(dir, "snapshots")
	}
	st, err := storage.Open(dir, opts.Storage)
	if err != nil {
		return nil, err
	}
	db := &DB{store: st, opts: opts}
	db.mu.cols = map[string]*Collection{}
	recs, handles, err := st.Collections()
	if err != nil {
		st.Close()
		return nil, err
	}
	for i, rec := range recs {
		var cfg Config
		if err := json.Unmarshal(rec.Config, &cfg); err != nil {
			db.closeCollections()
			st.Close()
			return nil, fmt.Errorf("collection %q: config: %w", rec.Name, err)
		}
		c, err := openCollection(ctx, db, handles[i], cfg)
		if err != nil {
			db.closeCollections()
			st.Close()
			return nil, err
		}
		db.mu.cols[rec.Name] = c
	}
	if err := db.loadAliases(); err != nil {
		db.closeCollections()
		st.Close()
		return nil, err
	}
	return db, nil
}

// Close saves every collection's graph and closes the store. Calls after
// Close fail with ErrClosed.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.mu.closed {
		db.mu.Unlock()
		return nil
	}
	db.mu.closed = true
	db.mu.Unlock()
	db.drops.Wait()
	err := db.closeCollections()
	return errors.Join(err, db.store.Close())
}

func (db *DB) closeCollections() error {
	var errs []error
	for _, c := range db.mu.cols {
		errs = append(errs, c.close(true))
	}
	return errors.Join(errs...)
}

// Create makes a new, empty collection.
func (db *DB) Create(ctx context.Context, name string, cfg Config) (*Collection, error) {
	cfg, err := prepareCreate(name, cfg)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.mu.closed {
		return nil, ErrClosed
	}
	if err := db.checkFreeLocked(name); err != nil {
		return nil, err
	}
	h, err := db.store.CreateCollectionContext(ctx, name, raw)
	if errors.Is(err, storage.ErrExists) {
		return nil, fmt.Errorf("collection %q: %w", name, ErrExists)
	}
	if err != nil {
		return nil, err
	}
	c, err := openCollection(ctx, db, h, cfg)
	if err != nil {
		return nil, err
	}
	db.mu.cols[name] = c
	db.opts.Logger.Info("collection created", "collection", name, "size", cfg.VectorSize, "distance", cfg.Distance, "vectors", cfg.VectorNames())
	return c, nil
}

// CheckCreate validates a new collection's name and config as Create
// does, without looking at which names are taken: the ErrBadRequest that
// Create would return, or nil.
func CheckCreate(name string, cfg Config) error {
	_, err := prepareCreate(name, cfg)
	return err
}

// prepareCreate validates name and cfg and returns cfg with its storage
// spaces assigned, on copies of its maps.
func prepareCreate(name string, cfg Config) (Config, error) {
	if !validName(name) {
		return Config{}, fmt.Errorf("%w: collection name %q: want 1-255 letters, digits, '_', '-' or '.', other than . or .. alone", ErrBadRequest, name)
	}
	cfg.Vectors = maps.Clone(cfg.Vectors)
	cfg.assignSpaces()
	cfg.SparseVectors = maps.Clone(cfg.SparseVectors)
	cfg.assignSparseSpaces()
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("%w: collection %q: %w", ErrBadRequest, name, err)
	}
	return cfg, nil
}

// Collection returns the collection called name, or the one the alias
// name names, or ErrNotFound.
func (db *DB) Collection(name string) (*Collection, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.mu.closed {
		return nil, ErrClosed
	}
	c, ok := db.mu.cols[db.resolveLocked(name)]
	if !ok {
		return nil, fmt.Errorf("collection %q: %w", name, ErrNotFound)
	}
	return c, nil
}

// List returns the names of all collections, sorted.
func (db *DB) List() []string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	names := make([]string, 0, len(db.mu.cols))
	for name := range db.mu.cols {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Info describes a collection.
type Info struct {
	Name   string
	Config Config
	// Points is the number of live points.
	Points int
	// GraphNodes is the number of live nodes in the HNSW graph of a
	// collection without named vectors; equal to Points when the
	// collection is consistent.
	GraphNodes int
	// VectorNodes is, in a collection with named vectors, the number of
	// live nodes in each vector's graph: the points that carry it.
	VectorNodes map[string]int
	// SparseNodes is the number of points that carry each sparse vector.
	SparseNodes map[string]int
	// IVF is the state of each vector's partitioned index, by vector name
	// ("" for the unnamed one); nil without any.
	IVF map[string]IVFStatus
	// DiskBytes estimates the collection's size in Pebble's files.
	DiskBytes uint64
}

// Describe returns a collection's Info; name may be an alias.
func (db *DB) Describe(name string) (Info, error) {
	c, err := db.Collection(name)
	if err != nil {
		return Info{}, err
	}
	return c.Info()
}

// Drop deletes a collection, its aliases and all its points. name must
// be the collection's own: dropping through an alias is refused.
//
// The collection leaves the catalogue at once, so new requests for it find
// nothing; the drop then waits for its writes in flight without holding the
// database's lock, which other collections' requests need.
func (db *DB) Drop(ctx context.Context, name string) error {
	db.mu.Lock()
	if db.mu.closed {
		db.mu.Unlock()
		return ErrClosed
	}
	c, ok := db.mu.cols[name]
	if col, alias := db.mu.aliases[name]; alias {
		db.mu.Unlock()
		return fmt.Errorf("%w: %q is an alias of collection %q: delete the alias, or drop the collection by its name", ErrBadRequest, name, col)
	}
	if !ok {
		db.mu.Unlock()
		return fmt.Errorf("collection %q: %w", name, ErrNotFound)
	}
	delete(db.mu.cols, name)
	db.dropAliasesLocked(name)
	db.drops.Add(1)
	db.mu.Unlock()
	defer db.drops.Done()
	if err := c.close(false); err != nil {
		return err
	}
	if err := db.store.DropCollection(c.store); err != nil {
		return fmt.Errorf("drop collection %q (it is closed, and comes back at the next restart): %w", name, err)
	}
	db.opts.Logger.Info("collection dropped", "collection", name)
	return nil
}

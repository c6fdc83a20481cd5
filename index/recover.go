package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/quiver-db/quiver/storage"
)

// Recover reads a snapshot written by Snapshot into the collection called
// name (or the one the alias name names), replacing it if it exists, as
// Qdrant's snapshot recovery does; its aliases stay.
//
// The snapshot is staged under a fresh prefix and opened while the old
// collection still serves; one synced catalog write then switches the name
// to it. Writes to the old collection that commit after the switch are
// lost with it, as writes racing a replacement must be.
func (db *DB) Recover(ctx context.Context, r io.Reader, name string) (*Collection, error) {
	if !validName(name) {
		return nil, fmt.Errorf("%w: collection name %q: want 1-255 letters, digits, '_', '-' or '.', other than . or .. alone", ErrBadRequest, name)
	}
	db.mu.Lock()
	if db.mu.closed {
		db.mu.Unlock()
		return nil, ErrClosed
	}
	name = db.resolveLocked(name)
	db.drops.Add(1) // Close waits for the recovery
	db.mu.Unlock()
	defer db.drops.Done()

	h, raw, err := db.store.StageCollection(r, name)
	if errors.Is(err, storage.ErrCorrupt) {
		return nil, fmt.Errorf("%w: snapshot: %w", ErrBadRequest, err)
	}
	if err != nil {
		return nil, fmt.Errorf("recover %q: %w", name, err)
	}
	c, err := db.openStaged(ctx, h, raw)
	if err != nil {
		return nil, errors.Join(err, db.store.DiscardStaged(h))
	}
	old, err := db.switchTo(c, raw)
	if err != nil {
		return nil, errors.Join(err, c.close(false), db.store.DiscardStaged(h))
	}
	if old != nil {
		// The old collection is unreachable now; its keys go once its
		// writes in flight are done.
		if err := errors.Join(old.close(false), db.store.DiscardStaged(old.store)); err != nil {
			db.opts.Logger.Error("recover: old collection's keys not deleted", "collection", name, "err", err)
		}
	}
	db.opts.Logger.Info("collection recovered from snapshot", "collection", name, "replaced", old != nil)
	return c, nil
}

// openStaged checks a staged snapshot's config and opens the collection.
func (db *DB) openStaged(ctx context.Context, h *storage.Collection, raw []byte) (*Collection, error) {
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("%w: snapshot config: %w", ErrBadRequest, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: snapshot config: %w", ErrBadRequest, err)
	}
	c, err := openCollection(ctx, db, h, cfg)
	if err != nil {
		return nil, fmt.Errorf("recover %q: %w", h.Name(), err)
	}
	return c, nil
}

// switchTo commits c as its name's collection and publishes it, returning
// the collection it replaced, if any.
func (db *DB) switchTo(c *Collection, raw []byte) (*Collection, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.mu.closed {
		return nil, ErrClosed
	}
	if col, ok := db.mu.aliases[c.name]; ok {
		// An alias took the name while the snapshot was staged.
		return nil, fmt.Errorf("%q is an alias of collection %q: %w", c.name, col, ErrExists)
	}
	if err := db.store.CommitStaged(c.store, raw); err != nil {
		return nil, err
	}
	old := db.mu.cols[c.name]
	db.mu.cols[c.name] = c
	return old, nil
}

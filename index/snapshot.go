package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/quiver-db/quiver/storage"
)

// Snapshot writes a consistent, zstd-compressed copy of a collection to w:
// its points, payload indexes, log and a fresh graph snapshot, so a restore
// loads without rebuilding. Writes may continue meanwhile; each is wholly in
// the snapshot or not.
func (db *DB) Snapshot(ctx context.Context, name string, w io.Writer) error {
	c, err := db.Collection(name)
	if err != nil {
		return err
	}
	if err := c.saveGraph(); err != nil {
		return fmt.Errorf("snapshot %q: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.store.ExportCollection(c.store, w)
}

// Restore reads a snapshot written by Snapshot into a new collection
// called name; ErrExists if the name is taken.
func (db *DB) Restore(ctx context.Context, r io.Reader, name string) (*Collection, error) {
	if !validName(name) {
		return nil, fmt.Errorf("%w: collection name %q: want 1-255 letters, digits, '_', '-' or '.', other than . or .. alone", ErrBadRequest, name)
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.mu.closed {
		return nil, ErrClosed
	}
	if err := db.checkFreeLocked(name); err != nil {
		return nil, err
	}
	h, raw, err := db.store.ImportCollection(r, name)
	if errors.Is(err, storage.ErrExists) {
		return nil, fmt.Errorf("collection %q: %w", name, ErrExists)
	}
	if errors.Is(err, storage.ErrCorrupt) {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if err != nil {
		return nil, err
	}
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("restore %q: config: %w", name, err)
	}
	c, err := openCollection(ctx, db, h, cfg)
	if err != nil {
		return nil, err
	}
	db.mu.cols[name] = c
	db.opts.Logger.Info("collection restored", "collection", name, "points", len(c.mu.ids))
	return c, nil
}

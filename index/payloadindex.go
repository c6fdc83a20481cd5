package index

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/quiver-db/quiver/storage"
)

// reindexBatch is how many points one reindexing batch rewrites.
const reindexBatch = 1024

// CreatePayloadIndex indexes a payload key as keyword or numeric, so
// filters on it stop reading payloads. It indexes the existing points
// before it returns; writes to the collection wait meanwhile. Creating an
// index that exists with the same type does nothing.
func (c *Collection) CreatePayloadIndex(ctx context.Context, key string, typ FieldType) error {
	if err := checkPayloadIndex(key, typ); err != nil {
		return err
	}
	return c.setIndexes(ctx, func(idx map[string]FieldType) bool {
		if idx[key] == typ {
			return false
		}
		idx[key] = typ
		return true
	})
}

// DeletePayloadIndex drops the index of a payload key; ErrNotFound if
// there is none.
func (c *Collection) DeletePayloadIndex(ctx context.Context, key string) error {
	found := false
	err := c.setIndexes(ctx, func(idx map[string]FieldType) bool {
		_, found = idx[key]
		delete(idx, key)
		return found
	})
	if err == nil && !found {
		return fmt.Errorf("collection %q: payload index %q: %w", c.name, key, ErrNotFound)
	}
	return err
}

// CheckPayloadIndex validates what CreatePayloadIndex (a type) or
// DeletePayloadIndex (type "") would do, changing nothing: a delete needs
// the index to exist.
func (c *Collection) CheckPayloadIndex(key string, typ FieldType) error {
	if typ != "" {
		return checkPayloadIndex(key, typ)
	}
	c.mu.RLock()
	_, ok := c.mu.indexes[key]
	c.mu.RUnlock()
	if !ok {
		return fmt.Errorf("collection %q: payload index %q: %w", c.name, key, ErrNotFound)
	}
	return nil
}

func checkPayloadIndex(key string, typ FieldType) error {
	if _, err := typ.termKind(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if key == "" || len(key) > storage.MaxTermLen {
		return fmt.Errorf("%w: payload index key of %d bytes, want 1..%d", ErrBadRequest, len(key), storage.MaxTermLen)
	}
	return nil
}

// setIndexes applies change to a copy of the payload indexes and, if it
// reports a change, rewrites every point's index terms, with writers held
// off throughout. Keys that are dropped or change type stop being used (in
// memory and in the stored config) before their entries are rewritten, and
// new keys are used only after all their entries exist, so neither filtered
// reads meanwhile nor a crash midway can see a partial index.
func (c *Collection) setIndexes(ctx context.Context, change func(map[string]FieldType) bool) error {
	c.snapMu.Lock()
	defer c.snapMu.Unlock()
	c.mu.RLock()
	closed := c.mu.closed
	old := c.mu.indexes
	nodes := make([]uint32, 0, len(c.mu.ids))
	for _, n := range c.mu.ids {
		nodes = append(nodes, n)
	}
	c.mu.RUnlock()
	if closed {
		return fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	next := maps.Clone(old)
	if next == nil {
		next = map[string]FieldType{}
	}
	if !change(next) {
		return nil
	}
	kept := maps.Clone(old)
	maps.DeleteFunc(kept, func(k string, t FieldType) bool { return next[k] != t })
	if len(kept) != len(old) {
		if err := c.publishIndexes(kept); err != nil {
			return err
		}
	}
	for rest := nodes; len(rest) > 0; {
		n := min(len(rest), reindexBatch)
		items := make([]storage.NodeTerms, 0, n)
		for _, node := range rest[:n] {
			raw, err := c.store.Payload(node)
			if err != nil {
				return fmt.Errorf("collection %q: reindex node %d: %w", c.name, node, err)
			}
			p, err := decodePayload(raw)
			if err != nil {
				return err
			}
			items = append(items, storage.NodeTerms{Node: node, Terms: termsOf(next, p)})
		}
		if err := c.store.SetTerms(ctx, items); err != nil {
			return err
		}
		c.post.setAll(items)
		rest = rest[n:]
	}
	if err := c.publishIndexes(next); err != nil {
		return err
	}
	c.log.Info("payload indexes changed", "indexes", next, "points", len(nodes))
	return nil
}

// publishIndexes stores a config with these payload indexes and makes them
// the ones filtered reads use; snapMu must be held for writing.
func (c *Collection) publishIndexes(indexes map[string]FieldType) error {
	cfg := c.Config()
	cfg.PayloadIndexes = indexes
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := c.catalog.SetConfig(c.store, raw); err != nil {
		return err
	}
	c.mu.Lock()
	c.mu.indexes = indexes
	c.mu.Unlock()
	return nil
}

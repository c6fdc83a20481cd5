package index

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/storage"
)

// Selector picks the points an update applies to: those with IDs, or
// those matching Filter (an empty filter matches all). Exactly one is set;
// an empty non-nil IDs selects nothing.
type Selector struct {
	IDs    []pointid.ID
	Filter *filter.Filter
}

func (s Selector) check() error {
	if (s.IDs == nil) == (s.Filter == nil) {
		return fmt.Errorf("%w: want exactly one of points and filter", ErrBadRequest)
	}
	return nil
}

// PayloadUpdateKind says what a PayloadUpdate does.
type PayloadUpdateKind uint8

// Payload updates, as Qdrant names them.
const (
	// PayloadSet merges Payload's keys into each point's payload (under
	// Key when set), replacing the values of keys it names.
	PayloadSet PayloadUpdateKind = iota + 1
	// PayloadOverwrite makes Payload each point's whole payload.
	PayloadOverwrite
	// PayloadDeleteKeys removes the paths Keys from each point's payload.
	PayloadDeleteKeys
	// PayloadClear empties each point's payload.
	PayloadClear
)

// PayloadUpdate changes the payloads of the points Points selects. Their
// vectors and the payload indexes' view of other points stay as they were.
type PayloadUpdate struct {
	Kind   PayloadUpdateKind
	Points Selector
	// Payload is what PayloadSet merges and PayloadOverwrite writes.
	Payload map[string]any
	// Key, for PayloadSet, is the path ("a.b", "a[0].b", "a[].b", `"a.b"`
	// for a key with a dot) of the object Payload is merged into; "" is
	// the payload itself.
	Key string
	// Keys, for PayloadDeleteKeys, are the paths to remove.
	Keys []string
}

// UpdatePayload applies u. It returns after the change is durable and
// visible to filters, payload indexes included. Points selected by id must
// all exist (ErrNotFound otherwise, and nothing is written); by filter,
// the points matching when it runs are changed in batches of
// updateBatch, each one synced Pebble batch, so a crash midway leaves some
// batches applied.
func (c *Collection) UpdatePayload(ctx context.Context, u PayloadUpdate) error {
	s, err := c.planPayload(u)
	if err != nil {
		return err
	}
	return s.run(ctx)
}

// updateBatch is how many points one write of a filter-selected update
// changes.
const updateBatch = 1024

// planPayload validates u and returns the step that applies it.
func (c *Collection) planPayload(u PayloadUpdate) (step, error) {
	if err := u.Points.check(); err != nil {
		return step{}, err
	}
	edit, err := c.payloadEdit(u)
	if err != nil {
		return step{}, err
	}
	return step{needs: u.Points.IDs, run: func(ctx context.Context) error {
		return c.forSelected(ctx, u.Points, func(ids []pointid.ID, strict bool) error {
			return c.editPayloads(ctx, ids, strict, edit)
		})
	}}, nil
}

// payloadEdit returns the change u makes to one decoded payload.
func (c *Collection) payloadEdit(u PayloadUpdate) (func(filter.Payload) filter.Payload, error) {
	var value filter.Payload
	if u.Kind == PayloadSet || u.Kind == PayloadOverwrite {
		if u.Payload == nil {
			return nil, fmt.Errorf("%w: payload: required", ErrBadRequest)
		}
		// Round-trip the new values, so they are stored and indexed as
		// they will be read back (Go ints and JSON numbers alike).
		raw, err := json.Marshal(u.Payload)
		if err != nil {
			return nil, fmt.Errorf("%w: payload: %w", ErrBadRequest, err)
		}
		if len(raw) > c.opts.MaxPayloadBytes {
			return nil, fmt.Errorf("%w: payload of %d bytes exceeds %d", ErrBadRequest, len(raw), c.opts.MaxPayloadBytes)
		}
		if value, err = decodePayload(raw); err != nil {
			return nil, fmt.Errorf("%w: payload: %w", ErrBadRequest, err)
		}
	}
	switch u.Kind {
	case PayloadSet:
		if u.Key == "" {
			return func(p filter.Payload) filter.Payload { maps.Copy(p, value); return p }, nil
		}
		path, err := parsePath(u.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: key: %w", ErrBadRequest, err)
		}
		return func(p filter.Payload) filter.Payload { setAtPath(p, path, value); return p }, nil
	case PayloadOverwrite:
		return func(filter.Payload) filter.Payload { return maps.Clone(value) }, nil
	case PayloadDeleteKeys:
		if u.Keys == nil {
			return nil, fmt.Errorf("%w: keys: required", ErrBadRequest)
		}
		paths := make([][]pathStep, len(u.Keys))
		for i, k := range u.Keys {
			var err error
			if paths[i], err = parsePath(k); err != nil {
				return nil, fmt.Errorf("%w: keys[%d]: %w", ErrBadRequest, i, err)
			}
		}
		return func(p filter.Payload) filter.Payload {
			for _, path := range paths {
				deleteAtPath(p, path)
			}
			return p
		}, nil
	case PayloadClear:
		return func(filter.Payload) filter.Payload { return filter.Payload{} }, nil
	}
	return nil, fmt.Errorf("%w: unknown payload update %d", ErrBadRequest, u.Kind)
}

// forSelected calls fn with the ids sel names (strict: each must exist),
// or with the ids of the points matching its filter, a batch at a time
// (not strict: a point deleted since the match is skipped).
func (c *Collection) forSelected(ctx context.Context, sel Selector, fn func(ids []pointid.ID, strict bool) error) error {
	if sel.Filter == nil {
		return fn(sel.IDs, true)
	}
	set, err := c.match(ctx, sel.Filter)
	if err != nil {
		return err
	}
	ids := c.idsOf(set)
	for len(ids) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(ids), updateBatch)
		if err := fn(ids[:n], false); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// editPayloads rewrites the payloads of the points ids with edit, in one
// synced write under their id stripes. With strict, a missing point fails
// the whole call before anything is written.
func (c *Collection) editPayloads(ctx context.Context, ids []pointid.ID, strict bool, edit func(filter.Payload) filter.Payload) error {
	ids = distinct(ids)
	unlock := c.lockIDs(ids)
	defer unlock()
	// snapMu keeps the payload indexes fixed: setIndexes rewrites terms
	// from payloads while it holds it for writing.
	c.snapMu.RLock()
	defer c.snapMu.RUnlock()
	c.mu.RLock()
	closed, indexes := c.mu.closed, c.mu.indexes
	nodes := make([]uint32, len(ids))
	found := make([]bool, len(ids))
	for i, id := range ids {
		nodes[i], found[i] = c.mu.ids[id]
	}
	c.mu.RUnlock()
	if closed {
		return fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	ops := make([]storage.Op, 0, len(ids))
	for i, id := range ids {
		if !found[i] {
			if strict {
				return fmt.Errorf("%w: no point with id %s in collection %q", ErrNotFound, id, c.name)
			}
			continue
		}
		raw, err := c.store.Payload(nodes[i])
		if err != nil {
			return c.readErr(id, err)
		}
		p, err := decodePayload(raw)
		if err != nil {
			return fmt.Errorf("collection %q: point %s: %w", c.name, id, err)
		}
		p = edit(p)
		out, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("%w: point %s: payload: %w", ErrBadRequest, id, err)
		}
		if len(out) > c.opts.MaxPayloadBytes {
			return fmt.Errorf("%w: point %s: payload of %d bytes after the update exceeds %d", ErrBadRequest, id, len(out), c.opts.MaxPayloadBytes)
		}
		ops = append(ops, storage.Op{Kind: storage.OpPayload, ID: id, Node: nodes[i], Payload: out, Terms: termsOf(indexes, p)})
	}
	if len(ops) == 0 {
		return nil
	}
	if err := c.store.Write(ctx, ops); err != nil {
		return err
	}
	// Invariant 6: the terms change under c.mu with the store's. set, not
	// setAll: setAll re-sorts every entry, set costs amortised O(log n).
	c.mu.Lock()
	for _, op := range ops {
		c.post.set(op.Node, op.Terms)
	}
	c.mu.Unlock()
	return nil
}

// distinct returns ids without repeats, in first-seen order.
func distinct(ids []pointid.ID) []pointid.ID {
	seen := make(map[pointid.ID]bool, len(ids))
	out := make([]pointid.ID, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

package httpapi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// snapshotSharded writes a snapshot file of the sharded collection name
// on this node, in the single-node format, so it is listed, downloaded
// and recovered (on a single node or a cluster) as any: the points are
// read through the router a page at a time into a scratch collection of
// the schema's config and payload indexes, beside the users'
// interactions and the model the schema copy keeps; the scratch's
// snapshot is the file. It is not a point-in-time copy across shards:
// each page is read as the shards hold it then. Interactions whose item
// is gone are left out, as a single node's readers skip them.
func (h *Handler) snapshotSharded(ctx context.Context, name string, points pointReader) (index.SnapshotFile, error) {
	schema, err := h.db.Collection(name)
	if err != nil {
		return index.SnapshotFile{}, err
	}
	name = schema.Name()
	dir := h.db.SnapshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return index.SnapshotFile{}, fmt.Errorf("snapshot directory: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-snapshot-")
	if err != nil {
		return index.SnapshotFile{}, fmt.Errorf("snapshot %q: scratch directory: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	scratch, err := h.db.OpenScratch(ctx, tmp, h.cfg.Logger.With("scratch", tmp))
	if err != nil {
		return index.SnapshotFile{}, fmt.Errorf("snapshot %q: scratch DB: %w", name, err)
	}
	defer scratch.Close()
	cfg := schema.Config()
	indexes := cfg.PayloadIndexes
	cfg.PayloadIndexes = nil
	c, err := scratch.Create(ctx, name, cfg)
	if err != nil {
		return index.SnapshotFile{}, fmt.Errorf("snapshot %q: %w", name, err)
	}
	defer scratch.Drop(context.Background(), name) // a drop, unlike Close, saves no graph
	keys := make([]string, 0, len(indexes))
	for k := range indexes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := c.CreatePayloadIndex(ctx, k, indexes[k]); err != nil {
			return index.SnapshotFile{}, fmt.Errorf("snapshot %q: payload index %q: %w", name, k, err)
		}
	}
	if err := copyPoints(ctx, points, c); err != nil {
		return index.SnapshotFile{}, fmt.Errorf("snapshot %q: %w", name, err)
	}
	if err := copyInteractions(ctx, schema, c); err != nil {
		return index.SnapshotFile{}, fmt.Errorf("snapshot %q: %w", name, err)
	}
	model, err := schema.LoadModel(ctx)
	switch {
	case errors.Is(err, index.ErrNotFound):
	case err != nil:
		return index.SnapshotFile{}, fmt.Errorf("snapshot %q: %w", name, err)
	default:
		if err := c.SaveModel(model); err != nil {
			return index.SnapshotFile{}, fmt.Errorf("snapshot %q: %w", name, err)
		}
	}
	return scratch.CreateSnapshotFile(ctx, name)
}

// copyPoints upserts every point of from, all its vectors and its
// payload, into to, recoverBatch at a time.
func copyPoints(ctx context.Context, from pointReader, to *index.Collection) error {
	var offset *pointid.ID
	for {
		page, err := from.Scroll(ctx, index.ScrollRequest{Offset: offset, Limit: recoverBatch,
			ReadOptions: index.ReadOptions{WithPayload: true, WithVector: true}})
		if err != nil {
			return fmt.Errorf("read the points: %w", err)
		}
		pts := make([]index.Point, len(page.Points))
		for i, r := range page.Points {
			pts[i] = index.Point{ID: r.ID, Vector: r.Vector, Vectors: r.Vectors, Sparse: r.Sparse, Payload: r.Payload}
		}
		if len(pts) > 0 {
			if err := to.Upsert(ctx, pts); err != nil {
				return fmt.Errorf("copy the points: %w", err)
			}
		}
		if page.Next == nil {
			return nil
		}
		offset = page.Next
	}
}

// copyInteractions records from's interactions in to, recoverInteractions
// at a time, leaving out those whose item to does not hold.
func copyInteractions(ctx context.Context, from, to *index.Collection) error {
	err := inBatches(ctx, from, recoverInteractions, func(batch []index.Interaction) error {
		ids := make([]pointid.ID, len(batch))
		for i, it := range batch {
			ids[i] = it.Item
		}
		held, err := to.Get(ctx, ids, index.ReadOptions{})
		if err != nil {
			return err
		}
		have := make(map[pointid.ID]bool, len(held))
		for _, r := range held {
			have[r.ID] = true
		}
		kept := slices.DeleteFunc(slices.Clone(batch), func(it index.Interaction) bool { return !have[it.Item] })
		if len(kept) == 0 {
			return nil
		}
		return to.Interact(ctx, kept)
	})
	if err != nil {
		return fmt.Errorf("copy the interactions: %w", err)
	}
	return nil
}

package storage

import (
	"context"
	"fmt"
)

// NodeVector is one node's vector in a space.
type NodeVector struct {
	Node   uint32
	Vector []float32
}

// ReplaceSpace makes vectors the whole content of a named space and graph
// its snapshot at seq, in one synced batch: after a crash the space holds
// the old vectors and snapshot or the new ones, and a snapshot never
// disagrees with the vectors it was built from. The caller must keep every
// other writer away from the collection until it returns.
func (c *Collection) ReplaceSpace(ctx context.Context, space uint8, seq uint64, vectors []NodeVector, graph []byte) error {
	if space == 0 {
		return fmt.Errorf("collection %q: replace space 0: only named spaces can be replaced", c.name)
	}
	headers, err := c.writeGraphChunks(ctx, []SpaceGraph{{Space: space, Data: graph}})
	if err != nil {
		return fmt.Errorf("collection %q: replace space %d: %w", c.name, space, err)
	}
	b := c.store.db.NewBatch()
	defer b.Close()
	first := c.vectorKey(space, 0)
	_ = b.DeleteRange(first, prefixEnd(first[:len(first)-4]), nil)
	for _, nv := range vectors {
		_ = b.Set(c.vectorKey(space, nv.Node), encodeVector(nv.Vector), nil)
	}
	c.publishGraph(b, space, seq, headers[0])
	if err := c.store.commit(ctx, b, true); err != nil {
		return fmt.Errorf("collection %q: replace space %d with %d vectors: %w", c.name, space, len(vectors), err)
	}
	return nil
}

package index

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/quiver-db/quiver/internal/bitset"
	"github.com/quiver-db/quiver/internal/parallel"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/storage"
)

// ReplaceVectors makes vectors the whole content of the named vector
// name: each given point that exists gets its vector, every other point
// loses its own. It returns how many points now carry the vector.
//
// A model's retrain rewrites all its item vectors at once, and a search
// must see the old model's vectors or the new one's, never a mix. So the
// new graph is built aside and swapped in with the store's write, and
// writes to the collection wait meanwhile (about a second per 10,000
// 64-d vectors on 2 cores); searches do not. Ids that name no point are
// skipped: the points may have been deleted since the vectors were made.
func (c *Collection) ReplaceVectors(ctx context.Context, name string, vectors map[pointid.ID][]float32) (int, error) {
	sp, err := c.space(name)
	if err != nil {
		return 0, err
	}
	if sp.has == nil {
		return 0, fmt.Errorf("%w: collection %q: only a named vector can be replaced", ErrBadRequest, c.name)
	}
	for id, v := range vectors {
		if err := c.checkVector(sp, v); err != nil {
			return 0, fmt.Errorf("%w: point %s: %w", ErrBadRequest, id, err)
		}
	}
	start := time.Now()
	c.snapMu.Lock() // no write in flight, none starts
	defer c.snapMu.Unlock()
	c.mu.RLock()
	closed, seq := c.mu.closed, c.mu.seq
	set := make([]storage.NodeVector, 0, len(vectors))
	for id, v := range vectors {
		if node, ok := c.mu.ids[id]; ok {
			set = append(set, storage.NodeVector{Node: node, Vector: v})
		}
	}
	c.mu.RUnlock()
	if closed {
		return 0, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	slices.SortFunc(set, func(a, b storage.NodeVector) int { return int(a.Node) - int(b.Node) })
	g, err := newGraph(c.currentVector(sp))
	if err != nil {
		return 0, err
	}
	g.Reserve(len(set))
	workers := min(runtime.GOMAXPROCS(0), len(set)/insertsPerWorker+1)
	err = parallel.ForErr(len(set), workers, func(_, i int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return g.InsertAt(set[i].Node, set[i].Vector)
	})
	if err != nil {
		return 0, fmt.Errorf("collection %q: build graph of vector %q: %w", c.name, name, err)
	}
	if err := c.quantizeGraph(ctx, name, g, c.currentVector(sp).Quantization); err != nil {
		return 0, fmt.Errorf("collection %q: %w", c.name, err)
	}
	var buf bytes.Buffer
	if err := g.Export(&buf); err != nil {
		return 0, fmt.Errorf("collection %q: export graph of vector %q: %w", c.name, name, err)
	}
	if err := c.store.ReplaceSpace(ctx, sp.space, seq, set, buf.Bytes()); err != nil {
		return 0, err
	}
	has := bitset.Set{}
	for _, nv := range set {
		has.Add(nv.Node)
	}
	c.mu.Lock()
	sp.graph.Store(g)
	sp.has = has
	c.mu.Unlock()
	c.log.Info("vector replaced", "vector", name, "points", len(set), "elapsed", time.Since(start).Round(time.Millisecond))
	return len(set), nil
}

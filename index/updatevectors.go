package index

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
	"github.com/quiver-db/quiver/storage"
)

// PointVectors are new vectors for an existing point: the vectors named
// are replaced, the point's others and its payload are kept.
type PointVectors struct {
	ID pointid.ID
	// Vectors are dense vectors by name; "" is the unnamed vector.
	Vectors map[string][]float32
	// Sparse are sparse vectors by name.
	Sparse map[string]sparse.Vector
}

// VectorDeletion removes the named vectors (dense or sparse) from the
// points Points selects; their other vectors and payloads are kept.
type VectorDeletion struct {
	Points Selector
	Names  []string
}

// UpdateVectors sets the given vectors of existing points. Every point
// must exist (ErrNotFound otherwise, and nothing is written); the write is
// an upsert of each point with its vectors merged, so it is durable,
// atomic and searchable as Upsert is. When an id appears twice, the later
// vectors win name by name.
func (c *Collection) UpdateVectors(ctx context.Context, points []PointVectors) error {
	s, err := c.planUpdateVectors(points)
	if err != nil {
		return err
	}
	return s.run(ctx)
}

// DeleteVectors removes vectors from the selected points. Points selected
// by id must all exist; by filter, they are rewritten in batches of
// updateBatch (see UpdatePayload). A collection's unnamed vector cannot
// be deleted: every point of such a collection carries it.
func (c *Collection) DeleteVectors(ctx context.Context, d VectorDeletion) error {
	s, err := c.planDeleteVectors(d)
	if err != nil {
		return err
	}
	return s.run(ctx)
}

// planUpdateVectors validates points and returns the step that writes them.
func (c *Collection) planUpdateVectors(points []PointVectors) (step, error) {
	merged := map[pointid.ID]*PointVectors{}
	var ids []pointid.ID
	for i, p := range points {
		if len(p.Vectors)+len(p.Sparse) == 0 {
			return step{}, fmt.Errorf("%w: points[%d]: vector: want at least one vector", ErrBadRequest, i)
		}
		if _, _, err := c.pointVectors(asPoint(p)); err != nil {
			return step{}, fmt.Errorf("%w: points[%d] (id %s): %w", ErrBadRequest, i, p.ID, err)
		}
		if _, err := c.pointSparse(asPoint(p)); err != nil {
			return step{}, fmt.Errorf("%w: points[%d] (id %s): %w", ErrBadRequest, i, p.ID, err)
		}
		m := merged[p.ID]
		if m == nil {
			m = &PointVectors{ID: p.ID, Vectors: map[string][]float32{}, Sparse: map[string]sparse.Vector{}}
			merged[p.ID] = m
			ids = append(ids, p.ID)
		}
		maps.Copy(m.Vectors, p.Vectors)
		maps.Copy(m.Sparse, p.Sparse)
	}
	return step{needs: ids, run: func(ctx context.Context) error {
		return c.rewritePoints(ctx, ids, true, func(cur *Point) bool {
			m := merged[cur.ID]
			if c.graph != nil {
				cur.Vector = m.Vectors[""]
			} else {
				maps.Copy(cur.Vectors, m.Vectors)
			}
			maps.Copy(cur.Sparse, m.Sparse)
			return true
		})
	}}, nil
}

// asPoint is p as the upsert checks see it.
func asPoint(p PointVectors) Point {
	return Point{ID: p.ID, Vectors: p.Vectors, Sparse: p.Sparse}
}

// planDeleteVectors validates d and returns the step that applies it.
func (c *Collection) planDeleteVectors(d VectorDeletion) (step, error) {
	if err := d.Points.check(); err != nil {
		return step{}, err
	}
	if len(d.Names) == 0 {
		return step{}, fmt.Errorf("%w: vector: want the names of the vectors to delete", ErrBadRequest)
	}
	for i, name := range d.Names {
		if _, err := c.sparseSpaceNamed(name); err == nil {
			continue
		}
		_, err := c.space(name)
		if err != nil {
			return step{}, fmt.Errorf("vector[%d]: %w", i, err)
		}
		if c.graph != nil { // no named vectors: every point carries the unnamed one
			return step{}, fmt.Errorf("%w: vector[%d]: collection %q has only the unnamed vector, which every point carries; delete the points instead", ErrBadRequest, i, c.name)
		}
	}
	names := slices.Clone(d.Names)
	return step{needs: d.Points.IDs, run: func(ctx context.Context) error {
		return c.forSelected(ctx, d.Points, func(ids []pointid.ID, strict bool) error {
			return c.rewritePoints(ctx, ids, strict, func(cur *Point) bool {
				changed := false
				for _, name := range names {
					_, dense := cur.Vectors[name]
					_, sparse := cur.Sparse[name]
					changed = changed || dense || sparse
					delete(cur.Vectors, name)
					delete(cur.Sparse, name)
				}
				return changed
			})
		})
	}}, nil
}

// rewritePoints reads each point of ids under its id stripe, lets change
// edit it (vectors as stored, payload kept) and upserts those it reports
// changed, in one write. With strict, a missing point fails the call
// before anything is written; otherwise it is skipped.
func (c *Collection) rewritePoints(ctx context.Context, ids []pointid.ID, strict bool, change func(*Point) bool) error {
	ids = distinct(ids)
	unlock := c.lockIDs(ids)
	defer unlock()
	batch := make([]prepared, 0, len(ids))
	for _, id := range ids {
		cur, raw, ok, err := c.currentLocked(id)
		if err != nil {
			return err
		}
		if !ok {
			if strict {
				return fmt.Errorf("%w: no point with id %s in collection %q", ErrNotFound, id, c.name)
			}
			continue
		}
		if !change(&cur) {
			continue
		}
		vector, named, err := c.pointVectors(cur)
		if err != nil {
			return fmt.Errorf("%w: point %s: %w", ErrBadRequest, id, err)
		}
		sparseVecs, err := c.pointSparse(cur)
		if err != nil {
			return fmt.Errorf("%w: point %s: %w", ErrBadRequest, id, err)
		}
		batch = append(batch, prepared{id: id, vector: vector, named: named, sparse: sparseVecs, payload: raw, decoded: cur.Payload})
	}
	if len(batch) == 0 {
		return nil
	}
	return c.upsertLocked(ctx, batch)
}

// currentLocked reads point id as stored: its vectors (Vector, or Vectors
// and Sparse by name, never nil maps in a collection with named vectors),
// its decoded payload, and the payload's stored JSON. The caller holds
// id's stripe; ok is false when the point does not exist.
func (c *Collection) currentLocked(id pointid.ID) (Point, []byte, bool, error) {
	c.mu.RLock()
	node, ok := c.mu.ids[id]
	closed := c.mu.closed
	p := Point{ID: id}
	if ok && c.graph == nil {
		p.Sparse = c.sparseVectors(node, ReadOptions{}) // idx changes under c.mu for writing
	}
	c.mu.RUnlock()
	if closed {
		return Point{}, nil, false, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	if !ok {
		return Point{}, nil, false, nil
	}
	raw, err := c.store.Payload(node)
	if err != nil {
		return Point{}, nil, false, c.readErr(id, err)
	}
	if p.Payload, err = decodePayload(raw); err != nil {
		return Point{}, nil, false, fmt.Errorf("collection %q: point %s: %w", c.name, id, err)
	}
	if c.graph != nil {
		if p.Vector, err = c.store.Vector(0, node); err != nil {
			return Point{}, nil, false, c.readErr(id, err)
		}
		return p, raw, true, nil
	}
	if p.Sparse == nil {
		p.Sparse = map[string]sparse.Vector{}
	}
	p.Vectors = map[string][]float32{}
	for _, sp := range c.spaces {
		v, err := c.store.Vector(sp.space, node)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return Point{}, nil, false, c.readErr(id, err)
		}
		p.Vectors[sp.name] = v
	}
	return p, raw, true, nil
}

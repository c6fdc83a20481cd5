package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/internal/parallel"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
	"github.com/quiver-db/quiver/storage"
)

// Point is a point to upsert.
type Point struct {
	ID pointid.ID
	// Vector is the point's vector in a collection without named vectors.
	Vector []float32
	// Vectors are the point's vectors by name in a collection with named
	// vectors; a point may lack any of them. (Without named vectors, a
	// map holding only "" stands for Vector.)
	Vectors map[string][]float32
	// Sparse are the point's sparse vectors by name; a point may lack any
	// of them, and may carry only these.
	Sparse map[string]sparse.Vector
	// Payload is a JSON object; nil means {}.
	Payload map[string]any
}

// prepared is a validated point ready to become an Op.
type prepared struct {
	id      pointid.ID
	vector  []float32
	named   []storage.SpaceVector
	sparse  []storage.SpaceSparse
	payload []byte
	decoded map[string]any
}

// Upsert inserts points or replaces the points with the same ids. It
// returns after the writes are durable (synced to Pebble's WAL) and
// searchable. Invalid input fails with ErrBadRequest and writes nothing;
// when an id appears twice, the last point wins.
func (c *Collection) Upsert(ctx context.Context, points []Point) error {
	s, err := c.planUpsert(points)
	if err != nil {
		return err
	}
	return s.run(ctx)
}

// upsertLocked writes a prepared batch (distinct ids) whose id stripes
// the caller holds (lockIDs), so it may have read the points first.
func (c *Collection) upsertLocked(ctx context.Context, batch []prepared) error {
	// A full disk refuses the write before the graph work for it.
	if err := c.store.Writable(); err != nil {
		return err
	}
	c.snapMu.RLock()
	defer c.snapMu.RUnlock()

	ops := make([]storage.Op, len(batch))
	c.mu.RLock()
	closed := c.mu.closed
	indexes := c.mu.indexes // fixed while snapMu is held for reading
	for i, p := range batch {
		ops[i] = storage.Op{Kind: storage.OpUpsert, ID: p.id, Vector: p.vector, Named: p.named, Spaces: c.spaceIDs,
			Sparse: p.sparse, SparseSpaces: c.sparseIDs, Payload: p.payload}
		ops[i].Prev, ops[i].Replaced = c.mu.ids[p.id]
	}
	c.mu.RUnlock()
	for i, p := range batch {
		ops[i].Terms = termsOf(indexes, p.decoded)
	}
	if closed {
		return fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	// The graph picks each new node; a node not yet published is dropped
	// from search results until the commit below succeeds.
	graphStart := time.Now()
	err := c.insertAll(ops)
	c.stats.graph.Add(int64(time.Since(graphStart)))
	if err != nil {
		return err
	}
	c.mu.Lock()
	for i := range ops {
		if c.mu.live.Has(ops[i].Node) {
			c.mu.Unlock()
			c.dropNodes(ops)
			panic(fmt.Sprintf("index: graph handed out node %d, which holds point %s", ops[i].Node, c.mu.nodes[ops[i].Node]))
		}
		c.mu.seq++
		ops[i].Seq = c.mu.seq
	}
	c.mu.Unlock()
	commitStart := time.Now()
	err = c.store.Write(ctx, ops)
	c.stats.commit.Add(int64(time.Since(commitStart)))
	if err != nil {
		c.dropNodes(ops)
		return err
	}
	c.mu.Lock()
	for _, op := range ops {
		if op.Replaced {
			c.unpublishLocked(op.ID, op.Prev)
			c.post.clear(op.Prev)
		}
		c.publishLocked(op.ID, op.Node)
		for _, sv := range op.Named {
			c.spaceOf(sv.Space).has.Add(op.Node)
		}
		for _, sv := range op.Sparse {
			c.sparseOf(sv.Space).idx.Set(op.Node, sv.Vector)
		}
		c.post.set(op.Node, op.Terms)
	}
	c.mu.Unlock()
	var errs []error
	for _, op := range ops {
		if op.Replaced {
			errs = append(errs, c.removeFromGraphs(op.Prev))
		}
	}
	c.wrote(len(ops))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("collection %q: graph out of step with the store (fixed at the next open): %w", c.name, err)
	}
	return nil
}

// insertAll inserts the vectors of ops into the graph and sets their
// nodes. A large batch is spread over the cores (the graph takes
// concurrent inserts), so one client's upsert is not held to one core.
// On error it removes what it inserted.
func (c *Collection) insertAll(ops []storage.Op) error {
	workers := min(runtime.GOMAXPROCS(0), len(ops)/insertsPerWorker)
	if c.graph == nil {
		return c.insertNamed(ops, workers)
	}
	inserted := make([]bool, len(ops))
	err := parallel.ForErr(len(ops), workers, func(_, i int) error {
		node, err := c.graph.Insert(ops[i].Vector)
		if err != nil {
			return fmt.Errorf("collection %q: insert point %s: %w", c.name, ops[i].ID, err)
		}
		ops[i].Node, inserted[i] = node, true
		return nil
	})
	if err != nil {
		for i := range ops {
			if inserted[i] {
				c.dropNodes(ops[i : i+1])
			}
		}
		return err
	}
	return nil
}

// insertNamed gives ops new nodes and inserts each named vector of each
// into its vector's graph under the op's node. On error it removes what it
// inserted.
func (c *Collection) insertNamed(ops []storage.Op, workers int) error {
	for i, node := range c.allocNodes(len(ops)) {
		ops[i].Node = node
	}
	err := parallel.ForErr(len(ops), workers, func(_, i int) error {
		for _, sv := range ops[i].Named {
			sp := c.spaceOf(sv.Space)
			if err := sp.g().InsertAt(ops[i].Node, sv.Vector); err != nil {
				return fmt.Errorf("collection %q: insert point %s, vector %q: %w", c.name, ops[i].ID, sp.name, err)
			}
		}
		return nil
	})
	if err != nil {
		c.dropNodes(ops)
	}
	return err
}

// insertsPerWorker is the least work worth another goroutine in insertAll.
const insertsPerWorker = 16

// dropNodes removes from the graphs the nodes an unfinished upsert inserted.
func (c *Collection) dropNodes(ops []storage.Op) {
	for _, op := range ops {
		if c.graph == nil {
			_ = c.removeFromGraphs(op.Node) // it deletes only what a graph holds
			continue
		}
		if err := c.graph.Delete(op.Node); err != nil {
			c.log.Error("cannot undo graph insert", "node", op.Node, "err", err)
		}
	}
}

// wrote counts n writes toward the next graph snapshot.
func (c *Collection) wrote(n int) {
	c.mu.Lock()
	c.mu.unsaved += n
	due := c.mu.unsaved >= c.opts.SnapshotEvery
	c.mu.Unlock()
	if due {
		select {
		case c.saveReq <- struct{}{}:
		default:
		}
	}
}

// prepare validates points and encodes their payloads and index terms.
func (c *Collection) prepare(points []Point) ([]prepared, error) {
	last := make(map[pointid.ID]int, len(points))
	for i, p := range points {
		last[p.ID] = i
	}
	out := make([]prepared, 0, len(last))
	for i, p := range points {
		if last[p.ID] != i {
			continue
		}
		vector, named, err := c.pointVectors(p)
		if err != nil {
			return nil, fmt.Errorf("%w: point %s: %w", ErrBadRequest, p.ID, err)
		}
		sparseVecs, err := c.pointSparse(p)
		if err != nil {
			return nil, fmt.Errorf("%w: point %s: %w", ErrBadRequest, p.ID, err)
		}
		payload := p.Payload
		if payload == nil {
			payload = map[string]any{}
		}
		raw, err := json.Marshal(payload)
		if err != nil {
			return nil, fmt.Errorf("%w: point %s: payload: %w", ErrBadRequest, p.ID, err)
		}
		if len(raw) > c.opts.MaxPayloadBytes {
			return nil, fmt.Errorf("%w: point %s: payload of %d bytes exceeds %d", ErrBadRequest, p.ID, len(raw), c.opts.MaxPayloadBytes)
		}
		// Index terms come from the payload as it will be read back, so
		// Go ints and JSON numbers index alike.
		decoded, err := decodePayload(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: point %s: payload: %w", ErrBadRequest, p.ID, err)
		}
		out = append(out, prepared{id: p.ID, vector: vector, named: named, sparse: sparseVecs, payload: raw, decoded: decoded})
	}
	return out, nil
}

// pointVectors checks a point's vectors against the collection's and
// returns them as the store takes them: the unnamed vector, or the named
// ones in space order.
func (c *Collection) pointVectors(p Point) ([]float32, []storage.SpaceVector, error) {
	if c.graph != nil {
		v := p.Vector
		if len(p.Vectors) > 0 {
			u, ok := p.Vectors[""]
			if !ok || len(p.Vectors) > 1 || v != nil {
				return nil, nil, fmt.Errorf("named vectors, but collection %q has only the unnamed vector", c.name)
			}
			v = u
		}
		return v, nil, c.checkVector(c.spaces[0], v)
	}
	vectors := p.Vectors
	if p.Vector != nil {
		// A bare vector fills the vector named "", as in Qdrant, where it
		// is the default vector's name.
		if _, ok := c.cfg.Vectors[""]; !ok || vectors[""] != nil {
			return nil, nil, fmt.Errorf("an unnamed vector, but collection %q has named vectors (%s)", c.name, strings.Join(c.cfg.VectorNames(), ", "))
		}
		vectors = maps.Clone(vectors)
		if vectors == nil {
			vectors = map[string][]float32{}
		}
		vectors[""] = p.Vector
	}
	named := make([]storage.SpaceVector, 0, len(vectors))
	for name, v := range vectors {
		sp, err := c.space(name)
		if err != nil {
			return nil, nil, err
		}
		if err := c.checkVector(sp, v); err != nil {
			return nil, nil, err
		}
		named = append(named, storage.SpaceVector{Space: sp.space, Vector: v})
	}
	slices.SortFunc(named, func(a, b storage.SpaceVector) int { return int(a.Space) - int(b.Space) })
	return nil, named, nil
}

// checkVector rejects vectors of the wrong size, with NaN or infinite
// components, or (for cosine) of zero length.
func (c *Collection) checkVector(sp *vectorSpace, v []float32) error {
	if len(v) != sp.cfg.Size {
		if sp.name != "" {
			return fmt.Errorf("vector %q of size %d, collection %q wants %d", sp.name, len(v), c.name, sp.cfg.Size)
		}
		return fmt.Errorf("vector of size %d, collection %q wants %d", len(v), c.name, sp.cfg.Size)
	}
	var norm float64
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("vector component %d is %v", i, x)
		}
		norm += float64(x) * float64(x)
	}
	if sp.cfg.Distance == Cosine && norm == 0 {
		return errors.New("zero vector has no cosine direction")
	}
	if norm > maxNormSquared {
		return fmt.Errorf("vector of length %.3g: scores against it would overflow (limit %.3g)", math.Sqrt(norm), math.Sqrt(maxNormSquared))
	}
	return nil
}

// maxNormSquared bounds a vector's squared length so that every score,
// computed in float32, stays finite: a dot product is at most |a|·|b| and a
// squared distance at most (|a|+|b|)² = 4e37, below float32's 3.4e38.
const maxNormSquared = 1e37

// termsOf returns the payload-index terms of a payload: one per distinct
// value of each indexed key (strings for keyword indexes, numbers for
// numeric ones).
func termsOf(indexes map[string]FieldType, payload map[string]any) []storage.Term {
	var terms []storage.Term
	fields := make([]string, 0, len(indexes))
	for f := range indexes {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, field := range fields {
		seen := map[any]bool{}
		for _, v := range filter.Values(payload, field) {
			switch indexes[field] {
			case Keyword:
				if s, ok := v.(string); ok && !seen[s] {
					seen[s] = true
					terms = append(terms, storage.Term{Field: field, Kind: storage.TermKeyword, Keyword: s})
				}
			case Integer, Float:
				if x, ok := filter.Number(v); ok && !math.IsNaN(x) && !seen[x] {
					seen[x] = true
					terms = append(terms, storage.Term{Field: field, Kind: storage.TermNumber, Number: x})
				}
			}
		}
	}
	return terms
}

// Delete removes the points with these ids and returns how many existed.
// It returns after the deletes are durable.
func (c *Collection) Delete(ctx context.Context, ids []pointid.ID) (int, error) {
	unlock := c.lockIDs(ids)
	defer unlock()
	c.snapMu.RLock()
	defer c.snapMu.RUnlock()
	var ops []storage.Op
	seen := map[pointid.ID]bool{}
	c.mu.Lock()
	if c.mu.closed {
		c.mu.Unlock()
		return 0, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	for _, id := range ids {
		node, ok := c.mu.ids[id]
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		c.mu.seq++
		ops = append(ops, storage.Op{Seq: c.mu.seq, Kind: storage.OpDelete, ID: id, Node: node, Spaces: c.spaceIDs, SparseSpaces: c.sparseIDs})
	}
	c.mu.Unlock()
	if len(ops) == 0 {
		return 0, nil
	}
	if err := c.store.Write(ctx, ops); err != nil {
		return 0, err
	}
	c.mu.Lock()
	for _, op := range ops {
		c.unpublishLocked(op.ID, op.Node)
		c.post.clear(op.Node)
	}
	c.mu.Unlock()
	var errs []error
	for _, op := range ops {
		errs = append(errs, c.removeFromGraphs(op.Node))
	}
	c.wrote(len(ops))
	if err := errors.Join(errs...); err != nil {
		return len(ops), fmt.Errorf("collection %q: graph out of step with the store (fixed at the next open): %w", c.name, err)
	}
	return len(ops), nil
}

// DeleteByFilter removes the points that match f (nil matches all) and
// returns how many it removed. Points written while it runs may or may not
// be removed.
func (c *Collection) DeleteByFilter(ctx context.Context, f *filter.Filter) (int, error) {
	set, err := c.match(ctx, f)
	if err != nil {
		return 0, err
	}
	ids := c.idsOf(set)
	total := 0
	for len(ids) > 0 {
		n := min(len(ids), 1024)
		deleted, err := c.Delete(ctx, ids[:n])
		total += deleted
		if err != nil {
			return total, err
		}
		ids = ids[n:]
	}
	return total, nil
}

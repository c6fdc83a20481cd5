package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/internal/bitset"
	"github.com/quiver-db/quiver/internal/parallel"
	"github.com/quiver-db/quiver/storage"
)

// vectorSpace is one vector of a collection, the unnamed one (storage
// space 0) or a named one, with its graph.
type vectorSpace struct {
	name  string // "" for the unnamed vector
	space uint8
	cfg   VectorConfig // HNSW defaults applied
	// graph is set while the collection opens; ReplaceVectors swaps in a
	// new one (never in a collection without named vectors, whose
	// Collection.graph is this one). Load it once per operation.
	graph atomic.Pointer[hnsw.Graph]
	// has holds the live nodes whose point carries this vector in a
	// collection with named vectors; nil in one without, where every live
	// node does. Protected by Collection.mu.
	has bitset.Set
	// part is the partitioned index, nil without IVFConfig
	// (startPartitions).
	part atomic.Pointer[partition]
}

// space returns the vector called name ("" is the unnamed one), or an
// ErrBadRequest error that names the vectors the collection has.
func (c *Collection) space(name string) (*vectorSpace, error) {
	for _, sp := range c.spaces {
		if sp.name == name {
			return sp, nil
		}
	}
	if c.graph != nil {
		return nil, fmt.Errorf("%w: collection %q has no vector named %q (it has only the unnamed vector)", ErrBadRequest, c.name, name)
	}
	what := fmt.Sprintf("no vector named %q", name)
	if name == "" {
		what = "no unnamed vector"
	}
	has := strings.Join(c.cfg.VectorNames(), ", ")
	if len(c.sparse) > 0 {
		has = strings.TrimPrefix(has+"; sparse: "+strings.Join(c.cfg.SparseNames(), ", "), "; ")
	}
	return nil, fmt.Errorf("%w: collection %q has %s (it has: %s)", ErrBadRequest, c.name, what, has)
}

// VectorConfig returns the config of the vector called name ("" is the
// unnamed one), or an ErrBadRequest error that names the vectors the
// collection has.
func (c *Collection) VectorConfig(name string) (VectorConfig, error) {
	sp, err := c.space(name)
	if err != nil {
		return VectorConfig{}, err
	}
	return c.currentVector(sp), nil
}

// currentVector is sp's config with the graph parameters UpdateConfig last
// set.
func (c *Collection) currentVector(sp *vectorSpace) VectorConfig {
	v := sp.cfg
	if t := c.tuned.Load(); t != nil {
		tv, _ := t.Vector(sp.name)
		v.HNSW, v.Quantization, v.IVF = tv.HNSW, tv.Quantization, tv.IVF
	}
	return v
}

// g returns the space's current graph.
func (sp *vectorSpace) g() *hnsw.Graph { return sp.graph.Load() }

func (c *Collection) spaceOf(space uint8) *vectorSpace {
	for _, sp := range c.spaces {
		if sp.space == space {
			return sp
		}
	}
	panic(fmt.Sprintf("index: collection %q has no vector space %d", c.name, space))
}

// member reports whether node's point carries sp's vector; c.mu must be
// held or the collection not yet shared.
func (c *Collection) memberLocked(sp *vectorSpace, node uint32) bool {
	if sp.has == nil {
		return c.mu.live.Has(node)
	}
	return sp.has.Has(node)
}

// restrict removes from set the nodes whose point lacks sp's vector.
func (c *Collection) restrict(sp *vectorSpace, set bitset.Set) {
	if sp.has == nil {
		return
	}
	c.mu.RLock()
	set.And(sp.has)
	c.mu.RUnlock()
}

// openSpaces sets up c.spaces from the config and, for named vectors,
// which live nodes carry each (from the store's vector keys).
func (c *Collection) openSpaces(ctx context.Context) error {
	if !c.cfg.Named() {
		v, _ := c.cfg.Vector("")
		c.spaces = []*vectorSpace{{cfg: v}}
		return nil
	}
	for _, name := range c.cfg.VectorNames() {
		v, _ := c.cfg.Vector(name)
		sp := &vectorSpace{name: name, space: v.Space, cfg: v, has: bitset.Set{}}
		err := c.store.ScanVectorNodes(ctx, v.Space, func(node uint32) error {
			if c.mu.live.Has(node) {
				sp.has.Add(node)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("vector %q: %w", name, err)
		}
		c.spaces = append(c.spaces, sp)
		c.spaceIDs = append(c.spaceIDs, v.Space)
	}
	return nil
}

// loadGraphs imports each vector's stored snapshot, replays the log after
// the oldest of them, and checks that each graph holds exactly the live
// nodes that carry its vector; a graph that cannot be loaded or fails the
// check is rebuilt from the stored vectors.
func (c *Collection) loadGraphs(ctx context.Context) error {
	from := uint64(math.MaxUint64)
	var replay []*vectorSpace
	c.savedSeq = math.MaxUint64
	for _, sp := range c.spaces {
		seq, ok, err := c.importGraph(ctx, sp)
		if err != nil {
			return err
		}
		if !ok {
			if err := c.rebuildGraph(ctx, sp); err != nil {
				return err
			}
			seq = 0
		} else {
			replay = append(replay, sp)
			from = min(from, seq)
		}
		c.savedSeq = min(c.savedSeq, seq)
	}
	if len(replay) == 0 {
		return nil
	}
	touched := map[uint32]bool{}
	err := c.store.LogAfter(ctx, from, func(e storage.LogEntry) error {
		touched[e.Node] = true
		if e.Replaced {
			touched[e.Prev] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read log after seq %d: %w", from, err)
	}
	for _, sp := range replay {
		if err := c.reconcile(ctx, sp, touched); err != nil {
			return err
		}
		if err := c.dropStrays(sp); err != nil {
			return err
		}
		// Cleanup also relinks live nodes that concurrent inserts and
		// deletes left unreachable from the entry point.
		sp.g().Cleanup()
		if missing := c.checkSpace(sp); missing != "" {
			c.log.Warn("graph disagrees with the store; rebuilding", "vector", sp.name, "problem", missing)
			c.savedSeq = 0
			if err := c.rebuildGraph(ctx, sp); err != nil {
				return err
			}
		}
	}
	c.mu.unsaved = max(c.mu.unsaved, len(touched))
	return nil
}

// importGraph loads sp's stored snapshot (or starts an empty graph when
// there is none) and returns the sequence number it reflects; ok is false
// when the snapshot is unusable and the graph must be rebuilt.
func (c *Collection) importGraph(ctx context.Context, sp *vectorSpace) (seq uint64, ok bool, err error) {
	seq, data, err := c.store.LoadGraph(ctx, sp.space)
	switch {
	case err == nil:
		var g *hnsw.Graph
		g, err = hnsw.Import(bytes.NewReader(data))
		if err == nil && g.Dim() != sp.cfg.Size {
			err = fmt.Errorf("graph dimension %d, collection %d", g.Dim(), sp.cfg.Size)
		}
		sp.graph.Store(g)
		if err != nil {
			c.log.Warn("graph snapshot unusable; rebuilding", "vector", sp.name, "err", err)
			return 0, false, nil
		}
		return seq, true, nil
	case errors.Is(err, storage.ErrNotFound):
		g, err := newGraph(sp.cfg)
		sp.graph.Store(g)
		return 0, err == nil, err
	case errors.Is(err, storage.ErrCorrupt):
		c.log.Warn("graph snapshot corrupt; rebuilding", "vector", sp.name, "err", err)
		return 0, false, nil
	default:
		return 0, false, err
	}
}

func newGraph(v VectorConfig) (*hnsw.Graph, error) {
	opts, err := v.hnswOptions()
	if err != nil {
		return nil, err
	}
	return hnsw.New(v.Size, opts)
}

// reconcile brings sp's graph nodes in touched to the store's state:
// removed where the store has no point or the point lacks the vector,
// (re)inserted with the stored vector where it has one.
func (c *Collection) reconcile(ctx context.Context, sp *vectorSpace, touched map[uint32]bool) error {
	var insert []uint32
	deleted := false
	for node := range touched {
		if sp.g().Contains(node) {
			if err := sp.g().Delete(node); err != nil {
				return fmt.Errorf("replay: %w", err)
			}
			deleted = true
		}
		if c.memberLocked(sp, node) {
			insert = append(insert, node)
		}
	}
	if deleted {
		sp.g().Cleanup() // frees the slots, so InsertAt does not clean up per node
	}
	slices.Sort(insert)
	return c.insertStored(ctx, sp, insert)
}

// dropStrays deletes from sp's graph the live nodes the store does not
// hold for it: a snapshot exported while writes went on can hold nodes of
// upserts that never committed.
func (c *Collection) dropStrays(sp *vectorSpace) error {
	var strays []uint32
	for node := range sp.g().Nodes() {
		if !c.memberLocked(sp, node) {
			strays = append(strays, node)
		}
	}
	for _, node := range strays {
		if err := sp.g().Delete(node); err != nil {
			return fmt.Errorf("drop node %d, which the store lacks: %w", node, err)
		}
	}
	if len(strays) > 0 {
		c.log.Info("dropped graph nodes of writes that never committed", "vector", sp.name, "nodes", len(strays))
	}
	return nil
}

// insertStored inserts the stored vectors of nodes into sp's graph, on all
// cores.
func (c *Collection) insertStored(ctx context.Context, sp *vectorSpace, nodes []uint32) error {
	workers := min(runtime.GOMAXPROCS(0), len(nodes)/64+1)
	return parallel.ForErr(len(nodes), workers, func(_, i int) error {
		vec, err := c.store.Vector(sp.space, nodes[i])
		if err == nil {
			err = sp.g().InsertAt(nodes[i], vec)
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("insert stored node %d: %w", nodes[i], err)
		}
		return nil
	})
}

// members returns, sorted, the live nodes that carry sp's vector.
func (c *Collection) members(sp *vectorSpace) []uint32 {
	var nodes []uint32
	if sp.has != nil {
		sp.has.Each(func(n uint32) { nodes = append(nodes, n) })
		return nodes
	}
	nodes = make([]uint32, 0, len(c.mu.ids))
	for _, n := range c.mu.ids {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	return nodes
}

// rebuildGraph builds sp's graph afresh from its stored vectors.
func (c *Collection) rebuildGraph(ctx context.Context, sp *vectorSpace) error {
	g, err := newGraph(sp.cfg)
	if err != nil {
		return err
	}
	sp.graph.Store(g)
	if sp.has == nil {
		c.graph = g
	}
	nodes := c.members(sp)
	g.Reserve(len(nodes))
	if err := c.insertStored(ctx, sp, nodes); err != nil {
		return err
	}
	g.Cleanup()
	c.mu.unsaved = max(c.mu.unsaved, len(nodes))
	if problem := c.checkSpace(sp); problem != "" {
		return fmt.Errorf("rebuilt graph of vector %q disagrees with the store: %s", sp.name, problem)
	}
	return nil
}

// checkSpace returns "" when sp's graph's live nodes are exactly the live
// nodes that carry its vector, or a description of the first difference.
func (c *Collection) checkSpace(sp *vectorSpace) string {
	if sp.has == nil {
		for id, n := range c.mu.ids {
			if !sp.g().Contains(n) {
				return fmt.Sprintf("point %s (node %d) is not in the graph", id, n)
			}
		}
		if g, s := sp.g().Len(), len(c.mu.ids); g != s {
			return fmt.Sprintf("graph has %d live nodes, store %d points", g, s)
		}
		return ""
	}
	problem := ""
	sp.has.Each(func(n uint32) {
		if problem == "" && !sp.g().Contains(n) {
			problem = fmt.Sprintf("point %s (node %d) is not in the graph of vector %q", c.mu.nodes[n], n, sp.name)
		}
	})
	if g, s := sp.g().Len(), sp.has.Count(); problem == "" && g != s {
		problem = fmt.Sprintf("graph of vector %q has %d live nodes, store %d", sp.name, g, s)
	}
	return problem
}

// initAlloc sets up the node allocator of a collection with named vectors
// once its graphs are loaded (and cleaned up): every node below the
// highest live one that holds no point is free in every graph.
func (c *Collection) initAlloc() {
	c.alloc.next = uint32(len(c.mu.nodes))
	for n := c.alloc.next; n > 0; n-- {
		if !c.mu.live.Has(n - 1) {
			c.alloc.free = append(c.alloc.free, n-1)
		}
	}
}

// allocNodes hands out n nodes for new points of a collection with named
// vectors: nodes that are free in every graph (index invariant 3).
func (c *Collection) allocNodes(n int) []uint32 {
	c.alloc.Lock()
	defer c.alloc.Unlock()
	out := make([]uint32, n)
	for i := range out {
		if k := len(c.alloc.free); k > 0 {
			out[i] = c.alloc.free[k-1]
			c.alloc.free = c.alloc.free[:k-1]
			continue
		}
		out[i] = c.alloc.next
		c.alloc.next++
	}
	return out
}

// retireNodes records nodes deleted from the graphs (or never inserted):
// they are handed out again after the next cleanup of every graph.
func (c *Collection) retireNodes(nodes ...uint32) {
	c.alloc.Lock()
	c.alloc.pending = append(c.alloc.pending, nodes...)
	c.alloc.Unlock()
}

// retiredCount is how many nodes are retired and not yet free.
func (c *Collection) retiredCount() int {
	c.alloc.Lock()
	defer c.alloc.Unlock()
	return len(c.alloc.pending)
}

// reuseRetired makes the first n retired nodes free (nodes are retired in
// order, so these are the ones retiredCount counted); every graph must have
// been cleaned up since then.
func (c *Collection) reuseRetired(n int) {
	c.alloc.Lock()
	c.alloc.free = append(c.alloc.free, c.alloc.pending[:n]...)
	c.alloc.pending = append(c.alloc.pending[:0], c.alloc.pending[n:]...)
	c.alloc.Unlock()
}

// removeFromGraphs deletes node from every graph that holds it, after its
// point was unpublished.
func (c *Collection) removeFromGraphs(node uint32) error {
	if c.graph != nil {
		return c.graph.Delete(node)
	}
	var errs []error
	for _, sp := range c.spaces {
		if sp.g().Contains(node) {
			errs = append(errs, sp.g().Delete(node))
		}
	}
	c.retireNodes(node)
	return errors.Join(errs...)
}

// checkGraph returns "" when every graph agrees with the store (see
// checkSpace), or a description of the first difference.
func (c *Collection) checkGraph() string {
	for _, sp := range c.spaces {
		if problem := c.checkSpace(sp); problem != "" {
			return problem
		}
	}
	return ""
}

package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/internal/bitset"
	"github.com/quiver-db/quiver/internal/parallel"
	"github.com/quiver-db/quiver/internal/stripe"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/storage"
)

// pointStripes is the number of mutexes that serialise writes to the same
// point id (a write holds the stripes of all its ids, see lockIDs).
const pointStripes = 256

// Collection is a named set of points: vectors in an HNSW graph, payloads
// and everything else in the store. All methods are safe for concurrent use.
type Collection struct {
	name    string
	cfg     Config // PayloadIndexes as at open; the current ones are mu.indexes
	opts    *Options
	catalog *storage.Store
	log     *slog.Logger
	store   *storage.Collection
	graph   *hnsw.Graph

	seed  maphash.Seed   // hashes ids to lock stripes
	locks stripe.Mutexes // per-id write serialisation, see lockIDs

	// snapMu is held for reading by every write from its first graph change
	// to its publication, and for writing while the graph is exported, so a
	// snapshot sees only whole, committed writes (storage invariant 5).
	snapMu sync.RWMutex

	mu struct {
		sync.RWMutex
		ids   map[pointid.ID]uint32 // live point → node; protected by mu
		nodes []pointid.ID          // node → point, valid where live is set; protected by mu
		live  bitset.Set            // nodes that hold a published point; protected by mu
		// seq is the last sequence number handed out; protected by mu.
		seq uint64
		// unsaved counts writes since the last graph snapshot; protected by mu.
		unsaved int
		// indexes are the payload indexes, replaced (never modified) only
		// while snapMu is held for writing; protected by mu.
		indexes map[string]FieldType
		closed  bool // protected by mu
	}

	saveMu   sync.Mutex // one graph save at a time
	savedSeq uint64     // sequence number of the stored snapshot; protected by saveMu

	saveReq chan struct{}
	stop    chan struct{}
	done    chan struct{}

	// post mirrors the store's payload indexes for the live nodes; it is
	// changed where the store's terms are, with the write's publication.
	post *postings

	stats struct {
		graph  atomic.Int64 // nanoseconds upserts spent inserting into the graph
		commit atomic.Int64 // nanoseconds upserts spent committing (and syncing) to the store
	}
}

// WriteStats is where a collection's upserts spent their time since it
// was opened.
type WriteStats struct {
	// Graph is the time spent inserting vectors into the HNSW graph.
	Graph time.Duration
	// Commit is the time spent committing batches to Pebble, fsync of the
	// write-ahead log included.
	Commit time.Duration
}

// WriteStats returns the collection's write timings.
func (c *Collection) WriteStats() WriteStats {
	return WriteStats{Graph: time.Duration(c.stats.graph.Load()), Commit: time.Duration(c.stats.commit.Load())}
}

// openCollection loads a collection: its id mapping from the store, its
// graph from the last snapshot plus the log after it.
func openCollection(ctx context.Context, db *DB, h *storage.Collection, cfg Config) (*Collection, error) {
	start := time.Now()
	c := &Collection{
		name:    h.Name(),
		cfg:     cfg,
		opts:    &db.opts,
		catalog: db.store,
		log:     db.opts.Logger.With("collection", h.Name()),
		store:   h,
		seed:    maphash.MakeSeed(),
		locks:   stripe.New(pointStripes),
		saveReq: make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		post:    newPostings(),
	}
	c.mu.ids = map[pointid.ID]uint32{}
	c.mu.indexes = cfg.PayloadIndexes
	err := h.ScanNodes(ctx, func(node uint32, id pointid.ID) error {
		c.publishLocked(id, node)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("collection %q: load ids: %w", c.name, err)
	}
	if err := c.loadPostings(ctx); err != nil {
		return nil, fmt.Errorf("collection %q: load payload indexes: %w", c.name, err)
	}
	if c.mu.seq, err = h.LastSeq(ctx); err != nil {
		return nil, fmt.Errorf("collection %q: %w", c.name, err)
	}
	if err := c.loadGraph(ctx); err != nil {
		return nil, fmt.Errorf("collection %q: %w", c.name, err)
	}
	go c.saveLoop()
	c.log.Info("collection loaded", "points", len(c.mu.ids), "seq", c.mu.seq, "elapsed", time.Since(start))
	return c, nil
}

// loadPostings fills c.post from the store's terms of the live nodes.
func (c *Collection) loadPostings(ctx context.Context) error {
	var items []storage.NodeTerms
	err := c.store.ScanTerms(ctx, func(node uint32, terms []storage.Term) error {
		if c.mu.live.Has(node) {
			items = append(items, storage.NodeTerms{Node: node, Terms: terms})
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.post.setAll(items)
	return nil
}

// loadGraph imports the stored snapshot, replays the log after it, and
// checks that the graph holds exactly the live nodes; if it cannot, it
// rebuilds the graph from the stored vectors.
func (c *Collection) loadGraph(ctx context.Context) error {
	snapSeq, data, err := c.store.LoadGraph(ctx, 0)
	switch {
	case err == nil:
		c.graph, err = hnsw.Import(bytes.NewReader(data))
		if err == nil && c.graph.Dim() != c.cfg.VectorSize {
			err = fmt.Errorf("graph dimension %d, collection %d", c.graph.Dim(), c.cfg.VectorSize)
		}
		if err != nil {
			c.log.Warn("graph snapshot unusable; rebuilding", "err", err)
			return c.rebuildGraph(ctx)
		}
	case errors.Is(err, storage.ErrNotFound):
		if c.graph, err = c.newGraph(); err != nil {
			return err
		}
	case errors.Is(err, storage.ErrCorrupt):
		c.log.Warn("graph snapshot corrupt; rebuilding", "err", err)
		return c.rebuildGraph(ctx)
	default:
		return err
	}
	c.savedSeq = snapSeq
	touched := map[uint32]bool{}
	err = c.store.LogAfter(ctx, snapSeq, func(e storage.LogEntry) error {
		touched[e.Node] = true
		if e.Replaced {
			touched[e.Prev] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read log after seq %d: %w", snapSeq, err)
	}
	if err := c.reconcile(ctx, touched); err != nil {
		return err
	}
	// Cleanup also relinks live nodes that concurrent inserts and deletes
	// left unreachable from the entry point.
	c.graph.Cleanup()
	if missing := c.checkGraph(); missing != "" {
		c.log.Warn("graph disagrees with the store; rebuilding", "problem", missing)
		return c.rebuildGraph(ctx)
	}
	c.mu.unsaved = len(touched)
	return nil
}

func (c *Collection) newGraph() (*hnsw.Graph, error) {
	opts, err := c.cfg.hnswOptions()
	if err != nil {
		return nil, err
	}
	return hnsw.New(c.cfg.VectorSize, opts)
}

// reconcile brings the graph's nodes in touched to the store's state:
// removed where the store has no point, (re)inserted with the stored vector
// where it has one.
func (c *Collection) reconcile(ctx context.Context, touched map[uint32]bool) error {
	var insert []uint32
	deleted := false
	for node := range touched {
		if c.graph.Contains(node) {
			if err := c.graph.Delete(node); err != nil {
				return fmt.Errorf("replay: %w", err)
			}
			deleted = true
		}
		if c.mu.live.Has(node) {
			insert = append(insert, node)
		}
	}
	if deleted {
		c.graph.Cleanup() // frees the slots, so InsertAt does not clean up per node
	}
	slices.Sort(insert)
	return c.insertStored(ctx, insert)
}

// insertStored inserts the stored vectors of nodes into the graph, on all
// cores.
func (c *Collection) insertStored(ctx context.Context, nodes []uint32) error {
	workers := min(runtime.GOMAXPROCS(0), len(nodes)/64+1)
	return parallel.ForErr(len(nodes), workers, func(_, i int) error {
		vec, err := c.store.Vector(0, nodes[i])
		if err == nil {
			err = c.graph.InsertAt(nodes[i], vec)
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

// rebuildGraph builds the graph afresh from every stored vector.
func (c *Collection) rebuildGraph(ctx context.Context) error {
	g, err := c.newGraph()
	if err != nil {
		return err
	}
	c.graph = g
	c.savedSeq = 0
	nodes := make([]uint32, 0, len(c.mu.ids))
	for _, n := range c.mu.ids {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	g.Reserve(len(nodes))
	if err := c.insertStored(ctx, nodes); err != nil {
		return err
	}
	g.Cleanup()
	c.mu.unsaved = len(nodes)
	if problem := c.checkGraph(); problem != "" {
		return fmt.Errorf("rebuilt graph disagrees with the store: %s", problem)
	}
	return nil
}

// checkGraph returns "" when the graph's live nodes are exactly the
// store's, or a description of the first difference.
func (c *Collection) checkGraph() string {
	for id, n := range c.mu.ids {
		if !c.graph.Contains(n) {
			return fmt.Sprintf("point %s (node %d) is not in the graph", id, n)
		}
	}
	if g, s := c.graph.Len(), len(c.mu.ids); g != s {
		return fmt.Sprintf("graph has %d live nodes, store %d points", g, s)
	}
	return ""
}

// publishLocked records that node holds point id; c.mu must be held.
func (c *Collection) publishLocked(id pointid.ID, node uint32) {
	for int(node) >= len(c.mu.nodes) {
		c.mu.nodes = append(c.mu.nodes, pointid.ID{})
	}
	c.mu.nodes[node] = id
	c.mu.live.Add(node)
	c.mu.ids[id] = node
}

// unpublishLocked records that node holds no point; c.mu must be held.
func (c *Collection) unpublishLocked(id pointid.ID, node uint32) {
	c.mu.live.Remove(node)
	c.mu.nodes[node] = pointid.ID{}
	if c.mu.ids[id] == node {
		delete(c.mu.ids, id)
	}
}

// lockIDs locks the stripes of ids (in order, so writes cannot deadlock)
// and returns the unlock.
func (c *Collection) lockIDs(ids []pointid.ID) func() {
	keys := make([]uint64, len(ids))
	for i, id := range ids {
		keys[i] = maphash.Comparable(c.seed, id)
	}
	return c.locks.LockAll(keys)
}

// Name returns the collection's name.
func (c *Collection) Name() string { return c.name }

// Config returns the collection's config.
func (c *Collection) Config() Config {
	cfg := c.cfg
	c.mu.RLock()
	cfg.PayloadIndexes = c.mu.indexes
	c.mu.RUnlock()
	return cfg
}

// Info describes the collection.
func (c *Collection) Info() (Info, error) {
	c.mu.RLock()
	points, closed := len(c.mu.ids), c.mu.closed
	c.mu.RUnlock()
	if closed {
		return Info{}, fmt.Errorf("collection %q: %w", c.name, ErrNotFound)
	}
	disk, err := c.store.DiskSize()
	if err != nil {
		return Info{}, err
	}
	return Info{Name: c.name, Config: c.Config(), Points: points, GraphNodes: c.graph.Len(), DiskBytes: disk}, nil
}

// saveLoop saves the graph whenever a write asks for it, until stop.
func (c *Collection) saveLoop() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.saveReq:
			if err := c.saveGraph(); err != nil {
				c.log.Error("graph snapshot failed", "err", err)
			}
		}
	}
}

// saveGraph exports the graph while no write is in flight and stores it
// with the last sequence number handed out.
func (c *Collection) saveGraph() error {
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	start := time.Now()
	c.snapMu.Lock()
	c.mu.Lock()
	seq := c.mu.seq
	c.mu.unsaved = 0
	c.mu.Unlock()
	if seq == c.savedSeq {
		c.snapMu.Unlock()
		return nil
	}
	// Cleanup first: the snapshot then holds no tombstones, and every live
	// node is reachable from the entry point.
	c.graph.Cleanup()
	var buf bytes.Buffer
	err := c.graph.Export(&buf)
	c.snapMu.Unlock()
	if err != nil {
		return fmt.Errorf("export graph: %w", err)
	}
	if err := c.store.SaveGraph(0, seq, buf.Bytes()); err != nil {
		return err
	}
	c.savedSeq = seq
	c.log.Debug("graph saved", "seq", seq, "bytes", buf.Len(), "elapsed", time.Since(start))
	return nil
}

// close stops the collection: later calls fail with ErrNotFound. It waits
// for writes in flight and, when save is set, stores the graph.
func (c *Collection) close(save bool) error {
	c.mu.Lock()
	if c.mu.closed {
		c.mu.Unlock()
		return nil
	}
	c.mu.closed = true
	c.mu.Unlock()
	close(c.stop)
	<-c.done
	// Taking snapMu waits for the writes in flight; none start after closed.
	c.snapMu.Lock()
	//lint:ignore SA2001 the lock is taken only to wait for its holders
	c.snapMu.Unlock()
	if save {
		return c.saveGraph()
	}
	return nil
}

package index

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/internal/bitset"
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
	cfg     Config // as at open; see tuned and mu.indexes for what changed since
	opts    *Options
	catalog *storage.Store
	log     *slog.Logger
	store   *storage.Collection
	// graph is the unnamed vector's graph (spaces[0].graph) in a collection
	// without named vectors, nil in one with them; fixed after open.
	graph *hnsw.Graph
	// spaces are the collection's vectors in name order: one, named "",
	// without named vectors. Fixed after open.
	spaces []*vectorSpace
	// spaceIDs are the storage spaces of the named vectors (storage.Op.Spaces);
	// nil without named vectors.
	spaceIDs []uint8
	// sparse are the sparse vectors in name order, and sparseIDs their
	// storage spaces (storage.Op.SparseSpaces). Fixed after open.
	sparse    []*sparseSpace
	sparseIDs []uint8

	// alloc hands out the nodes of new points in a collection with named
	// vectors (without, the graph picks them; invariant 3).
	alloc struct {
		sync.Mutex
		next    uint32   // first node not handed out since open; protected by alloc
		free    []uint32 // nodes free in every graph, reused first; protected by alloc
		pending []uint32 // nodes deleted since the graphs' last cleanup; protected by alloc
	}

	seed  maphash.Seed   // hashes ids to lock stripes
	locks stripe.Mutexes // per-id write serialisation, see lockIDs

	// snapMu is held for reading by every write from its first graph change
	// to its publication, and for writing while the graph is exported, so a
	// snapshot sees only whole, committed writes (storage invariant 5).
	snapMu sync.RWMutex

	// tuned is the config as UpdateConfig last stored it (PayloadIndexes
	// aside), nil before the first update since open; replaced only while
	// snapMu is held for writing.
	tuned atomic.Pointer[Config]

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
	// bg is cancelled when the collection closes; background index
	// builds run under it.
	bg       context.Context
	cancelBG context.CancelFunc
	stop     chan struct{}
	done     chan struct{}

	// post mirrors the store's payload indexes for the live nodes; it is
	// changed where the store's terms are, with the write's publication.
	post *postings

	// userVersions count interaction writes per stripe of users (see
	// UserVersion).
	userVersions [userVersionStripes]atomic.Uint64
	// itemsElsewhere is set on a sharded collection's schema copy
	// (SetItemsElsewhere): its interactions name points it does not hold.
	itemsElsewhere atomic.Bool

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
	c.bg, c.cancelBG = context.WithCancel(context.Background())
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
	if err := c.openSpaces(ctx); err != nil {
		return nil, fmt.Errorf("collection %q: %w", c.name, err)
	}
	if err := c.openSparse(ctx); err != nil {
		return nil, fmt.Errorf("collection %q: %w", c.name, err)
	}
	if err := c.loadGraphs(ctx); err != nil {
		return nil, fmt.Errorf("collection %q: %w", c.name, err)
	}
	// An imported graph carries the ef values it was saved with, older than
	// the config when an UpdateConfig came after the save.
	if err := c.tuneGraphs(cfg); err != nil {
		return nil, fmt.Errorf("collection %q: %w", c.name, err)
	}
	// An imported graph carries the quantization it was saved with (its
	// codes encoded from the vectors again), one rebuilt from the store
	// none, and an UpdateConfig after the save may have changed it.
	if err := c.quantizeGraphs(ctx, cfg); err != nil {
		return nil, fmt.Errorf("collection %q: %w", c.name, err)
	}
	if c.cfg.Named() {
		c.initAlloc()
	} else {
		c.graph = c.spaces[0].g()
	}
	c.startPartitions()
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
	for _, sp := range c.spaces {
		if sp.has != nil {
			sp.has.Remove(node)
		}
	}
	for _, sp := range c.sparse {
		sp.idx.Delete(node)
	}
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
	if t := c.tuned.Load(); t != nil {
		cfg = *t
	}
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
	info := Info{Name: c.name, Config: c.Config(), Points: points, DiskBytes: disk}
	if c.graph != nil {
		info.GraphNodes = c.graph.Len()
	} else {
		info.VectorNodes = map[string]int{}
		for _, sp := range c.spaces {
			info.VectorNodes[sp.name] = sp.g().Len()
		}
	}
	for _, sp := range c.spaces {
		if p := sp.part.Load(); p != nil {
			if info.IVF == nil {
				info.IVF = map[string]IVFStatus{}
			}
			info.IVF[sp.name] = p.status()
		}
	}
	if len(c.sparse) > 0 {
		info.SparseNodes = map[string]int{}
		for _, sp := range c.sparse {
			info.SparseNodes[sp.name] = sp.idx.Len()
		}
	}
	return info, nil
}

// saveLoop saves the graph whenever a write asks for it, until stop.
func (c *Collection) saveLoop() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.saveReq:
			if err := c.saveGraphRecovered(); err != nil {
				c.log.Error("graph snapshot failed", "err", err)
			}
		}
	}
}

// saveGraphRecovered is saveGraph for the background loop: a panic there
// would end the process, so it becomes an error (the snapshot is retried
// at the next request, and the log replay covers what it missed).
func (c *Collection) saveGraphRecovered() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("graph snapshot panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return c.saveGraph()
}

// saveGraph exports the graph while no write is in flight and stores it
// with the last sequence number handed out.
func (c *Collection) saveGraph() error {
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	start := time.Now()
	seq, graphs, size, err := c.exportGraphs()
	if graphs == nil && err == nil {
		return nil // nothing written since the last snapshot
	}
	if err != nil {
		return fmt.Errorf("export graph: %w", err)
	}
	if err := c.store.SaveGraphs(seq, graphs); err != nil {
		return err
	}
	c.savedSeq = seq
	c.log.Debug("graph saved", "seq", seq, "bytes", size, "elapsed", time.Since(start))
	return nil
}

// exportGraphs cleans up and exports every graph at the sequence number
// of the last write that finished. Writes are held back (snapMu) only while
// that number is read: every op up to it has then done its graph work.
// The export itself runs while later writes go on — exporting 100k nodes
// under snapMu held every upsert back for seconds — so a snapshot may hold
// some effects of ops after seq, or nodes of upserts that never commit;
// loadGraphs replays every op after seq and drops graph nodes the store
// lacks, which brings the graphs to the store's state either way. It
// returns nil graphs when nothing was written since the stored snapshot.
func (c *Collection) exportGraphs() (seq uint64, graphs []storage.SpaceGraph, size int, err error) {
	c.snapMu.Lock()
	c.mu.Lock()
	seq = c.mu.seq
	c.mu.unsaved = 0
	c.mu.Unlock()
	retired := c.retiredCount()
	c.snapMu.Unlock()
	if seq == c.savedSeq {
		return seq, nil, 0, nil
	}
	// Cleanup first: every node retired before seq is then free in every
	// graph, and every live node is reachable from the entry point.
	graphs = make([]storage.SpaceGraph, len(c.spaces))
	for i, sp := range c.spaces {
		sp.g().Cleanup()
		var buf bytes.Buffer
		buf.Grow(exportSizeHint(sp.g()))
		if err = sp.g().Export(&buf); err != nil {
			return seq, graphs, size, err
		}
		graphs[i] = storage.SpaceGraph{Space: sp.space, Data: buf.Bytes()}
		size += buf.Len()
	}
	if c.graph == nil {
		c.reuseRetired(retired) // each graph was cleaned up since they were retired
	}
	return seq, graphs, size, nil
}

// exportSizeHint is about the bytes of g's export (a vector and a full
// layer-0 list per node), so the buffer is not grown by doubling: copying
// and touching twice the memory a snapshot of 100k nodes needs.
func exportSizeHint(g *hnsw.Graph) int {
	return g.Len() * (4*g.Dim() + 4*(2*g.Options().M+1) + 2)
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
	c.cancelBG()
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

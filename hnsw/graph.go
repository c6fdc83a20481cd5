package hnsw

import (
	"fmt"
	"iter"
	"math"
	"math/rand"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/quiver-db/quiver/internal/stripe"
)

// Node states, stored atomically in Graph.state.
const (
	nodeFree    uint32 = iota // never used, or freed by a cleanup
	nodeLive                  // searchable
	nodeDeleted               // tombstone: walked through, never returned
)

// lockStripes is the number of mutexes guarding link-list writes; node n is
// guarded by the stripe of key n.
const lockStripes = 4096

// maxLevel caps the random level; with M ≥ 2 a level above it has odds below
// 2^-32.
const maxLevel = 32

// Graph is an HNSW index. All methods are safe for concurrent use.
type Graph struct {
	dim    int
	opts   Options // EfConstruction and Ef as at New; the current ones are below
	metric Metric  // opts.Metric, read on the hot path
	// efConstruction and ef are Options.EfConstruction and Options.Ef,
	// which SetEfConstruction and SetEf change while the graph is in use.
	efConstruction atomic.Int32
	ef             atomic.Int32
	stride0        int // layer-0 list: count, then up to 2·M links
	strideU        int // upper-layer list: count, then up to M links
	stride         int // one node's record in the arena: layer-0 list, then vector
	codeWords      int // one node's record in the code arena: dim code bytes, padded, then ‖x‖²

	// onInsert, when set, is called after each successful Insert and
	// InsertAt, holding no lock of the graph (SetInsertHook).
	onInsert atomic.Pointer[InsertHook]

	// writers is held for reading by Insert, InsertAt, Delete and Cleanup,
	// and for writing by Export, which thereby sees no change while searches
	// go on. Take it before mu.
	writers sync.RWMutex
	// mu is held for reading by every operation and for writing only to grow
	// the arenas or free deleted slots.
	mu sync.RWMutex
	// The slices below are replaced only with mu held for writing. Elements
	// of state and of the link lists are accessed atomically.
	// arena holds each node's layer-0 list followed by its vector (float32
	// bits), so expanding a node finds its links next to the vector that
	// was read when the node was scored, as hnswlib lays out its level 0.
	arena    []uint32   // capacity·stride, from allocArena
	mapping  *mapping   // the arena again, for the cleanup that unmaps it
	upper    [][]uint32 // per node: level·strideU, nil for level 0
	levels   []uint8
	state    []uint32
	indeg    []int32 // layer-0 in-degree, to keep nodes from being orphaned
	capacity int
	// quant is the scalar quantization, nil without; codes is its code
	// arena (capacity·codeWords, from allocArena), nil until trained. Both
	// change with mu and writers held for writing, so an insert (holding
	// writers for reading) sees them stable, and a search (holding mu for
	// reading) sees codes and the bounds they were made with together.
	quant *quantState
	codes []uint32
	// nextTrain is the live count at which the quantizer trains again, 0
	// when it will not.
	nextTrain atomic.Int64

	locks stripe.Mutexes // link-list writers, lockStripes of them

	entryMu sync.Mutex    // serialises changes of the entry point
	entry   atomic.Uint64 // packEntry(node, level), 0 when empty

	alloc struct {
		sync.Mutex
		next uint32   // first never-used slot
		free freeList // freed slots, reused first
		rng  *rand.Rand
	}
	live       atomic.Int64
	tombstones atomic.Int64 // deleted nodes whose slots are not yet free

	tomb struct {
		sync.Mutex
		nodes []uint32 // deleted, awaiting cleanup
	}
	cleanupMu     sync.Mutex  // one cleanup at a time
	cleaning      atomic.Bool // a background cleanup is running
	cleanupFailed atomic.Bool // the last background cleanup panicked

	scratch sync.Pool
}

// New returns an empty graph for vectors of dimension dim.
// MaxDim bounds a graph's dimension (index.MaxVectorSize matches it).
const MaxDim = 65536

func New(dim int, opts Options) (*Graph, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if dim < 1 || dim > MaxDim {
		return nil, fmt.Errorf("hnsw: dimension %d, want 1..%d", dim, MaxDim)
	}
	g := &Graph{
		dim:       dim,
		opts:      opts,
		metric:    opts.Metric,
		stride0:   1 + 2*opts.M,
		strideU:   1 + opts.M,
		stride:    1 + 2*opts.M + dim,
		codeWords: (dim+3)/4 + 1,
		locks:     stripe.New(lockStripes),
	}
	g.efConstruction.Store(int32(opts.EfConstruction))
	g.ef.Store(int32(opts.Ef))
	g.alloc.rng = rand.New(rand.NewSource(opts.Seed))
	g.mapping = &mapping{}
	runtime.AddCleanup(g, func(m *mapping) { freeArena(m.arena); freeArena(m.codes) }, g.mapping)
	return g, nil
}

// mapping holds the current arenas so that they can be unmapped once the
// graph is unreachable.
type mapping struct{ arena, codes []uint32 }

// Options returns the graph's options with defaults filled in.
func (g *Graph) Options() Options {
	o := g.opts
	o.EfConstruction, o.Ef = int(g.efConstruction.Load()), int(g.ef.Load())
	return o
}

// Dim returns the vector dimension.
func (g *Graph) Dim() int { return g.dim }

// Len returns the number of live nodes.
func (g *Graph) Len() int { return int(g.live.Load()) }

// Contains reports whether node is live.
func (g *Graph) Contains(node uint32) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return int(node) < g.capacity && atomic.LoadUint32(&g.state[node]) == nodeLive
}

// Vector returns a copy of a live node's stored vector (unit length for
// Cosine).
func (g *Graph) Vector(node uint32) ([]float32, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if int(node) >= g.capacity || atomic.LoadUint32(&g.state[node]) != nodeLive {
		return nil, fmt.Errorf("vector of node %d: %w", node, ErrNotFound)
	}
	return append([]float32(nil), g.vectorOf(node)...), nil
}

// MemoryBytes estimates the heap the graph holds: arenas by capacity
// (the code arena too, when quantized) plus upper-layer lists.
func (g *Graph) MemoryBytes() int64 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	n := int64(cap(g.arena))*4 + int64(cap(g.codes))*4 + int64(cap(g.levels)) +
		int64(cap(g.state))*4 + int64(cap(g.indeg))*4 + int64(cap(g.upper))*24
	for _, u := range g.upper {
		n += int64(cap(u)) * 4
	}
	return n
}

// vectorOf returns the arena slice of node; mu must be held.
func (g *Graph) vectorOf(node uint32) []float32 {
	off := int(node)*g.stride + g.stride0
	return unsafe.Slice((*float32)(unsafe.Pointer(&g.arena[off])), g.dim)
}

// linksOf returns node's list on level: element 0 is the count. mu must be
// held; elements must be accessed atomically.
func (g *Graph) linksOf(node uint32, level int) []uint32 {
	if level == 0 {
		off := int(node) * g.stride
		return g.arena[off : off+g.stride0 : off+g.stride0]
	}
	off := (level - 1) * g.strideU
	return g.upper[node][off : off+g.strideU : off+g.strideU]
}

// maxLinks is the degree bound on level.
func (g *Graph) maxLinks(level int) int {
	if level == 0 {
		return 2 * g.opts.M
	}
	return g.opts.M
}

func (g *Graph) distance(a, b []float32) float32 { return distance(g.metric, a, b) }

func (g *Graph) lock(node uint32)   { g.locks.Lock(uint64(node)) }
func (g *Graph) unlock(node uint32) { g.locks.Unlock(uint64(node)) }

func packEntry(node uint32, level int) uint64 { return 1<<40 | uint64(level)<<32 | uint64(node) }

// entryPoint returns the current entry node and its level.
func (g *Graph) entryPoint() (node uint32, level int, ok bool) {
	e := g.entry.Load()
	if e == 0 {
		return 0, 0, false
	}
	return uint32(e), int(e>>32) & 0xff, true
}

// randomLevel draws floor(−ln(U)·mL); alloc must be held.
func (g *Graph) randomLevel() int {
	u := 1 - g.alloc.rng.Float64() // (0, 1]
	l := int(-math.Log(u) * g.opts.levelMult())
	return min(l, maxLevel)
}

// allocate picks a slot (a freed one first) and a level for a new node.
func (g *Graph) allocate() (node uint32, level int) {
	g.alloc.Lock()
	defer g.alloc.Unlock()
	level = g.randomLevel()
	if node, ok := g.alloc.free.pop(); ok {
		return node, level
	}
	node = g.alloc.next
	g.alloc.next++
	return node, level
}

// claim reserves a caller-chosen slot; it fails if the slot is in use.
func (g *Graph) claim(node uint32) (level int, err error) {
	g.alloc.Lock()
	defer g.alloc.Unlock()
	switch {
	case node >= g.alloc.next:
		for n := g.alloc.next; n < node; n++ {
			g.alloc.free.push(n)
		}
		g.alloc.next = node + 1
	default:
		if !g.alloc.free.take(node) {
			return 0, fmt.Errorf("claim node %d: %w", node, ErrNodeInUse)
		}
	}
	return g.randomLevel(), nil
}

// release returns an allocated slot that was never linked.
func (g *Graph) release(node uint32) {
	g.alloc.Lock()
	g.alloc.free.push(node)
	g.alloc.Unlock()
}

// ensureCapacity grows the arenas so that node fits.
func (g *Graph) ensureCapacity(node uint32) {
	g.mu.RLock()
	ok := int(node) < g.capacity
	g.mu.RUnlock()
	if ok {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if int(node) < g.capacity {
		return
	}
	g.growLocked(max(int(node)+1, 2*g.capacity, 1024))
}

// growLocked copies the arenas into larger ones; mu must be held for writing.
func (g *Graph) growLocked(capacity int) {
	arena := allocArena(capacity * g.stride)
	copy(arena, g.arena)
	freeArena(g.arena)
	g.mapping.arena = arena
	if g.codes != nil {
		codes := allocArena(capacity * g.codeWords)
		copy(codes, g.codes)
		freeArena(g.codes)
		g.codes, g.mapping.codes = codes, codes
	}
	upper := make([][]uint32, capacity)
	copy(upper, g.upper)
	levels := make([]uint8, capacity)
	copy(levels, g.levels)
	state := make([]uint32, capacity)
	copy(state, g.state)
	indeg := make([]int32, capacity)
	copy(indeg, g.indeg)
	g.arena, g.upper, g.levels, g.state, g.indeg = arena, upper, levels, state, indeg
	g.capacity = capacity
}

// Reserve grows the arenas to hold n nodes without further copying.
func (g *Graph) Reserve(n int) {
	if n > 0 {
		g.ensureCapacity(uint32(n - 1))
	}
}

// Nodes returns the live nodes in increasing order. A node deleted or
// inserted while the sequence runs may or may not be in it.
func (g *Graph) Nodes() iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		g.mu.RLock()
		used := g.usedSlots()
		g.mu.RUnlock()
		for n := uint32(0); n < used; n++ {
			g.mu.RLock()
			live := atomic.LoadUint32(&g.state[n]) == nodeLive
			g.mu.RUnlock()
			if live && !yield(n) {
				return
			}
		}
	}
}

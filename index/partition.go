package index

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/quiver-db/quiver/hnsw"
	"github.com/quiver-db/quiver/ivf"
)

// partition is a vector's partitioned index (IVFConfig) beside the graph
// it was built from. The graph stays the vector's source of truth: the
// partition holds codes and half-precision copies of the graph's vectors,
// only proposes candidates, and every result is scored again from the
// graph, which also says which nodes are still live. So a stale entry (a
// node deleted, or reused for another point, since it was filed) can cost
// recall but never a wrong score or a deleted point.
//
// A node whose insert races a build can be filed twice (read by the
// build, then told by the hook after the build ended); search scores it
// once, and the next build drops the copy.
//
// Lock order: mu, then the graph's locks. The insert hook runs holding no
// graph lock, and search releases mu before it scores on the graph.
type partition struct {
	c     *Collection
	sp    *vectorSpace
	cfg   IVFConfig
	graph *hnsw.Graph

	mu sync.RWMutex
	// ix is the index, nil until the first build ends; nodes maps its
	// point ids to graph nodes; trained is how many points its cells were
	// trained on. All protected by mu.
	ix      *ivf.Index
	nodes   []uint32
	trained int
	// building is set while a build runs; pending are the nodes inserted
	// since it started, filed into the new index when it ends. Protected
	// by mu.
	building bool
	pending  []uint32
}

// Rebuild triggers: a build is due when a quarter of the entries are
// stale or the graph has grown to twice what the cells were trained on.
const (
	staleShare = 4
	growth     = 2
)

// startPartitions sets up the partitioned index of each vector whose
// config asks for one; a build starts in the background where a vector
// holds enough points.
func (c *Collection) startPartitions() {
	for _, sp := range c.spaces {
		if sp.cfg.IVF.enabled() {
			c.renewPartition(sp, nil, sp.g())
		}
	}
}

// retunePartitions brings each vector's partitioned index to cfg, after
// UpdateConfig: a new one where the ivf_config changed (built in the
// background while the old one serves no more), none where it is off.
func (c *Collection) retunePartitions(cfg Config) {
	for _, sp := range c.spaces {
		v, _ := cfg.Vector(sp.name)
		old := sp.part.Load()
		switch {
		case !v.IVF.enabled() && old != nil:
			if sp.part.CompareAndSwap(old, nil) {
				old.graph.SetInsertHook(nil)
			}
		case v.IVF.enabled() && (old == nil || old.cfg != *v.IVF):
			c.renewPartition(sp, old, sp.g())
		}
	}
}

// renewPartition replaces old (nil at open) with a partition of g under
// the vector's current ivf_config, unless another caller has already
// replaced old.
func (c *Collection) renewPartition(sp *vectorSpace, old *partition, g *hnsw.Graph) {
	want := c.currentVector(sp).IVF
	if !want.enabled() {
		return
	}
	p := &partition{c: c, sp: sp, cfg: *want, graph: g}
	if !sp.part.CompareAndSwap(old, p) {
		return
	}
	if old != nil {
		old.graph.SetInsertHook(nil)
	}
	g.SetInsertHook(p.inserted)
	p.maybeBuild()
}

// inserted files a node the graph has just inserted.
func (p *partition) inserted(node uint32, vec []float32) {
	p.mu.Lock()
	if p.building {
		p.pending = append(p.pending, node)
	}
	if p.ix != nil {
		p.addLocked(p.ix, &p.nodes, node, vec)
	}
	due := p.dueLocked()
	p.mu.Unlock()
	if due {
		p.maybeBuild()
	}
}

// addLocked files node's vector in ix and records its node.
func (p *partition) addLocked(ix *ivf.Index, nodes *[]uint32, node uint32, vec []float32) {
	if _, err := ix.Add(vec); err != nil { // the graph took the vector: cannot happen
		p.c.log.Error("partitioned index refused a vector", "vector", p.sp.name, "node", node, "err", err)
		return
	}
	*nodes = append(*nodes, node)
}

// dueLocked reports whether a build should start.
func (p *partition) dueLocked() bool {
	if p.building {
		return false
	}
	live := p.graph.Len()
	if live < p.cfg.minPoints() {
		return false
	}
	if p.ix == nil {
		return true
	}
	stale := len(p.nodes) - live
	return stale*staleShare > len(p.nodes) || live > growth*p.trained
}

// maybeBuild starts a background build if one is due.
func (p *partition) maybeBuild() {
	p.mu.Lock()
	due := p.dueLocked()
	if due {
		p.building, p.pending = true, nil
	}
	p.mu.Unlock()
	if due {
		go p.build()
	}
}

// build trains a new index on the graph's live vectors, files the nodes
// inserted meanwhile, and swaps it in. The old index serves until then.
func (p *partition) build() {
	start := time.Now()
	ix, nodes, vecs, err := p.train(p.c.bg)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.building = false
	pending := p.pending
	p.pending = nil
	if err != nil {
		if p.c.bg.Err() == nil {
			p.c.log.Error("partitioned index build failed; searches walk the graph", "vector", p.sp.name, "err", err)
		}
		return
	}
	trained, dim := len(nodes), p.graph.Dim()
	for _, n := range pending {
		v, err := p.graph.Vector(n)
		if err != nil {
			continue // deleted meanwhile
		}
		// train read the node after its insert, unless the node was
		// reused since with another vector.
		if at, ok := slices.BinarySearch(nodes[:trained], n); ok && slices.Equal(vecs[at*dim:(at+1)*dim], v) {
			continue
		}
		p.addLocked(ix, &nodes, n, v)
	}
	p.ix, p.nodes, p.trained = ix, nodes, trained
	p.c.log.Info("partitioned index built", "vector", p.sp.name, "points", len(nodes), "cells", ix.Cells(),
		"memory_mib", ix.MemoryBytes()>>20, "elapsed", time.Since(start).Round(time.Millisecond))
}

// train builds an index over the graph's live nodes as they are now, and
// returns the nodes in increasing order with their vectors.
func (p *partition) train(ctx context.Context) (ix *ivf.Index, nodes []uint32, vecs []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("build panicked: %v", r)
		}
	}()
	g := p.graph
	dim := g.Dim()
	n := g.Len()
	nodes = make([]uint32, 0, n)
	vecs = make([]float32, 0, n*dim)
	for node := range g.Nodes() {
		v, err := g.Vector(node)
		if err != nil {
			continue // deleted meanwhile
		}
		nodes, vecs = append(nodes, node), append(vecs, v...)
	}
	if len(nodes) == 0 {
		return nil, nil, nil, fmt.Errorf("no live points")
	}
	m := ivf.Dot
	if p.sp.cfg.Distance == Cosine {
		m = ivf.Cosine
	}
	ix, err = ivf.Build(ctx, vecs, dim, ivf.Options{
		Metric: m, Cells: min(p.cfg.Cells, len(nodes)), Spill: p.cfg.Spill, SubDim: subDimFor(dim),
		Threads: max(1, runtime.GOMAXPROCS(0)/2), Seed: 1,
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("vector %q: %w", p.sp.name, err)
	}
	return ix, nodes, vecs, nil
}

// subDimFor is the dimensions per 4-bit code: two, ScaNN's choice, up to
// the 512 dimensions whose codes fit the scan kernel, more beyond.
func subDimFor(dim int) int {
	return max(2, (dim+2*ivf.MaxCodeBytes-1)/(2*ivf.MaxCodeBytes))
}

// search returns the best k live nodes for q, scored exactly on g, and
// ok; ok is false when the partition cannot answer (not built, built from
// another graph, or too few live candidates) and the graph must.
func (p *partition) search(ctx context.Context, g *hnsw.Graph, q []float32, k int, s IVFSearch) (res []hnsw.Result, ok bool, err error) {
	p.mu.RLock()
	if p.ix == nil || p.graph != g {
		p.mu.RUnlock()
		return nil, false, nil
	}
	live := g.Len()
	// Ask for as many more as the stale entries are likely to take.
	stale := max(0, len(p.nodes)-live)
	want := k + (k*stale+live-1)/max(live, 1) + 2
	probe := s.Probe
	if probe == 0 {
		probe = p.cfg.probe(p.ix.Cells())
	}
	reorder := s.Reorder
	if reorder == 0 {
		reorder = 10 * want
	}
	found, err := p.ix.Search(ctx, q, want, ivf.SearchOptions{Probe: probe, Reorder: min(ivf.MaxReorder, max(reorder, want))})
	nodes := make([]uint32, len(found))
	for i, r := range found {
		nodes[i] = p.nodes[r.ID]
	}
	due := p.dueLocked()
	p.mu.RUnlock()
	if err != nil {
		return nil, false, err
	}
	if due {
		p.maybeBuild()
	}
	slices.Sort(nodes) // a node filed twice (reused since) is scored once
	nodes = slices.Compact(nodes)
	res, err = g.SearchNodes(ctx, q, k, slices.Values(nodes))
	if err != nil || len(res) < min(k, live) {
		return nil, false, err
	}
	return res, true, nil
}

// IVFStatus is a vector's partitioned index as Info reports it.
type IVFStatus struct {
	Built    bool
	Building bool
	Points   int // entries, stale ones included
	Cells    int
	Memory   int64 // bytes
}

// status reports the partition's state.
func (p *partition) status() IVFStatus {
	p.mu.RLock()
	defer p.mu.RUnlock()
	st := IVFStatus{Building: p.building}
	if p.ix != nil {
		st.Built, st.Points, st.Cells, st.Memory = true, p.ix.Len(), p.ix.Cells(), p.ix.MemoryBytes()
	}
	return st
}

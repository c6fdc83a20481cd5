package index

import (
	"cmp"
	"slices"
	"sync"

	"github.com/quiver-db/quiver/internal/bitset"
	"github.com/quiver-db/quiver/storage"
)

// postings mirror the payload indexes in memory. A filter on an indexed
// key then costs a binary search and a walk over the matching entries,
// where reading the store's index meant a Pebble scan over every matching
// key (a range matching half of GloVe-100 read 165,000 keys per query).
// The store's per-node term lists stay the durable truth (storage
// invariant 3): postings are loaded from them with ScanTerms when a
// collection opens and kept in step by every write that changes terms.
type postings struct {
	mu       sync.RWMutex
	keywords map[string]*sortedPostings[string]  // by field
	numbers  map[string]*sortedPostings[float64] // by field
	bulk     bool                                // setAll is running: no merges until it ends
	// ranges keeps the node sets of the last numeric ranges asked for, as a
	// filtered search asks the same range query after query, and building
	// one from the entries (33,000 of them for 10% of GloVe-100) cost more
	// than the two-hop graph walk that used it. Any change clears it.
	// Readers holding mu for reading take its lock; a writer holding mu
	// needs none.
	ranges struct {
		sync.Mutex
		sets map[numberRangeKey]bitset.Set
	}
}

// numberRangeKey names one numeric range query; an open end excludes its value.
type numberRangeKey struct {
	field          string
	lo, hi         float64
	loOpen, hiOpen bool
}

// maxCachedRanges bounds postings.ranges: each set takes a bit per node.
const maxCachedRanges = 8

func newPostings() *postings {
	return &postings{keywords: map[string]*sortedPostings[string]{}, numbers: map[string]*sortedPostings[float64]{}}
}

// indexedKeyword is the form the store indexes a keyword under.
func indexedKeyword(kw string) string {
	if len(kw) > storage.MaxTermLen {
		return kw[:storage.MaxTermLen]
	}
	return kw
}

// set replaces the terms node is indexed under.
func (p *postings) set(node uint32, terms []storage.Term) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setLocked(node, terms)
}

func (p *postings) setLocked(node uint32, terms []storage.Term) {
	p.clearLocked(node)
	p.ranges.sets = nil
	for _, t := range terms {
		switch t.Kind {
		case storage.TermKeyword:
			field(p.keywords, t.Field, p).add(node, indexedKeyword(t.Keyword))
		case storage.TermNumber:
			field(p.numbers, t.Field, p).add(node, t.Number)
		}
	}
}

// setAll is set for many nodes, with one merge at the end rather than
// one every eighth of the way.
func (p *postings) setAll(items []storage.NodeTerms) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bulk = true
	for _, it := range items {
		p.setLocked(it.Node, it.Terms)
	}
	p.bulk = false
	for _, sp := range p.keywords {
		sp.merge()
	}
	for _, sp := range p.numbers {
		sp.merge()
	}
}

// field returns the postings of one field, made on first use.
func field[V cmp.Ordered](m map[string]*sortedPostings[V], name string, p *postings) *sortedPostings[V] {
	sp := m[name]
	if sp == nil {
		sp = &sortedPostings[V]{added: map[uint32][]V{}, bulk: &p.bulk}
		m[name] = sp
	}
	return sp
}

// clear removes node from the postings.
func (p *postings) clear(node uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked(node)
}

func (p *postings) clearLocked(node uint32) {
	p.ranges.sets = nil
	for _, sp := range p.keywords {
		sp.remove(node)
	}
	for _, sp := range p.numbers {
		sp.remove(node)
	}
}

// keyword adds to s the nodes indexed under field = kw.
func (p *postings) keyword(field, kw string, s *bitset.Set) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if sp := p.keywords[field]; sp != nil {
		kw = indexedKeyword(kw)
		sp.addRange(kw, kw, nil, s)
	}
}

// numberRange adds to s every node with a value of field in [lo, hi],
// leaving out the value of an open end.
func (p *postings) numberRange(field string, lo, hi float64, loOpen, hiOpen bool, s *bitset.Set) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	sp := p.numbers[field]
	if sp == nil {
		return
	}
	key := numberRangeKey{field, lo, hi, loOpen, hiOpen}
	p.ranges.Lock()
	cached, ok := p.ranges.sets[key]
	p.ranges.Unlock()
	if !ok {
		cached = bitset.New(len(*s) * 64)
		sp.addRange(lo, hi, func(v float64) bool { return !(loOpen && v == lo) && !(hiOpen && v == hi) }, &cached)
		p.ranges.Lock()
		if len(p.ranges.sets) >= maxCachedRanges || p.ranges.sets == nil {
			p.ranges.sets = map[numberRangeKey]bitset.Set{}
		}
		p.ranges.sets[key] = cached
		p.ranges.Unlock()
	}
	s.Or(cached)
}

// sortedPostings hold one field's (value, node) entries sorted as of the
// last merge, plus what changed since: the nodes whose sorted entries no
// longer count, and the values added. A merge folds the changes in once
// they reach an eighth of the entries, so a write costs O(log n)
// amortised and a lookup a binary search plus the changes.
type sortedPostings[V cmp.Ordered] struct {
	sorted   []entry[V]
	inSorted bitset.Set     // nodes with entries in sorted
	removed  bitset.Set     // nodes whose entries in sorted no longer count
	changes  int            // removals and additions since the merge
	added    map[uint32][]V // values added since the merge, by node
	bulk     *bool          // the owner's setAll is running
}

// minMerge is the fewest changes worth a merge; tests lower it.
var minMerge = 4096

type entry[V cmp.Ordered] struct {
	v    V
	node uint32
}

func (sp *sortedPostings[V]) add(node uint32, v V) {
	sp.added[node] = append(sp.added[node], v)
	sp.changes++
	sp.maybeMerge()
}

func (sp *sortedPostings[V]) remove(node uint32) {
	if vs, ok := sp.added[node]; ok {
		sp.changes -= len(vs)
		delete(sp.added, node)
	}
	if sp.inSorted.Has(node) && !sp.removed.Has(node) {
		sp.removed.Add(node)
		sp.changes++
		sp.maybeMerge()
	}
}

func (sp *sortedPostings[V]) maybeMerge() {
	if *sp.bulk || sp.changes < max(minMerge, len(sp.sorted)/8) {
		return
	}
	sp.merge()
}

// merge folds the changes into the sorted entries.
func (sp *sortedPostings[V]) merge() {
	if sp.changes == 0 && len(sp.added) == 0 {
		return
	}
	kept := make([]entry[V], 0, len(sp.sorted)+sp.changes)
	for _, e := range sp.sorted {
		if !sp.removed.Has(e.node) {
			kept = append(kept, e)
		}
	}
	for node, vs := range sp.added {
		for _, v := range vs {
			kept = append(kept, entry[V]{v, node})
		}
	}
	slices.SortFunc(kept, func(a, b entry[V]) int {
		if c := cmp.Compare(a.v, b.v); c != 0 {
			return c
		}
		return cmp.Compare(a.node, b.node)
	})
	in := bitset.Set{}
	for _, e := range kept {
		in.Add(e.node)
	}
	sp.sorted, sp.inSorted, sp.removed, sp.changes = kept, in, nil, 0
	sp.added = map[uint32][]V{}
}

// addRange adds to s the nodes with a value in [lo, hi], asking keepEnd
// (nil: yes) only about values equal to an end. It sets bits in a loop of
// its own rather than calling back per entry: a range matching 10% of
// GloVe-100 walks 33,000 entries per query, and the callback took as long
// as the graph walk of the two-hop search that followed.
func (sp *sortedPostings[V]) addRange(lo, hi V, keepEnd func(V) bool, s *bitset.Set) {
	keep := func(v V) bool { return (v != lo && v != hi) || keepEnd == nil || keepEnd(v) }
	i, _ := slices.BinarySearchFunc(sp.sorted, lo, func(e entry[V], lo V) int {
		if e.v < lo {
			return -1
		}
		return 1
	})
	for ; i < len(sp.sorted) && sp.sorted[i].v <= hi; i++ {
		e := sp.sorted[i]
		if (e.v == lo || e.v == hi) && !keep(e.v) || sp.removed.Has(e.node) {
			continue
		}
		s.Add(e.node)
	}
	for node, vs := range sp.added {
		for _, v := range vs {
			if v >= lo && v <= hi && keep(v) {
				s.Add(node)
			}
		}
	}
}

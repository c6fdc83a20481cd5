// Package stripe serialises writers per key with a fixed set of mutexes
// rather than one per key: the graph guards each node's neighbour lists
// this way, and the collection each point id. Keys that share a stripe
// wait for each other, which costs little when stripes far outnumber the
// writers. It lives under internal/ because only Quiver's packages use it.
package stripe

import (
	"math/bits"
	"slices"
	"sync"
)

// Mutexes is a power-of-two number of mutexes; key k is guarded by the
// stripe k mod Len. Make one with New; its methods are safe for concurrent
// use.
type Mutexes struct {
	mu   []sync.Mutex
	mask uint64
}

// New returns n mutexes, n rounded up to a power of two (at least 1).
func New(n int) Mutexes {
	n = 1 << bits.Len(uint(max(n, 1)-1))
	return Mutexes{mu: make([]sync.Mutex, n), mask: uint64(n - 1)}
}

// Len returns the number of stripes.
func (m *Mutexes) Len() int { return len(m.mu) }

// Lock locks key's stripe.
func (m *Mutexes) Lock(key uint64) { m.mu[key&m.mask].Lock() }

// Unlock unlocks key's stripe.
func (m *Mutexes) Unlock(key uint64) { m.mu[key&m.mask].Unlock() }

// LockAll locks the stripes of every key, each once however many keys
// share it, and returns the function that unlocks them. It takes them in
// increasing order, so two LockAll calls whose keys overlap cannot
// deadlock; a goroutine must not hold a stripe it took by Lock while it
// calls LockAll.
func (m *Mutexes) LockAll(keys []uint64) (unlock func()) {
	stripes := make([]uint64, len(keys))
	for i, k := range keys {
		stripes[i] = k & m.mask
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	for _, s := range stripes {
		m.mu[s].Lock()
	}
	return func() {
		for _, s := range stripes {
			m.mu[s].Unlock()
		}
	}
}

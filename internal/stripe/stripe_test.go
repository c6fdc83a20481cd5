package stripe

import (
	"sync"
	"testing"
	"time"

	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/stretchr/testify/require"
)

func TestNewRoundsUp(t *testing.T) {
	for n, want := range map[int]int{-1: 1, 0: 1, 1: 1, 2: 2, 3: 4, 256: 256, 257: 512, 4096: 4096} {
		m := New(n)
		require.Equal(t, want, m.Len(), "New(%d)", n)
	}
}

// TestKeysShareStripes checks that keys a multiple of Len apart exclude
// each other and that other keys do not.
func TestKeysShareStripes(t *testing.T) {
	m := New(8)
	m.Lock(3)
	require.False(t, m.mu[11&m.mask].TryLock(), "3 and 11 share a stripe")
	require.True(t, m.mu[4&m.mask].TryLock(), "3 and 4 do not")
	m.Unlock(4)
	m.Unlock(11)
	m.Lock(3) // 3's stripe was released through 11
	m.Unlock(3)
}

// TestLockAllTakesEachStripeOnce checks that repeated keys and keys of one
// stripe are locked once (a second Lock would deadlock) and all released.
func TestLockAllTakesEachStripeOnce(t *testing.T) {
	m := New(4)
	unlock := m.LockAll([]uint64{1, 5, 1, 2, 9})
	for s := range uint64(4) {
		free := m.mu[s].TryLock()
		require.Equal(t, s != 1 && s != 2, free, "stripe %d", s)
		if free {
			m.mu[s].Unlock()
		}
	}
	unlock()
	for s := range 4 {
		require.True(t, m.mu[s].TryLock(), "stripe %d left locked", s)
	}
}

// TestLockAllNoDeadlock runs writers that each lock random, overlapping
// key sets on few stripes; if LockAll took stripes out of order they would
// soon deadlock. Each writer bumps a counter per key under the locks, so a
// stripe that failed to exclude would also show as lost updates.
func TestLockAllNoDeadlock(t *testing.T) {
	seed := testseed.Seed(t)
	m := New(8)
	const keys, writers, rounds = 32, 4, 2000
	counts := make([]int, keys)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			r := testseed.Stream(seed, uint64(w))
			for range rounds {
				ks := make([]uint64, 1+r.IntN(5))
				for i := range ks {
					ks[i] = r.Uint64N(keys)
				}
				unlock := m.LockAll(ks)
				for _, k := range ks {
					counts[k]++
				}
				unlock()
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("writers deadlocked")
	}
	// Replay the streams to know how many increments each key should have.
	want := make([]int, keys)
	for w := range writers {
		r := testseed.Stream(seed, uint64(w))
		for range rounds {
			ks := make([]uint64, 1+r.IntN(5))
			for i := range ks {
				ks[i] = r.Uint64N(keys)
			}
			for _, k := range ks {
				want[k]++
			}
		}
	}
	require.Equal(t, want, counts)
}

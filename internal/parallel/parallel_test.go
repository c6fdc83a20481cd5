package parallel

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRunCallsEachWorkerOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 7} {
		calls := make([]atomic.Int32, max(workers, 1))
		Run(workers, func(w int) { calls[w].Add(1) })
		for w := range calls {
			require.Equal(t, int32(1), calls[w].Load(), "workers=%d: worker %d", workers, w)
		}
	}
}

func TestForCoversEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 100, 1000} {
		for _, workers := range []int{0, 1, 2, 3, 8} {
			t.Run(fmt.Sprintf("n=%d/workers=%d", n, workers), func(t *testing.T) {
				seen := make([]atomic.Int32, n)
				var badWorker atomic.Bool
				For(n, workers, func(w, i int) {
					if w < 0 || w >= max(workers, 1) {
						badWorker.Store(true)
					}
					seen[i].Add(1)
				})
				require.False(t, badWorker.Load(), "worker id out of range")
				for i := range seen {
					require.Equal(t, int32(1), seen[i].Load(), "index %d", i)
				}
			})
		}
	}
}

// TestForWorkerScratch checks that one worker's calls never overlap, which
// is what makes per-worker scratch memory safe (run with -race).
func TestForWorkerScratch(t *testing.T) {
	const workers = 4
	busy := make([]atomic.Bool, workers)
	scratch := make([][]int, workers)
	For(2000, workers, func(w, i int) {
		require.True(t, busy[w].CompareAndSwap(false, true), "worker %d called twice at once", w)
		scratch[w] = append(scratch[w][:0], i, i)
		busy[w].Store(false)
	})
}

func TestForSerialInOrder(t *testing.T) {
	var got []int
	For(5, 1, func(w, i int) { got = append(got, i) })
	require.Equal(t, []int{0, 1, 2, 3, 4}, got)
}

func TestForErrStops(t *testing.T) {
	errBoom := errors.New("boom")
	const n = 10000
	for _, workers := range []int{1, 2, 4} {
		var calls atomic.Int32
		err := ForErr(n, workers, func(w, i int) error {
			calls.Add(1)
			switch {
			case i == 10:
				return fmt.Errorf("item %d: %w", i, errBoom)
			case i > 10:
				// Calls handed out about when 10 fails take long enough
				// that the rest of the indexes could only all run if
				// ForErr kept handing them out.
				time.Sleep(time.Millisecond)
			}
			return nil
		})
		require.ErrorIs(t, err, errBoom, "workers=%d", workers)
		if workers == 1 {
			require.Equal(t, int32(11), calls.Load(), "in order, the failing call is the last")
		}
		require.Less(t, calls.Load(), int32(n), "workers=%d: calls went on after the error", workers)
	}
	require.NoError(t, ForErr(50, 3, func(w, i int) error { return nil }))
	require.NoError(t, ForErr(0, 3, func(w, i int) error { return errBoom }))
}

// TestWorkerPanicReachesTheCaller: a panic on a worker goroutine is raised
// on the caller's, where it can be recovered, instead of ending the process.
func TestWorkerPanicReachesTheCaller(t *testing.T) {
	got := func() (p any) {
		defer func() { p = recover() }()
		For(100, 4, func(worker, i int) {
			if i == 57 {
				panic("boom")
			}
		})
		return nil
	}()
	require.NotNil(t, got)
	require.Contains(t, got, "boom")
}

// Package parallel runs loops on several goroutines: the encoder's matrix
// tiles and attention heads, and the collection's graph inserts, each
// share their work this way. Indexes are handed out one at a time from a
// shared counter, so a worker that finishes early takes more and uneven
// items (tiles at the edge of a matrix, inserts that touch more of the
// graph) do not leave cores idle. It lives under internal/ because only
// Quiver's packages use it.
//
// Each call allocates a little (the goroutines and their closure), so
// callers keep a plain loop for work too small to share.
package parallel

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Run calls fn(0), …, fn(workers-1) concurrently and returns when all have
// returned. fn(0) runs on the calling goroutine, so it starts at once and
// workers ≤ 1 costs no goroutine.
//
// A panic in another goroutine is recovered there and raised again on the
// caller's once all have returned: a request's goroutine recovers its own
// panics, but nothing would recover a worker's, and it would end the
// process.
func Run(workers int, fn func(worker int)) {
	var wg sync.WaitGroup
	var panicked atomic.Pointer[workerPanic]
	for w := 1; w < workers; w++ {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					panicked.CompareAndSwap(nil, &workerPanic{value: p, stack: debug.Stack()})
				}
			}()
			fn(w)
		})
	}
	fn(0)
	wg.Wait()
	if p := panicked.Load(); p != nil {
		panic(fmt.Sprintf("parallel worker: %v\n%s", p.value, p.stack))
	}
}

// workerPanic is a recovered panic of a worker goroutine.
type workerPanic struct {
	value any
	stack []byte
}

// For calls fn(worker, i) once for every i in [0, n), on up to workers
// goroutines (the caller's among them), and returns when all calls have.
// worker, in [0, workers), names the goroutine making the call, so fn can
// use per-worker scratch memory without locking. With workers ≤ 1 the
// calls run in order on the caller.
func For(n, workers int, fn func(worker, i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	Run(workers, func(w int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(w, i)
		}
	})
}

// ForErr is For for work that can fail: once a call returns an error no
// further index is handed out (calls already running finish), and ForErr
// returns the errors of the failed calls joined. Callers that must undo
// the calls that succeeded record them themselves.
func ForErr(n, workers int, fn func(worker, i int) error) error {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			if err := fn(0, i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, workers)
	var next atomic.Int64
	var failed atomic.Bool
	Run(workers, func(w int) {
		for !failed.Load() {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			if err := fn(w, i); err != nil {
				errs[w] = err
				failed.Store(true)
				return
			}
		}
	})
	return errors.Join(errs...)
}

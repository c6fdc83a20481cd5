package recommend

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallel runs fn(i) for i in [0, n) on workers goroutines, handing out
// small chunks so that uneven rows (heavy users) balance. fn must write only
// to state owned by row i.
func parallel(n, workers int, fn func(i int)) {
	parallelWorker(n, workers, func(_, i int) { fn(i) })
}

// parallelWorker is parallel passing the worker index, for per-worker scratch.
func parallelWorker(n, workers int, fn func(w, i int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	const chunk = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					fn(w, i)
				}
			}
		}()
	}
	wg.Wait()
}

// workerCount resolves a Workers option: 0 means GOMAXPROCS.
func workerCount(w int) int {
	if w <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return w
}

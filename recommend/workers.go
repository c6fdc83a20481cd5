package recommend

import "runtime"

// workerCount resolves a Workers option: 0 means GOMAXPROCS.
func workerCount(w int) int {
	if w <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return w
}

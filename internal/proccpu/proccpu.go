// Package proccpu reads the CPU time this process has used, for
// benchmarks that report CPU per operation beside wall time: on a shared
// machine wall time mostly measures the neighbours, and an in-process
// client and server spend their CPU in one process.
package proccpu

import (
	"syscall"
	"time"
)

// Used returns the user and system CPU time the process has used, zero
// when the system cannot say.
func Used() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

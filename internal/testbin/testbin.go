// Package testbin is what the tests that run quiver as a process share
// (tests/reliability, tests/cluster): building the binary once per test
// binary, and a log buffer the process writes while the test reads it.
// It lives under internal/ because only tests import it.
package testbin

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Main builds cmd/quiver into a temporary directory, sets *bin to its
// path, runs the tests and exits with their code; call it from TestMain.
func Main(m *testing.M, bin *string) {
	dir, err := os.MkdirTemp("", "quiver-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*bin = filepath.Join(dir, "quiver")
	build := exec.Command("go", "build", "-o", *bin, "github.com/quiver-db/quiver/cmd/quiver")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build quiver:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Log is a bytes.Buffer safe for concurrent writes and reads.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer // protected by mu
}

func (b *Log) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Log) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

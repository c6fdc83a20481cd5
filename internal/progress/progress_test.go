package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func TestBarReportsFinalCount(t *testing.T) {
	var out syncBuffer
	b := Start(&out, "build", "vectors", 100)
	b.Add(40)
	b.Add(60)
	b.Finish()
	b.Finish()
	line := strings.TrimSpace(out.b.String())
	require.Contains(t, line, "build: 100/100 vectors (100%)")

	silent := Start(nil, "x", "y", 1)
	silent.Add(1)
	silent.Finish()
}

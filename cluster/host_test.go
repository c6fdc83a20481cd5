package cluster

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
)

// TestHostRetriesAGroupThatFailedToOpen: a group whose directory cannot
// be made opens once it can; a dropped collection's failed group is not
// retried.
func TestHostRetriesAGroupThatFailedToOpen(t *testing.T) {
	m, err := ListenMux("127.0.0.1:0", MuxOptions{}, quietLogger())
	require.NoError(t, err)
	defer m.Close()
	dir := t.TempDir()
	cfg := testConfig()
	h := NewHost(HostConfig{NodeID: "a", Dir: dir, Mux: m, Group: cfg})
	defer h.Close()
	p, err := Place([]Peer{{ID: "a", Addr: m.Addr().String()}}, index.Config{VectorSize: 2, Distance: index.Dot}, 1, 1)
	require.NoError(t, err)
	p.Created = 7
	// A file where the collection's directory goes.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c"), nil, 0o644))
	h.Placed("c", p)
	require.Eventually(t, func() bool { return h.failures.Load() == 1 }, 10*time.Second, time.Millisecond)
	_, ok := h.Group("c", p, 0)
	require.False(t, ok)
	require.NoError(t, os.Remove(filepath.Join(dir, "c")))
	require.Eventually(t, func() bool { _, ok := h.Group("c", p, 0); return ok }, 10*time.Second, 10*time.Millisecond)
	n, _ := h.Group("c", p, 0)
	require.Eventually(t, n.IsLeader, 10*time.Second, 10*time.Millisecond)
	col, err := n.DB().Collection("c")
	require.NoError(t, err, "Init created the collection")
	require.Equal(t, 2, col.Config().VectorSize)

	// Dropped while failing: never started.
	q := p
	q.Created = 9
	require.NoError(t, os.WriteFile(filepath.Join(dir, "d"), nil, 0o644))
	h.Placed("d", q)
	require.Eventually(t, func() bool { return h.failures.Load() == 2 }, 10*time.Second, time.Millisecond)
	h.Unplaced("d", q)
	require.Eventually(t, func() bool { _, err := os.Stat(filepath.Join(dir, "d")); return os.IsNotExist(err) }, 10*time.Second, time.Millisecond,
		"Unplaced removes what is in the way too")
	require.Never(t, func() bool {
		_, ok := h.Group("d", q, 0)
		_, err := os.Stat(filepath.Join(dir, "d"))
		return ok || err == nil
	}, startRetry+500*time.Millisecond, 20*time.Millisecond, "the retry of a dropped collection does nothing")

	h.Unplaced("c", p)
	require.Eventually(t, func() bool { _, err := os.Stat(filepath.Join(dir, "c")); return os.IsNotExist(err) }, 10*time.Second, 10*time.Millisecond)
}

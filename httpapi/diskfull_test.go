package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/index"
	"github.com/stretchr/testify/require"
)

// TestDiskFull507 answers writes on a disk below its reserve with 507 and
// the cause, goes on answering reads, and takes writes again once the
// disk has room.
func TestDiskFull507(t *testing.T) {
	mem := vfs.NewMem()
	const total = 1 << 30
	setFree := func(free uint64) {
		mem.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: free, UsedBytes: total - free, TotalBytes: total})
	}
	setFree(900 << 20)
	var opts index.Options
	opts.Storage.FS = mem
	opts.Storage.DiskReserveBytes = 100 << 20
	opts.Storage.DiskCheckInterval = 10 * time.Millisecond
	db, err := index.Open(context.Background(), "data", opts)
	require.NoError(t, err)
	h, err := NewHandler(Config{DB: db})
	require.NoError(t, err)
	ts := &testServer{t: t, db: db, h: h, srv: httptest.NewServer(h)}
	ts.url = ts.srv.URL
	t.Cleanup(ts.close)

	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	point := func(id int) map[string]any {
		return map[string]any{"points": []any{map[string]any{"id": id, "vector": []float32{1, 2}}}}
	}
	ts.ok("PUT", "/collections/c/points?wait=true", point(1), nil)

	setFree(50 << 20)
	time.Sleep(200 * time.Millisecond) // the last reading goes stale
	start := time.Now()
	ts.fails(http.StatusInsufficientStorage, "PUT", "/collections/c/points?wait=true", point(2), "insufficient disk space", "reserve")
	ts.fails(http.StatusInsufficientStorage, "POST", "/collections/c/points/delete?wait=true", map[string]any{"points": []int{1}}, "disk")
	ts.fails(http.StatusInsufficientStorage, "PUT", "/collections/d", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, "disk")
	var rec map[string]any
	ts.ok("GET", "/collections/c/points/1", nil, &rec)
	// Answered, not hung until the request timeout (60 s); the bound is
	// loose because loaded CI machines are slow.
	require.Less(t, time.Since(start), 15*time.Second)

	setFree(900 << 20)
	require.Eventually(t, func() bool {
		return ts.do("PUT", "/collections/c/points?wait=true", point(2)).Code == http.StatusOK
	}, 20*time.Second, 10*time.Millisecond)
	var count struct {
		Count int `json:"count"`
	}
	ts.ok("POST", "/collections/c/points/count", map[string]any{"exact": true}, &count)
	require.Equal(t, 2, count.Count)
}

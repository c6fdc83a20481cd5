package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
)

// TestReplicaRecoversSnapshotsThroughItsWriter: on a cluster node a
// snapshot is replayed through the Writer (drop, create, payload index,
// points in bounded batches), never swapped in locally; a bad snapshot
// writes nothing; a failure midway says the collection is partially
// restored.
func TestReplicaRecoversSnapshotsThroughItsWriter(t *testing.T) {
	ts, rep := newReplicaServer(t, true, "")
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	ts.ok("PUT", "/collections/c/index", map[string]any{"field_name": "k", "field_schema": "keyword"}, nil)
	const n = 2*recoverBatch + 88
	var pts []any
	for i := range n {
		pts = append(pts, map[string]any{"id": i + 1, "vector": []float32{1, float32(i)}, "payload": map[string]any{"k": fmt.Sprint(i % 3)}})
	}
	ts.ok("PUT", "/collections/c/points?wait=true", map[string]any{"points": pts}, nil)
	var snap snapshotOut
	ts.ok("POST", "/collections/c/snapshots", nil, &snap)
	code, file := ts.get("/collections/c/snapshots/" + snap.Name)
	require.Equal(t, http.StatusOK, code)
	ts.ok("PUT", "/collections/c/points?wait=true", map[string]any{"points": []any{map[string]any{"id": n + 1, "vector": []float32{1, 1}}}}, nil)
	require.Equal(t, n+1, ts.count("c"))

	before := rep.count()
	code, msg := ts.upload("c", "?checksum=00", "snapshot", file)
	require.Equal(t, http.StatusBadRequest, code, msg)
	code, msg = ts.upload("c", "", "snapshot", []byte("garbage"))
	require.Equal(t, http.StatusBadRequest, code, msg)
	require.Equal(t, before, rep.count(), "a bad snapshot writes nothing")
	require.Equal(t, n+1, ts.count("c"))

	code, msg = ts.upload("c", "?checksum="+snap.Checksum, "snapshot", file)
	require.Equal(t, http.StatusOK, code, msg)
	require.Equal(t, n, ts.count("c"))
	rep.mu.Lock()
	calls := rep.calls[before:]
	var batches []int
	for i, call := range calls {
		if call == "apply c" {
			batches = append(batches, len(rep.ops[before+i][0].Upsert))
		}
	}
	rep.mu.Unlock()
	require.Equal(t, []string{"drop c", "create c", `index c k "keyword"`}, calls[:3])
	require.Equal(t, []int{recoverBatch, recoverBatch, 88}, batches)
	var info struct {
		PayloadSchema map[string]any `json:"payload_schema"`
	}
	ts.ok("GET", "/collections/c", nil, &info)
	require.Contains(t, info.PayloadSchema, "k")

	// The leader lost midway: 503, and the error says what is left.
	rep.setOnApply(func() error { return fmt.Errorf("%w: leadership lost", ErrUnavailable) })
	r := ts.do("POST", "/collections/c/snapshots/upload", nil)
	require.Equal(t, http.StatusBadRequest, r.Code, "no multipart body: %s", r.Error)
	code, msg = ts.upload("c", "", "snapshot", file)
	require.Equal(t, http.StatusServiceUnavailable, code, msg)
	require.Contains(t, msg, "partially restored")
	require.Contains(t, msg, "points step, 0 of 600 points")
	require.Zero(t, ts.count("c"))
	rep.setOnApply(nil)
	ts.ok("PUT", "/collections/c/snapshots/recover", map[string]any{"location": "file://" + ts.db.SnapshotDir() + "/c/" + snap.Name}, nil)
	require.Equal(t, n, ts.count("c"))
	entries, err := os.ReadDir(ts.db.SnapshotDir())
	require.NoError(t, err)
	require.Len(t, entries, 1, "only c's snapshot directory: %v", entries)

	// A client gone once the snapshot is read does not stop the replay.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ts.ok("PUT", "/collections/c/points?wait=true", map[string]any{"points": []any{map[string]any{"id": n + 1, "vector": []float32{1, 1}}}}, nil)
	err = ts.h.recoverReplicated(ctx, "c", func(ctx context.Context, db Admin, name string) (*index.Collection, error) {
		defer cancel()
		return db.RecoverUpload(ctx, name, bytes.NewReader(file), "")
	})
	require.NoError(t, err)
	require.Equal(t, n, ts.count("c"))
}

package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
	"github.com/quiver-db/quiver/userid"
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

	// A batch refused as unavailable goes again, up to recoverRetries
	// tries, while this node leads.
	fails := 2
	rep.setOnApply(func() error {
		if fails > 0 {
			fails--
			return fmt.Errorf("%w: shard electing", ErrUnavailable)
		}
		return nil
	})
	code, msg = ts.upload("c", "", "snapshot", file)
	require.Equal(t, http.StatusOK, code, msg)
	require.Equal(t, n, ts.count("c"))
	require.Zero(t, fails)

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

// TestFollowerSendsItsSnapshotFileToTheLeader: a recover request names a
// file of the node it reaches; a follower sends the file to the leader as
// an upload, and answers a bad location itself.
func TestFollowerSendsItsSnapshotFileToTheLeader(t *testing.T) {
	leader, lrep := newReplicaServer(t, true, "")
	follower, frep := newReplicaServer(t, false, leader.url)
	ctx := context.Background()
	c, err := follower.db.Create(ctx, "c", index.Config{VectorSize: 2, Distance: index.Dot})
	require.NoError(t, err)
	require.NoError(t, c.Upsert(ctx, []index.Point{{ID: pointid.FromNum(1), Vector: []float32{1, 0}}, {ID: pointid.FromNum(2), Vector: []float32{0, 1}}}))
	snap, err := follower.db.CreateSnapshotFile(ctx, "c")
	require.NoError(t, err)
	path := filepath.Join(follower.db.SnapshotDir(), "c", snap.Name)

	follower.fails(http.StatusNotFound, "PUT", "/collections/d/snapshots/recover", map[string]any{"location": "file://" + path + ".missing"}, "not found")
	follower.fails(http.StatusBadRequest, "PUT", "/collections/d/snapshots/recover", map[string]any{"location": "file:///etc/passwd"}, "not in the snapshot directory")
	require.Zero(t, lrep.count())
	follower.fails(http.StatusBadRequest, "PUT", "/collections/d/snapshots/recover", map[string]any{"location": "file://" + path, "checksum": "00"}, "checksum")
	follower.ok("PUT", "/collections/d/snapshots/recover", map[string]any{"location": "file://" + path, "checksum": snap.Checksum}, nil)
	require.Zero(t, frep.count(), "the follower wrote nothing itself")
	require.Equal(t, 2, leader.count("d"))
	call, ops := lrep.last()
	require.Equal(t, "apply d", call)
	require.Len(t, ops[0].Upsert, 2)
}

// batchSizes is a Writer that records the size of each upsert.
type batchSizes struct {
	*recordingWriter
	sizes []int
}

func (b *batchSizes) Apply(_ context.Context, _ string, ops []index.Operation) error {
	b.sizes = append(b.sizes, len(ops[0].Upsert))
	return nil
}

// TestReplayBoundsEntriesByTheirNumbers: large vectors make smaller
// batches; a point too large for a batch still goes, alone.
func TestReplayBoundsEntriesByTheirNumbers(t *testing.T) {
	w := &batchSizes{}
	rp := &replay{h: &Handler{writer: w}, name: "c"}
	var records []index.Record
	for i := range 300 {
		records = append(records, index.Record{ID: pointid.FromNum(uint64(i)), Vectors: map[string][]float32{"a": make([]float32, 5000)}})
	}
	records = append(records, index.Record{ID: pointid.FromNum(1000), Vector: make([]float32, recoverFloats+1)})
	records = append(records, index.Record{ID: pointid.FromNum(1001), Sparse: map[string]sparse.Vector{"s": {Indices: []uint32{1}, Values: []float32{1}}}})
	require.NoError(t, rp.upsert(context.Background(), records))
	require.Equal(t, []int{recoverFloats / 5000, 300 - recoverFloats/5000, 1, 1}, w.sizes)
	require.Equal(t, 302, rp.points)
}

// TestReplayRecordsInteractionsInBatches: every interaction reaches the
// Writer, recoverInteractions at a time, and a batch refused as
// unavailable goes again.
func TestReplayRecordsInteractionsInBatches(t *testing.T) {
	ctx := context.Background()
	src, _ := onePoint(t)
	var its []index.Interaction
	for u := range recoverInteractions + 5 {
		its = append(its, index.Interaction{User: userid.FromNum(uint64(u)), Item: pointid.FromNum(1), Weight: 1})
	}
	require.NoError(t, src.Interact(ctx, its))
	cfg := Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}

	to, dst := onePoint(t)
	w := &recordingWriter{db: dst}
	rp := &replay{h: &Handler{writer: w, cfg: cfg}, name: "c", src: src}
	require.NoError(t, rp.replayInteractions(ctx))
	require.Equal(t, len(its), rp.interactions)
	require.Equal(t, 2, w.count(), "two batches")
	n := 0
	require.NoError(t, to.ScanInteractions(ctx, func(index.Interaction) error { n++; return nil }))
	require.Equal(t, len(its), n)

	// A batch refused as unavailable goes again while this node leads.
	_, dst = onePoint(t)
	rep := &fakeReplica{recordingWriter: &recordingWriter{db: dst}, self: true}
	fails := 2
	rep.onInteract = func() error {
		if fails > 0 {
			fails--
			return fmt.Errorf("%w: electing", ErrUnavailable)
		}
		return nil
	}
	rp = &replay{h: &Handler{writer: rep, cfg: Config{Replica: rep, Logger: cfg.Logger}}, name: "c", src: src}
	require.NoError(t, rp.replayInteractions(ctx))
	require.Zero(t, fails)
	require.Equal(t, len(its), rp.interactions)
}

// onePoint returns a collection "c" holding point 1, and its DB.
func onePoint(t *testing.T) (*index.Collection, *index.DB) {
	ctx := context.Background()
	db, err := index.Open(ctx, t.TempDir(), index.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	c, err := db.Create(ctx, "c", index.Config{VectorSize: 2, Distance: index.Dot})
	require.NoError(t, err)
	require.NoError(t, c.Upsert(ctx, []index.Point{{ID: pointid.FromNum(1), Vector: []float32{1, 0}}}))
	return c, db
}

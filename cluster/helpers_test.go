package cluster

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/trainer"
	"github.com/quiver-db/quiver/userid"
)

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
}

// newFSM returns an fsm over a new DB in a temporary directory.
func newFSM(t *testing.T) *fsm {
	t.Helper()
	dir := t.TempDir()
	snapDir := filepath.Join(dir, "snapshots")
	db, err := index.Open(context.Background(), dir, index.Options{Logger: quietLogger(), SnapshotDir: snapDir})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return &fsm{db: db, snapDir: snapDir, log: quietLogger(), trainer: trainer.New(quietLogger())}
}

// dump returns every collection's points (ids, payloads, vectors) as
// JSON, for comparing replicas.
func dump(t *testing.T, db *index.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, name := range db.List() {
		c, err := db.Collection(name)
		require.NoError(t, err)
		var all []index.Record
		var next *pointid.ID
		for {
			page, err := c.Scroll(ctx, index.ScrollRequest{Offset: next, Limit: 1000, ReadOptions: index.ReadOptions{WithPayload: true, WithVector: true}})
			require.NoError(t, err)
			all = append(all, page.Points...)
			if next = page.Next; next == nil {
				break
			}
		}
		raw, err := json.Marshal(all)
		require.NoError(t, err)
		out[name] = string(raw)
	}
	return out
}

func createCmd(name string) Command {
	return Command{Create: &CreateCollection{Name: name, Config: index.Config{VectorSize: 2, Distance: index.Dot}}}
}

func upsertCmd(col string, ids ...uint64) Command {
	points := make([]index.Point, len(ids))
	for i, id := range ids {
		points[i] = index.Point{ID: pointid.FromNum(id), Vector: []float32{float32(id), 1}, Payload: map[string]any{"id": id}}
	}
	return Command{Apply: &ApplyOperations{Collection: col, Ops: []index.Operation{{Upsert: points}}}}
}

func setPayloadCmd(col string, sel index.Selector, payload map[string]any) Command {
	return Command{Apply: &ApplyOperations{Collection: col, Ops: []index.Operation{{Payload: &index.PayloadUpdate{Kind: index.PayloadSet, Points: sel, Payload: payload}}}}}
}

// matchFilter selects the points whose key equals value.
func matchFilter(key string, value any) *filter.Filter {
	return &filter.Filter{Must: []filter.Condition{{Field: &filter.FieldCondition{Key: key, Match: filter.NewMatchValue(value)}}}}
}

func ids(ns ...uint64) []pointid.ID {
	out := make([]pointid.ID, len(ns))
	for i, n := range ns {
		out[i] = pointid.FromNum(n)
	}
	return out
}

func mustUser(name string) userid.ID {
	id, err := userid.Parse(name)
	if err != nil {
		panic(err)
	}
	return id
}

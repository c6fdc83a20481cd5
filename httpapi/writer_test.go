package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
)

// recordingWriter applies writes to db, as a cluster's FSM would, and
// records them.
type recordingWriter struct {
	db *index.DB
	mu sync.Mutex
	// calls are "create c", "drop c", or "apply c" with the operations
	// in ops; protected by mu.
	calls []string
	ops   [][]index.Operation
}

func (w *recordingWriter) record(call string, ops []index.Operation) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, call)
	w.ops = append(w.ops, ops)
}

func (w *recordingWriter) Create(ctx context.Context, name string, cfg index.Config) error {
	w.record("create "+name, nil)
	_, err := w.db.Create(ctx, name, cfg)
	return err
}

func (w *recordingWriter) Drop(ctx context.Context, name string) error {
	w.record("drop "+name, nil)
	return w.db.Drop(ctx, name)
}

func (w *recordingWriter) Apply(ctx context.Context, collection string, ops []index.Operation) error {
	w.record("apply "+collection, ops)
	c, err := w.db.Collection(collection)
	if err != nil {
		return err
	}
	return c.Apply(ctx, ops)
}

func (w *recordingWriter) PayloadIndex(ctx context.Context, collection, key string, typ index.FieldType) error {
	w.record(fmt.Sprintf("index %s %s %q", collection, key, typ), nil)
	return localWriter{w.db}.PayloadIndex(ctx, collection, key, typ)
}

func (w *recordingWriter) UpdateConfig(ctx context.Context, collection string, u index.ConfigUpdate) error {
	w.record("config "+collection, nil)
	return localWriter{w.db}.UpdateConfig(ctx, collection, u)
}

func (w *recordingWriter) Interact(ctx context.Context, collection string, its []index.Interaction) error {
	w.record(fmt.Sprintf("interact %s %d", collection, len(its)), nil)
	return localWriter{w.db}.Interact(ctx, collection, its)
}

func (w *recordingWriter) last() (string, []index.Operation) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.calls) == 0 {
		return "", nil
	}
	return w.calls[len(w.calls)-1], w.ops[len(w.ops)-1]
}

func (w *recordingWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.calls)
}

// newWriterServer is a test server whose writes go through a
// recordingWriter over its own DB.
func newWriterServer(t *testing.T, tweak func(*Config)) (*testServer, *recordingWriter) {
	w := &recordingWriter{}
	ts := newTestServer(t, t.TempDir(), func(c *Config) {
		w.db = c.DB.(*index.DB)
		c.Writer = w
		if tweak != nil {
			tweak(c)
		}
	})
	return ts, w
}

func TestWriterCarriesEveryPointWrite(t *testing.T) {
	ts, w := newWriterServer(t, nil)
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	call, _ := w.last()
	require.Equal(t, "create c", call)
	ts.ok("PUT", "/collections/t", map[string]any{"vectors": map[string]any{"model": "fake"}}, nil)

	ts.ok("PUT", "/collections/c/points", map[string]any{"points": []any{
		map[string]any{"id": 1, "vector": []float32{1, 0}, "payload": map[string]any{"a": "x"}},
		map[string]any{"id": 2, "vector": []float32{0, 1}},
	}}, nil)
	_, ops := w.last()
	require.Len(t, ops[0].Upsert, 2)
	require.Equal(t, []float32{1, 0}, ops[0].Upsert[0].Vector)

	ts.ok("POST", "/collections/c/points/payload", map[string]any{"points": []int{1}, "payload": map[string]any{"b": true}}, nil)
	_, ops = w.last()
	require.Equal(t, index.PayloadSet, ops[0].Payload.Kind)
	ts.ok("PUT", "/collections/c/points/payload", map[string]any{"points": []int{1}, "payload": map[string]any{"b": true}}, nil)
	_, ops = w.last()
	require.Equal(t, index.PayloadOverwrite, ops[0].Payload.Kind)
	ts.ok("POST", "/collections/c/points/payload/delete", map[string]any{"points": []int{1}, "keys": []string{"b"}}, nil)
	_, ops = w.last()
	require.Equal(t, []string{"b"}, ops[0].Payload.Keys)
	ts.ok("POST", "/collections/c/points/payload/clear", map[string]any{"points": []int{1}}, nil)
	_, ops = w.last()
	require.Equal(t, index.PayloadClear, ops[0].Payload.Kind)
	ts.ok("PUT", "/collections/c/points/vectors", map[string]any{"points": []any{map[string]any{"id": 2, "vector": []float32{1, 1}}}}, nil)
	_, ops = w.last()
	require.Equal(t, []float32{1, 1}, ops[0].UpdateVectors[0].Vectors[""])
	ts.ok("POST", "/collections/c/points/delete", map[string]any{"filter": map[string]any{"must": []any{map[string]any{"key": "a", "match": map[string]any{"value": "x"}}}}}, nil)
	_, ops = w.last()
	require.NotNil(t, ops[0].Delete.Filter)
	ts.ok("POST", "/collections/c/points/delete", map[string]any{"points": []int{2}}, nil)
	_, ops = w.last()
	require.Len(t, ops[0].Delete.IDs, 1)
	require.Equal(t, "2", ops[0].Delete.IDs[0].String())
	require.Nil(t, ops[0].Delete.Filter)
	var n struct {
		Count int `json:"count"`
	}
	ts.ok("POST", "/collections/c/points/count", map[string]any{}, &n)
	require.Equal(t, 1, n.Count, "the writer's delete of 2 reached the DB; 1 lost its payload before the filter ran")

	ts.ok("POST", "/collections/c/points/batch", map[string]any{"operations": []any{
		map[string]any{"upsert": map[string]any{"points": []any{map[string]any{"id": 3, "vector": []float32{1, 0}}}}},
		map[string]any{"set_payload": map[string]any{"points": []int{3}, "payload": map[string]any{"k": 1}}},
	}}, nil)
	_, ops = w.last()
	require.Len(t, ops, 2)

	// A text document is encoded here, on the node that received it: the
	// writer gets vectors.
	before := ts.model.calls.Load()
	ts.ok("PUT", "/collections/t/points", map[string]any{"points": []any{map[string]any{"id": 1, "vector": map[string]any{"text": "hello world", "model": "fake"}}}}, nil)
	require.Equal(t, before+1, ts.model.calls.Load())
	call, ops = w.last()
	require.Equal(t, "apply t", call)
	require.Len(t, ops[0].Upsert[0].Vector, 64)

	ts.ok("DELETE", "/collections/t", nil, nil)
	call, _ = w.last()
	require.Equal(t, "drop t", call)
}

func TestWriterRefusalIsTheIndexs(t *testing.T) {
	ts, w := newWriterServer(t, nil)
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	ts.fails(http.StatusBadRequest, "PUT", "/collections/c/points", map[string]any{"points": []any{map[string]any{"id": 1, "vector": []float32{1}}}}, "size 1")
	ts.fails(http.StatusNotFound, "POST", "/collections/c/points/payload", map[string]any{"points": []int{9}, "payload": map[string]any{}}, "9")
	ts.fails(http.StatusConflict, "PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, "exists")
	// A request refused before the index (a bad field) never reaches the writer.
	n := w.count()
	ts.fails(http.StatusBadRequest, "POST", "/collections/c/points/delete", map[string]any{}, "points and filter")
	require.Equal(t, n, w.count())
}

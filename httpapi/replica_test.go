package httpapi

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
)

// fakeReplica is a cluster node as the API sees it: writes go to a
// recordingWriter, leadership is set by the test.
type fakeReplica struct {
	*recordingWriter
	mu     sync.Mutex
	self   bool   // protected by mu
	leader string // protected by mu
	// onApply, when set, runs before each Apply, which fails with its
	// error; protected by mu.
	onApply func() error
	// onInteract is onApply for Interact; protected by mu.
	onInteract func() error
	barriers   atomic.Int64
}

func (f *fakeReplica) Interact(ctx context.Context, collection string, its []index.Interaction) error {
	if err := f.run(&f.onInteract); err != nil {
		return err
	}
	return f.recordingWriter.Interact(ctx, collection, its)
}

func (f *fakeReplica) Apply(ctx context.Context, collection string, ops []index.Operation) error {
	if err := f.run(&f.onApply); err != nil {
		return err
	}
	return f.recordingWriter.Apply(ctx, collection, ops)
}

// run calls the hook *h, if set, under no lock.
func (f *fakeReplica) run(h *func() error) error {
	f.mu.Lock()
	hook := *h
	f.mu.Unlock()
	if hook == nil {
		return nil
	}
	return hook()
}

func (f *fakeReplica) setOnApply(hook func() error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onApply = hook
}

func (f *fakeReplica) Leader() (bool, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.self, f.leader
}

func (f *fakeReplica) setLeader(self bool, url string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.self, f.leader = self, url
}

func (f *fakeReplica) Barrier(context.Context) error {
	f.barriers.Add(1)
	return nil
}

func (f *fakeReplica) Status(context.Context) (any, error) {
	return map[string]any{"status": "enabled"}, nil
}

func newReplicaServer(t *testing.T, self bool, leader string) (*testServer, *fakeReplica) {
	rep := &fakeReplica{recordingWriter: &recordingWriter{}, self: self, leader: leader}
	ts, _ := newWriterServer(t, func(c *Config) {
		rep.db = c.Writer.(*recordingWriter).db
		c.Writer = nil
		c.Replica = rep
	})
	return ts, rep
}

func TestReplicaRefusesWritesItCannotReplicate(t *testing.T) {
	ts, rep := newReplicaServer(t, true, "")
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	call, _ := rep.last()
	require.Equal(t, "create c", call, "create goes through the replica")
	// A replica that is no CatalogWriter, and a trainer that does not
	// publish its models, cannot replicate these either.
	ts.fails(http.StatusNotImplemented, "POST", "/collections/aliases", aliasBody("c", "a"), "does not replicate")
	ts.fails(http.StatusNotImplemented, "DELETE", "/collections/c/users/u", nil, "does not replicate")
	ts.fails(http.StatusNotImplemented, "POST", "/collections/c/train", map[string]any{}, "install the model here only")
	aliases, err := ts.db.Aliases("")
	require.NoError(t, err)
	require.Empty(t, aliases, "nor the alias")
	var status map[string]any
	ts.ok("GET", "/cluster", nil, &status)
	require.Equal(t, "enabled", status["status"])
	// Node-local writes still work: the write lock, snapshot files.
	ts.ok("POST", "/collections/c/snapshots", nil, nil)
}

func TestFollowerForwardsWritesToTheLeader(t *testing.T) {
	leader, lrep := newReplicaServer(t, true, "")
	follower, frep := newReplicaServer(t, false, leader.url)
	follower.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	follower.ok("PUT", "/collections/c/points", map[string]any{"points": []any{map[string]any{"id": 1, "vector": []float32{1, 0}}}}, nil)
	require.Zero(t, frep.count(), "the follower proposed nothing itself")
	call, ops := lrep.last()
	require.Equal(t, "apply c", call)
	require.Len(t, ops[0].Upsert, 1)
	// The leader's errors come back as they are.
	follower.fails(http.StatusBadRequest, "PUT", "/collections/c/points", map[string]any{"points": []any{map[string]any{"id": 1, "vector": []float32{1}}}}, "size 1")

	// Reads are local unless asked otherwise: the follower's DB is empty.
	follower.fails(http.StatusNotFound, "POST", "/collections/c/points", map[string]any{"ids": []int{1}}, "not found")
	var got []hit
	b0 := lrep.barriers.Load() // the create waited for one: c was new to the leader
	require.Equal(t, int64(1), b0)
	follower.ok("POST", "/collections/c/points?consistency=majority", map[string]any{"ids": []int{1}}, &got)
	require.Len(t, got, 1, "a majority read is the leader's")
	require.Equal(t, b0+1, lrep.barriers.Load(), "after a barrier")
	follower.ok("POST", "/collections/c/points/scroll?consistency=all", map[string]any{}, nil)
	follower.ok("POST", "/collections/c/points/query?consistency=2", map[string]any{"query": []float32{1, 0}}, nil)
	require.Equal(t, b0+3, lrep.barriers.Load())
	follower.fails(http.StatusNotFound, "POST", "/collections/c/points/scroll?consistency=1", map[string]any{}, "not found")
	follower.fails(http.StatusBadRequest, "POST", "/collections/c/points/scroll?consistency=most", map[string]any{}, "consistency")
}

func TestForwardingIsOneHopAndNeedsALeader(t *testing.T) {
	// Two nodes that each think the other leads: the request makes one
	// hop, then is refused.
	a, arep := newReplicaServer(t, false, "")
	b, brep := newReplicaServer(t, false, a.url)
	arep.setLeader(false, b.url)
	r := a.do("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}})
	require.Equal(t, http.StatusServiceUnavailable, r.Code, r.Error)
	require.Contains(t, r.Error, "not the leader")
	require.Equal(t, "1", r.Header.Get("Retry-After"))
	require.Zero(t, arep.count()+brep.count())

	arep.setLeader(false, "")
	r = a.do("PUT", "/collections/c/points", map[string]any{"points": []any{}})
	require.Equal(t, http.StatusServiceUnavailable, r.Code, r.Error)
	require.Contains(t, r.Error, "no leader")
	require.Equal(t, "1", r.Header.Get("Retry-After"))

	// A leader that went away: 503, the write's outcome unknown.
	gone, _ := newReplicaServer(t, true, "")
	url := gone.url
	gone.close()
	arep.setLeader(false, url)
	r = a.do("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}})
	require.Equal(t, http.StatusServiceUnavailable, r.Code, r.Error)
	require.Contains(t, r.Error, "forward to the leader")
}

// Payload indexes and PATCH go through the replica, which applies them on
// every node; the index then exists on this one.
func TestReplicaCarriesPayloadIndexesAndConfig(t *testing.T) {
	ts, rep := newReplicaServer(t, true, "")
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	ts.ok("PUT", "/collections/c/index", map[string]any{"field_name": "k", "field_schema": "keyword"}, nil)
	call, _ := rep.last()
	require.Equal(t, `index c k "keyword"`, call)
	info, err := ts.db.Describe("c")
	require.NoError(t, err)
	require.Equal(t, map[string]index.FieldType{"k": index.Keyword}, info.Config.PayloadIndexes)
	ts.ok("DELETE", "/collections/c/index/k", nil, nil)
	call, _ = rep.last()
	require.Equal(t, `index c k ""`, call)
	ts.ok("PATCH", "/collections/c", map[string]any{"hnsw_config": map[string]any{"ef": 99}}, nil)
	call, _ = rep.last()
	require.Equal(t, "config c", call)
	info, err = ts.db.Describe("c")
	require.NoError(t, err)
	require.Empty(t, info.Config.PayloadIndexes)
	require.Equal(t, 99, info.Config.HNSW.Ef)
}

// Interactions go through the replica.
func TestReplicaCarriesInteractions(t *testing.T) {
	ts, rep := newReplicaServer(t, true, "")
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	ts.ok("PUT", "/collections/c/points?wait=true", map[string]any{"points": []any{map[string]any{"id": 1, "vector": []float32{1, 0}}}}, nil)
	ts.ok("PUT", "/collections/c/interactions", map[string]any{"interactions": []any{map[string]any{"user": "u", "item": 1}}}, nil)
	call, _ := rep.last()
	require.Equal(t, "interact c 1", call)
	ts.fails(http.StatusBadRequest, "PUT", "/collections/c/interactions", map[string]any{"interactions": []any{map[string]any{"user": "u", "item": 2}}}, "interactions[0].item")
}

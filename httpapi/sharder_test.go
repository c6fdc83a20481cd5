package httpapi

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/query"
	"github.com/quiver-db/quiver/shard"
)

// fakeSharder is a cluster node that shards, as the API sees it: the
// node's DB holds unsharded collections and each sharded one's schema
// copy; a sharded collection's shards are collections of their own in a
// second DB, read through a shard.Router and written by id.Shard.
type fakeSharder struct {
	db, shardsDB *index.DB
	mu           sync.Mutex
	sharded      map[string]*fakeSharded // protected by mu
	// broken, when set, makes every router's shards this one (an
	// unreachable node); protected by mu.
	broken shard.Shard
	// follower, when set, makes the node a follower of group 0 whose
	// leader is at leaderURL; protected by mu.
	follower  bool
	leaderURL string
	// reads are the consistencies the routers were asked for, in order;
	// protected by mu.
	reads []Consistency
}

type fakeSharded struct {
	s     Sharding
	parts []*index.Collection
}

var _ Sharder = (*fakeSharder)(nil)

func newFakeSharder(t *testing.T, db *index.DB) *fakeSharder {
	t.Helper()
	shardsDB, err := index.Open(context.Background(), t.TempDir(), index.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { shardsDB.Close() })
	return &fakeSharder{db: db, shardsDB: shardsDB, sharded: map[string]*fakeSharded{}}
}

func (f *fakeSharder) get(name string) (*fakeSharded, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sharded[name]
	return s, ok
}

func (f *fakeSharder) CreateSharded(ctx context.Context, name string, cfg index.Config, s Sharding) error {
	schema, err := f.db.Create(ctx, name, cfg)
	if err != nil {
		return err
	}
	schema.SetItemsElsewhere() // as group 0 marks its schema copies
	sc := &fakeSharded{s: s}
	for i := range s.Shards {
		c, err := f.shardsDB.Create(ctx, fmt.Sprintf("%s-%d", name, i), cfg)
		if err != nil {
			return err
		}
		sc.parts = append(sc.parts, c)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sharded[name] = sc
	return nil
}

func (f *fakeSharder) Router(name string, consistency Consistency) (query.Collection, bool, error) {
	f.mu.Lock()
	f.reads = append(f.reads, consistency)
	f.mu.Unlock()
	sc, ok := f.get(name)
	if !ok {
		return nil, false, nil
	}
	schema, err := f.db.Collection(name)
	if err != nil {
		return nil, false, err
	}
	shards := make([]shard.Shard, len(sc.parts))
	f.mu.Lock()
	for i, p := range sc.parts {
		shards[i] = p
		if f.broken != nil {
			shards[i] = f.broken
		}
	}
	f.mu.Unlock()
	r, err := shard.NewRouter(name, schema.Config(), shards)
	if err != nil {
		return nil, false, err
	}
	return r.WithUsers(func(context.Context) (*index.Collection, error) { return schema, nil }), true, nil
}

func (f *fakeSharder) Sharding(name string) (Sharding, bool) {
	sc, ok := f.get(name)
	return sc.sharding(), ok
}

func (sc *fakeSharded) sharding() Sharding {
	if sc == nil {
		return Sharding{}
	}
	return sc.s
}

func (f *fakeSharder) ShardInfo(ctx context.Context, name string) (any, error) {
	sc, ok := f.get(name)
	if !ok {
		return nil, fmt.Errorf("%w: collection %q is not sharded", index.ErrNotFound, name)
	}
	local := []map[string]any{}
	for i, p := range sc.parts {
		n, err := p.Count(ctx, nil)
		if err != nil {
			return nil, err
		}
		local = append(local, map[string]any{"shard_id": i, "points_count": n, "state": "Active"})
	}
	return map[string]any{"peer_id": 7, "shard_count": len(sc.parts), "local_shards": local,
		"remote_shards": []map[string]any{{"shard_id": 0, "peer_id": 8, "state": "Active"}}, "shard_transfers": []any{}}, nil
}

// shard returns shard i of a sharded collection, for Config.Shards.
func (f *fakeSharder) shard(collection string, i int) (shard.Shard, error) {
	sc, ok := f.get(collection)
	if !ok || i >= len(sc.parts) {
		return nil, fmt.Errorf("%w: no shard %s/%d", index.ErrNotFound, collection, i)
	}
	return sc.parts[i], nil
}

// The Replica's Writer: a sharded collection's point writes go to their
// shards, its other writes to the schema copy and every shard.

func (f *fakeSharder) Create(ctx context.Context, name string, cfg index.Config) error {
	_, err := f.db.Create(ctx, name, cfg)
	return err
}

func (f *fakeSharder) Drop(ctx context.Context, name string) error {
	if sc, ok := f.get(name); ok {
		for _, p := range sc.parts {
			if err := f.shardsDB.Drop(ctx, p.Name()); err != nil {
				return err
			}
		}
		f.mu.Lock()
		delete(f.sharded, name)
		f.mu.Unlock()
	}
	return f.db.Drop(ctx, name)
}

func (f *fakeSharder) Apply(ctx context.Context, collection string, ops []index.Operation) error {
	sc, ok := f.get(collection)
	if !ok {
		return localWriter{f.db}.Apply(ctx, collection, ops)
	}
	for _, op := range ops {
		for i, p := range sc.parts {
			mine, ok, err := opFor(op, i, len(sc.parts))
			if err != nil {
				return err
			}
			if ok {
				if err := p.Apply(ctx, []index.Operation{mine}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// opFor is op's part for shard i of n; ok is false when it has none.
func opFor(op index.Operation, i, n int) (index.Operation, bool, error) {
	mineIDs := func(ids []pointid.ID) []pointid.ID {
		out := []pointid.ID{}
		for _, id := range ids {
			if id.Shard(n) == i {
				out = append(out, id)
			}
		}
		return out
	}
	switch {
	case op.Upsert != nil:
		var pts []index.Point
		for _, p := range op.Upsert {
			if p.ID.Shard(n) == i {
				pts = append(pts, p)
			}
		}
		return index.Operation{Upsert: pts}, len(pts) > 0, nil
	case op.Delete != nil && op.Delete.Filter != nil:
		return op, true, nil
	case op.Delete != nil:
		ids := mineIDs(op.Delete.IDs)
		return index.Operation{Delete: &index.Selector{IDs: ids}}, len(ids) > 0, nil
	}
	return index.Operation{}, false, fmt.Errorf("fake sharder: operation %+v not split", op)
}

func (f *fakeSharder) PayloadIndex(ctx context.Context, collection, key string, typ index.FieldType) error {
	if err := (localWriter{f.db}).PayloadIndex(ctx, collection, key, typ); err != nil {
		return err
	}
	sc, _ := f.get(collection)
	for _, p := range sc.partsOrNil() {
		if err := (localWriter{f.shardsDB}).PayloadIndex(ctx, p.Name(), key, typ); err != nil {
			return err
		}
	}
	return nil
}

func (sc *fakeSharded) partsOrNil() []*index.Collection {
	if sc == nil {
		return nil
	}
	return sc.parts
}

func (f *fakeSharder) UpdateConfig(ctx context.Context, collection string, u index.ConfigUpdate) error {
	return localWriter{f.db}.UpdateConfig(ctx, collection, u)
}

func (f *fakeSharder) Interact(ctx context.Context, collection string, its []index.Interaction) error {
	return localWriter{f.db}.Interact(ctx, collection, its)
}

func (f *fakeSharder) Leader() (bool, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.follower, f.leaderURL
}

// follow makes the node a follower of the leader at url.
func (f *fakeSharder) follow(url string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.follower, f.leaderURL = true, url
}

// takeReads returns the consistencies the routers were asked for since
// the last call.
func (f *fakeSharder) takeReads() []Consistency {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.reads
	f.reads = nil
	return out
}

func (f *fakeSharder) Barrier(context.Context) error { return nil }
func (f *fakeSharder) Status(context.Context) (any, error) {
	return map[string]any{"status": "enabled"}, nil
}

// newShardedServer is a test server whose Replica is a fakeSharder,
// serving its shards at shard.Prefix, behind an api-key.
func newShardedServer(t *testing.T) (*testServer, *fakeSharder) {
	t.Helper()
	var f *fakeSharder
	ts := newTestServer(t, t.TempDir(), func(c *Config) {
		f = newFakeSharder(t, c.DB.(*index.DB))
		c.Replica = f
		c.Shards = f.shard
		c.APIKey = "secret"
	})
	return ts, f
}

package clusterapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/quiver-db/quiver/cluster"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/query"
	"github.com/quiver-db/quiver/shard"
	"github.com/quiver-db/quiver/sparse"
	"golang.org/x/sync/errgroup"
)

// Router implements httpapi.Sharder: a sharded collection read as one.
// With httpapi.ReadLocal each shard is read from this node's replica
// when it keeps one (a prefix of the shard's log, as any local read),
// else from another node's, the shard's leader first. With
// httpapi.ReadLinearizable each shard is read on its leader after a
// barrier on its group: here when this node leads it, else on the node
// that does (shard.ClientConfig.Leader), the others refusing.
func (r *Replica) Router(name string, consistency httpapi.Consistency) (query.Collection, bool, error) {
	p, ok := r.node.Placement(name)
	if !ok {
		return nil, false, nil
	}
	schema, err := r.node.DB().Collection(name)
	if err != nil {
		return nil, true, err
	}
	shards := make([]shard.Shard, p.Shards())
	if consistency == httpapi.ReadLinearizable {
		var g errgroup.Group // the barriers of the shards this node leads, at once
		for s := range shards {
			g.Go(func() error {
				var err error
				shards[s], err = r.leaderReader(name, p, s)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, true, err
		}
	} else {
		// Lookups alone: a goroutine each cost more than they (measured).
		for s := range shards {
			if shards[s], err = r.shardReader(name, p, s); err != nil {
				return nil, true, err
			}
		}
	}
	router, err := shard.NewRouter(name, schema.Config(), shards)
	if err != nil {
		return nil, true, err
	}
	users := func(context.Context) (*index.Collection, error) { return schema, nil }
	if consistency == httpapi.ReadLinearizable {
		users = func(ctx context.Context) (*index.Collection, error) {
			if err := r.readIndex(ctx); err != nil {
				return nil, fmt.Errorf("collection %q: users: %w", name, err)
			}
			return schema, nil
		}
	}
	return router.WithUsers(users), true, nil
}

// Sharding implements httpapi.Sharder: a map lookup in group 0's
// placements, as this node has applied them.
func (r *Replica) Sharding(name string) (httpapi.Sharding, bool) {
	p, ok := r.node.Placement(name)
	if !ok {
		return httpapi.Sharding{}, false
	}
	return httpapi.Sharding{Shards: p.Shards(), Replicas: p.ReplicationFactor()}, true
}

// shardReader is shard s as this node reads it.
func (r *Replica) shardReader(name string, p cluster.Placement, s int) (shard.Shard, error) {
	// A transfer's target runs the group before it is a replica: it is
	// not read until it is one.
	if g, ok := r.host.Group(name, p, s); ok && p.Holds(s, r.self) {
		if c, err := g.DB().Collection(name); err == nil {
			return c, nil
		}
	}
	return r.remoteReader(name, p, s, false)
}

// leaderReader is shard s on its leader, after a barrier on its group
// (a linearizable read): this node's replica when it leads the group,
// else the other replicas', asked as shard.ClientConfig.Leader says, the
// leader heard of first.
func (r *Replica) leaderReader(name string, p cluster.Placement, s int) (shard.Shard, error) {
	if g, ok := r.host.Group(name, p, s); ok && g.IsLeader() {
		// The request's context would be better, but Router has none: the
		// barrier is bounded as a shard write's wait for a leader is.
		ctx, cancel := context.WithTimeout(context.Background(), shardRetryFor)
		defer cancel()
		return r.leaderShard(ctx, name, s)
	}
	return r.remoteReader(name, p, s, true)
}

// remoteReader is shard s on the other nodes that keep it, the leader
// heard of first; with leader, each is asked for a leader's read.
func (r *Replica) remoteReader(name string, p cluster.Placement, s int, leaderRead bool) (shard.Shard, error) {
	leader := r.shards.leader(p.Group(s))
	var order []string
	if leader != "" && leader != r.self && p.Holds(s, leader) {
		order = append(order, leader)
	}
	for _, q := range p.Replicas[s] {
		if q.ID != r.self && q.ID != leader {
			order = append(order, q.ID)
		}
	}
	set := &replicaSet{}
	for _, id := range order {
		c, err := shard.NewClient(shard.ClientConfig{URL: r.shards.url(id), HTTP: r.shards.client, APIKey: r.shards.apiKey, Leader: leaderRead,
			Streams: r.streams, StreamAddr: r.addrs.of(id)}, name, s)
		if err != nil {
			return nil, err
		}
		set.replicas = append(set.replicas, c)
	}
	if len(set.replicas) == 0 {
		return nil, fmt.Errorf("%w: shard %d of %q: no replica reachable from node %s", shard.ErrUnavailable, s, name, r.self)
	}
	return set, nil
}

// Shards is shard.Handler's lookup (httpapi.Config.Shards): this node's
// replica of a shard.
func (r *Replica) Shards(collection string, s int) (shard.Shard, error) {
	p, ok := r.node.Placement(collection)
	if !ok {
		return nil, fmt.Errorf("%w: collection %q is not sharded here (yet)", shard.ErrUnavailable, collection)
	}
	if s >= p.Shards() {
		return nil, fmt.Errorf("%w: collection %q has %d shards", index.ErrNotFound, collection, p.Shards())
	}
	g, ok := r.host.Group(collection, p, s)
	if !ok {
		return nil, fmt.Errorf("%w: node %s runs no replica of shard %d", shard.ErrUnavailable, r.self, s)
	}
	c, err := g.DB().Collection(collection)
	if err != nil {
		return nil, fmt.Errorf("%w: replica not restored yet: %v", shard.ErrUnavailable, err)
	}
	return c, nil
}

// leaderShard is shard.Handler's Leader lookup: this node's replica of
// shard s, while this node leads its group, after its read index
// (cluster.Node.ReadIndex: no log entry). A
// node that does not lead it refuses with shard.ErrUnavailable, which
// sends the caller to the next replica.
func (r *Replica) leaderShard(ctx context.Context, collection string, s int) (shard.Shard, error) {
	p, ok := r.node.Placement(collection)
	if !ok || s >= p.Shards() {
		return nil, fmt.Errorf("%w: collection %q has no shard %d here (yet)", shard.ErrUnavailable, collection, s)
	}
	g, ok := r.host.Group(collection, p, s)
	if !ok {
		return nil, fmt.Errorf("%w: node %s runs no replica of shard %d", shard.ErrUnavailable, r.self, s)
	}
	if !g.IsLeader() {
		id, _ := g.Leader()
		r.shards.setLeader(p.Group(s), id)
		return nil, fmt.Errorf("%w: node %s does not lead shard %d (leader: %q)", shard.ErrUnavailable, r.self, s, id)
	}
	if err := g.ReadIndex(ctx); err != nil {
		return nil, fmt.Errorf("%w: shard %d's read index: %v", shard.ErrUnavailable, s, err)
	}
	c, err := g.DB().Collection(collection)
	if err != nil {
		return nil, fmt.Errorf("%w: replica not restored yet: %v", shard.ErrUnavailable, err)
	}
	return c, nil
}

// replicaSet is one shard on other nodes: each read goes to the first
// replica, and to the next while the one asked is unavailable.
type replicaSet struct {
	replicas []shard.Shard
}

var _ shard.Remote = (*replicaSet)(nil)

// Remote implements shard.Remote: every replica is another node's.
func (rs *replicaSet) Remote() bool { return true }

func first[T any](rs *replicaSet, read func(shard.Shard) (T, error)) (T, error) {
	var out T
	var err error
	for _, s := range rs.replicas {
		if out, err = read(s); err == nil || !errors.Is(err, shard.ErrUnavailable) {
			return out, err
		}
	}
	return out, err
}

func (rs *replicaSet) Search(ctx context.Context, req index.SearchRequest) ([]index.ScoredPoint, error) {
	return first(rs, func(s shard.Shard) ([]index.ScoredPoint, error) { return s.Search(ctx, req) })
}

func (rs *replicaSet) SearchSparse(ctx context.Context, req index.SparseSearchRequest) ([]index.ScoredPoint, error) {
	return first(rs, func(s shard.Shard) ([]index.ScoredPoint, error) { return s.SearchSparse(ctx, req) })
}

func (rs *replicaSet) Rank(ctx context.Context, req index.RankRequest) ([]index.ScoredPoint, error) {
	return first(rs, func(s shard.Shard) ([]index.ScoredPoint, error) { return s.Rank(ctx, req) })
}

func (rs *replicaSet) Vectors(ctx context.Context, using string, ids []pointid.ID) ([][]float32, error) {
	return first(rs, func(s shard.Shard) ([][]float32, error) { return s.Vectors(ctx, using, ids) })
}

func (rs *replicaSet) SparseVectors(ctx context.Context, using string, ids []pointid.ID) ([]sparse.Vector, error) {
	return first(rs, func(s shard.Shard) ([]sparse.Vector, error) { return s.SparseVectors(ctx, using, ids) })
}

func (rs *replicaSet) Get(ctx context.Context, ids []pointid.ID, opts index.ReadOptions) ([]index.Record, error) {
	return first(rs, func(s shard.Shard) ([]index.Record, error) { return s.Get(ctx, ids, opts) })
}

func (rs *replicaSet) Scroll(ctx context.Context, req index.ScrollRequest) (index.ScrollPage, error) {
	return first(rs, func(s shard.Shard) (index.ScrollPage, error) { return s.Scroll(ctx, req) })
}

func (rs *replicaSet) ScrollOrdered(ctx context.Context, req index.OrderedScrollRequest) ([]index.Record, error) {
	return first(rs, func(s shard.Shard) ([]index.Record, error) { return s.ScrollOrdered(ctx, req) })
}

func (rs *replicaSet) Count(ctx context.Context, f *filter.Filter) (int, error) {
	return first(rs, func(s shard.Shard) (int, error) { return s.Count(ctx, f) })
}

func (rs *replicaSet) Facet(ctx context.Context, req index.FacetRequest) ([]index.FacetHit, error) {
	return first(rs, func(s shard.Shard) ([]index.FacetHit, error) { return s.Facet(ctx, req) })
}

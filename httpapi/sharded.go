package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/query"
)

// pointReader is a collection as the routes that read its points read
// it: the query engine's Collection plus Get. *index.Collection and
// *shard.Router implement it.
type pointReader interface {
	query.Collection
	Get(ctx context.Context, ids []pointid.ID, opts index.ReadOptions) ([]index.Record, error)
}

// sharder returns the Replica as a Sharder, nil when it is none.
func (h *Handler) sharder() Sharder {
	s, _ := h.cfg.Replica.(Sharder)
	return s
}

// sharded reports how the collection called name, or aliased so, is
// spread, with the collection's own name; ok is false on a node that does
// not shard and for an unsharded collection.
func (h *Handler) sharded(name string) (real string, s Sharding, ok bool) {
	sh := h.sharder()
	if sh == nil {
		return name, Sharding{}, false
	}
	if c, err := h.db.Collection(name); err == nil {
		name = c.Name() // the Sharder knows collections by name, not alias
	}
	s, ok = sh.Sharding(name)
	return name, s, ok
}

// reader returns the route's collection to read points from, as up to
// date as the request's consistency parameter asks.
func (h *Handler) reader(r *http.Request) (pointReader, error) {
	strong, err := strongConsistency(r)
	if err != nil {
		return nil, err
	}
	c := ReadLocal
	if strong {
		c = ReadLinearizable
	}
	return h.readerNamed(mux.Vars(r)["collection"], c)
}

// readerNamed returns the collection called name to read points from:
// the Sharder's router for a sharded collection, else the DB's own.
func (h *Handler) readerNamed(name string, consistency Consistency) (pointReader, error) {
	if real, _, sharded := h.sharded(name); sharded {
		c, ok, err := h.sharder().Router(real, consistency)
		if err != nil {
			return nil, err
		}
		if !ok { // dropped since
			return nil, fmt.Errorf("collection %q: %w", name, index.ErrNotFound)
		}
		pr, isReader := c.(pointReader)
		if !isReader {
			return nil, fmt.Errorf("collection %q: the cluster's router %T has no Get", name, c)
		}
		return pr, nil
	}
	c, err := h.db.Collection(name)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// checkSharded refuses a route that does not serve sharded collections
// (route.sharded false) on one: 501 rather than an answer from the
// node's empty schema copy.
func (h *Handler) checkSharded(r *http.Request, rt route) error {
	name, ok := mux.Vars(r)["collection"]
	if !ok || rt.sharded {
		return nil
	}
	if _, _, sharded := h.sharded(name); sharded {
		return fmt.Errorf("%w: %s %s: not supported on a sharded collection yet", ErrNotSupported, rt.method, rt.path)
	}
	return nil
}

// shardingOf reads shard_number and replication_factor; sharded is false
// when both are absent or 1.
func shardingOf(req *createCollectionRequest) (s Sharding, sharded bool, err error) {
	s = Sharding{Shards: 1, Replicas: 1}
	if req.ShardNumber != nil {
		s.Shards = *req.ShardNumber
	}
	if req.ReplicationFactor != nil {
		s.Replicas = *req.ReplicationFactor
	}
	if s.Shards < 1 || s.Shards > MaxShards {
		return s, false, badRequest("shard_number %d: want 1..%d", s.Shards, MaxShards)
	}
	if s.Replicas < 1 || s.Replicas > MaxReplicas {
		return s, false, badRequest("replication_factor %d: want 1..%d", s.Replicas, MaxReplicas)
	}
	return s, s.Shards != 1 || s.Replicas != 1, nil
}

// countAll counts the points of the collection called name, every shard's
// for a sharded one.
func (h *Handler) countAll(ctx context.Context, name string) (int, error) {
	c, err := h.readerNamed(name, ReadLocal)
	if err != nil {
		return 0, err
	}
	return c.Count(ctx, nil)
}

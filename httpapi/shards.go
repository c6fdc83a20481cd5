package httpapi

import (
	"context"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/query"
)

// Sharding is how a cluster spreads a collection: Shards shards
// (shard_number), a point in shard id.Shard(Shards), each shard kept by
// Replicas nodes (replication_factor).
type Sharding struct {
	Shards   int
	Replicas int
}

// Bounds of Sharding, checked where a collection is created.
const (
	MaxShards   = 1024
	MaxReplicas = 16
)

// Consistency is how up to date a read of a sharded collection is, from
// Qdrant's consistency parameter (strongConsistency).
type Consistency uint8

const (
	// ReadLocal reads each shard from one of its replicas, this node's
	// when it keeps one: a prefix of the shard's log, perhaps missing the
	// latest acknowledged writes.
	ReadLocal Consistency = iota
	// ReadLinearizable reads each shard from its leader after a barrier
	// on that shard's group: the read sees every write acknowledged
	// before it began.
	ReadLinearizable
)

// Sharder is a Replica that also shards collections across its cluster's
// nodes. A collection created with shard_number or replication_factor
// other than 1 is created through it; the API then reads the collection
// through Router and writes through the Replica's Writer, which splits
// point writes by shard. The node's DB keeps a sharded collection's
// schema (config, payload indexes) as an empty collection of the same
// name: the API reads its config there, never its points; routes that
// would read its points answer 501 (see route.sharded).
type Sharder interface {
	// CreateSharded creates a collection of cfg spread as s says.
	CreateSharded(ctx context.Context, name string, cfg index.Config, s Sharding) error
	// Router returns the collection as the query engine reads it, every
	// shard at once (a search scatters to one replica of each shard and
	// gathers the top hits); ok is false for a collection that is not
	// sharded, which the node's own DB holds whole. The collection must
	// also have Get, as *shard.Router has: the point routes read by id.
	// With ReadLinearizable every shard is read on its leader, after a
	// barrier on its group.
	Router(name string, consistency Consistency) (c query.Collection, ok bool, err error)
	// Sharding reports how the collection called name is spread; ok is
	// false for a collection that is not sharded (or does not exist). It
	// is called on every request naming a collection, so it must be cheap
	// (a map lookup).
	Sharding(name string) (s Sharding, ok bool)
	// ShardInfo is GET /collections/{c}/cluster's answer, in Qdrant's
	// shape.
	ShardInfo(ctx context.Context, name string) (any, error)
}

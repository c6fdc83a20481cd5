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

// Sharder is a Replica that also shards collections across its cluster's
// nodes. A collection created with shard_number or replication_factor
// other than 1 is created through it; the API then reads the collection
// through Router and writes through the Replica's Writer, which splits
// point writes by shard.
type Sharder interface {
	// CreateSharded creates a collection of cfg spread as s says.
	CreateSharded(ctx context.Context, name string, cfg index.Config, s Sharding) error
	// Router returns the collection as the query engine reads it, every
	// shard at once (a search scatters to one replica of each shard and
	// gathers the top hits); ok is false for a collection that is not
	// sharded, which the node's own DB holds whole.
	Router(name string) (c query.Collection, ok bool, err error)
	// ShardInfo is GET /collections/{c}/cluster's answer, in Qdrant's
	// shape.
	ShardInfo(ctx context.Context, name string) (any, error)
}

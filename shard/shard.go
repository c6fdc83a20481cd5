package shard

import (
	"context"
	"errors"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

// Shard is one shard of a collection as a Router reads it: the data
// reads of query.Collection plus Get. *index.Collection implements it,
// and so does Client. Implementations must be safe for concurrent use.
type Shard interface {
	Search(ctx context.Context, req index.SearchRequest) ([]index.ScoredPoint, error)
	SearchSparse(ctx context.Context, req index.SparseSearchRequest) ([]index.ScoredPoint, error)
	Rank(ctx context.Context, req index.RankRequest) ([]index.ScoredPoint, error)
	Vectors(ctx context.Context, using string, ids []pointid.ID) ([][]float32, error)
	SparseVectors(ctx context.Context, using string, ids []pointid.ID) ([]sparse.Vector, error)
	Get(ctx context.Context, ids []pointid.ID, opts index.ReadOptions) ([]index.Record, error)
	Scroll(ctx context.Context, req index.ScrollRequest) (index.ScrollPage, error)
	ScrollOrdered(ctx context.Context, req index.OrderedScrollRequest) ([]index.Record, error)
	Count(ctx context.Context, f *filter.Filter) (int, error)
	Facet(ctx context.Context, req index.FacetRequest) ([]index.FacetHit, error)
}

var _ Shard = (*index.Collection)(nil)

// ErrUnavailable marks a shard that cannot answer now but may soon (its
// node unreachable, overloaded or without the shard yet); httpapi answers
// 503 with Retry-After.
var ErrUnavailable = errors.New("shard unavailable")

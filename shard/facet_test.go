package shard

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
)

// TestFacetEqualsOneCollection: keyword, integer and non-whole values
// counted over shards, locally and over the RPC, answer as the whole
// collection does: the same values, counts and order.
func TestFacetEqualsOneCollection(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	pts := densePoints(r, 120, 4)
	for i := range pts {
		pts[i].Payload["level"] = []any{int64(i % 7), -int64(i % 3)}[i%2]
		if i%10 == 0 {
			pts[i].Payload["level"] = 2.5 // a stored value that is not whole
		}
	}
	f := newFixture(t, index.Config{VectorSize: 4, Distance: index.Cosine}, pts, 3)
	for _, c := range append([]*index.Collection{f.whole}, f.parts...) {
		require.NoError(t, c.CreatePayloadIndex(ctx, "tag", index.Keyword))
		require.NoError(t, c.CreatePayloadIndex(ctx, "level", index.Integer))
	}
	tagB := mustFilter(t, `{"must":[{"key":"tag","match":{"value":"b"}}]}`)
	for _, req := range []index.FacetRequest{
		{Key: "tag"},
		{Key: "level", Limit: 4},
		{Key: "level", Limit: 100, Filter: tagB},
	} {
		want, err := f.whole.Facet(ctx, req)
		require.NoError(t, err)
		require.NotEmpty(t, want)
		for name, router := range f.readers() {
			got, err := router.Facet(ctx, req)
			require.NoError(t, err, name)
			require.Equal(t, want, got, "%s %+v", name, req)
		}
	}
	_, err := f.remote.Facet(ctx, index.FacetRequest{Key: "price"})
	require.ErrorIs(t, err, index.ErrBadRequest, "no index on the key: the shard's refusal crosses the RPC")
	_, err = f.local.Facet(ctx, index.FacetRequest{Key: "tag", Limit: -1})
	require.ErrorIs(t, err, index.ErrBadRequest)
}

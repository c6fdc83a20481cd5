package clusterapi

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// BenchmarkRouterSearch: a search of 3 shards through the router of a
// 1-node cluster (every shard local) and of a 3-node one with
// replication_factor 1 (one shard local, two over loopback HTTP), in
// process; quiver bench cluster --shards measures the same over the API.
func BenchmarkRouterSearch(b *testing.B) {
	const dim, points = 64, 5000
	for _, size := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", size), func(b *testing.B) {
			ctx := context.Background()
			tn := startNodes(b, size)
			cfg := index.Config{VectorSize: dim, Distance: index.Cosine}
			require.NoError(b, tn.leader().CreateSharded(ctx, "s", cfg, httpapi.Sharding{Shards: 3, Replicas: 1}))
			r := rand.New(rand.NewPCG(1, 2))
			vec := func() []float32 {
				v := make([]float32, dim)
				for i := range v {
					v[i] = r.Float32()*2 - 1
				}
				return v
			}
			for batch := range points / 500 {
				ps := make([]index.Point, 500)
				for i := range ps {
					ps[i] = index.Point{ID: pointid.FromNum(uint64(batch*500 + i + 1)), Vector: vec()}
				}
				require.NoError(b, tn.leader().Apply(ctx, "s", []index.Operation{{Upsert: ps}}))
			}
			router, _, err := tn.nodes[0].rep.Load().Router("s", httpapi.ReadLocal)
			require.NoError(b, err)
			q := vec()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := router.Search(ctx, index.SearchRequest{Vector: q, Limit: 10}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package shard

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/proccpu"
)

// BenchmarkSearch measures a top-10 search, with payloads and of ids and
// scores alone, over one collection, a Router over 4 local shards and one
// over 4 Clients to a loopback server (over HTTP, and in the stream
// form), 20,000 points of 64 dimensions.
// cpu-ns/op is the process's CPU time (both ends of the calls) per
// search: remote4 less local4 is what the 4 calls cost.
func BenchmarkSearch(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	f := newFixture(b, index.Config{VectorSize: 64, Distance: index.Cosine}, densePoints(r, 20000, 64), 4)
	queries := make([][]float32, 64)
	for i := range queries {
		queries[i] = randVector(r, 64)
	}
	type searcher interface {
		Search(context.Context, index.SearchRequest) ([]index.ScoredPoint, error)
	}
	for _, bc := range []struct {
		name string
		c    searcher
	}{{"warmup", f.whole}, {"whole", f.whole}, {"local4", f.local}, {"remote4", f.remote}, {"stream4", f.stream}} {
		for _, payload := range []bool{true, false} {
			name := bc.name
			if !payload {
				name += "-ids"
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				i, start := 0, proccpu.Used()
				for b.Loop() {
					res, err := bc.c.Search(context.Background(), index.SearchRequest{Vector: queries[i%len(queries)], Limit: 10, ReadOptions: index.ReadOptions{WithPayload: payload}})
					if err != nil || len(res) != 10 {
						b.Fatalf("search: %d results, %v", len(res), err)
					}
					i++
				}
				b.ReportMetric(float64(proccpu.Used()-start)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

package query

import (
	"context"
	"fmt"
	"testing"

	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
)

// BenchmarkGroups runs a groups query (10 groups of 3, graph search) on
// 20,000 points whose key has 50 values (dense: the first round fills the
// groups) or a value per point pair (sparse: the widening runs to the cap).
func BenchmarkGroups(b *testing.B) {
	for _, c := range []struct {
		name   string
		values int
	}{{"dense", 50}, {"sparse", 10000}} {
		b.Run(c.name, func(b *testing.B) {
			r := testseed.New(b)
			f, e := groupFixture(b, r, 20000, func(i int) map[string]any {
				return map[string]any{"g": fmt.Sprint(i % c.values)}
			}, Config{})
			q := f.vecs[pointid.FromNum(1)]
			req := GroupRequest{Request: Request{Query: &Nearest{To: Input{Vector: q}}, Limit: 10}, GroupBy: "g", GroupSize: 3}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				groups, err := e.RunGroups(context.Background(), f.c, req)
				if err != nil || len(groups) != 10 {
					b.Fatalf("%d groups, %v", len(groups), err)
				}
			}
		})
	}
}

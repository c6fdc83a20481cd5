package index

import (
	"cmp"
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/storage"
)

func TestFacetAgainstBruteForce(t *testing.T) {
	r := testseed.Stream(testseed.Seed(t), 3)
	ctx := context.Background()
	c, model := orderedFixture(t, r)
	for trial := range 80 {
		key := []string{"color", "tag", "rating"}[r.IntN(3)]
		var f *filter.Filter
		if r.IntN(2) == 0 {
			ff := randFilter(r, 0, 400)
			f = &ff
		}
		limit := 1 + r.IntN(8)
		counts := map[any]int{}
		for id, p := range model {
			if f != nil && !f.Matches(id, p) {
				continue
			}
			held := map[any]bool{}
			for _, v := range filter.Values(p, key) {
				if s, ok := v.(string); ok && key != "rating" {
					held[s[:min(len(s), storage.MaxTermLen)]] = true
				}
				if x, ok := filter.Number(v); ok && key == "rating" {
					held[orderValue(Integer, x)] = true
				}
			}
			for v := range held {
				counts[v]++
			}
		}
		want := []FacetHit{}
		for v, n := range counts {
			want = append(want, FacetHit{Value: v, Count: n})
		}
		slices.SortFunc(want, func(a, b FacetHit) int {
			if c := cmp.Compare(b.Count, a.Count); c != 0 {
				return c
			}
			if s, ok := a.Value.(string); ok {
				return cmp.Compare(s, b.Value.(string))
			}
			return cmp.Compare(asFloat(a.Value), asFloat(b.Value))
		})
		got, err := c.Facet(ctx, FacetRequest{Key: key, Filter: f, Limit: limit})
		require.NoError(t, err)
		require.Equal(t, want[:min(limit, len(want))], got, "trial %d: facet %s", trial, key)
	}
}

func TestFacetNeedsAKeywordOrIntegerIndex(t *testing.T) {
	r := testseed.Stream(testseed.Seed(t), 4)
	c, _ := orderedFixture(t, r)
	for _, key := range []string{"price", "missing"} {
		_, err := c.Facet(context.Background(), FacetRequest{Key: key})
		require.ErrorIs(t, err, ErrBadRequest)
		require.ErrorContains(t, err, `key "`+key+`"`)
	}
	_, err := c.Facet(context.Background(), FacetRequest{Key: "color", Limit: -1})
	require.ErrorIs(t, err, ErrBadRequest)
}

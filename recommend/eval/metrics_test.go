package eval

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUserMetricsHandMade(t *testing.T) {
	// Hits at ranks 1 and 3 of 10; |T| = 4.
	ranked := []int32{7, 1, 9, 2, 3, 4, 5, 6, 8, 10, 11, 12}
	truth := []int32{7, 9, 40, 12}
	r10, r20, ndcg, hr := UserMetrics(ranked, truth)
	require.InDelta(t, 2.0/4, r10, 1e-12)
	require.InDelta(t, 3.0/4, r20, 1e-12, "12 is at rank 12")
	dcg := 1 + 1/math.Log2(4)
	idcg := 1 + 1/math.Log2(3) + 1/math.Log2(4) + 1/math.Log2(5)
	require.InDelta(t, dcg/idcg, ndcg, 1e-12)
	require.Equal(t, 1.0, hr)

	// More held-out items than k: the denominator is k.
	many := make([]int32, 30)
	for i := range many {
		many[i] = int32(i)
	}
	r10, r20, ndcg, _ = UserMetrics(many[:20], many)
	require.Equal(t, 1.0, r10)
	require.Equal(t, 1.0, r20)
	require.InDelta(t, 1.0, ndcg, 1e-12)

	_, _, _, hr = UserMetrics([]int32{1, 2}, []int32{3})
	require.Zero(t, hr)
}

func TestSummarizeCoverage(t *testing.T) {
	lists := [][]int32{{1, 2}, {2, 3}}
	m := Summarize(lists, [][]int32{{1}, {9}}, 10)
	require.InDelta(t, 0.3, m.CoverageAt10, 1e-12)
	require.InDelta(t, 0.5, m.HRAt10, 1e-12)
}

func TestChronoSplitRules(t *testing.T) {
	// User 0: 6 ratings → (6+4)/5 = 2 held out; equal times order by item.
	// User 1: 1 rating → it is held out.
	rs := []Rating{
		{User: 0, Item: 5, Time: 3}, {User: 0, Item: 1, Time: 1}, {User: 0, Item: 4, Time: 9},
		{User: 0, Item: 2, Time: 9}, {User: 0, Item: 3, Time: 2}, {User: 0, Item: 0, Time: 8},
		{User: 1, Item: 3, Time: 1},
	}
	s := ChronoSplit(2, 6, rs)
	items := func(rs []Rating) []int32 {
		var out []int32
		for _, r := range rs {
			out = append(out, r.Item)
		}
		return out
	}
	require.Equal(t, []int32{1, 3, 5, 0}, items(s.Train))
	require.Equal(t, []int32{2, 4, 3}, items(s.Test))
	v := s.Validation()
	require.Equal(t, []int32{1, 3, 5}, items(v.Train))
	require.Equal(t, []int32{0}, items(v.Test))
	require.Equal(t, []bool{true, true, false, true, false, true}, s.Catalogue())
	require.Equal(t, 4, s.CatalogueSize())
	require.Equal(t, [][]int32{{2, 4}, {3}}, s.TestItems())
}

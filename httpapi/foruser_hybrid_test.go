package httpapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/trainer"
)

// TestRecommendForUserByHybrid plants two groups as TestRecommendForUser
// does, with star ratings, and ranks by the hybrid vector.
func TestRecommendForUserByHybrid(t *testing.T) {
	r := testseed.New(t)
	ts := newTestServer(t, t.TempDir(), nil)
	require.Equal(t, 200, ts.do("PUT", "/collections/m", `{"vectors": {"content": {"size": 4, "distance": "Cosine"},
		"cf": {"size": 4, "distance": "Dot"}, "blend": {"size": 9, "distance": "Dot"}, "small": {"size": 8, "distance": "Dot"}}}`).Code)
	const items = 40
	var pts, its []string
	for i := range items {
		g := i % 2
		pts = append(pts, fmt.Sprintf(`{"id": %d, "vector": {"content": [%d, %d, %.3f, %.3f]}}`, i, 1-g, g, r.Float64()/5, r.Float64()/5))
	}
	require.Equal(t, 200, ts.do("PUT", "/collections/m/points", `{"points": [`+strings.Join(pts, ",")+`]}`).Code)
	seen := map[int]bool{} // user 0's
	for u := range 200 {
		for k, j := range r.Perm(items / 2)[:8] {
			item := 2*j + u%2
			its = append(its, fmt.Sprintf(`{"user": %d, "item": %d, "weight": %d, "timestamp": %d}`, u, item, 3+k%3, 1000+k))
			if u == 0 {
				seen[item] = true
			}
		}
	}
	require.Equal(t, 200, ts.do("PUT", "/collections/m/interactions", `{"interactions": [`+strings.Join(its, ",")+`]}`).Code)

	for body, want := range map[string]string{
		`{"hybrid": "nope"}`:                                 `hybrid "nope"`,
		`{"hybrid": "small", "content": "content"}`:          "size 8; want factors 4 + content 4 + 1 = 9",
		`{"hybrid": "blend", "hybrid_centroid": "mean"}`:     "hybrid_centroid",
		`{"hybrid": "blend", "hybrid_content_weight": 1000}`: "at most 100",
	} {
		res := ts.do("POST", "/collections/m/train", body)
		require.Equal(t, 400, res.Code, body)
		require.Contains(t, res.Error, want, body)
	}
	require.Equal(t, 200, ts.do("POST", "/collections/m/train", `{"iterations": 10, "lambda": 20, "seed": 1, "content": "content",
		"hybrid": "blend", "hybrid_content_weight": 0.4, "hybrid_popularity_weight": 0.1, "hybrid_centroid_half_life": 20}`).Code)
	job := waitJob(t, ts)
	require.Equal(t, trainer.Done, job.State, job.Error)
	require.Equal(t, "blend", job.Options.Hybrid)
	require.Equal(t, "rating", job.Options.HybridCentroid, "weights 3..5 read as ratings")
	require.Equal(t, float32(0.4), job.Options.HybridContentWeight)
	require.Equal(t, 20.0, job.Options.HybridCentroidHalfLife)

	res := queryUser(t, ts, `{"query": {"recommend": {"user": 0}}, "using": "blend", "limit": 5, "with_explanation": true, "with_vector": ["blend"]}`)
	require.Len(t, res, 5)
	for i, p := range res {
		require.Equal(t, 0, p.ID%2, "results %+v", res)
		require.False(t, seen[p.ID], "seen item %d recommended", p.ID)
		require.Len(t, p.Vector["blend"], 9)
		if i > 0 {
			require.LessOrEqual(t, p.Score, res[i-1].Score)
		}
		require.Len(t, p.Explanation, 5, "the top five of the user's eight items")
		for k, c := range p.Explanation {
			require.True(t, seen[c.ID], "explanation names %d, not the user's", c.ID)
			if k > 0 {
				require.LessOrEqual(t, c.Contribution, p.Explanation[k-1].Contribution)
			}
		}
	}
	// A new user's first interaction moves them to its group.
	require.Equal(t, 200, ts.do("PUT", "/collections/m/interactions", `{"interactions": [{"user": "new", "item": 3, "weight": 5}]}`).Code)
	res = queryUser(t, ts, `{"query": {"recommend": {"user": "new"}}, "using": "blend", "limit": 5}`)
	for _, p := range res {
		require.Equal(t, 1, p.ID%2, "after an odd item: %+v", res)
	}
}

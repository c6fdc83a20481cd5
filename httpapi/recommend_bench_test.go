package httpapi

import (
	"fmt"
	"testing"
)

// BenchmarkRecommend times recommendation by example through the handler:
// each strategy on a collection small enough to score every point (5,000)
// and on one large enough to score the neighbours of the positives
// (30,000, above Config.RecommendScanMax).
func BenchmarkRecommend(b *testing.B) {
	for _, n := range []int{5000, 30000} {
		h, _, _, _ := benchCollection(b, n)
		for _, strategy := range []string{"average_vector", "best_score", "sum_scores"} {
			body := fmt.Sprintf(`{"query": {"recommend": {"positive": [1, 2, 3], "negative": [4], "strategy": %q}}, "limit": 10, "with_payload": true}`, strategy)
			b.Run(fmt.Sprintf("%s/points=%d", strategy, n), func(b *testing.B) {
				benchPost(b, h, "/collections/c/points/query", []byte(body))
			})
		}
	}
}

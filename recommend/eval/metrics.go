package eval

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/quiver-db/quiver/recommend"
)

// Depth is the longest list the metrics read (Recall@20).
const Depth = 20

// TopN are the ranking metrics, each the mean over all users.
type TopN struct {
	RecallAt10   float64 `json:"recall_at_10"`
	RecallAt20   float64 `json:"recall_at_20"`
	NDCGAt10     float64 `json:"ndcg_at_10"`
	HRAt10       float64 `json:"hr_at_10"`
	CoverageAt10 float64 `json:"coverage_at_10"`
}

// UserMetrics scores one ranked list against the held-out set truth:
// Recall@k = hits in the top k / min(k, |T|), NDCG@10 with binary relevance
// and ideal DCG over min(10, |T|) items, HR@10 = any hit in the top 10. A
// user with no held-out items scores 0.
func UserMetrics(ranked []int32, truth []int32) (recall10, recall20, ndcg10, hr10 float64) {
	if len(truth) == 0 {
		return 0, 0, 0, 0
	}
	in := func(i int32) bool {
		for _, t := range truth {
			if t == i {
				return true
			}
		}
		return false
	}
	var hits10, hits20 int
	var dcg float64
	for pos, i := range ranked[:min(len(ranked), Depth)] {
		if !in(i) {
			continue
		}
		hits20++
		if pos < 10 {
			hits10++
			dcg += 1 / math.Log2(float64(pos)+2)
		}
	}
	var idcg float64
	for pos := range min(10, len(truth)) {
		idcg += 1 / math.Log2(float64(pos)+2)
	}
	recall10 = float64(hits10) / float64(min(10, len(truth)))
	recall20 = float64(hits20) / float64(min(20, len(truth)))
	if hits10 > 0 {
		hr10 = 1
	}
	return recall10, recall20, dcg / idcg, hr10
}

// RankFunc writes user u's top-Depth items into dst[:0] and returns it;
// worker identifies the calling goroutine so implementations can keep
// per-worker scratch.
type RankFunc func(worker, u int, dst []int32) []int32

// Ranker returns the RankFunc that ranks every candidate by s: the
// catalogue minus the user's items in train, ties to the smaller item.
func Ranker(s recommend.Scorer, train *recommend.Matrix, catalogue []bool, workers int) RankFunc {
	type scratch struct {
		scores  []float32
		allowed []bool
	}
	pool := make([]scratch, workers)
	for w := range pool {
		pool[w] = scratch{make([]float32, train.Items()), make([]bool, train.Items())}
	}
	return func(w, u int, dst []int32) []int32 {
		sc := pool[w]
		copy(sc.allowed, catalogue)
		items, _ := train.UserItems(u)
		for _, i := range items {
			sc.allowed[i] = false
		}
		s.Score(u, sc.scores)
		return recommend.TopK(dst, sc.scores, sc.allowed, Depth)
	}
}

// Evaluate ranks for every user with rank on workers goroutines (0 means
// GOMAXPROCS) and averages the metrics against test (held-out items per
// user). catalogueSize is the denominator of coverage.
func Evaluate(ctx context.Context, rank RankFunc, test [][]int32, catalogueSize, workers int) (TopN, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	users := len(test)
	lists := make([][]int32, users)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				u := int(next.Add(1) - 1)
				if u >= users || ctx.Err() != nil {
					return
				}
				lists[u] = rank(w, u, make([]int32, 0, Depth))
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return TopN{}, err
	}
	return Summarize(lists, test, catalogueSize), nil
}

// Summarize averages UserMetrics over users and computes Coverage@10.
func Summarize(lists, test [][]int32, catalogueSize int) TopN {
	var m TopN
	seen := map[int32]bool{}
	for u, list := range lists {
		r10, r20, n10, h10 := UserMetrics(list, test[u])
		m.RecallAt10 += r10
		m.RecallAt20 += r20
		m.NDCGAt10 += n10
		m.HRAt10 += h10
		for _, i := range list[:min(10, len(list))] {
			seen[i] = true
		}
	}
	n := float64(len(lists))
	m.RecallAt10 /= n
	m.RecallAt20 /= n
	m.NDCGAt10 /= n
	m.HRAt10 /= n
	m.CoverageAt10 = float64(len(seen)) / float64(catalogueSize)
	return m
}

// Errors are the rating-prediction metrics, pooled over all test ratings.
type Errors struct {
	RMSE float64 `json:"rmse"`
	MAE  float64 `json:"mae"`
	N    int     `json:"n"`
}

// RatingErrors predicts every test rating, clips to [lo, hi] and pools the
// errors.
func RatingErrors(predict func(u, i int) float32, test []Rating, lo, hi float32) Errors {
	var se, ae float64
	for _, r := range test {
		p := min(max(predict(int(r.User), int(r.Item)), lo), hi)
		d := float64(p - r.Value)
		se += d * d
		ae += math.Abs(d)
	}
	n := float64(len(test))
	return Errors{RMSE: math.Sqrt(se / n), MAE: ae / n, N: len(test)}
}

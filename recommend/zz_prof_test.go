package recommend_test

import (
	"context"
	"testing"

	"github.com/quiver-db/quiver/recommend"
	"github.com/quiver-db/quiver/recommend/eval"
)

func BenchmarkZZ(b *testing.B) {
	ml, _ := eval.LoadMovieLens("../../shared/data/ml-latest-small")
	s := eval.ChronoSplit(len(ml.UserIDs), len(ml.MovieIDs), ml.Ratings)
	m, _ := s.TrainMatrix(eval.Binary)
	for b.Loop() {
		recommend.TrainIALS(context.Background(), m, recommend.IALSOptions{Seed: 1})
	}
}

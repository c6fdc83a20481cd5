package bench

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/viterin/vek/vek32"

	"github.com/quiver-db/quiver/recommend"
)

// RecCold is the cold-item evaluation: for each user with test items that
// no one rated in train, the movies absent from train are ranked for them
// and Recall@10 is taken over those items alone. It shows what content
// brings to items collaborative filtering cannot see yet.
type RecCold struct {
	// Users have at least one cold test item; Items are the movies of
	// movies.csv absent from train, the candidates.
	Users int `json:"users"`
	Items int `json:"items"`
	// Recall@10 of a random ranking (its expectation), the content
	// centroid against the cold items' content vectors, and the iALS user
	// vector against cold factors mapped from content (the ridge map the
	// server fits at training).
	Random      float64 `json:"random_recall_at_10"`
	Content     float64 `json:"content_recall_at_10"`
	ContentToCF float64 `json:"content_to_cf_recall_at_10"`
	// RidgeLambda is the ridge map's λ, chosen on validation by the
	// ridge(content) row.
	RidgeLambda float64 `json:"ridge_lambda"`
}

// runCold scores the cold items on the test split with the settings the
// other rows chose on validation.
func (r *recRun) runCold(ctx context.Context) error {
	d := r.tst
	var cold []int32
	isCold := make([]bool, d.binary.Items())
	for i := range d.binary.Items() {
		if d.binary.ItemCount(i) == 0 {
			cold, isCold[i] = append(cold, int32(i)), true
		}
	}
	var centroidOpt recommend.CentroidOptions
	for _, o := range centroidWeightings {
		if centroidName(o) == r.settingsOf("content") {
			centroidOpt = o
		}
	}
	cen, err := recommend.NewCentroid(d.ratings, r.content, centroidOpt)
	if err != nil {
		return err
	}
	ials, err := r.fitIALS(ctx, d, r.ialsSet)
	if err != nil {
		return err
	}
	lambda := 1.0
	if s := r.settingsOf("ridge(content)"); strings.Contains(s, "ridge λ=") {
		fmt.Sscanf(s[strings.LastIndex(s, "ridge λ="):], "ridge λ=%g", &lambda)
	}
	fitted := make([]bool, d.binary.Items())
	for i := range fitted {
		fitted[i] = !isCold[i]
	}
	ridge, err := recommend.FitRidge(r.content, ials.ItemFactors(), ials.Factors(), fitted, lambda)
	if err != nil {
		return err
	}
	f := ials.Factors()
	mapped := make([]float32, len(cold)*f)
	for k, i := range cold {
		ridge.Map(mapped[k*f:k*f:(k+1)*f], r.content.Row(int(i)))
	}
	res := RecCold{Items: len(cold), RidgeLambda: lambda}
	scores := make([]float32, len(cold))
	order := make([]int, len(cold))
	for u, items := range d.test {
		held := 0
		for _, i := range items {
			if isCold[i] {
				held++
			}
		}
		if held == 0 {
			continue
		}
		res.Users++
		denom := float64(min(10, held))
		res.Random += float64(held) * 10 / float64(len(cold)) / denom
		for k, i := range cold {
			scores[k] = vek32.Dot(cen.UserVector(u), r.content.Row(int(i)))
		}
		res.Content += float64(hitsAt10(scores, order, cold, items)) / denom
		for k := range cold {
			scores[k] = vek32.Dot(ials.UserVector(u), mapped[k*f:(k+1)*f])
		}
		res.ContentToCF += float64(hitsAt10(scores, order, cold, items)) / denom
	}
	if res.Users > 0 {
		n := float64(res.Users)
		res.Random, res.Content, res.ContentToCF = res.Random/n, res.Content/n, res.ContentToCF/n
	}
	r.res.Cold = res
	r.logf("cold items: %d users, %d movies; Recall@10 random %.4f, content %.4f, content→cf %.4f (ridge λ=%g)",
		res.Users, res.Items, res.Random, res.Content, res.ContentToCF, lambda)
	return nil
}

// hitsAt10 counts the held items among the ten best candidates by score
// (ties to the smaller index, i.e. the smaller movieId).
func hitsAt10(scores []float32, order []int, cands, held []int32) int {
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Or(cmp.Compare(scores[b], scores[a]), cmp.Compare(a, b)) })
	hits := 0
	for _, k := range order[:min(10, len(order))] {
		if slices.Contains(held, cands[k]) {
			hits++
		}
	}
	return hits
}

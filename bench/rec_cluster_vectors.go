package bench

import (
	"context"
	"math"
	"net/http"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/recommend/eval"
)

// The item vectors a training leaves: a single node writes them all from
// one model, a sharded collection's shard groups each write their own
// points' (trainer.InstallVectors), cold items mapped from the text by a
// map each shard fits from its own trained items. Reading every movie's
// cf vector through one node of each setup tells whether any is missing
// and how far the per-shard maps move the cold items.

// VectorAgreement compares two setups' cf vectors of one class of movies.
type VectorAgreement struct {
	Movies int `json:"movies"`
	// Single and Cluster count the movies with a cf vector in each.
	Single  int `json:"single"`
	Cluster int `json:"cluster"`
	// MeanCosine and MinCosine are over the movies with one in both.
	MeanCosine float64 `json:"mean_cosine"`
	MinCosine  float64 `json:"min_cosine"`
}

// cfVectors reads the cf vector of every movie through cl, keyed by
// movieId; movies without one are left out.
func cfVectors(ctx context.Context, cl *client.Client, movies []int64) (map[int64][]float32, error) {
	out := make(map[int64][]float32, len(movies))
	const chunk = 1000
	for lo := 0; lo < len(movies); lo += chunk {
		ids := make([]pointid.ID, 0, chunk)
		for _, m := range movies[lo:min(lo+chunk, len(movies))] {
			ids = append(ids, pointid.FromNum(uint64(m)))
		}
		var recs []struct {
			ID     pointid.ID           `json:"id"`
			Vector map[string][]float32 `json:"vector"`
		}
		body := map[string]any{"ids": ids, "with_payload": false, "with_vector": []string{"cf"}}
		if err := cl.Do(ctx, http.MethodPost, "/collections/"+recHTTPCollection+"/points", body, &recs); err != nil {
			return nil, err
		}
		for _, r := range recs {
			if v := r.Vector["cf"]; len(v) > 0 {
				n, _ := r.ID.Num()
				out[int64(n)] = v
			}
		}
	}
	return out, nil
}

// compareVectors compares single's and cluster's vectors of movies.
func compareVectors(single, cluster map[int64][]float32, movies []int64) VectorAgreement {
	a := VectorAgreement{Movies: len(movies), MinCosine: math.Inf(1)}
	sum, both := 0.0, 0
	for _, m := range movies {
		x, okx := single[m]
		y, oky := cluster[m]
		if okx {
			a.Single++
		}
		if oky {
			a.Cluster++
		}
		if !okx || !oky {
			continue
		}
		c := cosine(x, y)
		sum += c
		a.MinCosine = min(a.MinCosine, c)
		both++
	}
	if both == 0 {
		a.MinCosine = 0
		return a
	}
	a.MeanCosine = sum / float64(both)
	return a
}

// cosine is x·y / (|x| |y|) in float64; 1 for two zero vectors, 0 for
// one, or for vectors of different lengths.
func cosine(x, y []float32) float64 {
	if len(x) != len(y) {
		return 0
	}
	var xy, xx, yy float64
	for i := range x {
		xy += float64(x[i]) * float64(y[i])
		xx += float64(x[i]) * float64(x[i])
		yy += float64(y[i]) * float64(y[i])
	}
	switch {
	case xx == 0 && yy == 0:
		return 1
	case xx == 0 || yy == 0:
		return 0
	}
	return xy / math.Sqrt(xx*yy)
}

// moviesByClass splits d's movies into those in train and the rest.
func moviesByClass(d *recHTTPData) (trained, cold []int64) {
	split := eval.Split{Users: len(d.ml.UserIDs), Items: len(d.ml.MovieIDs), Train: d.ratings, Test: d.test}
	catalogue := split.Catalogue()
	inML := make(map[int64]bool, len(d.ml.MovieIDs))
	for i, id := range d.ml.MovieIDs {
		inML[id] = true
		if catalogue[i] {
			trained = append(trained, id)
		} else {
			cold = append(cold, id)
		}
	}
	for _, m := range d.movies { // never rated at all
		if !inML[m.ID] {
			cold = append(cold, m.ID)
		}
	}
	return trained, cold
}

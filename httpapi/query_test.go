package httpapi

import (
	"math"
	"net/http"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/internal/testseed"
)

type queryResult struct {
	Points []hit `json:"points"`
}

// randomCollection creates a Cosine collection c of n random points of
// size dim (ids 1..n, payload {"group": i%3}) and returns the vectors.
func randomCollection(t *testing.T, ts *testServer, c string, n, dim int) map[int][]float32 {
	seed := testseed.Seed(t)
	rng := testseed.Stream(seed, 7)
	ts.ok("PUT", "/collections/"+c, map[string]any{"vectors": map[string]any{"size": dim, "distance": "Cosine"}}, nil)
	vecs := map[int][]float32{}
	pts := make([]any, n)
	for i := range pts {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		vecs[i+1] = v
		pts[i] = map[string]any{"id": i + 1, "vector": v, "payload": map[string]any{"group": (i + 1) % 3}}
	}
	ts.ok("PUT", "/collections/"+c+"/points", map[string]any{"points": pts}, nil)
	return vecs
}

func cosine(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return d / math.Sqrt(na*nb)
}

// bruteForce ranks ids by score, best first, ties by id.
func bruteForce(vecs map[int][]float32, score func(v []float32) float64, keep func(id int) bool) []int {
	var out []int
	for id := range vecs {
		if keep(id) {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		si, sj := score(vecs[out[i]]), score(vecs[out[j]])
		if si != sj {
			return si > sj
		}
		return out[i] < out[j]
	})
	return out
}

func asInts(hits []hit) []int {
	out := make([]int, len(hits))
	for i, h := range hits {
		out[i] = int(h.ID.(float64))
	}
	return out
}

func TestQueryNearestMatchesBruteForce(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	vecs := randomCollection(t, ts, "c", 300, 8)
	q := []float32{1, -1, 0.5, 0, 2, 0, 0, 1}
	all := func(int) bool { return true }
	want := bruteForce(vecs, func(v []float32) float64 { return cosine(q, v) }, all)

	var res queryResult
	ts.ok("POST", "/collections/c/points/query", map[string]any{"query": q, "limit": 10, "params": map[string]any{"exact": true}}, &res)
	require.Equal(t, want[:10], asInts(res.Points))
	require.InDelta(t, cosine(q, vecs[want[0]]), res.Points[0].Score, 1e-5, "cosine score, higher is better")
	require.Nil(t, res.Points[0].Payload, "query returns no payload unless asked")

	ts.ok("POST", "/collections/c/points/query", map[string]any{"query": map[string]any{"nearest": q}, "limit": 5, "offset": 3, "params": map[string]any{"hnsw_ef": 300}, "with_payload": true, "with_vector": true}, &res)
	require.Equal(t, want[3:8], asInts(res.Points), "graph search with ef 300 over 300 points is exact")
	require.Equal(t, vecs[want[3]], res.Points[0].Vector)
	require.Equal(t, float64(want[3]%3), res.Points[0].Payload["group"])

	group1 := func(id int) bool { return id%3 == 1 }
	wantF := bruteForce(vecs, func(v []float32) float64 { return cosine(q, v) }, group1)
	ts.ok("POST", "/collections/c/points/query", map[string]any{"query": q, "limit": 7, "filter": map[string]any{"must": []any{map[string]any{"key": "group", "match": map[string]any{"value": 1}}}}}, &res)
	require.Equal(t, wantF[:7], asInts(res.Points))

	thr := cosine(q, vecs[want[4]])
	ts.ok("POST", "/collections/c/points/query", map[string]any{"query": q, "limit": 50, "score_threshold": thr - 1e-6, "params": map[string]any{"exact": true}}, &res)
	require.Equal(t, want[:5], asInts(res.Points))

	// By id: the point's own vector, the point itself left out.
	self := want[0]
	wantID := bruteForce(vecs, func(v []float32) float64 { return cosine(vecs[self], v) }, func(id int) bool { return id != self })
	ts.ok("POST", "/collections/c/points/query", map[string]any{"query": self, "limit": 5, "params": map[string]any{"exact": true}}, &res)
	require.Equal(t, wantID[:5], asInts(res.Points))

	// Legacy search returns the list directly.
	var legacy []hit
	ts.ok("POST", "/collections/c/points/search", map[string]any{"vector": q, "limit": 3, "params": map[string]any{"exact": true}}, &legacy)
	require.Equal(t, want[:3], asInts(legacy))

	var legacyBatch [][]hit
	ts.ok("POST", "/collections/c/points/search/batch", map[string]any{"searches": []any{
		map[string]any{"vector": q, "limit": 2, "params": map[string]any{"exact": true}},
		map[string]any{"vector": q, "limit": 1, "offset": 2, "params": map[string]any{"exact": true}},
	}}, &legacyBatch)
	require.Len(t, legacyBatch, 2)
	require.Equal(t, want[:2], asInts(legacyBatch[0]))
	require.Equal(t, want[2:3], asInts(legacyBatch[1]))
	ts.ok("POST", "/collections/c/points/recommend/batch", map[string]any{"searches": []any{
		map[string]any{"positive": []int{self}, "limit": 3, "params": map[string]any{"exact": true}},
	}}, &legacyBatch)
	require.Equal(t, wantID[:3], asInts(legacyBatch[0]), "one positive: its neighbours, itself left out")
	ts.fails(400, "POST", "/collections/c/points/recommend/batch", map[string]any{"searches": []any{map[string]any{"positive": []int{self}, "strategy": "x"}}}, "searches[0]", "strategy")

	// No query: points in id order.
	ts.ok("POST", "/collections/c/points/query", map[string]any{"limit": 3, "offset": 2}, &res)
	require.Equal(t, []int{3, 4, 5}, asInts(res.Points))

	// Batch.
	var batch []queryResult
	ts.ok("POST", "/collections/c/points/query/batch", map[string]any{"searches": []any{
		map[string]any{"query": q, "limit": 2, "params": map[string]any{"exact": true}},
		map[string]any{"query": self, "limit": 1, "params": map[string]any{"exact": true}},
	}}, &batch)
	require.Len(t, batch, 2)
	require.Equal(t, want[:2], asInts(batch[0].Points))
	require.Equal(t, wantID[:1], asInts(batch[1].Points))
}

func TestEuclidScoresAreDistances(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.ok("PUT", "/collections/e", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Euclid"}}, nil)
	ts.ok("PUT", "/collections/e/points", map[string]any{"points": []any{
		map[string]any{"id": 1, "vector": []float32{0, 0}},
		map[string]any{"id": 2, "vector": []float32{3, 4}},
		map[string]any{"id": 3, "vector": []float32{1, 0}},
	}}, nil)
	var res queryResult
	ts.ok("POST", "/collections/e/points/query", map[string]any{"query": []float32{0, 0}, "score_threshold": 2}, &res)
	require.Equal(t, []int{1, 3}, asInts(res.Points), "threshold is a maximum distance for Euclid")
	require.InDelta(t, 0, res.Points[0].Score, 1e-6)
	require.InDelta(t, 1, res.Points[1].Score, 1e-6)
}

// recoReference is the documented recommend score, written out again for
// the test.
func recoReference(strategy string, pos, neg [][]float32, v []float32) float64 {
	if strategy == "sum_scores" {
		s := 0.0
		for _, p := range pos {
			s += cosine(p, v)
		}
		for _, n := range neg {
			s -= cosine(n, v)
		}
		return s
	}
	bp, bn := math.Inf(-1), math.Inf(-1)
	for _, p := range pos {
		bp = math.Max(bp, cosine(p, v))
	}
	for _, n := range neg {
		bn = math.Max(bn, cosine(n, v))
	}
	if bp > bn {
		return bp
	}
	return -bn * bn
}

func TestRecommendStrategies(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	vecs := randomCollection(t, ts, "c", 200, 6)
	posIDs, negIDs := []int{5, 17}, []int{42}
	negVec := []float32{1, 0, 0, 0, 0, 1}
	var pos, neg [][]float32
	for _, id := range posIDs {
		pos = append(pos, vecs[id])
	}
	for _, id := range negIDs {
		neg = append(neg, vecs[id])
	}
	neg = append(neg, negVec)
	notExample := func(id int) bool { return id != 5 && id != 17 && id != 42 }

	for _, strategy := range []string{"best_score", "sum_scores"} {
		t.Run(strategy, func(t *testing.T) {
			want := bruteForce(vecs, func(v []float32) float64 { return recoReference(strategy, pos, neg, v) }, notExample)
			var res queryResult
			ts.ok("POST", "/collections/c/points/query", map[string]any{"query": map[string]any{"recommend": map[string]any{
				"positive": posIDs, "negative": []any{42, negVec}, "strategy": strategy,
			}}, "limit": 8}, &res)
			require.Equal(t, want[:8], asInts(res.Points))
			require.InDelta(t, recoReference(strategy, pos, neg, vecs[want[0]]), res.Points[0].Score, 1e-4)

			var legacy []hit
			ts.ok("POST", "/collections/c/points/recommend", map[string]any{"positive": posIDs, "negative": []any{42, negVec}, "strategy": strategy, "limit": 3, "offset": 1}, &legacy)
			require.Equal(t, want[1:4], asInts(legacy))
		})
	}
	t.Run("average_vector", func(t *testing.T) {
		unit := func(v []float32) []float64 {
			var s float64
			for _, x := range v {
				s += float64(x) * float64(x)
			}
			out := make([]float64, len(v))
			for i, x := range v {
				out[i] = float64(x) / math.Sqrt(s)
			}
			return out
		}
		q := make([]float32, 6)
		for i := range q {
			var p, n float64
			for _, v := range pos {
				p += unit(v)[i] / float64(len(pos))
			}
			for _, v := range neg {
				n += unit(v)[i] / float64(len(neg))
			}
			q[i] = float32(2*p - n)
		}
		want := bruteForce(vecs, func(v []float32) float64 { return cosine(q, v) }, notExample)
		var res queryResult
		ts.ok("POST", "/collections/c/points/query", map[string]any{"query": map[string]any{"recommend": map[string]any{
			"positive": posIDs, "negative": []any{42, negVec},
		}}, "limit": 6, "params": map[string]any{"exact": true}}, &res)
		require.Equal(t, want[:6], asInts(res.Points))
	})
	t.Run("lookup_from", func(t *testing.T) {
		ts.ok("PUT", "/collections/other", map[string]any{"vectors": map[string]any{"size": 6, "distance": "Cosine"}}, nil)
		ts.ok("PUT", "/collections/other/points", map[string]any{"points": []any{map[string]any{"id": 5, "vector": vecs[9]}}}, nil)
		want := bruteForce(vecs, func(v []float32) float64 { return cosine(vecs[9], v) }, func(int) bool { return true })
		var res queryResult
		ts.ok("POST", "/collections/c/points/query", map[string]any{"query": 5, "lookup_from": map[string]any{"collection": "other"}, "limit": 3, "params": map[string]any{"exact": true}}, &res)
		require.Equal(t, want[:3], asInts(res.Points), "id 5 names other's point; c's point 5 is not excluded")
		ts.fails(http.StatusNotFound, "POST", "/collections/c/points/query", map[string]any{"query": 6, "lookup_from": map[string]any{"collection": "other"}}, "point 6")
		ts.fails(http.StatusNotFound, "POST", "/collections/c/points/query", map[string]any{"query": 5, "lookup_from": map[string]any{"collection": "nope"}}, "lookup_from")
	})
}

func TestQueryBadInput(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.MaxLimit = 100 })
	seed(ts, "c", 3)
	q := []float32{1, 0, 0}
	cases := []struct {
		name string
		body any
		code int
		want string
	}{
		{"wrong size", map[string]any{"query": []float32{1, 2}}, 400, "size 2"},
		{"limit too big", map[string]any{"query": q, "limit": 101}, 400, "limit 101"},
		{"limit plus offset", map[string]any{"query": q, "limit": 60, "offset": 41}, 400, "offset 41"},
		{"zero limit", map[string]any{"query": q, "limit": 0}, 400, "limit 0"},
		{"negative offset", map[string]any{"query": q, "offset": -1}, 400, "offset -1"},
		{"limit string", map[string]any{"query": q, "limit": "ten"}, 400, `"limit"`},
		{"bad ef", map[string]any{"query": q, "params": map[string]any{"hnsw_ef": 0}}, 400, "hnsw_ef"},
		{"unknown param field", map[string]any{"query": q, "params": map[string]any{"eff": 3}}, 400, `"eff"`},
		{"unknown field", map[string]any{"query": q, "top": 3}, 400, `"top"`},
		{"fusion", map[string]any{"query": map[string]any{"fusion": "rrf"}}, 400, "fusion"},
		{"prefetch", map[string]any{"query": q, "prefetch": []any{map[string]any{"query": []float32{1}}}}, 400, "size 1"},
		{"using", map[string]any{"query": q, "using": "image"}, 400, "image"},
		{"missing id", map[string]any{"query": 99}, 404, "point 99"},
		{"bad strategy", map[string]any{"query": map[string]any{"recommend": map[string]any{"positive": []int{1}, "strategy": "vibes"}}}, 400, "vibes"},
		{"no positive", map[string]any{"query": map[string]any{"recommend": map[string]any{"negative": []int{1}}}}, 400, "positive"},
		{"no examples", map[string]any{"query": map[string]any{"recommend": map[string]any{"strategy": "best_score"}}}, 400, "example"},
		{"unknown recommend field", map[string]any{"query": map[string]any{"recommend": map[string]any{"positive": []int{1}, "pos": 1}}}, 400, `"pos"`},
		{"example wrong size", map[string]any{"query": map[string]any{"recommend": map[string]any{"positive": []any{[]float32{1}}, "strategy": "best_score"}}}, 400, "size 1"},
		{"nearest null", map[string]any{"query": map[string]any{"nearest": nil}}, 400, "nearest"},
		{"doc no text", map[string]any{"query": map[string]any{"text": ""}}, 400, "no model"},
		{"doc unknown field", map[string]any{"query": map[string]any{"text": "a", "model": "fake", "lang": "en"}}, 400, `"lang"`},
		{"doc wrong dim", map[string]any{"query": map[string]any{"text": "a cat", "model": "fake"}}, 400, "size 64"},
		{"bad filter", map[string]any{"query": q, "filter": map[string]any{"must": "x"}}, 400, "filter"},
		{"threshold string", map[string]any{"query": q, "score_threshold": "high"}, 400, "score_threshold"},
		{"empty body", nil, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.code == 200 {
				ts.ok("POST", "/collections/c/points/query", c.body, nil)
				return
			}
			ts.fails(c.code, "POST", "/collections/c/points/query", c.body, c.want)
		})
	}
	ts.fails(400, "POST", "/collections/c/points/search", map[string]any{"limit": 3}, "vector")
	ts.fails(400, "POST", "/collections/c/points/search", map[string]any{"vector": 1}, "vector")
	ts.fails(400, "POST", "/collections/c/points/recommend", map[string]any{"positive": []int{}}, "positive")
	ts.fails(400, "POST", "/collections/c/points/query/batch", map[string]any{"searches": []any{map[string]any{"query": q}, map[string]any{"query": q, "limit": -1}}}, "searches[1]")
}

// TestRecommendOnLargeCollections covers the path where best_score and
// sum_scores rank the neighbours of the positives instead of every point.
func TestRecommendOnLargeCollections(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.RecommendScanMax = 30 })
	vecs := randomCollection(t, ts, "c", 200, 6)
	pos, neg := [][]float32{vecs[5], vecs[17]}, [][]float32{vecs[42]}
	notExample := func(id int) bool { return id != 5 && id != 17 && id != 42 }
	for _, strategy := range []string{"best_score", "sum_scores"} {
		want := bruteForce(vecs, func(v []float32) float64 { return recoReference(strategy, pos, neg, v) }, notExample)[:8]
		var res queryResult
		ts.ok("POST", "/collections/c/points/query", map[string]any{"query": map[string]any{"recommend": map[string]any{
			"positive": []int{5, 17}, "negative": []int{42}, "strategy": strategy,
		}}, "limit": 8}, &res)
		require.Len(t, res.Points, 8)
		overlap := 0
		for i, p := range res.Points {
			id := int(p.ID.(float64))
			require.True(t, notExample(id))
			require.InDelta(t, recoReference(strategy, pos, neg, vecs[id]), p.Score, 1e-4, "%s: score of %d", strategy, id)
			if i > 0 {
				require.LessOrEqual(t, p.Score, res.Points[i-1].Score, "best first")
			}
			if slices.Contains(want, id) {
				overlap++
			}
		}
		require.GreaterOrEqual(t, overlap, 6, "%s: the positives' neighbours hold most of the true top 8", strategy)
	}
	// Without positives every point must be scored, which a collection
	// over five times the limit refuses.
	ts.fails(http.StatusBadRequest, "POST", "/collections/c/points/query", map[string]any{"query": map[string]any{"recommend": map[string]any{
		"negative": []int{42}, "strategy": "best_score",
	}}}, "up to 150 points")
}

// TestErrorsDoNotDependOnMapOrder sends bodies whose error names one of
// several keys, many times: the message must be the same every time.
func TestErrorsDoNotDependOnMapOrder(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	require.Equal(t, 200, ts.do("PUT", "/collections/c", `{"vectors": {"size": 4, "distance": "Dot"}}`).Code)
	for _, tc := range []struct{ path, body, want string }{
		{"/collections/c/points/query", `{"query": {"zeta": 1, "alpha": 2, "mid": 3}}`, `"alpha"`},
		{"/collections/c/points/query?zz=1&aa=2&mm=3", `{"query": [1, 2, 3, 4]}`, `"aa"`},
	} {
		for range 20 {
			r := ts.do("POST", tc.path, tc.body)
			require.Equal(t, 400, r.Code)
			require.Contains(t, r.Error, tc.want)
		}
	}
}

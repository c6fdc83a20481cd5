package index

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/pointid"

	"github.com/quiver-db/quiver/internal/testseed"
)

var testWords = []string{"red", "green", "blue", "cyan", "black"}

// randScalarList returns a random string or number field value: a scalar,
// an array, null, or nothing.
func randField(r *rand.Rand, scalar func() any) (any, bool) {
	switch r.IntN(8) {
	case 0:
		return nil, false
	case 1:
		return nil, true
	case 2:
		return []any{}, true
	case 3, 4:
		return []any{scalar(), scalar()}, true
	}
	return scalar(), true
}

func randPayload(r *rand.Rand) map[string]any {
	word := func() any { return testWords[r.IntN(len(testWords))] }
	num := func() any {
		if r.IntN(2) == 0 {
			return float64(r.IntN(20))
		}
		return float64(r.IntN(2000)) / 100
	}
	p := map[string]any{}
	for key, gen := range map[string]func() any{"color": word, "tag": word, "price": num, "rating": num} {
		if v, ok := randField(r, gen); ok {
			p[key] = v
		}
	}
	if r.IntN(3) == 0 {
		p["flag"] = r.IntN(2) == 0
	}
	if r.IntN(2) == 0 {
		p["meta"] = map[string]any{"kind": word()}
	}
	// Round-trip through JSON so the model holds what the store returns.
	b, _ := json.Marshal(p)
	out := map[string]any{}
	_ = json.Unmarshal(b, &out)
	return out
}

func randCondition(r *rand.Rand, depth int, maxID int) filter.Condition {
	key := []string{"color", "tag", "price", "rating", "flag", "meta.kind", "missing"}[r.IntN(7)]
	value := func() any {
		switch key {
		case "price", "rating":
			return float64(r.IntN(20))
		case "flag":
			return r.IntN(2) == 0
		}
		return testWords[r.IntN(len(testWords))]
	}
	switch n := r.IntN(10); {
	case n == 0 && depth < 2:
		f := randFilter(r, depth+1, maxID)
		return filter.Condition{Filter: &f}
	case n == 1:
		ids := make([]pointid.ID, r.IntN(20))
		for i := range ids {
			ids[i] = pointid.FromNum(uint64(r.IntN(maxID)))
		}
		return filter.Condition{HasID: ids}
	case n == 2:
		return filter.Condition{IsEmpty: key}
	case n == 3:
		return filter.Condition{IsNull: key}
	case n == 4:
		return filter.Condition{Field: &filter.FieldCondition{Key: key, Match: filter.NewMatchAny(value(), value())}}
	case n == 5:
		return filter.Condition{Field: &filter.FieldCondition{Key: key, Match: filter.NewMatchExcept(value(), value())}}
	case n == 6 || n == 7:
		lo, hi := float64(r.IntN(20)), float64(r.IntN(20))
		rg := &filter.Range{}
		if r.IntN(2) == 0 {
			rg.GT = &lo
		} else {
			rg.GTE = &lo
		}
		if r.IntN(2) == 0 {
			rg.LT = &hi
		} else if r.IntN(2) == 0 {
			rg.LTE = &hi
		}
		return filter.Condition{Field: &filter.FieldCondition{Key: key, Range: rg}}
	}
	return filter.Condition{Field: &filter.FieldCondition{Key: key, Match: filter.NewMatchValue(value())}}
}

func randFilter(r *rand.Rand, depth, maxID int) filter.Filter {
	var f filter.Filter
	for _, dst := range []*[]filter.Condition{&f.Must, &f.Should, &f.MustNot} {
		for range r.IntN(3) {
			*dst = append(*dst, randCondition(r, depth, maxID))
		}
	}
	return f
}

// TestFilterAgainstBruteForce checks Count, Scroll, Search and
// DeleteByFilter against filter.Matches over an in-memory model, with some
// keys indexed and some not.
func TestFilterAgainstBruteForce(t *testing.T) {
	seed := testseed.Seed(t)
	r := testseed.Stream(seed, 1)
	ctx := context.Background()
	// Merge the in-memory postings every few changes, so lookups meet
	// merged, pending and removed entries alike.
	defer func(m int) { minMerge = m }(minMerge)
	minMerge = 1 + r.IntN(16)
	fs := vfs.NewMem()
	db := openTest(t, fs)
	defer func() { db.Close() }()
	db.opts.ExactSearchMax = 50 // exercise both search paths
	const n, dim = 600, 8
	c, err := db.Create(ctx, "f", Config{VectorSize: dim, Distance: Dot, PayloadIndexes: map[string]FieldType{
		"color": Keyword, "price": Float, "meta.kind": Keyword, "flag": Integer,
	}})
	if err != nil {
		t.Fatal(err)
	}
	model := map[pointid.ID]map[string]any{}
	vecs := map[pointid.ID][]float32{}
	var batch []Point
	for i := range n {
		id := pointid.FromNum(uint64(i))
		p := Point{ID: id, Vector: randVec(r, dim), Payload: randPayload(r)}
		model[id], vecs[id] = p.Payload, p.Vector
		batch = append(batch, p)
	}
	if err := c.Upsert(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// Replace and delete some, so index entries must follow.
	for i := 0; i < n; i += 7 {
		id := pointid.FromNum(uint64(i))
		p := Point{ID: id, Vector: randVec(r, dim), Payload: randPayload(r)}
		model[id], vecs[id] = p.Payload, p.Vector
		if err := c.Upsert(ctx, []Point{p}); err != nil {
			t.Fatal(err)
		}
	}
	var gone []pointid.ID
	for i := 3; i < n; i += 11 {
		gone = append(gone, pointid.FromNum(uint64(i)))
		delete(model, pointid.FromNum(uint64(i)))
	}
	if _, err := c.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	for trial := range 160 {
		if trial == 40 || trial == 120 {
			// Reopen: the postings are loaded from the store's terms.
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = openTest(t, fs)
			db.opts.ExactSearchMax = 50
			if c, err = db.Collection("f"); err != nil {
				t.Fatal(err)
			}
		}
		if trial%20 == 5 {
			// Writes between queries: a replacement and a delete.
			id := pointid.FromNum(uint64(r.IntN(n)))
			p := Point{ID: id, Vector: randVec(r, dim), Payload: randPayload(r)}
			model[id], vecs[id] = p.Payload, p.Vector
			if err := c.Upsert(ctx, []Point{p}); err != nil {
				t.Fatal(err)
			}
			del := pointid.FromNum(uint64(r.IntN(n)))
			delete(model, del)
			if _, err := c.Delete(ctx, []pointid.ID{del}); err != nil {
				t.Fatal(err)
			}
		}
		if trial == 80 {
			// Index what was not indexed, drop one index, change a type.
			if err := c.CreatePayloadIndex(ctx, "tag", Keyword); err != nil {
				t.Fatal(err)
			}
			if err := c.CreatePayloadIndex(ctx, "rating", Float); err != nil {
				t.Fatal(err)
			}
			if err := c.CreatePayloadIndex(ctx, "meta.kind", Integer); err != nil {
				t.Fatal(err)
			}
			if err := c.DeletePayloadIndex(ctx, "color"); err != nil {
				t.Fatal(err)
			}
			if err := c.DeletePayloadIndex(ctx, "color"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("deleting a missing payload index: %v", err)
			}
			want := map[string]FieldType{"tag": Keyword, "rating": Float, "meta.kind": Integer, "price": Float, "flag": Integer}
			if got := c.Config().PayloadIndexes; !maps.Equal(got, want) {
				t.Fatalf("payload indexes %v, want %v", got, want)
			}
		}
		f := randFilter(r, 0, n)
		var want []pointid.ID
		for id, p := range model {
			if f.Matches(id, p) {
				want = append(want, id)
			}
		}
		slices.SortFunc(want, pointid.ID.Compare)
		fj := describe(f)
		got, err := c.Count(ctx, &f)
		if err != nil || got != len(want) {
			t.Fatalf("trial %d: Count(%s) = %d, %v; brute force %d", trial, fj, got, err, len(want))
		}
		if trial%10 == 0 {
			var scrolled []pointid.ID
			req := ScrollRequest{Filter: &f, Limit: 1 + r.IntN(40)}
			for {
				page, err := c.Scroll(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range page.Points {
					scrolled = append(scrolled, p.ID)
				}
				if page.Next == nil {
					break
				}
				req.Offset = page.Next
			}
			if !slices.Equal(scrolled, want) {
				t.Fatalf("trial %d: Scroll(%s) = %v; brute force %v", trial, fj, scrolled, want)
			}
		}
		q := randVec(r, dim)
		res, err := c.Search(ctx, SearchRequest{Vector: q, Limit: 10, Filter: &f, Ef: 200})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != min(10, len(want)) {
			t.Fatalf("trial %d: Search(%s) returned %d points, %d match", trial, fj, len(res), len(want))
		}
		for _, sp := range res {
			if !f.Matches(sp.ID, model[sp.ID]) {
				t.Fatalf("trial %d: Search(%s) returned non-matching point %s", trial, fj, sp.ID)
			}
		}
		// Exact search is the brute-force top 10 by dot product, best first.
		exact, err := c.Search(ctx, SearchRequest{Vector: q, Limit: 10, Filter: &f, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		byScore := slices.Clone(want)
		dot := func(id pointid.ID) float32 {
			var s float32
			for i, x := range vecs[id] {
				s += q[i] * x
			}
			return s
		}
		slices.SortFunc(byScore, func(a, b pointid.ID) int { return cmp.Compare(dot(b), dot(a)) })
		byScore = byScore[:min(10, len(byScore))]
		// Compare scores with a tolerance: SIMD sums round differently.
		for i, sp := range exact {
			want := dot(byScore[i])
			if d := sp.Score - want; d > 1e-4 || d < -1e-4 || !f.Matches(sp.ID, model[sp.ID]) {
				t.Fatalf("trial %d: exact search %d-th result %s score %g, brute force %s score %g", trial, i, sp.ID, sp.Score, byScore[i], want)
			}
		}
		if len(exact) != len(byScore) {
			t.Fatalf("trial %d: exact search returned %d, brute force %d", trial, len(exact), len(byScore))
		}
	}
	f := filter.Filter{Must: []filter.Condition{{Field: &filter.FieldCondition{Key: "color", Match: filter.NewMatchValue("red")}}}}
	want := 0
	for id, p := range model {
		if f.Matches(id, p) {
			want++
		}
	}
	deleted, err := c.DeleteByFilter(ctx, &f)
	if err != nil || deleted != want {
		t.Fatalf("DeleteByFilter = %d, %v; want %d", deleted, err, want)
	}
	if left, _ := c.Count(ctx, &f); left != 0 {
		t.Fatalf("%d points match after DeleteByFilter", left)
	}
	if total, _ := c.Count(ctx, nil); total != len(model)-want {
		t.Fatalf("Count = %d after deleting %d of %d", total, want, len(model))
	}
}

// describe renders a filter for failure messages.
func describe(f filter.Filter) string {
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Sprintf("%+v", f)
	}
	return string(b)
}

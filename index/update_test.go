package index

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func matchKey(key string, v any) *filter.Filter {
	return &filter.Filter{Must: []filter.Condition{{Field: &filter.FieldCondition{Key: key, Match: filter.NewMatchValue(v)}}}}
}

func rangeKey(key string, gte float64) *filter.Filter {
	return &filter.Filter{Must: []filter.Condition{{Field: &filter.FieldCondition{Key: key, Range: &filter.Range{GTE: &gte}}}}}
}

// idsMatching scrolls the ids of the points matching f.
func idsMatching(t *testing.T, c *Collection, f *filter.Filter) []uint64 {
	t.Helper()
	page, err := c.Scroll(context.Background(), ScrollRequest{Filter: f, Limit: 1000})
	require.NoError(t, err)
	var out []uint64
	for _, r := range page.Points {
		n, _ := r.ID.Num()
		out = append(out, n)
	}
	return out
}

func payloadOf(t *testing.T, c *Collection, id uint64) string {
	t.Helper()
	recs, err := c.Get(context.Background(), []pointid.ID{pointid.FromNum(id)}, ReadOptions{WithPayload: true})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	return encode(t, recs[0].Payload)
}

// reopen closes db and opens it again, as after a restart, with its
// collection name.
func reopen(t *testing.T, db *DB, fs vfs.FS, name string) (*DB, *Collection) {
	t.Helper()
	require.NoError(t, db.Close())
	db = openTest(t, fs)
	c, err := db.Collection(name)
	require.NoError(t, err)
	return db, c
}

func ids(ns ...uint64) []pointid.ID {
	out := make([]pointid.ID, len(ns))
	for i, n := range ns {
		out[i] = pointid.FromNum(n)
	}
	return out
}

// TestUpdatePayload checks each payload update's merge semantics, that
// indexed filters see the new values and not the old, that a missing id
// writes nothing, and that it all survives a restart.
func TestUpdatePayload(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openTest(t, fs)
	c, err := db.Create(ctx, "p", Config{VectorSize: 2, Distance: Dot,
		PayloadIndexes: map[string]FieldType{"city": Keyword, "n": Integer, "meta.tag": Keyword}})
	require.NoError(t, err)
	require.NoError(t, c.Upsert(ctx, []Point{
		{ID: pointid.FromNum(1), Vector: []float32{1, 0}, Payload: map[string]any{"city": "Paris", "n": 1}},
		{ID: pointid.FromNum(2), Vector: []float32{0, 1}, Payload: map[string]any{"city": "Rome", "n": 2}},
		{ID: pointid.FromNum(3), Vector: []float32{1, 1}, Payload: map[string]any{"city": "Rome", "n": 3, "meta": map[string]any{"tag": "x"}}},
	}))

	// Set merges top-level keys, and the keyword index follows.
	require.NoError(t, c.UpdatePayload(ctx, PayloadUpdate{Kind: PayloadSet, Points: Selector{IDs: ids(1)}, Payload: map[string]any{"city": "Rome", "extra": true}}))
	require.JSONEq(t, `{"city":"Rome","n":1,"extra":true}`, payloadOf(t, c, 1))
	require.Equal(t, []uint64{1, 2, 3}, idsMatching(t, c, matchKey("city", "Rome")))
	require.Empty(t, idsMatching(t, c, matchKey("city", "Paris")))

	// Set under a nested key, by filter on an indexed number.
	require.NoError(t, c.UpdatePayload(ctx, PayloadUpdate{Kind: PayloadSet, Points: Selector{Filter: rangeKey("n", 2)}, Key: "meta", Payload: map[string]any{"tag": "y"}}))
	require.JSONEq(t, `{"city":"Rome","n":2,"meta":{"tag":"y"}}`, payloadOf(t, c, 2))
	require.Equal(t, []uint64{2, 3}, idsMatching(t, c, matchKey("meta.tag", "y")))
	require.Empty(t, idsMatching(t, c, matchKey("meta.tag", "x")))

	// Overwrite replaces the whole payload; the numeric index follows.
	require.NoError(t, c.UpdatePayload(ctx, PayloadUpdate{Kind: PayloadOverwrite, Points: Selector{IDs: ids(3)}, Payload: map[string]any{"n": 30}}))
	require.JSONEq(t, `{"n":30}`, payloadOf(t, c, 3))
	require.Equal(t, []uint64{3}, idsMatching(t, c, rangeKey("n", 10)))
	require.Equal(t, []uint64{1, 2}, idsMatching(t, c, matchKey("city", "Rome")))

	// Delete keys by path, then clear by filter.
	require.NoError(t, c.UpdatePayload(ctx, PayloadUpdate{Kind: PayloadDeleteKeys, Points: Selector{IDs: ids(2)}, Keys: []string{"meta.tag", "city"}}))
	require.JSONEq(t, `{"n":2,"meta":{}}`, payloadOf(t, c, 2))
	require.Equal(t, []uint64{1}, idsMatching(t, c, matchKey("city", "Rome")))
	require.NoError(t, c.UpdatePayload(ctx, PayloadUpdate{Kind: PayloadClear, Points: Selector{Filter: matchKey("city", "Rome")}}))
	require.JSONEq(t, `{}`, payloadOf(t, c, 1))
	require.Equal(t, []uint64{2, 3}, idsMatching(t, c, rangeKey("n", 0)))

	// A missing id fails the update and writes nothing, not even to the
	// points that exist.
	err = c.UpdatePayload(ctx, PayloadUpdate{Kind: PayloadSet, Points: Selector{IDs: ids(2, 99)}, Payload: map[string]any{"n": 5}})
	require.ErrorIs(t, err, ErrNotFound)
	require.JSONEq(t, `{"n":2,"meta":{}}`, payloadOf(t, c, 2))
	for _, bad := range []PayloadUpdate{
		{Kind: PayloadSet, Payload: map[string]any{"a": 1}},
		{Kind: PayloadSet, Points: Selector{IDs: ids(1), Filter: &filter.Filter{}}, Payload: map[string]any{"a": 1}},
		{Kind: PayloadSet, Points: Selector{IDs: ids(1)}, Key: "a..b", Payload: map[string]any{"a": 1}},
		{Kind: PayloadSet, Points: Selector{IDs: ids(1)}},
		{Kind: PayloadDeleteKeys, Points: Selector{IDs: ids(1)}, Keys: []string{"ok", "[0]"}},
		{Kind: PayloadSet, Points: Selector{IDs: ids(1)}, Payload: map[string]any{"big": string(make([]byte, 1<<20))}},
	} {
		require.ErrorIs(t, c.UpdatePayload(ctx, bad), ErrBadRequest, "%+v", bad.Points)
	}

	// A restart keeps the payloads and rebuilds the postings from the
	// stored terms.
	db, c = reopen(t, db, fs, "p")
	defer db.Close()
	require.JSONEq(t, `{}`, payloadOf(t, c, 1))
	require.JSONEq(t, `{"n":2,"meta":{}}`, payloadOf(t, c, 2))
	require.JSONEq(t, `{"n":30}`, payloadOf(t, c, 3))
	require.Equal(t, []uint64{3}, idsMatching(t, c, rangeKey("n", 10)))
	require.Empty(t, idsMatching(t, c, matchKey("city", "Rome")))
	require.Empty(t, idsMatching(t, c, matchKey("meta.tag", "y")))
	require.Empty(t, c.checkGraph())
}

var updateConfig = Config{
	Vectors: map[string]VectorConfig{
		"a": {Size: 3, Distance: Cosine},
		"b": {Size: 2, Distance: Dot},
	},
	SparseVectors:  map[string]SparseVectorConfig{"s": {}},
	PayloadIndexes: map[string]FieldType{"k": Keyword},
}

// nearest returns the id of the best hit searching vector name with v.
func nearest(t *testing.T, c *Collection, name string, v []float32) []uint64 {
	t.Helper()
	res, err := c.Search(context.Background(), SearchRequest{Using: name, Vector: v, Limit: 10})
	require.NoError(t, err)
	var out []uint64
	for _, r := range res {
		n, _ := r.ID.Num()
		out = append(out, n)
	}
	return out
}

// TestUpdateVectors checks that an update replaces only the vectors it
// names, that a delete removes a vector from search with using, and that
// both survive a restart.
func TestUpdateVectors(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openTest(t, fs)
	c, err := db.Create(ctx, "v", updateConfig)
	require.NoError(t, err)
	sv := sparse.Vector{Indices: []uint32{7}, Values: []float32{1}}
	require.NoError(t, c.Upsert(ctx, []Point{
		{ID: pointid.FromNum(1), Vectors: map[string][]float32{"a": {1, 0, 0}, "b": {1, 0}}, Sparse: map[string]sparse.Vector{"s": sv}, Payload: map[string]any{"k": "one"}},
		{ID: pointid.FromNum(2), Vectors: map[string][]float32{"a": {0, 1, 0}, "b": {0, 1}}, Payload: map[string]any{"k": "two"}},
	}))
	require.Equal(t, []uint64{1, 2}, nearest(t, c, "a", []float32{1, 0, 0}))

	require.NoError(t, c.UpdateVectors(ctx, []PointVectors{{ID: pointid.FromNum(2), Vectors: map[string][]float32{"a": {1, 0.01, 0}}}}))
	require.Equal(t, []uint64{2, 1}, nearest(t, c, "a", []float32{1, 0.02, 0}))
	recs, err := c.Get(ctx, ids(2), ReadOptions{WithPayload: true, WithVector: true})
	require.NoError(t, err)
	require.Equal(t, map[string][]float32{"a": {1, 0.01, 0}, "b": {0, 1}}, recs[0].Vectors)
	require.JSONEq(t, `{"k":"two"}`, encode(t, recs[0].Payload))
	require.Equal(t, []uint64{2}, idsMatching(t, c, matchKey("k", "two")))

	// A sparse vector is set like a dense one.
	require.NoError(t, c.UpdateVectors(ctx, []PointVectors{{ID: pointid.FromNum(2), Sparse: map[string]sparse.Vector{"s": {Indices: []uint32{7}, Values: []float32{5}}}}}))
	res, err := c.SearchSparse(ctx, SparseSearchRequest{Using: "s", Vector: sv})
	require.NoError(t, err)
	require.Len(t, res, 2)
	require.Equal(t, pointid.FromNum(2), res[0].ID)

	// Delete b from point 1 by filter, and s from point 2 by id.
	require.NoError(t, c.DeleteVectors(ctx, VectorDeletion{Points: Selector{Filter: matchKey("k", "one")}, Names: []string{"b"}}))
	require.NoError(t, c.DeleteVectors(ctx, VectorDeletion{Points: Selector{IDs: ids(2)}, Names: []string{"s"}}))
	check := func() {
		require.Equal(t, []uint64{2}, nearest(t, c, "b", []float32{1, 0}))
		require.Equal(t, []uint64{2, 1}, nearest(t, c, "a", []float32{1, 0.02, 0}))
		res, err := c.SearchSparse(ctx, SparseSearchRequest{Using: "s", Vector: sv})
		require.NoError(t, err)
		require.Len(t, res, 1)
		require.Equal(t, pointid.FromNum(1), res[0].ID)
		recs, err := c.Get(ctx, ids(1), ReadOptions{WithPayload: true, WithVector: true})
		require.NoError(t, err)
		require.Equal(t, map[string][]float32{"a": {1, 0, 0}}, recs[0].Vectors)
		require.Equal(t, map[string]sparse.Vector{"s": sv}, recs[0].Sparse)
		require.JSONEq(t, `{"k":"one"}`, encode(t, recs[0].Payload))
		require.Equal(t, []uint64{1}, idsMatching(t, c, matchKey("k", "one")))
		require.Empty(t, c.checkGraph())
	}
	check()

	for _, bad := range []error{
		c.UpdateVectors(ctx, []PointVectors{{ID: pointid.FromNum(1), Vectors: map[string][]float32{"nope": {1}}}}),
		c.UpdateVectors(ctx, []PointVectors{{ID: pointid.FromNum(1), Vectors: map[string][]float32{"a": {1}}}}),
		c.UpdateVectors(ctx, []PointVectors{{ID: pointid.FromNum(1)}}),
		c.DeleteVectors(ctx, VectorDeletion{Points: Selector{IDs: ids(1)}, Names: []string{"nope"}}),
		c.DeleteVectors(ctx, VectorDeletion{Points: Selector{IDs: ids(1)}}),
	} {
		require.ErrorIs(t, bad, ErrBadRequest)
	}
	err = c.UpdateVectors(ctx, []PointVectors{
		{ID: pointid.FromNum(1), Vectors: map[string][]float32{"b": {3, 3}}},
		{ID: pointid.FromNum(9), Vectors: map[string][]float32{"b": {3, 3}}},
	})
	require.ErrorIs(t, err, ErrNotFound)
	check() // point 1 did not get b

	db, c = reopen(t, db, fs, "v")
	defer db.Close()
	check()
}

// TestUpdateUnnamedVector checks update_vectors on a collection with the
// unnamed vector, and that its vector cannot be deleted.
func TestUpdateUnnamedVector(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	c, err := db.Create(ctx, "u", Config{VectorSize: 2, Distance: Cosine})
	require.NoError(t, err)
	require.NoError(t, c.Upsert(ctx, []Point{
		{ID: pointid.FromNum(1), Vector: []float32{1, 0}, Payload: map[string]any{"x": 1}},
		{ID: pointid.FromNum(2), Vector: []float32{0, 1}},
	}))
	require.NoError(t, c.UpdateVectors(ctx, []PointVectors{{ID: pointid.FromNum(1), Vectors: map[string][]float32{"": {0, 1}}}}))
	recs, err := c.Get(ctx, ids(1), ReadOptions{WithPayload: true, WithVector: true})
	require.NoError(t, err)
	require.Equal(t, []float32{0, 1}, recs[0].Vector)
	require.JSONEq(t, `{"x":1}`, encode(t, recs[0].Payload))
	require.Empty(t, c.checkGraph())
	err = c.DeleteVectors(ctx, VectorDeletion{Points: Selector{IDs: ids(1)}, Names: []string{""}})
	require.ErrorIs(t, err, ErrBadRequest)
	require.ErrorIs(t, c.UpdateVectors(ctx, []PointVectors{{ID: pointid.FromNum(1), Vectors: map[string][]float32{"a": {0, 1}}}}), ErrBadRequest)
}

// TestApply checks that a batch runs its operations in order, and that a
// bad operation anywhere, or an id an earlier operation deletes, writes
// nothing.
func TestApply(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openTest(t, fs)
	c, err := db.Create(ctx, "b", updateConfig)
	require.NoError(t, err)
	p := func(id uint64, k string) Point {
		return Point{ID: pointid.FromNum(id), Vectors: map[string][]float32{"a": {float32(id), 1, 0}, "b": {1, float32(id)}}, Payload: map[string]any{"k": k}}
	}
	require.NoError(t, c.Apply(ctx, []Operation{
		{Upsert: []Point{p(1, "x"), p(2, "x"), p(3, "y")}},
		{Payload: &PayloadUpdate{Kind: PayloadSet, Points: Selector{IDs: ids(3)}, Payload: map[string]any{"k": "x", "n": 1}}},
		{Delete: &Selector{IDs: ids(2)}},
		{Payload: &PayloadUpdate{Kind: PayloadOverwrite, Points: Selector{Filter: matchKey("k", "x")}, Payload: map[string]any{"k": "z"}}},
		{DeleteVectors: &VectorDeletion{Points: Selector{IDs: ids(1)}, Names: []string{"b"}}},
		{UpdateVectors: []PointVectors{{ID: pointid.FromNum(3), Vectors: map[string][]float32{"b": {9, 9}}}}},
		{Payload: &PayloadUpdate{Kind: PayloadDeleteKeys, Points: Selector{IDs: ids(1)}, Keys: []string{"k"}}},
	}))
	require.JSONEq(t, `{}`, payloadOf(t, c, 1))
	require.JSONEq(t, `{"k":"z"}`, payloadOf(t, c, 3))
	require.Equal(t, []uint64{3}, idsMatching(t, c, matchKey("k", "z")))
	require.Equal(t, []uint64{3}, nearest(t, c, "b", []float32{1, 1}))
	n, err := c.Count(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	for _, bad := range [][]Operation{
		{{Upsert: []Point{p(4, "w")}}, {Payload: &PayloadUpdate{Kind: PayloadSet, Points: Selector{IDs: ids(1)}, Key: "[", Payload: map[string]any{}}}},
		{{Upsert: []Point{p(4, "w")}}, {}},
		{{Upsert: []Point{p(4, "w")}}, {Upsert: []Point{p(5, "w")}, Delete: &Selector{IDs: ids(1)}}},
		{{Upsert: []Point{p(4, "w")}}, {UpdateVectors: []PointVectors{{ID: pointid.FromNum(4), Vectors: map[string][]float32{"c": {1}}}}}},
		make([]Operation, MaxOperations+1),
	} {
		require.ErrorIs(t, c.Apply(ctx, bad), ErrBadRequest)
	}
	err = c.Apply(ctx, []Operation{
		{Upsert: []Point{p(4, "w")}},
		{Delete: &Selector{IDs: ids(3)}},
		{Payload: &PayloadUpdate{Kind: PayloadClear, Points: Selector{IDs: ids(4, 3)}}},
	})
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorContains(t, err, "operations[2]")
	n, err = c.Count(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, 2, n, "nothing of the failed batches was written")

	db, c = reopen(t, db, fs, "b")
	defer db.Close()
	require.JSONEq(t, `{"k":"z"}`, payloadOf(t, c, 3))
	require.Equal(t, []uint64{3}, nearest(t, c, "b", []float32{1, 1}))
	require.Empty(t, c.checkGraph())
}

// TestPayloadUpdatesKeepIndexes drives random payload updates and checks
// that filters answered from the payload indexes agree with the payloads
// read back, before and after a restart.
func TestPayloadUpdatesKeepIndexes(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	defer func(m int) { minMerge = m }(minMerge)
	minMerge = 1 + r.IntN(16)
	fs := vfs.NewMem()
	db := openTest(t, fs)
	c, err := db.Create(ctx, "r", Config{VectorSize: 2, Distance: Dot, PayloadIndexes: map[string]FieldType{"city": Keyword, "n": Integer}})
	require.NoError(t, err)
	const points = 200
	cities := []string{"a", "b", "c", "d"}
	randPayload := func() map[string]any {
		p := map[string]any{}
		if r.IntN(4) > 0 {
			p["city"] = cities[r.IntN(len(cities))]
		}
		if r.IntN(4) > 0 {
			p["n"] = r.IntN(10)
		}
		return p
	}
	var pts []Point
	for i := range points {
		pts = append(pts, Point{ID: pointid.FromNum(uint64(i)), Vector: []float32{1, float32(i)}, Payload: randPayload()})
	}
	require.NoError(t, c.Upsert(ctx, pts))
	check := func() {
		t.Helper()
		all, err := c.Scroll(ctx, ScrollRequest{Limit: points, ReadOptions: ReadOptions{WithPayload: true}})
		require.NoError(t, err)
		fs := []*filter.Filter{rangeKey("n", float64(r.IntN(10)))}
		for _, city := range cities {
			fs = append(fs, matchKey("city", city))
		}
		for _, f := range fs {
			var want []uint64
			for _, rec := range all.Points {
				if f.Matches(rec.ID, rec.Payload) {
					n, _ := rec.ID.Num()
					want = append(want, n)
				}
			}
			require.Equal(t, want, idsMatching(t, c, f))
		}
	}
	for i := range 300 {
		sel := Selector{Filter: matchKey("city", cities[r.IntN(len(cities))])}
		if r.IntN(2) == 0 {
			sel = Selector{IDs: ids(uint64(r.IntN(points)), uint64(r.IntN(points)))}
		}
		u := PayloadUpdate{Kind: PayloadUpdateKind(1 + r.IntN(4)), Points: sel, Payload: randPayload()}
		if u.Kind == PayloadDeleteKeys {
			u.Keys = []string{[]string{"city", "n"}[r.IntN(2)]}
		}
		require.NoError(t, c.UpdatePayload(ctx, u))
		if i%25 == 0 {
			check()
		}
	}
	check()
	db, c = reopen(t, db, fs, "r")
	defer db.Close()
	check()
}

// TestConcurrentUpdates races payload and vector updates, upserts and
// deletes on a few ids, then checks the graphs and indexes agree with the
// store.
func TestConcurrentUpdates(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	c, err := db.Create(ctx, "c", updateConfig)
	require.NoError(t, err)
	point := func(id uint64) Point {
		return Point{ID: pointid.FromNum(id), Vectors: map[string][]float32{"a": {1, float32(id), 0}, "b": {1, 1}}, Payload: map[string]any{"k": "u"}}
	}
	var pts []Point
	for i := range 20 {
		pts = append(pts, point(uint64(i)))
	}
	require.NoError(t, c.Upsert(ctx, pts))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				id := uint64((i*7 + w) % 20)
				var err error
				switch (i + w) % 5 {
				case 0:
					err = c.Upsert(ctx, []Point{point(id)})
				case 1:
					_, err = c.Delete(ctx, ids(id))
				case 2:
					err = c.UpdatePayload(ctx, PayloadUpdate{Kind: PayloadSet, Points: Selector{Filter: matchKey("k", "u")}, Payload: map[string]any{"k": "v"}})
				case 3:
					err = c.UpdateVectors(ctx, []PointVectors{{ID: pointid.FromNum(id), Vectors: map[string][]float32{"b": {2, float32(i)}}}})
				default:
					err = c.DeleteVectors(ctx, VectorDeletion{Points: Selector{Filter: matchKey("k", "v")}, Names: []string{"a"}})
				}
				if !errors.Is(err, ErrNotFound) {
					assert.NoError(t, err) // not require: this is not the test's goroutine
				}
			}
		}()
	}
	wg.Wait()
	require.Empty(t, c.checkGraph())
	all, err := c.Scroll(ctx, ScrollRequest{Limit: 100, ReadOptions: ReadOptions{WithPayload: true}})
	require.NoError(t, err)
	want := map[string]int{}
	for _, rec := range all.Points {
		want[rec.Payload["k"].(string)]++
	}
	for _, k := range []string{"u", "v"} {
		n, err := c.Count(ctx, matchKey("k", k))
		require.NoError(t, err)
		require.Equal(t, want[k], n, k)
	}
}

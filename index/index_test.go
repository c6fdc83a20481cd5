package index

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/storage"

	"github.com/quiver-db/quiver/internal/testseed"
)

func testOptions(fs vfs.FS) Options {
	return Options{Storage: storage.Options{FS: fs}}
}

func openTest(t *testing.T, fs vfs.FS) *DB {
	t.Helper()
	db, err := Open(context.Background(), "data", testOptions(fs))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func randVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func TestCollectionLifecycle(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openTest(t, fs)
	cfg := Config{VectorSize: 4, Distance: Cosine, PayloadIndexes: map[string]FieldType{"city": Keyword}}
	c, err := db.Create(ctx, "movies", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Create(ctx, "movies", cfg); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate create: %v, want ErrExists", err)
	}
	for _, bad := range []struct {
		name string
		cfg  Config
	}{
		{"", cfg},
		{"a/b", cfg},
		{"x", Config{VectorSize: 0, Distance: Cosine}},
		{"x", Config{VectorSize: 4, Distance: "Manhattan"}},
		{"x", Config{VectorSize: 4, Distance: Dot, HNSW: HNSWConfig{M: 1}}},
		{"x", Config{VectorSize: 4, Distance: Dot, PayloadIndexes: map[string]FieldType{"a": "geo"}}},
	} {
		if _, err := db.Create(ctx, bad.name, bad.cfg); !errors.Is(err, ErrBadRequest) {
			t.Errorf("create %q %+v: %v, want ErrBadRequest", bad.name, bad.cfg, err)
		}
	}
	if _, err := db.Collection("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown collection: %v", err)
	}
	pts := []Point{
		{ID: pointid.FromNum(1), Vector: []float32{1, 0, 0, 0}, Payload: map[string]any{"city": "Paris", "n": 1}},
		{ID: pointid.FromNum(2), Vector: []float32{0, 1, 0, 0}, Payload: map[string]any{"city": "Rome"}},
	}
	if err := c.Upsert(ctx, pts); err != nil {
		t.Fatal(err)
	}
	if got := db.List(); len(got) != 1 || got[0] != "movies" {
		t.Fatalf("List = %v", got)
	}
	info, err := db.Describe("movies")
	if err != nil || info.Points != 2 || info.GraphNodes != 2 {
		t.Fatalf("Describe = %+v, %v", info, err)
	}
	if err := c.CreatePayloadIndex(ctx, "n", Integer); err != nil {
		t.Fatal(err)
	}
	if err := c.CreatePayloadIndex(ctx, "n", "geo"); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("payload index of unknown type: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTest(t, fs)
	c, err = db.Collection("movies")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Config().PayloadIndexes; len(got) != 2 || got["n"] != Integer {
		t.Fatalf("payload indexes after reopen: %v", got)
	}
	// Go ints in payloads index like JSON numbers.
	if err := c.Upsert(ctx, []Point{{ID: pointid.FromNum(3), Vector: []float32{0, 0, 1, 0}, Payload: map[string]any{"n": 7}}}); err != nil {
		t.Fatal(err)
	}
	seven := 7.0
	if n, err := c.Count(ctx, &filter.Filter{Must: []filter.Condition{{Field: &filter.FieldCondition{Key: "n", Range: &filter.Range{GTE: &seven}}}}}); err != nil || n != 1 {
		t.Fatalf("count n ≥ 7 = %d, %v; want 1", n, err)
	}
	recs, err := c.Get(ctx, []pointid.ID{pointid.FromNum(2), pointid.FromNum(9), pointid.FromNum(1)}, ReadOptions{WithPayload: true, WithVector: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].ID != pointid.FromNum(2) || recs[0].Payload["city"] != "Rome" || recs[1].Vector[0] != 1 {
		t.Fatalf("Get after reopen: %+v", recs)
	}
	res, err := c.Search(ctx, SearchRequest{Vector: []float32{0.9, 0.1, 0, 0}, Limit: 1})
	if err != nil || len(res) != 1 || res[0].ID != pointid.FromNum(1) || math.Abs(float64(res[0].Score)-0.9939) > 1e-3 {
		t.Fatalf("Search = %+v, %v", res, err)
	}
	if err := db.Drop(ctx, "movies"); err != nil {
		t.Fatal(err)
	}
	if err := c.Upsert(ctx, pts); !errors.Is(err, ErrNotFound) {
		t.Fatalf("upsert into dropped collection: %v", err)
	}
	if _, err := db.Describe("movies"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("describe dropped: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	db.opts.MaxPayloadBytes = 100
	c, err := db.Create(ctx, "c", Config{VectorSize: 3, Distance: Cosine})
	if err != nil {
		t.Fatal(err)
	}
	good := Point{ID: pointid.FromNum(1), Vector: []float32{1, 2, 3}}
	big := make([]byte, 200)
	for i := range big {
		big[i] = 'x'
	}
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for name, bad := range map[string]Point{
		"short vector": {ID: pointid.FromNum(2), Vector: []float32{1, 2}},
		"long vector":  {ID: pointid.FromNum(2), Vector: []float32{1, 2, 3, 4}},
		"NaN":          {ID: pointid.FromNum(2), Vector: []float32{1, nan, 3}},
		"Inf":          {ID: pointid.FromNum(2), Vector: []float32{1, 2, inf}},
		"zero cosine":  {ID: pointid.FromNum(2), Vector: []float32{0, 0, 0}},
		"huge":         {ID: pointid.FromNum(2), Vector: []float32{3e38, 3e38, 3e38}},
		"big payload":  {ID: pointid.FromNum(2), Vector: []float32{1, 2, 3}, Payload: map[string]any{"s": string(big)}},
		"bad payload":  {ID: pointid.FromNum(2), Vector: []float32{1, 2, 3}, Payload: map[string]any{"f": math.Inf(1)}},
	} {
		if err := c.Upsert(ctx, []Point{good, bad}); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v, want ErrBadRequest", name, err)
		}
	}
	if n, _ := c.Count(ctx, nil); n != 0 {
		t.Fatalf("bad batches wrote %d points", n)
	}
	if c.graph.Len() != 0 {
		t.Fatalf("bad batches left %d graph nodes", c.graph.Len())
	}
	if _, err := c.Search(ctx, SearchRequest{Vector: []float32{1, 2}}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("query of wrong size: %v", err)
	}
}

// TestRebuildFromCorruptGraph replaces the stored graph with garbage; the
// next open rebuilds the graph from the stored vectors.
func TestRebuildFromCorruptGraph(t *testing.T) {
	ctx := context.Background()
	fs := vfs.NewMem()
	db := openTest(t, fs)
	c, err := db.Create(ctx, "c", Config{VectorSize: 8, Distance: Euclid})
	if err != nil {
		t.Fatal(err)
	}
	r := testseed.New(t)
	var pts []Point
	for i := range 300 {
		pts = append(pts, Point{ID: pointid.FromNum(uint64(i)), Vector: randVec(r, 8)})
	}
	if err := c.Upsert(ctx, pts); err != nil {
		t.Fatal(err)
	}
	if err := c.saveGraph(); err != nil {
		t.Fatal(err)
	}
	c.mu.RLock()
	seq := c.mu.seq
	c.mu.RUnlock()
	if err := c.store.SaveGraph(0, seq, []byte("not a graph")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTest(t, fs)
	defer db.Close()
	if c, err = db.Collection("c"); err != nil {
		t.Fatal(err)
	}
	if problem := c.checkGraph(); problem != "" || c.graph.Len() != 300 {
		t.Fatalf("rebuilt graph: %q, %d nodes", problem, c.graph.Len())
	}
	for _, p := range pts[:50] {
		res, err := c.Search(ctx, SearchRequest{Vector: p.Vector, Limit: 1})
		if err != nil || len(res) != 1 || res[0].ID != p.ID {
			t.Fatalf("point %s not found after rebuild: %+v %v", p.ID, res, err)
		}
	}
}

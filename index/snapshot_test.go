package index

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/pointid"

	"github.com/quiver-db/quiver/internal/testseed"
)

// TestSnapshotRestore restores a snapshot under a new name in another
// database and under the same name after a drop, and checks that both
// answer searches, filters and gets as the original did.
func TestSnapshotRestore(t *testing.T) {
	seed := testseed.Seed(t)
	r := testseed.Stream(seed, 0)
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	c, err := db.Create(ctx, "src", Config{VectorSize: 16, Distance: Cosine, PayloadIndexes: map[string]FieldType{"k": Keyword}})
	if err != nil {
		t.Fatal(err)
	}
	var pts []Point
	for i := range 500 {
		pts = append(pts, Point{ID: pointid.FromNum(uint64(i)), Vector: randVec(r, 16), Payload: map[string]any{"k": testWords[i%5], "i": i}})
	}
	if err := c.Upsert(ctx, pts); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx, []pointid.ID{pointid.FromNum(7)}); err != nil {
		t.Fatal(err)
	}
	var snap bytes.Buffer
	if err := db.Snapshot(ctx, "src", &snap); err != nil {
		t.Fatal(err)
	}
	// Writes after the snapshot are not in it.
	if err := c.Upsert(ctx, []Point{{ID: pointid.FromNum(9999), Vector: randVec(r, 16)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Restore(ctx, bytes.NewReader(snap.Bytes()), "src"); !errors.Is(err, ErrExists) {
		t.Fatalf("restore over an existing name: %v", err)
	}
	for _, bad := range []string{"..", ".", "a/b", ""} {
		if _, err := db.Restore(ctx, bytes.NewReader(snap.Bytes()), bad); !errors.Is(err, ErrBadRequest) {
			t.Fatalf("restore as %q: %v, want ErrBadRequest", bad, err)
		}
		if _, err := db.Create(ctx, bad, Config{VectorSize: 2, Distance: Dot}); !errors.Is(err, ErrBadRequest) {
			t.Fatalf("create %q: %v, want ErrBadRequest", bad, err)
		}
	}
	if _, err := db.Restore(ctx, bytes.NewReader(snap.Bytes()[:snap.Len()/2]), "half"); err == nil {
		t.Fatal("restore of a truncated snapshot succeeded")
	}
	other := openTest(t, vfs.NewMem())
	defer other.Close()
	copied, err := other.Restore(ctx, bytes.NewReader(snap.Bytes()), "copy")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Drop(ctx, "src"); err != nil {
		t.Fatal(err)
	}
	same, err := db.Restore(ctx, bytes.NewReader(snap.Bytes()), "src")
	if err != nil {
		t.Fatal(err)
	}
	f := &filter.Filter{Must: []filter.Condition{{Field: &filter.FieldCondition{Key: "k", Match: filter.NewMatchValue("blue")}}}}
	for _, rc := range []*Collection{copied, same} {
		if n, _ := rc.Count(ctx, nil); n != 499 {
			t.Fatalf("%s: %d points, want 499", rc.Name(), n)
		}
		if n, _ := rc.Count(ctx, f); n != 99 { // point 7 was blue
			t.Fatalf("%s: %d blue points, want 99", rc.Name(), n)
		}
		if got := rc.Config().PayloadIndexes; got["k"] != Keyword {
			t.Fatalf("%s: payload indexes %v", rc.Name(), got)
		}
		if problem := rc.checkGraph(); problem != "" {
			t.Fatalf("%s: %s", rc.Name(), problem)
		}
		for i := range 20 {
			q := pts[i*13].Vector
			want, err := rc.Search(ctx, SearchRequest{Vector: q, Limit: 5, Exact: true})
			if err != nil {
				t.Fatal(err)
			}
			got, err := rc.Search(ctx, SearchRequest{Vector: q, Limit: 5, Ef: 200})
			if err != nil {
				t.Fatal(err)
			}
			ids := func(ps []ScoredPoint) []pointid.ID {
				var out []pointid.ID
				for _, p := range ps {
					out = append(out, p.ID)
				}
				return out
			}
			if !slices.Equal(ids(got), ids(want)) {
				t.Fatalf("%s: search %d: %v, exact %v", rc.Name(), i, ids(got), ids(want))
			}
		}
	}
}

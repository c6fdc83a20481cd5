package index

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/storage"

	"github.com/quiver-db/quiver/internal/testseed"
)

// envMovieLensDir names the ml-latest-small folder; TestMovieLensPayloads
// runs only when it is set.
const envMovieLensDir = "QUIVER_MOVIELENS_DIR"

// TestMovieLensPayloads stores MovieLens movies with their title, year,
// genres and tags as payloads and reports how much zstd saved.
func TestMovieLensPayloads(t *testing.T) {
	dir := os.Getenv(envMovieLensDir)
	if dir == "" {
		t.Skipf("set %s to the ml-latest-small folder", envMovieLensDir)
	}
	movies := readCSV(t, filepath.Join(dir, "movies.csv"))
	tags := map[string][]any{}
	for _, row := range readCSV(t, filepath.Join(dir, "tags.csv")) {
		tags[row[1]] = append(tags[row[1]], row[2])
	}
	ctx := context.Background()
	db := openTest(t, vfs.NewMem())
	defer db.Close()
	c, err := db.Create(ctx, "movies", Config{VectorSize: 4, Distance: Cosine,
		PayloadIndexes: map[string]FieldType{"genres": Keyword, "year": Integer}})
	if err != nil {
		t.Fatal(err)
	}
	r := testseed.New(t)
	before := storage.ReadPayloadStats()
	var pts []Point
	for _, row := range movies {
		id, err := strconv.ParseUint(row[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		p := map[string]any{"title": row[1], "genres": strings.Split(row[2], "|")}
		if i := strings.LastIndex(row[1], "("); i >= 0 {
			if y, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(row[1][i+1:]), ")")); err == nil {
				p["year"] = y
			}
		}
		if ts := tags[row[0]]; len(ts) > 0 {
			p["tags"] = ts
		}
		pts = append(pts, Point{ID: pointid.FromNum(id), Vector: randVec(r, 4), Payload: p})
	}
	if err := c.Upsert(ctx, pts); err != nil {
		t.Fatal(err)
	}
	after := storage.ReadPayloadStats()
	raw, stored := after.RawBytes-before.RawBytes, after.StoredBytes-before.StoredBytes
	t.Logf("%d movie payloads: %d bytes as JSON, %d stored (%.1f%% saved); %d of them compressed",
		after.Payloads-before.Payloads, raw, stored, 100*(1-float64(stored)/float64(raw)), after.Compressed-before.Compressed)
	if stored > raw+after.Payloads-before.Payloads {
		t.Fatalf("stored %d bytes for %d raw: more than one codec byte per payload", stored, raw)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

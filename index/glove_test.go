package index

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/pointid"
)

// envGloveDir names a folder holding GloVe-100's base.fvecs and query.fvecs
// (make bench-data); TestGloveDurable runs only when it is set.
const envGloveDir = "QUIVER_GLOVE_DIR"

// QUIVER_EXACT_MAX overrides Options.ExactSearchMax; envGloveData optionally names the data directory TestGloveDurable uses
// (kept afterwards); when it already holds the collection, ingest is
// skipped.
const envGloveData = "QUIVER_GLOVE_DATA"

// TestGloveDurable ingests GloVe-100 into a durable collection and reports
// ingest rate, disk size, RSS, restart time, and recall@10 and QPS of
// filtered search at 50%, 10%, 1% and 0.1% selectivity (against exact
// search of the same filter).
func TestGloveDurable(t *testing.T) {
	dir := os.Getenv(envGloveDir)
	if dir == "" {
		t.Skipf("set %s to the GloVe-100 folder", envGloveDir)
	}
	base, dim, err := readFvecs(filepath.Join(dir, "base.fvecs"))
	if err != nil {
		t.Fatal(err)
	}
	queries, _, err := readFvecs(filepath.Join(dir, "query.fvecs"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := os.Getenv(envGloveData)
	if data == "" {
		data = t.TempDir()
	}
	opts := crashOptions(nil)
	opts.SnapshotEvery = 0 // the default
	if s := os.Getenv("QUIVER_EXACT_MAX"); s != "" {
		if opts.ExactSearchMax, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(ctx, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("glove"); err == nil {
		t.Logf("reusing the collection in %s", data)
		db.Close()
	} else {
		ingestGlove(t, db, data, base, dim)
	}
	start := time.Now()
	db, err = Open(ctx, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t.Logf("restart to ready: %v; RSS %d MiB", time.Since(start).Round(time.Millisecond), rss()>>20)
	c, err := db.Collection("glove")
	if err != nil {
		t.Fatal(err)
	}
	searchGlove(t, c, queries, dim)
}

// ingestGlove loads base into a new collection "glove" with a numeric
// payload "bucket" = row mod 1000, and closes db.
func ingestGlove(t *testing.T, db *DB, data string, base []float32, dim int) {
	ctx := context.Background()
	n := len(base) / dim
	c, err := db.Create(ctx, "glove", Config{VectorSize: dim, Distance: Cosine,
		PayloadIndexes: map[string]FieldType{"bucket": Integer}})
	if err != nil {
		t.Fatal(err)
	}
	// bucket = i mod 1000, so bucket < b selects b/1000 of the points.
	start := time.Now()
	const batch, writers = 500, 4
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for lo := w * batch; lo < n; lo += writers * batch {
				var pts []Point
				for i := lo; i < min(lo+batch, n); i++ {
					pts = append(pts, Point{ID: pointid.FromNum(uint64(i)), Vector: base[i*dim : (i+1)*dim],
						Payload: map[string]any{"bucket": i % 1000, "name": "glove"}})
				}
				if err := c.Upsert(ctx, pts); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	ingest := time.Since(start)
	t.Logf("ingest: %d vectors in %v: %.0f vectors/s; RSS %d MiB", n, ingest.Round(time.Millisecond), float64(n)/ingest.Seconds(), rss()>>20)
	start = time.Now()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("close (graph snapshot): %v; on disk: %s", time.Since(start).Round(time.Millisecond), du(t, data))
}

// searchGlove reports recall@10 (against exact search with the same
// filter) and queries/s of filtered searches at four selectivities.
func searchGlove(t *testing.T, c *Collection, queries []float32, dim int) {
	ctx := context.Background()
	nq := min(500, len(queries)/dim)
	for _, buckets := range []float64{500, 100, 10, 1} {
		f := &filter.Filter{Must: []filter.Condition{{Field: &filter.FieldCondition{Key: "bucket", Range: &filter.Range{LT: &buckets}}}}}
		hits, total := 0, 0
		var elapsed, cpu time.Duration
		for qi := range nq {
			q := queries[qi*dim : (qi+1)*dim]
			exact, err := c.Search(ctx, SearchRequest{Vector: q, Limit: 10, Filter: f, Exact: true})
			if err != nil {
				t.Fatal(err)
			}
			s, cs := time.Now(), processCPU()
			got, err := c.Search(ctx, SearchRequest{Vector: q, Limit: 10, Filter: f})
			elapsed, cpu = elapsed+time.Since(s), cpu+processCPU()-cs
			if err != nil {
				t.Fatal(err)
			}
			want := map[pointid.ID]bool{}
			for _, p := range exact {
				want[p.ID] = true
			}
			for _, p := range got {
				if want[p.ID] {
					hits++
				}
			}
			total += len(exact)
		}
		t.Logf("filter matching %5.1f%%: recall@10 %.3f, %.0f queries/s, %.0f queries/CPU-s (one goroutine, default ef)",
			buckets/10, float64(hits)/float64(total), float64(nq)/elapsed.Seconds(), float64(nq)/cpu.Seconds())
	}
}

// readFvecs reads a .fvecs file (per row an int32 count, then the floats)
// into one row-major slice. (Package bench has one too, but bench imports
// index.)
func readFvecs(path string) ([]float32, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 4 {
		return nil, 0, fmt.Errorf("%s: empty", path)
	}
	dim := int(binary.LittleEndian.Uint32(b))
	row := 4 + 4*dim
	if dim < 1 || len(b)%row != 0 {
		return nil, 0, fmt.Errorf("%s: not .fvecs of dimension %d", path, dim)
	}
	out := make([]float32, 0, len(b)/row*dim)
	for off := 0; off < len(b); off += row {
		for i := range dim {
			out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(b[off+4+4*i:])))
		}
	}
	return out, dim, nil
}

// processCPU is the process's user and system CPU time so far: on a
// shared machine queries per CPU-second move less than queries per second.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			for _, ch := range strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")) {
				kb = kb*10 + int64(ch-'0')
			}
			return kb << 10
		}
	}
	return 0
}

func du(t *testing.T, dir string) string {
	out, err := exec.Command("du", "-sh", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))[0]
}

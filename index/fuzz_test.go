package index

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/klauspost/compress/zstd"
	"github.com/quiver-db/quiver/pointid"
)

// FuzzRestore feeds arbitrary snapshot contents to Restore, which reads
// files users upload. The fuzzer works on the decompressed records (zstd
// would reject nearly every mutation before the decoder under test saw
// it); each input is compressed, restored, then searched, scrolled and
// dropped. A hostile snapshot must fail with an error, or restore into a
// collection that answers; never panic or allocate past its bytes.
func FuzzRestore(f *testing.F) {
	ctx := context.Background()
	db, err := Open(ctx, "data", testOptions(vfs.NewMem()))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	for i, cfg := range []Config{
		{VectorSize: 3, Distance: Cosine, PayloadIndexes: map[string]FieldType{"k": Keyword}},
		{Vectors: map[string]VectorConfig{"a": {Size: 2, Distance: Dot}}, SparseVectors: map[string]SparseVectorConfig{"s": {}}},
	} {
		name := fmt.Sprintf("seed%d", i)
		c, err := db.Create(ctx, name, cfg)
		if err != nil {
			f.Fatal(err)
		}
		var pts []Point
		for j := range 5 {
			p := Point{ID: pointid.FromNum(uint64(j)), Payload: map[string]any{"k": "v", "j": j}}
			if cfg.VectorSize != 0 {
				p.Vector = []float32{float32(j), 1, 2}
			} else {
				p.Vectors = map[string][]float32{"a": {float32(j), 1}}
			}
			pts = append(pts, p)
		}
		if err := c.Upsert(ctx, pts); err != nil {
			f.Fatal(err)
		}
		var snap bytes.Buffer
		if err := db.Snapshot(ctx, name, &snap); err != nil {
			f.Fatal(err)
		}
		zr, err := zstd.NewReader(&snap)
		if err != nil {
			f.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		zr.Close()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(plain)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		f.Fatal(err)
	}
	n := 0
	f.Fuzz(func(t *testing.T, plain []byte) {
		n++
		name := fmt.Sprintf("fuzz%d", n)
		// A restore that hangs is a failure too: panic, so that the
		// fuzzer keeps the input.
		hang := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("restore of %d bytes hung", len(plain))) })
		defer hang.Stop()
		c, err := db.Restore(ctx, bytes.NewReader(enc.EncodeAll(plain, nil)), name)
		if err != nil {
			return
		}
		defer func() {
			if err := db.Drop(ctx, name); err != nil {
				t.Fatalf("drop a restored collection: %v", err)
			}
		}()
		cfg := c.Config()
		for _, using := range append(cfg.VectorNames(), "") {
			vc, err := cfg.Vector(using)
			if err != nil {
				continue
			}
			if _, err := c.Search(ctx, SearchRequest{Using: using, Vector: make([]float32, vc.Size), Limit: 3}); err != nil {
				t.Logf("search %q of a restored collection: %v", using, err)
			}
		}
		if _, err := c.Scroll(ctx, ScrollRequest{Limit: 10, ReadOptions: ReadOptions{WithPayload: true, WithVector: true}}); err != nil {
			t.Logf("scroll a restored collection: %v", err)
		}
	})
}

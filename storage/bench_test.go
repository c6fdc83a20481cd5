package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/quiver-db/quiver/pointid"
)

// BenchmarkWriteReplace commits batches of upserts that each replace a
// live point carrying payload-index terms, the write path a re-ingest
// takes. On the in-memory file system fsync is free, so the time is the
// batch's own cost; walB/op is the bytes one batch adds to Pebble's WAL.
func BenchmarkWriteReplace(b *testing.B) {
	const points, batch, dim, terms = 4096, 64, 128, 4
	for _, fsName := range []string{"mem", "disk"} {
		b.Run("fs="+fsName, func(b *testing.B) {
			var fs vfs.FS = vfs.NewMem()
			dir := "db"
			if fsName == "disk" {
				fs, dir = vfs.Default, b.TempDir()
			}
			s, err := Open(dir, Options{FS: fs})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			c, err := s.CreateCollection("c", nil)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			vec := make([]float32, dim)
			for i := range vec {
				vec[i] = rng.Float32()
			}
			termsOf := func(i int) []Term {
				ts := make([]Term, 0, terms)
				for j := range terms / 2 {
					ts = append(ts, Term{Field: fmt.Sprintf("k%d", j), Kind: TermKeyword, Keyword: fmt.Sprintf("v%d", i%97)},
						Term{Field: fmt.Sprintf("n%d", j), Kind: TermNumber, Number: float64(i % 1000)})
				}
				return ts
			}
			payload := []byte(`{"k0":"v1","k1":"v2","n0":3,"n1":4}`)
			nodes := make([]uint32, points) // point i's live node
			next, seq := uint32(0), uint64(0)
			ctx := context.Background()
			ops := make([]Op, 0, batch)
			write := func(from int, replace bool) {
				ops = ops[:0]
				for i := from; i < from+batch; i++ {
					seq++
					op := Op{Seq: seq, Kind: OpUpsert, ID: pointid.FromNum(uint64(i)), Node: next,
						Vector: vec, Payload: payload, Terms: termsOf(i + int(seq))}
					if replace {
						op.Replaced, op.Prev = true, nodes[i]
					}
					nodes[i] = next
					next++
					ops = append(ops, op)
				}
				if err := c.Write(ctx, ops); err != nil {
					b.Fatal(err)
				}
			}
			for i := 0; i < points; i += batch {
				write(i, false)
			}
			walBefore := s.db.Metrics().WAL.BytesIn
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			for ; b.Loop(); n++ {
				write(n*batch%points, true)
			}
			b.ReportMetric(float64(s.db.Metrics().WAL.BytesIn-walBefore)/float64(n), "walB/op")
		})
	}
}

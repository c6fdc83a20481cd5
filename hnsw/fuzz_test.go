package hnsw

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
)

// FuzzImport feeds arbitrary bytes to Import, the decoder of graph
// snapshots read back from disk or from an uploaded collection snapshot.
// It must fail cleanly or return a graph that answers a search and passes
// the structural check; it must never panic or allocate beyond what the
// bytes hold. `go test` runs the seeds and testdata/fuzz/FuzzImport;
// `go test -fuzz FuzzImport ./hnsw` explores.
func FuzzImport(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 40} {
		g, err := New(3, Options{Metric: L2, M: 4, Seed: 1})
		if err != nil {
			f.Fatal(err)
		}
		for range n {
			if _, err := g.Insert([]float32{r.Float32(), r.Float32(), r.Float32()}); err != nil {
				f.Fatal(err)
			}
		}
		if n > 2 {
			if err := g.Delete(1); err != nil {
				f.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := g.Export(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Import(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := checkGraph(g); err != nil {
			t.Fatalf("imported graph breaks an invariant: %v", err)
		}
		q := make([]float32, g.Dim())
		if _, err := g.Search(context.Background(), q, 3, SearchOptions{}); err != nil {
			t.Fatalf("search of an imported graph: %v", err)
		}
	})
}

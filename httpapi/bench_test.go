package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// benchCollection makes a Cosine collection of n random 100-d points and
// returns the handler, the collection and a query body.
func benchCollection(b *testing.B, n int) (*Handler, *index.Collection, []float32, []byte) {
	db, err := index.Open(context.Background(), b.TempDir(), index.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	h, err := NewHandler(Config{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	col, err := db.Create(context.Background(), "c", index.Config{VectorSize: 100, Distance: index.Cosine})
	if err != nil {
		b.Fatal(err)
	}
	// A fixed seed: the benchmark's data, the same every run so runs compare.
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([]index.Point, n)
	for i := range pts {
		v := make([]float32, 100)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		pts[i] = index.Point{ID: idOf(i), Vector: v}
	}
	if err := col.Upsert(context.Background(), pts); err != nil {
		b.Fatal(err)
	}
	q := pts[7].Vector
	body, err := json.Marshal(map[string]any{"query": q, "limit": 10, "params": map[string]any{"hnsw_ef": 64}})
	if err != nil {
		b.Fatal(err)
	}
	return h, col, q, body
}

// BenchmarkQuery compares a query through the handler (JSON in and out, the
// middleware, no network) with the same search in process.
func BenchmarkQuery(b *testing.B) {
	h, col, q, body := benchCollection(b, 5000)
	b.Run("in-process", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := col.Search(context.Background(), index.SearchRequest{Vector: q, Limit: 10, Ef: 64}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("handler", func(b *testing.B) { benchPost(b, h, "/collections/c/points/query", body) })
}

// benchPost times POST path with body through the handler, with no network.
func benchPost(b *testing.B, h *Handler, path string, body []byte) {
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func idOf(i int) pointid.ID { return pointid.FromNum(uint64(i)) }

// BenchmarkQueryBatch is BenchmarkQuery for a batch of 10 queries, with
// the batch's JSON through the fast path and, for comparison, through
// encoding/json (a body with an unknown-to-the-fast-path but accepted
// member).
func BenchmarkQueryBatch(b *testing.B) {
	h, _, q, _ := benchCollection(b, 5000)
	for _, tc := range []struct{ name, extra string }{{"fast", ""}, {"encoding-json", `, "params": {"hnsw_ef": 64, "indexed_only": false}`}} {
		searches := make([]string, 10)
		for i := range searches {
			vec, err := json.Marshal(q)
			if err != nil {
				b.Fatal(err)
			}
			searches[i] = `{"query": ` + string(vec) + `, "limit": 10` + tc.extra + `}`
		}
		body := []byte(`{"searches": [` + strings.Join(searches, ",") + `]}`)
		b.Run(tc.name, func(b *testing.B) { benchPost(b, h, "/collections/c/points/query/batch", body) })
	}
}

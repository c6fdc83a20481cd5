package httpapi

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/query"
)

// FuzzRequestBodies feeds arbitrary bodies to the decoders and planners of
// the query, upsert and create routes: they must return an error or a
// value, never panic. `go test` runs the seeds; `go test -fuzz
// FuzzRequestBodies ./httpapi` explores.
func FuzzRequestBodies(f *testing.F) {
	for _, seed := range []string{
		`{"query":[1,2,3],"limit":3,"filter":{"must":[{"key":"a","match":{"value":1}}]}}`,
		`{"query":{"recommend":{"positive":[1,"6f1c2a3e-1111-4a2b-9c3d-123456789abc",[1,2]],"negative":[{"text":"x"}],"strategy":"best_score"}}}`,
		`{"query":{"nearest":{"text":"hi","model":"m"}},"with_payload":{"include":["a"]},"with_vector":true}`,
		`{"points":[{"id":1,"vector":[1,2],"payload":{"a":[1,{"b":null}]}}]}`,
		`{"batch":{"ids":[1,2],"vectors":[[1],[2]],"payloads":[null,{}]}}`,
		`{"vectors":{"size":3,"distance":"Dot","hnsw_config":{"m":4}},"payload_schema":{"a":"keyword"}}`,
		`{"query":[1e999]}`, `{"query":[-0,1e-45]}`, `[`, `{"query":{"`, `{"with_payload":[1]}`,
		`{"query":1,"lookup_from":{"collection":"x","vector":""}}`,
	} {
		f.Add(seed)
	}
	db, err := index.Open(context.Background(), f.TempDir(), index.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	engine, err := query.New(query.Config{MaxLimit: 100, MaxTexts: 10})
	if err != nil {
		f.Fatal(err)
	}
	h := &Handler{db: db, engine: engine, cfg: Config{DB: db, MaxLimit: 100, MaxBatch: 100, MaxTexts: 10}}
	f.Fuzz(func(t *testing.T, body string) {
		var q queryRequest
		if decodeJSON(httptest.NewRequest("POST", "/", strings.NewReader(body)), &q) == nil {
			_, _ = h.planQuery(&q) // planning and the engine's check must not panic
		}
		var u upsertRequest
		if decodeJSON(httptest.NewRequest("POST", "/", strings.NewReader(body)), &u) == nil {
			_, _ = u.points()
		}
		var c createCollectionRequest
		if decodeJSON(httptest.NewRequest("POST", "/", strings.NewReader(body)), &c) == nil {
			_, _ = h.collectionConfig(c)
		}
	})
}

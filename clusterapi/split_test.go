package clusterapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/shard"
)

func TestSplitOps(t *testing.T) {
	const n = 3
	var points []index.Point
	var ids []pointid.ID
	for i := range uint64(30) {
		points = append(points, index.Point{ID: pointid.FromNum(i), Vector: []float32{1, 0}})
		ids = append(ids, pointid.FromNum(i))
	}
	f := &filter.Filter{Must: []filter.Condition{{Field: &filter.FieldCondition{Key: "a", Match: filter.NewMatchValue("x")}}}}
	ops := []index.Operation{
		{Upsert: points},
		{Delete: &index.Selector{IDs: ids[:1]}},
		{Payload: &index.PayloadUpdate{Kind: index.PayloadSet, Points: index.Selector{Filter: f}, Payload: map[string]any{"b": 1}}},
		{DeleteVectors: &index.VectorDeletion{Points: index.Selector{IDs: ids}, Names: []string{""}}},
		{Upsert: []index.Point{}}, // names no point: shard 0 refuses or accepts it as one node would
	}
	parts := splitOps(ops, n)
	seen := map[pointid.ID]int{}
	deleted := 0
	for s, part := range parts {
		var kinds []string
		for _, op := range part {
			switch {
			case len(op.Upsert) > 0:
				kinds = append(kinds, "upsert")
				for _, p := range op.Upsert {
					require.Equal(t, s, p.ID.Shard(n))
					seen[p.ID]++
				}
			case op.Upsert != nil:
				kinds = append(kinds, "empty")
			case op.Delete != nil:
				kinds = append(kinds, "delete")
				deleted += len(op.Delete.IDs)
				require.Equal(t, s, op.Delete.IDs[0].Shard(n))
			case op.Payload != nil:
				kinds = append(kinds, "payload")
				require.Same(t, f, op.Payload.Points.Filter, "a filter goes to every shard")
			case op.DeleteVectors != nil:
				kinds = append(kinds, "delete_vectors")
				for _, id := range op.DeleteVectors.Points.IDs {
					require.Equal(t, s, id.Shard(n))
				}
			}
		}
		want := []string{"upsert", "payload", "delete_vectors"}
		if s == ids[0].Shard(n) {
			want = []string{"upsert", "delete", "payload", "delete_vectors"}
		}
		if s == 0 {
			want = append(want, "empty")
		}
		require.Equal(t, want, kinds, "shard %d keeps the order", s)
	}
	require.Len(t, seen, 30)
	require.Equal(t, 1, deleted)
}

func TestInternalRoutesNeedTheAPIKey(t *testing.T) {
	r := &Replica{shards: &shardWriter{apiKey: "k"}}
	h := r.Internal(http.NotFoundHandler())
	for _, key := range []string{"", "wrong"} {
		req := httptest.NewRequest("POST", shard.Prefix+"c/0/apply", strings.NewReader("{}"))
		req.Header.Set("api-key", key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusUnauthorized, rec.Code)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", shard.Prefix+"c/0/search", strings.NewReader("{}")))
	require.Equal(t, http.StatusUnauthorized, rec.Code, "the shards' reads too")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/collections", nil))
	require.Equal(t, http.StatusNotFound, rec.Code, "the rest goes to the API, which checks the key itself")
}

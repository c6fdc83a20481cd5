package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/shard"
	"github.com/quiver-db/quiver/userid"
)

// shardedPair creates "flat", an unsharded collection, and "spread", the
// same collection over three shards, with the same points.
func shardedPair(t *testing.T, r *rand.Rand, n int) (*testServer, *fakeSharder) {
	t.Helper()
	ts, f := newShardedServer(t)
	create := map[string]any{"vectors": map[string]any{"size": 8, "distance": "Cosine"}}
	ts.ok("PUT", "/collections/flat", create, nil)
	create["shard_number"], create["replication_factor"] = 3, 2
	ts.ok("PUT", "/collections/spread", create, nil)
	points := make([]map[string]any, n)
	ranks := r.Perm(n)
	for i := range points {
		var id any = uint64(i*7 + 1)
		if i%3 == 0 {
			id = uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprint(i))).String()
		}
		if i%5 == 0 {
			id = ^uint64(0) - uint64(i)
		}
		v := make([]float64, 8)
		for j := range v {
			v[j] = r.NormFloat64()
		}
		points[i] = map[string]any{"id": id, "vector": v, "payload": map[string]any{
			"tag": []string{"a", "b", "c"}[i%3], "rank": ranks[i], "big": json.Number("123456789012345678901"), "group": i % 4}}
	}
	for _, c := range []string{"flat", "spread"} {
		ts.ok("PUT", "/collections/"+c+"/index", map[string]any{"field_name": "rank", "field_schema": "integer"}, nil)
		ts.ok("PUT", "/collections/"+c+"/index", map[string]any{"field_name": "tag", "field_schema": "keyword"}, nil)
		ts.ok("PUT", "/collections/"+c+"/index", map[string]any{"field_name": "group", "field_schema": "integer"}, nil)
		ts.ok("PUT", "/collections/"+c+"/points?wait=true", map[string]any{"points": points}, nil)
	}
	return ts, f
}

// sameAnswer requires route to answer the same on both collections.
func sameAnswer(t *testing.T, ts *testServer, method, route string, body any) json.RawMessage {
	t.Helper()
	want := ts.do(method, "/collections/flat"+route, body)
	require.Equal(t, http.StatusOK, want.Code, "%s flat%s: %s", method, route, want.Error)
	got := ts.do(method, "/collections/spread"+route, body)
	require.Equal(t, http.StatusOK, got.Code, "%s spread%s: %s", method, route, got.Error)
	require.JSONEq(t, string(want.Result), string(got.Result), "%s %s", method, route)
	require.NotRegexp(t, `^(\[\]|\{"points":\[\]\}|\{"count":0\}|\{"groups":\[\]\}|\[(\[\],?)+\])$`, string(got.Result), "%s %s answers something", method, route)
	return got.Result
}

func TestShardedCollectionReadsAsOne(t *testing.T) {
	r := testseed.New(t)
	ts, f := shardedPair(t, r, 150)
	sc, ok := f.get("spread")
	require.True(t, ok)
	for _, p := range sc.parts {
		n, err := p.Count(context.Background(), nil)
		require.NoError(t, err)
		require.Positive(t, n, "every shard holds some points")
		require.Less(t, n, 150)
	}
	vec := func() []float64 {
		v := make([]float64, 8)
		for j := range v {
			v[j] = r.NormFloat64()
		}
		return v
	}
	tagA := map[string]any{"must": []any{map[string]any{"key": "tag", "match": map[string]any{"value": "a"}}}}
	exact := map[string]any{"exact": true}
	id := uint64(8) // point 1
	for _, q := range []struct {
		route string
		body  any
	}{
		{"/points/search", map[string]any{"vector": vec(), "limit": 7, "offset": 3, "params": exact, "with_payload": true}},
		{"/points/search", map[string]any{"vector": vec(), "limit": 20, "filter": tagA, "params": exact, "with_vector": true, "score_threshold": 0.1}},
		{"/points/search/batch", map[string]any{"searches": []any{
			map[string]any{"vector": vec(), "limit": 3, "params": exact},
			map[string]any{"vector": vec(), "limit": 4, "filter": tagA, "params": exact}}}},
		{"/points/query", map[string]any{"query": vec(), "limit": 6, "params": exact, "with_payload": []string{"big", "tag"}}},
		{"/points/query", map[string]any{"query": id, "limit": 6, "params": exact}},
		{"/points/query", map[string]any{"query": map[string]any{"recommend": map[string]any{"positive": []any{id, 15}, "negative": []any{29}, "strategy": "best_score"}}, "limit": 8}},
		{"/points/query", map[string]any{"query": map[string]any{"order_by": map[string]any{"key": "rank", "direction": "desc"}}, "limit": 9, "with_payload": true}},
		{"/points/query", map[string]any{"prefetch": []any{
			map[string]any{"query": vec(), "limit": 20, "params": exact},
			map[string]any{"query": vec(), "limit": 20, "params": exact}}, "query": map[string]any{"fusion": "rrf"}, "limit": 10}},
		{"/points/query", map[string]any{"filter": tagA, "limit": 5, "offset": 2}},
		{"/points/query/batch", map[string]any{"searches": []any{
			map[string]any{"query": vec(), "limit": 3, "params": exact},
			map[string]any{"query": map[string]any{"recommend": map[string]any{"positive": []any{id}, "strategy": "sum_scores"}}, "limit": 3}}}},
		{"/points/recommend", map[string]any{"positive": []any{id, 15}, "negative": []any{29}, "limit": 5, "params": exact}},
		{"/points/recommend/batch", map[string]any{"searches": []any{map[string]any{"positive": []any{id}, "limit": 4, "strategy": "best_score"}}}},
		{"/points/discover", map[string]any{"target": id, "context": []any{map[string]any{"positive": 15, "negative": 29}}, "limit": 5}},
		{"/points/discover/batch", map[string]any{"searches": []any{map[string]any{"target": 15, "context": []any{map[string]any{"positive": id, "negative": 29}}, "limit": 5}}}},
		{"/points/count", map[string]any{"filter": tagA}},
		{"/points/count", nil},
		{"/points", map[string]any{"ids": []any{29, id, "00000000-0000-0000-0000-000000000000", uint64(1 << 63)}, "with_payload": true, "with_vector": true}},
		{"/points/scroll", map[string]any{"limit": 5, "with_payload": true, "order_by": map[string]any{"key": "rank", "start_from": 30}}},
		{"/points/search/groups", map[string]any{"vector": vec(), "group_by": "group", "limit": 3, "group_size": 2, "params": exact}},
		{"/points/query/groups", map[string]any{"query": vec(), "group_by": "tag", "limit": 2, "group_size": 3, "params": exact, "with_payload": true}},
		{"/points/recommend/groups", map[string]any{"positive": []any{id}, "group_by": "group", "limit": 2, "group_size": 2, "strategy": "best_score"}},
		{"/points/projection", map[string]any{"limit": 50}},
		{"/facet", map[string]any{"key": "tag"}},
		{"/facet", map[string]any{"key": "group", "limit": 3, "filter": tagA}},
		{"/facet", map[string]any{"key": "rank", "limit": 7, "exact": true}},
	} {
		sameAnswer(t, ts, "POST", q.route, q.body)
	}
	sameAnswer(t, ts, "GET", fmt.Sprintf("/points/%d", id), nil)
	require.Equal(t, http.StatusNotFound, ts.do("GET", "/collections/spread/points/3", nil).Code)

	// Scroll page by page to the end: every point once, in id order.
	var offset json.RawMessage
	seen := 0
	for pages := 0; ; pages++ {
		require.Less(t, pages, 50)
		var page struct {
			Points []hit           `json:"points"`
			Next   json.RawMessage `json:"next_page_offset"`
		}
		body := map[string]any{"limit": 11, "with_payload": true}
		if offset != nil {
			body["offset"] = offset
		}
		require.NoError(t, json.Unmarshal(sameAnswer(t, ts, "POST", "/points/scroll", body), &page))
		seen += len(page.Points)
		if string(page.Next) == "null" {
			break
		}
		offset = page.Next
	}
	require.Equal(t, 150, seen)

	// Through an alias (in the node's DB: a cluster does not replicate
	// aliases yet), the collection is the sharded one still.
	require.NoError(t, ts.db.UpdateAliases([]index.AliasAction{{Create: &index.CreateAlias{Collection: "spread", Alias: "sp"}}}))
	var count struct {
		Count int `json:"count"`
	}
	ts.ok("POST", "/collections/sp/points/count", nil, &count)
	require.Equal(t, 150, count.Count)
	var info struct {
		PointsCount int `json:"points_count"`
	}
	ts.ok("GET", "/collections/sp", nil, &info)
	require.Equal(t, 150, info.PointsCount)
	var facet struct {
		Hits []struct {
			Value string `json:"value"`
			Count int    `json:"count"`
		} `json:"hits"`
	}
	ts.ok("POST", "/collections/sp/facet", map[string]any{"key": "tag"}, &facet)
	require.Len(t, facet.Hits, 3)
	require.Equal(t, 150, facet.Hits[0].Count+facet.Hits[1].Count+facet.Hits[2].Count, "every point counted once")
	ts.fails(http.StatusBadRequest, "POST", "/collections/sp/facet", map[string]any{"key": "big"}, "payload index")
	q := map[string]any{"query": id, "limit": 4, "params": exact, "lookup_from": map[string]any{"collection": "sp"}}
	want := ts.do("POST", "/collections/flat/points/query", map[string]any{"query": id, "limit": 4, "params": exact})
	got := ts.do("POST", "/collections/flat/points/query", q)
	require.Equal(t, http.StatusOK, got.Code, got.Error)
	require.NotEqual(t, string(want.Result), string(got.Result), "lookup_from does not leave out the looked-up point")
	require.Contains(t, string(got.Result), `"id":8,`, "the point itself, looked up in the sharded collection, is nearest")
}

func TestShardedCollectionInfoAndCluster(t *testing.T) {
	r := testseed.New(t)
	ts, _ := shardedPair(t, r, 60)
	var info struct {
		PointsCount int `json:"points_count"`
		Config      struct {
			Params struct {
				ShardNumber       int `json:"shard_number"`
				ReplicationFactor int `json:"replication_factor"`
			} `json:"params"`
		} `json:"config"`
	}
	ts.ok("GET", "/collections/spread", nil, &info)
	require.Equal(t, 60, info.PointsCount, "the shards' points, not the empty schema copy's")
	require.Equal(t, 3, info.Config.Params.ShardNumber)
	require.Equal(t, 2, info.Config.Params.ReplicationFactor)
	ts.ok("GET", "/collections/flat", nil, &info)
	require.Equal(t, 60, info.PointsCount)
	require.Equal(t, 1, info.Config.Params.ShardNumber)

	type shardOut struct {
		ShardID     int    `json:"shard_id"`
		PeerID      int    `json:"peer_id"`
		PointsCount int    `json:"points_count"`
		State       string `json:"state"`
	}
	var cl struct {
		PeerID     int        `json:"peer_id"`
		ShardCount int        `json:"shard_count"`
		Local      []shardOut `json:"local_shards"`
		Remote     []shardOut `json:"remote_shards"`
		Transfers  []any      `json:"shard_transfers"`
	}
	ts.ok("GET", "/collections/spread/cluster", nil, &cl)
	require.Equal(t, 3, cl.ShardCount)
	require.Equal(t, 7, cl.PeerID)
	total := 0
	for _, s := range cl.Local {
		total += s.PointsCount
	}
	require.Equal(t, 60, total)
	require.Equal(t, []shardOut{{ShardID: 0, PeerID: 8, State: "Active"}}, cl.Remote)
	ts.ok("GET", "/collections/flat/cluster", nil, &cl)
	require.Equal(t, 1, cl.ShardCount)
	require.Equal(t, []shardOut{{ShardID: 0, PointsCount: 60, State: "Active"}}, cl.Local)
	require.Empty(t, cl.Remote)
	require.NotNil(t, cl.Transfers)
}

func TestShardedCollectionRefusesWhatItCannotServe(t *testing.T) {
	r := testseed.New(t)
	ts, f := shardedPair(t, r, 30)
	// Every route of the table serves sharded collections now; one that
	// does not say so is refused before it reads the empty schema copy.
	rt := route{method: "POST", path: "/collections/{collection}/new"}
	req := mux.SetURLVars(httptest.NewRequest("POST", "/collections/spread/new", nil), map[string]string{"collection": "spread"})
	err := ts.h.checkSharded(req, rt)
	require.ErrorIs(t, err, ErrNotSupported)
	require.ErrorContains(t, err, "POST /collections/{collection}/new: not supported on a sharded collection yet")
	req = mux.SetURLVars(httptest.NewRequest("POST", "/collections/flat/new", nil), map[string]string{"collection": "flat"})
	require.NoError(t, ts.h.checkSharded(req, rt), "an unsharded collection is not refused for sharding")

	// A shard that cannot be reached is a 503 to retry.
	dead, err := shard.NewClient(shard.ClientConfig{URL: "http://127.0.0.1:1"}, "spread", 0)
	require.NoError(t, err)
	f.mu.Lock()
	f.broken = dead
	f.mu.Unlock()
	res := ts.do("POST", "/collections/spread/points/count", nil)
	require.Equal(t, http.StatusServiceUnavailable, res.Code, res.Error)
	require.Equal(t, "1", res.Header.Get("Retry-After"))
}

func TestCreateShardedValidates(t *testing.T) {
	ts, _ := newShardedServer(t)
	vectors := map[string]any{"size": 2, "distance": "Dot"}
	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"vectors": vectors, "shard_number": 0}, "shard_number 0"},
		{map[string]any{"vectors": vectors, "shard_number": MaxShards + 1}, "shard_number"},
		{map[string]any{"vectors": vectors, "replication_factor": -1}, "replication_factor -1"},
		{map[string]any{"vectors": vectors, "shard_number": 2, "replication_factor": MaxReplicas + 1}, "replication_factor"},
	} {
		ts.fails(http.StatusBadRequest, "PUT", "/collections/x", tc.body, tc.want)
	}
	ts.ok("PUT", "/collections/x", map[string]any{"vectors": vectors, "shard_number": 1, "replication_factor": 1}, nil)
	var cl struct {
		ShardCount int `json:"shard_count"`
	}
	ts.ok("GET", "/collections/x/cluster", nil, &cl)
	require.Equal(t, 1, cl.ShardCount, "shard_number 1 is an unsharded collection")

	single := newTestServer(t, t.TempDir(), nil)
	single.fails(http.StatusBadRequest, "PUT", "/collections/x", map[string]any{"vectors": vectors, "shard_number": 2}, "single node")
	single.fails(http.StatusBadRequest, "PUT", "/collections/x", map[string]any{"vectors": vectors, "shard_number": 0}, "shard_number 0")
}

func TestShardRPCMountedBehindTheAPIKey(t *testing.T) {
	r := testseed.New(t)
	ts, _ := shardedPair(t, r, 40)
	ctx := context.Background()
	total := 0
	for i := range 3 {
		c, err := shard.NewClient(shard.ClientConfig{URL: ts.url, APIKey: "secret"}, "spread", i)
		require.NoError(t, err)
		n, err := c.Count(ctx, nil)
		require.NoError(t, err)
		total += n
	}
	require.Equal(t, 40, total)
	c, err := shard.NewClient(shard.ClientConfig{URL: ts.url}, "spread", 0)
	require.NoError(t, err)
	_, err = c.Count(ctx, nil)
	require.ErrorContains(t, err, "401")
	c, err = shard.NewClient(shard.ClientConfig{URL: ts.url, APIKey: "secret"}, "flat", 0)
	require.NoError(t, err)
	_, err = c.Count(ctx, nil)
	require.ErrorIs(t, err, index.ErrNotFound)

	plain := newTestServer(t, t.TempDir(), nil)
	c, err = shard.NewClient(shard.ClientConfig{URL: plain.url}, "spread", 0)
	require.NoError(t, err)
	_, err = c.Count(ctx, nil)
	require.ErrorContains(t, err, "404", "not mounted without Config.Shards")
}

// On a follower of group 0, a sharded collection's point writes are split
// where they arrive (the Writer sends each shard's part to its leader):
// they make no hop to group 0's leader, nor do its majority reads. Group 0's own writes (a payload
// index) and an unsharded collection's point writes still go there.
func TestShardedPointWritesSkipGroupZerosLeader(t *testing.T) {
	ts, f := newShardedServer(t)
	var forwarded atomic.Int64
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forwarded.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"result": true, "status": "ok", "time": 0}`))
	}))
	t.Cleanup(leader.Close)
	create := map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}
	ts.ok("PUT", "/collections/flat", create, nil)
	create["shard_number"] = 3
	ts.ok("PUT", "/collections/spread", create, nil)
	f.follow(leader.URL)

	points := []any{}
	for i := 1; i <= 20; i++ {
		points = append(points, map[string]any{"id": i, "vector": []float32{1, float32(i)}})
	}
	ts.ok("PUT", "/collections/spread/points?wait=true", map[string]any{"points": points}, nil)
	ts.ok("POST", "/collections/spread/points/delete", map[string]any{"points": []int{1, 2}}, nil)
	ts.ok("POST", "/collections/spread/points/batch", map[string]any{"operations": []any{
		map[string]any{"delete": map[string]any{"points": []int{4}}}}}, nil)
	require.Zero(t, forwarded.Load(), "no point write went to group 0's leader")
	var count struct{ Count int }
	ts.ok("POST", "/collections/spread/points/count", map[string]any{}, &count)
	require.Equal(t, 17, count.Count)
	// A strong read of it barriers on each shard's leader (the router),
	// not on group 0's: it stays here too.
	var page struct{ Points []any }
	ts.ok("POST", "/collections/spread/points/scroll?consistency=majority", map[string]any{"limit": 100}, &page)
	require.Len(t, page.Points, 17)
	require.Zero(t, forwarded.Load(), "a majority read of a sharded collection went to group 0's leader")

	ts.ok("PUT", "/collections/spread/index", map[string]any{"field_name": "a", "field_schema": "integer"}, nil)
	require.Equal(t, int64(1), forwarded.Load(), "a payload index is group 0's")
	ts.ok("PUT", "/collections/flat/points", map[string]any{"points": points[:1]}, nil)
	require.Equal(t, int64(2), forwarded.Load(), "an unsharded collection's points are group 0's")
}

// A read's consistency reaches the Sharder: majority, all, quorum and a
// number above 1 ask for each shard's leader, the rest for any replica.
func TestShardedReadsPassTheirConsistency(t *testing.T) {
	ts, f := newShardedServer(t)
	ts.ok("PUT", "/collections/spread", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}, "shard_number": 2}, nil)
	f.takeReads()
	for _, tc := range []struct {
		param string
		want  Consistency
	}{{"", ReadLocal}, {"?consistency=1", ReadLocal}, {"?consistency=majority", ReadLinearizable},
		{"?consistency=all", ReadLinearizable}, {"?consistency=quorum", ReadLinearizable}, {"?consistency=2", ReadLinearizable}} {
		ts.ok("POST", "/collections/spread/points/scroll"+tc.param, map[string]any{}, nil)
		ts.ok("POST", "/collections/spread/points/query"+tc.param, map[string]any{"query": []float32{1, 0}}, nil)
		require.Equal(t, []Consistency{tc.want, tc.want}, f.takeReads(), tc.param)
	}
}

// TestShardedUsersBeforeTraining: a sharded collection's users are kept in
// its schema copy and its items read through the router; recommendations
// from the centroid of a user's items, the popular items for a newcomer,
// the explanations and the user's page answer as on the same collection
// unsharded.
func TestShardedUsersBeforeTraining(t *testing.T) {
	r := testseed.New(t)
	ts, _ := newShardedServer(t)
	create := map[string]any{"vectors": map[string]any{"content": map[string]any{"size": 4, "distance": "Cosine"}}}
	ts.ok("PUT", "/collections/flat", create, nil)
	create["shard_number"] = 3
	ts.ok("PUT", "/collections/spread", create, nil)
	var pts []map[string]any
	for i := range 60 {
		pts = append(pts, map[string]any{"id": i, "vector": map[string]any{"content": []float64{r.Float64(), r.Float64(), r.Float64(), r.Float64()}},
			"payload": map[string]any{"group": i % 3}})
	}
	var its []map[string]any
	for u := range 20 {
		for _, item := range r.Perm(60)[:5+u%4] {
			its = append(its, map[string]any{"user": u, "item": item, "weight": 1 + r.IntN(4), "timestamp": 1000 + r.IntN(100)})
		}
	}
	for _, c := range []string{"flat", "spread"} {
		ts.ok("PUT", "/collections/"+c+"/points?wait=true", map[string]any{"points": pts}, nil)
		ts.ok("PUT", "/collections/"+c+"/interactions", map[string]any{"interactions": its}, nil)
	}
	for u := range 20 {
		sameAnswer(t, ts, "POST", "/points/query", map[string]any{"query": map[string]any{"recommend": map[string]any{"user": u}},
			"limit": 7, "with_explanation": true, "with_payload": true})
		sameAnswer(t, ts, "GET", fmt.Sprintf("/users/%d", u), nil)
	}
	sameAnswer(t, ts, "POST", "/points/query", map[string]any{"query": map[string]any{"recommend": map[string]any{"user": "newcomer"}},
		"limit": 10, "filter": map[string]any{"must": []any{map[string]any{"key": "group", "match": map[string]any{"value": 1}}}}})
}

// TestShardedSnapshotIsOneCollectionsSnapshot: a snapshot of a sharded
// collection, made on a node, is a single collection's snapshot file: it
// is listed and downloaded as any, and recovers (here on a single node)
// into the same points, vectors, payloads and payload indexes as the
// unsharded twin, with the users' interactions.
func TestShardedSnapshotIsOneCollectionsSnapshot(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	ts, _ := shardedPair(t, r, 60)
	flat, err := ts.db.Collection("flat")
	require.NoError(t, err)
	all := index.ReadOptions{WithPayload: true, WithVector: true}
	want, err := flat.Scroll(ctx, index.ScrollRequest{Limit: 100, ReadOptions: all})
	require.NoError(t, err)
	var its []map[string]any
	var sent []index.Interaction
	for u := range 5 {
		for k := range 3 {
			id := want.Points[(u*7+k)%len(want.Points)].ID
			its = append(its, map[string]any{"user": u, "item": id, "weight": k + 1, "timestamp": 1000 + k})
			sent = append(sent, index.Interaction{User: userid.FromNum(uint64(u)), Item: id, Weight: float32(k + 1), Time: time.Unix(int64(1000+k), 0).UTC()})
		}
	}
	ts.ok("PUT", "/collections/spread/interactions", map[string]any{"interactions": its}, nil)

	var snap snapshotOut
	ts.ok("POST", "/collections/spread/snapshots", nil, &snap)
	var listed []snapshotOut
	ts.ok("GET", "/collections/spread/snapshots", nil, &listed)
	require.Equal(t, []snapshotOut{snap}, listed)
	req, err := http.NewRequest("GET", ts.url+"/collections/spread/snapshots/"+snap.Name, nil)
	require.NoError(t, err)
	req.Header.Set("api-key", ts.key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	db, err := index.Open(ctx, t.TempDir(), index.Options{})
	require.NoError(t, err)
	defer db.Close()
	c, err := db.RecoverUpload(ctx, "copy", resp.Body, snap.Checksum)
	require.NoError(t, err)
	got, err := c.Scroll(ctx, index.ScrollRequest{Limit: 100, ReadOptions: all})
	require.NoError(t, err)
	require.Equal(t, want.Points, got.Points)
	require.Equal(t, flat.Config().PayloadIndexes, c.Config().PayloadIndexes)
	var kept []index.Interaction
	require.NoError(t, c.ScanInteractions(ctx, func(it index.Interaction) error { kept = append(kept, it); return nil }))
	require.ElementsMatch(t, sent, kept)
}

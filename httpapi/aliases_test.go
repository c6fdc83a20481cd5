package httpapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func createSmall(ts *testServer, name string) {
	ts.ok("PUT", "/collections/"+name, map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	ts.ok("PUT", "/collections/"+name+"/points?wait=true", map[string]any{"points": []any{
		map[string]any{"id": 1, "vector": []float32{1, 0}}, map[string]any{"id": 2, "vector": []float32{0, 1}},
	}}, nil)
}

// TestAliasRoutes changes aliases in one request, reads and writes
// through an alias, and checks the 4xx answers name what is wrong.
func TestAliasRoutes(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServer(t, dir, nil)
	createSmall(ts, "movies_v1")
	createSmall(ts, "movies_v2")

	ts.ok("POST", "/collections/aliases", map[string]any{"actions": []any{
		map[string]any{"create_alias": map[string]any{"collection_name": "movies_v1", "alias_name": "movies"}},
		map[string]any{"create_alias": map[string]any{"collection_name": "movies_v2", "alias_name": "old"}},
		map[string]any{"rename_alias": map[string]any{"old_alias_name": "old", "new_alias_name": "next"}},
	}}, nil)
	var list struct {
		Aliases []aliasOut `json:"aliases"`
	}
	ts.ok("GET", "/aliases", nil, &list)
	require.Equal(t, []aliasOut{{"movies", "movies_v1"}, {"next", "movies_v2"}}, list.Aliases)
	ts.ok("GET", "/collections/movies_v2/aliases", nil, &list)
	require.Equal(t, []aliasOut{{"next", "movies_v2"}}, list.Aliases)

	// Queries, writes and info go through the alias.
	ts.ok("PUT", "/collections/movies/points?wait=true", map[string]any{"points": []any{map[string]any{"id": 3, "vector": []float32{1, 1}}}}, nil)
	var count struct {
		Count int `json:"count"`
	}
	ts.ok("POST", "/collections/movies/points/count", map[string]any{}, &count)
	require.Equal(t, 3, count.Count)
	ts.ok("POST", "/collections/movies_v1/points/count", map[string]any{}, &count)
	require.Equal(t, 3, count.Count)
	var info collectionInfo
	ts.ok("GET", "/collections/movies", nil, &info)
	require.Equal(t, 3, info.PointsCount)
	var q struct {
		Points []hit `json:"points"`
	}
	ts.ok("POST", "/collections/movies/points/query", map[string]any{"query": []float32{1, 0.5}, "limit": 1}, &q)
	require.Equal(t, []any{float64(3)}, ids(q.Points))

	// Switch the alias atomically; a failing batch changes nothing.
	ts.ok("POST", "/collections/aliases", map[string]any{"actions": []any{
		map[string]any{"delete_alias": map[string]any{"alias_name": "movies"}},
		map[string]any{"create_alias": map[string]any{"collection_name": "movies_v2", "alias_name": "movies"}},
	}}, nil)
	ts.ok("POST", "/collections/movies/points/count", map[string]any{}, &count)
	require.Equal(t, 2, count.Count)
	ts.fails(http.StatusNotFound, "POST", "/collections/aliases", map[string]any{"actions": []any{
		map[string]any{"delete_alias": map[string]any{"alias_name": "movies"}},
		map[string]any{"create_alias": map[string]any{"collection_name": "nope", "alias_name": "x"}},
	}}, "actions[1]", `"nope"`)
	ts.ok("POST", "/collections/movies/points/count", map[string]any{}, &count)
	require.Equal(t, 2, count.Count)

	ts.fails(http.StatusBadRequest, "POST", "/collections/aliases", map[string]any{"actions": []any{
		map[string]any{"create_alias": map[string]any{"collection_name": "movies_v1"}}}}, "actions[0].create_alias", "alias_name")
	ts.fails(http.StatusBadRequest, "POST", "/collections/aliases", map[string]any{"actions": []any{
		map[string]any{"create_alias": map[string]any{"collection_name": "movies_v1", "alias_name": "a/b"}}}}, "alias name")
	ts.fails(http.StatusBadRequest, "POST", "/collections/aliases", map[string]any{"actions": []any{map[string]any{}}}, "actions[0]", "exactly one")
	ts.fails(http.StatusBadRequest, "POST", "/collections/aliases", map[string]any{"actions": []any{
		map[string]any{"drop_alias": map[string]any{}}}}, "drop_alias")
	ts.fails(http.StatusConflict, "POST", "/collections/aliases", map[string]any{"actions": []any{
		map[string]any{"create_alias": map[string]any{"collection_name": "movies_v1", "alias_name": "movies_v2"}}}}, "movies_v2")
	ts.fails(http.StatusConflict, "PUT", "/collections/movies", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, "alias")
	ts.fails(http.StatusBadRequest, "DELETE", "/collections/movies", nil, "alias")
	ts.fails(http.StatusNotFound, "GET", "/collections/nope/aliases", nil, "nope")

	// Dropping a collection drops its aliases, durably.
	ts.ok("DELETE", "/collections/movies_v2", nil, nil)
	ts.close()
	ts = newTestServer(t, dir, nil)
	ts.ok("GET", "/aliases", nil, &list)
	require.Empty(t, list.Aliases)
	ts.fails(http.StatusNotFound, "POST", "/collections/movies/points/count", map[string]any{}, "movies")
}

// TestUpdateCollectionRoute changes ef_construct and ef with PATCH, sees
// them in GET after a restart, and checks each refusal names its field.
func TestUpdateCollectionRoute(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServer(t, dir, nil)
	createSmall(ts, "c")
	ts.ok("PATCH", "/collections/c", map[string]any{
		"hnsw_config":       map[string]any{"ef_construct": 123, "ef": 77, "full_scan_threshold": 10, "m": nil},
		"optimizers_config": map[string]any{"indexing_threshold": 0, "max_optimization_threads": "auto"},
		"params":            map[string]any{"replication_factor": 1, "on_disk_payload": true},
		"vectors":           map[string]any{"": map[string]any{"hnsw_config": map[string]any{"ef": 78}, "on_disk": true}},
	}, nil)
	ts.close()
	ts = newTestServer(t, dir, nil)
	var info collectionInfo
	ts.ok("GET", "/collections/c", nil, &info)
	require.Equal(t, 123, info.Config.HNSW.EfConstruct)
	require.Equal(t, 78, info.Config.HNSW.Ef)
	require.Equal(t, 16, info.Config.HNSW.M)
	ts.ok("PATCH", "/collections/c", map[string]any{"hnsw_config": map[string]any{"m": 16}}, nil)

	for _, bad := range []struct {
		body any
		want []string
	}{
		{map[string]any{"hnsw_config": map[string]any{"m": 32}}, []string{"hnsw_config.m", "cannot change"}},
		{map[string]any{"hnsw_config": map[string]any{"ef_construct": 0}}, []string{"hnsw_config.ef_construct"}},
		{map[string]any{"hnsw_config": map[string]any{"ef": "big"}}, []string{"hnsw_config.ef"}},
		{map[string]any{"params": map[string]any{"replication_factor": 2}}, []string{"params.replication_factor"}},
		{map[string]any{"params": map[string]any{"on_disk_payload": false}}, []string{"params.on_disk_payload"}},
		{map[string]any{"params": map[string]any{"vectors": map[string]any{"size": 3}}}, []string{"params.vectors", "cannot change"}},
		{map[string]any{"params": map[string]any{"shard_number": 2}}, []string{"params.shard_number"}},
		{map[string]any{"quantization_config": map[string]any{"scalar": map[string]any{}}}, []string{"quantization_config"}},
		{map[string]any{"vectors": map[string]any{"text": map[string]any{"hnsw_config": map[string]any{"ef": 5}}}}, []string{"vectors", `"text"`}},
		{map[string]any{"optimizers_config": map[string]any{"indexing_threshold": "x"}}, []string{"optimizers_config.indexing_threshold"}},
		{map[string]any{"size": 3}, []string{"unknown field", "size"}},
	} {
		ts.fails(http.StatusBadRequest, "PATCH", "/collections/c", bad.body, bad.want...)
	}
	ts.ok("GET", "/collections/c", nil, &info)
	require.Equal(t, 123, info.Config.HNSW.EfConstruct, "refused updates change nothing")
	ts.fails(http.StatusNotFound, "PATCH", "/collections/nope", map[string]any{}, "nope")
}

// TestClusterAndTelemetry checks the single-node answers.
func TestClusterAndTelemetry(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	createSmall(ts, "c")
	var cluster map[string]any
	ts.ok("GET", "/cluster", nil, &cluster)
	require.Equal(t, map[string]any{"status": "disabled"}, cluster)
	var ci struct {
		PeerID      int             `json:"peer_id"`
		ShardCount  int             `json:"shard_count"`
		LocalShards []localShardOut `json:"local_shards"`
	}
	ts.ok("GET", "/collections/c/cluster", nil, &ci)
	require.Equal(t, 1, ci.ShardCount)
	require.Equal(t, []localShardOut{{ShardID: 0, PointsCount: 2, State: "Active"}}, ci.LocalShards)
	ts.fails(http.StatusNotFound, "GET", "/collections/nope/cluster", nil, "nope")

	var tel struct {
		ID  string `json:"id"`
		App struct {
			Name, Version string
		} `json:"app"`
		Collections struct {
			Number      int `json:"number_of_collections"`
			Collections []struct {
				ID          string `json:"id"`
				PointsCount int    `json:"points_count"`
			} `json:"collections"`
		} `json:"collections"`
		Requests struct {
			Rest struct {
				Responses map[string]map[string]responseStats `json:"responses"`
			} `json:"rest"`
		} `json:"requests"`
	}
	ts.ok("GET", "/telemetry?details_level=3", nil, &tel)
	require.NotEmpty(t, tel.ID)
	require.Equal(t, Version, tel.App.Version)
	require.Equal(t, 1, tel.Collections.Number)
	require.Equal(t, "c", tel.Collections.Collections[0].ID)
	require.Equal(t, 2, tel.Collections.Collections[0].PointsCount)
	st := tel.Requests.Rest.Responses["PUT /collections/{collection}"]["200"]
	require.Equal(t, int64(1), st.Count)
	require.Positive(t, st.AvgDurationMicros)
	require.Equal(t, int64(1), tel.Requests.Rest.Responses["GET /collections/{collection}/cluster"]["404"].Count)
	ts.fails(http.StatusBadRequest, "GET", "/telemetry?detail=1", nil, "detail")
}

package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInteractionsAndUsers(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	require.Equal(t, 200, ts.do("PUT", "/collections/m", `{"vectors": {"size": 2, "distance": "Dot"}}`).Code)
	require.Equal(t, 200, ts.do("PUT", "/collections/m/points", `{"points": [
		{"id": 1, "vector": [1, 0]}, {"id": 2, "vector": [0, 1]}, {"id": 3, "vector": [1, 1]}]}`).Code)

	for _, tc := range []struct{ body, want string }{
		{`{"interactions": [{"user": "42", "item": 1}, {"user": "42", "item": 9}]}`, "interactions[1].item: collection \"m\" has no point 9"},
		{`{"interactions": [{"item": 1}]}`, "interactions[0].user: required"},
		{`{"interactions": [{"user": 1}]}`, "interactions[0].item: required"},
		{`{"interactions": [{"user": 1, "item": 1, "weight": 0}]}`, "interactions[0].weight 0"},
		{`{"interactions": [{"user": 1, "item": 1, "timestamp": "yesterday"}]}`, `timestamp "yesterday"`},
		{`{"interactions": [{"user": -1, "item": 1}]}`, "user id"},
		{`{"interactions": [{"user": 1, "item": 1, "rating": 5}]}`, `unknown field "rating"`},
		{`{}`, "interactions: required"},
	} {
		r := ts.do("PUT", "/collections/m/interactions", tc.body)
		require.Equal(t, 400, r.Code, tc.body)
		require.Contains(t, r.Error, tc.want)
	}
	r := ts.do("GET", "/collections/m/users/42", nil)
	require.Equal(t, 200, r.Code)
	require.JSONEq(t, `{"user": 42, "interactions": [], "next_page_offset": null, "has_vector": false, "vector_source": null}`, string(r.Result), "bad batches wrote nothing")

	require.Equal(t, 200, ts.do("PUT", "/collections/m/interactions", `{"interactions": [
		{"user": "42", "item": 1, "weight": 4.5, "timestamp": 964982703},
		{"user": 42, "item": 3, "timestamp": "2000-07-30T18:45:03Z"},
		{"user": "alice", "item": 2, "weight": -1}]}`).Code)
	r = ts.do("GET", "/collections/m/users/42?limit=1", nil)
	require.Equal(t, 200, r.Code)
	require.JSONEq(t, `{"user": 42, "interactions": [{"item": 1, "weight": 4.5, "timestamp": 964982703}], "next_page_offset": 3, "has_vector": true, "vector_source": "centroid"}`, string(r.Result))
	r = ts.do("GET", "/collections/m/users/42?offset=3", nil)
	require.JSONEq(t, `{"user": 42, "interactions": [{"item": 3, "weight": 1, "timestamp": 964982703}], "next_page_offset": null, "has_vector": true, "vector_source": "centroid"}`, string(r.Result))

	require.Equal(t, 200, ts.do("DELETE", "/collections/m/users/42", nil).Code)
	r = ts.do("GET", "/collections/m/users/42", nil)
	var got userAnswer
	require.NoError(t, json.Unmarshal(r.Result, &got))
	require.Empty(t, got.Interactions)
	r = ts.do("GET", "/collections/m/users/alice", nil)
	require.NoError(t, json.Unmarshal(r.Result, &got))
	require.Len(t, got.Interactions, 1)
	require.Equal(t, 404, ts.do("GET", "/collections/nope/users/1", nil).Code)
}

func TestInteractionsNeedTheWriteKey(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.APIKey, c.ReadOnlyAPIKey = "secret", "reader" })
	require.Equal(t, 200, ts.do("PUT", "/collections/m", `{"vectors": {"size": 2, "distance": "Dot"}}`).Code)
	ts.key = "reader"
	require.Equal(t, 403, ts.do("PUT", "/collections/m/interactions", `{"interactions": []}`).Code)
	require.Equal(t, 403, ts.do("DELETE", "/collections/m/users/1", nil).Code)
	require.Equal(t, 200, ts.do("GET", "/collections/m/users/1", nil).Code)
	ts.key = ""
	require.Equal(t, 401, ts.do("GET", "/collections/m/users/1", nil).Code)
}

package client_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/internal/apitest"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/userid"
)

const uuidA = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"

func TestClient(t *testing.T) {
	srv := apitest.Start(t, func(c *httpapi.Config) { c.APIKey = "k" })
	ctx := context.Background()
	cl := &client.Client{URL: srv.URL + "/", APIKey: "k"}

	ok, err := cl.Exists(ctx, "docs")
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, cl.CreateCollection(ctx, "docs", map[string]any{"model": apitest.ModelName}))
	ok, err = cl.Exists(ctx, "docs")
	require.NoError(t, err)
	require.True(t, ok)

	vec, err := srv.Model.Encode(ctx, []string{"plain vector"})
	require.NoError(t, err)
	a, err := pointid.Parse(uuidA)
	require.NoError(t, err)
	require.NoError(t, cl.Upsert(ctx, "docs", []client.Point{
		{ID: pointid.FromNum(1), Text: "red apple", Payload: map[string]any{"k": "a"}},
		{ID: a, Text: "blue sea", Model: apitest.ModelName},
		{ID: pointid.FromNum(3), Vector: vec[0]},
	}))

	hits, err := cl.Query(ctx, "docs", map[string]any{"query": map[string]any{"text": "red apple"}, "limit": 1, "with_payload": true})
	require.NoError(t, err)
	require.Len(t, hits, 1)
	require.Equal(t, pointid.FromNum(1), hits[0].ID)
	require.Equal(t, "a", hits[0].Payload["k"])
	hits, err = cl.Query(ctx, "docs", map[string]any{"query": vec[0], "limit": 1})
	require.NoError(t, err)
	require.Equal(t, pointid.FromNum(3), hits[0].ID)

	recs, err := cl.Retrieve(ctx, "docs", []pointid.ID{pointid.FromNum(1), a, pointid.FromNum(99)}, client.RetrieveOptions{WithPayload: true})
	require.NoError(t, err)
	got := map[pointid.ID]map[string]any{}
	for _, r := range recs {
		require.Nil(t, r.Vector, "vectors were not asked for")
		got[r.ID] = r.Payload
	}
	require.Equal(t, map[pointid.ID]map[string]any{pointid.FromNum(1): {"k": "a"}, a: {}}, got, "99 is not stored")

	_, err = cl.Query(ctx, "nope", map[string]any{"query": vec[0]})
	var apiErr *client.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	require.Equal(t, http.StatusNotFound, apiErr.Status)
	require.Contains(t, apiErr.Message, "nope")

	texts, err := cl.MetricSum(ctx, "quiver_encoder_texts_total")
	require.NoError(t, err)
	require.Equal(t, 3.0, texts, "two upserted documents and one query")
	points, err := cl.MetricSum(ctx, "quiver_collection_points")
	require.NoError(t, err)
	require.Equal(t, 3.0, points)

	bad := &client.Client{URL: srv.URL}
	err = bad.Do(ctx, http.MethodGet, "/collections", nil, nil)
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, http.StatusUnauthorized, apiErr.Status)
}

func TestRecommendUser(t *testing.T) {
	srv := apitest.Start(t, nil)
	ctx := context.Background()
	cl := &client.Client{URL: srv.URL}
	require.NoError(t, cl.CreateCollection(ctx, "m", map[string]any{
		"text": map[string]any{"model": apitest.ModelName}, "cf": map[string]any{"size": 4, "distance": "Dot"},
	}))
	texts := []string{"red apple pie", "red apple tart", "green apple tree", "blue ocean wave"}
	pts := make([]client.Point, len(texts))
	for i, text := range texts {
		pts[i] = client.Point{ID: pointid.FromNum(uint64(i)), Text: text, Using: "text", Payload: map[string]any{"n": i}}
	}
	require.NoError(t, cl.Upsert(ctx, "m", pts))
	u := userid.FromNum(7)
	cold, err := cl.RecommendUser(ctx, "m", u, client.RecommendOptions{Limit: 2})
	require.NoError(t, err)
	require.Empty(t, cold, "no interactions yet: nothing is popular")

	require.NoError(t, cl.Interact(ctx, "m", []client.Interaction{{User: u, Item: pointid.FromNum(0)}}))
	hits, err := cl.RecommendUser(ctx, "m", u, client.RecommendOptions{Limit: 1, Explain: true, WithPayload: true})
	require.NoError(t, err)
	require.Len(t, hits, 1)
	require.Equal(t, pointid.FromNum(1), hits[0].ID, "the centroid of red apple pie is nearest red apple tart; the pie is seen")
	require.Equal(t, 1.0, hits[0].Payload["n"])
	require.Len(t, hits[0].Explanation, 1)
	require.Equal(t, pointid.FromNum(0), hits[0].Explanation[0].ID)

	hits, err = cl.RecommendUser(ctx, "m", u, client.RecommendOptions{Limit: 1, KeepSeen: true})
	require.NoError(t, err)
	require.Equal(t, pointid.FromNum(0), hits[0].ID, "kept: the seen item is its own nearest")
	require.Nil(t, hits[0].Explanation)
}

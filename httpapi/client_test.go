package httpapi

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClient(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.APIKey = "k" })
	ctx := context.Background()
	cl := &Client{URL: ts.url + "/", APIKey: "k"}
	require.NoError(t, cl.Do(ctx, http.MethodPut, "/collections/docs", map[string]any{"vectors": map[string]any{"model": "fake"}}, nil))
	vec, err := ts.model.Encode(ctx, []string{"plain vector"})
	require.NoError(t, err)
	require.NoError(t, cl.Upsert(ctx, "docs", []ClientPoint{
		{ID: 1, Text: "red apple", Payload: map[string]any{"k": "a"}},
		{ID: uuidA, Text: "blue sea", Model: "fake"},
		{ID: uint64(3), Vector: vec[0]},
	}))
	hits, err := cl.Query(ctx, "docs", map[string]any{"query": map[string]any{"text": "red apple"}, "limit": 1, "with_payload": true})
	require.NoError(t, err)
	require.Len(t, hits, 1)
	require.Equal(t, "1", string(hits[0].ID))
	require.Equal(t, "a", hits[0].Payload["k"])
	hits, err = cl.Query(ctx, "docs", map[string]any{"query": vec[0], "limit": 1})
	require.NoError(t, err)
	require.Equal(t, "3", string(hits[0].ID))

	_, err = cl.Query(ctx, "nope", map[string]any{"query": vec[0]})
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	require.Equal(t, http.StatusNotFound, apiErr.Status)
	require.Contains(t, apiErr.Message, "nope")

	texts, err := cl.MetricSum(ctx, "quiver_encoder_texts_total")
	require.NoError(t, err)
	require.Equal(t, 3.0, texts, "two upserted documents and one query")
	points, err := cl.MetricSum(ctx, "quiver_collection_points")
	require.NoError(t, err)
	require.Equal(t, 3.0, points)

	bad := &Client{URL: ts.url}
	err = bad.Do(ctx, http.MethodGet, "/collections", nil, nil)
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, http.StatusUnauthorized, apiErr.Status)
}

package httpapi

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/internal/testbin"
)

func TestAPIKeys(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.APIKey = "secret"; c.ReadOnlyAPIKey = "reader" })
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)

	ts.key = ""
	ts.fails(http.StatusUnauthorized, "GET", "/collections", nil, "api-key")
	ts.key = "wrong"
	ts.fails(http.StatusUnauthorized, "GET", "/collections", nil, "invalid api-key")

	ts.key = "reader"
	ts.ok("GET", "/collections/c", nil, nil)
	ts.ok("POST", "/collections/c/points/query", map[string]any{"query": []float32{1, 1}}, nil)
	ts.fails(http.StatusForbidden, "PUT", "/collections/c/points", map[string]any{"points": []any{map[string]any{"id": 1, "vector": []float32{1, 1}}}}, "read-only")
	ts.fails(http.StatusForbidden, "DELETE", "/collections/c", nil, "read-only")

	// Bearer works as Qdrant's clients may send it.
	req, err := http.NewRequest("GET", ts.url+"/collections", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	for _, path := range []string{"/", "/healthz", "/readyz", "/openapi.json"} {
		resp, err := http.Get(ts.url + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
	// /metrics names every collection and its size: it wants a key unless
	// the server is told to serve it openly.
	resp, err = http.Get(ts.url + "/metrics")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	open := newTestServer(t, t.TempDir(), func(c *Config) { c.APIKey, c.PublicMetrics = "secret", true })
	resp, err = http.Get(open.url + "/metrics")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestConfigValidate(t *testing.T) {
	_, err := NewHandler(Config{})
	require.ErrorContains(t, err, "DB is nil")
	ts := newTestServer(t, t.TempDir(), nil)
	_, err = NewHandler(Config{DB: ts.db, ReadOnlyAPIKey: "r"})
	require.ErrorContains(t, err, "ReadOnlyAPIKey without APIKey")
}

func TestBodyLimit(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.MaxBodyBytes = 1024 })
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, nil)
	big := `{"points":[{"id":1,"vector":[1,1],"payload":{"s":"` + strings.Repeat("x", 2000) + `"}}]}`
	ts.fails(http.StatusRequestEntityTooLarge, "PUT", "/collections/c/points", big, "too large")
	var count struct{ Count int }
	ts.ok("POST", "/collections/c/points/count", nil, &count)
	require.Zero(t, count.Count)
}

func TestGzip(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	randomCollection(t, ts, "c", 50, 32)
	req, err := http.NewRequest("POST", ts.url+"/collections/c/points/scroll", strings.NewReader(`{"limit":50,"with_vector":true}`))
	require.NoError(t, err)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	zr, err := gzip.NewReader(resp.Body)
	require.NoError(t, err)
	var env struct {
		Result scrollResult `json:"result"`
	}
	require.NoError(t, json.NewDecoder(zr).Decode(&env))
	require.Len(t, env.Result.Points, 50)

	// A small answer is not worth compressing: it goes plain, with its
	// length, not chunked.
	query := `{"limit":1,"query":[` + strings.Repeat("0.5,", 31) + `1]}`
	req, err = http.NewRequest("POST", ts.url+"/collections/c/points/query", strings.NewReader(query))
	require.NoError(t, err)
	req.Header.Set("Accept-Encoding", "gzip")
	small, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	defer small.Body.Close()
	require.Empty(t, small.Header.Get("Content-Encoding"))
	require.Empty(t, small.TransferEncoding)
	require.Contains(t, small.Header.Get("Server-Timing"), "search;dur=", "the time in the index")
	raw, err := io.ReadAll(small.Body)
	require.NoError(t, err)
	require.EqualValues(t, len(raw), small.ContentLength)
}

func TestMetricsAndReadiness(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seed(ts, "c", 4)
	ts.ok("PUT", "/collections/d", map[string]any{"vectors": map[string]any{"model": "fake"}}, nil)
	ts.ok("PUT", "/collections/d/points", map[string]any{"points": []any{map[string]any{"id": 1, "vector": map[string]any{"text": "hello"}}}}, nil)
	ts.fails(404, "GET", "/collections/zz", nil)

	resp, err := http.Get(ts.url + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	text := string(body)
	require.Contains(t, text, `quiver_collection_points{collection="c"} 4`)
	require.Contains(t, text, `quiver_collection_points{collection="d"} 1`)
	require.Contains(t, text, `quiver_http_requests_total{code="404",route="GET /collections/{collection}"} 1`)
	require.Contains(t, text, `quiver_http_request_duration_seconds_count{route="PUT /collections/{collection}/points"} 2`)
	require.Contains(t, text, `quiver_encoder_texts_total{model="fake"} 1`)
	for _, name := range []string{"quiver_upsert_graph_seconds_total", "quiver_upsert_commit_seconds_total"} {
		cl := &client.Client{URL: ts.url}
		v, err := cl.MetricSum(context.Background(), name)
		require.NoError(t, err)
		require.Positive(t, v, "%s: the upserts took time", name)
	}

	resp, err = http.Get(ts.url + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ts.h.Drain()
	resp, err = http.Get(ts.url + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
}

func TestRoutingErrorsUseTheEnvelope(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	ts.fails(http.StatusNotFound, "GET", "/no/such/route", nil, "no route")
	ts.fails(http.StatusMethodNotAllowed, "PATCH", "/collections/c/points", nil, "PATCH")
	ts.fails(http.StatusBadRequest, "PUT", "/collections/c?timeout=soon", map[string]any{"vectors": map[string]any{"size": 2, "distance": "Dot"}}, "timeout")
}

// TestGarbageNeverFails5xx sends malformed bodies to every route that
// takes one: each must be refused with a 4xx, and the server must go on.
func TestGarbageNeverFails5xx(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	seed(ts, "c", 3)
	bodies := []string{
		"", "null", "0", "-1", `"x"`, "[]", "[null]", "{", "}", `{"":1}`, `{"points":null}`, `{"points":[null]}`,
		`{"points":[{}]}`, `{"batch":{"ids":[1],"vectors":[null]}}`, `{"ids":[null]}`, `{"ids":["x"]}`,
		`{"query":null}`, `{"query":{}}`, `{"query":[]}`, `{"query":[null]}`, `{"query":{"recommend":null}}`,
		`{"query":{"recommend":{"positive":[null]}}}`, `{"query":{"recommend":{"positive":[[]],"strategy":"best_score"}}}`,
		`{"query":{"nearest":{"text":null}}}`, `{"filter":{"must":[null]}}`, `{"filter":{"must":[{"key":"n","range":{"gt":"a"}}]}}`,
		`{"limit":1e99}`, `{"offset":{"a":1}}`, `{"vector":[1e999,0,0]}`, `{"searches":[null]}`, `{"searches":"x"}`,
		`{"vectors":{"size":1e10,"distance":"Dot"}}`, `{"field_name":null}`, `{"with_payload":{"include":null}}`,
		`{"positive":[1],"lookup_from":{"collection":""}}`, strings.Repeat("[", 10000),
	}
	routes := []struct{ method, path string }{
		{"PUT", "/collections/new"}, {"PUT", "/collections/c/index"}, {"PUT", "/collections/c/points"},
		{"POST", "/collections/c/points"}, {"POST", "/collections/c/points/delete"}, {"POST", "/collections/c/points/scroll"},
		{"POST", "/collections/c/points/count"}, {"POST", "/collections/c/points/query"}, {"POST", "/collections/c/points/query/batch"},
		{"POST", "/collections/c/points/search"}, {"POST", "/collections/c/points/recommend"},
		{"POST", "/collections/c/points/search/batch"}, {"POST", "/collections/c/points/recommend/batch"},
		{"PATCH", "/collections/c"}, {"POST", "/collections/aliases"}, {"PUT", "/collections/c/snapshots/recover"},
		{"POST", "/collections/c/snapshots/upload"},
	}
	for _, rt := range routes {
		for _, b := range bodies {
			req, err := http.NewRequest(rt.method, ts.url+rt.path, strings.NewReader(b))
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Less(t, resp.StatusCode, 500, "%s %s %q: %s", rt.method, rt.path, b, raw)
			require.True(t, json.Valid(raw), "%s %s %q: body %q", rt.method, rt.path, b, raw)
		}
	}
	var count struct{ Count int }
	ts.ok("POST", "/collections/c/points/count", nil, &count)
	require.Equal(t, 3, count.Count)
}

func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServer(t, dir, nil)
	seed(ts, "c", 10)
	ts.ok("POST", "/collections/c/points/delete", map[string]any{"points": []int{4}}, nil)
	ts.close()

	ts2 := newTestServer(t, dir, nil)
	var count struct{ Count int }
	ts2.ok("POST", "/collections/c/points/count", nil, &count)
	require.Equal(t, 9, count.Count)
	var res queryResult
	ts2.ok("POST", "/collections/c/points/query", map[string]any{"query": []float32{1, 0, 0}, "limit": 3, "with_payload": true}, &res)
	require.Equal(t, []int{10, 9, 8}, asInts(res.Points), "Dot: larger first component scores higher")
	require.Equal(t, float64(10), res.Points[0].Payload["n"])
}

// brokenModel panics or misbehaves, to show that a faulty dependency is a
// 500 for that request and nothing more.
type brokenModel struct{ panics bool }

func (m brokenModel) Dim() int { return 4 }

func (m brokenModel) Encode(_ context.Context, texts []string) ([][]float32, error) {
	if m.panics {
		panic("model exploded")
	}
	return [][]float32{{1, 2}}, nil
}

func TestFaultsAreContained(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) {
		c.Models = map[string]Embedder{"boom": brokenModel{panics: true}, "short": brokenModel{}}
	})
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 4, "distance": "Dot"}}, nil)
	ts.fails(http.StatusInternalServerError, "POST", "/collections/c/points/query", map[string]any{"query": map[string]any{"text": "x", "model": "boom"}}, "internal error")
	r := ts.do("POST", "/collections/c/points/query", map[string]any{"query": map[string]any{"text": "x", "model": "short"}})
	require.Equal(t, http.StatusInternalServerError, r.Code)
	require.Equal(t, "internal error", r.Error, "internals are logged, not shown")
	ts.ok("GET", "/collections/c", nil, nil)
}

// slowModel waits for its context, as a model that takes too long would.
type slowModel struct{}

func (slowModel) Dim() int { return 4 }

func (slowModel) Encode(ctx context.Context, _ []string) ([][]float32, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestRequestDeadline(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), func(c *Config) {
		c.Models = map[string]Embedder{"slow": slowModel{}}
		c.RequestTimeout = 50 * time.Millisecond
	})
	ts.ok("PUT", "/collections/c", map[string]any{"vectors": map[string]any{"size": 4, "distance": "Dot"}}, nil)
	start := time.Now()
	ts.fails(http.StatusGatewayTimeout, "POST", "/collections/c/points/query", map[string]any{"query": map[string]any{"text": "x", "model": "slow"}}, "deadline")
	require.Less(t, time.Since(start), 5*time.Second)
	ts.ok("GET", "/collections/c", nil, nil)
}

func TestRequestLog(t *testing.T) {
	var buf testbin.Log
	ts := newTestServer(t, t.TempDir(), func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&buf, nil)) })
	ts.ok("GET", "/collections", nil, nil)
	ts.fails(http.StatusNotFound, "GET", "/collections/zz", nil)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(ts.url + path)
		require.NoError(t, err)
		resp.Body.Close()
	}
	log := buf.String()
	require.Contains(t, log, "path=/collections status=200")
	require.Contains(t, log, "path=/collections/zz status=404")
	require.NotContains(t, log, "healthz", "probes log at debug")
	require.NotContains(t, log, "path=/metrics")
}

// TestRootIsBare checks GET /: Qdrant's clients read title and version
// from the top level, not from an envelope.
func TestRootIsBare(t *testing.T) {
	ts := newTestServer(t, t.TempDir(), nil)
	resp, err := http.Get(ts.url + "/")
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, map[string]any{"title": "quiver", "version": Version}, body)
}

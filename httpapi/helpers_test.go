package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
)

// fakeModel embeds a text as the normalised sum of one pseudo-random
// direction per word, so texts sharing words are similar. It counts Encode
// calls so tests can check that a request's documents go in one batch.
type fakeModel struct {
	dim   int
	calls atomic.Int64
}

func (m *fakeModel) Dim() int { return m.dim }

func (m *fakeModel) Encode(ctx context.Context, texts []string) ([][]float32, error) {
	m.calls.Add(1)
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, m.dim)
		for _, w := range strings.Fields(strings.ToLower(t)) {
			h := fnv.New64a()
			h.Write([]byte(w))
			seed := h.Sum64()
			for j := range v {
				seed = seed*6364136223846793005 + 1442695040888963407
				v[j] += float32(int64(seed>>11)%2001-1000) / 1000
			}
		}
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		for j := range v {
			v[j] = float32(float64(v[j]) / math.Sqrt(n))
		}
		out[i] = v
	}
	return out, ctx.Err()
}

// testServer is a Handler over a real data directory behind a real
// loopback listener.
type testServer struct {
	t     *testing.T
	url   string
	key   string
	db    *index.DB
	h     *Handler
	model *fakeModel
	srv   *httptest.Server
}

func newTestServer(t *testing.T, dir string, tweak func(*Config)) *testServer {
	t.Helper()
	db, err := index.Open(context.Background(), dir, index.Options{})
	require.NoError(t, err)
	model := &fakeModel{dim: 64}
	cfg := Config{DB: db, Models: map[string]Embedder{"fake": model}}
	if tweak != nil {
		tweak(&cfg)
	}
	h, err := NewHandler(cfg)
	require.NoError(t, err)
	ts := &testServer{t: t, db: db, h: h, model: model, key: cfg.APIKey, srv: httptest.NewServer(h)}
	ts.url = ts.srv.URL
	t.Cleanup(ts.close)
	return ts
}

func (ts *testServer) close() {
	if ts.srv != nil {
		ts.srv.Close()
		require.NoError(ts.t, ts.db.Close())
		ts.srv = nil
	}
}

// response is a decoded reply.
type response struct {
	Code   int
	Result json.RawMessage
	Error  string
	Header http.Header
}

// do sends body (a string is sent as is, anything else as JSON) and
// decodes the envelope.
func (ts *testServer) do(method, path string, body any) response {
	ts.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(ts.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, ts.url+path, rd)
	require.NoError(ts.t, err)
	req.Header.Set("Content-Type", "application/json")
	if ts.key != "" {
		req.Header.Set("api-key", ts.key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(ts.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(ts.t, err)
	var env struct {
		Result json.RawMessage `json:"result"`
		Status json.RawMessage `json:"status"`
	}
	require.NoError(ts.t, json.Unmarshal(raw, &env), "body %s", raw)
	out := response{Code: resp.StatusCode, Result: env.Result, Header: resp.Header}
	if resp.StatusCode != http.StatusOK {
		var st struct {
			Error string `json:"error"`
		}
		require.NoError(ts.t, json.Unmarshal(env.Status, &st), "error body %s", raw)
		require.NotEmpty(ts.t, st.Error, "error body %s", raw)
		out.Error = st.Error
	} else {
		require.Equal(ts.t, `"ok"`, string(env.Status), "body %s", raw)
	}
	return out
}

// ok sends a request that must succeed and decodes its result into out.
func (ts *testServer) ok(method, path string, body, out any) {
	ts.t.Helper()
	r := ts.do(method, path, body)
	require.Equal(ts.t, http.StatusOK, r.Code, "%s %s: %s", method, path, r.Error)
	if out != nil {
		// Decode into a fresh value: json.Unmarshal merges into maps.
		fresh := reflect.New(reflect.TypeOf(out).Elem())
		require.NoError(ts.t, json.Unmarshal(r.Result, fresh.Interface()))
		reflect.ValueOf(out).Elem().Set(fresh.Elem())
	}
}

// fails sends a request that must fail with code and an error naming
// every want string.
func (ts *testServer) fails(code int, method, path string, body any, want ...string) {
	ts.t.Helper()
	r := ts.do(method, path, body)
	require.Equal(ts.t, code, r.Code, "%s %s: error %q", method, path, r.Error)
	for _, w := range want {
		require.Contains(ts.t, r.Error, w)
	}
}

// hit is a query result as tests decode it.
type hit struct {
	ID      any            `json:"id"`
	Score   float32        `json:"score"`
	Payload map[string]any `json:"payload"`
	Vector  []float32      `json:"vector"`
}

func ids(hits []hit) []any {
	out := make([]any, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

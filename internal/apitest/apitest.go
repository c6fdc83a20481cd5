// Package apitest starts a real Quiver API server for the tests of packages
// that talk to one over HTTP (client, ingest): an index in a temporary
// directory behind httpapi's handler on a loopback listener, with a small
// deterministic text model. It lives under internal/ because only tests
// import it, and in its own package because those tests are outside httpapi.
package apitest

import (
	"context"
	"hash/fnv"
	"math"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/httpapi"
	"github.com/quiver-db/quiver/index"
)

// ModelName is the name the server knows Model by.
const ModelName = "fake"

// Model embeds a text as the normalised sum of one pseudo-random direction
// per lower-cased word, so texts that share words are near each other.
type Model struct{ D int }

// Dim returns the vector length.
func (m Model) Dim() int { return m.D }

// Encode embeds texts.
func (m Model) Encode(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float64, m.D)
		for _, w := range strings.Fields(strings.ToLower(t)) {
			h := fnv.New64a()
			h.Write([]byte(w))
			x := h.Sum64()
			for j := range v {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				v[j] += float64(x>>40)/float64(1<<24) - 0.5
			}
		}
		var norm float64
		for _, x := range v {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		out[i] = make([]float32, m.D)
		for j, x := range v {
			if norm > 0 {
				out[i][j] = float32(x / norm)
			}
		}
	}
	return out, ctx.Err()
}

// Server is a running API server; Start closes it when the test ends.
type Server struct {
	// URL is the server's base URL.
	URL string
	// DB is the index behind it.
	DB *index.DB
	// Model is the text model served as ModelName.
	Model Model
}

// Start opens an index in a temporary directory and serves it until the
// test ends. tweak, when not nil, adjusts the handler's configuration.
func Start(t testing.TB, tweak func(*httpapi.Config)) *Server {
	t.Helper()
	db, err := index.Open(context.Background(), t.TempDir(), index.Options{})
	require.NoError(t, err)
	s := &Server{DB: db, Model: Model{D: 32}}
	cfg := httpapi.Config{DB: db, Models: map[string]httpapi.Embedder{ModelName: s.Model}}
	if tweak != nil {
		tweak(&cfg)
	}
	h, err := httpapi.NewHandler(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	s.URL = srv.URL
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, db.Close())
	})
	return s
}

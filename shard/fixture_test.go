package shard

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

const testKey = "internal-key"

// fixture is one collection holding every point and the same points
// spread over shards (each an index collection of its own), read through
// a Router over the local shards, one over Clients to an httptest
// server that serves the shards behind an api-key, and one over Clients
// in the stream form to a listener ServeStream serves.
type fixture struct {
	whole   *index.Collection
	parts   []*index.Collection
	local   *Router
	remote  *Router
	stream  *Router
	server  *httptest.Server
	streams *Streams
	addr    string // the stream listener's
	points  []index.Point
}

// readers names the routers, for subtests.
func (f *fixture) readers() map[string]*Router {
	return map[string]*Router{"local": f.local, "remote": f.remote, "stream": f.stream}
}

func newFixture(t testing.TB, cfg index.Config, points []index.Point, shards int) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := index.Open(ctx, t.TempDir(), index.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	f := &fixture{points: points}
	f.whole, err = db.Create(ctx, "whole", cfg)
	require.NoError(t, err)
	require.NoError(t, f.whole.Upsert(ctx, points))
	byShard := make([][]index.Point, shards)
	for _, p := range points {
		i := p.ID.Shard(shards)
		byShard[i] = append(byShard[i], p)
	}
	local := make([]Shard, shards)
	for i := range shards {
		c, err := db.Create(ctx, fmt.Sprintf("part-%d", i), cfg)
		require.NoError(t, err)
		if len(byShard[i]) > 0 {
			require.NoError(t, c.Upsert(ctx, byShard[i]))
		}
		f.parts = append(f.parts, c)
		local[i] = c
	}
	f.local, err = NewRouter("docs", cfg, local)
	require.NoError(t, err)
	f.server = newServer(t, func(collection string, i int) (Shard, error) {
		if collection != "docs" || i >= shards {
			return nil, fmt.Errorf("%w: no shard %s/%d here", index.ErrNotFound, collection, i)
		}
		return f.parts[i], nil
	})
	remote := make([]Shard, shards)
	for i := range shards {
		remote[i] = newClient(t, f.server.URL, "docs", i, 0)
	}
	f.remote, err = NewRouter("docs", cfg, remote)
	require.NoError(t, err)
	f.addr, f.streams = newStreamServer(t, HandlerConfig{Shards: func(collection string, i int) (Shard, error) {
		if collection != "docs" || i >= shards {
			return nil, fmt.Errorf("%w: no shard %s/%d here", index.ErrNotFound, collection, i)
		}
		return f.parts[i], nil
	}})
	stream := make([]Shard, shards)
	for i := range shards {
		stream[i] = newStreamClient(t, f.streams, f.addr, "docs", i, 0)
	}
	f.stream, err = NewRouter("docs", cfg, stream)
	require.NoError(t, err)
	return f
}

// newStreamServer serves the stream form of a Handler of cfg on a
// loopback listener, until the test ends, and returns its address and
// Streams that dial it with plain TCP.
func newStreamServer(t testing.TB, cfg HandlerConfig) (string, *Streams) {
	t.Helper()
	h, err := NewHandler(cfg)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.ServeStream(ln)
	}()
	streams := NewStreams(func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	})
	t.Cleanup(func() {
		streams.Close()
		ln.Close()
		<-done
	})
	return ln.Addr().String(), streams
}

func newStreamClient(t testing.TB, streams *Streams, addr, collection string, shard int, maxResponse int64) *Client {
	t.Helper()
	c, err := NewClient(ClientConfig{URL: "http://" + addr, Streams: streams, StreamAddr: addr, MaxResponseBytes: maxResponse}, collection, shard)
	require.NoError(t, err)
	return c
}

// newServer serves a Handler over shards behind the api-key testKey.
func newServer(t testing.TB, shards func(string, int) (Shard, error)) *httptest.Server {
	t.Helper()
	h, err := NewHandler(HandlerConfig{Shards: shards})
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("api-key") != testKey {
			http.Error(w, `{"status":{"error":"invalid api-key"}}`, http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t testing.TB, url, collection string, shard int, maxResponse int64) *Client {
	t.Helper()
	c, err := NewClient(ClientConfig{URL: url, APIKey: testKey, MaxResponseBytes: maxResponse}, collection, shard)
	require.NoError(t, err)
	return c
}

// testID is point i's id: UUIDs, small integers and integers near 2^64.
func testID(r *rand.Rand, i int) pointid.ID {
	switch i % 3 {
	case 0:
		var u uuid.UUID
		for j := range u {
			u[j] = byte(r.Uint32())
		}
		return pointid.FromUUID(u)
	case 1:
		return pointid.FromNum(uint64(i))
	}
	return pointid.FromNum(^uint64(0) - uint64(i))
}

func randVector(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for j := range v {
		v[j] = float32(r.NormFloat64())
	}
	return v
}

// testPayload holds a tag to filter on, a distinct integer rank to order
// by, and numbers that float64 would round.
func testPayload(r *rand.Rand, i, rank int) map[string]any {
	return map[string]any{
		"tag":   []string{"a", "b", "c"}[i%3],
		"rank":  rank,
		"price": r.Float64() * 100,
		"big":   json.Number("18446744073709551615"),
		"deep":  map[string]any{"n": json.Number("9007199254740993"), "list": []any{json.Number("1"), "x"}},
	}
}

// densePoints are n points with the unnamed vector of dim.
func densePoints(r *rand.Rand, n, dim int) []index.Point {
	pts := make([]index.Point, n)
	ranks := r.Perm(n)
	for i := range pts {
		pts[i] = index.Point{ID: testID(r, i), Vector: randVector(r, dim), Payload: testPayload(r, i, ranks[i])}
	}
	return pts
}

// namedConfig has two dense vectors and a sparse one.
var namedConfig = index.Config{
	Vectors: map[string]index.VectorConfig{
		"a": {Size: 8, Distance: index.Cosine},
		"b": {Size: 4, Distance: index.Euclid},
	},
	SparseVectors:  map[string]index.SparseVectorConfig{"s": {}},
	PayloadIndexes: map[string]index.FieldType{"rank": index.Integer},
}

// namedPoints are n points of namedConfig; some lack "b" or "s".
func namedPoints(r *rand.Rand, n int) []index.Point {
	pts := make([]index.Point, n)
	ranks := r.Perm(n)
	for i := range pts {
		p := index.Point{ID: testID(r, i), Payload: testPayload(r, i, ranks[i]),
			Vectors: map[string][]float32{"a": randVector(r, 8)}}
		if i%4 != 0 {
			p.Vectors["b"] = randVector(r, 4)
		}
		if i%5 != 0 {
			idx := r.Perm(50)[:1+r.IntN(5)]
			sv := sparse.Vector{}
			slices.Sort(idx)
			for _, j := range idx {
				sv.Indices = append(sv.Indices, uint32(j))
				sv.Values = append(sv.Values, float32(r.Float64()+0.1))
			}
			p.Sparse = map[string]sparse.Vector{"s": sv}
		}
		pts[i] = p
	}
	return pts
}

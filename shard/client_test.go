package shard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
	"github.com/quiver-db/quiver/pointid"
)

func TestClientEqualsLocalShard(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	pts := namedPoints(r, 90)
	f := newFixture(t, namedConfig, pts, 2)
	rankPage = 5
	t.Cleanup(func() { rankPage = 1024 })
	local, remote := f.parts[1], f.remote.shards[1]

	// Exact values: an id of 2^64−1, payload integers beyond 2^53.
	maxID := pointid.FromNum(^uint64(0))
	p := index.Point{ID: maxID, Vectors: map[string][]float32{"a": randVector(r, 8)},
		Payload: map[string]any{"n": json.Number("123456789012345678901234567890"), "f": 0.1, "s": "é\u2028"}}
	c := f.parts[maxID.Shard(2)]
	require.NoError(t, c.Upsert(ctx, []index.Point{p}))
	got, err := f.remote.Get(ctx, []pointid.ID{maxID}, all)
	require.NoError(t, err)
	require.Equal(t, maxID, got[0].ID)
	require.Equal(t, json.Number("123456789012345678901234567890"), got[0].Payload["n"])
	require.Equal(t, json.Number("0.1"), got[0].Payload["f"])
	require.Equal(t, "é\u2028", got[0].Payload["s"])

	score := func(v []float32) float32 { return v[0] - v[1] }
	var among []pointid.ID
	for i := 0; i < len(pts); i += 3 {
		among = append(among, pts[i].ID)
	}
	tagB := mustFilter(t, `{"must":[{"key":"tag","match":{"value":"b"}}]}`)
	for _, req := range []index.RankRequest{
		{Using: "a", Score: score, Limit: 12, ReadOptions: all},
		{Using: "b", Score: score, Limit: 7, Offset: 2, Filter: tagB},
		{Using: "a", Score: score, Among: among, Filter: tagB, Limit: 100},
		{Using: "a", Score: score, Among: []pointid.ID{}},
	} {
		want, err := local.Rank(ctx, req)
		require.NoError(t, err)
		got, err := remote.Rank(ctx, req)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err = remote.Rank(ctx, index.RankRequest{Using: "a"})
	require.ErrorIs(t, err, index.ErrBadRequest)
	_, err = remote.Rank(ctx, index.RankRequest{Using: "zz", Score: score})
	require.ErrorIs(t, err, index.ErrBadRequest)
}

func TestClientErrorsKeepTheirKind(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	f := newFixture(t, index.Config{VectorSize: 4, Distance: index.Dot}, densePoints(r, 40, 4), 2)
	for name, client := range map[string]func(collection string, maxResponse int64) *Client{
		"http":   func(c string, max int64) *Client { return newClient(t, f.server.URL, c, 0, max) },
		"stream": func(c string, max int64) *Client { return newStreamClient(t, f.streams, f.addr, c, 0, max) },
	} {
		t.Run(name, func(t *testing.T) {
			remote := client("docs", 0)
			_, err := remote.Search(ctx, index.SearchRequest{Vector: []float32{1}})
			require.ErrorIs(t, err, index.ErrBadRequest, "a wrong size stays a bad request: 400")
			require.Contains(t, err.Error(), "query")
			_, err = remote.Search(ctx, index.SearchRequest{Vector: randVector(r, 4), Filter: &filter.Filter{
				Must: []filter.Condition{{}}}})
			require.True(t, errors.Is(err, index.ErrBadRequest) || errors.Is(err, filter.ErrInvalid), "%v", err)
			_, err = remote.Vectors(ctx, "", []pointid.ID{pointid.FromNum(999999)})
			require.ErrorIs(t, err, index.ErrNotFound)

			_, err = client("other", 0).Count(ctx, nil)
			require.ErrorIs(t, err, index.ErrNotFound, "the node has no such collection")

			big := client("docs", 512)
			_, err = big.Scroll(ctx, index.ScrollRequest{Limit: 40, ReadOptions: all})
			require.ErrorIs(t, err, index.ErrTooLarge, "an answer beyond MaxResponseBytes is refused")
			n, err := big.Count(ctx, nil)
			require.NoError(t, err, "small answers pass")
			require.Positive(t, n)
		})
	}

	noKey, err := NewClient(ClientConfig{URL: f.server.URL}, "docs", 0)
	require.NoError(t, err)
	_, err = noKey.Count(ctx, nil)
	require.ErrorContains(t, err, "status 401")
	require.NotErrorIs(t, err, ErrUnavailable)

	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	_, err = newClient(t, dead.URL, "docs", 0, 0).Count(ctx, nil)
	require.ErrorIs(t, err, ErrUnavailable, "an unreachable node")

	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"status":{"error":"overloaded"}}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(busy.Close)
	_, err = newClient(t, busy.URL, "docs", 0, 0).Count(ctx, nil)
	require.ErrorIs(t, err, ErrUnavailable, "an overloaded node")
}

// blockingShard answers nothing until its call's context ends.
type blockingShard struct{ Shard }

func (blockingShard) Count(ctx context.Context, _ *filter.Filter) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

func TestHandlerHonoursTheCallersDeadline(t *testing.T) {
	done := make(chan error, 1)
	shards := func(string, int) (Shard, error) { return countingShard{done: done}, nil }
	srv := newServer(t, shards)
	addr, streams := newStreamServer(t, HandlerConfig{Shards: shards})
	for name, c := range map[string]*Client{
		"http":   newClient(t, srv.URL, "docs", 0, 0),
		"stream": newStreamClient(t, streams, addr, "docs", 0, 0),
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
			defer cancel()
			_, err := c.Count(ctx, nil)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			select {
			case err := <-done:
				// Its own deadline, sent with the call, or the dropped connection.
				require.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled), "the server gave up too: %v", err)
			case <-time.After(10 * time.Second):
				t.Fatal("the server's call outlived the caller's deadline")
			}
		})
	}
}

func TestHandlerTakesTheTimeoutHeader(t *testing.T) {
	h, err := NewHandler(HandlerConfig{Shards: func(string, int) (Shard, error) { return blockingShard{}, nil }})
	require.NoError(t, err)
	req := httptest.NewRequest("POST", Prefix+"docs/0/count", strings.NewReader("{}"))
	req.Header.Set(timeoutHeader, "50")
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusGatewayTimeout, rec.Code, rec.Body.String())
	require.Less(t, time.Since(start), 5*time.Second)
	var w errorWire
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &w))
	require.ErrorIs(t, errorOf(w), context.DeadlineExceeded, "the kind crosses the wire")
}

// countingShard reports how its blocked Count ended.
type countingShard struct {
	blockingShard
	done chan error
}

func (s countingShard) Count(ctx context.Context, f *filter.Filter) (int, error) {
	n, err := s.blockingShard.Count(ctx, f)
	s.done <- err
	return n, err
}

func TestHandlerRefusesBadCalls(t *testing.T) {
	r := testseed.New(t)
	f := newFixture(t, index.Config{VectorSize: 4, Distance: index.Dot}, densePoints(r, 10, 4), 1)
	h, err := NewHandler(HandlerConfig{Shards: func(string, int) (Shard, error) { return f.parts[0], nil }, MaxBodyBytes: 64})
	require.NoError(t, err)
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", Prefix + "docs/0/count", "", http.StatusBadRequest},
		{"POST", Prefix + "docs/0/nope", "{}", http.StatusNotFound},
		{"POST", Prefix + "docs/x/count", "{}", http.StatusBadRequest},
		{"POST", Prefix + "docs/0", "{}", http.StatusNotFound},
		{"POST", Prefix + "docs/0/count", `{"Filter":{"must":[{"nope":1}]}}`, http.StatusBadRequest},
		{"POST", Prefix + "docs/0/count", `{"Unknown":1}`, http.StatusBadRequest},
		{"POST", Prefix + "docs/0/get", `{"IDs":[` + strings.Repeat("1,", 40) + `1]}`, http.StatusRequestEntityTooLarge},
		{"POST", Prefix + "docs/0/count", `{}`, http.StatusOK},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
		require.Equal(t, tc.status, rec.Code, "%s %s: %s", tc.method, tc.path, rec.Body)
	}
}

// A Client with Leader asks the node's Leader lookup, which may refuse
// (not the leader) with ErrUnavailable; without it, Shards answers. A
// handler without a Leader lookup refuses leader reads.
func TestClientLeaderReadsAskTheLeaderLookup(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	f := newFixture(t, index.Config{VectorSize: 4, Distance: index.Dot}, densePoints(r, 40, 4), 2)
	var leading atomic.Bool
	leading.Store(true)
	h, err := NewHandler(HandlerConfig{
		Shards: func(string, int) (Shard, error) { return f.local.shards[0], nil },
		Leader: func(ctx context.Context, _ string, _ int) (Shard, error) {
			require.NotNil(t, ctx.Done(), "the call's context, with its deadline")
			if !leading.Load() {
				return nil, fmt.Errorf("%w: not the leader", ErrUnavailable)
			}
			return f.whole, nil
		},
	})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	count := func(s Shard) int {
		n, err := s.Count(context.Background(), nil)
		require.NoError(t, err)
		return n
	}
	anyone, err := NewClient(ClientConfig{URL: srv.URL}, "docs", 0)
	require.NoError(t, err)
	leader, err := NewClient(ClientConfig{URL: srv.URL, Leader: true}, "docs", 0)
	require.NoError(t, err)
	require.NotEqual(t, count(f.local.shards[0]), count(f.whole))
	require.Equal(t, count(f.local.shards[0]), count(anyone))
	require.Equal(t, count(f.whole), count(leader))
	leading.Store(false)
	_, err = leader.Count(ctx, nil)
	require.ErrorIs(t, err, ErrUnavailable)

	plain := newServer(t, func(string, int) (Shard, error) { return f.local.shards[0], nil })
	c, err := NewClient(ClientConfig{URL: plain.URL, APIKey: testKey, Leader: true}, "docs", 0)
	require.NoError(t, err)
	_, err = c.Count(ctx, nil)
	require.ErrorIs(t, err, ErrUnavailable)
}

// searchRecorder keeps the last search request it was asked.
type searchRecorder struct {
	Shard
	got chan index.SearchRequest
}

func (s searchRecorder) Search(_ context.Context, req index.SearchRequest) ([]index.ScoredPoint, error) {
	s.got <- req
	return nil, nil
}

// The query vector crosses as float32 bytes, every bit kept; a vector
// whose bytes are not whole float32s is a bad request.
func TestSearchVectorCrossesExactly(t *testing.T) {
	rec := searchRecorder{got: make(chan index.SearchRequest, 1)}
	srv := newServer(t, func(string, int) (Shard, error) { return rec, nil })
	c := newClient(t, srv.URL, "docs", 0, 0)
	vec := []float32{0, float32(math.Copysign(0, -1)), 1e-45, math.MaxFloat32, -math.SmallestNonzeroFloat32, 0.1, float32(math.Inf(1)), float32(math.NaN()), 1.0000001}
	_, err := c.Search(context.Background(), index.SearchRequest{Vector: vec, Limit: 3, Using: "a", Ef: 77})
	require.NoError(t, err)
	got := <-rec.got
	require.Len(t, got.Vector, len(vec))
	for i := range vec {
		require.Equal(t, math.Float32bits(vec[i]), math.Float32bits(got.Vector[i]), "component %d", i)
	}
	require.Equal(t, "a", got.Using)
	require.Equal(t, 77, got.Ef)

	req, err := http.NewRequest(http.MethodPost, srv.URL+Prefix+"docs/0/search", strings.NewReader(`{"Req":{"Limit":3},"Vector":"AAAA","Filter":null}`))
	require.NoError(t, err)
	req.Header.Set("api-key", testKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "3 bytes are no float32s")
}

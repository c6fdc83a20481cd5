package shard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
)

// callCounter serves a fixture's shards and counts the calls by method
// and the connections the clients opened.
type callCounter struct {
	mu    sync.Mutex
	calls map[string]int
	conns int
}

func (c *callCounter) snapshot() (map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls := map[string]int{}
	for k, v := range c.calls {
		calls[k] = v
	}
	return calls, c.conns
}

func newCountedRouter(t *testing.T, f *fixture) (*Router, *callCounter) {
	counter := &callCounter{calls: map[string]int{}}
	h, err := NewHandler(HandlerConfig{Shards: func(_ string, i int) (Shard, error) { return f.parts[i], nil }})
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		counter.mu.Lock()
		counter.calls[path.Base(r.URL.Path)]++
		counter.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			counter.mu.Lock()
			counter.conns++
			counter.mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	shards := make([]Shard, len(f.parts))
	for i := range shards {
		c, err := NewClient(ClientConfig{URL: srv.URL, HTTP: &http.Client{Transport: sharedHTTP.Transport.(*http.Transport).Clone()}}, "docs", i)
		require.NoError(t, err)
		shards[i] = c
	}
	r, err := NewRouter("docs", f.whole.Config(), shards)
	require.NoError(t, err)
	return r, counter
}

// A search of a few points with payloads asks each shard once, for the
// records with the scores; a larger one asks for ids, then reads the kept
// points by id. The calls reuse their connections (keep-alive): a router
// asking 3 shards at once opens at most 3.
func TestSearchCallsAndConnections(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	f := newFixture(t, index.Config{VectorSize: 8, Distance: index.Cosine}, densePoints(r, 300, 8), 3)
	router, counter := newCountedRouter(t, f)
	withPayload := index.ReadOptions{WithPayload: true}
	for _, tc := range []struct {
		limit, offset int
		byID          bool // the kept points read by id after
	}{
		{10, 0, false},
		{10, inlineRecords - 10, false},
		{10, inlineRecords - 9, true},
		{40, 0, true},
	} {
		before, _ := counter.snapshot()
		const searches = 20
		for range searches {
			req := index.SearchRequest{Vector: randVector(r, 8), Limit: tc.limit, Offset: tc.offset, Exact: true, ReadOptions: withPayload}
			want, err := f.whole.Search(ctx, req)
			require.NoError(t, err)
			got, err := router.Search(ctx, req)
			require.NoError(t, err)
			equalUpToTies(t, want, got, "limit %d offset %d", tc.limit, tc.offset)
			for _, p := range got {
				require.NotNil(t, p.Payload)
			}
		}
		after, _ := counter.snapshot()
		msg := fmt.Sprintf("limit %d offset %d", tc.limit, tc.offset)
		require.Equal(t, 3*searches, after[methodSearch]-before[methodSearch], msg)
		gets := after[methodGet] - before[methodGet]
		if tc.byID { // the shards that hold a kept point
			require.GreaterOrEqual(t, gets, searches, msg)
			require.LessOrEqual(t, gets, 3*searches, msg)
		} else {
			require.Zero(t, gets, msg)
		}
		require.Equal(t, 3*searches+gets, sum(after)-sum(before), "%s: no other calls", msg)
	}
	_, conns := counter.snapshot()
	require.LessOrEqual(t, conns, 3, "connections reused, not dialled per call")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// A search called in JSON, without asking for the binary answer (as by
// hand), is answered in JSON with the same points.
func TestSearchAnswersJSONToJSONCallers(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	f := newFixture(t, index.Config{VectorSize: 4, Distance: index.Dot}, densePoints(r, 40, 4), 1)
	req := index.SearchRequest{Vector: randVector(r, 4), Limit: 5, ReadOptions: index.ReadOptions{WithPayload: true}}
	want, err := f.remote.shards[0].Search(ctx, req)
	require.NoError(t, err)
	require.Len(t, want, 5)

	body, err := json.Marshal(searchWire{Req: index.SearchRequest{Limit: 5, ReadOptions: req.ReadOptions}, Vector: float32Bytes(req.Vector)})
	require.NoError(t, err)
	hreq, err := http.NewRequest(http.MethodPost, f.server.URL+Prefix+"docs/0/search", bytes.NewReader(body))
	require.NoError(t, err)
	hreq.Header.Set("api-key", testKey)
	resp, err := http.DefaultClient.Do(hreq)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, jsonContentType, resp.Header.Get("Content-Type"))
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	var got []scoredWire
	require.NoError(t, dec.Decode(&got))
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].ID, got[i].Record.ID)
		require.Equal(t, want[i].Score, got[i].Score)
		require.Equal(t, want[i].Payload, got[i].Record.Payload)
	}
}

// A router over a local shard and remote ones reads the local shard's
// kept points by id (its records cost what they weigh, a read by id no
// more) and asks the remote ones for theirs with a small search's points:
// the same answers as one collection, and no read by id sent to a node.
func TestMixedRouterReadsLocalRecordsByID(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	f := newFixture(t, index.Config{VectorSize: 8, Distance: index.Cosine}, densePoints(r, 300, 8), 3)
	remote, counter := newCountedRouter(t, f)
	mixed, err := NewRouter("docs", f.whole.Config(), []Shard{f.parts[0], remote.shards[1], remote.shards[2]})
	require.NoError(t, err)
	all := index.ReadOptions{WithPayload: true, WithVector: true}
	for _, limit := range []int{1, 10, inlineRecords, 40} {
		before, _ := counter.snapshot()
		req := index.SearchRequest{Vector: randVector(r, 8), Limit: limit, Exact: true, ReadOptions: all}
		want, err := f.whole.Search(ctx, req)
		require.NoError(t, err)
		got, err := mixed.Search(ctx, req)
		require.NoError(t, err)
		equalUpToTies(t, want, got, "limit %d", limit)
		after, _ := counter.snapshot()
		if limit <= inlineRecords {
			require.Zero(t, after[methodGet]-before[methodGet], "limit %d", limit)
		}
		page, err := mixed.Scroll(ctx, index.ScrollRequest{Limit: limit, ReadOptions: all})
		require.NoError(t, err)
		wantPage, err := f.whole.Scroll(ctx, index.ScrollRequest{Limit: limit, ReadOptions: all})
		require.NoError(t, err)
		require.Equal(t, wantPage, page, "scroll limit %d", limit)
	}
}

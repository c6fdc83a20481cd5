package shard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/internal/testseed"
)

func TestStreamToAnUnreachableNode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	ln.Close()
	_, streams := newStreamServer(t, HandlerConfig{Shards: func(string, int) (Shard, error) { return blockingShard{}, nil }})
	_, err = newStreamClient(t, streams, dead, "docs", 0, 0).Count(context.Background(), nil)
	require.ErrorIs(t, err, ErrUnavailable)
}

// A cancelled call returns at once, not at its deadline.
func TestStreamCallIsCancelled(t *testing.T) {
	addr, streams := newStreamServer(t, HandlerConfig{Shards: func(string, int) (Shard, error) { return blockingShard{}, nil }})
	c := newStreamClient(t, streams, addr, "docs", 0, 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Count(ctx, nil)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, time.Since(start), 30*time.Second)
}

// countingListener counts the connections it accepts and keeps them, so
// a test can close them as a server closing idle connections would.
type countingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *countingListener) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func (l *countingListener) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
}

// Calls reuse their connection; one the server closed while it idled is
// replaced without the caller seeing an error.
func TestStreamReusesConnections(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	f := newFixture(t, index.Config{VectorSize: 4, Distance: index.Dot}, densePoints(r, 40, 4), 1)
	h, err := NewHandler(HandlerConfig{Shards: func(string, int) (Shard, error) { return f.parts[0], nil }})
	require.NoError(t, err)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln := &countingListener{Listener: inner}
	go func() { _ = h.ServeStream(ln) }()
	t.Cleanup(func() { ln.Close() })
	streams := NewStreams(func(ctx context.Context, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	})
	t.Cleanup(func() { streams.Close() })
	c := newStreamClient(t, streams, ln.Addr().String(), "docs", 0, 0)
	for range 20 {
		n, err := c.Count(ctx, nil)
		require.NoError(t, err)
		require.Equal(t, 40, n)
	}
	require.Equal(t, 1, ln.count(), "20 calls in turn, one connection")
	ln.closeAll()
	n, err := c.Count(ctx, nil)
	require.NoError(t, err, "the closed idle connection is replaced")
	require.Equal(t, 40, n)
	require.Equal(t, 2, ln.count())

	// Calls at once take a connection each, and give it back: the
	// calls in turn after them open none.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := c.Search(ctx, index.SearchRequest{Vector: []float32{1, 0, 0, 0}, Limit: 3})
			require.NoError(t, err)
		})
	}
	wg.Wait()
	after := ln.count()
	for range 20 {
		_, err := c.Count(ctx, nil)
		require.NoError(t, err)
	}
	require.Equal(t, after, ln.count(), "the connections of the calls at once are kept and reused")
}

// rawCall writes frame on a new connection to addr and reads one answer.
func rawCall(t *testing.T, addr string, frame []byte) (status int, body string, err error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = conn.Write(frame)
	require.NoError(t, err)
	var buf bytes.Buffer
	status, _, err = readAnswer(bufio.NewReader(conn), &buf, 1<<20)
	return status, buf.String(), err
}

func TestStreamRefusesBadFrames(t *testing.T) {
	r := testseed.New(t)
	f := newFixture(t, index.Config{VectorSize: 4, Distance: index.Dot}, densePoints(r, 10, 4), 1)
	addr, _ := newStreamServer(t, HandlerConfig{Shards: func(string, int) (Shard, error) { return f.parts[0], nil }, MaxBodyBytes: 64})
	good, err := appendCall(nil, streamCall{Method: methodCount, Collection: "docs", ContentType: jsonContentType, Body: []byte(`{}`), Timeout: time.Second})
	require.NoError(t, err)
	status, body, err := rawCall(t, addr, good)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status, body)

	wrongVersion := bytes.Clone(good)
	wrongVersion[4] = 9
	status, body, err = rawCall(t, addr, wrongVersion)
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, body, "version 9")

	tooLong := binary.BigEndian.AppendUint32(nil, 1<<31)
	status, body, err = rawCall(t, addr, tooLong)
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestEntityTooLarge, status, "refused by its length, before any byte is read: %s", body)

	short := binary.BigEndian.AppendUint32(nil, 3)
	status, _, err = rawCall(t, addr, append(short, streamVersion, 0, 0))
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, status, "fields past the frame's end")

	for _, tc := range []struct {
		call   streamCall
		status int
	}{
		{streamCall{Method: "nope", Collection: "docs", Body: []byte(`{}`)}, http.StatusNotFound},
		{streamCall{Method: methodCount, Collection: "docs", ContentType: jsonContentType, Body: []byte(`{"Unknown":1}`)}, http.StatusBadRequest},
		{streamCall{Method: methodGet, Collection: "docs", Body: bytes.Repeat([]byte("1"), 200)}, http.StatusRequestEntityTooLarge},
	} {
		frame, err := appendCall(nil, tc.call)
		require.NoError(t, err)
		status, body, err := rawCall(t, addr, frame)
		require.NoError(t, err)
		require.Equal(t, tc.status, status, "%s: %s", tc.call.Method, body)
	}

	// A connection cut mid-frame is dropped; the server serves on.
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	_, err = conn.Write(good[:len(good)-3])
	require.NoError(t, err)
	conn.Close()
	status, _, err = rawCall(t, addr, good)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
}

func TestStreamBoundsItsConnections(t *testing.T) {
	addr, _ := newStreamServer(t, HandlerConfig{Shards: func(string, int) (Shard, error) { return blockingShard{}, nil }, MaxStreamConns: 1})
	first, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer first.Close()
	call, err := appendCall(nil, streamCall{Method: methodCount, Collection: "docs", Body: []byte(`{}`), Timeout: 5 * time.Second})
	require.NoError(t, err)
	_, err = first.Write(call) // blocks on the server
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		second, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer second.Close()
		require.NoError(t, second.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, err = second.Read(make([]byte, 1))
		return errors.Is(err, io.EOF) // closed at once, not served
	}, 10*time.Second, 20*time.Millisecond)
}

// The leader flag crosses: a leader's read asks the Leader lookup.
func TestStreamLeaderReads(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	f := newFixture(t, index.Config{VectorSize: 4, Distance: index.Dot}, densePoints(r, 40, 4), 2)
	var asked atomic.Int32
	addr, streams := newStreamServer(t, HandlerConfig{
		Shards: func(string, int) (Shard, error) { return f.parts[0], nil },
		Leader: func(context.Context, string, int) (Shard, error) { asked.Add(1); return f.whole, nil },
	})
	leader, err := NewClient(ClientConfig{URL: "http://" + addr, Streams: streams, StreamAddr: addr, Leader: true}, "docs", 0)
	require.NoError(t, err)
	n, err := leader.Count(ctx, &filter.Filter{})
	require.NoError(t, err)
	require.Equal(t, 40, n, "the whole collection, the Leader lookup's")
	require.EqualValues(t, 1, asked.Load())
	n, err = newStreamClient(t, streams, addr, "docs", 0, 0).Count(ctx, nil)
	require.NoError(t, err)
	require.Less(t, n, 40, "shard 0 alone")
}

func TestStreamCallRoundTrip(t *testing.T) {
	in := streamCall{Leader: true, Timeout: 1234 * time.Millisecond, Method: methodSearch, Collection: "docs", Shard: 7,
		ContentType: searchContentType, Accept: scoredContentType, Body: []byte{1, 2, 3}}
	frame, err := appendCall(nil, in)
	require.NoError(t, err)
	var buf bytes.Buffer
	out, err := readCall(bufio.NewReader(bytes.NewReader(frame)), &buf, 64)
	require.NoError(t, err)
	require.Equal(t, in, out)
	_, err = appendCall(nil, streamCall{Method: string(make([]byte, 300))})
	require.Error(t, err, "a method beyond a byte's length")
}

func FuzzParseCall(f *testing.F) {
	frame, err := appendCall(nil, streamCall{Method: methodCount, Collection: "docs", Shard: 1, ContentType: jsonContentType, Body: []byte(`{}`)})
	require.NoError(f, err)
	f.Add(frame[4:])
	f.Add([]byte{streamVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseCall(b)
		if err != nil {
			require.ErrorIs(t, err, index.ErrBadRequest)
			return
		}
		again, err := appendCall(nil, c)
		require.NoError(t, err)
		back, err := parseCall(again[4:])
		require.NoError(t, err)
		require.Equal(t, c.Leader, back.Leader)
		require.Equal(t, c.Method, back.Method)
		require.Equal(t, c.Collection, back.Collection)
		require.Equal(t, c.Shard, back.Shard)
		require.Equal(t, c.Body, back.Body)
	})
}

// A node that closes the stream's connections unanswered, as one whose
// Mux serves no StreamGroup does, is asked over HTTP.
func TestStreamFallsBackToHTTP(t *testing.T) {
	ctx := context.Background()
	r := testseed.New(t)
	f := newFixture(t, index.Config{VectorSize: 4, Distance: index.Dot}, densePoints(r, 40, 4), 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	c, err := NewClient(ClientConfig{URL: f.server.URL, APIKey: testKey, Streams: f.streams, StreamAddr: ln.Addr().String()}, "docs", 0)
	require.NoError(t, err)
	n, err := c.Count(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, 40, n)
}

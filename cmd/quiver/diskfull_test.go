package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/pointid"
	"github.com/stretchr/testify/require"
)

// TestServeDiskFull runs the server on a 24 MiB tmpfs and upserts until the
// disk is full: every refused upsert must answer 507 promptly (never hang
// to the request timeout), reads go on, nothing refused is applied, and
// once space is freed upserts succeed again without a restart; after a
// restart every acknowledged point is there. It needs root to mount the
// tmpfs and is skipped, saying so, where that is not possible.
func TestServeDiskFull(t *testing.T) {
	mnt := mountTmpfs(t, "24m")
	// A filler file stands for what an operator deletes to free space.
	filler := filepath.Join(mnt, "filler")
	require.NoError(t, os.WriteFile(filler, make([]byte, 8<<20), 0o644))
	data := filepath.Join(mnt, "data")

	ctx := context.Background()
	srv := startServe(t, data)
	t.Cleanup(func() { srv.stop(t) }) // before the tmpfs is unmounted
	c := &client.Client{URL: srv.url}
	require.NoError(t, c.CreateCollection(ctx, "c", map[string]any{"size": 32, "distance": "Euclid"}))

	r := rand.New(rand.NewPCG(1, 2))
	acked := map[uint64]string{}
	next := uint64(0)
	upsert := func(ids []uint64) (time.Duration, error) {
		pts := make([]client.Point, len(ids))
		pads := make([]string, len(ids))
		for i, id := range ids {
			pad := make([]byte, 4000)
			for j := range pad {
				pad[j] = 'a' + byte(r.IntN(26))
			}
			vec := make([]float32, 32)
			for j := range vec {
				vec[j] = r.Float32()
			}
			pads[i] = string(pad)
			pts[i] = client.Point{ID: pointid.FromNum(id), Vector: vec, Payload: map[string]any{"pad": pads[i]}}
		}
		start := time.Now()
		err := c.Upsert(ctx, "c", pts)
		if err == nil {
			for i, id := range ids {
				acked[id] = pads[i]
			}
		}
		return time.Since(start), err
	}
	batch := func() []uint64 {
		ids := make([]uint64, 20)
		for i := range ids {
			ids[i] = next
			next++
		}
		return ids
	}

	// Upsert until the store refuses writes as a whole (not only one that
	// does not fit above the reserve), each answer prompt: the server's
	// request timeout is 20s.
	const prompt = 8 * time.Second
	var refused []uint64
	var toError time.Duration
	for try := 0; ; try++ {
		require.Less(t, try, 1000, "the disk never filled")
		ids := batch()
		took, err := upsert(ids)
		if err == nil {
			require.Less(t, took, 2*prompt, "an accepted upsert took %v", took)
			continue
		}
		require.ErrorIs(t, err, client.ErrInsufficientStorage, "want 507, got %v", err)
		require.Less(t, took, prompt, "a 507 took %v", took)
		if toError == 0 {
			toError = took
		}
		if !strings.Contains(err.Error(), "does not fit") {
			refused = ids
			break
		}
	}
	t.Logf("disk full after %d acknowledged points; first 507 in %v", len(acked), toError)

	start := time.Now()
	for range 5 {
		took, err := upsert(refused)
		require.ErrorIs(t, err, client.ErrInsufficientStorage)
		require.ErrorContains(t, err, "disk")
		require.Less(t, took, prompt)
	}
	recs, err := c.Retrieve(ctx, "c", []pointid.ID{pointid.FromNum(0)}, client.RetrieveOptions{WithPayload: true})
	require.NoError(t, err, "reads go on while the disk is full")
	require.Len(t, recs, 1)
	err = c.Do(ctx, http.MethodPost, "/collections/c/points/delete?wait=true", map[string]any{"points": []uint64{0}}, nil)
	require.ErrorIs(t, err, client.ErrInsufficientStorage)
	err = c.CreateCollection(ctx, "other", map[string]any{"size": 4, "distance": "Dot"})
	require.ErrorIs(t, err, client.ErrInsufficientStorage)
	t.Logf("5 refused upserts, a read, a refused delete and a refused create in %v", time.Since(start))

	require.NoError(t, os.Remove(filler))
	freed := time.Now()
	for {
		_, err := upsert(refused)
		if err == nil {
			break
		}
		require.ErrorIs(t, err, client.ErrInsufficientStorage)
		require.Less(t, time.Since(freed), 30*time.Second, "writes not taken again after space was freed")
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("upserts taken again %v after space was freed", time.Since(freed))
	for range 3 {
		_, err := upsert(batch())
		require.NoError(t, err)
	}

	srv.stop(t)
	srv = startServe(t, data)
	c = &client.Client{URL: srv.url}
	var count struct {
		Count int `json:"count"`
	}
	require.NoError(t, c.Do(ctx, http.MethodPost, "/collections/c/points/count", map[string]any{"exact": true}, &count))
	require.Equal(t, len(acked), count.Count, "points after a restart")
	ids := make([]pointid.ID, 0, len(acked))
	for id := range acked {
		ids = append(ids, pointid.FromNum(id))
	}
	recs, err = c.Retrieve(ctx, "c", ids, client.RetrieveOptions{WithPayload: true})
	require.NoError(t, err)
	require.Len(t, recs, len(acked))
	for _, rec := range recs {
		n, _ := rec.ID.Num()
		require.Equal(t, acked[n], rec.Payload["pad"], "point %d", n)
	}
}

// mountTmpfs mounts a tmpfs of size under a temporary directory, or skips
// the test when it cannot.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a tmpfs (needs root and CAP_SYS_ADMIN): %v: %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// served is a server run by runServe in this process.
type served struct {
	url    string
	cancel context.CancelFunc
	done   chan error
}

// startServe runs quiver serve on data and waits until it is ready. Its
// log goes to the test's log.
func startServe(t *testing.T, data string) *served {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(testWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(func() { slog.SetDefault(prev) })
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{url: "http://" + addr, cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- runServe(ctx, []string{"--addr", addr, "--data", data, "--model", "", "--request-timeout", "20s"})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("server ended before it was ready: %v", err)
		default:
		}
		require.True(t, time.Now().Before(deadline), "server not ready: %v", err)
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *served) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("server did not stop")
	}
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t *testing.T }

var logMu sync.Mutex

func (w testWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

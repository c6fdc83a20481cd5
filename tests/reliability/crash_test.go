package reliability

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/quiver-db/quiver/client"
	"github.com/quiver-db/quiver/pointid"
	"github.com/stretchr/testify/require"
)

// Knobs of TestCrashHTTP; make bench-reliability raises the cycles.
const (
	envCycles   = "QUIVER_HTTP_CRASH_CYCLES" // default 3
	crashDim    = 8
	idsPerOwner = 40
	writers     = 4
	readers     = 2
)

// op is one write to an id: an upsert of version ver, or a delete.
type op struct {
	ver     int
	deleted bool
}

// history is what the test knows of one id: every op begun, in order
// (one writer owns each id, so they never overlap), and how many of them
// the server acknowledged.
type history struct {
	mu    sync.Mutex
	ops   []op
	acked int
}

func (h *history) begin(o op) {
	h.mu.Lock()
	h.ops = append(h.ops, o)
	h.mu.Unlock()
}

func (h *history) ack() {
	h.mu.Lock()
	h.acked = len(h.ops)
	h.mu.Unlock()
}

// window returns the states a read may see now: from the last
// acknowledged op (or "absent" before any) to the last begun.
func (h *history) window() (from int, ops []op) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.acked, append([]op(nil), h.ops...)
}

// allows reports whether seeing (present, ver) is consistent with an
// acknowledged prefix of at least from ops and a begun prefix of ops.
func allows(from int, ops []op, present bool, ver int) bool {
	start := from - 1 // the state after the last acknowledged op
	for i := max(start, -1); i < len(ops); i++ {
		if i < 0 {
			if !present {
				return true
			}
			continue
		}
		if ops[i].deleted != present && (!present || ops[i].ver == ver) {
			return true
		}
	}
	return false
}

func crashVector(id, ver int) []float32 {
	r := rand.New(rand.NewPCG(uint64(id), uint64(ver)))
	v := make([]float32, crashDim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// TestCrashHTTP runs writers, deleters and readers against a real server,
// kills it with SIGKILL at a random moment, restarts it and checks that
// every acknowledged write is there with its vector and payload, that no
// acknowledged delete came back, that reads never went back in time, and
// that each live point is found by a graph search for its own vector.
func TestCrashHTTP(t *testing.T) {
	cycles := 3
	if s := os.Getenv(envCycles); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err, envCycles)
		cycles = n
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	dir := t.TempDir()
	hist := make([]*history, writers*idsPerOwner)
	for i := range hist {
		hist[i] = &history{}
	}
	srv := startServer(t, dir)
	cl := &client.Client{URL: srv.url, HTTP: &http.Client{Timeout: 30 * time.Second}}
	require.NoError(t, cl.CreateCollection(context.Background(), "crash", map[string]any{"size": crashDim, "distance": "Cosine"}))
	totalAcked, totalChecked := 0, 0
	for cycle := range cycles {
		acked := runUntilKill(t, srv, cl, hist, r)
		totalAcked += acked
		srv = startServer(t, dir)
		cl = &client.Client{URL: srv.url, HTTP: &http.Client{Timeout: 30 * time.Second}}
		totalChecked += verify(t, cl, hist)
		t.Logf("cycle %d: %d writes acknowledged, state verified", cycle+1, acked)
	}
	srv.kill()
	t.Logf("%d cycles, %d acknowledged writes, %d id states verified, 0 lost", cycles, totalAcked, totalChecked)
}

// runUntilKill drives the workload, SIGKILLs the server after a random
// delay, stops the workers and returns the writes acknowledged.
func runUntilKill(t *testing.T, srv *server, cl *client.Client, hist []*history, r *rand.Rand) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	var failure error
	fail := func(err error) {
		mu.Lock()
		if failure == nil {
			failure = err
		}
		mu.Unlock()
		cancel()
	}
	for w := range writers {
		wr := rand.New(rand.NewPCG(r.Uint64(), uint64(w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				id := w*idsPerOwner + wr.IntN(idsPerOwner)
				h := hist[id]
				_, ops := h.window()
				ver := len(ops) + 1
				var err error
				if wr.IntN(5) == 0 {
					h.begin(op{ver: ver, deleted: true})
					err = cl.Do(ctx, "POST", "/collections/crash/points/delete?wait=true",
						map[string]any{"points": []any{id}}, nil)
				} else {
					h.begin(op{ver: ver})
					err = cl.Upsert(ctx, "crash", []client.Point{{ID: pointid.FromNum(uint64(id)), Vector: crashVector(id, ver),
						Payload: map[string]any{"id": id, "ver": ver, "text": fmt.Sprintf("point %d version %d", id, ver)}}})
				}
				if err != nil {
					return // the server died; this op stays begun, unacknowledged
				}
				h.ack()
				mu.Lock()
				acked++
				mu.Unlock()
			}
		}()
	}
	for rd := range readers {
		rr := rand.New(rand.NewPCG(r.Uint64(), uint64(100+rd)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				id := rr.IntN(len(hist))
				from, _ := hist[id].window()
				recs, err := cl.Retrieve(ctx, "crash", []pointid.ID{pointid.FromNum(uint64(id))}, client.RetrieveOptions{WithPayload: true})
				if err != nil {
					return
				}
				_, ops := hist[id].window()
				present, ver := len(recs) == 1, 0
				if present {
					ver = payloadVer(recs[0].Payload)
				}
				if !allows(from, ops, present, ver) {
					fail(fmt.Errorf("read of id %d saw present=%v ver=%d; acknowledged %d of ops %v", id, present, ver, from, ops))
					return
				}
			}
		}()
	}
	time.Sleep(time.Duration(300+r.IntN(1500)) * time.Millisecond)
	srv.kill()
	wg.Wait()
	require.NoError(t, failure)
	return acked
}

func payloadVer(p map[string]any) int {
	switch v := p["ver"].(type) {
	case float64:
		return int(v)
	case string:
		n, _ := strconv.Atoi(v)
		return n
	}
	return -1
}

// verify checks every id against its history after a restart, settles
// the in-flight op (it happened or not) so the next cycle starts from
// what the server holds, and searches the graph for each live point.
func verify(t *testing.T, cl *client.Client, hist []*history) int {
	ctx := context.Background()
	ids := make([]pointid.ID, len(hist))
	for i := range ids {
		ids[i] = pointid.FromNum(uint64(i))
	}
	recs, err := cl.Retrieve(ctx, "crash", ids, client.RetrieveOptions{WithPayload: true, WithVector: true})
	require.NoError(t, err)
	got := map[int]client.Record{}
	for _, rec := range recs {
		n, _ := rec.ID.Num()
		got[int(n)] = rec
	}
	for id, h := range hist {
		rec, present := got[id]
		ver := 0
		if present {
			ver = payloadVer(rec.Payload)
		}
		from, ops := h.window()
		require.True(t, allows(from, ops, present, ver),
			"id %d after restart: present=%v ver=%d, but %d of ops %v were acknowledged", id, present, ver, from, ops)
		// Settle: the server's state is now the truth for this id.
		h.mu.Lock()
		for len(h.ops) > h.acked {
			last := h.ops[len(h.ops)-1]
			if last.deleted != present && (!present || last.ver == ver) {
				break
			}
			h.ops = h.ops[:len(h.ops)-1]
		}
		h.acked = len(h.ops)
		h.mu.Unlock()
		if !present {
			continue
		}
		want := crashVector(id, ver)
		require.InDelta(t, 1, cosine(want, rec.Vector), 1e-5, "id %d ver %d: stored vector differs", id, ver)
		require.Equal(t, fmt.Sprintf("point %d version %d", id, ver), rec.Payload["text"])
		hits, err := cl.Query(ctx, "crash", map[string]any{"query": want, "limit": 5, "params": map[string]any{"hnsw_ef": 200}})
		require.NoError(t, err)
		found := false
		for _, hit := range hits {
			found = found || hit.ID == rec.ID
		}
		require.True(t, found, "id %d: a graph search for its own vector misses it", id)
	}
	return len(hist)
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// TestAllows pins the history check itself: it must refuse a lost
// acknowledged write, a resurrected delete and a read from the future.
func TestAllows(t *testing.T) {
	ops := []op{{ver: 1}, {ver: 2, deleted: true}, {ver: 3}}
	require.True(t, allows(0, nil, false, 0), "nothing written, absent")
	require.False(t, allows(0, nil, true, 1), "nothing written, present")
	require.True(t, allows(1, ops[:1], true, 1))
	require.False(t, allows(1, ops[:1], false, 0), "an acknowledged upsert lost")
	require.True(t, allows(1, ops[:2], false, 0), "the in-flight delete applied")
	require.False(t, allows(2, ops[:2], true, 1), "an acknowledged delete came back")
	require.True(t, allows(2, ops, true, 3), "the in-flight upsert applied")
	require.False(t, allows(2, ops, true, 4), "a version never written")
	require.False(t, allows(3, ops, true, 1), "an older version after a newer one was acknowledged")
}

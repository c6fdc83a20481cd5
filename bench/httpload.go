package bench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/quiver-db/quiver/index"
)

// A queryRunner answers query i of the data set one way (in process, over
// a raw keep-alive connection, through net/http's client). It times the
// part that counts itself: over HTTP, from the first byte written to the
// last byte of the answer read, so the client's JSON decoding of the
// answer is left out, as a load generator such as wrk leaves it out.
type queryRunner interface {
	query(ctx context.Context, i int) (queryAnswer, error)
	close()
}

// queryAnswer is one answered query.
type queryAnswer struct {
	ids     []uint64
	latency time.Duration
	// server is the handler's own time from the envelope, search the
	// time in the index from the Server-Timing header; zero in process.
	server, search time.Duration
}

// inProcessRunner searches the collection directly.
type inProcessRunner struct {
	col     *index.Collection
	queries []float32
	dim     int
	k, ef   int
	ivf     index.IVFSearch
}

func (r inProcessRunner) query(ctx context.Context, i int) (queryAnswer, error) {
	t := time.Now()
	hits, err := r.col.Search(ctx, index.SearchRequest{Vector: r.queries[i*r.dim : (i+1)*r.dim], Limit: r.k, Ef: r.ef, IVF: r.ivf})
	lat := time.Since(t)
	if err != nil {
		return queryAnswer{}, err
	}
	ids := make([]uint64, len(hits))
	for j, h := range hits {
		ids[j], _ = h.ID.Num()
	}
	return queryAnswer{ids: ids, latency: lat}, nil
}

func (inProcessRunner) close() {}

// idleGap is how long idleRunner leaves its core idle before a query:
// about what an HTTP round trip leaves the server's core idle here.
const idleGap = 200 * time.Microsecond

// idleRunner searches in process after sleeping idleGap; the sleep is
// not timed.
type idleRunner struct{ inProcessRunner }

func (r idleRunner) query(ctx context.Context, i int) (queryAnswer, error) {
	time.Sleep(idleGap)
	return r.inProcessRunner.query(ctx, i)
}

// connRunner sends HTTP/1.1 requests on one keep-alive TCP connection and
// reads each answer on the calling goroutine, the way wrk and other load
// generators do: no connection pool, no per-connection reader and writer
// goroutines between the caller and the socket.
type connRunner struct {
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	path   string
	host   string
	bodies [][]byte
}

func dialRunner(addr, path string, bodies [][]byte) (*connRunner, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &connRunner{conn: conn, br: bufio.NewReaderSize(conn, 64<<10), bw: bufio.NewWriterSize(conn, 16<<10),
		path: path, host: addr, bodies: bodies}, nil
}

func (r *connRunner) query(ctx context.Context, i int) (queryAnswer, error) {
	resp, raw, lat, err := r.roundTrip(i)
	if err != nil {
		return queryAnswer{}, err
	}
	return decodeAnswer(resp, raw, lat)
}

// roundTrip sends query i and reads the whole answer.
func (r *connRunner) roundTrip(i int) (*http.Response, []byte, time.Duration, error) {
	body := r.bodies[i]
	// A server that stops answering fails the run instead of hanging it.
	if err := r.conn.SetDeadline(time.Now().Add(time.Minute)); err != nil {
		return nil, nil, 0, err
	}
	t := time.Now()
	// Accept-Encoding as HTTP client libraries send it: the server decides
	// whether compressing pays.
	fmt.Fprintf(r.bw, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\nContent-Length: %d\r\n\r\n",
		r.path, r.host, len(body))
	r.bw.Write(body)
	if err := r.bw.Flush(); err != nil {
		return nil, nil, 0, fmt.Errorf("send query %d: %w", i, err)
	}
	resp, err := http.ReadResponse(r.br, nil)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read answer %d: %w", i, err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, 0, fmt.Errorf("read answer %d: %w", i, err)
	}
	return resp, raw, time.Since(t), nil
}

func (r *connRunner) close() { r.conn.Close() }

// clientRunner sends each query through a net/http Client, as most Go
// applications would.
type clientRunner struct {
	hc     *http.Client
	url    string
	bodies [][]byte
}

func (r clientRunner) query(ctx context.Context, i int) (queryAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(r.bodies[i]))
	if err != nil {
		return queryAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	t := time.Now()
	resp, err := r.hc.Do(req)
	if err != nil {
		return queryAnswer{}, fmt.Errorf("query %d: %w", i, err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	lat := time.Since(t)
	if err != nil {
		return queryAnswer{}, fmt.Errorf("read answer %d: %w", i, err)
	}
	return decodeAnswer(resp, raw, lat)
}

func (clientRunner) close() {}

// decodeAnswer reads the ids and the server's time from a query answer.
func decodeAnswer(resp *http.Response, raw []byte, lat time.Duration) (queryAnswer, error) {
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return queryAnswer{}, fmt.Errorf("answer: %w", err)
		}
		if raw, err = io.ReadAll(zr); err != nil {
			return queryAnswer{}, fmt.Errorf("answer: %w", err)
		}
	}
	if resp.StatusCode != http.StatusOK {
		return queryAnswer{}, fmt.Errorf("server answered %d: %.200s", resp.StatusCode, raw)
	}
	var env struct {
		Result struct {
			Points []struct {
				ID json.Number `json:"id"`
			} `json:"points"`
		} `json:"result"`
		Time float64 `json:"time"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return queryAnswer{}, fmt.Errorf("decode answer: %w", err)
	}
	ids := make([]uint64, len(env.Result.Points))
	for j, p := range env.Result.Points {
		id, err := strconv.ParseUint(string(p.ID), 10, 64)
		if err != nil {
			return queryAnswer{}, fmt.Errorf("answer id %s: %w", p.ID, err)
		}
		ids[j] = id
	}
	return queryAnswer{ids: ids, latency: lat, server: time.Duration(env.Time * 1e9), search: searchTiming(resp.Header)}, nil
}

// searchTiming reads the search metric of a Server-Timing header, such as
// "search;dur=0.412" (milliseconds); zero when there is none.
func searchTiming(h http.Header) time.Duration {
	for _, v := range h.Values("Server-Timing") {
		for _, metric := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(metric), ";")
			if name != "search" {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				if ms, ok := strings.CutPrefix(strings.TrimSpace(p), "dur="); ok {
					if f, err := strconv.ParseFloat(ms, 64); err == nil {
						return time.Duration(f * 1e6)
					}
				}
			}
		}
	}
	return 0
}

// startFloorServer starts a bare net/http server whose handler reads the
// body, stays busy for work and sends answer: what HTTP costs on this
// machine when the server adds nothing of its own. It spins rather than
// sleeps because a search keeps its core busy; an idle core wakes slower.
func startFloorServer(work time.Duration, answer []byte) (addr string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		for t := time.Now(); time.Since(t) < work; {
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
		w.Write(answer)
	})}
	go srv.Serve(ln)
	return ln.Addr().String(), func() { srv.Close() }, nil
}

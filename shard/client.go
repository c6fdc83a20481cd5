package shard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

// ClientConfig says how a Client reaches a node. Zero fields take the
// defaults their comments state.
type ClientConfig struct {
	// URL is the base URL of the node's HTTP API, where its Handler is
	// mounted at Prefix ("http://10.0.0.2:6333"); required.
	URL string
	// HTTP makes the calls. Nil means a client shared by all Clients
	// that keeps up to 64 idle connections a node (http.DefaultClient
	// keeps 2, and a router calls every shard at once) and asks for no
	// gzip (nodes share a fast network; compressing float vectors costs
	// both nodes CPU for little). A call's context bounds it (see
	// Timeout), so the client needs no timeout of its own.
	HTTP *http.Client
	// APIKey, when set, is sent in the api-key header: the node's API
	// authenticates internal calls as it does every other.
	APIKey string
	// MaxResponseBytes bounds an answer; a larger one is refused with an
	// index.ErrTooLarge error. Zero means 256 MiB.
	MaxResponseBytes int64
	// Timeout bounds a call whose context has no deadline. Zero means 30s.
	Timeout time.Duration
	// Streams and StreamAddr, when both are set, carry the calls in the
	// stream form (stream.go) on a connection to StreamAddr kept open,
	// instead of over HTTP; URL still names the node in errors.
	Streams    *Streams
	StreamAddr string
	// Leader, when set, asks the node for its replica only if it leads
	// the shard's group, read after a barrier on it (a linearizable
	// read); a node that does not lead it answers ErrUnavailable, so the
	// caller can try the next replica.
	Leader bool
}

// Client is one shard of a collection on another node, a Shard over the
// RPC its Handler serves. It is safe for concurrent use.
type Client struct {
	cfg        ClientConfig
	base       string // URL up to the method: …/internal/shards/{collection}/{shard}/
	name       string // collection/shard, for errors
	collection string
	shard      int
}

// NewClient returns the client of shard shard of collection on the node
// cfg names.
func NewClient(cfg ClientConfig, collection string, shard int) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("shard client: URL %q: want scheme://host[:port]", cfg.URL)
	}
	if !index.ValidName(collection) || shard < 0 {
		return nil, fmt.Errorf("shard client: collection %q, shard %d: want a valid name and a shard ≥ 0", collection, shard)
	}
	if cfg.MaxResponseBytes < 0 || cfg.Timeout < 0 {
		return nil, errors.New("shard client: limits must not be negative")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = sharedHTTP
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = 256 << 20
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	base := strings.TrimSuffix(cfg.URL, "/") + Prefix + url.PathEscape(collection) + "/" + strconv.Itoa(shard) + "/"
	return &Client{cfg: cfg, base: base, name: fmt.Sprintf("%s/%d", collection, shard), collection: collection, shard: shard}, nil
}

var _ Shard = (*Client)(nil)

// sharedHTTP is the default ClientConfig.HTTP.
var sharedHTTP = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.DisableCompression = true
	return &http.Client{Transport: t}
}()

// call posts in to method as JSON and decodes the JSON answer into out.
func (c *Client) call(ctx context.Context, method string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("shard %s: %s: encode: %w", c.name, method, err)
	}
	return c.post(ctx, method, jsonContentType, body, "", func(_ string, data []byte) error {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber() // payload integers beyond 2^53 stay exact
		return dec.Decode(out)
	})
}

// post posts body, of content type ctype, to method, asking for an
// answer of type accept when not empty, and hands a 200 answer's type and
// bytes to decode, which must copy what it keeps.
func (c *Client) post(ctx context.Context, method, ctype string, body []byte, accept string, decode func(ctype string, data []byte) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	buf := getBuffer()
	defer putBuffer(buf) // decode copies what it keeps
	exchange := c.exchangeHTTP
	if c.cfg.Streams != nil && c.cfg.StreamAddr != "" {
		exchange = c.exchangeStream
	}
	status, atype, err := exchange(ctx, method, ctype, body, accept, buf)
	if errors.Is(err, errStreamHungUp) {
		status, atype, err = c.exchangeHTTP(ctx, method, ctype, body, accept, buf)
	}
	if err != nil {
		switch {
		case errors.Is(err, index.ErrTooLarge):
			return fmt.Errorf("%w: shard %s: %s: answer beyond %d bytes", index.ErrTooLarge, c.name, method, c.cfg.MaxResponseBytes)
		case ctx.Err() != nil:
			return fmt.Errorf("shard %s: %s: %w", c.name, method, ctx.Err())
		case errors.Is(err, context.DeadlineExceeded): // the stream's deadline, before the context's timer
			return fmt.Errorf("shard %s: %s: %w", c.name, method, err)
		}
		return fmt.Errorf("%w: shard %s at %s: %s: %v", ErrUnavailable, c.name, c.cfg.URL, method, err)
	}
	if status != http.StatusOK {
		return c.answerErr(method, status, buf.Bytes())
	}
	if err := decode(atype, buf.Bytes()); err != nil {
		return fmt.Errorf("shard %s: %s: decode the answer: %w", c.name, method, err)
	}
	return nil
}

// exchangeHTTP posts a call over HTTP and reads the answer's body into
// buf, returning its status and content type.
func (c *Client) exchangeHTTP(ctx context.Context, method, ctype string, body []byte, accept string, buf *bytes.Buffer) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+method, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", ctype)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if c.cfg.Leader {
		req.Header.Set(ReadHeader, "leader")
	}
	if c.cfg.APIKey != "" {
		req.Header.Set("api-key", c.cfg.APIKey)
	}
	deadline, _ := ctx.Deadline()
	req.Header.Set(timeoutHeader, strconv.FormatInt(max(time.Until(deadline).Milliseconds(), 1), 10))
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	// Read to the end, so the connection goes back to the pool.
	if err := readAll(buf, resp.Body, c.cfg.MaxResponseBytes); err != nil {
		if !errors.Is(err, index.ErrTooLarge) {
			err = fmt.Errorf("reading the answer: %w", err)
		}
		return 0, "", err
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), nil
}

// exchangeStream is exchangeHTTP in the stream form, on a connection
// ClientConfig.Streams keeps open.
func (c *Client) exchangeStream(ctx context.Context, method, ctype string, body []byte, accept string, buf *bytes.Buffer) (int, string, error) {
	deadline, _ := ctx.Deadline()
	call := streamCall{Leader: c.cfg.Leader, Timeout: time.Until(deadline), Method: method, Collection: c.collection, Shard: c.shard,
		ContentType: ctype, Accept: accept, Body: body}
	return c.cfg.Streams.call(ctx, c.cfg.StreamAddr, call, buf, c.cfg.MaxResponseBytes)
}

// scored posts a search's body to method and reads the scored points it
// answers in their binary form.
func (c *Client) scored(ctx context.Context, method, ctype string, body []byte) ([]index.ScoredPoint, error) {
	var out []index.ScoredPoint
	err := c.post(ctx, method, ctype, body, scoredContentType, func(ctype string, data []byte) error {
		if ctype != scoredContentType {
			return fmt.Errorf("answer of type %q, want %q", ctype, scoredContentType)
		}
		var err error
		out, err = parseScored(data)
		return err
	})
	return out, err
}

// answerErr is the error of a non-200 answer: the shard's own, with its
// kind, or for an answer from elsewhere (a proxy, the API's auth or
// overload checks) one by its status.
func (c *Client) answerErr(method string, status int, data []byte) error {
	var w errorWire
	if json.Unmarshal(data, &w) == nil && w.Kind != "" {
		return fmt.Errorf("shard %s: %w", c.name, errorOf(w))
	}
	text := string(data[:min(len(data), 200)])
	switch status {
	case http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusGatewayTimeout:
		return fmt.Errorf("%w: shard %s at %s: %s: status %d: %s", ErrUnavailable, c.name, c.cfg.URL, method, status, text)
	}
	return fmt.Errorf("shard %s at %s: %s: status %d: %s", c.name, c.cfg.URL, method, status, text)
}

// Search implements Shard: the request and the answer cross in their
// binary forms (binwire.go).
func (c *Client) Search(ctx context.Context, req index.SearchRequest) ([]index.ScoredPoint, error) {
	f, err := marshalFilter(req.Filter)
	if err != nil {
		return nil, err
	}
	body := appendSearch(make([]byte, 0, 128+len(f)+4*len(req.Vector)), req, f)
	return c.scored(ctx, methodSearch, searchContentType, body)
}

// SearchSparse implements Shard: a JSON request, a binary answer.
func (c *Client) SearchSparse(ctx context.Context, req index.SparseSearchRequest) ([]index.ScoredPoint, error) {
	f, err := marshalFilter(req.Filter)
	if err != nil {
		return nil, err
	}
	req.Filter = nil
	body, err := json.Marshal(sparseSearchWire{Req: req, Filter: f})
	if err != nil {
		return nil, fmt.Errorf("shard %s: %s: encode: %w", c.name, methodSearchSparse, err)
	}
	return c.scored(ctx, methodSearchSparse, jsonContentType, body)
}

// callFiltered sends to method the request in builds around a filter in
// its wire form, and returns the answer.
func callFiltered[T any](ctx context.Context, c *Client, method string, f *filter.Filter, in func(f json.RawMessage) any) (T, error) {
	var out T
	raw, err := marshalFilter(f)
	if err != nil {
		return out, err
	}
	err = c.call(ctx, method, in(raw), &out)
	return out, err
}

// Vectors implements Shard.
func (c *Client) Vectors(ctx context.Context, using string, ids []pointid.ID) ([][]float32, error) {
	var out [][]float32
	if err := c.call(ctx, methodVectors, idsWire{Using: using, IDs: ids}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// SparseVectors implements Shard.
func (c *Client) SparseVectors(ctx context.Context, using string, ids []pointid.ID) ([]sparse.Vector, error) {
	var out []sparse.Vector
	if err := c.call(ctx, methodSparseVectors, idsWire{Using: using, IDs: ids}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Get implements Shard.
func (c *Client) Get(ctx context.Context, ids []pointid.ID, opts index.ReadOptions) ([]index.Record, error) {
	var out []recordWire
	if err := c.call(ctx, methodGet, idsWire{IDs: ids, Opts: opts}, &out); err != nil {
		return nil, err
	}
	return fromRecordsWire(out), nil
}

// Scroll implements Shard.
func (c *Client) Scroll(ctx context.Context, req index.ScrollRequest) (index.ScrollPage, error) {
	out, err := callFiltered[pageWire](ctx, c, methodScroll, req.Filter, func(f json.RawMessage) any {
		req.Filter = nil
		return scrollWire{Req: req, Filter: f}
	})
	if err != nil {
		return index.ScrollPage{}, err
	}
	return index.ScrollPage{Points: fromRecordsWire(out.Points), Next: out.Next}, nil
}

// ScrollOrdered implements Shard.
func (c *Client) ScrollOrdered(ctx context.Context, req index.OrderedScrollRequest) ([]index.Record, error) {
	out, err := callFiltered[[]recordWire](ctx, c, methodScrollOrdered, req.Filter, func(f json.RawMessage) any {
		req.Filter = nil
		return orderedWire{Req: req, Filter: f}
	})
	if err != nil {
		return nil, err
	}
	return fromRecordsWire(out), nil
}

// Count implements Shard.
func (c *Client) Count(ctx context.Context, f *filter.Filter) (int, error) {
	return callFiltered[int](ctx, c, methodCount, f, func(f json.RawMessage) any { return countWire{Filter: f} })
}

package shard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
)

// HandlerConfig configures a Handler. Zero fields take the defaults
// their comments state.
type HandlerConfig struct {
	// Shards finds the shard a call names; required. An error wrapping
	// index.ErrNotFound (no such collection) or ErrUnavailable (this node
	// does not hold the shard now) keeps its kind for the caller.
	Shards func(collection string, shard int) (Shard, error)
	// Leader finds the shard for a call that asks for the leader's
	// replica (ClientConfig.Leader): this node's, only while it leads the
	// shard's group, and after a barrier on it, so the call reads every
	// write acknowledged before it. It should refuse with ErrUnavailable
	// otherwise. Nil refuses every such call so.
	Leader func(ctx context.Context, collection string, shard int) (Shard, error)
	// MaxBodyBytes bounds a request body. Zero means 32 MiB.
	MaxBodyBytes int64
	// Timeout bounds a call, and the caller's remaining time bounds it
	// further. Zero means 60s.
	Timeout time.Duration
	// MaxStreamConns bounds the connections ServeStream serves at once,
	// and so its calls in progress. Zero means 256.
	MaxStreamConns int
	// Logger hears internal errors. Nil means slog.Default().
	Logger *slog.Logger
}

// Handler serves the RPC a Client calls, at
// Prefix{collection}/{shard}/{method}: POST only, a JSON body in and out.
// It checks no api-key itself: mount it behind the API's authentication.
type Handler struct {
	cfg HandlerConfig
}

// NewHandler returns the handler of cfg.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Shards == nil {
		return nil, errors.New("shard handler: Shards is nil")
	}
	if cfg.MaxBodyBytes < 0 || cfg.Timeout < 0 || cfg.MaxStreamConns < 0 {
		return nil, errors.New("shard handler: limits must not be negative")
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 32 << 20
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.MaxStreamConns == 0 {
		cfg.MaxStreamConns = defaultStreamConns
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Handler{cfg: cfg}, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeErr(w, fmt.Errorf("%w: method %s: want POST", index.ErrBadRequest, r.Method))
		return
	}
	timeout := h.cfg.Timeout
	if ms, err := strconv.ParseInt(r.Header.Get(timeoutHeader), 10, 64); err == nil && ms > 0 {
		timeout = min(timeout, time.Duration(ms)*time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	collection, n, method, err := parsePath(r.URL.Path)
	if err != nil {
		writeErr(w, err)
		return
	}
	in := getBuffer()
	defer putBuffer(in) // decoding copies what it keeps
	if _, err := in.ReadFrom(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)); err != nil {
		writeErr(w, fmt.Errorf("request body: %w", err))
		return
	}
	data := getBuffer()
	defer putBuffer(data)
	call := streamCall{Leader: r.Header.Get(ReadHeader) == "leader", Method: method, Collection: collection, Shard: n,
		ContentType: r.Header.Get("Content-Type"), Accept: r.Header.Get("Accept"), Body: in.Bytes()}
	ctype, err := h.answer(ctx, call, data)
	if err != nil {
		writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(data.Len()))
	_, _ = w.Write(data.Bytes())
}

// answer runs call, whose context ctx bounds, and writes its answer into
// data, returning the answer's content type.
func (h *Handler) answer(ctx context.Context, call streamCall, data *bytes.Buffer) (string, error) {
	s, err := h.shard(ctx, call.Leader, call.Collection, call.Shard)
	if err != nil {
		return "", fmt.Errorf("collection %q, shard %d: %w", call.Collection, call.Shard, err)
	}
	out, err := serve(ctx, s, call.Method, call.ContentType, call.Body)
	if err != nil {
		if kind, _ := kindOf(err); kind == "internal" {
			h.cfg.Logger.Error("shard call failed", "collection", call.Collection, "shard", call.Shard, "method", call.Method, "err", err)
		}
		return "", err
	}
	ctype, err := encodeAnswer(data, out, call.Accept)
	if err != nil {
		return "", fmt.Errorf("encode the answer: %w", err)
	}
	return ctype, nil
}

// encodeAnswer writes out into data, scored points in their binary form
// when the caller accepts it, and returns the answer's content type.
func encodeAnswer(data *bytes.Buffer, out any, accept string) (string, error) {
	if ps, ok := out.([]index.ScoredPoint); ok {
		if accept == scoredContentType {
			b, err := appendScored(data.AvailableBuffer(), ps)
			data.Write(b)
			return scoredContentType, err
		}
		out = toScoredWire(ps)
	}
	return jsonContentType, json.NewEncoder(data).Encode(out)
}

// shard finds the shard a call names: the leader's replica when the
// call asks for it.
func (h *Handler) shard(ctx context.Context, leader bool, collection string, n int) (Shard, error) {
	if !leader {
		return h.cfg.Shards(collection, n)
	}
	if h.cfg.Leader == nil {
		return nil, fmt.Errorf("%w: this node serves no leader reads", ErrUnavailable)
	}
	return h.cfg.Leader(ctx, collection, n)
}

// parsePath splits Prefix{collection}/{shard}/{method}.
func parsePath(path string) (collection string, shard int, method string, err error) {
	parts := strings.Split(strings.TrimPrefix(path, Prefix), "/")
	if !strings.HasPrefix(path, Prefix) || len(parts) != 3 {
		return "", 0, "", fmt.Errorf("%w: path %q: want %s{collection}/{shard}/{method}", index.ErrNotFound, path, Prefix)
	}
	n, err := strconv.Atoi(parts[1])
	if !index.ValidName(parts[0]) || err != nil || n < 0 {
		return "", 0, "", fmt.Errorf("%w: path %q: want a collection name and a shard number ≥ 0", index.ErrBadRequest, path)
	}
	return parts[0], n, parts[2], nil
}

func writeErr(w http.ResponseWriter, err error) {
	status, data := errorAnswer(err)
	w.Header().Set("Content-Type", jsonContentType)
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// errorAnswer is err's answer: its status and errorWire as JSON.
func errorAnswer(err error) (int, []byte) {
	kind, status := kindOf(err)
	data, _ := json.Marshal(errorWire{Kind: kind, Error: err.Error()})
	return status, data
}

// decode reads a request body; payload numbers stay json.Number.
func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: request body: %v", index.ErrBadRequest, err)
	}
	return nil
}

// serve runs one call on s, its body of content type ctype. A search
// answers []index.ScoredPoint, which encodeAnswer writes as asked.
func serve(ctx context.Context, s Shard, method, ctype string, body []byte) (any, error) {
	switch method {
	case methodSearch:
		req, err := searchRequest(ctype, body)
		if err != nil {
			return nil, err
		}
		return scoredOK(s.Search(ctx, req))
	case methodSearchSparse:
		var in sparseSearchWire
		if err := decodeWithFilter(body, &in, &in.Filter, &in.Req.Filter); err != nil {
			return nil, err
		}
		return scoredOK(s.SearchSparse(ctx, in.Req))
	case methodRankVectors:
		var in rankVectorsWire
		var f *filter.Filter
		if err := decodeWithFilter(body, &in, &in.Filter, &f); err != nil {
			return nil, err
		}
		return rankVectors(ctx, s, in, f)
	case methodVectors, methodSparseVectors, methodGet:
		var in idsWire
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		switch method {
		case methodVectors:
			return s.Vectors(ctx, in.Using, in.IDs)
		case methodSparseVectors:
			return s.SparseVectors(ctx, in.Using, in.IDs)
		}
		recs, err := s.Get(ctx, in.IDs, in.Opts)
		return mapOK(recs, err, toRecordsWire)
	case methodScroll:
		var in scrollWire
		if err := decodeWithFilter(body, &in, &in.Filter, &in.Req.Filter); err != nil {
			return nil, err
		}
		page, err := s.Scroll(ctx, in.Req)
		if err != nil {
			return nil, err
		}
		return pageWire{Points: toRecordsWire(page.Points), Next: page.Next}, nil
	case methodScrollOrdered:
		var in orderedWire
		if err := decodeWithFilter(body, &in, &in.Filter, &in.Req.Filter); err != nil {
			return nil, err
		}
		recs, err := s.ScrollOrdered(ctx, in.Req)
		return mapOK(recs, err, toRecordsWire)
	case methodCount:
		var in countWire
		var f *filter.Filter
		if err := decodeWithFilter(body, &in, &in.Filter, &f); err != nil {
			return nil, err
		}
		return s.Count(ctx, f)
	case methodFacet:
		return serveFacet(ctx, s, body)
	}
	return nil, fmt.Errorf("%w: no shard method %q", index.ErrNotFound, method)
}

// decodeWithFilter decodes body into v and parses the filter it carried
// in raw into f.
func decodeWithFilter(body []byte, v any, raw *json.RawMessage, f **filter.Filter) error {
	if err := decode(body, v); err != nil {
		return err
	}
	var err error
	*f, err = parseFilter(*raw)
	return err
}

// searchRequest decodes a search's body, binary or JSON as ctype says.
func searchRequest(ctype string, body []byte) (index.SearchRequest, error) {
	if ctype == searchContentType {
		return parseSearch(body)
	}
	var in searchWire
	if err := decodeWithFilter(body, &in, &in.Filter, &in.Req.Filter); err != nil {
		return index.SearchRequest{}, err
	}
	if in.Vector != nil {
		var err error
		if in.Req.Vector, err = bytesFloat32(in.Vector); err != nil {
			return index.SearchRequest{}, err
		}
	}
	return in.Req, nil
}

// scoredOK is a search's answer as serve returns it; a nil error's
// points are typed, never a nil any.
func scoredOK(ps []index.ScoredPoint, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return ps, nil
}

func mapOK[T, W any](v T, err error, to func(T) W) (any, error) {
	if err != nil {
		return nil, err
	}
	return to(v), nil
}

// rankVectors answers a page of a rank's candidates (rankVectorsWire):
// the matching points from After in id order, those carrying the vector
// with it, cut to stay under rankPageBytes.
func rankVectors(ctx context.Context, s Shard, in rankVectorsWire, f *filter.Filter) (rankVectorsAnswer, error) {
	if in.Limit < 1 || in.Limit > index.MaxLimit {
		return rankVectorsAnswer{}, fmt.Errorf("%w: rank page limit %d, want 1..%d", index.ErrBadRequest, in.Limit, index.MaxLimit)
	}
	if in.Among != nil {
		among := &filter.Filter{Must: []filter.Condition{{HasID: in.Among}}}
		if f != nil {
			among.Must = append(among.Must, filter.Condition{Filter: f})
		}
		f = among
	}
	page, err := s.Scroll(ctx, index.ScrollRequest{Filter: f, Offset: in.After, Limit: in.Limit})
	if err != nil {
		return rankVectorsAnswer{}, err
	}
	out := rankVectorsAnswer{Next: page.Next}
	size := 0
	for i, p := range page.Points {
		vs, err := s.Vectors(ctx, in.Using, []pointid.ID{p.ID})
		if errors.Is(err, index.ErrNotFound) {
			continue // lacks the vector, or deleted since the scroll
		}
		if err != nil {
			return rankVectorsAnswer{}, err
		}
		if size += 16*len(vs[0]) + 32; size > rankPageBytes && len(out.IDs) > 0 {
			out.Next = &page.Points[i].ID
			break
		}
		out.IDs = append(out.IDs, p.ID)
		out.Vectors = append(out.Vectors, vs[0])
	}
	return out, nil
}

package shard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/pointid"
	"github.com/quiver-db/quiver/sparse"
)

// The wire form of the RPC: one POST per call, a JSON request in, a JSON
// answer out, but for the search calls' binary forms (binwire.go). Requests carry the index's request types as they are, but
// for their filter, which travels apart in Qdrant's form (filter.Marshal;
// a Filter encoded by reflection would not parse back). Payload numbers
// decode as json.Number on both sides (invariant 3).

// Methods of the RPC, the last segment of its path.
const (
	methodSearch        = "search"
	methodSearchSparse  = "search_sparse"
	methodRankVectors   = "rank_vectors"
	methodVectors       = "vectors"
	methodSparseVectors = "sparse_vectors"
	methodGet           = "get"
	methodScroll        = "scroll"
	methodScrollOrdered = "scroll_ordered"
	methodCount         = "count"
)

// jsonContentType is the type of the JSON bodies.
const jsonContentType = "application/json"

// Prefix is the path under which a Handler serves, and a Client calls,
// the RPC: Prefix + "{collection}/{shard}/{method}".
const Prefix = "/internal/shards/"

// timeoutHeader carries the caller's remaining time in milliseconds, so
// the serving node gives up when the caller does.
const timeoutHeader = "X-Quiver-Timeout-Ms"

// ReadHeader, set to "leader", asks for the shard's leader's replica, read
// after a barrier on its group (ClientConfig.Leader, HandlerConfig.Leader).
const ReadHeader = "X-Quiver-Read"

// searchWire carries Req.Vector in Vector, as float32Bytes (base64 in
// the JSON), Req.Vector itself null.
type searchWire struct {
	Req    index.SearchRequest
	Vector []byte
	Filter json.RawMessage
}

type sparseSearchWire struct {
	Req    index.SparseSearchRequest
	Filter json.RawMessage
}

type scrollWire struct {
	Req    index.ScrollRequest
	Filter json.RawMessage
}

type orderedWire struct {
	Req    index.OrderedScrollRequest
	Filter json.RawMessage
}

type countWire struct {
	Filter json.RawMessage
}

type idsWire struct {
	Using string
	IDs   []pointid.ID
	Opts  index.ReadOptions
}

// rankVectorsWire asks for a page of the candidates of a rank (the
// points among Among, when not nil, matching Filter, carrying Using) with
// their vectors as the graph holds them: a rank's score is a function of
// the caller's, so the caller scores the vectors itself (Client.Rank).
type rankVectorsWire struct {
	Using  string
	Among  []pointid.ID
	Filter json.RawMessage
	After  *pointid.ID
	Limit  int
}

type rankVectorsAnswer struct {
	IDs     []pointid.ID
	Vectors [][]float32
	Next    *pointid.ID
}

// recordWire is index.Record with its order value typed: an int64 and a
// float64 must come back as what they were.
type recordWire struct {
	ID         pointid.ID
	Payload    filter.Payload
	Vector     []float32
	Vectors    map[string][]float32
	Sparse     map[string]sparse.Vector
	OrderInt   *int64   `json:",omitempty"`
	OrderFloat *float64 `json:",omitempty"`
}

type scoredWire struct {
	Record      recordWire
	Score       float32
	Explanation []index.Contribution
}

type pageWire struct {
	Points []recordWire
	Next   *pointid.ID
}

func toRecordWire(r index.Record) recordWire {
	w := recordWire{ID: r.ID, Payload: r.Payload, Vector: r.Vector, Vectors: r.Vectors, Sparse: r.Sparse}
	switch v := r.OrderValue.(type) {
	case int64:
		w.OrderInt = &v
	case float64:
		w.OrderFloat = &v
	}
	return w
}

func (w recordWire) record() index.Record {
	r := index.Record{ID: w.ID, Payload: w.Payload, Vector: w.Vector, Vectors: w.Vectors, Sparse: w.Sparse}
	switch {
	case w.OrderInt != nil:
		r.OrderValue = *w.OrderInt
	case w.OrderFloat != nil:
		r.OrderValue = *w.OrderFloat
	}
	return r
}

func toRecordsWire(recs []index.Record) []recordWire {
	out := make([]recordWire, len(recs))
	for i, r := range recs {
		out[i] = toRecordWire(r)
	}
	return out
}

func fromRecordsWire(ws []recordWire) []index.Record {
	out := make([]index.Record, len(ws))
	for i, w := range ws {
		out[i] = w.record()
	}
	return out
}

func toScoredWire(ps []index.ScoredPoint) []scoredWire {
	out := make([]scoredWire, len(ps))
	for i, p := range ps {
		out[i] = scoredWire{Record: toRecordWire(p.Record), Score: p.Score, Explanation: p.Explanation}
	}
	return out
}

// marshalFilter is filter.Marshal that keeps nil as null.
func marshalFilter(f *filter.Filter) (json.RawMessage, error) {
	if f == nil {
		return nil, nil
	}
	raw, err := filter.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("%w: filter: %w", index.ErrBadRequest, err)
	}
	return raw, nil
}

// parseFilter is filter.Parse that reads null (or nothing) as nil.
func parseFilter(raw json.RawMessage) (*filter.Filter, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	f, err := filter.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: filter: %w", index.ErrBadRequest, err)
	}
	return f, nil
}

// errorWire is an error's answer: its kind (errorKinds) and its text.
type errorWire struct {
	Kind  string
	Error string
}

// errorKinds are the sentinels an error keeps across the wire (invariant
// 4), by the name the wire gives them, in the order they are tested.
var errorKinds = []struct {
	name   string
	err    error
	status int
}{
	{"bad_request", index.ErrBadRequest, http.StatusBadRequest},
	{"bad_request", filter.ErrInvalid, http.StatusBadRequest},
	{"not_found", index.ErrNotFound, http.StatusNotFound},
	{"too_large", index.ErrTooLarge, http.StatusRequestEntityTooLarge},
	{"exists", index.ErrExists, http.StatusConflict},
	{"closed", index.ErrClosed, http.StatusServiceUnavailable},
	{"storage_failed", index.ErrStorageFailed, http.StatusServiceUnavailable},
	{"no_space", index.ErrNoSpace, http.StatusInsufficientStorage},
	{"unavailable", ErrUnavailable, http.StatusServiceUnavailable},
	{"deadline", context.DeadlineExceeded, http.StatusGatewayTimeout},
	{"canceled", context.Canceled, 499},
}

// kindOf returns the wire kind and status of err.
func kindOf(err error) (string, int) {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return "too_large", http.StatusRequestEntityTooLarge
	}
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k.name, k.status
		}
	}
	return "internal", http.StatusInternalServerError
}

// remoteError is an error a shard's node answered: its text as the node
// wrote it, its kind the sentinel it wraps.
type remoteError struct {
	kind error
	msg  string
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.kind }

// errorOf rebuilds an answered error; an unknown kind wraps nothing.
func errorOf(w errorWire) error {
	for _, k := range errorKinds {
		if k.name == w.Kind {
			return &remoteError{kind: k.err, msg: w.Error}
		}
	}
	return errors.New(w.Error)
}

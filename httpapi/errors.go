package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/quiver-db/quiver/filter"
	"github.com/quiver-db/quiver/index"
	"github.com/quiver-db/quiver/query"
	"github.com/quiver-db/quiver/shard"
)

// Errors of this package, wrapped with context. statusOf maps them, and the
// index package's sentinels, to status codes.
var (
	// ErrBadRequest marks a request the server cannot act on as sent.
	ErrBadRequest = errors.New("bad request")
	// ErrUnauthorized marks a request without a valid api-key.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden marks a write with the read-only api-key.
	ErrForbidden = errors.New("forbidden")
	// ErrNoModel marks a text document naming a model the server lacks.
	ErrNoModel = query.ErrNoModel
	// ErrBusy marks work refused because the server is doing as much of
	// it as it takes (one training at a time): 429, try again later.
	ErrBusy = errors.New("busy")
	// ErrTooLarge marks a body beyond Config.MaxBodyBytes.
	ErrTooLarge = errors.New("request body too large")
)

// badRequest returns an ErrBadRequest error with a formatted message.
func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// statusOf returns the HTTP status for err.
func statusOf(err error) int {
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr), errors.Is(err, ErrTooLarge), errors.Is(err, index.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrBadRequest), errors.Is(err, index.ErrBadRequest),
		errors.Is(err, filter.ErrInvalid), errors.Is(err, ErrNoModel):
		return http.StatusBadRequest
	case errors.Is(err, index.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, index.ErrExists):
		return http.StatusConflict
	case errors.Is(err, ErrBusy):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrNotSupported):
		return http.StatusNotImplemented
	case errors.Is(err, index.ErrNoSpace):
		return http.StatusInsufficientStorage
	case errors.Is(err, index.ErrClosed), errors.Is(err, index.ErrStorageFailed), errors.Is(err, ErrUnavailable), errors.Is(err, shard.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the status.
		return 499
	}
	return http.StatusInternalServerError
}

// errorBody is Qdrant's error envelope.
type errorBody struct {
	Status struct {
		Error string `json:"error"`
	} `json:"status"`
	Time float64 `json:"time"`
}

// message is the text a client sees: the error without the sentinel
// prefixes that only matter inside the server.
func message(err error) string {
	return messageCleaner.Replace(err.Error())
}

var messageCleaner = strings.NewReplacer(
	"quiver: bad request: ", "", "bad request: ", "",
	"quiver: not found", "not found", "quiver: too large", "too large", "quiver: already exists", "already exists", "quiver: closed", "closed",
)

// decodeJSON decodes the body into v, rejecting unknown fields, trailing
// data and bodies beyond the limit, with an error that names the field.
// Numbers in untyped values (payloads) stay json.Number, as the index
// stores them. An empty body decodes as {}. Bodies with a fast path
// (fastDecoder) take it when they can.
func decodeJSON(r *http.Request, v any) error {
	buf := bodyPool.Get().(*bytes.Buffer)
	defer releaseBody(buf)
	// The buffer grows with the bytes that arrive, never by the declared
	// Content-Length: a client that claims 64 MiB and sends one byte gets
	// one byte's worth of memory.
	if r.ContentLength > 0 {
		buf.Grow(int(min(r.ContentLength, 64<<10)) + 1)
	}
	if _, err := buf.ReadFrom(r.Body); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return fmt.Errorf("request body: %w", err)
		}
		return badRequest("request body: %v", err)
	}
	if f, ok := v.(fastDecoder); ok && f.decodeFast(buf.Bytes()) {
		return nil
	}
	return decodeJSONBytes(buf.Bytes(), v)
}

// bodyPool recycles request body buffers.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func releaseBody(buf *bytes.Buffer) {
	if buf.Cap() > 1<<20 {
		return // a rare huge body is not worth keeping
	}
	buf.Reset()
	bodyPool.Put(buf)
}

// decodeJSONBytes is decodeJSON's encoding/json path.
func decodeJSONBytes(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber() // payload integers beyond 2^53 stay exact
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("request body: unexpected data after the JSON value")
	}
	return nil
}

// jsonError turns a json error into a bad request naming the field.
func jsonError(err error) error {
	var maxErr *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.Is(err, ErrBadRequest), errors.Is(err, filter.ErrInvalid):
		return err
	case errors.As(err, &maxErr):
		return fmt.Errorf("request body: %w", err)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(root)"
		}
		return badRequest("field %q: want %s, got %s", field, jsonKind(typeErr.Type), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return badRequest("request body is not valid JSON at byte %d: %v", syntaxErr.Offset, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("request body: truncated JSON")
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return badRequest("unknown field %s", rest)
	}
	return badRequest("request body: %s", strings.TrimPrefix(msg, "json: "))
}

// jsonKind names what a Go type reads from, in JSON's words, so messages
// do not leak Go types ("float64", "struct").
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a value"
}

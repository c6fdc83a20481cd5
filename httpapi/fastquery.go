package httpapi

import (
	"bytes"
	"encoding/json"

	"github.com/quiver-db/quiver/filter"
)

// fastDecoder is a request body with a fast path for its common shape
// (see fastjson.go).
type fastDecoder interface {
	// decodeFast fills the request from data and reports whether it
	// could. When it could not, it leaves the request untouched and the
	// caller decodes data with encoding/json, which also words the error
	// if there is one.
	decodeFast(data []byte) bool
}

// commonFields points at the members that queries and legacy searches
// share.
type commonFields struct {
	filter    **filter.Filter
	params    **searchParams
	threshold **float32
	limit     **int
	offset    **int
	sel       *readSelection
}

// decodeMembers reads an object whose members are the common fields plus
// those extra handles; a repeated key, a key in another case or any
// value outside the fast shape gives up.
func decodeMembers(data []byte, c commonFields, extra func(l *lexer, key string) (known, ok bool)) bool {
	l := &lexer{data: data}
	var seen [16]string
	n := 0
	ok := l.object(func(k []byte) bool {
		key := string(k)
		for _, s := range seen[:n] {
			if s == key {
				return false
			}
		}
		if n == len(seen) {
			return false
		}
		seen[n] = key
		n++
		if known, ok := extra(l, key); known {
			return ok
		}
		return decodeCommon(l, key, c)
	})
	return ok && l.atEnd()
}

func decodeCommon(l *lexer, key string, c commonFields) bool {
	switch key {
	case "limit", "offset":
		n, ok := l.int()
		if !ok {
			return false
		}
		if key == "limit" {
			*c.limit = &n
		} else {
			*c.offset = &n
		}
		return true
	case "score_threshold":
		f, ok := l.float32()
		*c.threshold = &f
		return ok
	case "with_payload":
		b, ok := l.bool()
		c.sel.WithPayload = withPayload{set: true, all: b}
		return ok
	case "with_vector":
		b, ok := l.bool()
		c.sel.WithVector = withVector{set: true, on: b}
		return ok
	case "params":
		p := &searchParams{}
		*c.params = p
		var exact bool
		return l.object(func(k []byte) bool {
			switch {
			case string(k) == "hnsw_ef" && p.HNSWEf == nil:
				n, ok := l.int()
				p.HNSWEf = &n
				return ok
			case string(k) == "exact" && !exact:
				exact = true
				p.Exact, exact = l.bool()
				return exact
			}
			return false
		})
	case "filter":
		if l.peek() != '{' {
			return false
		}
		raw, ok := l.skipValue()
		if !ok {
			return false
		}
		f := &filter.Filter{}
		*c.filter = f
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		dec.UseNumber()
		return dec.Decode(f) == nil && !dec.More()
	}
	return false
}

func (q *queryRequest) decodeFast(data []byte) bool {
	var t queryRequest
	ok := decodeWithVector(data, "query", commonFields{&t.Filter, &t.Params, &t.ScoreThreshold, &t.Limit, &t.Offset, &t.readSelection},
		func(v *vectorInput) { t.Query = &queryInput{Nearest: v} })
	if ok {
		*q = t
	}
	return ok
}

func (s *searchRequest) decodeFast(data []byte) bool {
	var t searchRequest
	ok := decodeWithVector(data, "vector", commonFields{&t.Filter, &t.Params, &t.ScoreThreshold, &t.Limit, &t.Offset, &t.readSelection},
		func(v *vectorInput) { t.Vector = &searchVector{vectorInput: *v} })
	if ok {
		*s = t
	}
	return ok
}

// decodeWithVector reads the common fields plus a list of numbers under
// key, handed to set.
func decodeWithVector(data []byte, key string, c commonFields, set func(*vectorInput)) bool {
	return decodeMembers(data, c, func(l *lexer, k string) (bool, bool) {
		if k != key {
			return false, false
		}
		v, ok := l.floats()
		set(&vectorInput{Vector: v})
		return true, ok
	})
}

// batchRequest is the body of the batch routes: {"searches": [...]}.
type batchRequest[T any] struct {
	Searches []T `json:"searches"`
}

// decodeFast takes the batch when every search in it takes its own fast
// path.
func (b *batchRequest[T]) decodeFast(data []byte) bool {
	var searches []T
	l := &lexer{data: data}
	seen := false
	ok := l.object(func(k []byte) bool {
		if string(k) != "searches" || seen || l.peek() != '[' {
			return false
		}
		seen = true
		l.pos++
		if l.consume(']') {
			searches = []T{}
			return true
		}
		for {
			raw, ok := l.skipValue()
			if !ok {
				return false
			}
			var s T
			if f, ok := any(&s).(fastDecoder); !ok || !f.decodeFast(raw) {
				return false
			}
			searches = append(searches, s)
			switch l.peek() {
			case ',':
				l.pos++
			case ']':
				l.pos++
				return true
			default:
				return false
			}
		}
	})
	if !ok || !l.atEnd() {
		return false
	}
	b.Searches = searches
	return true
}
